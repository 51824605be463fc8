package io.isomargin.keeper.config;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.ConfigKeys;
import io.isomargin.abi.config.ConfigSource;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.keeper.send.FeePolicy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The keeper's configuration, read from a YAML file with environment overrides ({@value #ENV_PREFIX} + the key
 * upper-cased, dots and dashes as underscores; see {@link ConfigSource}), validated at start-up: every bad value is a
 * {@link ConfigException} naming the key, the value and what is allowed; unknown keys are rejected. Every key is
 * documented in {@code keeper/keeper.example.yaml}.
 *
 * @param deployment  the forge scripts' deployment JSON ({@code deployment}, required)
 * @param markets     the market ids to keep ({@code markets}); empty: every market of the deployment file
 * @param rpc         the JSON-RPC endpoints ({@code rpc.*})
 * @param database    the indexer's mirror ({@code database.url}, optional: without it the book is built from chain
 *                    events; {@code DATABASE_URL} is deliberately not read)
 * @param follower    how the chain is followed ({@code follower.*})
 * @param key         where the signing key comes from ({@code key.*})
 * @param gas         fees and transactions in flight ({@code gas.*})
 * @param liquidation what is worth sending ({@code liquidation.*})
 * @param guard       margin-guard top-ups ({@code guard.*})
 * @param dryRun      everything but sending ({@code dry-run}, default false; {@code run --dry-run} overrides)
 * @param http        the operator endpoints ({@code http.*})
 */
public record KeeperConfig(Path deployment, List<Long> markets, Rpc rpc, Optional<PostgresUrl> database,
        Follower follower, KeyConfig key, Gas gas, Liquidation liquidation, Guard guard, boolean dryRun, Http http) {

    /**
     * {@code rpc.max-concurrent-calls} unless configured: the keeper simulates a block's liquidations and top-ups side
     * by side, and a node runs what it is sent side by side; without a limit a Hardhat node ran 30-58 gas estimates
     * at once, each slow enough to time out and be sent again while the node still ran it, and held every one's
     * execution trace in memory.
     */
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 8;

    /** The prefix of the environment variables that override the file. */
    public static final String ENV_PREFIX = "ISOMARGIN_KEEPER_";

    /** Every key the file and the environment may set ({@code key.private-key-env} names one more variable). */
    public static final ConfigKeys KEYS = ConfigKeys.of("deployment", "markets",
            "rpc.http-urls", "rpc.ws-url", "rpc.timeout", "rpc.max-requests-per-second",
            "rpc.max-concurrent-calls",
            "send.rpc-url",
            "database.url",
            "follower.confirmations", "follower.reorg-window", "follower.max-range", "follower.poll-interval",
            "key.keystore", "key.password-file", "key.private-key-env",
            "gas.max-fee-cap-gwei", "gas.priority-fee-gwei", "gas.base-fee-multiplier-percent", "gas.bump-percent",
            "gas.replace-after-blocks", "gas.max-in-flight", "gas.native-price-in-loan-token", "gas.tip-share-percent",
            "liquidation.min-profit", "liquidation.max-batch", "liquidation.gas-budget",
            "liquidation.mode", "liquidation.max-slippage-bps", "liquidation.bad-debt-max-loss",
            "guard.enabled",
            "dry-run",
            "http.host", "http.port", "http.max-healthy-lag", "http.max-silent-blocks", "http.max-unmined-blocks")
            .namingVariables("key.private-key-env");

    public KeeperConfig {
        Objects.requireNonNull(deployment, "deployment");
        markets = List.copyOf(markets);
        Objects.requireNonNull(rpc, "rpc");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(follower, "follower");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(gas, "gas");
        Objects.requireNonNull(liquidation, "liquidation");
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(http, "http");
    }

    /**
     * @param httpUrls             {@code rpc.http-urls}: http(s) endpoints in order of preference (required)
     * @param wsUrl                {@code rpc.ws-url}: a ws(s) endpoint for new-head notifications (optional)
     * @param timeout              {@code rpc.timeout}: one request, 100ms..5m, default 10s
     * @param maxRequestsPerSecond {@code rpc.max-requests-per-second}: per endpoint, 0..100000, default 0 = no limit
     * @param maxConcurrentCalls   {@code rpc.max-concurrent-calls}: per endpoint, how many simulations and gas
     *                             estimates ({@code eth_call}, {@code eth_estimateGas}) are in flight at once, 0..1024,
     *                             default {@value #DEFAULT_MAX_CONCURRENT_CALLS}; 0 = no limit
     * @param sendUrl              {@code send.rpc-url}: an http(s) endpoint that alone receives the keeper's signed
     *                             transactions (a private or protected RPC), distinct from the read endpoints;
     *                             empty (default): transactions go to {@code rpc.http-urls}
     */
    public record Rpc(List<String> httpUrls, Optional<String> wsUrl, Duration timeout, int maxRequestsPerSecond,
            int maxConcurrentCalls, Optional<String> sendUrl) {
        public Rpc {
            httpUrls = List.copyOf(httpUrls);
            Objects.requireNonNull(wsUrl, "wsUrl");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(sendUrl, "sendUrl");
        }
    }

    /**
     * @param confirmations {@code follower.confirmations}: blocks below the head, 0..1000 and below the reorg window,
     *                      default 0
     * @param reorgWindow   {@code follower.reorg-window}: recent block hashes checked, 1..10000, default 64
     * @param maxRange      {@code follower.max-range}: largest eth_getLogs range, 1..100000, default 2000
     * @param pollInterval  {@code follower.poll-interval}: head polling, 50ms..5m, default 1s
     */
    public record Follower(int confirmations, int reorgWindow, int maxRange, Duration pollInterval) {
        public Follower {
            Objects.requireNonNull(pollInterval, "pollInterval");
        }
    }

    /**
     * @param maxFeeCap                {@code gas.max-fee-cap-gwei} in wei: the most ever paid per gas (required)
     * @param priorityFee              {@code gas.priority-fee-gwei} in wei: the tip, default 1 gwei, at most the cap
     * @param baseFeeMultiplierPercent {@code gas.base-fee-multiplier-percent}: 100..1000, default 200
     * @param bumpPerMille             {@code gas.bump-percent} x 10: a replacement's raise, 12.5..100 %, default 12.5
     * @param replaceAfterBlocks       {@code gas.replace-after-blocks}: blocks unmined before a replacement, 1..100,
     *                                 default 3
     * @param maxInFlight              {@code gas.max-in-flight}: unmined transactions at once, 1..64, default 4
     * @param nativePriceInLoanToken   {@code gas.native-price-in-loan-token}: loan-token whole units one native coin
     *                                 (1e18 wei) is worth, to price gas in the loan token (required, positive)
     * @param tipSharePercent          {@code gas.tip-share-percent}: share of a liquidation's expected profit offered
     *                                 as a higher tip, 0..90, default 0 (the fixed {@code priorityFee})
     */
    public record Gas(BigInteger maxFeeCap, BigInteger priorityFee, int baseFeeMultiplierPercent, int bumpPerMille,
            int replaceAfterBlocks, int maxInFlight, BigDecimal nativePriceInLoanToken, int tipSharePercent) {
        public Gas {
            Objects.requireNonNull(maxFeeCap, "maxFeeCap");
            Objects.requireNonNull(priorityFee, "priorityFee");
            Objects.requireNonNull(nativePriceInLoanToken, "nativePriceInLoanToken");
        }

        /**
         * What {@code wei} of gas costs in loan-token base units of a token with {@code loanDecimals} decimals,
         * rounded up (a cost is never underestimated).
         */
        public BigInteger costInLoanToken(BigInteger wei, int loanDecimals) {
            return new BigDecimal(wei).multiply(nativePriceInLoanToken).movePointLeft(18).movePointRight(loanDecimals)
                    .setScale(0, RoundingMode.CEILING).toBigIntegerExact();
        }
    }

    /**
     * @param minProfit      {@code liquidation.min-profit}: loan-token whole units a transaction must earn after gas,
     *                       default 0
     * @param maxBatch       {@code liquidation.max-batch}: vaults per transaction, 1..100, default 10
     * @param gasBudget      {@code liquidation.gas-budget}: gas per transaction, 100000..30000000, default 5000000
     * @param mode           {@code liquidation.mode}: {@code funded} (default: the keeper repays from its own
     *                       loan-token balance) or {@code capital-free} (through the deployment's SwapLiquidator,
     *                       which sells the seized collateral on Uniswap V2 inside the engine's callback)
     * @param maxSlippageBps {@code liquidation.max-slippage-bps}: capital-free only, how far below the oracle value of
     *                       the seized collateral a sale may go (the pool's 0.3% fee and the price impact included),
     *                       0..1000 (the SwapLiquidator's MAX_SLIPPAGE_BPS), default 100
     * @param badDebtMaxLoss {@code liquidation.bad-debt-max-loss}: funded only, loan-token whole units a transaction
     *                       may lose (gas included) when it liquidates a vault whose liquidation realizes bad debt
     *                       (clearing it from the market); empty (default): never at a loss
     */
    public record Liquidation(BigDecimal minProfit, int maxBatch, long gasBudget, Mode mode, int maxSlippageBps,
            Optional<BigDecimal> badDebtMaxLoss) {
        /** Default slippage bound of a capital-free sale, in basis points. */
        public static final int DEFAULT_MAX_SLIPPAGE_BPS = 100;
        /** The SwapLiquidator's {@code MAX_SLIPPAGE_BPS}. */
        public static final int MAX_SLIPPAGE_BPS = 1_000;

        public Liquidation {
            Objects.requireNonNull(minProfit, "minProfit");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(badDebtMaxLoss, "badDebtMaxLoss");
        }

        /** Never at a loss. */
        public Liquidation(BigDecimal minProfit, int maxBatch, long gasBudget, Mode mode, int maxSlippageBps) {
            this(minProfit, maxBatch, gasBudget, mode, maxSlippageBps, Optional.empty());
        }

        /** Funded liquidation. */
        public Liquidation(BigDecimal minProfit, int maxBatch, long gasBudget) {
            this(minProfit, maxBatch, gasBudget, Mode.FUNDED, DEFAULT_MAX_SLIPPAGE_BPS);
        }

        /** {@link #minProfit} in base units of a loan token with {@code loanDecimals} decimals, rounded up. */
        public BigInteger minProfitBaseUnits(int loanDecimals) {
            return minProfit.movePointRight(loanDecimals).setScale(0, RoundingMode.CEILING).toBigIntegerExact();
        }

        /** True in {@code capital-free} mode. */
        public boolean capitalFree() {
            return mode == Mode.CAPITAL_FREE;
        }
    }

    /** How liquidations are paid ({@code liquidation.mode}). */
    public enum Mode {
        /** From the keeper's own loan-token balance, approved to the engine at start. */
        FUNDED("funded"),
        /** With no capital: the deployment's SwapLiquidator sells the seized collateral to repay. */
        CAPITAL_FREE("capital-free");

        private final String key;

        Mode(String key) {
            this.key = key;
        }

        /** The value as written in the config file. */
        public String key() {
            return key;
        }
    }

    /**
     * @param enabled {@code guard.enabled}: whether the keeper tops up guarded vaults through the deployment's margin
     *                guard (tracking its policies and giving a top-up that saves a vault priority over liquidating
     *                it); empty when not set, which means on when the deployment file lists a guard
     */
    public record Guard(Optional<Boolean> enabled) {
        public Guard {
            Objects.requireNonNull(enabled, "enabled");
        }

        /**
         * The guard to top up through for {@code file}: its guard unless {@code guard.enabled} is false; none when the
         * file lists no guard (a deployment older than the guard), whatever {@code guard.enabled} says.
         */
        public Optional<String> guardOf(DeploymentFile file) {
            if (!file.hasGuard() || !enabled.orElse(true)) return Optional.empty();
            return Optional.of(file.guard());
        }
    }

    /**
     * @param host          {@code http.host}: interface of /health, /metrics and /status, default 127.0.0.1
     * @param port          {@code http.port}: 0..65535, default 9090; 0 picks a free port
     * @param maxHealthyLag {@code http.max-healthy-lag}: /health is 200 while at most this many blocks behind the
     *                      head, 0..100000, default 3
     * @param maxSilentBlocks  {@code http.max-silent-blocks}: /health is 503 when no endpoint answered a head poll
     *                      for this many block times (observed, at least the poll interval), 1..100000, default 10
     * @param maxUnminedBlocks {@code http.max-unmined-blocks}: /health is 503 when a transaction is unmined for more
     *                      blocks than this, 1..100000, default 10
     */
    public record Http(String host, int port, int maxHealthyLag, int maxSilentBlocks, int maxUnminedBlocks) {
        public Http {
            Objects.requireNonNull(host, "host");
        }
    }

    /**
     * Reads {@code file} (null: environment only) with overrides from {@code env}.
     *
     * @throws ConfigException naming the first key that is missing, malformed, out of bounds or unknown
     */
    public static KeeperConfig load(Path file, Map<String, String> env) {
        ConfigSource c = ConfigSource.load(file, env, ENV_PREFIX, KEYS);
        Path deployment = Path.of(c.requiredString("deployment",
                "path to the deployment JSON the forge scripts write"));
        List<Long> markets = marketIds(c);

        Rpc rpc = new Rpc(c.urls("rpc.http-urls", Set.of("http", "https")), c.url("rpc.ws-url", Set.of("ws", "wss")),
                c.duration("rpc.timeout", Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(5)),
                c.intValue("rpc.max-requests-per-second", 0, 0, 100_000),
                c.intValue("rpc.max-concurrent-calls", DEFAULT_MAX_CONCURRENT_CALLS, 0,
                        RpcConfig.MAX_CONCURRENT_CALLS_LIMIT),
                c.url("send.rpc-url", Set.of("http", "https")));

        Optional<PostgresUrl> database = c.optionalString("database.url")
                .map(url -> PostgresUrl.parse("database.url", url, "the indexer's database"));

        int reorgWindow = c.intValue("follower.reorg-window", 64, 1, 10_000);
        int confirmations = c.intValue("follower.confirmations", 0, 0, 1_000);
        if (confirmations >= reorgWindow) {
            throw new ConfigException("follower.confirmations", Integer.toString(confirmations),
                    "must be below follower.reorg-window (" + reorgWindow + ")");
        }
        Follower follower = new Follower(confirmations, reorgWindow, c.intValue("follower.max-range", 2_000, 1,
                100_000), c.duration("follower.poll-interval", Duration.ofSeconds(1), Duration.ofMillis(50),
                Duration.ofMinutes(5)));

        KeyConfig key = new KeyConfig(c.optionalString("key.keystore").map(Path::of),
                c.optionalString("key.password-file").map(Path::of), c.optionalString("key.private-key-env"));

        Gas gas = gas(c);
        Liquidation liquidation = liquidation(c);
        Guard guard = new Guard(c.optionalString("guard.enabled").filter(v -> !v.isEmpty())
                .map(v -> c.bool("guard.enabled", true)));
        boolean dryRun = c.bool("dry-run", false);

        String host = c.string("http.host", "127.0.0.1");
        if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new ConfigException("http.host", host, "a host name or IP address to listen on");
        }
        Http http = new Http(host, c.intValue("http.port", 9090, 0, 65_535),
                c.intValue("http.max-healthy-lag", 3, 0, 100_000), c.intValue("http.max-silent-blocks", 10, 1, 100_000),
                c.intValue("http.max-unmined-blocks", 10, 1, 100_000));
        if (http.maxUnminedBlocks() <= gas.replaceAfterBlocks()) {
            throw new ConfigException("http.max-unmined-blocks", Integer.toString(http.maxUnminedBlocks()),
                    "must be above gas.replace-after-blocks (" + gas.replaceAfterBlocks() + "), or /health would call a "
                            + "transaction stuck before its first fee bump");
        }
        c.rejectUnknownKeys();
        return new KeeperConfig(deployment, markets, rpc, database, follower, key, gas, liquidation, guard, dryRun,
                http);
    }

    private static Liquidation liquidation(ConfigSource c) {
        BigDecimal minProfit = decimal(c, "liquidation.min-profit", BigDecimal.ZERO, BigDecimal.ZERO, "a decimal >= 0 "
                + "in loan-token whole units (e.g. 2.5)", d -> true);
        int maxBatch = c.intValue("liquidation.max-batch", 10, 1, 100);
        long gasBudget = c.longValue("liquidation.gas-budget", 5_000_000, 100_000, 30_000_000);
        String modeText = c.string("liquidation.mode", Mode.FUNDED.key());
        Mode mode = java.util.Arrays.stream(Mode.values()).filter(m -> m.key().equals(modeText)).findFirst()
                .orElseThrow(() -> new ConfigException("liquidation.mode", modeText, "funded (repay from the keeper's "
                        + "own loan-token balance) or capital-free (through the deployment's SwapLiquidator, selling "
                        + "the seized collateral on Uniswap V2)"));
        boolean slippageSet = c.optionalString("liquidation.max-slippage-bps").filter(v -> !v.isEmpty()).isPresent();
        int slippage;
        try {
            slippage = c.intValue("liquidation.max-slippage-bps", Liquidation.DEFAULT_MAX_SLIPPAGE_BPS, 0,
                    Liquidation.MAX_SLIPPAGE_BPS);
        } catch (ConfigException e) {
            throw new ConfigException("liquidation.max-slippage-bps", c.string("liquidation.max-slippage-bps", ""),
                    "an integer from 0 to " + Liquidation.MAX_SLIPPAGE_BPS + " (basis points under the oracle value "
                            + "of the seized collateral a sale may go, the pool's 0.3% fee included; the "
                            + "SwapLiquidator refuses more than " + Liquidation.MAX_SLIPPAGE_BPS + ")");
        }
        if (slippageSet && mode != Mode.CAPITAL_FREE) {
            throw new ConfigException("liquidation.max-slippage-bps", Integer.toString(slippage), "only with "
                    + "liquidation.mode: capital-free (a funded keeper sells nothing); remove it or set the mode");
        }
        Optional<BigDecimal> maxLoss = c.optionalString("liquidation.bad-debt-max-loss").filter(v -> !v.isEmpty())
                .isEmpty() ? Optional.empty() : Optional.of(decimal(c, "liquidation.bad-debt-max-loss", null,
                BigDecimal.ZERO, "a decimal >= 0 in loan-token whole units: the most one transaction may lose, gas "
                        + "included, to liquidate a vault whose liquidation realizes bad debt", d -> true));
        if (maxLoss.isPresent() && mode == Mode.CAPITAL_FREE) {
            throw new ConfigException("liquidation.bad-debt-max-loss", maxLoss.get().toPlainString(), "only with "
                    + "liquidation.mode: funded (a capital-free sale must repay what is owed from the collateral, "
                    + "which an underwater vault cannot)");
        }
        return new Liquidation(minProfit, maxBatch, gasBudget, mode, slippage, maxLoss);
    }

    private static List<Long> marketIds(ConfigSource c) {
        Set<Long> ids = new LinkedHashSet<>();
        for (String s : c.list("markets")) {
            try {
                long id = Long.parseLong(s.replace("_", ""));
                if (id < 0) throw new NumberFormatException();
                ids.add(id);
            } catch (NumberFormatException e) {
                throw new ConfigException("markets", s, "a list of market ids (non-negative integers) from the "
                        + "deployment file; leave it out to keep every market");
            }
        }
        return new ArrayList<>(ids);
    }

    private static Gas gas(ConfigSource c) {
        BigDecimal one = BigDecimal.ONE.movePointLeft(9);
        String gweiAllowed = " in gwei with at most 9 decimals (1 wei)";
        BigInteger cap = gwei(decimal(c, "gas.max-fee-cap-gwei", null, one, "a positive decimal" + gweiAllowed
                + ": the most the keeper ever pays per gas", d -> d.scale() <= 9));
        BigInteger tip = gwei(decimal(c, "gas.priority-fee-gwei", BigDecimal.ONE, BigDecimal.ZERO, "a decimal >= 0"
                + gweiAllowed, d -> d.scale() <= 9));
        if (tip.compareTo(cap) > 0) {
            throw new ConfigException("gas.priority-fee-gwei", gweiText(tip), "at most gas.max-fee-cap-gwei ("
                    + gweiText(cap) + ")");
        }
        int multiplier = c.intValue("gas.base-fee-multiplier-percent", 200, 100, 1_000);
        BigDecimal bump = decimal(c, "gas.bump-percent", new BigDecimal("12.5"), new BigDecimal("12.5"),
                "a percentage from 12.5 to 100 with at most one decimal (nodes refuse a replacement raised by less "
                        + "than 12.5%)", d -> d.compareTo(BigDecimal.valueOf(100)) <= 0 && d.scale() <= 1);
        int bumpPerMille = bump.movePointRight(1).intValueExact();
        int replaceAfter = c.intValue("gas.replace-after-blocks", 3, 1, 100);
        int maxInFlight = c.intValue("gas.max-in-flight", 4, 1, 64);
        BigDecimal nativePrice = decimal(c, "gas.native-price-in-loan-token", null, new BigDecimal("1e-30"),
                "a positive decimal: how many loan-token whole units one native coin (1e18 wei) is worth, e.g. 3000 "
                        + "for ETH in a USD stablecoin", d -> true);
        int tipShare = c.intValue("gas.tip-share-percent", 0, 0, FeePolicy.MAX_TIP_SHARE_PERCENT);
        return new Gas(cap, tip, multiplier, bumpPerMille, replaceAfter, maxInFlight, nativePrice, tipShare);
    }

    /**
     * A decimal at {@code key}: {@code defaultValue} when absent (null: required), at least {@code min}, and passing
     * {@code ok}.
     */
    private static BigDecimal decimal(ConfigSource c, String key, BigDecimal defaultValue, BigDecimal min,
            String allowed, Predicate<BigDecimal> ok) {
        Optional<String> raw = c.optionalString(key);
        if (raw.isEmpty()) {
            if (defaultValue == null) {
                throw new ConfigException(key, null, "required: " + allowed + " (set it in the file or "
                        + c.envName(key) + ")");
            }
            return defaultValue;
        }
        BigDecimal d;
        try {
            d = new BigDecimal(raw.get().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, raw.get(), allowed);
        }
        d = d.stripTrailingZeros();
        if (d.scale() < 0) d = d.setScale(0);
        if (d.compareTo(min) < 0 || !ok.test(d)) throw new ConfigException(key, raw.get(), allowed);
        return d;
    }

    private static BigInteger gwei(BigDecimal gwei) {
        return gwei.movePointRight(9).toBigIntegerExact();
    }

    /** The same configuration with {@code dry-run} set to {@code dryRun} (the command-line flag wins). */
    public KeeperConfig withDryRun(boolean dryRun) {
        return new KeeperConfig(deployment, markets, rpc, database, follower, key, gas, liquidation, guard, dryRun,
                http);
    }

    /**
     * The markets of {@code file} to keep: those listed in {@code markets}, else all.
     *
     * @throws ConfigException naming {@code markets} when it lists an id the deployment file does not have
     */
    public List<DeploymentFile.Market> selectMarkets(DeploymentFile file) {
        if (markets.isEmpty()) return file.markets();
        List<DeploymentFile.Market> out = new ArrayList<>();
        for (long id : markets) {
            out.add(file.markets().stream().filter(m -> m.id().equals(BigInteger.valueOf(id))).findFirst()
                    .orElseThrow(() -> new ConfigException("markets", Long.toString(id), "ids of the deployment "
                            + "file " + deployment + ": " + file.markets().stream().map(m -> m.id().toString())
                            .toList())));
        }
        return List.copyOf(out);
    }

    /** The RPC guards: production defaults with this config's endpoints, timeout, rate limit and call slots. */
    public RpcConfig rpcConfig() {
        RpcConfig d = RpcConfig.defaults(rpc.httpUrls());
        return new RpcConfig(rpc.httpUrls(), rpc.timeout(), d.maxAttempts(), d.initialBackoff(), d.maxBackoff(),
                d.circuitWindow(), d.failureRatePercent(), d.circuitOpenDuration(), rpc.maxRequestsPerSecond(),
                rpc.maxConcurrentCalls());
    }

    /**
     * The RPC guards of the send endpoint ({@code send.rpc-url}): one endpoint, the read endpoints' timeout and
     * retries (re-sending the same signed bytes is idempotent); empty when transactions go to the read endpoints.
     */
    public Optional<RpcConfig> sendRpcConfig() {
        return rpc.sendUrl().map(url -> {
            RpcConfig d = RpcConfig.defaults(List.of(url));
            return new RpcConfig(List.of(url), rpc.timeout(), d.maxAttempts(), d.initialBackoff(), d.maxBackoff(),
                    d.circuitWindow(), d.failureRatePercent(), d.circuitOpenDuration(), rpc.maxRequestsPerSecond());
        });
    }

    /** How to follow {@code engine} (the book adds the oracles). */
    public FollowerConfig followerConfig(String engine) {
        // the shared follower's cautious first range: it grows while answers are small, shrinks while refused
        int initialRange = Math.min(FollowerConfig.DEFAULT_INITIAL_RANGE, follower.maxRange());
        return new FollowerConfig(rpcConfig(), rpc.wsUrl(), List.of(engine), List.of(), follower.confirmations(),
                initialRange, 1, follower.maxRange(), follower.pollInterval(), follower.reorgWindow());
    }

    /** The fee policy of {@code gas.*}. */
    public FeePolicy feePolicy() {
        return new FeePolicy(gas.maxFeeCap(), gas.priorityFee(), gas.baseFeeMultiplierPercent(), gas.bumpPerMille(),
                gas.tipSharePercent());
    }

    private static String gweiText(BigInteger wei) {
        return new BigDecimal(wei, 9).stripTrailingZeros().toPlainString();
    }
}

package io.isomargin.keeper;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.Redact;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcEndpoint;
import io.isomargin.abi.follower.RpcUnavailableException;
import io.isomargin.keeper.book.BookScope;
import io.isomargin.keeper.book.MirrorSnapshotReader;
import io.isomargin.keeper.config.KeeperConfig;
import io.isomargin.keeper.exec.CapitalFreeRoute;
import io.isomargin.keeper.exec.EngineCalls;
import io.isomargin.keeper.exec.ExecutionListener;
import io.isomargin.keeper.exec.LiquidationPlanner;
import io.isomargin.keeper.exec.TopUpFailure;
import io.isomargin.keeper.ops.KeeperHealth;
import io.isomargin.keeper.ops.KeeperMetrics;
import io.isomargin.keeper.ops.OpsServer;
import io.isomargin.keeper.risk.RiskConfig;
import io.isomargin.keeper.send.TxSender;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;

/**
 * {@code keeper run}: checks the node serves the deployment's chain, builds the {@link Keeper} from the configuration,
 * serves {@code /health}, {@code /metrics} and {@code /status}, and runs until the process is stopped (exit 0) or a
 * part fails (exit 1).
 */
public final class KeeperRunner implements KeeperApp {
    private static final Logger log = LoggerFactory.getLogger(KeeperRunner.class);
    /** Gas of a {@code liquidateBatch} besides its vaults, and per vault (from the forge gas snapshot, rounded up:
     * one liquidation ~150k, a batch of ten ~373k). */
    static final long BATCH_BASE_GAS = 130_000;
    static final long GAS_PER_VAULT = 30_000;
    /** Capital-free: the sale on top of a batch (callback, Uniswap V2 swap, exact approvals; forge snapshot: ~171k,
     * once per transaction whatever the batch's size), rounded up. */
    static final long SALE_GAS = 190_000;
    private static final Duration APPROVAL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration MIRROR_CATCH_UP = Duration.ofMinutes(2);
    /** The kinds of {@link KeeperHealth#reasons}, one metric each. */
    private static final List<String> HEALTH_CHECKS = List.of("starting", "stopped", "node-silent", "lagging",
            "stranded-transaction", "stuck-transaction", "no-gas");

    @Override
    public int run(KeeperConfig cfg, DeploymentFile deployment, Credentials key, KeeperMetrics metrics,
            PrintStream out) throws Exception {
        RpcClient rpc = RpcClient.connect(cfg.rpcConfig());
        for (RpcEndpoint e : rpc.endpoints()) { // every failed attempt, retried or final
            e.retry().getEventPublisher().onRetry(ev -> metrics.rpcError()).onError(ev -> metrics.rpcError());
        }
        RpcClient sendRpc = cfg.sendRpcConfig().map(RpcClient::connect).orElse(null);
        Vertx vertx = Vertx.vertx();
        Keeper keeper = null;
        OpsServer ops = null;
        try {
            checkChain(rpc, cfg, deployment);
            if (sendRpc != null) checkSendEndpoint(sendRpc, cfg, deployment);
            List<DeploymentFile.Market> markets = cfg.selectMarkets(deployment);
            Map<Long, String> oracles = new HashMap<>();
            Map<Long, String> loanTokens = new HashMap<>();
            Map<Long, Integer> decimals = new HashMap<>();
            Map<Long, String> collateralTokens = new HashMap<>();
            EngineCalls calls = new EngineCalls(rpc, deployment.engine(), key.getAddress());
            checkLens(calls, cfg, deployment);
            for (DeploymentFile.Market m : markets) {
                long id = m.id().longValueExact();
                oracles.put(id, m.oracle().toLowerCase(Locale.ROOT));
                loanTokens.put(id, m.loanToken());
                collateralTokens.put(id, m.collateralToken());
                decimals.put(id, calls.decimals(m.loanToken()));
            }
            CapitalFreeRoute route = cfg.liquidation().capitalFree() ? capitalFree(calls, cfg, deployment, markets,
                    key.getAddress()) : null;
            BookScope scope = new BookScope(deployment.engine(), deployment.deployBlock(), oracles,
                    guard(cfg, deployment));
            Optional<MirrorSnapshotReader> mirror = cfg.database().map(db -> new MirrorSnapshotReader(
                    MirrorSnapshotReader.Database.of(db), scope, rpc, MIRROR_CATCH_UP, cfg.follower().maxRange()));
            keeper = new Keeper(new Keeper.Parts(rpc, cfg.followerConfig(deployment.engine()), scope, mirror, key,
                    deployment.chainId(), cfg.feePolicy(), cfg.gas().replaceAfterBlocks(), cfg.gas().maxInFlight(),
                    new LiquidationPlanner(cfg.liquidation().maxBatch(), cfg.liquidation().gasBudget(),
                            BATCH_BASE_GAS + (route == null ? 0 : SALE_GAS), GAS_PER_VAULT,
                            cfg.liquidation().badDebtMaxLoss().isPresent()),
                    loanTokens, decimals, cfg.gas().nativePriceInLoanToken(), cfg.liquidation().minProfit(),
                    cfg.dryRun(), RiskConfig.defaults(), new MetricsListener(metrics), collateralTokens, route,
                    cfg.liquidation().badDebtMaxLoss().orElse(null), sendRpc));
            Keeper k = keeper;
            metrics.vaultsTracked(() -> k.status().trackedVaults());
            metrics.liquidatable(k::liquidatable);
            metrics.inFlight(() -> k.sender().inFlight().size());
            metrics.guarded(k::guarded);
            metrics.belowTrigger(k::belowTrigger);
            Supplier<KeeperHealth> health = () -> k.health(cfg.http().maxSilentBlocks());
            metrics.health(health, cfg.http().maxHealthyLag(), cfg.http().maxUnminedBlocks(), HEALTH_CHECKS);
            metrics.nativeBalance(k.executor()::nativeBalance);
            for (String token : new java.util.TreeSet<>(loanTokens.values())) {
                metrics.loanTokenBalance(token, k.executor()::loanBalances);
            }
            for (long market : loanTokens.keySet()) metrics.oracleAge(market, k::oracleAgeSeconds);
            ops = OpsServer.start(vertx, new OpsServer.Options(cfg.http().host(), cfg.http().port(),
                    cfg.http().maxHealthyLag(), cfg.http().maxUnminedBlocks()), health, k::status, metrics);
            out.println("keeper: " + key.getAddress() + " watching " + markets.size() + " market(s) of engine "
                    + deployment.engine() + " on chain " + deployment.chainId() + (cfg.dryRun() ? " (DRY RUN)" : "")
                    + (route == null ? "" : ", capital-free through " + route.liquidator() + " (max slippage "
                            + route.slippageBps() + " bps)")
                    + "; health, metrics and status on http://" + cfg.http().host() + ":" + ops.port());
            keeper.start(APPROVAL_TIMEOUT);
            return awaitStop(keeper, out);
        } finally {
            if (ops != null) ops.close();
            if (keeper != null) keeper.close();
            rpc.close();
            if (sendRpc != null) sendRpc.close();
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                    .exceptionally(t -> null).join();
        }
    }

    /**
     * {@code liquidation.mode: capital-free}: the deployment's SwapLiquidator and each followed market's pool, checked
     * before anything is sent: the file must list them, the liquidator must run on this engine and let the keeper's
     * key liquidate (owner or operator), and each pair must trade exactly the market's two tokens.
     *
     * @throws ConfigException naming {@code liquidation.mode} and what is missing or wrong (exit 2)
     */
    private static CapitalFreeRoute capitalFree(EngineCalls calls, KeeperConfig cfg, DeploymentFile deployment,
            List<DeploymentFile.Market> markets, String keeper) {
        String mode = KeeperConfig.Mode.CAPITAL_FREE.key();
        String file = cfg.deployment().toString();
        if (deployment.liquidator() == null || deployment.uniswap() == null) {
            throw new ConfigException("liquidation.mode", mode, "needs a deployment file listing a \"liquidator\" "
                    + "(SwapLiquidator) and \"uniswap\"; " + file + " has none (deploy with UNISWAP_DEPTH=<loan "
                    + "tokens per pool side>, or set liquidation.mode: funded)");
        }
        String liquidator = deployment.liquidator();
        Optional<String> engine;
        try {
            engine = calls.addressView(liquidator, "engine");
        } catch (RuntimeException e) {
            engine = Optional.empty();
        }
        if (engine.isEmpty() || !engine.get().equalsIgnoreCase(deployment.engine())) {
            throw new ConfigException("liquidation.mode", mode, "the deployment's liquidator " + liquidator
                    + " must be a SwapLiquidator of engine " + deployment.engine() + " (it reads "
                    + engine.orElse("nothing: no SwapLiquidator at that address") + ")");
        }
        String owner = calls.addressView(liquidator, "owner").orElse("");
        if (!owner.equalsIgnoreCase(keeper) && !calls.isOperator(liquidator, keeper)) {
            throw new ConfigException("liquidation.mode", mode, "the keeper's address " + keeper + " may not "
                    + "liquidate through the SwapLiquidator " + liquidator + ": its owner " + owner + " must call "
                    + "setOperator(" + keeper + ", true)");
        }
        Map<Long, CapitalFreeRoute.Pool> pools = new HashMap<>();
        for (DeploymentFile.Market m : markets) {
            if (m.pair() == null) {
                throw new ConfigException("liquidation.mode", mode, "market " + m.id() + " (" + m.name() + ") has "
                        + "no \"pair\" in " + file + ": capital-free liquidation sells on its Uniswap V2 pool (leave "
                        + "the market out with markets: [...] or create and list its pool)");
            }
            String t0 = calls.addressView(m.pair(), "token0").orElse("");
            String t1 = calls.addressView(m.pair(), "token1").orElse("");
            boolean loanFirst = t0.equalsIgnoreCase(m.loanToken()) && t1.equalsIgnoreCase(m.collateralToken());
            if (!loanFirst && !(t1.equalsIgnoreCase(m.loanToken()) && t0.equalsIgnoreCase(m.collateralToken()))) {
                throw new ConfigException("liquidation.mode", mode, "market " + m.id() + "'s pair " + m.pair()
                        + " must trade its loan token " + m.loanToken() + " against its collateral "
                        + m.collateralToken() + " (it trades " + t0 + " / " + t1 + ")");
            }
            pools.put(m.id().longValueExact(), new CapitalFreeRoute.Pool(m.pair(), loanFirst));
        }
        log.info("capital-free: liquidating through the SwapLiquidator {} (owner {}), selling on {} pool(s), at most "
                + "{} bps under the oracle", liquidator, owner, pools.size(), cfg.liquidation().maxSlippageBps());
        return new CapitalFreeRoute(liquidator, cfg.liquidation().maxSlippageBps(), pools);
    }

    /** The margin guard to top up through ({@code guard.enabled}), saying once why there is none. */
    private static Optional<String> guard(KeeperConfig cfg, DeploymentFile deployment) {
        Optional<String> guard = cfg.guard().guardOf(deployment);
        if (guard.isPresent()) {
            log.info("margin guard {}: guarded vaults under their trigger are topped up before any liquidation",
                    guard.get());
        } else if (!deployment.hasGuard()) {
            log.info("margin guard: none in the deployment file {}{}; top-ups are off", cfg.deployment(),
                    cfg.guard().enabled().orElse(false) ? " (guard.enabled is true)" : "");
        } else {
            log.info("margin guard {}: top-ups are off (guard.enabled: false)", deployment.guard());
        }
        return guard;
    }

    /**
     * The node must serve the deployment's chain before anything is signed.
     *
     * @throws NodeUnreachableException no endpoint answered (exit 3: worth a restart)
     * @throws ConfigException          an endpoint answered, but refused the call or serves another chain (exit 2)
     */
    private static void checkChain(RpcClient rpc, KeeperConfig cfg, DeploymentFile deployment) {
        String urls = String.join(", ", Redact.urls(cfg.rpc().httpUrls()));
        long chainId;
        try {
            chainId = rpc.call(Web3j::ethChainId).getChainId().longValueExact();
        } catch (RpcUnavailableException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            String reason = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            throw new NodeUnreachableException("node unreachable at start: no answer to eth_chainId from rpc.http-urls "
                    + urls + " (" + Redact.scrub(reason, cfg.rpc().httpUrls()).replace('\n', ' ') + ")");
        } catch (RuntimeException e) {
            throw new ConfigException("rpc.http-urls", urls, "must reach a node: " + e.getMessage());
        }
        if (chainId != deployment.chainId()) {
            throw new ConfigException("rpc.http-urls", urls,
                    "serves chain " + chainId + ", but the deployment file is for chain " + deployment.chainId());
        }
    }

    /**
     * The send endpoint ({@code send.rpc-url}) must serve the deployment's chain: a transaction signed for it and
     * sent elsewhere would never be mined. Unreachable at start: exit 3, as for the read endpoints.
     */
    private static void checkSendEndpoint(RpcClient send, KeeperConfig cfg, DeploymentFile deployment) {
        String url = Redact.url(cfg.rpc().sendUrl().orElseThrow());
        long chainId;
        try {
            chainId = send.call(Web3j::ethChainId).getChainId().longValueExact();
        } catch (RpcUnavailableException e) {
            throw new NodeUnreachableException("send endpoint unreachable at start: no answer to eth_chainId from "
                    + "send.rpc-url " + url + " (" + Redact.scrub(String.valueOf(e.getMessage()),
                    cfg.rpc().sendUrl().stream().toList()).replace('\n', ' ') + ")");
        } catch (RuntimeException e) {
            throw new ConfigException("send.rpc-url", url, "must reach a node: " + Redact.scrub(
                    String.valueOf(e.getMessage()), cfg.rpc().sendUrl().stream().toList()));
        }
        if (chainId != deployment.chainId()) {
            throw new ConfigException("send.rpc-url", url,
                    "serves chain " + chainId + ", but the deployment file is for chain " + deployment.chainId());
        }
    }

    /**
     * The deployment's lens must read its engine: the views the operators and the tests check the keeper against
     * (health, price, debt) come from it, so a deployment file naming another engine's lens is refused at start.
     */
    private static void checkLens(EngineCalls calls, KeeperConfig cfg, DeploymentFile deployment) {
        Optional<String> engine;
        try {
            engine = calls.lensEngine(deployment.lens());
        } catch (RuntimeException e) {
            engine = Optional.empty();
        }
        if (engine.isEmpty() || !engine.get().equalsIgnoreCase(deployment.engine())) {
            throw new ConfigException("deployment", cfg.deployment().toString(), "its lens " + deployment.lens()
                    + " must be the IsomarginLens of engine " + deployment.engine() + " (it reads "
                    + engine.orElse("nothing: no lens at that address") + ")");
        }
    }

    /** Until the process is stopped (a shutdown hook closes the keeper: exit 0) or a part fails (exit 1). */
    private static int awaitStop(Keeper keeper, PrintStream out) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            keeper.close();
            try {
                stopped.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "keeper-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            CompletableFuture.anyOf(keeper.follower().done(), keeper.executor().done()).get();
            if (keeper.follower().done().isCompletedExceptionally()
                    || keeper.executor().done().isCompletedExceptionally()) {
                Throwable cause = keeper.follower().done().isCompletedExceptionally()
                        ? keeper.follower().done().exceptionNow() : keeper.executor().done().exceptionNow();
                out.println("keeper: stopped on a failure: " + cause.getMessage());
                log.error("keeper failed", cause);
                return 1;
            }
            return 0;
        } catch (java.util.concurrent.ExecutionException e) {
            out.println("keeper: stopped on a failure: " + e.getCause().getMessage());
            log.error("keeper failed", e.getCause());
            return 1;
        } catch (InterruptedException e) {
            keeper.close();
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
    }

    /** The executor's reports as metrics. */
    private record MetricsListener(KeeperMetrics metrics) implements ExecutionListener {
        @Override
        public void sent(long marketId, List<Long> vaultIds, BigInteger expectedProfit, TxSender.Pending tx) {
            metrics.sent();
        }

        @Override
        public void outcome(TxSender.Outcome outcome, long marketId, BigInteger gasCostWei, int liquidated, int lost,
                BigInteger profit) {
            metrics.outcome(outcome);
            if (outcome.kind() == TxSender.Kind.MINED || outcome.kind() == TxSender.Kind.REVERTED) {
                metrics.sendToMined(outcome.tx().sinceFirstSent());
                if (marketId >= 0) metrics.profit(marketId, profit); // signed: a loss or a revert's gas counts too
                if (outcome.kind() == TxSender.Kind.MINED && marketId >= 0 && liquidated == 0) {
                    metrics.minedWithoutLiquidation();
                }
            }
            if (liquidated > 0) metrics.liquidated(marketId, liquidated);
        }

        @Override
        public void unprofitableNow(long marketId, int vaults) {
            metrics.unprofitableNow(marketId, vaults);
        }

        @Override
        public void skippedSwap(long marketId, int vaults) {
            metrics.swapSkipped(marketId, vaults);
        }

        @Override
        public void swapUnprofitableNow(long marketId, int vaults) {
            metrics.swapUnprofitableNow(marketId, vaults);
        }

        @Override
        public void lost(long marketId, int toOthers, int ours) {
            metrics.lost(toOthers, ours);
        }

        @Override
        public void sentAfterPriceUpdate(long marketId, Duration latency) {
            metrics.priceUpdateToSend(latency);
        }

        @Override
        public void topUpsSent(long marketId, List<Long> vaultIds, BigInteger expectedIncome, TxSender.Pending tx) {
            metrics.sent();
            metrics.topUpsSent(vaultIds.size());
        }

        @Override
        public void topUpOutcome(TxSender.Outcome outcome, long marketId, BigInteger gasCostWei, int toppedUp,
                int saved, int skipped, BigInteger profit) {
            metrics.outcome(outcome);
            if (outcome.kind() == TxSender.Kind.MINED || outcome.kind() == TxSender.Kind.REVERTED) {
                metrics.sendToMined(outcome.tx().sinceFirstSent());
                metrics.profit(marketId, profit); // fees earned less gas; a revert's gas alone
                metrics.toppedUp(marketId, toppedUp, saved, skipped);
            }
        }

        @Override
        public void topUpFailed(long marketId, long vaultId, TopUpFailure reason, String detail) {
            metrics.topUpFailed(reason.label());
        }
    }
}

package io.isomargin.keeper;

import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.tokens.TokenMetadata;
import io.isomargin.abi.tokens.TokenReader;
import io.isomargin.keeper.book.BookFollower;
import io.isomargin.keeper.book.BookScope;
import io.isomargin.keeper.book.MirrorSnapshotReader;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.config.KeeperConfig;
import io.isomargin.keeper.exec.CapitalFreeRoute;
import io.isomargin.keeper.exec.EngineCalls;
import io.isomargin.keeper.exec.ExecutionListener;
import io.isomargin.keeper.exec.GasPricing;
import io.isomargin.keeper.exec.GuardCalls;
import io.isomargin.keeper.exec.LiquidationExecutor;
import io.isomargin.keeper.exec.LiquidationPlanner;
import io.isomargin.keeper.exec.TopUpExecutor;
import io.isomargin.keeper.ops.KeeperHealth;
import io.isomargin.keeper.ops.KeeperStatus;
import io.isomargin.keeper.ops.StatusCollector;
import io.isomargin.keeper.risk.LiquidationDetector;
import io.isomargin.keeper.risk.RiskConfig;
import io.isomargin.keeper.send.FeePolicy;
import io.isomargin.keeper.send.NonceManager;
import io.isomargin.keeper.send.TxSender;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.web3j.crypto.Credentials;

/**
 * One keeper, wired: the chain (or the indexer's mirror, then the chain) feeds the {@link PositionBook}; the
 * {@link LiquidationDetector} judges every block and hands each market's liquidatable vaults to the
 * {@link LiquidationExecutor}, which simulates, checks profit and sends through the {@link TxSender}. Data flows one
 * way: follower -> book -> detector -> executor -> sender. When the scope follows a margin guard, the book holds its
 * policies, the detector finds the guarded vaults under their trigger and a {@link TopUpExecutor} tops them up before
 * the block's liquidations, through the same sender.
 */
public final class Keeper implements AutoCloseable {
    private static final Duration STATUS_EVERY = Duration.ofSeconds(2);

    /**
     * Everything a keeper is made of (the config file says how to build it).
     *
     * @param loanTokens          each followed market's loan token (from the deployment file)
     * @param loanDecimals        each market's loan-token decimals
     * @param nativePrice         whole loan tokens one native coin is worth, to price gas
     * @param minProfit           the least profit per transaction worth sending, in whole loan tokens
     * @param collateralTokens    each followed market's collateral token (from the deployment file): what a guard's
     *                            deposit top-up moves; needed only when {@code scope} follows a guard
     * @param capitalFree         capital-free liquidation through a SwapLiquidator ({@code liquidation.mode:
     *                            capital-free}); null: funded from the keeper's own loan-token balance
     * @param badDebtMaxLoss      whole loan tokens a transaction may lose to liquidate a vault whose liquidation
     *                            realizes bad debt ({@code liquidation.bad-debt-max-loss}); null: never at a loss (the
     *                            planner must then not keep such vaults either)
     * @param sendRpc             where signed transactions go ({@code send.rpc-url}); null: {@code rpc}
     */
    public record Parts(RpcClient rpc, FollowerConfig follow, BookScope scope, Optional<MirrorSnapshotReader> mirror,
            Credentials key, long chainId, FeePolicy fees, int replaceAfterBlocks, int maxInFlight,
            LiquidationPlanner planner, Map<Long, String> loanTokens, Map<Long, Integer> loanDecimals,
            BigDecimal nativePrice, BigDecimal minProfit, boolean dryRun, RiskConfig risk,
            ExecutionListener listener, Map<Long, String> collateralTokens, CapitalFreeRoute capitalFree,
            BigDecimal badDebtMaxLoss, RpcClient sendRpc) {
        public Parts {
            Objects.requireNonNull(rpc, "rpc");
            Objects.requireNonNull(key, "key");
            loanTokens = Map.copyOf(loanTokens);
            loanDecimals = Map.copyOf(loanDecimals);
            collateralTokens = Map.copyOf(collateralTokens);
            if (sendRpc == null) sendRpc = rpc;
        }

        /** Transactions to the read endpoints. */
        public Parts(RpcClient rpc, FollowerConfig follow, BookScope scope, Optional<MirrorSnapshotReader> mirror,
                Credentials key, long chainId, FeePolicy fees, int replaceAfterBlocks, int maxInFlight,
                LiquidationPlanner planner, Map<Long, String> loanTokens, Map<Long, Integer> loanDecimals,
                BigDecimal nativePrice, BigDecimal minProfit, boolean dryRun, RiskConfig risk,
                ExecutionListener listener, Map<Long, String> collateralTokens, CapitalFreeRoute capitalFree,
                BigDecimal badDebtMaxLoss) {
            this(rpc, follow, scope, mirror, key, chainId, fees, replaceAfterBlocks, maxInFlight, planner, loanTokens,
                    loanDecimals, nativePrice, minProfit, dryRun, risk, listener, collateralTokens, capitalFree,
                    badDebtMaxLoss, null);
        }

        /** Never at a loss. */
        public Parts(RpcClient rpc, FollowerConfig follow, BookScope scope, Optional<MirrorSnapshotReader> mirror,
                Credentials key, long chainId, FeePolicy fees, int replaceAfterBlocks, int maxInFlight,
                LiquidationPlanner planner, Map<Long, String> loanTokens, Map<Long, Integer> loanDecimals,
                BigDecimal nativePrice, BigDecimal minProfit, boolean dryRun, RiskConfig risk,
                ExecutionListener listener, Map<Long, String> collateralTokens, CapitalFreeRoute capitalFree) {
            this(rpc, follow, scope, mirror, key, chainId, fees, replaceAfterBlocks, maxInFlight, planner, loanTokens,
                    loanDecimals, nativePrice, minProfit, dryRun, risk, listener, collateralTokens, capitalFree, null);
        }

        /** Funded. */
        public Parts(RpcClient rpc, FollowerConfig follow, BookScope scope, Optional<MirrorSnapshotReader> mirror,
                Credentials key, long chainId, FeePolicy fees, int replaceAfterBlocks, int maxInFlight,
                LiquidationPlanner planner, Map<Long, String> loanTokens, Map<Long, Integer> loanDecimals,
                BigDecimal nativePrice, BigDecimal minProfit, boolean dryRun, RiskConfig risk,
                ExecutionListener listener, Map<Long, String> collateralTokens) {
            this(rpc, follow, scope, mirror, key, chainId, fees, replaceAfterBlocks, maxInFlight, planner, loanTokens,
                    loanDecimals, nativePrice, minProfit, dryRun, risk, listener, collateralTokens, null);
        }

        /** Without collateral tokens (a scope without a guard). */
        public Parts(RpcClient rpc, FollowerConfig follow, BookScope scope, Optional<MirrorSnapshotReader> mirror,
                Credentials key, long chainId, FeePolicy fees, int replaceAfterBlocks, int maxInFlight,
                LiquidationPlanner planner, Map<Long, String> loanTokens, Map<Long, Integer> loanDecimals,
                BigDecimal nativePrice, BigDecimal minProfit, boolean dryRun, RiskConfig risk,
                ExecutionListener listener) {
            this(rpc, follow, scope, mirror, key, chainId, fees, replaceAfterBlocks, maxInFlight, planner, loanTokens,
                    loanDecimals, nativePrice, minProfit, dryRun, risk, listener, Map.of());
        }
    }

    private final PositionBook book = new PositionBook();
    private final TxSender sender;
    private final LiquidationExecutor executor;
    private final LiquidationDetector detector;
    private final BookFollower follower;
    private final boolean dryRun;
    private final String liquidationMode;
    private final StatusCollector status;

    public Keeper(Parts p) {
        EngineCalls calls = new EngineCalls(p.rpc(), p.scope().engine(), p.key().getAddress(), p.capitalFree());
        Map<Long, LiquidationExecutor.MarketToken> tokens = new HashMap<>();
        for (long market : p.scope().oracleByMarket().keySet()) {
            String loan = p.loanTokens().get(market);
            Integer decimals = p.loanDecimals().get(market);
            if (loan == null || decimals == null) {
                throw new IllegalArgumentException("market " + market + ": loan token or its decimals unknown");
            }
            tokens.put(market, new LiquidationExecutor.MarketToken(loan, GasPricing.of(p.nativePrice(), decimals),
                    p.minProfit().movePointRight(decimals).setScale(0, RoundingMode.CEILING).toBigIntegerExact(),
                    p.badDebtMaxLoss() == null ? null : p.badDebtMaxLoss().movePointRight(decimals)
                            .setScale(0, RoundingMode.FLOOR).toBigIntegerExact()));
        }
        this.sender = new TxSender(p.rpc(), p.sendRpc(), p.key(), p.chainId(), p.fees(),
                new NonceManager(p.rpc(), p.key().getAddress()), p.replaceAfterBlocks(), p.maxInFlight());
        TopUpExecutor topUps = p.scope().guard().map(guard -> new TopUpExecutor(
                new GuardCalls(p.rpc(), guard, p.key().getAddress(), calls::simulateAt), sender, p.fees(),
                topUpTokens(p, tokens), p.dryRun(), p.listener())).orElse(null);
        this.executor = new LiquidationExecutor(calls, sender, p.fees(), p.planner(), tokens, p.dryRun(),
                p.listener(), topUps);
        this.status = new StatusCollector(book, STATUS_EVERY, marketLabels(p));
        this.detector = new LiquidationDetector(book, p.risk(), c -> {
            executor.accept(c);
            status.accept(c);
        });
        book.listener(detector);
        this.follower = new BookFollower(p.rpc(), p.follow(), p.scope(), p.mirror(), book, detector);
        this.dryRun = p.dryRun();
        this.liquidationMode = (p.capitalFree() != null ? KeeperConfig.Mode.CAPITAL_FREE : KeeperConfig.Mode.FUNDED)
                .key();
    }

    /** Each market's tokens as a top-up moves them. */
    private static Map<Long, TopUpExecutor.MarketTokens> topUpTokens(Parts p,
            Map<Long, LiquidationExecutor.MarketToken> tokens) {
        Map<Long, TopUpExecutor.MarketTokens> out = new HashMap<>();
        tokens.forEach((market, t) -> {
            String collateral = p.collateralTokens().get(market);
            if (collateral == null) {
                throw new IllegalArgumentException("market " + market + ": collateral token unknown (needed for "
                        + "the margin guard's top-ups)");
            }
            out.put(market, new TopUpExecutor.MarketTokens(t.loanToken(), collateral, t.gasPricing()));
        });
        return out;
    }

    /** Approves the loan tokens (waiting at most {@code approvalTimeout}), then starts executing and following. */
    public Keeper start(Duration approvalTimeout) throws Exception {
        executor.ensureApprovals(approvalTimeout);
        executor.start();
        follower.start();
        return this;
    }

    public PositionBook book() {
        return book;
    }

    public LiquidationDetector detector() {
        return detector;
    }

    public TxSender sender() {
        return sender;
    }

    public BookFollower follower() {
        return follower;
    }

    public LiquidationExecutor executor() {
        return executor;
    }

    public boolean dryRun() {
        return dryRun;
    }

    /**
     * Each followed market's name and tokens for {@code /status}: the symbol and decimals of its loan and collateral
     * tokens (from the deployment file), each token read once ({@link TokenReader}: a token whose {@code symbol()}
     * reverts is named by its short address; a transient RPC failure is thrown, at start, rather than a wrong name).
     * A market whose collateral token the parts do not name gets none.
     */
    private static Map<Long, KeeperStatus.MarketLabel> marketLabels(Parts p) {
        TokenReader reader = new TokenReader(p.rpc());
        Map<String, TokenMetadata> read = new HashMap<>();
        Map<Long, KeeperStatus.MarketLabel> labels = new HashMap<>();
        for (long market : p.scope().oracleByMarket().keySet()) {
            String loan = p.loanTokens().get(market);
            String collateral = p.collateralTokens().get(market);
            if (loan == null || collateral == null) continue;
            TokenMetadata l = read.computeIfAbsent(loan.toLowerCase(java.util.Locale.ROOT), reader::read);
            TokenMetadata c = read.computeIfAbsent(collateral.toLowerCase(java.util.Locale.ROOT), reader::read);
            labels.put(market, new KeeperStatus.MarketLabel(market, l, c));
        }
        return labels;
    }

    /** What {@code /status} shows (any thread). */
    public KeeperStatus status() {
        return status.status(sender, dryRun, liquidationMode);
    }

    /**
     * What {@code /health} reports now (any thread, cheap): following state, how long the node has been silent
     * against {@code maxSilentBlocks} observed block times, the oldest unmined and stranded transactions, whether
     * gas can be paid, and the markets' named conditions.
     */
    public KeeperHealth health(int maxSilentBlocks) {
        if (!follower.started()) return KeeperHealth.starting(follower.sinceHeadAnswer());
        long head = follower.head();
        long oldest = sender.inFlight().stream().mapToLong(TxSender.Pending::firstSentBlock).min().orElse(-1);
        int stranded = (int) sender.inFlight().stream().filter(TxSender.Pending::stranded).count();
        return new KeeperHealth(follower.appliedBlock(), head,
                !follower.done().isDone() && !executor.done().isDone(), sender.inFlight().size(),
                follower.sinceHeadAnswer(), follower.blockInterval().multipliedBy(maxSilentBlocks),
                oldest < 0 || head < 0 ? 0 : Math.max(0, head - oldest), stranded, executor.gasProblem(),
                status.conditions().stream().map(KeeperStatus.Condition::toString).toList());
    }

    /** Seconds between each market's latest oracle answer and the block it was judged at (any thread). */
    public Map<Long, Long> oracleAgeSeconds() {
        return status.oracleAgeSeconds();
    }

    /** Guarded vaults (a live margin-guard policy, the vault armed) at the latest judged block (any thread). */
    public long guarded() {
        return status.guarded();
    }

    /** Guarded vaults under their top-up trigger at the latest judged block (any thread). */
    public long belowTrigger() {
        return status.belowTrigger();
    }

    /** Liquidatable vaults at the latest judged block (any thread). */
    public long liquidatable() {
        return status.liquidatable();
    }

    @Override
    public void close() {
        follower.close();
        executor.close();
    }
}

package io.isomargin.keeper.exec;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.SwapLiquidator;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.keeper.exec.EngineCalls.BatchResult;
import io.isomargin.keeper.exec.LiquidationPlanner.Plan;
import io.isomargin.keeper.exec.LiquidationPlanner.Planned;
import io.isomargin.keeper.risk.CandidateSink;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.TopUpCandidate;
import io.isomargin.keeper.send.FeePolicy;
import io.isomargin.keeper.send.GasAboveCapException;
import io.isomargin.keeper.send.TxSender;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Turns the detector's candidates into liquidation transactions, on its own thread so the book never waits for RPC:
 * per block it follows its transactions in flight ({@link TxSender#onBlock}), then for each market works in waves: it
 * plans every batch it may send now ({@link LiquidationPlanner}, until the candidates, the capital or the in-flight
 * limit run out), simulates them all at once with {@code eth_call} from the keeper's address (vaults that another
 * liquidator took or that became healthy are found here, one by one, and dropped: no send is wasted on them) at the
 * gas a market's {@link LiquidationGasModel} gives them (learned from the node's estimates and our receipts, so a
 * batch costs the node one execution, not an estimate's several; without a model yet, or when the simulation runs out
 * of the model's gas, the node's estimate), checks {@code seized value - repaid - fee - gas >= min profit} for each,
 * and sends them together, with a margin on that gas for state that changes before they are mined, through
 * {@code liquidateBatch} (or, in dry-run, logs what it would send): one wave costs one round trip
 * to the node, not one per batch. A batch lists each vault once, ids increasing, as the engine requires; a vault
 * that stays liquidatable after a partial liquidation takes its next round in the next wave of the same block,
 * simulated against the pending state the first wave left. A plan of a single vault is sent as {@code liquidate(vault, max, minSeized, ...)} with
 * {@code minSeized} the collateral the keeper's own quote expects, so it reverts rather than seize less (another
 * liquidator got there first, the price moved). A vault stays out of new batches of later blocks while one of our
 * transactions holds it; a reverted transaction's vaults are recorded as lost and only come back through a fresh
 * simulation, never by a blind re-send.
 *
 * <p>Capital: the keeper's own loan-token balance, approved to the engine once at start ({@link #ensureApprovals});
 * seized collateral accrues to the keeper's address. Capital-free ({@link EngineCalls#route()}): no balance and no
 * approval; liquidations go through the route's SwapLiquidator, which sells the seized collateral on the market's
 * pool and repays from the proceeds. Each block the executor reads the pools' reserves and plans on them
 * ({@link SaleModel}): a vault's profit is what the pool pays for its collateral less what the engine is owed, each
 * batch's sale is quoted on the pool the block's earlier batches leave, a vault or batch whose sale would lose (under
 * the contract's slippage floor, or not covering what is owed plus gas) is skipped and counted
 * ({@link ExecutionListener#skippedSwap}), and a mined transaction's profit is the sale's (the liquidator's
 * {@code CollateralSold} events) less gas.
 *
 * <p>Margin guard: with a {@link TopUpExecutor}, a block runs in three phases. First, for every market, the
 * liquidations no top-up of ours can change: every vault but those a top-up of ours holds (sent, in flight, or mined
 * in a block the candidates do not show yet) or may save this block ({@link TopUpExecutor#claim}), leaving free the
 * in-flight slots every market's top-ups may need; they do not wait for the top-ups' simulations, which take seconds
 * on a slow node. Then the top-ups of every market, and then, per market, the liquidations of the claimed vaults whose
 * top-up did not go (and of every vault the first phase left for want of a slot). Between a profitable liquidation
 * and a top-up that saves the vault, the top-up goes; a vault whose top-up cannot run is liquidated as usual, in the
 * same block. A market's liquidations that fail (an RPC outage) are logged and the other markets and the top-ups
 * still go.
 */
public final class LiquidationExecutor implements CandidateSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiquidationExecutor.class);
    private static final BigInteger HALF_MAX = BigInteger.TWO.pow(255);
    /**
     * Gas per vault on top of an estimate. Measured in {@code KeeperLiquidationTest}: 8 partial rounds estimated, then
     * run as the rounds that seize everything and write bad debt off, used 5,381 gas more (~700 a vault); 10,000 a
     * vault is 14x that, for paths no test has priced (a reported race ran out of gas at 1.25x its estimate), yet
     * small beside a round's ~27,000, since a block builder reserves gas limits and larger limits fit fewer batches
     * into a block.
     */
    static final long STATE_HEADROOM_PER_VAULT = 10_000;
    /**
     * The most gas one transaction may have (EIP-7825, from Osaka: 2^24). A node refuses a transaction, and an
     * {@code eth_call}, with a larger limit ("transaction gas limit ... is greater than the cap"), so no limit the
     * keeper sends or simulates with goes above it.
     */
    public static final long MAX_TX_GAS = 16_777_216;
    /** Waves of batches per market and block (a wave stops at the in-flight limit; the next one takes what is left). */
    private static final int MAX_WAVES = 8;
    /** Batches prepared at once in a wave when the in-flight limit does not bound it (dry run). */
    private static final int MAX_WAVE_BATCHES = 64;
    /** How many vaults we liquidated are remembered, to tell a vault lost to others from one we already took. */
    private static final int RECENTLY_OURS = 10_000;

    /** A market's loan token and the price of gas in it. */
    public record MarketToken(String loanToken, GasPricing gasPricing, BigInteger minProfit, BigInteger badDebtMaxLoss) {
        /** Without liquidations at a loss. */
        public MarketToken(String loanToken, GasPricing gasPricing, BigInteger minProfit) {
            this(loanToken, gasPricing, minProfit, null);
        }

        /**
         * Whether a batch expected to earn {@code profit} (after gas) is not worth sending: under the minimum profit,
         * unless it realizes bad debt and loses at most {@link #badDebtMaxLoss} (null: never at a loss).
         */
        boolean unprofitable(BigInteger profit, boolean realizesBadDebt) {
            if (profit.compareTo(minProfit) >= 0) return false;
            return !(realizesBadDebt && badDebtMaxLoss != null && profit.negate().compareTo(badDebtMaxLoss) <= 0);
        }
    }

    private record Held(long marketId, List<Long> vaultIds, BigInteger price, BigInteger capital) {}

    /** A transaction sent (or, in dry-run, that would be): the vaults it holds and the capital it spends. */
    private record Sent(List<Long> vaultIds, BigInteger capital) {}

    private final EngineCalls calls;
    private final TxSender sender;
    private final FeePolicy fees;
    private final LiquidationPlanner planner;
    private final LiquidationGasModel gasModel;
    private final Map<Long, MarketToken> tokens;
    private final boolean dryRun;
    private final ExecutionListener listener;
    private final TopUpExecutor topUps; // null without a margin guard
    private final CapitalFreeRoute route; // null: funded
    private final BlockingQueue<LiquidationCandidates> queue = new LinkedBlockingQueue<>();
    private final Map<Long, Held> held = new HashMap<>(); // by nonce; executor thread only
    private final Map<Long, Integer> heldVaults = new HashMap<>(); // vault -> our transactions holding it
    private final Map<Long, Long> ours = new java.util.LinkedHashMap<>(16, 0.75f, false) { // vault -> block we took it
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > RECENTLY_OURS;
        }
    };
    private final Map<Long, Long> priceUpdates = new java.util.concurrent.ConcurrentHashMap<>(); // market -> nanos
    private final Map<String, BigInteger> loanBalances = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile BigInteger nativeBalance;
    private volatile String gasProblem;
    private BigInteger balanceAtRefusal; // native balance when the node last refused for lack of funds
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final java.util.concurrent.ExecutorService preparing =
            java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor(); // simulations of a wave, side by side
    private volatile boolean running;
    private volatile long lastBlock = -1;
    private Thread thread;

    public LiquidationExecutor(EngineCalls calls, TxSender sender, FeePolicy fees, LiquidationPlanner planner,
            Map<Long, MarketToken> tokens, boolean dryRun, ExecutionListener listener) {
        this(calls, sender, fees, planner, tokens, dryRun, listener, null);
    }

    /**
     * @param topUps tops up guarded vaults before each block's liquidations (null: no margin guard); it must send
     *               through the same {@code sender}
     */
    public LiquidationExecutor(EngineCalls calls, TxSender sender, FeePolicy fees, LiquidationPlanner planner,
            Map<Long, MarketToken> tokens, boolean dryRun, ExecutionListener listener, TopUpExecutor topUps) {
        this.topUps = topUps;
        this.calls = Objects.requireNonNull(calls, "calls");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.fees = Objects.requireNonNull(fees, "fees");
        this.planner = Objects.requireNonNull(planner, "planner");
        this.gasModel = new LiquidationGasModel(planner);
        this.tokens = Map.copyOf(tokens);
        this.dryRun = dryRun;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.route = calls.route();
    }

    /**
     * Approves every market's loan token to the engine when the allowance is below 2^255, waiting (at most
     * {@code timeout}) until each approval is mined. In dry-run it only logs what it would approve.
     */
    public void ensureApprovals(Duration timeout) throws InterruptedException {
        if (route != null) {
            log.info("capital-free: liquidations go through the SwapLiquidator {} (sales at most {} bps under the "
                    + "oracle); no loan token and no approval needed", route.liquidator(), route.slippageBps());
            return;
        }
        Set<String> seen = new HashSet<>();
        for (MarketToken t : tokens.values()) {
            if (!seen.add(t.loanToken()) || calls.allowance(t.loanToken()).compareTo(HALF_MAX) >= 0) continue;
            if (dryRun) {
                log.info("dry-run: would approve loan token {} to the engine", t.loanToken());
                continue;
            }
            EthBlock.Block b = calls.latestBlock();
            TxSender.Pending p = sender.send(new TxSender.Request(t.loanToken(), calls.approveMaxData(),
                    BigInteger.valueOf(100_000), "approve " + t.loanToken()), baseFee(b), b.getNumber().longValueExact());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (sender.inFlight().contains(p)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the approval of " + t.loanToken() + " (" + p.hash()
                            + ") was not mined within " + timeout);
                }
                Thread.sleep(200);
                EthBlock.Block now = calls.latestBlock();
                for (TxSender.Outcome o : sender.onBlock(now.getNumber().longValueExact(), baseFee(now))) {
                    // a receipt not served yet while the nonce already moved reads as DROPPED: the allowance decides
                    if (o.kind() == TxSender.Kind.DROPPED && calls.allowance(t.loanToken()).compareTo(HALF_MAX) >= 0) {
                        continue;
                    }
                    if (o.kind() == TxSender.Kind.REVERTED || o.kind() == TxSender.Kind.DROPPED) {
                        throw new IllegalStateException("the approval of " + t.loanToken() + " failed: " + o.detail());
                    }
                }
            }
            log.info("approved loan token {} to the engine", t.loanToken());
        }
    }

    /** Starts the executor's thread. */
    public synchronized LiquidationExecutor start() {
        if (thread != null) throw new IllegalStateException("executor already started");
        running = true;
        thread = Thread.ofPlatform().name("keeper-executor").daemon().start(this::run);
        return this;
    }

    /** Called by the detector on the book's thread: queues and returns at once. */
    @Override
    public void accept(LiquidationCandidates candidates) {
        if (candidates.priceUpdateNanos() != 0 && !candidates.vaults().isEmpty()) {
            priceUpdates.putIfAbsent(candidates.marketId(), candidates.priceUpdateNanos());
        }
        queue.offer(candidates);
    }

    /** The keeper's native balance at the last block acted on (null before the first). */
    public BigInteger nativeBalance() {
        return nativeBalance;
    }

    /** Each loan token's balance held by the keeper at the last block acted on. */
    public Map<String, BigInteger> loanBalances() {
        return Map.copyOf(loanBalances);
    }

    /**
     * Why the keeper cannot pay gas now (its native balance is under one liquidation's gas at the current fee, or
     * the node refused a transaction for insufficient funds), or null. Never set in dry-run.
     */
    public String gasProblem() {
        return gasProblem;
    }

    /** The last block the executor acted on. */
    public long lastBlock() {
        return lastBlock;
    }

    /** Completes when the executor stops; exceptionally if it failed. */
    public CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        preparing.shutdownNow();
        if (topUps != null) topUps.close();
        done.complete(null);
    }

    private void run() {
        try {
            while (running) {
                LiquidationCandidates first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) continue;
                List<LiquidationCandidates> drained = new ArrayList<>();
                drained.add(first);
                queue.drainTo(drained);
                // only the newest judgement of each market matters
                Map<Long, LiquidationCandidates> latest = new TreeMap<>();
                for (LiquidationCandidates c : drained) {
                    latest.merge(c.marketId(), c, (a, b) -> b.block() >= a.block() ? b : a);
                }
                try {
                    step(latest);
                } catch (RuntimeException e) { // an RPC outage or a node's odd answer: skip this block, keep running
                    log.warn("executor: block skipped: {}", e.toString());
                }
            }
            done.complete(null);
        } catch (InterruptedException e) {
            done.complete(null);
        } catch (Throwable t) {
            log.error("executor stopped", t);
            done.completeExceptionally(t);
        }
    }

    private void step(Map<Long, LiquidationCandidates> latest) {
        EthBlock.Block head = calls.latestBlock();
        long block = head.getNumber().longValueExact();
        BigInteger baseFee = baseFee(head);
        if (block > lastBlock) {
            for (TxSender.Outcome o : sender.onBlock(block, baseFee)) {
                if (topUps == null || !topUps.settle(o)) settle(o);
            }
            releaseSettledElsewhere();
            try {
                readBalances(baseFee);
            } catch (RuntimeException e) { // what the operator watches must not stop liquidations
                log.warn("reading balances at #{} failed: {}", block, e.toString());
            }
            lastBlock = block;
        }
        unprofitable.clear();
        swapSkipped.clear();
        // 1. the liquidations no top-up of ours can change, for every market, first: they do not wait for the top-ups'
        //    simulations (seconds, on a slow node). A vault a top-up of ours holds or may save this block stays out,
        //    and so do the in-flight slots the top-ups of every market may need.
        Map<Long, TopUpExecutor.Claim> claims = new HashMap<>();
        int forTopUps = 0;
        for (LiquidationCandidates c : latest.values()) {
            TopUpExecutor.Claim claim = topUps == null ? TopUpExecutor.Claim.NONE : topUps.claim(c, block);
            claims.put(c.marketId(), claim);
            forTopUps += claim.batches();
        }
        // the top-ups of the claimed vaults that are liquidatable, each simulated alone meanwhile
        Map<Long, CompletableFuture<Map<TopUpCandidate, GuardCalls.Simulation>>> rechecks = new HashMap<>();
        if (topUps != null) {
            for (LiquidationCandidates c : latest.values()) rechecks.put(c.marketId(), topUps.recheck(c, block));
        }
        Set<Long> starved = new HashSet<>(); // markets whose first phase found no slot left
        for (LiquidationCandidates c : latest.values()) {
            if (liquidate(c, block, baseFee, claims.get(c.marketId()).vaults(), forTopUps)) starved.add(c.marketId());
        }
        // those the guard refuses: liquidated now, in every market, rather than after every other top-up's simulation;
        // their refusals counted after (naming the limit that binds takes reads of its own)
        Map<Long, Map<TopUpCandidate, GuardCalls.Simulation>> rechecked = new java.util.LinkedHashMap<>(); // by market
        for (LiquidationCandidates c : topUps == null ? List.<LiquidationCandidates>of() : latest.values()) {
            Map<TopUpCandidate, GuardCalls.Simulation> sims;
            try {
                var f = rechecks.get(c.marketId());
                sims = f == null ? Map.of() : f.join();
            } catch (RuntimeException e) { // left to the block's top-ups and last phase
                sims = Map.of();
            }
            rechecked.put(c.marketId(), sims);
            Set<Long> again = TopUpExecutor.refusedAmong(sims);
            if (again.isEmpty()) continue;
            Set<Long> keepOut = new HashSet<>();
            for (var v : c.vaults()) if (!again.contains(v.vaultId())) keepOut.add(v.vaultId());
            liquidate(c, block, baseFee, keepOut, forTopUps);
        }
        rechecked.forEach((marketId, sims) -> topUps.rechecked(marketId, sims)); // empty without a guard
        if (topUps == null) {
            for (LiquidationCandidates c : latest.values()) reportMarket(c);
            return;
        }
        // 2. the top-ups of every market, of vaults no liquidation of ours holds
        Map<Long, Set<Long>> toppingUp = new HashMap<>();
        for (LiquidationCandidates c : latest.values()) {
            try {
                toppingUp.put(c.marketId(), topUps.run(c, block, baseFee, heldVaults.keySet()));
            } catch (RuntimeException e) { // the liquidations still go
                log.warn("market {}: top-ups skipped at #{}: {}", c.marketId(), block, e.toString());
                toppingUp.put(c.marketId(), topUps.heldVaults());
            }
        }
        // 3. the claimed vaults whose top-up does not go, liquidated as usual in this block; and every vault the first
        //    phase left for want of a slot (the top-ups may have needed fewer than it kept free)
        for (LiquidationCandidates c : latest.values()) {
            Set<Long> keepOut = new HashSet<>(toppingUp.get(c.marketId()));
            if (!starved.contains(c.marketId())) {
                Set<Long> claimed = claims.get(c.marketId()).vaults();
                for (var v : c.vaults()) if (!claimed.contains(v.vaultId())) keepOut.add(v.vaultId());
            }
            boolean any = false;
            for (var v : c.vaults()) any |= !keepOut.contains(v.vaultId());
            if (any) liquidate(c, block, baseFee, keepOut, 0);
            reportMarket(c);
        }
    }

    /**
     * {@link #executeMarket}, its failure logged rather than thrown (the other markets, and the top-ups, still go);
     * true when it sent nothing for want of an in-flight slot.
     */
    private boolean liquidate(LiquidationCandidates c, long block, BigInteger baseFee, Set<Long> keepOut,
            int slotsForTopUps) {
        try {
            return executeMarket(c, block, baseFee, keepOut, slotsForTopUps);
        } catch (RuntimeException e) { // an RPC outage or a node's odd answer
            log.warn("market {}: liquidations at #{} stopped: {}", c.marketId(), block, e.toString());
            return false;
        }
    }

    /** The balances the operator watches, once per block, and whether the native one pays for a liquidation. */
    private void readBalances(BigInteger baseFee) {
        BigInteger wei = calls.nativeBalance();
        nativeBalance = wei;
        for (MarketToken t : tokens.values()) loanBalances.put(t.loanToken(), calls.balanceOf(t.loanToken()));
        if (dryRun) return;
        BigInteger perGas;
        try {
            perGas = fees.initial(baseFee).maxFeePerGas();
        } catch (GasAboveCapException e) {
            perGas = fees.maxFeeCap();
        }
        BigInteger need = BigInteger.valueOf(planner.gasFor(1)).multiply(perGas);
        if (sender.fundsProblem() == null) {
            balanceAtRefusal = null;
        } else if (balanceAtRefusal == null) {
            balanceAtRefusal = wei;
        } else if (wei.compareTo(balanceAtRefusal) > 0) { // topped up since the node refused for lack of funds
            sender.clearFundsProblem();
            balanceAtRefusal = null;
        }
        String refused = sender.fundsProblem();
        if (wei.compareTo(need) < 0) {
            gasProblem = "native balance " + wei + " wei of " + sender.address() + " is under the " + need
                    + " wei one liquidation's gas takes at " + perGas + " wei per gas";
        } else if (refused != null) {
            gasProblem = "the node refused a transaction of " + sender.address() + ": " + refused;
        } else {
            gasProblem = null;
        }
    }

    /** The block's per-market counts, reported once both liquidation phases of the block have run. */
    private void reportMarket(LiquidationCandidates c) {
        long marketId = c.marketId();
        listener.unprofitableNow(marketId, unprofitable.getOrDefault(marketId, 0));
        if (route != null) {
            Set<Long> skipped = swapSkipped.getOrDefault(marketId, Set.of());
            if (!skipped.isEmpty()) listener.skippedSwap(marketId, skipped.size());
            listener.swapUnprofitableNow(marketId, skipped.size());
            Set<Long> before = lastSwapSkipped.put(marketId, Set.copyOf(skipped));
            if (!skipped.isEmpty() && !skipped.equals(before)) { // said when it changes, not every block
                log.info("market {}: {} vault(s) skipped at #{}: selling their seized collateral on the pool would "
                        + "lose (under the floor of {} bps below the oracle or what is owed, or not paying its "
                        + "gas): {}", marketId, skipped.size(), c.block(), route.slippageBps(),
                        new java.util.TreeSet<>(skipped));
            }
        }
        if (c.vaults().isEmpty()) priceUpdates.remove(marketId);
    }

    private final Map<Long, Integer> unprofitable = new HashMap<>(); // by market: vaults skipped as unprofitable
    private final Map<Long, Set<Long>> swapSkipped = new HashMap<>(); // capital-free, by market: sales that would lose
    private final Map<Long, Set<Long>> lastSwapSkipped = new HashMap<>(); // by market: the last block's, for the log

    /**
     * Sends as many batches for one market as the candidates, the capital and the in-flight limit allow, in waves:
     * each wave plans batches of distinct vaults that no transaction still in flight holds, prepares them side by side
     * ({@link #prepare}: simulation, estimate, profit), reports each as it is ready ({@link #report}) and sends the
     * sendable ones together ({@link TxSender#sendAll}: consecutive nonces, broadcast side by side). A crash that leaves
     * hundreds of vaults liquidatable is therefore sent in one go, several batches in the same block. Later rounds of
     * partially liquidated vaults go in the next wave; stops when a wave sends nothing or nothing is left to plan.
     *
     * @param keepOut vaults left out of this call's batches (a top-up's, or those of the other phase of the block)
     * @param slotsForTopUps in-flight slots left free for the block's top-ups
     * @return true when it planned nothing because every slot it may use was taken or kept for the top-ups
     */
    private boolean executeMarket(LiquidationCandidates c, long block, BigInteger baseFee, Set<Long> keepOut,
            int slotsForTopUps) {
        if (c.vaults().isEmpty()) return false;
        long marketId = c.marketId();
        if (!c.priceUsable()) {
            listener.notSent(marketId, "price unusable: " + c.priceProblem());
            return false;
        }
        MarketToken token = tokens.get(marketId);
        if (token == null) return false;
        FeePolicy.Fees f;
        try {
            f = fees.initial(baseFee);
        } catch (GasAboveCapException e) {
            log.warn("market {}: {} liquidatable vault(s), {}", marketId, c.vaults().size(), e.getMessage());
            listener.notSent(marketId, e.getMessage());
            return false;
        }
        BigInteger expectedFee = baseFee.add(f.maxPriorityFeePerGas()).min(f.maxFeePerGas());
        // capital our unmined transactions will spend, in every market lending this token (two markets may share it)
        BigInteger reserved = held.values().stream()
                .filter(h -> tokens.get(h.marketId()) != null
                        && tokens.get(h.marketId()).loanToken().equalsIgnoreCase(token.loanToken()))
                .map(Held::capital).reduce(BigInteger.ZERO, BigInteger::add);
        BigInteger balance = route != null ? FullMath.UINT256_MAX // capital-free: the sale pays
                : calls.balanceOf(token.loanToken()).subtract(reserved).max(BigInteger.ZERO);
        SaleModel sale = null;
        if (route != null) {
            try {
                EngineCalls.Reserves r = calls.reserves(route.pool(marketId));
                sale = new SaleModel(route, c.market().price(), r.loan(), r.collateral());
            } catch (RuntimeException e) {
                log.warn("market {}: the pool's reserves could not be read at #{}: {}", marketId, block, e.toString());
                listener.notSent(marketId, "pool reserves unreadable: " + e.getMessage());
                return false;
            }
        }
        // in flight since an earlier block (their outcome is not known yet), or dropped at a simulation of this block
        Set<Long> blocked = new HashSet<>(heldVaults.keySet());
        blocked.addAll(keepOut); // a top-up's, or the other phase's
        // liquidated by a transaction of ours mined after the candidates' block: they show the vault as it was, and a
        // simulation would find it gone (a slow node then spends seconds simulating its batch vault by vault)
        ours.forEach((vault, mined) -> {
            if (mined > c.block()) blocked.add(vault);
        });
        Map<Long, Integer> rounds = new HashMap<>(); // liquidations of a vault in the batches of this block
        boolean first = true;
        for (int wave = 0; wave < MAX_WAVES; wave++) {
            // plan a wave: batches of distinct vaults, as many as may be in flight
            int slots = dryRun ? MAX_WAVE_BATCHES : Math.min(MAX_WAVE_BATCHES, Math.max(0, sender.freeSlots() - slotsForTopUps));
            if (slots == 0) {
                if (wave == 0 && slotsForTopUps > 0) return true; // the second phase takes what the top-ups leave
                listener.notSent(marketId, "the in-flight transaction limit is reached");
                return false;
            }
            List<Plan> plans = new ArrayList<>();
            Set<Long> inWave = new HashSet<>(blocked);
            Set<Long> plannedInWave = new HashSet<>();
            Set<Plan> laterRounds = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            BigInteger left = balance;
            while (plans.size() < slots) {
                Plan plan = planner.plan(c, inWave, rounds, expectedFee, token.gasPricing(), left, sale);
                if (!plan.skippedSwap().isEmpty()) {
                    // the pool cannot take their sale at this block: out of every later batch of the block
                    skippedSwaps(marketId).addAll(plan.skippedSwap());
                    blocked.addAll(plan.skippedSwap());
                    inWave.addAll(plan.skippedSwap());
                }
                if (first && plan.skippedUnprofitable() > 0) {
                    listener.skippedUnprofitable(marketId, plan.skippedUnprofitable());
                    unprofitable.merge(marketId, plan.skippedUnprofitable(), Integer::sum);
                }
                if (plan.skippedCapital() > 0 && (first || plan.vaults().isEmpty())) {
                    listener.notSent(marketId, plan.skippedCapital() + " vault(s) need more loan token than the "
                            + "keeper holds (" + left + " available)");
                }
                first = false;
                if (plan.vaults().isEmpty()) break;
                plans.add(plan);
                for (long id : plan.vaultIds()) if (!plannedInWave.add(id)) laterRounds.add(plan);
                // a vault's next round may go in a later batch of this same wave (the planner quotes it on the state
                // the earlier round leaves); the nonces keep the rounds in order
                for (long id : plan.vaultIds()) rounds.merge(id, 1, Integer::sum);
                left = left.subtract(plan.capital()).max(BigInteger.ZERO);
            }
            if (plans.isEmpty()) return false;
            // simulate and estimate them all at once, then send each as soon as it is ready (nonces in that order):
            // one round trip for the wave, and a slow batch does not hold the others back
            BlockingQueue<Integer> ready = new LinkedBlockingQueue<>();
            List<CompletableFuture<Prepared>> prepared = new ArrayList<>();
            for (int i = 0; i < plans.size(); i++) {
                Plan plan = plans.get(i);
                int index = i;
                boolean later = laterRounds.contains(plan);
                prepared.add(CompletableFuture.supplyAsync(() -> prepare(c, plan, later, token, expectedFee), preparing)
                        .whenComplete((r, t) -> ready.add(index)));
            }
            // report each as it is ready; then send every sendable one together
            List<Prepared> sendable = new ArrayList<>();
            Map<Prepared, Optional<Sent>> outcome = new java.util.IdentityHashMap<>();
            for (int n = 0; n < plans.size(); n++) {
                Prepared p = prepared.get(takeReady(ready)).join();
                switch (report(c, p, token, expectedFee)) {
                    case SEND -> sendable.add(p);
                    // what a live run would hold
                    case DRY_RUN -> outcome.put(p, Optional.of(new Sent(p.ids(), p.modeled() ? p.plan().capital()
                            : capital(p))));
                    case NONE -> outcome.put(p, Optional.empty());
                }
            }
            if (!sendable.isEmpty()) {
                // in plan order: a vault's rounds in the order they were quoted (a single-vault round's minSeized
                // holds only after the round before it)
                sendable.sort(Comparator.comparingInt(p -> plans.indexOf(p.plan())));
                List<Optional<TxSender.Pending>> sent;
                try {
                    // a share of each batch's expected profit may raise its tip (gas.tip-share-percent)
                    sent = sender.sendAll(sendable.stream().map(p -> new TxSender.Request(calls.target(), p.data(),
                            gasLimit(p.gas(), p.ids().size()), p.label(), token.gasPricing().toWei(
                                    fees.tipBudget(p.profit(), token.minProfit())))).toList(), baseFee, block);
                } catch (GasAboveCapException e) {
                    log.warn("market {}: {} batch(es) not sent: {}", marketId, sendable.size(), e.getMessage());
                    listener.notSent(marketId, e.getMessage());
                    sent = sendable.stream().map(p -> Optional.<TxSender.Pending>empty()).toList();
                }
                for (int i = 0; i < sendable.size(); i++) {
                    Prepared p = sendable.get(i);
                    outcome.put(p, sent.get(i).map(tx -> held(c, p, tx)));
                    if (sent.get(i).isEmpty()) listener.notSent(marketId, "batch " + p.ids() + " not sent (see the log)");
                }
            }
            boolean anySent = false;
            for (int i = 0; i < plans.size(); i++) {
                Prepared p = prepared.get(i).join();
                Optional<Sent> sent = outcome.getOrDefault(p, Optional.empty());
                Set<Long> sentIds = sent.map(x -> Set.copyOf(x.vaultIds())).orElse(Set.of());
                for (long id : plans.get(i).vaultIds()) if (!sentIds.contains(id)) blocked.add(id);
                if (sent.isPresent()) {
                    anySent = true;
                    balance = balance.subtract(sent.get().capital()).max(BigInteger.ZERO);
                }
            }
            if (!anySent) return false; // the chain moved under the whole wave: the next block's candidates tell
        }
        return false;
    }

    private Set<Long> skippedSwaps(long marketId) {
        return swapSkipped.computeIfAbsent(marketId, k -> new HashSet<>());
    }

    private static int takeReady(BlockingQueue<Integer> ready) {
        try {
            return ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing a wave", e);
        }
    }

    /**
     * What preparing one planned batch found (RPC only, on a preparing thread): the transaction to send, or why
     * there is none.
     *
     * @param ids          the vaults it liquidates (the plan's, less those lost at simulation)
     * @param data         its calldata (null when there is nothing to send)
     * @param result       the simulated totals
     * @param gas          the gas model's or the node's estimate (the limit sent is {@link #gasLimit} of it)
     * @param profit       expected profit after gas
     * @param lost         vaults no longer liquidatable at simulation
     * @param unprofitable true when the profit is under the minimum (nothing to send)
     * @param modeled      dry run without the approval: quoted, not simulated
     */
    private record Prepared(Plan plan, List<Long> ids, String data, String label, BatchResult result, BigInteger gas,
            BigInteger profit, List<Long> lost, boolean unprofitable, boolean modeled, List<Long> swapFailed) {
        Prepared(Plan plan, List<Long> ids, String data, String label, BatchResult result, BigInteger gas,
                BigInteger profit, List<Long> lost, boolean unprofitable, boolean modeled) {
            this(plan, ids, data, label, result, gas, profit, lost, unprofitable, modeled, List.of());
        }

        static Prepared nothing(Plan plan, List<Long> lost) {
            return nothing(plan, lost, List.of());
        }

        static Prepared nothing(Plan plan, List<Long> lost, List<Long> swapFailed) {
            return new Prepared(plan, List.of(), null, null, null, null, null, lost, false, false, swapFailed);
        }
    }

    /**
     * Simulates and prices one planned batch; no executor state is touched (it runs beside the others). A batch
     * holding a vault's later round of this wave ({@code laterRound}) is simulated against the state before the
     * wave's earlier rounds, so its figures are the earlier round's: it goes out as {@code liquidateBatch} even for
     * one vault, which skips a vault another transaction emptied first instead of reverting on {@code minSeized}.
     */
    private Prepared prepare(LiquidationCandidates c, Plan plan, boolean laterRound, MarketToken token,
            BigInteger expectedFee) {
        long marketId = c.marketId();
        List<Long> ids = plan.vaultIds();
        if (route == null && dryRun && calls.allowance(token.loanToken()).compareTo(plan.capital()) < 0) {
            // a simulation from the keeper's address would fail on the missing approval, which a live run gives
            BigInteger modeled = plan.grossProfit().subtract(token.gasPricing().cost(
                    BigInteger.valueOf(planner.gasFor(ids.size())), expectedFee));
            return new Prepared(plan, ids, null, null, null, null, modeled, List.of(), false, true);
        }
        String data;
        String label;
        BatchResult r;
        List<Long> lost = new ArrayList<>();
        Simulated<?> simulated;
        if (ids.size() == 1 && !laterRound) {
            // one vault alone: liquidate at the engine's largest repayment with minSeized the plan's quote, so a
            // simulation that would seize less (the vault is gone, the price moved) drops it
            Planned p = plan.vaults().getFirst();
            BigInteger minSeized = p.quote().seizedCollateral();
            data = calls.liquidateData(p.vaultId(), FullMath.UINT256_MAX, minSeized);
            Simulated<EngineCalls.SingleResult> sim = simulated(marketId, 1, data,
                    limit -> calls.simulateLiquidate(p.vaultId(), FullMath.UINT256_MAX, minSeized, limit));
            if (sim.result().isEmpty()) {
                // capital-free: a sale the pool cannot take reverts too; a batch of one tells it from a lost vault
                if (route != null && calls.simulate(marketId, List.of(p.vaultId())).isEmpty()) {
                    return Prepared.nothing(plan, List.of(), List.of(p.vaultId()));
                }
                return Prepared.nothing(plan, List.of(p.vaultId()));
            }
            EngineCalls.SingleResult one = sim.result().get();
            BigInteger fee = LiquidationMath.protocolFee(one.repaid(), c.market().market().terms());
            r = new BatchResult(1, one.repaid(), one.seized(), fee, one.swapProfit());
            label = "liquidate market " + marketId + " vault " + p.vaultId() + " minSeized " + minSeized;
            simulated = sim;
        } else {
            Simulated<BatchResult> sim = simulatedBatch(marketId, ids);
            List<Long> swapFailed = new ArrayList<>();
            if (sim.result().isEmpty() || sim.result().get().liquidated() < ids.size()) {
                // one vault at a time, side by side: keep the ones that still liquidate, drop the others (capital-free:
                // a vault alone that reverts is one whose sale the pool cannot take, not one that is gone)
                List<CompletableFuture<Integer>> alone = new ArrayList<>();
                for (long id : ids) {
                    alone.add(CompletableFuture.supplyAsync(() -> calls.simulate(marketId, List.of(id))
                            .map(BatchResult::liquidated).orElse(route == null ? 0 : -1), preparing));
                }
                List<Long> keep = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    int n = alone.get(i).join();
                    (n > 0 ? keep : n == 0 ? lost : swapFailed).add(ids.get(i));
                }
                if (keep.isEmpty()) return Prepared.nothing(plan, lost, swapFailed);
                ids = keep;
                sim = simulatedBatch(marketId, ids);
                if (sim.result().isEmpty() || sim.result().get().liquidated() < ids.size()) {
                    // capital-free: the smaller batch's sale still fails: the pool, not the vaults
                    return route == null ? Prepared.nothing(plan, lost) : Prepared.nothing(plan, lost, ids);
                }
            }
            r = sim.result().get();
            data = calls.liquidateBatchData(marketId, ids);
            label = "liquidateBatch market " + marketId + " vaults " + ids;
            simulated = sim;
            if (!swapFailed.isEmpty()) {
                Optional<BigInteger> gas = simulated.gas(marketId, ids.size());
                if (gas.isEmpty()) return Prepared.nothing(plan, lost, swapFailed);
                return priced(c, plan, laterRound, ids, data, label, r, gas.get(), lost, token, expectedFee, swapFailed);
            }
        }
        if (route != null) label = label + " (capital-free)";
        Optional<BigInteger> gas = simulated.gas(marketId, ids.size());
        if (gas.isEmpty()) return Prepared.nothing(plan, lost);
        return priced(c, plan, laterRound, ids, data, label, r, gas.get(), lost, token, expectedFee, List.of());
    }

    /**
     * A simulation and the gas to send its transaction with: the model's ({@link LiquidationGasModel}), which the
     * simulation ran at, or the node's estimate, taken beside it.
     */
    private record Simulated<T>(Optional<T> result, Optional<BigInteger> modeled,
            CompletableFuture<Optional<BigInteger>> estimate, LiquidationGasModel model) {
        /** The gas: the model's, or the estimate's (learned by the model). */
        Optional<BigInteger> gas(long marketId, int vaults) {
            if (modeled.isPresent()) return modeled;
            Optional<BigInteger> g;
            try {
                g = estimate.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
            g.ifPresent(x -> model.observe(marketId, vaults, x));
            return g;
        }
    }

    /**
     * Simulates a liquidation of {@code vaults} vaults with calldata {@code data}. When the market has a gas model
     * (under {@link #MAX_TX_GAS}), at the model's gas (one execution on the node, no estimate): a batch that fits there
     * is sent at {@link #gasLimit} of it, so it keeps the whole margin for state that changes before it is mined. When
     * there is no model, or the simulation runs out of the model's gas (or reverts in a way more gas might change),
     * without a limit and with a gas estimate beside it; a custom error of the contract's own (the vault is gone) is
     * final.
     */
    private <T> Simulated<T> simulated(long marketId, int vaults, String data,
            java.util.function.Function<BigInteger, EngineCalls.Limited<T>> simulate) {
        Optional<BigInteger> modeled = gasModel.gasFor(marketId, vaults)
                .filter(g -> g.compareTo(BigInteger.valueOf(MAX_TX_GAS)) <= 0);
        if (modeled.isPresent()) {
            EngineCalls.Limited<T> at = simulate.apply(modeled.get());
            if (at.result().isPresent() || at.refused()) return new Simulated<>(at.result(), modeled, null, gasModel);
        }
        CompletableFuture<Optional<BigInteger>> estimate = CompletableFuture.supplyAsync(() -> calls.estimateGas(data),
                preparing);
        return new Simulated<>(simulate.apply(null).result(), Optional.empty(), estimate, gasModel);
    }

    private Simulated<BatchResult> simulatedBatch(long marketId, List<Long> ids) {
        return simulated(marketId, ids.size(), calls.liquidateBatchData(marketId, ids),
                limit -> calls.simulate(marketId, ids, limit));
    }

    /**
     * The batch with its profit after gas: funded, the seized collateral at the oracle price less repaid and fee;
     * capital-free, what the sale leaves the liquidator: the planner's quote on the pool the block's earlier batches
     * leave, less what its plan owes, and never more than the simulation's (which runs against the state before those
     * batches; a later round's simulation shows the earlier round's figures, so only the quote counts there).
     */
    private Prepared priced(LiquidationCandidates c, Plan plan, boolean laterRound, List<Long> ids, String data,
            String label, BatchResult r, BigInteger gas, List<Long> lost, MarketToken token, BigInteger expectedFee,
            List<Long> swapFailed) {
        BigInteger gasCost = token.gasPricing().cost(gas, expectedFee);
        BigInteger gross;
        if (route == null) {
            gross = MarginMath.value(r.seized(), c.market().price()).subtract(r.repaid()).subtract(r.fee());
        } else if (plan.saleProceeds() == null) {
            gross = r.swapProfit();
        } else {
            BigInteger quoted = plan.saleProceeds().subtract(plan.capital());
            gross = laterRound ? quoted : quoted.min(r.swapProfit());
        }
        BigInteger profit = gross.subtract(gasCost);
        return new Prepared(plan, ids, data, label, r, gas, profit, lost,
                token.unprofitable(profit, route == null && plan.realizesBadDebt()), false, swapFailed);
    }

    /**
     * On the executor's thread, as each batch of the wave is ready: reports what preparing found (lost vaults, an
     * unprofitable batch, a dry run); says whether the batch is to be sent.
     */
    private Verdict report(LiquidationCandidates c, Prepared p, MarketToken token, BigInteger expectedFee) {
        long marketId = c.marketId();
        if (!p.lost().isEmpty()) {
            log.info("market {}: vault(s) {} no longer liquidatable at simulation (taken by another liquidator, made "
                    + "healthy, or the price moved): dropped", marketId, p.lost());
            listener.lostAtSimulation(marketId, p.lost());
            reportLost(marketId, p.lost());
        }
        if (!p.swapFailed().isEmpty()) {
            log.info("market {}: vault(s) {} skipped: the pool cannot take the sale of their collateral at the "
                    + "SwapLiquidator's floor ({} bps under the oracle, and at least what is owed)", marketId,
                    p.swapFailed(), route.slippageBps());
            skippedSwaps(marketId).addAll(p.swapFailed());
        }
        if (p.modeled()) {
            log.info("dry-run: would liquidate market {} vault(s) {} for an expected profit of {} (quoted, not "
                    + "simulated: the loan token is not approved to the engine yet)", marketId, p.ids(), p.profit());
            listener.dryRun(marketId, p.ids(), p.profit());
            return Verdict.DRY_RUN;
        }
        if (p.data() == null) return Verdict.NONE;
        if (p.unprofitable()) {
            log.info("market {}: batch {} skipped: expected profit {} below the minimum {} (gas {} at {} wei{})",
                    marketId, p.ids(), p.profit(), token.minProfit(), p.gas(), expectedFee,
                    route == null ? "" : "; capital-free: the sale's proceeds less what is owed");
            if (route == null) {
                listener.skippedUnprofitable(marketId, p.ids().size());
                unprofitable.merge(marketId, p.ids().size(), Integer::sum);
            } else {
                skippedSwaps(marketId).addAll(p.ids());
            }
            return Verdict.NONE;
        }
        if (p.profit().compareTo(token.minProfit()) < 0) {
            log.info("market {}: batch {} realizes bad debt: sent at an expected profit of {}, within "
                    + "liquidation.bad-debt-max-loss ({} base units)", marketId, p.ids(), p.profit(),
                    token.badDebtMaxLoss());
        }
        if (dryRun) {
            log.info("dry-run: would liquidate market {} vault(s) {} for an expected profit of {} (gas {})", marketId,
                    p.ids(), p.profit(), p.gas());
            listener.dryRun(marketId, p.ids(), p.profit());
            return Verdict.DRY_RUN;
        }
        return Verdict.SEND;
    }

    /** What a prepared batch comes to: sent, held as a dry run would, or nothing. */
    private enum Verdict { SEND, DRY_RUN, NONE }

    private BigInteger capital(Prepared p) {
        if (route != null) return BigInteger.ZERO; // the sale pays
        return p.result() == null ? BigInteger.ZERO : p.result().repaid().add(p.result().fee());
    }

    /** A batch of the wave is in flight: it holds its vaults and capital until its outcome is known. */
    private Sent held(LiquidationCandidates c, Prepared p, TxSender.Pending tx) {
        long marketId = c.marketId();
        BigInteger capital = capital(p);
        held.put(tx.nonce(), new Held(marketId, p.ids(), c.market().price(), capital));
        for (long id : p.ids()) heldVaults.merge(id, 1, Integer::sum);
        listener.sent(marketId, p.ids(), p.profit(), tx);
        Long seen = priceUpdates.remove(marketId);
        if (seen != null) listener.sentAfterPriceUpdate(marketId, Duration.ofNanos(System.nanoTime() - seen));
        return new Sent(p.ids(), capital);
    }

    private void settle(TxSender.Outcome o) {
        Held h = held.get(o.tx().nonce());
        long marketId = h == null ? -1 : h.marketId();
        switch (o.kind()) {
            case REPLACED, STUCK_AT_CAP, RESENT, STRANDED, GAP_FILLED ->
                    listener.outcome(o, marketId, BigInteger.ZERO, 0, 0, BigInteger.ZERO);
            case DROPPED -> {
                release(o.tx().nonce());
                listener.outcome(o, marketId, BigInteger.ZERO, 0, h == null ? 0 : h.vaultIds().size(), BigInteger.ZERO);
            }
            case MINED, REVERTED -> {
                release(o.tx().nonce());
                TransactionReceipt receipt = o.receipt();
                BigInteger gasCostWei = receipt.getGasUsed().multiply(effectiveGasPrice(receipt, o.tx()));
                if (h == null) { // an approval
                    listener.outcome(o, marketId, gasCostWei, 0, 0, BigInteger.ZERO);
                    return;
                }
                if (o.kind() == TxSender.Kind.MINED) {
                    gasModel.observe(marketId, h.vaultIds().size(), receipt.getGasUsed());
                } else {
                    // simulated fine, reverted in the block: perhaps out of gas, which an inner call's 1/64 kept at
                    // each frame may hide from the gas used; the market's next batches go on the node's estimates,
                    // which the model learns again
                    gasModel.forget(marketId);
                }
                int liquidated = 0;
                BigInteger gained = BigInteger.ZERO;
                List<Long> taken = new ArrayList<>();
                if (o.kind() == TxSender.Kind.MINED) {
                    for (var e : IsomarginEngine.getLiquidatedEvents(receipt)) {
                        if (!h.vaultIds().contains(e.vaultId.longValueExact())) continue;
                        liquidated++;
                        taken.add(e.vaultId.longValueExact());
                        if (route != null) continue; // capital-free: the sale's proceeds, below
                        gained = gained.add(MarginMath.value(e.seizedCollateral, h.price())).subtract(e.repaidAssets)
                                .subtract(e.protocolFee);
                    }
                    if (route != null) {
                        for (var sold : SwapLiquidator.getCollateralSoldEvents(receipt)) {
                            if (!route.liquidator().equalsIgnoreCase(sold.log.getAddress())) continue;
                            gained = gained.add(sold.proceeds).subtract(sold.owed);
                        }
                    }
                }
                int lost = h.vaultIds().size() - liquidated;
                MarketToken t = tokens.get(marketId);
                BigInteger profit = gained.subtract(t.gasPricing().cost(BigInteger.ONE, gasCostWei));
                if (lost > 0) {
                    log.info("{}: {} of {} vault(s) were no longer liquidatable when it ran (lost to another "
                            + "liquidator, made healthy, or taken by an earlier transaction of ours)", o.tx(), lost,
                            h.vaultIds().size());
                    List<Long> missed = new ArrayList<>(h.vaultIds());
                    missed.removeAll(taken);
                    reportLost(marketId, missed);
                }
                long minedIn = receipt.getBlockNumber().longValueExact();
                for (long id : taken) ours.put(id, minedIn);
                listener.outcome(o, marketId, gasCostWei, liquidated, lost, profit);
            }
        }
    }

    /**
     * A liquidation's gas limit: its estimate was taken against one state of its vaults, and the transaction runs
     * against another when a rival's transaction, a price update or our own earlier batch lands first in the block
     * (a partial round estimated becomes the round that seizes everything and writes bad debt off). The limit is the
     * larger of 1.25x the estimate and the estimate plus {@link #STATE_HEADROOM_PER_VAULT} per vault, so a big batch
     * keeps a margin that grows with its vaults, and at most {@link #MAX_TX_GAS}. Unused gas is not paid.
     */
    static BigInteger gasLimit(BigInteger estimate, int vaults) {
        return capped(wantedGasLimit(estimate, vaults), estimate);
    }

    /** {@link #gasLimit} before the per-transaction cap. */
    static BigInteger wantedGasLimit(BigInteger estimate, int vaults) {
        BigInteger proportional = estimate.multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4));
        BigInteger perVault = estimate.add(BigInteger.valueOf(STATE_HEADROOM_PER_VAULT * (long) vaults));
        return proportional.max(perVault);
    }

    /**
     * {@code limit}, at most {@link #MAX_TX_GAS}; an {@code estimate} above the cap is left as it is (no limit would
     * run it, and the node says so).
     */
    static BigInteger capped(BigInteger limit, BigInteger estimate) {
        return limit.min(BigInteger.valueOf(MAX_TX_GAS).max(estimate));
    }

    /**
     * Releases what a transaction held when it is no longer in flight but no outcome reached {@link #settle} (a
     * failure while following it): its vaults come back through a fresh simulation instead of staying blocked.
     */
    private void releaseSettledElsewhere() {
        Set<Long> flying = new HashSet<>();
        for (TxSender.Pending p : sender.inFlight()) flying.add(p.nonce());
        for (Long nonce : List.copyOf(held.keySet())) {
            if (!flying.contains(nonce)) {
                log.warn("nonce {} left flight without an outcome; releasing its vaults", nonce);
                release(nonce);
            }
        }
        if (topUps != null) topUps.releaseNotIn(flying);
    }

    /** Splits vaults we could not liquidate into those another took (or made healthy) and those we already took. */
    private void reportLost(long marketId, List<Long> vaultIds) {
        int own = 0;
        for (long id : vaultIds) if (ours.containsKey(id)) own++;
        listener.lost(marketId, vaultIds.size() - own, own);
    }

    private void release(long nonce) {
        Held h = held.remove(nonce);
        if (h != null) for (long id : h.vaultIds()) heldVaults.computeIfPresent(id, (k, n) -> n > 1 ? n - 1 : null);
    }

    private static BigInteger effectiveGasPrice(TransactionReceipt r, TxSender.Pending p) {
        String eff = r.getEffectiveGasPrice();
        return eff == null ? p.fees().maxFeePerGas() : org.web3j.utils.Numeric.decodeQuantity(eff);
    }

    private static BigInteger baseFee(EthBlock.Block b) {
        return b.getBaseFeePerGas() == null ? BigInteger.ZERO : b.getBaseFeePerGas();
    }
}

package io.isomargin.keeper.exec;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.keeper.exec.EngineCalls.BatchResult;
import io.isomargin.keeper.exec.LiquidationPlanner.Plan;
import io.isomargin.keeper.exec.LiquidationPlanner.Planned;
import io.isomargin.keeper.risk.CandidateSink;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.send.FeePolicy;
import io.isomargin.keeper.send.GasAboveCapException;
import io.isomargin.keeper.send.SendRejectedException;
import io.isomargin.keeper.send.TxSender;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
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
 * per block it follows its transactions in flight ({@link TxSender#onBlock}), then for each market plans batches
 * ({@link LiquidationPlanner}) until the candidates, the capital or the in-flight limit run out, simulates each with
 * {@code eth_call} from the keeper's address (vaults that another liquidator took or that became healthy are found
 * here, one by one, and dropped: no send is wasted on them), estimates its gas, checks {@code seized value - repaid - fee - gas >= min profit}, and sends it through
 * {@code liquidateBatch} (or, in dry-run, logs what it would send). A batch lists each vault once, ids increasing, as
 * the engine requires; a vault that stays liquidatable after a partial liquidation takes its next round in a later
 * batch of the same block. A plan of a single vault is sent as {@code liquidate(vault, max, minSeized, ...)} with
 * {@code minSeized} the collateral the keeper's own quote expects, so it reverts rather than seize less (another
 * liquidator got there first, the price moved). A vault stays out of new batches of later blocks while one of our
 * transactions holds it; a reverted transaction's vaults are recorded as lost and only come back through a fresh
 * simulation, never by a blind re-send.
 *
 * <p>Capital: the keeper's own loan-token balance, approved to the engine once at start ({@link #ensureApprovals});
 * seized collateral accrues to the keeper's address.
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
    /** How many vaults we liquidated are remembered, to tell a vault lost to others from one we already took. */
    private static final int RECENTLY_OURS = 10_000;

    /** A market's loan token and the price of gas in it. */
    public record MarketToken(String loanToken, GasPricing gasPricing, BigInteger minProfit) {}

    private record Held(long marketId, List<Long> vaultIds, BigInteger price, BigInteger capital) {}

    /** A transaction sent (or, in dry-run, that would be): the vaults it holds and the capital it spends. */
    private record Sent(List<Long> vaultIds, BigInteger capital) {}

    private final EngineCalls calls;
    private final TxSender sender;
    private final FeePolicy fees;
    private final LiquidationPlanner planner;
    private final Map<Long, MarketToken> tokens;
    private final boolean dryRun;
    private final ExecutionListener listener;
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
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean running;
    private volatile long lastBlock = -1;
    private Thread thread;

    public LiquidationExecutor(EngineCalls calls, TxSender sender, FeePolicy fees, LiquidationPlanner planner,
            Map<Long, MarketToken> tokens, boolean dryRun, ExecutionListener listener) {
        this.calls = Objects.requireNonNull(calls, "calls");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.fees = Objects.requireNonNull(fees, "fees");
        this.planner = Objects.requireNonNull(planner, "planner");
        this.tokens = Map.copyOf(tokens);
        this.dryRun = dryRun;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Approves every market's loan token to the engine when the allowance is below 2^255, waiting (at most
     * {@code timeout}) until each approval is mined. In dry-run it only logs what it would approve.
     */
    public void ensureApprovals(Duration timeout) throws InterruptedException {
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
            for (TxSender.Outcome o : sender.onBlock(block, baseFee)) settle(o);
            readBalances(baseFee);
            lastBlock = block;
        }
        for (LiquidationCandidates c : latest.values()) execute(c, block, baseFee);
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

    /**
     * Sends as many batches for one market as the candidates, the capital and the in-flight limit allow: each batch is
     * planned from the candidates no earlier batch of this block (nor a transaction still in flight) holds, then
     * simulated, checked for profit and sent. A crash that leaves hundreds of vaults liquidatable is therefore sent in
     * one go, several batches in the same block, rather than one batch per block. Stops at the first batch that is
     * not sent (in-flight limit, unprofitable, refused) or when nothing is left to plan.
     */
    private void execute(LiquidationCandidates c, long block, BigInteger baseFee) {
        unprofitable = 0;
        try {
            executeMarket(c, block, baseFee);
        } finally {
            listener.unprofitableNow(c.marketId(), unprofitable);
            if (c.vaults().isEmpty()) priceUpdates.remove(c.marketId());
        }
    }

    private int unprofitable; // vaults skipped as unprofitable in the market being executed

    private void executeMarket(LiquidationCandidates c, long block, BigInteger baseFee) {
        if (c.vaults().isEmpty()) return;
        long marketId = c.marketId();
        if (!c.priceUsable()) {
            listener.notSent(marketId, "price unusable: " + c.priceProblem());
            return;
        }
        MarketToken token = tokens.get(marketId);
        if (token == null) return;
        FeePolicy.Fees f;
        try {
            f = fees.initial(baseFee);
        } catch (GasAboveCapException e) {
            log.warn("market {}: {} liquidatable vault(s), {}", marketId, c.vaults().size(), e.getMessage());
            listener.notSent(marketId, e.getMessage());
            return;
        }
        BigInteger expectedFee = baseFee.add(f.maxPriorityFeePerGas()).min(f.maxFeePerGas());
        // capital our unmined transactions will spend, in every market lending this token (two markets may share it)
        BigInteger reserved = held.values().stream()
                .filter(h -> tokens.get(h.marketId()) != null
                        && tokens.get(h.marketId()).loanToken().equalsIgnoreCase(token.loanToken()))
                .map(Held::capital).reduce(BigInteger.ZERO, BigInteger::add);
        BigInteger balance = calls.balanceOf(token.loanToken()).subtract(reserved).max(BigInteger.ZERO);
        // in flight since an earlier block (their outcome is not known yet), or dropped at a simulation of this block
        Set<Long> blocked = new HashSet<>(heldVaults.keySet());
        Map<Long, Integer> rounds = new HashMap<>(); // liquidations of a vault in the batches of this block
        for (boolean first = true; ; first = false) {
            if (!dryRun && !sender.canSend()) {
                listener.notSent(marketId, "the in-flight transaction limit is reached");
                return;
            }
            Plan plan = planner.plan(c, blocked, rounds, expectedFee, token.gasPricing(), balance);
            if (first && plan.skippedUnprofitable() > 0) {
                listener.skippedUnprofitable(marketId, plan.skippedUnprofitable());
                unprofitable += plan.skippedUnprofitable();
            }
            if (plan.skippedCapital() > 0 && (first || plan.vaults().isEmpty())) {
                listener.notSent(marketId, plan.skippedCapital() + " vault(s) need more loan token than the keeper "
                        + "holds (" + balance + " available)");
            }
            if (plan.vaults().isEmpty()) return;
            for (long id : plan.vaultIds()) rounds.merge(id, 1, Integer::sum);
            Optional<Sent> sent = executeBatch(c, plan, token, expectedFee, baseFee, block);
            if (sent.isEmpty()) return;
            for (long id : plan.vaultIds()) if (!sent.get().vaultIds().contains(id)) blocked.add(id);
            balance = balance.subtract(sent.get().capital()).max(BigInteger.ZERO);
        }
    }

    /**
     * Simulates, prices and sends one planned batch; returns what it holds (in dry-run, what it would), or empty when
     * it was not sent and the market's other batches should wait for the next block.
     */
    private Optional<Sent> executeBatch(LiquidationCandidates c, Plan plan, MarketToken token,
            BigInteger expectedFee, BigInteger baseFee, long block) {
        long marketId = c.marketId();
        List<Long> ids = plan.vaultIds();
        if (dryRun && calls.allowance(token.loanToken()).compareTo(plan.capital()) < 0) {
            // a simulation from the keeper's address would fail on the missing approval, which a live run gives
            BigInteger modeled = plan.grossProfit().subtract(token.gasPricing().cost(
                    BigInteger.valueOf(planner.gasFor(ids.size())), expectedFee));
            log.info("dry-run: would liquidate market {} vault(s) {} for an expected profit of {} (quoted, not "
                    + "simulated: the loan token is not approved to the engine yet)", marketId, ids, modeled);
            listener.dryRun(marketId, ids, modeled);
            return Optional.of(new Sent(ids, plan.capital())); // what a live run would hold
        }
        if (ids.size() == 1) return executeSingle(c, plan.vaults().getFirst(), token, expectedFee, baseFee, block);
        Optional<BatchResult> sim = calls.simulate(marketId, ids);
        if (sim.isEmpty() || sim.get().liquidated() < ids.size()) {
            // one vault at a time: keep the ones that still liquidate, drop the others
            List<Long> keep = new ArrayList<>();
            List<Long> lost = new ArrayList<>();
            for (long id : ids) {
                int done = calls.simulate(marketId, List.of(id)).map(BatchResult::liquidated).orElse(0);
                (done == 0 ? lost : keep).add(id);
            }
            if (!lost.isEmpty()) {
                log.info("market {}: vault(s) {} no longer liquidatable at simulation (taken by another liquidator or "
                        + "made healthy): dropped", marketId, lost);
                listener.lostAtSimulation(marketId, lost);
                reportLost(marketId, lost);
            }
            // all taken: the book has not seen it yet, so the rest of the candidates wait for the next block rather
            // than be simulated one by one here
            if (keep.isEmpty()) return Optional.empty();
            ids = keep;
            sim = calls.simulate(marketId, ids);
            if (sim.isEmpty() || sim.get().liquidated() < ids.size()) return Optional.empty(); // the chain moves
        }
        return priceAndSend(c, ids, calls.liquidateBatchData(marketId, ids), "liquidateBatch market " + marketId
                + " vaults " + ids, sim.get(), token, expectedFee, baseFee, block);
    }

    /**
     * One vault alone: {@code liquidate} at the engine's largest repayment with {@code minSeized} the collateral the
     * plan's quote expects; a simulation that reverts (it would seize less, or the vault is gone) drops the vault.
     */
    private Optional<Sent> executeSingle(LiquidationCandidates c, Planned p, MarketToken token,
            BigInteger expectedFee, BigInteger baseFee, long block) {
        long marketId = c.marketId();
        BigInteger minSeized = p.quote().seizedCollateral();
        Optional<EngineCalls.SingleResult> sim = calls.simulateLiquidate(p.vaultId(), FullMath.UINT256_MAX, minSeized);
        if (sim.isEmpty()) {
            log.info("market {}: vault {} would not liquidate for at least {} collateral at simulation (taken by "
                    + "another liquidator, made healthy, or the price moved): dropped", marketId, p.vaultId(),
                    minSeized);
            listener.lostAtSimulation(marketId, List.of(p.vaultId()));
            reportLost(marketId, List.of(p.vaultId()));
            return Optional.empty();
        }
        BigInteger fee = LiquidationMath.protocolFee(sim.get().repaid(), c.market().market().terms());
        BatchResult r = new BatchResult(1, sim.get().repaid(), sim.get().seized(), fee);
        return priceAndSend(c, List.of(p.vaultId()), calls.liquidateData(p.vaultId(), FullMath.UINT256_MAX,
                minSeized), "liquidate market " + marketId + " vault " + p.vaultId() + " minSeized " + minSeized, r,
                token, expectedFee, baseFee, block);
    }

    /** Estimates the gas, checks the profit, and sends (or in dry-run, logs) the simulated liquidation. */
    private Optional<Sent> priceAndSend(LiquidationCandidates c, List<Long> ids, String data, String label,
            BatchResult r, MarketToken token, BigInteger expectedFee, BigInteger baseFee, long block) {
        long marketId = c.marketId();
        Optional<BigInteger> gas = calls.estimateGas(data);
        if (gas.isEmpty()) return Optional.empty();
        BigInteger price = c.market().price();
        BigInteger gasCost = token.gasPricing().cost(gas.get(), expectedFee);
        BigInteger profit = MarginMath.value(r.seized(), price).subtract(r.repaid()).subtract(r.fee()).subtract(gasCost);
        if (profit.compareTo(token.minProfit()) < 0) {
            log.info("market {}: batch {} skipped: expected profit {} below the minimum {} (gas {} at {} wei)", marketId,
                    ids, profit, token.minProfit(), gas.get(), expectedFee);
            listener.skippedUnprofitable(marketId, ids.size());
            unprofitable += ids.size();
            return Optional.empty(); // the next batches are planned from less profitable vaults
        }
        if (dryRun) {
            log.info("dry-run: would liquidate market {} vault(s) {} for an expected profit of {} (gas {})", marketId,
                    ids, profit, gas.get());
            listener.dryRun(marketId, ids, profit);
            return Optional.of(new Sent(ids, r.repaid().add(r.fee()))); // what a live run would hold
        }
        if (!sender.canSend()) {
            listener.notSent(marketId, "the in-flight transaction limit is reached");
            return Optional.empty();
        }
        BigInteger gasLimit = gasLimit(gas.get(), ids.size());
        TxSender.Pending p;
        try {
            p = sender.send(new TxSender.Request(calls.engine(), data, gasLimit, label), baseFee, block);
        } catch (GasAboveCapException | SendRejectedException | IllegalStateException e) {
            log.warn("market {}: batch {} not sent: {}", marketId, ids, e.getMessage());
            listener.notSent(marketId, e.getMessage());
            return Optional.empty();
        }
        BigInteger capital = r.repaid().add(r.fee());
        held.put(p.nonce(), new Held(marketId, ids, price, capital));
        for (long id : ids) heldVaults.merge(id, 1, Integer::sum);
        listener.sent(marketId, ids, profit, p);
        Long seen = priceUpdates.remove(marketId);
        if (seen != null) listener.sentAfterPriceUpdate(marketId, Duration.ofNanos(System.nanoTime() - seen));
        return Optional.of(new Sent(ids, capital));
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
                int liquidated = 0;
                BigInteger gained = BigInteger.ZERO;
                List<Long> taken = new ArrayList<>();
                if (o.kind() == TxSender.Kind.MINED) {
                    for (var e : IsomarginEngine.getLiquidatedEvents(receipt)) {
                        if (!h.vaultIds().contains(e.vaultId.longValueExact())) continue;
                        liquidated++;
                        taken.add(e.vaultId.longValueExact());
                        gained = gained.add(MarginMath.value(e.seizedCollateral, h.price())).subtract(e.repaidAssets)
                                .subtract(e.protocolFee);
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
     * keeps a margin that grows with its vaults. Unused gas is not paid.
     */
    static BigInteger gasLimit(BigInteger estimate, int vaults) {
        BigInteger proportional = estimate.multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4));
        BigInteger perVault = estimate.add(BigInteger.valueOf(STATE_HEADROOM_PER_VAULT * (long) vaults));
        return proportional.max(perVault);
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

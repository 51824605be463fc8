package io.isomargin.keeper.exec;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.SharesMath;
import io.isomargin.keeper.book.GuardPolicy;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.exec.GuardCalls.BatchResult;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.MarketAtBlock;
import io.isomargin.keeper.risk.TopUpCandidate;
import io.isomargin.keeper.send.FeePolicy;
import io.isomargin.keeper.send.GasAboveCapException;
import io.isomargin.keeper.send.TxSender;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Tops up guarded vaults from their owners' wallets ({@code MarginGuard.topUpBatch}) before anything of theirs is
 * liquidated, on the executor's thread ({@link LiquidationExecutor} runs it for every market of a block, after the
 * liquidations of the vaults it does not {@link #claim} and before those of the claimed vaults it could not top up,
 * through the same {@link TxSender}: nonces, fees, re-sends, replacements and the in-flight limit apply alike).
 *
 * <p>Per market and block, the detector's {@link TopUpCandidate}s (live policy, health under its trigger) that no
 * top-up of ours holds are simulated together with {@code topUpBatch} from the keeper's address against the pending
 * state (two vaults of one owner share one wallet), in batches of up to {@value #MAX_BATCH} simulated side by side, at
 * the gas limit the batch will be sent with. A vault's gas there comes from the node's estimate of {@code topUp} alone
 * for one vault of its market and mode, not for every vault: on a slow node each call is an execution the next
 * block's liquidations wait behind. A vault the batch moves nothing for is then simulated alone with
 * {@code topUp(vault)}, so a refusal names its reason by the guard's own error (a cap, the owner's allowance or
 * balance, an expired policy), counted once per vault and reason until the vault is above its trigger again; one
 * refused again for the reason known is not asked again. A vault the batch stops before for gas, or that runs alone but
 * not in the batch (its owner's wallet went to another vault first), is left for the next block. A top-up that would
 * leave its vault liquidatable (a cap, balance or allowance binds; the guard refuses it with {@code StillLiquidatable})
 * is no saving: it is counted as failed for the limit that binds and left to the liquidations. The rest are sent,
 * their fees counted as income (a collateral-token fee valued at the oracle price) and their gas as cost. A top-up is
 * sent whatever its fee: saving the vault comes first, and the net profit shows what it earned.
 *
 * <p>The priority: a vault in a top-up of ours is kept out of liquidation while the top-up is in flight, and until the
 * book shows the block it was mined in; a vault whose top-up cannot run is liquidated as usual. Only the vaults of a
 * top-up already sent are held: a new top-up is never sent for a vault while one is in flight. In dry run nothing is
 * sent; the vaults a live run would top up are kept out of the same block's liquidations.
 */
public final class TopUpExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopUpExecutor.class);
    /** Vaults per {@code topUpBatch} (the guard's {@code MAX_BATCH}). */
    static final int MAX_BATCH = 50;
    private static final long INTRINSIC_GAS = 21_000;
    /**
     * Blocks a vault the guard skipped in a mined top-up of ours waits before it is tried again: a simulation that
     * keeps promising what the chain does not do must not cost a transaction every block.
     */
    static final int SKIPPED_RETRY_BLOCKS = 3;
    /** The guard's {@code TOP_UP_GAS}: the gas {@code topUpBatch} gives each entry. */
    public static final long TOP_UP_GAS = 750_000;
    /**
     * What {@code topUpBatch} wants left before an entry: {@link #TOP_UP_GAS}, the 1/64 a call keeps back (EIP-150)
     * and its loop's own 10,000, rounded up.
     */
    static final long ENTRY_RESERVE = 800_000;
    /** Base units a top-up's amount and fee may fall short of the limit that bound them (both rounded down). */
    private static final int SPLIT_ROUNDING = 3;

    /** A market's tokens as the guard moves them, and gas priced in its loan token. */
    public record MarketTokens(String loanToken, String collateralToken, GasPricing gasPricing) {
        public MarketTokens {
            Objects.requireNonNull(loanToken, "loanToken");
            Objects.requireNonNull(collateralToken, "collateralToken");
            Objects.requireNonNull(gasPricing, "gasPricing");
        }

        /** The token a top-up of {@code mode} moves and pays its fee in. */
        String token(GuardPolicy.Mode mode) {
            return mode == GuardPolicy.Mode.DEPOSIT_COLLATERAL ? collateralToken : loanToken;
        }
    }

    /** A top-up transaction in flight: its vaults and the price its collateral-token fees are valued at. */
    private record Held(long marketId, List<Long> vaultIds, BigInteger price) {}

    /** How long a refusal of a liquidatable vault's top-up is taken to stand without a new look ({@link Failing}). */
    private static final long REFUSAL_STANDS_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    /**
     * The reason last reported for a vault that cannot be topped up, the policy and the health it was last refused at,
     * and when ({@link System#nanoTime}).
     */
    private record Failing(long marketId, TopUpFailure reason, GuardPolicy policy, BigInteger health, long atNanos) {
        /**
         * True when the refusal stands: refused within the last minute, under the same terms, the vault no healthier
         * now (a repayment or a price that came back may let a capped top-up save it), for a cap, an expiry, the
         * owner's balance or allowance. Only a new policy (which the book follows), the day's passing, or a
         * transfer or an approval can change those; the last two the keeper does not follow, but the refusal is taken
         * to stand only for a vault already liquidatable, which any liquidator may take at once, so holding its
         * liquidation for another look saves no one. Never for a disarmed position, which a repayment re-arms, nor for
         * a reason not known.
         */
        boolean standsFor(TopUpCandidate t) {
            return switch (reason) {
                case CAP, EXPIRED, ALLOWANCE, BALANCE -> policy.sameTerms(t.policy())
                        && t.health().compareTo(health) <= 0 && System.nanoTime() - atNanos < REFUSAL_STANDS_NANOS;
                default -> false;
            };
        }
    }

    /** A vault to simulate in a batch, with the gas its top-up is given there ({@link #gasOf}). */
    private record Ready(TopUpCandidate vault, BigInteger gas) {}

    /** The top-ups of one market and mode, which cost about the same gas whatever the vault. */
    private record ModeGas(long marketId, GuardPolicy.Mode mode) {}

    /** A vault that cannot be topped up, found while preparing (reported on the executor's thread). */
    private record Failure(TopUpCandidate vault, TopUpFailure reason, String detail) {}

    /**
     * One batch ready to send (or nothing: {@code data} null), with what preparing found.
     *
     * @param refused the vaults the batch's simulation moved nothing for (the guard refused them, or their owner's
     *                wallet was drained by another vault of the batch)
     * @param stopped whether the simulation stopped for gas before its last vault
     * @param income  the batch's fees in loan-token base units
     * @param gasCost its estimated gas in loan-token base units
     */
    private record Prepared(List<TopUpCandidate> vaults, String data, BigInteger gas, BigInteger income,
            BigInteger gasCost, List<Failure> failures, List<Long> skipped, List<TopUpCandidate> refused,
            boolean stopped) {
        List<Long> ids() {
            return vaults.stream().map(TopUpCandidate::vaultId).toList();
        }
    }

    private final GuardCalls calls;
    private final TxSender sender;
    private final FeePolicy fees;
    private final Map<Long, MarketTokens> tokens;
    private final boolean dryRun;
    private final ExecutionListener listener;
    private final ExecutorService preparing = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Long, Held> held = new HashMap<>(); // by nonce
    private final Map<Long, Long> heldVaults = new HashMap<>(); // vault -> nonce of our top-up in flight
    private final Map<Long, Long> minedIn = new HashMap<>(); // vault -> block our top-up of it was mined in
    private final Map<Long, Failing> failing = new HashMap<>(); // vault -> reason last reported
    private final Map<Long, Long> retryFrom = new HashMap<>(); // vault skipped when mined -> first block to try again
    private final Map<ModeGas, BigInteger> gasSeen = new HashMap<>(); // largest estimate of topUp(vault) alone

    /** @param tokens each followed market's tokens, gas priced in its loan token */
    public TopUpExecutor(GuardCalls calls, TxSender sender, FeePolicy fees, Map<Long, MarketTokens> tokens,
            boolean dryRun, ExecutionListener listener) {
        this.calls = Objects.requireNonNull(calls, "calls");
        this.sender = Objects.requireNonNull(sender, "sender");
        this.fees = Objects.requireNonNull(fees, "fees");
        this.tokens = Map.copyOf(tokens);
        this.dryRun = dryRun;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The guard's address. */
    public String guard() {
        return calls.guard();
    }

    /**
     * What a block's top-ups of a market may hold: the vaults the liquidations sent before them must leave alone,
     * and the in-flight slots to leave free.
     *
     * @param vaults  held by a top-up of ours (in flight, or mined in a block the candidates do not show yet), or to be
     *                simulated for one this block
     * @param batches at most how many top-up transactions this block may send for them
     */
    public record Claim(Set<Long> vaults, int batches) {
        public static final Claim NONE = new Claim(Set.of(), 0);
    }

    /**
     * The vaults of one market that this block's {@link #run} may top up or already holds, read before any RPC: the
     * executor liquidates every other vault first, keeping {@code batches} in-flight slots free (none for a vault
     * whose top-up the last simulation refused: a cap, the owner's allowance or balance, an expired policy). A
     * liquidatable vault whose refusal {@linkplain #refusalStands stands} is not claimed: the first phase liquidates it.
     */
    public Claim claim(LiquidationCandidates c, long block) {
        Set<Long> vaults = new HashSet<>(heldVaults.keySet());
        minedIn.forEach((vault, mined) -> {
            if (mined > c.block()) vaults.add(vault);
        });
        if (c.topUps().isEmpty() || tokens.get(c.marketId()) == null || !c.priceUsable()) {
            return new Claim(vaults, 0);
        }
        int fresh = 0;
        for (TopUpCandidate t : c.topUps()) {
            long id = t.vaultId();
            if (vaults.contains(id) || retryFrom.getOrDefault(id, Long.MIN_VALUE) > block) continue;
            if (t.liquidatable() && refusalStands(t)) continue; // liquidated with the first phase
            vaults.add(id);
            // no slot kept for one refused at its last simulation: it is tried again, and liquidated in the block's
            // last phase if refused again, but most likely sends nothing
            if (!failing.containsKey(id)) fresh++;
        }
        return new Claim(vaults, (fresh + MAX_BATCH - 1) / MAX_BATCH);
    }

    /**
     * True when the guard refused the vault's top-up for a reason that still {@linkplain Failing#standsFor stands}:
     * liquidatable, it is liquidated in the block's first phase without another simulation (which on a slow node
     * would hold its liquidation a phase behind).
     */
    private boolean refusalStands(TopUpCandidate t) {
        Failing f = failing.get(t.vaultId());
        return f != null && f.standsFor(t);
    }

    /**
     * Simulates alone, side by side and off the executor's thread, the top-up of every liquidatable guarded vault of
     * the market under its trigger that no top-up of ours holds, while the block's first phase of liquidations runs:
     * the block's top-ups are simulated only after that phase, and a liquidatable vault the guard refuses (its cap or
     * its owner's wallet binds, or, refused before, still does) would otherwise wait for all of them before it is
     * liquidated. Leaves out the vaults a top-up of ours holds or was mined for after the candidates' block. Completes
     * with each vault's simulation: {@link #refusedAmong} names the refused, and {@link #rechecked} counts them on the
     * executor's thread once they are liquidated.
     */
    public CompletableFuture<Map<TopUpCandidate, GuardCalls.Simulation>> recheck(LiquidationCandidates c, long block) {
        List<TopUpCandidate> ids = new ArrayList<>();
        if (tokens.get(c.marketId()) != null && c.priceUsable()) {
            for (TopUpCandidate t : c.topUps()) {
                long id = t.vaultId();
                if (t.liquidatable() && !heldVaults.containsKey(id) && minedIn.getOrDefault(id, Long.MIN_VALUE)
                        <= c.block() && retryFrom.getOrDefault(id, Long.MIN_VALUE) <= block && !refusalStands(t)) {
                    ids.add(t);
                }
            }
        }
        if (ids.isEmpty()) return CompletableFuture.completedFuture(Map.of());
        Map<TopUpCandidate, CompletableFuture<GuardCalls.Simulation>> sims = new java.util.LinkedHashMap<>();
        for (TopUpCandidate t : ids) {
            sims.put(t, CompletableFuture.supplyAsync(() -> calls.simulateTopUp(t.vaultId()), preparing));
        }
        return CompletableFuture.allOf(sims.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<TopUpCandidate, GuardCalls.Simulation> out = new java.util.LinkedHashMap<>();
            sims.forEach((t, f) -> out.put(t, f.join()));
            return out;
        });
    }

    /**
     * The vaults {@link #recheck} found the guard refuses, which the executor liquidates at once. Those that would run
     * stay claimed and go with the block's top-ups; those that could not be simulated are left to the block's top-ups
     * and last phase.
     */
    public static Set<Long> refusedAmong(Map<TopUpCandidate, GuardCalls.Simulation> sims) {
        Set<Long> refused = new HashSet<>();
        sims.forEach((t, sim) -> {
            if (!(sim instanceof GuardCalls.WouldTopUp) && !(sim instanceof GuardCalls.Unknown)) refused.add(t.vaultId());
        });
        return refused;
    }

    /**
     * Counts each refusal {@link #recheck} found for its reason, as {@link #run} does, on the executor's thread: after
     * the refused vaults' liquidations went, since naming the limit that binds takes reads of its own.
     */
    public void rechecked(long marketId, Map<TopUpCandidate, GuardCalls.Simulation> sims) {
        sims.forEach((t, sim) -> refusal(marketId, t, sim));
    }

    /**
     * Tops up what it can of one market's guarded vaults under their trigger (see the class comment), on the
     * executor's thread, leaving out the vaults a liquidation of ours holds ({@code liquidating}).
     *
     * @return the vaults this block's liquidations of the market must leave alone: held by a top-up of ours in
     *         flight, topped up in a block the candidates do not show yet, or topped up now (in dry run: that would be)
     */
    public Set<Long> run(LiquidationCandidates c, long block, BigInteger baseFee, Set<Long> liquidating) {
        long marketId = c.marketId();
        minedIn.values().removeIf(mined -> mined <= c.block()); // the book shows those top-ups now
        Set<Long> keepOut = new HashSet<>(heldVaults.keySet());
        keepOut.addAll(minedIn.keySet());
        Set<Long> under = new HashSet<>();
        for (TopUpCandidate t : c.topUps()) under.add(t.vaultId());
        failing.entrySet().removeIf(e -> e.getValue().marketId() == marketId && !under.contains(e.getKey()));
        MarketTokens token = tokens.get(marketId);
        if (c.topUps().isEmpty() || token == null) return keepOut;
        if (!c.priceUsable()) return keepOut; // the guard reads the same price: a top-up reverts like a liquidation
        retryFrom.values().removeIf(from -> from <= block);
        List<TopUpCandidate> todo = c.topUps().stream()
                .filter(t -> !keepOut.contains(t.vaultId()) && !retryFrom.containsKey(t.vaultId())
                        && !liquidating.contains(t.vaultId())).toList();
        if (todo.isEmpty()) return keepOut;
        BigInteger expectedFee;
        try {
            FeePolicy.Fees f = fees.initial(baseFee);
            expectedFee = baseFee.add(f.maxPriorityFeePerGas()).min(f.maxFeePerGas());
        } catch (GasAboveCapException e) {
            log.warn("market {}: {} guarded vault(s) under their trigger, no top-up sent: {}", marketId, todo.size(),
                    e.getMessage());
            listener.notSent(marketId, "top-ups: " + e.getMessage());
            return keepOut;
        }

        // the gas of each vault's top-up by its market and mode: estimated for one vault per mode, which the batches
        // wait for only while the mode has no estimate yet (otherwise it runs beside them, for the next block)
        Map<GuardPolicy.Mode, CompletableFuture<Optional<BigInteger>>> estimates = new java.util.EnumMap<>(
                GuardPolicy.Mode.class);
        List<TopUpCandidate> fresh = todo.stream().filter(t -> !failing.containsKey(t.vaultId())).toList();
        for (int i = 0; i < fresh.size(); i++) {
            TopUpCandidate t = fresh.get((int) ((block + i) % fresh.size())); // a different vault each block
            estimates.computeIfAbsent(t.policy().mode(), m -> CompletableFuture.supplyAsync(
                    () -> calls.estimateTopUp(t.vaultId()), preparing));
        }
        estimates.forEach((mode, e) -> {
            if (!gasSeen.containsKey(new ModeGas(marketId, mode))) learn(marketId, mode, e.join());
        });

        // then all of them together, in batches simulated side by side: a vault the guard refuses comes out at 0
        List<CompletableFuture<Prepared>> batches = new ArrayList<>();
        for (List<Ready> chunk : batches(todo.stream().map(t -> new Ready(t, gasOf(marketId, t))).toList())) {
            batches.add(CompletableFuture.supplyAsync(() -> prepare(c, chunk, token, expectedFee), preparing));
        }
        List<Prepared> sendable = new ArrayList<>();
        List<TopUpCandidate> refused = new ArrayList<>();
        List<Long> skipped = new ArrayList<>();
        for (CompletableFuture<Prepared> b : batches) {
            Prepared p = b.join();
            for (Failure f : p.failures()) failed(marketId, f.vault(), f.reason(), f.detail());
            skipped.addAll(p.skipped());
            // one refused at its last simulation and again now: still failing, for the reason known
            for (TopUpCandidate t : p.refused()) if (!failing.containsKey(t.vaultId())) refused.add(t);
            if (p.stopped()) raise(marketId);
            if (p.data() != null) sendable.add(p);
        }
        estimates.forEach((mode, e) -> learn(marketId, mode, e.join()));
        // why the guard refuses the others, each alone, side by side (one call each; a refusal reverts early)
        List<CompletableFuture<GuardCalls.Simulation>> alone = new ArrayList<>();
        for (TopUpCandidate t : refused) {
            alone.add(CompletableFuture.supplyAsync(() -> calls.simulateTopUp(t.vaultId()), preparing));
        }
        for (int i = 0; i < refused.size(); i++) {
            // alone it runs: the batch's wallet was drained by another vault of the same owner before it
            if (refusal(marketId, refused.get(i), alone.get(i).join())) skipped.add(refused.get(i).vaultId());
        }
        if (!skipped.isEmpty()) {
            log.info("market {}: vault(s) {} left out: the batch's simulation skips them (an owner's wallet shared "
                    + "with another vault of the batch), stops before them for gas, or failed; tried again next block",
                    marketId, skipped);
        }
        if (sendable.isEmpty()) return keepOut;
        if (dryRun) {
            for (Prepared p : sendable) {
                log.info("dry-run: would top up market {} vault(s) {} for fees worth {} (gas {}, worth {})", marketId,
                        p.ids(), p.income(), p.gas(), p.gasCost());
                listener.topUpDryRun(marketId, p.ids(), p.income());
                keepOut.addAll(p.ids());
            }
            return keepOut;
        }
        int slots = sender.freeSlots();
        if (sendable.size() > slots) {
            listener.notSent(marketId, (sendable.size() - slots) + " top-up batch(es): the in-flight transaction limit "
                    + "is reached");
            sendable = sendable.subList(0, slots);
            if (sendable.isEmpty()) return keepOut;
        }
        List<Optional<TxSender.Pending>> sent;
        try {
            sent = sender.sendAll(sendable.stream().map(p -> new TxSender.Request(calls.guard(), p.data(),
                    gasLimit(p.gas(), p.vaults().size()), "topUpBatch market " + marketId
                            + " vaults " + p.ids())).toList(), baseFee, block);
        } catch (GasAboveCapException e) {
            log.warn("market {}: {} top-up batch(es) not sent: {}", marketId, sendable.size(), e.getMessage());
            listener.notSent(marketId, "top-ups: " + e.getMessage());
            return keepOut;
        }
        for (int i = 0; i < sendable.size(); i++) {
            Prepared p = sendable.get(i);
            if (sent.get(i).isEmpty()) {
                listener.notSent(marketId, "top-up batch " + p.ids() + " not sent (see the log)");
                continue;
            }
            TxSender.Pending tx = sent.get(i).get();
            held.put(tx.nonce(), new Held(marketId, p.ids(), c.market().price()));
            for (long id : p.ids()) {
                heldVaults.put(id, tx.nonce());
                failing.remove(id);
            }
            keepOut.addAll(p.ids());
            log.info("market {}: topping up vault(s) {} (health {} under trigger {}) for fees worth {} against gas "
                    + "worth {}: {}", marketId, p.ids(), p.vaults().stream().map(t -> ratio(t.health())).toList(),
                    p.vaults().stream().map(t -> ratio(t.policy().triggerHealth())).toList(), p.income(),
                    p.gasCost(), tx);
            listener.topUpsSent(marketId, p.ids(), p.income(), tx);
        }
        return keepOut;
    }

    /**
     * Simulates one batch at the gas limit it would be sent with and keeps the vaults it tops up that come out saved
     * (or were not liquidatable); those it moves nothing for are {@code refused}, those past a stop for gas
     * {@code skipped} (RPC only: no executor state is touched).
     */
    private Prepared prepare(LiquidationCandidates c, List<Ready> chunk, MarketTokens token,
            BigInteger expectedFee) {
        List<Failure> failures = new ArrayList<>();
        List<Long> skipped = new ArrayList<>();
        List<TopUpCandidate> refused = new ArrayList<>();
        List<Long> ids = chunk.stream().map(r -> r.vault().vaultId()).toList();
        Optional<BatchResult> r = calls.simulateBatch(ids, gasLimit(batchGas(chunk), chunk.size()));
        if (r.isEmpty()) { // reverted as a whole: each vault is asked alone why
            return new Prepared(List.of(), null, null, null, null, failures, skipped,
                    chunk.stream().map(Ready::vault).toList(), false);
        }
        List<Ready> keep = new ArrayList<>();
        BigInteger income = BigInteger.ZERO;
        boolean stopped = r.get().amounts().size() < chunk.size();
        for (int i = 0; i < chunk.size(); i++) {
            TopUpCandidate t = chunk.get(i).vault();
            if (i >= r.get().amounts().size()) { // the batch would stop before it for gas: not tried, next block
                skipped.add(t.vaultId());
                continue;
            }
            BigInteger amount = r.get().amounts().get(i);
            BigInteger fee = r.get().fees().get(i);
            if (amount.signum() == 0) {
                refused.add(t);
                continue;
            }
            if (t.liquidatable() && !saves(c.market(), t, amount)) {
                failures.add(new Failure(t, bindingLimit(t, amount.add(fee), token), "a top-up of " + amount
                        + " would leave it liquidatable"));
                continue;
            }
            keep.add(chunk.get(i));
            income = income.add(feeValue(t.policy().mode(), fee, c.market().price()));
        }
        if (keep.isEmpty()) return new Prepared(List.of(), null, null, null, null, failures, skipped, refused, stopped);
        BigInteger gas = batchGas(keep);
        return new Prepared(keep.stream().map(Ready::vault).toList(),
                calls.topUpBatchData(keep.stream().map(k -> k.vault().vaultId()).toList()), gas, income,
                token.gasPricing().cost(gas, expectedFee), failures, skipped, refused, stopped);
    }

    /**
     * The gas a vault's top-up is given in a batch: the largest estimate of {@code topUp} alone seen for its market and
     * mode, raised by a quarter (a vault whose top-up writes fresh storage costs more than the one estimated), or
     * what the guard gives an entry ({@link #TOP_UP_GAS}) while none was seen.
     */
    private BigInteger gasOf(long marketId, TopUpCandidate t) {
        BigInteger seen = gasSeen.get(new ModeGas(marketId, t.policy().mode()));
        if (seen == null) return BigInteger.valueOf(TOP_UP_GAS + INTRINSIC_GAS);
        return seen.add(seen.divide(BigInteger.valueOf(4)));
    }

    /** Keeps the largest gas estimate seen for the market's top-ups of {@code mode}. */
    private void learn(long marketId, GuardPolicy.Mode mode, Optional<BigInteger> estimate) {
        estimate.ifPresent(g -> gasSeen.merge(new ModeGas(marketId, mode), g, BigInteger::max));
    }

    /**
     * Raises by half the gas of the market's top-ups: a batch stopped for gas (in a simulation or when mined) was
     * given too little for the state it ran in.
     */
    private void raise(long marketId) {
        for (GuardPolicy.Mode mode : GuardPolicy.Mode.values()) {
            gasSeen.computeIfPresent(new ModeGas(marketId, mode), (k, g) -> g.add(g.divide(BigInteger.TWO)));
        }
    }

    /**
     * {@code vaults} in order, cut into batches of at most {@link #MAX_BATCH} whose gas limit ({@link
     * #wantedGasLimit}) stays within the per-transaction cap ({@link LiquidationExecutor#MAX_TX_GAS}). Cut at
     * {@code MAX_BATCH} alone, 50 top-ups asked for more than the cap: a Hardhat node refused the batch's simulation,
     * every vault of it was left out, and the same 50 were simulated again block after block and never topped up.
     */
    static <T> List<List<T>> batches(List<T> vaults, java.util.function.Function<T, BigInteger> gas) {
        List<List<T>> out = new ArrayList<>();
        List<T> current = new ArrayList<>();
        List<BigInteger> currentGas = new ArrayList<>();
        for (T v : vaults) {
            current.add(v);
            currentGas.add(gas.apply(v));
            boolean tooMany = current.size() > MAX_BATCH;
            if (current.size() > 1 && (tooMany || wantedGasLimit(batchGasOf(currentGas), current.size())
                    .compareTo(BigInteger.valueOf(LiquidationExecutor.MAX_TX_GAS)) > 0)) {
                current.removeLast();
                currentGas.removeLast();
                out.add(current);
                current = new ArrayList<>(List.of(v));
                currentGas = new ArrayList<>(List.of(gas.apply(v)));
            }
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }

    private static List<List<Ready>> batches(List<Ready> runnable) {
        return batches(runnable, Ready::gas);
    }

    /**
     * The gas of a batch by its vaults' estimates alone: the sum, less the intrinsic 21,000 of every transaction but
     * one (each vault's self-call inside the batch costs less than that), raised by 1/63 since a self-call is given at
     * most 63/64 of the gas left (EIP-150).
     */
    private static BigInteger batchGas(List<Ready> vaults) {
        return batchGasOf(vaults.stream().map(Ready::gas).toList());
    }

    static BigInteger batchGasOf(List<BigInteger> estimates) {
        BigInteger sum = BigInteger.valueOf(INTRINSIC_GAS);
        for (BigInteger g : estimates) {
            sum = sum.add(g.subtract(BigInteger.valueOf(INTRINSIC_GAS)).max(BigInteger.ZERO));
        }
        return sum.add(sum.divide(BigInteger.valueOf(63)));
    }

    /** The index the guard stopped a mined batch at for gas ({@code BatchStopped}), or {@code size} if it did not. */
    private int stoppedAt(TransactionReceipt receipt, int size) {
        for (MarginGuard.BatchStoppedEventResponse e : MarginGuard.getBatchStoppedEvents(receipt)) {
            if (e.log != null && e.log.getAddress() != null && e.log.getAddress().equalsIgnoreCase(calls.guard())) {
                return e.index.intValueExact();
            }
        }
        return size;
    }

    /**
     * A batch's gas limit: {@link LiquidationExecutor#gasLimit} (the state may differ when it runs), and at least
     * {@link #ENTRY_RESERVE} above the batch's own gas: the guard gives each entry its {@code TOP_UP_GAS} and refuses
     * to start one with less left (it stops the batch there, {@code BatchStopped}), though a top-up uses about half.
     */
    static BigInteger gasLimit(BigInteger gas, int vaults) {
        return LiquidationExecutor.capped(wantedGasLimit(gas, vaults), gas);
    }

    /** {@link #gasLimit} before the per-transaction cap: what {@link #batches} keeps within it. */
    static BigInteger wantedGasLimit(BigInteger gas, int vaults) {
        return LiquidationExecutor.wantedGasLimit(gas, vaults).max(gas.add(BigInteger.valueOf(ENTRY_RESERVE)));
    }

    /**
     * Whether moving {@code amount} into the vault leaves it not liquidatable at the candidates' block: collateral
     * added at the same debt, or debt repaid (shares rounded down, as the engine's {@code repay}) at the same
     * collateral.
     */
    static boolean saves(MarketAtBlock at, TopUpCandidate t, BigInteger amount) {
        VaultPosition v = t.position();
        if (t.policy().mode() == GuardPolicy.Mode.DEPOSIT_COLLATERAL) {
            return !MarginMath.isLiquidatable(v.collateral().add(amount), t.debt(), at.price(), at.margins());
        }
        if (amount.compareTo(t.debt()) >= 0) return true;
        MarketTotals totals = at.accruedTotals();
        BigInteger shares = SharesMath.toSharesDown(amount, totals.totalBorrowAssets(), totals.totalBorrowShares());
        BigInteger sharesAfter = v.debtShares().subtract(shares).max(BigInteger.ZERO);
        MarketTotals after = totals.withBorrow(totals.totalBorrowAssets().subtract(amount).max(BigInteger.ZERO),
                totals.totalBorrowShares().subtract(shares).max(BigInteger.ZERO));
        BigInteger debtAfter = MarginMath.debt(sharesAfter, after);
        return debtAfter.signum() == 0
                || !MarginMath.isLiquidatable(v.collateral(), debtAfter, at.price(), at.margins());
    }

    /**
     * Which limit bound a top-up that takes {@code taken} (amount and fee) from the wallet: the smallest of the caps
     * left, the owner's balance and allowance (read now); {@link TopUpFailure#OTHER} when none is that small or they
     * cannot be read. The guard splits a limit into amount and fee rounding both down, so {@code taken} may fall
     * short of the limit by up to {@value #SPLIT_ROUNDING} base units. With {@code taken} null (the guard refused a
     * top-up too small to save the vault, amount unknown), the smallest limit.
     */
    private TopUpFailure bindingLimit(TopUpCandidate t, BigInteger taken, MarketTokens token) {
        GuardPolicy p = t.policy();
        String tok = token.token(p.mode());
        try {
            BigInteger capLeft = p.maxPerTopUp().min(p.maxPerDay().subtract(calls.usedLast24h(t.vaultId(), p.mode()))
                    .max(BigInteger.ZERO));
            BigInteger balance = calls.balanceOf(tok, p.owner());
            BigInteger allowance = calls.allowanceToGuard(tok, p.owner());
            BigInteger least = capLeft.min(balance).min(allowance);
            if (taken != null && taken.add(BigInteger.valueOf(SPLIT_ROUNDING)).compareTo(least) < 0) {
                return TopUpFailure.OTHER; // no limit bound it (the book is behind the chain?)
            }
            if (capLeft.equals(least)) return TopUpFailure.CAP;
            return allowance.compareTo(balance) < 0 ? TopUpFailure.ALLOWANCE : TopUpFailure.BALANCE;
        } catch (RuntimeException e) {
            return TopUpFailure.OTHER;
        }
    }

    /** A fee in loan-token base units: a collateral-token fee valued at the oracle price, rounded down. */
    static BigInteger feeValue(GuardPolicy.Mode mode, BigInteger fee, BigInteger price) {
        return mode == GuardPolicy.Mode.DEPOSIT_COLLATERAL ? MarginMath.value(fee, price) : fee;
    }

    /**
     * Counts a vault's refusal, simulated alone, for its reason (once per vault and reason); true when the top-up
     * would run after all.
     */
    private boolean refusal(long marketId, TopUpCandidate t, GuardCalls.Simulation sim) {
        switch (sim) {
            case GuardCalls.WouldTopUp w -> {
                return true;
            }
            // the guard refuses a top-up that would leave the vault liquidatable: count it for the limit that binds
            case GuardCalls.Refused r when "StillLiquidatable".equals(r.error()) -> {
                // refused so before under this policy: the limit named then still binds (naming it again would cost
                // three reads a block); the refusal is only dated anew
                Failing was = failing.get(t.vaultId());
                if (was != null && was.reason() != TopUpFailure.OTHER && was.policy().sameTerms(t.policy())) {
                    failing.put(t.vaultId(), new Failing(marketId, was.reason(), was.policy(), t.health(),
                            System.nanoTime()));
                } else {
                    failed(marketId, t, bindingLimit(t, null, tokens.get(marketId)),
                            "what its limits allow would leave it liquidatable");
                }
            }
            case GuardCalls.Refused r when r.failure() != null -> failed(marketId, t, r.failure(), r.error());
            case GuardCalls.Refused r -> log.debug("market {}: vault {} needs no top-up at simulation: {}", marketId,
                    t.vaultId(), r.error());
            case GuardCalls.Unknown u -> log.warn("market {}: the top-up of vault {} could not be simulated: {}",
                    marketId, t.vaultId(), u.reason());
        }
        return false;
    }

    private void failed(long marketId, TopUpCandidate t, TopUpFailure reason, String detail) {
        Failing was = failing.put(t.vaultId(), new Failing(marketId, reason, t.policy(), t.health(),
                System.nanoTime()));
        if (was != null && was.reason() == reason) return;
        log.info("market {}: vault {} (health {}, trigger {}{}) cannot be topped up: {} ({}); it is liquidated as "
                + "usual when liquidatable", marketId, t.vaultId(), ratio(t.health()),
                ratio(t.policy().triggerHealth()), t.liquidatable() ? ", liquidatable" : "", reason.label(), detail);
        listener.topUpFailed(marketId, t.vaultId(), reason, detail);
    }

    /**
     * Follows one of our transactions' outcome, if it is a top-up of ours: true when it was (the caller then does not
     * treat it as a liquidation).
     */
    public boolean settle(TxSender.Outcome o) {
        Held h = held.get(o.tx().nonce());
        if (h == null) return false;
        switch (o.kind()) {
            case REPLACED, STUCK_AT_CAP, RESENT, STRANDED, GAP_FILLED ->
                    listener.topUpOutcome(o, h.marketId(), BigInteger.ZERO, 0, 0, 0, BigInteger.ZERO);
            case DROPPED -> {
                release(o.tx().nonce());
                listener.topUpOutcome(o, h.marketId(), BigInteger.ZERO, 0, 0, h.vaultIds().size(), BigInteger.ZERO);
            }
            case MINED, REVERTED -> {
                release(o.tx().nonce());
                TransactionReceipt receipt = o.receipt();
                BigInteger gasCostWei = receipt.getGasUsed().multiply(effectiveGasPrice(receipt, o.tx()));
                Set<Long> done = new HashSet<>();
                int saved = 0;
                BigInteger income = BigInteger.ZERO;
                if (o.kind() == TxSender.Kind.MINED) {
                    long block = receipt.getBlockNumber().longValueExact();
                    for (MarginGuard.ToppedUpEventResponse e : MarginGuard.getToppedUpEvents(receipt)) {
                        long vault = e.vaultId.longValueExact();
                        if (!h.vaultIds().contains(vault) || !e.executor.equalsIgnoreCase(sender.address())) continue;
                        done.add(vault);
                        boolean ok = e.healthAfter.compareTo(FullMath.WAD) >= 0;
                        if (ok) saved++;
                        GuardPolicy.Mode mode = GuardPolicy.Mode.of(e.mode);
                        income = income.add(feeValue(mode, e.fee, h.price()));
                        minedIn.put(vault, block);
                        log.info("vault {} topped up in #{}: {} {} moved from {}, fee {}, health {} -> {}{}", vault,
                                block, e.amount, mode == GuardPolicy.Mode.DEPOSIT_COLLATERAL ? "collateral"
                                        : "loan tokens repaid", e.owner, e.fee, ratio(e.healthBefore),
                                ratio(e.healthAfter), ok ? "" : " (still liquidatable)");
                    }
                }
                int toppedUp = done.size();
                int skipped = h.vaultIds().size() - toppedUp;
                if (skipped > 0 && o.kind() == TxSender.Kind.MINED) {
                    long retry = receipt.getBlockNumber().longValueExact() + SKIPPED_RETRY_BLOCKS;
                    int stoppedAt = stoppedAt(receipt, h.vaultIds().size());
                    for (int i = 0; i < stoppedAt; i++) {
                        long id = h.vaultIds().get(i);
                        if (!done.contains(id)) retryFrom.put(id, retry);
                    }
                    if (stoppedAt < h.vaultIds().size()) {
                        raise(h.marketId());
                        log.warn("{}: the guard stopped the batch before vault {} of {} for gas (BatchStopped; the "
                                + "limit sent was too low for the state it ran in): those not tried are tried again "
                                + "next block", o.tx(), stoppedAt + 1, h.vaultIds().size());
                    }
                    log.info("{}: the guard skipped {} of {} vault(s) when it ran (topped up by another executor, back "
                            + "above the trigger, or a limit reached meanwhile); tried again from #{}", o.tx(), skipped,
                            h.vaultIds().size(), retry);
                }
                MarketTokens t = tokens.get(h.marketId());
                BigInteger profit = income.subtract(t.gasPricing().cost(BigInteger.ONE, gasCostWei));
                listener.topUpOutcome(o, h.marketId(), gasCostWei, toppedUp, saved, skipped, profit);
            }
        }
        return true;
    }

    /** Releases the vaults of top-ups no longer in flight whose outcome never reached {@link #settle}. */
    public void releaseNotIn(Set<Long> flyingNonces) {
        for (Long nonce : List.copyOf(held.keySet())) {
            if (!flyingNonces.contains(nonce)) {
                log.warn("top-up nonce {} left flight without an outcome; releasing its vaults", nonce);
                release(nonce);
            }
        }
    }

    /** Vaults held by our top-ups in flight. */
    public Set<Long> heldVaults() {
        return Set.copyOf(heldVaults.keySet());
    }

    private void release(long nonce) {
        Held h = held.remove(nonce);
        if (h != null) for (long id : h.vaultIds()) heldVaults.remove(id, nonce);
    }

    @Override
    public void close() {
        preparing.shutdownNow();
    }

    private static BigInteger effectiveGasPrice(TransactionReceipt r, TxSender.Pending p) {
        String eff = r.getEffectiveGasPrice();
        return eff == null ? p.fees().maxFeePerGas() : org.web3j.utils.Numeric.decodeQuantity(eff);
    }

    /** A WAD health as a ratio with 4 decimals, rounded down. */
    private static String ratio(BigInteger wad) {
        if (wad.equals(FullMath.UINT256_MAX)) return "no debt";
        return new BigDecimal(wad).movePointLeft(18).setScale(4, RoundingMode.DOWN).toPlainString();
    }
}

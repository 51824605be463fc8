package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.BlockObserver;
import io.isomargin.abi.math.FullMath;
import io.isomargin.keeper.book.BookListener;
import io.isomargin.keeper.book.GuardPolicy;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the liquidatable vaults of every followed market at the end of every block.
 *
 * <p>Listens to the {@link PositionBook}: a vault change moves that vault's key in its market's
 * {@link LiquidationPriceIndex} (keys are upper bounds of liquidation prices, see {@link ThresholdBound}). At each
 * block ({@link #onBlock}, after every oracle update or vault change of the block is applied, and after time moved
 * the debts and ramps on) it takes, per market, the index suffix of keys above the current answer: no vault outside
 * it can be liquidatable. Each of those candidates is then judged at the block's timestamp ({@link MarketAtBlock}):
 * first in doubles ({@link HealthBound}, which answers only where its rounding cannot matter), then, for the few it
 * leaves undecided, with the exact big-integer health; the result is exactly the exact health's, and goes to the
 * {@link CandidateSink}. A market whose bound no longer holds is re-indexed first.
 *
 * <p>Guarded vaults (a live margin-guard policy in the book: not expired at the block, set by the vault's owner, the
 * vault armed) are judged beside: each one's exact health is compared with its policy's trigger, and those below it go
 * out with the market's result as {@link TopUpCandidate}s, whether or not they are liquidatable yet.
 *
 * <p>Runs on the book's writer thread; {@link #latest} may be read from any thread.
 */
public final class LiquidationDetector implements BookListener, BlockObserver {
    private static final Logger log = LoggerFactory.getLogger(LiquidationDetector.class);

    private final PositionBook book;
    private final RiskConfig config;
    private final CandidateSink sink;
    private final Map<Long, MarketRiskIndex> indexes = new HashMap<>();
    private volatile Map<Long, LiquidationCandidates> latest = Map.of();
    private final Map<String, Long> priceUpdatedNanos = new HashMap<>(); // oracle -> when applied, this block only
    private volatile long rebuilds;
    private volatile long judgedBlock = -1;

    public LiquidationDetector(PositionBook book, RiskConfig config, CandidateSink sink) {
        this.book = Objects.requireNonNull(book, "book");
        this.config = Objects.requireNonNull(config, "config");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** The last result of each market. */
    public Map<Long, LiquidationCandidates> latest() {
        return latest;
    }

    /** How many times a market's index was built or rebuilt. */
    public long rebuilds() {
        return rebuilds;
    }

    /* BOOK CHANGES */

    @Override
    public void marketChanged(TrackedMarket before, TrackedMarket after) {
        if (after == null) {
            indexes.remove(before.id());
            return;
        }
        MarketRiskIndex idx = indexes.get(after.id());
        if (idx != null) idx.marketChanged(after);
    }

    @Override
    public void vaultChanged(VaultPosition before, VaultPosition after) {
        if (before != null && (after == null || before.marketId() != after.marketId())) {
            MarketRiskIndex idx = indexes.get(before.marketId());
            if (idx != null) idx.vaultRemoved(before.id());
        }
        if (after != null) indexes.computeIfAbsent(after.marketId(), k -> new MarketRiskIndex()).vaultChanged(after);
    }

    @Override
    public void priceChanged(String oracle, OraclePrice before, OraclePrice after) {
        priceUpdatedNanos.putIfAbsent(oracle, System.nanoTime());
        // judged at the end of the block, with everything else the block changed
    }

    @Override
    public void bookReset() {
        indexes.clear();
    }

    /* DETECTION */

    @Override
    public void onBlock(long block, long timestamp) throws Exception {
        Map<Long, LiquidationCandidates> results = new HashMap<>();
        Map<Long, List<GuardPolicy>> guarded = guardedByMarket(timestamp);
        for (TrackedMarket m : book.markets()) {
            if (!m.complete()) continue;
            LiquidationCandidates c = detect(m, block, timestamp, guarded.getOrDefault(m.id(), List.of()));
            results.put(m.id(), c);
            if (!c.vaults().isEmpty()) {
                log.debug("market {} at #{}: {} liquidatable of {} examined ({} indexed), answer {}", m.id(), block,
                        c.vaults().size(), c.examined(), c.indexed(), c.oracle() == null ? null : c.oracle().answer());
            }
            sink.accept(c);
        }
        priceUpdatedNanos.clear();
        latest = Map.copyOf(results);
        judgedBlock = block;
    }

    /** The last block every market was judged at (-1 before the first). */
    public long judgedBlock() {
        return judgedBlock;
    }

    /** The live guard policies of open vaults at {@code timestamp}, by the vault's market. */
    private Map<Long, List<GuardPolicy>> guardedByMarket(long timestamp) {
        Map<Long, List<GuardPolicy>> out = new HashMap<>();
        for (GuardPolicy p : book.policies()) {
            VaultPosition v = book.vault(p.vaultId());
            if (p.live(v, timestamp)) out.computeIfAbsent(v.marketId(), k -> new ArrayList<>()).add(p);
        }
        return out;
    }

    private LiquidationCandidates detect(TrackedMarket m, long block, long timestamp, List<GuardPolicy> guarded) {
        MarketRiskIndex idx = indexes.computeIfAbsent(m.id(), k -> new MarketRiskIndex());
        if (idx.ensure(m, book.vaultsOf(m.id()), timestamp, config)) {
            rebuilds++;
            log.debug("market {}: liquidation-price index rebuilt at #{} ({} vaults)", m.id(), block,
                    idx.index().size());
        }
        OraclePrice oracle = book.price(m.oracle());
        MarketAtBlock at = new MarketAtBlock(m, oracle, timestamp);
        List<LiquidatableVault> found = List.of();
        int examined = 0;
        if (at.hasPrice()) {
            LiquidationPriceIndex index = idx.index();
            HealthBound bound = new HealthBound(at);
            int from = index.firstAbove(floor(oracle.answer()));
            ConfirmedVaults confirmed = new ConfirmedVaults(at, index.size() - from);
            for (int i = from; i < index.size(); i++) {
                examined++;
                int verdict = bound.verdict(index.debtSharesAt(i), index.collateralAt(i));
                if (verdict == HealthBound.HEALTHY) continue;
                VaultPosition v = index.positionAt(i);
                if (verdict == HealthBound.LIQUIDATABLE || at.liquidatable(v)) confirmed.addVault(v);
            }
            found = confirmed;
        }
        return new LiquidationCandidates(m.id(), block, timestamp, oracle, at.hasPrice() ? at.price() : null,
                at.priceUsable(), at.priceProblem(), found, examined, idx.index().size(), at,
                priceUpdatedNanos.getOrDefault(m.oracle(), 0L), belowTrigger(at, guarded), guarded.size());
    }

    /** The guarded vaults whose exact health is below their trigger, lowest health first. */
    private List<TopUpCandidate> belowTrigger(MarketAtBlock at, List<GuardPolicy> guarded) {
        if (guarded.isEmpty() || !at.hasPrice()) return List.of();
        List<TopUpCandidate> out = new ArrayList<>();
        for (GuardPolicy p : guarded) {
            VaultPosition v = book.vault(p.vaultId());
            if (v.debtShares().signum() == 0) continue;
            BigInteger debt = at.debt(v);
            if (debt.signum() == 0) continue;
            BigInteger maxDebt = at.maxDebt(v);
            BigInteger health = FullMath.mulDivDown(maxDebt, FullMath.WAD, debt);
            if (health.compareTo(p.triggerHealth()) < 0) {
                out.add(new TopUpCandidate(v, p, health, debt, debt.compareTo(maxDebt) > 0));
            }
        }
        out.sort(Comparator.comparing(TopUpCandidate::health).thenComparingLong(TopUpCandidate::vaultId));
        return out;
    }

    /* INDEX QUERIES (no exact confirmation) */

    /**
     * The index candidates of a market at {@code answer}: every vault that may be liquidatable there (a superset of
     * the liquidatable ones at any time of the index's window), unconfirmed. Empty for an unknown market.
     */
    public long[] indexCandidates(long marketId, BigInteger answer) {
        MarketRiskIndex idx = indexes.get(marketId);
        if (idx == null) return new long[0];
        LiquidationPriceIndex index = idx.index();
        int from = index.firstAbove(floor(answer));
        long[] out = new long[index.size() - from];
        for (int i = 0; i < out.length; i++) out[i] = index.vaultAt(from + i);
        return out;
    }

    /** The index of a market (null when unknown): for timing and for callers inside the package. */
    LiquidationPriceIndex index(long marketId) {
        MarketRiskIndex idx = indexes.get(marketId);
        return idx == null ? null : idx.index();
    }

    /** A double not above {@code answer}, for comparison with the index's rounded-up keys. */
    static double floor(BigInteger answer) {
        return Math.nextDown(answer.doubleValue());
    }
}

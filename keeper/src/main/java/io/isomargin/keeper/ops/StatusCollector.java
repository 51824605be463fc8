package io.isomargin.keeper.ops;

import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.CandidateSink;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.MarketAtBlock;
import io.isomargin.keeper.send.TxSender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds what {@code /status} shows. The book may only be read on its own thread, so this sits beside the executor as
 * a {@link CandidateSink}: when a market's judgement of a block arrives, it counts that market's vaults there, values
 * them (at most once per {@code every}, since a full pass costs time at 100k vaults) and keeps an immutable summary
 * that any thread may read through {@link #status}. A market whose price the engine would refuse (a stale oracle) is a
 * named {@link KeeperStatus.Condition}, logged once when it starts and once when it ends, and its vaults are not
 * counted as liquidatable: no liquidation of them can succeed until it recovers.
 */
public final class StatusCollector implements CandidateSink {
    private static final Logger log = LoggerFactory.getLogger(StatusCollector.class);
    private record MarketSummary(long block, long timestamp, int vaults, int liquidatable, int guarded,
            int belowTrigger, List<KeeperStatus.VaultRisk> closest, long valuedAtNanos) {}

    private final PositionBook book;
    private final Duration every;
    private final Map<Long, KeeperStatus.MarketLabel> labels;
    private final Map<Long, MarketSummary> markets = new ConcurrentHashMap<>();
    private final Map<Long, KeeperStatus.Condition> conditions = new ConcurrentHashMap<>();
    private final Map<Long, Long> oracleAge = new ConcurrentHashMap<>(); // seconds behind the judged block

    public StatusCollector(PositionBook book, Duration every) {
        this(book, every, Map.of());
    }

    /** @param labels each market's tokens, to show its name and amounts in whole tokens */
    public StatusCollector(PositionBook book, Duration every, Map<Long, KeeperStatus.MarketLabel> labels) {
        this.book = Objects.requireNonNull(book, "book");
        this.every = Objects.requireNonNull(every, "every");
        this.labels = Map.copyOf(labels);
    }

    /** On the book's thread. */
    @Override
    public void accept(LiquidationCandidates c) {
        watchPrice(c);
        int liquidatable = c.priceUsable() ? c.vaults().size() : 0;
        MarketSummary last = markets.get(c.marketId());
        long now = System.nanoTime();
        boolean fresh = last != null && now - last.valuedAtNanos() < every.toNanos();
        // the count is the book's at this block, always: only the valuation pass below is throttled (a count kept
        // from a judgement before the vaults were opened showed an empty book for `every` after a backfill)
        int vaults = book.vaultsOf(c.marketId()).size();
        if (fresh) {
            markets.put(c.marketId(), new MarketSummary(c.block(), c.timestamp(), vaults, liquidatable, c.guarded(),
                    c.topUps().size(), last.closest(), last.valuedAtNanos()));
            return;
        }
        MarketAtBlock m = c.market();
        List<KeeperStatus.VaultRisk> risks = new ArrayList<>();
        for (VaultPosition v : book.vaultsOf(c.marketId())) {
            if (m != null && m.hasPrice() && v.debtShares().signum() > 0) {
                risks.add(KeeperStatus.VaultRisk.of(v, m.health(v), labels.get(c.marketId()),
                        m.market().priceScale()));
            }
        }
        markets.put(c.marketId(), new MarketSummary(c.block(), c.timestamp(), vaults, liquidatable, c.guarded(),
                c.topUps().size(), KeeperStatus.closest(risks, KeeperStatus.CLOSEST), now));
    }

    private void watchPrice(LiquidationCandidates c) {
        long id = c.marketId();
        if (c.oracle() != null && c.oracle().updatedAt() > 0) oracleAge.put(id, c.timestamp() - c.oracle().updatedAt());
        if (c.priceUsable()) {
            if (conditions.remove(id) != null) log.info("market {}: its price is usable again at #{}", id, c.block());
            return;
        }
        KeeperStatus.Condition was = conditions.put(id, new KeeperStatus.Condition(id, "price-unusable",
                c.priceProblem()));
        if (was == null) {
            log.warn("market {}: {} at #{}; the engine refuses liquidations there, so its vaults are not counted as "
                    + "liquidatable until it recovers", id, c.priceProblem(), c.block());
        }
    }

    /** Named conditions outside the keeper, by market. */
    public List<KeeperStatus.Condition> conditions() {
        return List.copyOf(new TreeMap<>(conditions).values());
    }

    /** Seconds between each market's latest oracle update and the block it was judged at. */
    public Map<Long, Long> oracleAgeSeconds() {
        return Map.copyOf(oracleAge);
    }

    /**
     * The latest summary, with the sender's transactions in flight.
     *
     * @param liquidationMode {@code liquidation.mode} as configured ({@code funded} or {@code capital-free})
     */
    public KeeperStatus status(TxSender sender, boolean dryRun, String liquidationMode) {
        return status(sender.address(), sender.inFlight().stream().map(KeeperStatus.PendingTx::of).toList(), dryRun,
                liquidationMode);
    }

    /** The latest summary, with {@code pending} as the transactions in flight. */
    KeeperStatus status(String sender, List<KeeperStatus.PendingTx> pending, boolean dryRun, String liquidationMode) {
        Map<Long, MarketSummary> snapshot = new TreeMap<>(markets);
        List<KeeperStatus.MarketVaults> perMarket = new ArrayList<>();
        List<KeeperStatus.VaultRisk> all = new ArrayList<>();
        long block = -1;
        long timestamp = -1;
        int tracked = 0;
        for (var e : snapshot.entrySet()) {
            MarketSummary s = e.getValue();
            perMarket.add(KeeperStatus.MarketVaults.of(e.getKey(), s.vaults(), s.liquidatable(), s.guarded(),
                    s.belowTrigger(), labels.get(e.getKey())));
            all.addAll(s.closest());
            if (s.block() > block) {
                block = s.block();
                timestamp = s.timestamp();
            }
            tracked += s.vaults();
        }
        return new KeeperStatus(sender, dryRun, block, tracked, perMarket, KeeperStatus.closest(all,
                KeeperStatus.CLOSEST), pending, conditions(),
                timestamp < 0 ? null : java.time.Instant.ofEpochSecond(timestamp).toString(), liquidationMode);
    }

    /** Guarded vaults (a live policy) in the latest judgement of every market. */
    public long guarded() {
        return markets.values().stream().mapToLong(MarketSummary::guarded).sum();
    }

    /** Guarded vaults under their trigger in the latest judgement of every market. */
    public long belowTrigger() {
        return markets.values().stream().mapToLong(MarketSummary::belowTrigger).sum();
    }

    /** Liquidatable vaults in the latest judgement of every market. */
    public long liquidatable() {
        return markets.values().stream().mapToLong(MarketSummary::liquidatable).sum();
    }
}

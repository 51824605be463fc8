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

/**
 * Builds what {@code /status} shows. The book may only be read on its own thread, so this sits beside the executor as
 * a {@link CandidateSink}: when a market's judgement of a block arrives, it values that market's vaults there (at most
 * once per {@code every}, since a full pass costs time at 100k vaults) and keeps an immutable summary that any thread
 * may read through {@link #status}.
 */
public final class StatusCollector implements CandidateSink {
    private record MarketSummary(long block, int vaults, int liquidatable, List<KeeperStatus.VaultRisk> closest,
            long valuedAtNanos) {}

    private final PositionBook book;
    private final Duration every;
    private final Map<Long, MarketSummary> markets = new ConcurrentHashMap<>();

    public StatusCollector(PositionBook book, Duration every) {
        this.book = Objects.requireNonNull(book, "book");
        this.every = Objects.requireNonNull(every, "every");
    }

    /** On the book's thread. */
    @Override
    public void accept(LiquidationCandidates c) {
        MarketSummary last = markets.get(c.marketId());
        long now = System.nanoTime();
        boolean fresh = last != null && now - last.valuedAtNanos() < every.toNanos();
        if (fresh) {
            markets.put(c.marketId(), new MarketSummary(c.block(), last.vaults(), c.vaults().size(), last.closest(),
                    last.valuedAtNanos()));
            return;
        }
        MarketAtBlock m = c.market();
        List<KeeperStatus.VaultRisk> risks = new ArrayList<>();
        int vaults = 0;
        for (VaultPosition v : book.vaultsOf(c.marketId())) {
            vaults++;
            if (m != null && m.hasPrice() && v.debtShares().signum() > 0) {
                risks.add(KeeperStatus.VaultRisk.of(v, m.health(v)));
            }
        }
        markets.put(c.marketId(), new MarketSummary(c.block(), vaults, c.vaults().size(),
                KeeperStatus.closest(risks, KeeperStatus.CLOSEST), now));
    }

    /** The latest summary, with the sender's transactions in flight. */
    public KeeperStatus status(TxSender sender, boolean dryRun) {
        Map<Long, MarketSummary> snapshot = new TreeMap<>(markets);
        List<KeeperStatus.MarketVaults> perMarket = new ArrayList<>();
        List<KeeperStatus.VaultRisk> all = new ArrayList<>();
        long block = -1;
        int tracked = 0;
        for (var e : snapshot.entrySet()) {
            MarketSummary s = e.getValue();
            perMarket.add(new KeeperStatus.MarketVaults(e.getKey(), s.vaults(), s.liquidatable()));
            all.addAll(s.closest());
            block = Math.max(block, s.block());
            tracked += s.vaults();
        }
        return new KeeperStatus(sender.address(), dryRun, block, tracked, perMarket,
                KeeperStatus.closest(all, KeeperStatus.CLOSEST),
                sender.inFlight().stream().map(KeeperStatus.PendingTx::of).toList());
    }

    /** Liquidatable vaults in the latest judgement of every market. */
    public long liquidatable() {
        return markets.values().stream().mapToLong(MarketSummary::liquidatable).sum();
    }
}

package io.isomargin.indexer.store;

import io.isomargin.indexer.projection.GuardPolicyRow;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.projection.MarketRow;
import io.isomargin.indexer.projection.MirrorState;
import io.isomargin.indexer.projection.RiskChangeRow;
import io.isomargin.indexer.projection.TopUpRow;
import io.isomargin.indexer.projection.VaultRow;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The single writer's copy of the current rows projections start from: every market and pending risk change, and the
 * recently used vaults, guard policies and recent top-ups, as the last batch <em>projected</em> (not necessarily
 * committed yet) left them. A row missing here was not changed by any batch in flight, so its committed row in the
 * database is current. A row is evicted (least recently used first, above a bound) only once the block of its last
 * change is committed. Not thread-safe: {@link MirrorStore} uses it from one projection at a time.
 */
final class RowCache {
    private final int maxRows;
    private Map<Long, MarketRow> markets; // null: not loaded
    private Map<Long, RiskChangeRow> pendingRisk; // null: not loaded
    private final Map<Long, VaultRow> vaults;
    private final Map<Long, GuardPolicyRow> policies;
    private final Map<Long, List<TopUpRow>> topUps;
    /** The highest block known committed: rows last changed at or below it may be evicted. */
    private long committedBlock = -1;

    RowCache(int maxRows) {
        if (maxRows < 1) throw new IllegalArgumentException("maxRows must be positive: " + maxRows);
        this.maxRows = maxRows;
        this.vaults = lru(VaultRow::updatedBlock);
        this.policies = lru(GuardPolicyRow::updatedBlock);
        this.topUps = lru(rows -> rows.isEmpty() ? -1 : rows.getLast().at().blockNumber());
    }

    private <V> Map<Long, V> lru(ToLongFunction<V> lastChange) {
        return new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, V> eldest) {
                return size() > maxRows && lastChange.applyAsLong(eldest.getValue()) <= committedBlock;
            }
        };
    }

    /** Forgets every row (after a failed or skipped commit, a rollback, or a restart). */
    void clear() {
        markets = null;
        pendingRisk = null;
        vaults.clear();
        policies.clear();
        topUps.clear();
    }

    void committed(long block) {
        committedBlock = Math.max(committedBlock, block);
    }

    boolean hasMarkets() {
        return markets != null;
    }

    /** What the cache lacks for a batch naming these vaults (its misses, to be read from the database). */
    record Misses(boolean marketsAndPending, Set<Long> vaults, Set<Long> policies, Set<Long> topUps) {
        boolean none() {
            return !marketsAndPending && vaults.isEmpty() && policies.isEmpty() && topUps.isEmpty();
        }
    }

    Misses misses(Set<Long> vaultIds, Set<Long> guardVaultIds, Set<Long> topUpVaultIds) {
        return new Misses(markets == null, missing(vaults, vaultIds), missing(policies, guardVaultIds),
                missing(topUps, topUpVaultIds));
    }

    private static Set<Long> missing(Map<Long, ?> cached, Set<Long> ids) {
        Set<Long> out = new java.util.LinkedHashSet<>();
        for (Long id : ids) if (!cached.containsKey(id)) out.add(id);
        return out;
    }

    /** Adds rows read from the database for {@link #misses} (rows absent there are left absent). */
    void load(MirrorState read, boolean marketsAndPending) {
        if (marketsAndPending) {
            markets = new HashMap<>(read.markets());
            pendingRisk = new HashMap<>(read.pendingRisk());
        }
        vaults.putAll(read.vaults());
        policies.putAll(read.policies());
        read.recentTopUps().forEach((id, rows) -> topUps.put(id, List.copyOf(rows)));
    }

    /** The start state of a batch naming these vaults, all of which are cached or absent from the mirror. */
    MirrorState state(Set<Long> vaultIds, Set<Long> guardVaultIds, Set<Long> topUpVaultIds) {
        return new MirrorState(markets, pick(vaults, vaultIds), pendingRisk, pick(policies, guardVaultIds),
                pick(topUps, topUpVaultIds));
    }

    private static <V> Map<Long, V> pick(Map<Long, V> cached, Set<Long> ids) {
        Map<Long, V> out = new HashMap<>();
        for (Long id : ids) {
            V v = cached.get(id);
            if (v != null) out.put(id, v);
        }
        return out;
    }

    /** Takes the rows a projection left ({@link io.isomargin.indexer.projection.MirrorProjection.Projected}). */
    void update(MirrorState after) {
        markets = new HashMap<>(after.markets());
        pendingRisk = new HashMap<>(after.pendingRisk());
        vaults.putAll(after.vaults());
        policies.putAll(after.policies());
        after.recentTopUps().forEach((id, rows) -> topUps.put(id, List.copyOf(
                rows.subList(Math.max(0, rows.size() - GuardWindow.MAX_TOP_UPS_PER_DAY), rows.size()))));
    }

    int size() {
        return vaults.size() + policies.size() + topUps.size();
    }
}

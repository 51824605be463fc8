package io.isomargin.indexer.api;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.indexer.projection.VaultRow;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The order of {@code /vaults?sort=health}: lowest health first, ties by vault id; vaults without debt (health
 * {@code 2^256 - 1}) and vaults of a market without a price yet come last. Pages are keyed by the last (health, id)
 * returned, so paging through a mirror that does not move returns every vault exactly once.
 */
final class HealthOrder {
    private HealthOrder() {}

    /** A place in the order: the vaults after it have a greater (health, id). */
    record Position(BigInteger health, long vaultId) {}

    /** A vault and its valuation (null when its market has no price yet). */
    record Entry(VaultRow vault, MarketSnapshot.Valuation valuation) {
        Position position() {
            return new Position(valuation == null ? UINT256_MAX : valuation.health(), vault.vaultId());
        }
    }

    /** One page and the position to continue after (null at the end). */
    record Page(List<Entry> items, Position next) {}

    private static final Comparator<Position> ORDER =
            Comparator.comparing(Position::health).thenComparingLong(Position::vaultId);

    /**
     * Values {@code vaults}, keeps those at or below {@code maxHealthWad} (null: all), sorts them and returns up to
     * {@code limit} after {@code after} (null: from the start).
     */
    static Page page(List<VaultRow> vaults, Function<VaultRow, MarketSnapshot.Valuation> valuer,
            BigInteger maxHealthWad, Position after, int limit) {
        List<Entry> entries = new ArrayList<>(vaults.size());
        for (VaultRow v : vaults) {
            Entry e = new Entry(v, valuer.apply(v));
            if (maxHealthWad != null && (e.valuation() == null || e.valuation().health().compareTo(maxHealthWad) > 0)) {
                continue;
            }
            if (after != null && ORDER.compare(e.position(), after) <= 0) continue;
            entries.add(e);
        }
        entries.sort(Comparator.comparing(Entry::position, ORDER));
        if (entries.size() <= limit) return new Page(entries, null);
        List<Entry> items = List.copyOf(entries.subList(0, limit));
        return new Page(items, items.getLast().position());
    }
}

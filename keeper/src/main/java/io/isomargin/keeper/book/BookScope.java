package io.isomargin.keeper.book;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which deployment and which of its markets the book follows.
 *
 * @param engine         the engine's address
 * @param deployBlock    the engine's deployment block: backfill from the chain starts there
 * @param oracleByMarket the followed markets and their feeds (the deployment file lists both)
 * @param guard          the margin guard whose policies the book follows (empty: none, or top-ups are off)
 */
public record BookScope(String engine, long deployBlock, Map<Long, String> oracleByMarket, Optional<String> guard) {
    public BookScope {
        engine = address(engine, "engine");
        guard = Objects.requireNonNull(guard, "guard").map(g -> address(g, "guard"));
        if (deployBlock < 0) throw new IllegalArgumentException("deployBlock must not be negative: " + deployBlock);
        Objects.requireNonNull(oracleByMarket, "oracleByMarket");
        if (oracleByMarket.isEmpty()) throw new IllegalArgumentException("the book must follow at least one market");
        Map<Long, String> m = new TreeMap<>();
        oracleByMarket.forEach((id, oracle) -> m.put(id, address(oracle, "oracle of market " + id)));
        oracleByMarket = java.util.Collections.unmodifiableMap(m);
    }

    /** Without a margin guard. */
    public BookScope(String engine, long deployBlock, Map<Long, String> oracleByMarket) {
        this(engine, deployBlock, oracleByMarket, Optional.empty());
    }

    /** The same scope following {@code guardAddress}'s policies too. */
    public BookScope withGuard(String guardAddress) {
        return new BookScope(engine, deployBlock, oracleByMarket, Optional.of(guardAddress));
    }

    /** Whether {@code address} is the followed guard's. */
    public boolean isGuard(String address) {
        return guard.isPresent() && guard.get().equalsIgnoreCase(address);
    }

    public boolean follows(long marketId) {
        return oracleByMarket.containsKey(marketId);
    }

    /** The feeds of the followed markets, without duplicates. */
    public List<String> oracles() {
        return oracleByMarket.values().stream().distinct().toList();
    }

    private static String address(String a, String what) {
        Objects.requireNonNull(a, what);
        if (!a.matches("0[xX][0-9a-fA-F]{40}")) throw new IllegalArgumentException(what + ": not an address: " + a);
        return a.toLowerCase(Locale.ROOT);
    }
}

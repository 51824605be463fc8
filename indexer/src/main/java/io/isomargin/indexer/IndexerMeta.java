package io.isomargin.indexer;

import java.util.Locale;
import java.util.Objects;

/**
 * Which deployment a mirror database belongs to.
 *
 * @param chainId     the chain's id
 * @param engine      the engine's address (stored lower-case)
 * @param deployBlock the block the engine was deployed in: indexing starts there
 */
public record IndexerMeta(long chainId, String engine, long deployBlock) {
    public IndexerMeta {
        Objects.requireNonNull(engine, "engine");
        if (!engine.matches("0[xX][0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("engine: expected 0x and 40 hex digits, got " + engine);
        }
        engine = engine.toLowerCase(Locale.ROOT);
        if (deployBlock < 0) {
            throw new IllegalArgumentException("deployBlock must not be negative, got " + deployBlock);
        }
    }
}

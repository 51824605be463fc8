package io.isomargin.indexer.store;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which deployment a mirror database belongs to.
 *
 * @param chainId     the chain's id
 * @param engine      the engine's address (stored lower-case)
 * @param deployBlock the block the engine was deployed in: indexing starts there
 * @param genesisHash the hash of the chain's block 0 (lower-case), or null when not known: it tells two chains with
 *                    the same id apart, such as a dev chain started anew where the same deployer put the engine at the
 *                    same address
 * @param guard       the deployment's margin guard (stored lower-case), followed with the engine; null when it has
 *                    none
 */
public record IndexerMeta(long chainId, String engine, long deployBlock, String genesisHash, String guard) {
    public IndexerMeta {
        Objects.requireNonNull(engine, "engine");
        if (!engine.matches("0[xX][0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("engine: expected 0x and 40 hex digits, got " + engine);
        }
        engine = engine.toLowerCase(Locale.ROOT);
        if (deployBlock < 0) {
            throw new IllegalArgumentException("deployBlock must not be negative, got " + deployBlock);
        }
        if (genesisHash != null) {
            if (!genesisHash.matches("0[xX][0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException("genesisHash: expected 0x and 64 hex digits, got " + genesisHash);
            }
            genesisHash = genesisHash.toLowerCase(Locale.ROOT);
        }
        if (guard != null) {
            if (!guard.matches("0[xX][0-9a-fA-F]{40}")) {
                throw new IllegalArgumentException("guard: expected 0x and 40 hex digits, got " + guard);
            }
            guard = guard.toLowerCase(Locale.ROOT);
        }
    }

    /** A deployment without a margin guard. */
    public IndexerMeta(long chainId, String engine, long deployBlock, String genesisHash) {
        this(chainId, engine, deployBlock, genesisHash, null);
    }

    /** A deployment without a margin guard whose chain's genesis is not known (not checked, not recorded). */
    public IndexerMeta(long chainId, String engine, long deployBlock) {
        this(chainId, engine, deployBlock, null, null);
    }

    /**
     * Why a database recording {@code this} cannot mirror {@code configured}, or empty when it can: another chain id
     * or engine is another deployment; the same ones on a chain with another genesis block are another chain (a
     * genesis hash not recorded on either side is not compared); another margin guard, or one configured for a
     * mirror written without it (by an indexer that did not follow guards: its policies and top-ups are missing), or
     * none configured for a mirror that follows one, is not the mirror's deployment either.
     */
    public Optional<String> mismatch(IndexerMeta configured) {
        if (chainId != configured.chainId || !engine.equals(configured.engine)) {
            return Optional.of("this database mirrors engine " + engine + " on chain " + chainId
                    + " (deployed at block " + deployBlock + "), but the indexer is configured for engine "
                    + configured.engine + " on chain " + configured.chainId + " (deployed at block "
                    + configured.deployBlock + "): point database.url at an empty database or fix the configuration");
        }
        if (genesisHash != null && configured.genesisHash != null && !genesisHash.equals(configured.genesisHash)) {
            return Optional.of("this database mirrors another chain (genesis " + genesisHash + "; the node's is "
                    + configured.genesisHash + ") with the same chain id " + chainId + " and engine " + engine
                    + ", as when a dev chain is started anew; drop it or point database.url elsewhere");
        }
        if (!java.util.Objects.equals(guard, configured.guard)) {
            return Optional.of("this database mirrors engine " + engine + " on chain " + chainId
                    + (guard == null ? " without following a margin guard" : " with margin guard " + guard)
                    + ", but the deployment file " + (configured.guard == null ? "names no guard"
                    : "names margin guard " + configured.guard) + (guard == null
                    ? ": the mirror lacks the guard's policies and top-ups; drop it or point database.url at an"
                            + " empty database to index them from the deployment block"
                    : ": point database.url at an empty database or fix the deployment file"));
        }
        return Optional.empty();
    }
}

package io.isomargin.indexer.store;

/** The database already mirrors another chain or engine than the one the indexer is configured for (see
 * {@link IndexerMeta#mismatch}). */
public final class MetaMismatchException extends IllegalStateException {
    public MetaMismatchException(IndexerMeta stored, IndexerMeta configured) {
        super(stored.mismatch(configured).orElseThrow(() -> new IllegalArgumentException("the deployments match")));
    }
}

package io.isomargin.indexer;

/** The database already mirrors another chain or engine than the one the indexer is configured for. */
public final class MetaMismatchException extends IllegalStateException {
    public MetaMismatchException(IndexerMeta stored, IndexerMeta configured) {
        super("this database mirrors engine " + stored.engine() + " on chain " + stored.chainId()
                + " (deployed at block " + stored.deployBlock() + "), but the indexer is configured for engine "
                + configured.engine() + " on chain " + configured.chainId() + " (deployed at block "
                + configured.deployBlock() + "): point it at an empty database or fix the configuration");
    }
}

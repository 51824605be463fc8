package io.isomargin.indexer.intake;

import io.isomargin.indexer.projection.MirrorChanges;


/**
 * Told what the mirror committed, after each commit, on the runner's thread (keep it short: hand the work on).
 * The API's {@code /events} stream is one.
 */
public interface CommitListener {
    /** Blocks {@code fromBlock..toBlock} were committed with {@code changes}. */
    void committed(long fromBlock, long toBlock, MirrorChanges changes);

    /** A reorg rolled the mirror back to {@code ancestor}: what was published above it is gone. */
    void rolledBack(long ancestor);
}

package io.isomargin.indexer.store;

/**
 * A batch refused because an earlier batch's commit failed (or was skipped) while others are still in flight: nothing
 * of it was written; resume from the committed cursor once they have settled.
 */
public final class CommitPendingException extends IllegalStateException {
    public CommitPendingException(String message) {
        super(message);
    }
}

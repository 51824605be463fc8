/**
 * Chain intake: {@link io.isomargin.indexer.intake.IndexerRunner} runs the shared chain follower over the engine, the
 * margin guard and the markets' oracles, completes each batch (new markets' initial prices and tokens, late oracles'
 * logs, block times) and hands it to the store, batch by batch and reorg by reorg, resuming from the committed cursor
 * by itself after transient database or RPC failures ({@link io.isomargin.indexer.intake.TransientFailures}). What it
 * committed goes to {@link io.isomargin.indexer.intake.CommitListener}s, and where it stands to
 * {@link io.isomargin.indexer.intake.FollowStatus} (the API's {@code /health}).
 */
package io.isomargin.indexer.intake;

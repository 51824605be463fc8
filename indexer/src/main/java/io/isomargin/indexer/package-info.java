/**
 * The indexer: mirrors every vault, market, lender balance, oracle price and liquidation, and the margin guard's
 * policies and top-ups, into PostgreSQL through the shared chain follower ({@code io.isomargin.abi.follower}), exactly
 * once and reorg-safe.
 *
 * <ul>
 * <li>{@link io.isomargin.indexer.MirrorProjection}: a log batch to row changes, without I/O;</li>
 * <li>{@link io.isomargin.indexer.MirrorStore}: those rows, the block headers and the cursor in one transaction,
 *     and rollbacks to a common ancestor (schema: {@code db/migration}, applied by
 *     {@link io.isomargin.indexer.Migrations});</li>
 * <li>{@link io.isomargin.indexer.IndexerRunner}: the follower wired to the store, resuming from the cursor, also by
 *     itself after transient database or RPC failures ({@link io.isomargin.indexer.TransientFailures});</li>
 * <li>{@link io.isomargin.indexer.GuardWindow}: the guard's rolling 24-hour cap, as the contract counts it, from the
 *     mirrored top-ups and their block times ({@link io.isomargin.indexer.BlockTimes});</li>
 * <li>{@link io.isomargin.indexer.Verifier}: the mirror compared with the engine's and the guard's views at the cursor
 *     block;</li>
 * <li>{@link io.isomargin.indexer.StartChecks}: the node and the database checked against the deployment file before
 *     anything is written;</li>
 * <li>{@link io.isomargin.indexer.IndexerMain}: the {@code run}, {@code verify} and {@code rebuild} commands and their
 *     exit codes ({@link io.isomargin.indexer.ExitCode}), configured by {@link io.isomargin.indexer.IndexerConfig}
 *     ({@code indexer/indexer.example.yaml}).</li>
 * </ul>
 */
package io.isomargin.indexer;

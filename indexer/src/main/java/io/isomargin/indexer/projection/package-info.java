/**
 * The projection: {@link io.isomargin.indexer.projection.MirrorProjection} turns a log batch into the row changes it
 * makes ({@link io.isomargin.indexer.projection.MirrorChanges}) from the rows it starts from
 * ({@link io.isomargin.indexer.projection.MirrorState}), without I/O; the rows themselves (vaults, markets, risk
 * changes, guard policies and top-ups, each change's {@link io.isomargin.indexer.projection.EventRef}); and the
 * guard's rolling 24-hour cap as the contract counts it ({@link io.isomargin.indexer.projection.GuardWindow}, from the
 * top-ups and their {@link io.isomargin.indexer.projection.BlockTimes}). The store, the API and the verifier read
 * these types; this package reads none of theirs.
 */
package io.isomargin.indexer.projection;

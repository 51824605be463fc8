/**
 * The mirror in PostgreSQL: {@link io.isomargin.indexer.store.MirrorStore} commits a batch's rows, its block headers
 * and the cursor ({@link io.isomargin.indexer.store.IndexedCursor}) in one transaction and rolls back to a common
 * ancestor; {@link io.isomargin.indexer.store.MirrorReader} reads consistent snapshots for the API; the deployment a
 * database mirrors ({@link io.isomargin.indexer.store.IndexerMeta}); the SQL of the tables
 * ({@link io.isomargin.indexer.store.Tables}), the schema ({@code db/migration}, applied by
 * {@link io.isomargin.indexer.store.Migrations}) and the connection pool
 * ({@link io.isomargin.indexer.store.MirrorPool}).
 */
package io.isomargin.indexer.store;

/**
 * The indexer process: the {@code run}, {@code verify} and {@code rebuild} commands
 * ({@link io.isomargin.indexer.app.IndexerMain}) and their exit codes ({@link io.isomargin.indexer.app.ExitCode}),
 * configured by {@link io.isomargin.indexer.app.IndexerConfig} ({@code indexer/indexer.example.yaml}); the node and the
 * database checked against the deployment file before anything is written
 * ({@link io.isomargin.indexer.app.StartChecks}); and the wiring of intake, store, API and metrics
 * ({@link io.isomargin.indexer.app.IndexerMetrics}) with the console's backfill progress
 * ({@link io.isomargin.indexer.app.BackfillProgress}). The only package that knows all the others.
 */
package io.isomargin.indexer.app;

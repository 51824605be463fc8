/**
 * The indexer tests' fixtures, shared by the tests of every package: an in-process indexer over a test chain and
 * database ({@link io.isomargin.indexer.testing.IndexerHarness}), the command line in-process
 * ({@link io.isomargin.indexer.testing.IndexerCli}), the chain scenarios and loads that make events
 * ({@link io.isomargin.indexer.testing.Scenario}, {@link io.isomargin.indexer.testing.EventLoad},
 * {@link io.isomargin.indexer.testing.Guards}), and the comparison of the mirror with the chain
 * ({@link io.isomargin.indexer.testing.MirrorComparison}, {@link io.isomargin.indexer.testing.ChainLogCounts}).
 * The chain and the database come from {@code io.isomargin.abi.testing}.
 */
package io.isomargin.indexer.testing;

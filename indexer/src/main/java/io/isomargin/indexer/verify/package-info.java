/**
 * The check of the mirror against the chain: {@link io.isomargin.indexer.verify.Verifier} reads the engine's and the
 * margin guard's views at the mirror's cursor block and reports every value on which they and the rows in PostgreSQL
 * disagree; behind the {@code verify} command, the mirror tests and the benchmark.
 */
package io.isomargin.indexer.verify;

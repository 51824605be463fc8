/**
 * The indexer: mirrors every vault, market, lender balance, oracle price and liquidation, and the margin guard's
 * policies and top-ups, into PostgreSQL through the shared chain follower ({@code io.isomargin.abi.follower}), exactly
 * once and reorg-safe. Its packages follow the data: {@code intake} takes the follower's log batches and reorgs and
 * hands each to {@code projection}, which turns it into row changes without I/O, which {@code store} commits with the
 * cursor in one transaction; {@code api} serves the committed mirror (read through {@code store}) and what
 * {@code intake} reports, {@code verify} compares the mirror with the chain, and {@code app} is the command line that
 * checks the deployment, migrates the schema and wires the others together. The dependencies have no cycle:
 * {@code projection} uses none of the others, {@code store} only {@code projection}, {@code intake} both, {@code verify}
 * {@code projection}, {@code api} {@code store}, {@code projection} and what {@code intake} reports, and {@code app}
 * everything.
 */
package io.isomargin.indexer;

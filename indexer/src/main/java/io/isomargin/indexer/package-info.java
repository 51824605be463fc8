/**
 * The indexer: mirrors every vault, market, lender balance, oracle price and liquidation into PostgreSQL through the
 * shared chain follower ({@code io.isomargin.abi.follower}), exactly once and reorg-safe, with an HTTP query API.
 * Built by the indexer issue; this module so far only wires the build and the shared test harness.
 */
package io.isomargin.indexer;

/**
 * The chain follower shared by the indexer and the keeper.
 *
 * <ul>
 * <li>Transport: {@link io.isomargin.abi.follower.RpcClient} over {@link io.isomargin.abi.follower.RpcEndpoint}s
 *     (retry with backoff and jitter, a circuit breaker and optional rate limiter per endpoint, failover), failures
 *     classified by {@link io.isomargin.abi.follower.RpcErrorKind}.</li>
 * <li>Fetching: {@link io.isomargin.abi.follower.ChainFollower} turns the chain into a stream of
 *     {@link io.isomargin.abi.follower.LogBatch}es and reorg notices for a
 *     {@link io.isomargin.abi.follower.ChainListener}.</li>
 * <li>The store and the cursor belong to the listener: it commits each batch with its cursor, rolls back on
 *     {@code onReorg}, and restarts the follower from what it committed.</li>
 * </ul>
 */
package io.isomargin.abi.follower;

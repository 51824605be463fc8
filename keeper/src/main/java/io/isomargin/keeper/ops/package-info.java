/**
 * The keeper's operator surface: Prometheus metrics ({@link io.isomargin.keeper.ops.KeeperMetrics}), the HTTP
 * endpoints {@code /health}, {@code /metrics} and {@code /status} ({@link io.isomargin.keeper.ops.OpsServer}) and the
 * status the {@code keeper status} command prints ({@link io.isomargin.keeper.ops.KeeperStatus},
 * {@link io.isomargin.keeper.ops.StatusTable}).
 */
package io.isomargin.keeper.ops;

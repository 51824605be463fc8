/**
 * The query API over the committed mirror: {@link io.isomargin.indexer.api.ApiServer} serves the JSON endpoints, the
 * dashboard's files, {@code /health} (judged from the intake's
 * {@link io.isomargin.indexer.intake.FollowStatus}), {@code /metrics} and {@code /openapi.json}, reading each answer
 * from one snapshot of the store; {@link io.isomargin.indexer.api.EventStream} pushes what the intake commits as
 * server-sent events. Health, debt and liquidation prices are computed per request with the engine's exact math
 * ({@link io.isomargin.indexer.api.MarketSnapshot}).
 */
package io.isomargin.indexer.api;

/**
 * The keeper: keeps every open vault in memory ({@code book}), re-evaluates health with the exact margin math on each
 * block and price and finds the liquidatable vaults ({@code risk}). Execution (simulation, batching, gas, nonces)
 * comes next and consumes {@link io.isomargin.keeper.risk.LiquidationCandidates}.
 */
package io.isomargin.keeper;

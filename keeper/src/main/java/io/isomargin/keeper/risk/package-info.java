/**
 * Exact health ({@link io.isomargin.keeper.risk.MarketAtBlock}) and detection: a per-market index of vaults by an
 * upper bound of their liquidation price, so a price tick finds its candidates by binary search, each then confirmed
 * with the engine's exact math ({@link io.isomargin.keeper.risk.LiquidationDetector}), delivered per market and block
 * as {@link io.isomargin.keeper.risk.LiquidationCandidates}.
 */
package io.isomargin.keeper.risk;

/**
 * The keeper: keeps every open vault in memory ({@code book}), re-evaluates health with the exact margin math on each
 * block and price and finds the liquidatable vaults, and the guarded ones under their margin-guard trigger
 * ({@code risk}), tops the latter up from their owners' wallets before liquidating the rest ({@code exec}), and sends
 * through one sender with local nonces and capped fees ({@code send}); {@link io.isomargin.keeper.Keeper} wires them.
 */
package io.isomargin.keeper;

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {IIsomarginEngine, MarketState} from "./IIsomarginEngine.sol";

/// @title IIsomarginLens
/// @notice Read-only views over an `IsomarginEngine`, kept out of the engine so the engine stays small (as Morpho
/// Blue keeps its views in periphery libraries). Every figure is computed from the engine's stored state with the
/// engine's own libraries and roundings, accrued to the current block.
interface IIsomarginLens {
    /// @notice The engine this lens reads.
    function engine() external view returns (IIsomarginEngine);

    /// @notice Accounting with interest accrued up to the current block's timestamp.
    function expectedMarketState(uint256 marketId) external view returns (MarketState memory);

    /// @notice Oracle price of one collateral base unit in loan base units, scaled by 1e36. Reverts with the
    /// engine's custom errors on a bad price.
    function price(uint256 marketId) external view returns (uint256);

    /// @notice Debt of a vault in loan-token units with interest accrued to now, rounded up.
    function debtOf(uint256 vaultId) external view returns (uint256);

    /// @notice Health = (V - maintenance requirement) / D in WAD, rounded down; `type(uint256).max` without debt.
    function health(uint256 vaultId) external view returns (uint256);

    /// @notice True iff the vault has debt and its health is below 1.
    function isLiquidatable(uint256 vaultId) external view returns (bool);

    /// @notice `isLiquidatable` of each vault, in order, in one call (reverts like it on an unknown vault). For
    /// off-chain readers checking many vaults at one block: a node answers one call instead of one per vault. About
    /// 75,000 gas a vault; keep a call's list within what the node's call gas limit allows.
    function liquidatableAmong(uint256[] calldata vaultIds) external view returns (bool[] memory);

    /// @notice The lowest oracle answer (in the feed's own decimals) at which the vault is still healthy: at any
    /// answer below it the vault is liquidatable (with today's debt and margins). 0 without debt;
    /// `type(uint256).max` with debt and no collateral.
    function liquidationPrice(uint256 vaultId) external view returns (uint256);

    /// @notice Collateral units to deposit so that the vault's health reaches `targetHealth` (WAD) at the current
    /// oracle price with today's debt and margins, rounded up; 0 if it already does or has no debt.
    function collateralToReach(uint256 vaultId, uint256 targetHealth) external view returns (uint256);

    /// @notice Loan units to repay so that the vault's health reaches `targetHealth` (WAD) at the current oracle
    /// price; the whole debt when no partial repay reaches it (the collateral covers no debt at all). 0 if it
    /// already does or has no debt. Ignores `minDebt` (a repay leaving debt under it reverts in the engine).
    function repayToReach(uint256 vaultId, uint256 targetHealth) external view returns (uint256);
}

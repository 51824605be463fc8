// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title ILiquidationCallback
/// @notice Implemented by a liquidator contract that wants to liquidate without holding the loan token up front.
/// @dev The engine sends the seized collateral first, then calls this, then pulls `owed` loan tokens from the
/// caller with `transferFrom`. The callee can sell the collateral in between (capital-free liquidation).
interface ILiquidationCallback {
    /// @param marketId The market of the liquidated vault(s).
    /// @param seizedCollateral Collateral already sent to the receiver, in collateral-token units.
    /// @param owed Loan tokens (repaid debt plus protocol fee) the engine pulls right after this call returns.
    /// @param data The bytes the liquidator passed to `liquidate` / `liquidateBatch`.
    function onIsomarginLiquidation(uint256 marketId, uint256 seizedCollateral, uint256 owed, bytes calldata data)
        external;
}

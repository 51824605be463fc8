// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "../fuzz/FuzzBase.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice A market borrowed to 100% utilization. The reserve share of interest is credited to the insurance fund
/// but not to lenders, so after any accrual totalSupplyAssets < totalBorrowAssets (lenders' books are below what
/// is lent out; the gap is the not-yet-repaid reserve). Every liquidity check must then report 0 available, not
/// underflow.
contract FullUtilizationTest is FuzzBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, 100_000e6);
        id = _open(BORROWER, 100e18, 100_000e6); // borrows every unit supplied
        vm.warp(block.timestamp + 30 days);
        _setPrice(INITIAL_PRICE);
        engine.accrueInterest(marketId);
        MarketState memory s = _state();
        vm.assertLt(s.totalSupplyAssets, s.totalBorrowAssets, "set-up: supply books not below borrows");
        vm.assertEq(s.totalBorrowAssets - s.totalSupplyAssets, s.insuranceFund, "gap is the reserve");
    }

    function test_fullUtilization_lenderWithdraw_revertsInsufficientLiquidityNotPanic() public {
        vm.prank(LENDER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 1, 0));
        engine.withdraw(marketId, 1, LENDER);
    }

    function test_fullUtilization_lenderRedeem_revertsInsufficientLiquidityNotPanic() public {
        MarketState memory s = _state();
        uint256 shares = 10e6 * VIRTUAL_SHARES;
        uint256 assets = h.toAssetsDown(shares, s.totalSupplyAssets, s.totalSupplyShares);
        vm.prank(LENDER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientLiquidity.selector, marketId, assets, 0));
        engine.redeem(marketId, shares, LENDER);
    }

    function test_fullUtilization_borrow_revertsInsufficientLiquidityNotPanic() public {
        vm.prank(BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 100e6, 0));
        engine.borrow(id, 100e6, BORROWER);
    }

    /// @dev Exits keep working: repaying restores liquidity and the lender withdraws what became available.
    function test_fullUtilization_repayThenWithdraw() public {
        _fundLiquidator(BORROWER, 50_000e6);
        vm.prank(BORROWER);
        engine.repay(id, 50_000e6);
        MarketState memory s = _state();
        uint256 liquidity = s.totalSupplyAssets - s.totalBorrowAssets;
        vm.assertEq(liquidity, 50_000e6 - s.insuranceFund);
        vm.prank(LENDER);
        engine.withdraw(marketId, liquidity, LENDER);
        vm.assertEq(usdc.balanceOf(LENDER), liquidity);
        _assertLoanAccounting(marketId, usdc, 0);
    }
}

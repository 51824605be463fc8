// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Views (health, isLiquidatable, liquidationPrice, debtOf, expectedMarketState, price) and the oracle
/// guards with what a bad price blocks and what it does not.
contract ViewsTest is UnitBase {
    function setUp() public override {
        super.setUp();
        _supply(LENDER, 100_000_000e6);
    }

    function _setAnswerAt(int256 answer, uint256 updatedAt) internal {
        vm.prank(OWNER);
        oracle.setAnswerAt(answer, updatedAt);
    }

    /* HEALTH AND LIQUIDATABILITY */

    function test_health_exactTier0() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        // (20,000 - 10% x 20,000) / 15,000
        vm.assertEq(lens.health(id), 1.2e18);
        vm.assertFalse(lens.isLiquidatable(id));
    }

    function test_health_exactAcrossTiers() public {
        // $2M: MM requirement 10% x 1M + 15% x 1M = 250,000, maxDebt 1.75M; health = floor(1.75 / 1.5 x 1e18).
        uint256 id = _open(BORROWER, 1_000e18, 1_500_000e6);
        vm.assertEq(lens.health(id), 1_166_666_666_666_666_666);
    }

    function test_health_withoutDebtIsMax() public {
        uint256 id = _open(BORROWER, 1e18, 0);
        vm.assertEq(lens.health(id), type(uint256).max);
        vm.assertFalse(lens.isLiquidatable(id));
        vm.assertEq(lens.liquidationPrice(id), 0);
        vm.assertEq(lens.debtOf(id), 0);
        // Also for a closed vault.
        vm.prank(BORROWER);
        engine.closeVault(id, BORROWER);
        vm.assertEq(lens.health(id), type(uint256).max);
    }

    function test_healthAndIsLiquidatable_revertOnUnknownVault() public {
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultNotFound.selector, 3));
        lens.health(3);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultNotFound.selector, 3));
        lens.isLiquidatable(3);
        vm.assertEq(lens.debtOf(3), 0);
        vm.assertEq(lens.liquidationPrice(3), 0);
    }

    function test_liquidatableAmong_answersIsLiquidatableForEachVaultInOrder() public {
        uint256 safe = _open(BORROWER, 10e18, 10_000e6);
        uint256 risky = _open(BORROWER, 10e18, 15_000e6);
        uint256 noDebt = _open(BORROWER, 1e18, 0);
        _setPrice(1_600e8); // risky: 16,000 - 10% = 14,400 < 15,000; safe: 14,400 > 10,000
        uint256[] memory ids = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (risky, safe, noDebt, risky);
        bool[] memory got = lens.liquidatableAmong(ids);
        vm.assertEq(got.length, 4);
        for (uint256 i; i < ids.length; ++i) vm.assertEq(got[i], lens.isLiquidatable(ids[i]));
        vm.assertTrue(got[0] && got[3]);
        vm.assertFalse(got[1] || got[2]);
        vm.assertEq(lens.liquidatableAmong(new uint256[](0)).length, 0);

        ids[2] = 99;
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultNotFound.selector, 99));
        lens.liquidatableAmong(ids);
    }

    /* LIQUIDATION PRICE */

    function test_liquidationPrice_tier0IsLowestHealthyAnswer() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        // V* = ceil(15,000e6 / 0.9) = 16,666,666,667; answer = ceil(V* x 1e36 / 10e18 / 1e16).
        uint256 l = lens.liquidationPrice(id);
        vm.assertEq(l, 166_666_666_670);

        _setPrice(int256(l));
        vm.assertFalse(lens.isLiquidatable(id));
        vm.assertEq(lens.health(id), 1e18); // maxDebt is exactly the debt
        _setPrice(int256(l - 1));
        vm.assertTrue(lens.isLiquidatable(id));
        vm.assertLt(lens.health(id), 1e18);
        // And liquidation agrees with the view.
        _fundLiquidator(LIQUIDATOR, 10_000e6);
        vm.prank(LIQUIDATOR);
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
    }

    function test_liquidationPrice_acrossTiers() public {
        uint256 id = _open(BORROWER, 1_000e18, 1_500_000e6);
        // 900,000 of maxDebt from tier 0, then 85% of each dollar: V* = 1M + ceil(600,000 / 0.85).
        uint256 l = lens.liquidationPrice(id);
        vm.assertEq(l, 170_588_235_295);
        _setPrice(int256(l));
        vm.assertFalse(lens.isLiquidatable(id));
        _setPrice(int256(l - 1));
        vm.assertTrue(lens.isLiquidatable(id));
    }

    function test_liquidationPrice_followsMaintenanceRamp() public {
        _setRate(0, 0);
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        uint16[] memory im = new uint16[](3);
        uint16[] memory mm = new uint16[](3);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mm[0], mm[1], mm[2]) = (1_500, 1_500, 2_500);
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, im, mm, 1 days);
        vm.assertEq(lens.liquidationPrice(id), 166_666_666_670); // still 10% at the start
        vm.warp(block.timestamp + 12 hours); // 12.5%: V* = ceil(15,000e6 / 0.875) = 17,142,857,143
        vm.assertEq(lens.liquidationPrice(id), 171_428_571_430);
        vm.warp(block.timestamp + 12 hours); // 15%: V* = ceil(15,000e6 / 0.85) = 17,647,058,824
        vm.assertEq(lens.liquidationPrice(id), 176_470_588_240);
    }

    function test_liquidationPrice_needsNoPrice() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _setPrice(-1);
        vm.assertEq(lens.liquidationPrice(id), 166_666_666_670);
    }

    /// @dev What the rounding guarantees: at `liquidationPrice()` the vault is healthy (maxDebt >= debt), one unit of
    /// the feed below it is liquidatable. So it is the lowest healthy answer, not an answer at which the vault is
    /// already liquidatable.
    function testFuzz_liquidationPrice_isLowestHealthyAnswer(uint256 collateral, uint256 borrowed, uint256 elapsed)
        public
    {
        collateral = _bound(collateral, 0.1e18, 20_000e18); // $200 to $40M
        uint256 value = collateral * 2_000e6 / 1e18;
        borrowed = _bound(borrowed, 100e6, value / 2); // within IM of every tier (IM <= 35%)
        uint256 id = _open(BORROWER, collateral, borrowed);
        vm.warp(block.timestamp + _bound(elapsed, 0, 30 days)); // odd debts from interest
        uint256 l = lens.liquidationPrice(id);
        vm.assertGt(l, 1);
        _setPrice(int256(l));
        vm.assertFalse(lens.isLiquidatable(id), "liquidatable at liquidationPrice");
        _setPrice(int256(l - 1));
        vm.assertTrue(lens.isLiquidatable(id), "healthy below liquidationPrice");
    }

    /* DEBT AND EXPECTED STATE */

    function test_debtOf_includesPendingInterest() public {
        _setRate(FLAT_RATE, 1_000);
        uint256 id = _open(BORROWER, 10e18, 10_000e6);
        vm.warp(block.timestamp + 1 days);
        // 10,000e6 x 1e9 x 86,400 / 1e18 = 864,000, not yet accrued in storage.
        vm.assertEq(lens.debtOf(id), 10_000_864_000);
        vm.assertEq(_state().totalBorrowAssets, 10_000e6);
        MarketState memory e = lens.expectedMarketState(marketId);
        vm.assertEq(e.totalBorrowAssets, 10_000_864_000);
        vm.assertEq(e.totalSupplyAssets, 100_000_000e6 + 864_000 - 86_400);
        vm.assertEq(e.insuranceFund, 86_400);
        vm.assertEq(e.lastAccrual, block.timestamp);
        vm.assertEq(e.totalBorrowShares, 10_000e12);
        vm.assertEq(e.totalSupplyShares, 100_000_000e12);
    }

    function test_expectedMarketState_equalsStoredWithoutElapsedTime() public {
        _open(BORROWER, 10e18, 10_000e6);
        MarketState memory e = lens.expectedMarketState(marketId);
        MarketState memory s = _state();
        vm.assertEq(e.totalBorrowAssets, s.totalBorrowAssets);
        vm.assertEq(e.totalSupplyAssets, s.totalSupplyAssets);
        vm.assertEq(e.insuranceFund, s.insuranceFund);
        vm.assertEq(e.lastAccrual, s.lastAccrual);
        vm.assertEq(e.paused, s.paused);
    }

    /// An eth_call can run with a timestamp behind the last accrual (a node whose blocks ran ahead of its clock):
    /// the views answer the stored state instead of panicking on the subtraction.
    function test_views_aTimestampBehindTheLastAccrualReadsTheStoredState() public {
        uint256 vaultId = _open(BORROWER, 10e18, 10_000e6);
        MarketState memory s = _state();
        uint256 debt = lens.debtOf(vaultId);
        vm.warp(s.lastAccrual - 5);
        MarketState memory e = lens.expectedMarketState(marketId);
        vm.assertEq(e.totalBorrowAssets, s.totalBorrowAssets);
        vm.assertEq(e.lastAccrual, s.lastAccrual);
        vm.assertEq(lens.debtOf(vaultId), debt);
    }

    /* PRICE AND ORACLE GUARDS */

    function test_price_scalesAnswer() public view {
        vm.assertEq(lens.price(marketId), PRICE_2000);
        vm.assertEq(PRICE_2000, 2e27); // 2,000e6 loan units per 1e18 collateral units, x 1e36
    }

    function test_price_revertsOnUnknownMarket() public {
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 2));
        lens.price(2);
    }

    function test_price_revertsOnNonPositiveAnswer() public {
        _setPrice(0);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, int256(0)));
        lens.price(marketId);
        _setPrice(-5);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, int256(-5)));
        lens.price(marketId);
    }

    function test_price_revertsWithoutTimestamp() public {
        _setAnswerAt(INITIAL_PRICE, 0);
        vm.expectRevert(IIsomarginEngine.OracleNoTimestamp.selector);
        lens.price(marketId);
    }

    function test_price_revertsWhenUpdatedInFuture() public {
        _setAnswerAt(INITIAL_PRICE, block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleUpdatedInFuture.selector, block.timestamp + 1));
        lens.price(marketId);
    }

    function test_price_staleBoundaryIsInclusive() public {
        uint256 t = block.timestamp;
        _setAnswerAt(INITIAL_PRICE, t - 1 hours);
        vm.assertEq(lens.price(marketId), PRICE_2000); // exactly maxOracleAge old is fine
        _setAnswerAt(INITIAL_PRICE, t - 1 hours - 1);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, t - 1 hours - 1, 1 hours));
        lens.price(marketId);
    }

    function test_price_revertsOnTooLargeAnswer() public {
        // MAX_SCALED_PRICE 1e60 / priceScale 1e16 = 1e44 is the largest answer.
        _setPrice(1e44);
        vm.assertEq(lens.price(marketId), 1e60);
        _setPrice(1e44 + 1);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerTooLarge.selector, int256(1e44 + 1)));
        lens.price(marketId);
    }

    function test_badPrice_blocksRiskButNotExits() public {
        uint256 id = _open(BORROWER, 10e18, 10_000e6);
        uint256 free = _open(ALICE, 1e18, 0);
        _setPrice(-1);
        bytes memory err = abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, int256(-1));

        vm.startPrank(BORROWER);
        vm.expectRevert(err);
        engine.borrow(id, 100e6, BORROWER);
        vm.expectRevert(err);
        engine.withdrawCollateral(id, 1, BORROWER);
        vm.stopPrank();
        vm.expectRevert(err);
        lens.health(id);
        vm.expectRevert(err);
        lens.isLiquidatable(id);
        _fundLiquidator(LIQUIDATOR, 1e6);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(err);
        engine.liquidate(id, 1e6, 0, LIQUIDATOR, "");
        vm.prank(LIQUIDATOR);
        vm.expectRevert(err);
        engine.liquidateBatch(marketId, _ids(id), LIQUIDATOR, "");

        // Exits and additions still work.
        _deposit(BORROWER, id, 1e18);
        _repay(BORROWER, id, 1_000e6);
        vm.prank(ALICE);
        engine.withdrawCollateral(free, 1e18, ALICE); // no debt: no price needed
        _mintApprove(usdc, BORROWER, 0);
        vm.prank(BORROWER);
        (uint256 repaid, uint256 collateral) = engine.closeVault(id, BORROWER);
        vm.assertEq(repaid, 9_000e6);
        vm.assertEq(collateral, 11e18);
        vm.assertEq(weth.balanceOf(ALICE), 1e18);
    }
}

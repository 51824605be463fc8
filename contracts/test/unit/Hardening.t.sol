// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {vm} from "../utils/Vm.sol";
import {IIsomarginEngine, MarketState, RateModel, RiskUpdate, TierState} from "../../src/interfaces/IIsomarginEngine.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice Regression tests for the findings of the security review: ramp bypass by re-submission, exits blocked by a
/// raised dust floor, dust collateral left under debt, interest erased by per-block accrual.
contract HardeningTest is BaseTest {
    function _setTier0Mm(uint16 mm, uint32 duration) internal {
        uint16[] memory im = new uint16[](3);
        uint16[] memory mmBps = new uint16[](3);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mmBps[0], mmBps[1], mmBps[2]) = (mm, 1_500, 2_500);
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, im, mmBps, duration);
    }

    function test_setMarginTiers_resubmittingEveryBlockCannotSpeedUpTheRamp() public {
        uint256 t0 = block.timestamp;
        _setTier0Mm(1_500, 1 days); // 10% -> 15% over a day: 1,000 + 500 x t / 86,400
        for (uint256 i = 1; i <= 500; ++i) {
            vm.warp(t0 + i * 12);
            _setTier0Mm(1_500, 1 days);
        }
        // The straight line of the first call is at 1,000 + 500 x 6,000 / 86,400 = 1,034.7 after 6,000 s; the
        // re-submissions may only slow the rise (each restarts from the value rounded down, ending no earlier).
        TierState memory t = engine.tier(marketId, 0);
        vm.assertLe(t.mmFromBps, 1_034);
        vm.assertGe(engine.tier(marketId, 0).rampEnd, t0 + 1 days);
    }

    function test_setMarginTiers_revertsWhenShorteningARampInProgress() public {
        _setTier0Mm(1_500, 10 days);
        vm.warp(block.timestamp + 1 days);
        uint16[] memory im = new uint16[](3);
        uint16[] memory mm = new uint16[](3);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mm[0], mm[1], mm[2]) = (1_500, 1_500, 2_500);
        vm.prank(OWNER);
        vm.expectRevert(IIsomarginEngine.InvalidRampDuration.selector);
        engine.setMarginTiers(marketId, im, mm, 1 days);
    }

    function test_repay_partialStillAllowedAfterMinDebtRaisedAboveTheDebt() public {
        // No interest, so the debts stay round while the minDebt raise waits out the risk timelock.
        RiskUpdate memory u = _riskOf(marketId);
        (u.rateModel, u.reserveFactorBps) = (RateModel(0, 0, 0, 0.8e18), 0);
        _changeRisk(marketId, u); // lower rates: at once
        _supply(LENDER, 1_000_000e6);
        uint256 small = _open(BORROWER, 10e18, 15_000e6);
        uint256 large = _open(BORROWER, 30e18, 30_000e6);
        u.minDebt = 20_000e6;
        _changeRisk(marketId, u);
        vm.assertEq(engine.riskParams(marketId).minDebt, 20_000e6);
        usdc.mint(BORROWER, 20_000e6);
        vm.startPrank(BORROWER);
        usdc.approve(address(engine), type(uint256).max);
        engine.repay(small, 5_000e6); // already below the new floor: reducing it is always allowed
        vm.assertEq(lens.debtOf(small), 10_000e6);
        // A vault at or above the floor still may not drop below it.
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, large, 15_000e6, 20_000e6));
        engine.repay(large, 15_000e6);
        vm.stopPrank();
    }

    /// @dev v2: the liquidator's cap holds even deep underwater (v1 ignored it and took everything); the largest
    /// liquidation still takes all the collateral and writes the rest off, leaving no dust under debt.
    function test_liquidate_deepUnderwaterRespectsTheCapAndMaxLeavesNoDust() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 10e18, 16_000e6);
        _setPrice(1_500e8); // V = 15,000 < 16,000 x 1.05
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, 100e6, 0, LIQUIDATOR, "");
        // seized = floor(100e6 x 1.05 / 1,500e6 per WETH) = 0.07 WETH, worth 105e6: repaid = 105e6 / 1.05.
        vm.assertEq(seized, 0.07e18, "seized what the cap buys");
        vm.assertEq(repaid, 100e6, "repaid at most the cap");
        vm.assertEq(_vault(id).collateral, 9.93e18);
        vm.assertEq(lens.debtOf(id), 15_900e6);

        vm.prank(LIQUIDATOR);
        (repaid, seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(seized, 9.93e18, "all collateral");
        vm.assertEq(repaid, uint256(14_895e6) * 10_000 / 10_500, "its value at the bonus");
        vm.assertEq(_vault(id).collateral, 0);
        vm.assertEq(_vault(id).debtShares, 0, "the rest written off as bad debt");
    }

    /// @dev v2: an accrual whose interest rounds to zero still moves `lastAccrual` to now (v1 kept the elapsed time,
    /// which a later borrower would then pay for); the sub-unit interest is carried in `interestRemainder`, so
    /// per-block accruals still earn what one accrual over the same period does.
    function test_accrual_advancesTimeAndCarriesRemainderWhileInterestRoundsToZero() public {
        _supply(LENDER, 1_000_000e6);
        _open(BORROWER, 10e18, 100e6); // ~0.03 units of interest a second
        MarketState memory s0 = _state();
        uint256 t0 = s0.lastAccrual;
        RateModel memory m = defaultRateModel();
        uint256 u = Math.mulDiv(s0.totalBorrowAssets, 1e18, s0.totalSupplyAssets);
        uint256 rate = m.baseRatePerSecond + Math.mulDiv(m.slope1PerSecond, u, m.kink);
        vm.warp(t0 + 12);
        engine.accrueInterest(marketId);
        MarketState memory s1 = _state();
        vm.assertEq(s1.lastAccrual, t0 + 12, "time advances while the interest rounds to zero");
        vm.assertEq(s1.totalBorrowAssets, s0.totalBorrowAssets);
        vm.assertEq(s1.interestRemainder, s0.totalBorrowAssets * rate * 12, "sub-unit interest carried");
        // Ten one-block accruals earn what one accrual over the same two minutes does.
        for (uint256 i = 2; i <= 10; ++i) {
            vm.warp(t0 + 12 * i);
            engine.accrueInterest(marketId);
        }
        uint256 perBlock = _state().totalBorrowAssets - s0.totalBorrowAssets;
        vm.assertGt(perBlock, 0);
        vm.assertApproxEqAbs(perBlock, Math.mulDiv(s0.totalBorrowAssets, rate * 120, 1e18), 1);
    }

    /// @dev A risk change applies from now only: an immediate one and an executed one both accrue to now first.
    function test_setRiskParams_newRatesApplyFromNowOnly() public {
        _supply(LENDER, 1_000_000e6);
        _open(BORROWER, 10e18, 100e6);
        vm.warp(block.timestamp + 5);
        RiskUpdate memory same = _riskOf(marketId);
        vm.prank(OWNER);
        engine.setRiskParams(marketId, same); // unchanged: tightens nothing, so it applies at once
        vm.assertEq(_state().lastAccrual, block.timestamp);

        RiskUpdate memory u = _riskOf(marketId);
        u.rateModel.baseRatePerSecond *= 2;
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, u);
        vm.warp(at + 7);
        engine.executeRiskParams(marketId);
        vm.assertEq(_state().lastAccrual, at + 7);
    }
}

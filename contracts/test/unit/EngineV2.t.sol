// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {
    IIsomarginEngine, MarketParams, MarketState, RateModel, RiskParams, RiskUpdate, Vault
} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Regression tests for the engine v2 changes (see ABI-V2): interest is never charged for time before a
/// borrow, the risk timelock, the liquidator's cap and minSeized, strictly increasing batch ids. (The pause rule for
/// debt-free withdrawals is in VaultsTest, coarse collateral in CoarseCollateralTest, the timelock's events in
/// EventsTest.)
contract EngineV2Test is UnitBase {
    uint256 internal constant SUPPLY = 10_000_000e6;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, SUPPLY);
        _fundLiquidator(LIQUIDATOR, 10_000_000e6);
    }

    function _unauthorized(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, who);
    }

    /* 1. INTEREST IS NOT BACKDATED */

    /// @dev A market on a fresh loan token of `loanDec` decimals (WETH collateral, its own $2,000 feed), minDebt 0,
    /// base rate `baseRate` (slopes as the default model), funded with 10M tokens of supply.
    function _idleMarket(uint8 loanDec, uint64 baseRate) internal returns (uint256 id, MockERC20 loan) {
        loan = new MockERC20("LOAN", "LOAN", loanDec);
        MockAggregator feed = new MockAggregator(OWNER, 8, "ETH / LOAN", INITIAL_PRICE);
        MarketParams memory p = defaultParams(address(loan), address(weth), address(feed));
        uint256 unit = 10 ** loanDec;
        for (uint256 i; i < p.tiers.length; ++i) p.tiers[i].minValue = uint128(p.tiers[i].minValue / 1e6 * unit);
        p.minDebt = 0;
        p.rateModel.baseRatePerSecond = baseRate;
        vm.prank(OWNER);
        id = engine.createMarket(p);
        _mintApprove(loan, LENDER, 10_000_000 * unit);
        vm.prank(LENDER);
        engine.supply(id, 10_000_000 * unit, LENDER);
        _mintApprove(weth, ALICE, 1e18);
        _mintApprove(weth, BOB, 5_000e18);
    }

    /// @dev 1 unit of debt idles a year (its interest rounds to zero every time: v1 kept the elapsed time), then a
    /// 7,000,000-token borrow is repaid in full in the same block: it must cost at most 1 unit more than borrowed.
    function _assertNotBackdated(uint8 loanDec, uint64 baseRate) internal {
        (uint256 id, MockERC20 loan) = _idleMarket(loanDec, baseRate);
        vm.prank(ALICE);
        engine.openVault(id, 1e18, 1); // one base unit of debt
        vm.warp(block.timestamp + YEAR);
        MockAggregator feed = MockAggregator(engine.marketConfig(id).oracle);
        vm.prank(OWNER);
        feed.setAnswer(INITIAL_PRICE);
        engine.accrueInterest(id); // an accrual that rounds to zero still moves the clock
        vm.assertEq(engine.marketState(id).lastAccrual, block.timestamp, "lastAccrual kept in the past");
        vm.assertEq(engine.marketState(id).totalBorrowAssets, 1, "a year on one unit is below one unit");

        uint256 borrowed = 7_000_000 * 10 ** loanDec;
        vm.prank(BOB);
        uint256 big = engine.openVault(id, 5_000e18, borrowed); // $10M of collateral
        _mintApprove(loan, BOB, 10 ** loanDec); // enough for a unit of rounding, not for a year of interest
        uint256 before = loan.balanceOf(BOB);
        vm.prank(BOB);
        (uint256 repaid,) = engine.repay(big, type(uint256).max);
        uint256 paid = before - loan.balanceOf(BOB);
        vm.assertEq(paid, repaid);
        vm.assertGe(paid, borrowed, "repaid less than borrowed");
        vm.assertLe(paid, borrowed + 1, "charged interest for time before the borrow");
    }

    function test_interest_notBackdated_7mBorrowAfterIdleYearOnOneUnitOfDebt() public {
        _assertNotBackdated(6, defaultRateModel().baseRatePerSecond);
    }

    /// @dev Base rate 0: with one unit borrowed the rate itself is ~0 (utilization 1e-13), so v1 kept the whole
    /// year and charged it at the 70% utilization rate the big borrow creates.
    function test_interest_notBackdated_baseRateZero() public {
        _assertNotBackdated(6, 0);
    }

    /// @dev A 2-decimal loan token: one unit is a cent, so the interest rounds to zero far longer.
    function test_interest_notBackdated_lowDecimalLoanToken() public {
        _assertNotBackdated(2, defaultRateModel().baseRatePerSecond);
        _assertNotBackdated(0, 0);
    }

    /// @dev Frequent accruals each rounding below one unit (0.1 unit a second, 1.2 units a block) charge what one
    /// accrual over the same period charges, within 1 unit: the sub-unit remainder is carried, not dropped.
    function test_interest_frequentAccrualChargesSameAsOneAccrual() public {
        _setRate(FLAT_RATE, 0); // 1e9 / s, before any debt (a rise waits out the timelock)
        _open(BORROWER, 10e18, 100e6); // 100e6 x 1e9 = 0.1 unit of interest a second
        _assertFrequentMatchesSingle(1, 3_600); // every second for an hour: 360 units in total
        _assertFrequentMatchesSingle(12, 7_200); // every block for a day: 8,640 units in total
    }

    function _assertFrequentMatchesSingle(uint256 step, uint256 steps) internal {
        uint256 t0 = block.timestamp;
        uint256 b0 = _state().totalBorrowAssets;
        uint256 snap = vm.snapshotState();
        for (uint256 i = 1; i <= steps; ++i) {
            vm.warp(t0 + i * step);
            engine.accrueInterest(marketId);
        }
        uint256 frequent = _state().totalBorrowAssets - b0;
        vm.revertToState(snap);
        vm.warp(t0 + steps * step);
        engine.accrueInterest(marketId);
        uint256 single = _state().totalBorrowAssets - b0;
        vm.assertEq(single, b0 * FLAT_RATE * step * steps / 1e18, "one accrual: the closed form");
        vm.assertApproxEqAbs(frequent, single, 1, "frequent accruals lost or added interest");
    }

    /* 2. RISK TIMELOCK */

    uint256 internal constant N_LEVERS = 10;

    /// @dev Today's parameters with one lever moved against open vaults (`tighten`) or in their favour.
    function _moved(uint256 lever, bool tighten) internal view returns (RiskUpdate memory u) {
        u = _riskOf(marketId);
        RateModel memory m = u.rateModel;
        if (lever == 0) m.baseRatePerSecond = tighten ? m.baseRatePerSecond + 1 : 0;
        else if (lever == 1) m.slope1PerSecond = tighten ? m.slope1PerSecond + 1 : m.slope1PerSecond - 1;
        else if (lever == 2) m.slope2PerSecond = tighten ? m.slope2PerSecond + 1 : m.slope2PerSecond - 1;
        else if (lever == 3) m.kink = tighten ? 0.7e18 : 0.9e18; // a lower kink raises the rate
        else if (lever == 4) u.reserveFactorBps = tighten ? 2_000 : 500;
        else if (lever == 5) u.liquidationBonusBps = tighten ? 600 : 400;
        else if (lever == 6) u.protocolFeeBps = tighten ? 3_000 : 1_000;
        else if (lever == 7) u.closeFactorBps = tighten ? 6_000 : 4_000;
        else if (lever == 8) u.minDebt = tighten ? 200e6 : 50e6;
        else u.maxOracleAge = tighten ? 2 hours : 30 minutes; // an older accepted price is a tightening
        u.rateModel = m;
    }

    function _riskHash() internal view returns (bytes32) {
        return keccak256(abi.encode(engine.riskParams(marketId)));
    }

    /// @dev Every tightening lever: pending (not applied) until RISK_TIMELOCK, readable with pendingRiskParams,
    /// executable by anyone from then on, TimelockNotElapsed one second before.
    function test_timelock_eachTighteningLeverWaitsForTheDelay() public {
        vm.assertEq(engine.RISK_TIMELOCK(), 1 days);
        for (uint256 lever; lever < N_LEVERS; ++lever) {
            uint256 snap = vm.snapshotState();
            RiskUpdate memory u = _moved(lever, true);
            bytes32 before = _riskHash();
            vm.prank(OWNER);
            uint64 at = engine.setRiskParams(marketId, u);
            vm.assertEq(at, block.timestamp + 1 days, "executableAt");
            vm.assertEq(_riskHash(), before, "a tightening change applied at once");
            (RiskUpdate memory pending, uint64 pendingAt) = engine.pendingRiskParams(marketId);
            vm.assertEq(pendingAt, at);
            vm.assertEq(keccak256(abi.encode(pending)), keccak256(abi.encode(u)), "pending update");

            vm.warp(at - 1);
            vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.TimelockNotElapsed.selector, marketId, at));
            engine.executeRiskParams(marketId);
            vm.assertEq(_riskHash(), before);

            vm.warp(at);
            vm.prank(STRANGER); // anyone
            engine.executeRiskParams(marketId);
            vm.assertEq(keccak256(abi.encode(_riskOf(marketId))), keccak256(abi.encode(u)), "not applied");
            (, pendingAt) = engine.pendingRiskParams(marketId);
            vm.assertEq(pendingAt, 0, "still pending after execution");
            vm.revertToState(snap);
        }
    }

    /// @dev A change that only loosens (each lever alone, and an unchanged set) applies at once: no proposal.
    function test_timelock_looseningOnlyAppliesAtOnce() public {
        // Every lever but maxOracleAge (lever 9, which always waits), then an unchanged update.
        for (uint256 lever; lever < N_LEVERS; ++lever) {
            uint256 snap = vm.snapshotState();
            RiskUpdate memory u = lever == N_LEVERS - 1 ? _riskOf(marketId) : _moved(lever, false);
            vm.recordLogs();
            vm.prank(OWNER);
            vm.assertEq(engine.setRiskParams(marketId, u), block.timestamp, "a loosening change was delayed");
            vm.assertEq(keccak256(abi.encode(_riskOf(marketId))), keccak256(abi.encode(u)), "not applied at once");
            (, uint64 pendingAt) = engine.pendingRiskParams(marketId);
            vm.assertEq(pendingAt, 0);
            VmLog[] memory logs = vm.getRecordedLogs();
            for (uint256 i; i < logs.length; ++i) {
                vm.assertTrue(logs[i].topics[0] != IIsomarginEngine.RiskParamsProposed.selector, "proposed");
            }
            vm.revertToState(snap);
        }
    }

    /// @dev A shorter maxOracleAge is not a loosening: applied at once it would refuse every price older than it and
    /// stop liquidations on the spot (an owner with a vault of their own could shield it). It waits like a raise.
    function test_timelock_shorterMaxOracleAgeWaitsSoLiquidationsCannotBeFrozenAtOnce() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 10e18, 16_000e6);
        vm.warp(block.timestamp + 10 minutes); // the feed's answer is 10 minutes old, well within 1 hour
        vm.prank(OWNER);
        oracle.setAnswerAt(1_700e8, block.timestamp - 10 minutes);
        vm.assertTrue(lens.isLiquidatable(id));
        RiskUpdate memory u = _riskOf(marketId);
        u.maxOracleAge = 60;
        vm.prank(OWNER);
        vm.assertEq(engine.setRiskParams(marketId, u), block.timestamp + 1 days, "a shorter age applied at once");
        vm.assertEq(engine.riskParams(marketId).maxOracleAge, 1 hours);
        _fundLiquidator(LIQUIDATOR, 1_000_000e6);
        vm.prank(LIQUIDATOR);
        (uint256 repaid,) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertGt(repaid, 0, "liquidation frozen by an immediate oracle-age change");
    }

    /// @dev A change applied at once withdraws a pending proposal: a forgotten tightening cannot be executed by
    /// anyone later with stale values.
    function test_timelock_immediateChangeWithdrawsPendingProposal() public {
        RiskUpdate memory higher = _moved(0, true); // base rate up: pending
        vm.prank(OWNER);
        engine.setRiskParams(marketId, higher);
        (, uint64 pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertGt(pendingAt, 0);
        RiskUpdate memory lower = _moved(4, false); // reserve factor down: at once
        vm.expectEmit(true, false, false, true, address(engine));
        emit IIsomarginEngine.RiskParamsCancelled(marketId);
        vm.prank(OWNER);
        vm.assertEq(engine.setRiskParams(marketId, lower), block.timestamp);
        (, pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertEq(pendingAt, 0, "pending proposal survived an immediate change");
        vm.warp(block.timestamp + 365 days);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.NoPendingChange.selector, marketId));
        engine.executeRiskParams(marketId);
    }

    /// @dev One field tightening makes the whole change wait, the loosening fields included.
    function test_timelock_mixedChangeWaitsWhole() public {
        RiskUpdate memory u = _moved(5, true); // bonus up
        u.protocolFeeBps = 0; // fee down
        bytes32 before = _riskHash();
        vm.prank(OWNER);
        engine.setRiskParams(marketId, u);
        vm.assertEq(_riskHash(), before);
        vm.assertEq(engine.riskParams(marketId).protocolFeeBps, 2_000, "the loosening part applied early");
    }

    function test_timelock_ownerCancels() public {
        RiskUpdate memory u = _moved(7, true);
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, u);
        vm.prank(OWNER);
        engine.cancelRiskParams(marketId);
        (, uint64 pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertEq(pendingAt, 0);
        vm.warp(at);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.NoPendingChange.selector, marketId));
        engine.executeRiskParams(marketId);
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.NoPendingChange.selector, marketId));
        engine.cancelRiskParams(marketId);
        vm.assertEq(engine.riskParams(marketId).closeFactorBps, 5_000);
    }

    function test_timelock_nonOwnerCannotProposeOrCancel() public {
        RiskUpdate memory u = _moved(5, true);
        RiskUpdate memory loose = _moved(5, false);
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.setRiskParams(marketId, u);
        vm.prank(GUARDIAN);
        vm.expectRevert(_unauthorized(GUARDIAN));
        engine.setRiskParams(marketId, loose); // not even a loosening one
        vm.prank(OWNER);
        engine.setRiskParams(marketId, u);
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(STRANGER));
        engine.cancelRiskParams(marketId);
        vm.prank(GUARDIAN);
        vm.expectRevert(_unauthorized(GUARDIAN));
        engine.cancelRiskParams(marketId);
        (, uint64 pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertEq(pendingAt, block.timestamp + 1 days, "a non-owner cancelled");
    }

    function test_timelock_executeWithoutProposalReverts() public {
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.NoPendingChange.selector, marketId));
        engine.executeRiskParams(marketId);
    }

    /// @dev A new proposal replaces the pending one and restarts the delay; the replaced one never applies.
    function test_timelock_newProposalReplacesOld() public {
        uint256 t0 = block.timestamp;
        RiskUpdate memory a = _moved(5, true); // bonus 600
        RiskUpdate memory b = _moved(7, true); // close factor 6,000
        vm.prank(OWNER);
        engine.setRiskParams(marketId, a);
        vm.warp(t0 + 12 hours);
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, b);
        vm.assertEq(at, t0 + 36 hours);
        (RiskUpdate memory pending, uint64 pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertEq(pendingAt, at);
        vm.assertEq(keccak256(abi.encode(pending)), keccak256(abi.encode(b)));
        vm.warp(t0 + 1 days); // the first proposal's time: nothing to execute yet
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.TimelockNotElapsed.selector, marketId, at));
        engine.executeRiskParams(marketId);
        vm.warp(at);
        engine.executeRiskParams(marketId);
        RiskParams memory r = engine.riskParams(marketId);
        vm.assertEq(r.closeFactorBps, 6_000);
        vm.assertEq(r.liquidationBonusBps, 500, "the replaced proposal applied");
    }

    /// @dev Bounds are checked again at execution: a bonus valid when proposed but no longer below the smallest
    /// maintenance margin (lowered meanwhile) cannot be executed; the proposal stays until cancelled.
    function test_timelock_executionRechecksBounds() public {
        RiskUpdate memory u = _riskOf(marketId);
        u.liquidationBonusBps = 900; // below tier 0's MM (1,000) today
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, u);
        uint16[] memory im = new uint16[](3);
        uint16[] memory mm = new uint16[](3);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mm[0], mm[1], mm[2]) = (800, 1_500, 2_500); // a fall: applies at once
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, im, mm, 1 days);
        vm.warp(at);
        vm.expectRevert(IIsomarginEngine.InvalidLiquidationBonus.selector);
        engine.executeRiskParams(marketId);
        vm.assertEq(engine.riskParams(marketId).liquidationBonusBps, 500);
        (, uint64 pendingAt) = engine.pendingRiskParams(marketId);
        vm.assertEq(pendingAt, at, "a failed execution dropped the proposal");
        vm.prank(OWNER);
        engine.cancelRiskParams(marketId);
    }

    /// @dev Until executed, a proposed rate rise charges nothing: the market accrues at the old model, and the
    /// execution accrues the elapsed time at the old model before switching.
    function test_timelock_pendingRateRiseChargesNothingBeforeExecution() public {
        uint256 id = _open(BORROWER, 10e18, 10_000e6);
        uint256 snap = vm.snapshotState();
        vm.warp(block.timestamp + 2 days);
        uint256 oldModelDebt = lens.debtOf(id);
        vm.revertToState(snap);

        RiskUpdate memory u = _riskOf(marketId);
        u.rateModel = _flat(uint64(uint256(10e18) / 365 days)); // the maximum rate
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(marketId, u);
        vm.warp(at);
        engine.executeRiskParams(marketId); // accrues the first day at the old model
        vm.warp(block.timestamp + 1 days);
        uint256 afterNewDay = lens.debtOf(id); // one old day, then one day at the new model
        vm.revertToState(snap);
        vm.warp(block.timestamp + 1 days);
        uint256 afterOldDay = lens.debtOf(id);
        vm.assertLt(afterOldDay, oldModelDebt);
        vm.assertGt(afterNewDay, oldModelDebt, "the new rate did not apply after execution");
        // The day after the execution cost the maximum rate on the debt at execution, the day before the old model.
        vm.assertApproxEqAbs(
            afterNewDay - afterOldDay, Math.mulDiv(afterOldDay, uint256(10e18) / 365 days * 1 days, 1e18), 2
        );
    }

    /* 4. THE LIQUIDATOR'S CAP AND MINIMUM */

    /// @dev 10 WETH, 16,000 debt at $1,500: V = 15,000 < 16,000 x 1.05 (deep underwater).
    function _deepVault() internal returns (uint256 id) {
        id = _open(BORROWER, 10e18, 16_000e6);
        _setPrice(1_500e8);
    }

    /// @dev v2: maxRepayAssets is a cap even deep underwater (v1 took the whole debt whatever the cap): asking to
    /// repay 1 unit either repays at most 1 unit or has no effect (ZeroAmount); never more.
    function test_liquidate_maxRepayIsACapForDeepUnderwaterVault() public {
        uint256 id = _deepVault();
        uint256[5] memory caps = [uint256(1), 2, 3, 1e6, 777_777_777];
        for (uint256 i; i < caps.length; ++i) {
            Vault memory before = _vault(id);
            uint256 cash = usdc.balanceOf(LIQUIDATOR);
            vm.prank(LIQUIDATOR);
            (bool ok, bytes memory ret) = address(engine).call(
                abi.encodeCall(IIsomarginEngine.liquidate, (id, caps[i], 0, LIQUIDATOR, ""))
            );
            if (!ok) {
                vm.assertEq(bytes4(ret), IIsomarginEngine.ZeroAmount.selector, "reverted for another reason");
                vm.assertEq(_vault(id).collateral, before.collateral);
                continue;
            }
            (uint256 repaid, uint256 seized) = abi.decode(ret, (uint256, uint256));
            vm.assertLe(repaid, caps[i], "repaid above the cap");
            vm.assertLe(cash - usdc.balanceOf(LIQUIDATOR), caps[i] + caps[i] / 100 + 1, "paid above cap + fee");
            vm.assertGt(_vault(id).collateral, 0, "the cap was ignored: everything seized");
            vm.assertEq(before.collateral - _vault(id).collateral, seized);
        }
        // One unit buys 1.05 / 1,500e6 WETH = 700,000,000 wei, worth floor(1.05) = 1 unit: 0 after the bonus.
        vm.prank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.liquidate(id, 1, 0, LIQUIDATOR, "");
        vm.assertTrue(lens.isLiquidatable(id));
    }

    function test_liquidate_minSeizedRevertsSeizedBelowMinimum() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _setPrice(1_600e8);
        // The largest liquidation seizes 4.921875 WETH (see LiquidationTest).
        vm.prank(LIQUIDATOR);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.SeizedBelowMinimum.selector, 4.921875e18, 4.921875e18 + 1)
        );
        engine.liquidate(id, type(uint256).max, 4.921875e18 + 1, LIQUIDATOR, "");
        // A cap buys less than the minimum: same error with what the cap would seize.
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.SeizedBelowMinimum.selector, 0.65625e18, 1e18));
        engine.liquidate(id, 1_000e6, 1e18, LIQUIDATOR, "");
        vm.prank(LIQUIDATOR);
        (, uint256 seized) = engine.liquidate(id, type(uint256).max, 4.921875e18, LIQUIDATOR, "");
        vm.assertEq(seized, 4.921875e18);
    }

    /* 6. BATCH IDS STRICTLY INCREASING */

    function _twoLiquidatable() internal returns (uint256 a, uint256 b) {
        a = _open(BORROWER, 10e18, 15_000e6);
        b = _open(ALICE, 10e18, 15_000e6);
        _setPrice(1_600e8);
    }

    function _batchReverts(uint256[] memory ids, uint256 index) internal {
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.BatchNotSorted.selector, index));
        engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
    }

    function test_liquidateBatch_repeatedOrUnsortedIdRevertsBatchNotSorted() public {
        (uint256 a, uint256 b) = _twoLiquidatable();
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (b, a); // unsorted
        _batchReverts(ids, 1);
        (ids[0], ids[1]) = (a, a); // repeated
        _batchReverts(ids, 1);
        ids = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (a, b, 500, 500); // a repeat at the end, after valid work
        _batchReverts(ids, 3);
        (ids[0], ids[1], ids[2], ids[3]) = (a, b, 500, 499);
        _batchReverts(ids, 3);
        _assertVault(a, 10e18, 15_000e12);
        _assertVault(b, 10e18, 15_000e12);
        // Sorted, it works: each vault once.
        (ids[0], ids[1], ids[2], ids[3]) = (a, b, 499, 500);
        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid,,) = engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
        vm.assertEq(n, 2);
        vm.assertEq(repaid, 15_000e6);
    }

    /// @dev The close factor holds per vault per batch: however a vault is listed, one batch repays at most
    /// closeFactor x its debt (7,500 of 15,000), while the vault is still liquidatable afterwards.
    function test_liquidateBatch_closeFactorHoldsPerVaultPerBatch() public {
        (uint256 a,) = _twoLiquidatable();
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (a, a, a);
        _batchReverts(ids, 1);
        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid,,) = engine.liquidateBatch(marketId, _ids(a), LIQUIDATOR, "");
        vm.assertEq(n, 1);
        vm.assertEq(repaid, 7_500e6, "more than the close factor in one batch");
        vm.assertTrue(lens.isLiquidatable(a)); // a second round must wait for another batch
    }
}

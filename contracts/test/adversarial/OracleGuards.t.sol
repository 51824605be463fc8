// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {IIsomarginEngine, RiskUpdate} from "../../src/interfaces/IIsomarginEngine.sol";
import {IIsomarginLens} from "../../src/interfaces/IIsomarginLens.sol";

/// @notice Every kind of bad oracle answer: risk-taking operations and liquidations revert with the exact custom
/// error and arguments; exits (repay, deposit, close, withdrawing from a debt-free vault, lender operations) work.
contract OracleGuardsTest is BaseTest {
    address internal constant OTHER = address(0x07E4);
    uint256 internal constant MAX_AGE = 1 hours;
    uint256 internal constant MAX_ANSWER = 1e44; // MAX_SCALED_PRICE / priceScale = 1e60 / 1e16

    uint256 internal debtVault; // BORROWER: 10 WETH, 10,000 USDC of debt
    uint256 internal emptyVault; // OTHER: 5 WETH, no debt

    function setUp() public override {
        super.setUp();
        _supply(LENDER, 1_000_000e6);
        debtVault = _open(BORROWER, 10e18, 10_000e6);
        emptyVault = _open(OTHER, 5e18, 0);
        _fundLiquidator(BORROWER, 100_000e6);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        _fundLiquidator(LENDER, 100_000e6);
        weth.mint(BORROWER, 10e18);
        vm.prank(BORROWER);
        weth.approve(address(engine), type(uint256).max);
    }

    function _call(address actor, bytes memory data) internal returns (bool ok, bytes memory ret) {
        return _callOn(address(engine), actor, data);
    }

    /// @dev Calls `target` (the engine or the lens) as `actor` and rolls the state back.
    function _callOn(address target, address actor, bytes memory data) internal returns (bool ok, bytes memory ret) {
        uint256 snap = vm.snapshotState();
        vm.prank(actor);
        (ok, ret) = target.call(data);
        vm.revertToState(snap);
    }

    function _assertReverts(address actor, bytes memory data, bytes memory err, string memory what) internal {
        _assertRevertsOn(address(engine), actor, data, err, what);
    }

    function _assertRevertsOn(address target, address actor, bytes memory data, bytes memory err, string memory what)
        internal
    {
        (bool ok, bytes memory ret) = _callOn(target, actor, data);
        vm.assertFalse(ok, string.concat(what, " worked with a bad price"));
        vm.assertTrue(keccak256(ret) == keccak256(err), string.concat(what, " reverted with another error"));
    }

    function _assertWorks(address actor, bytes memory data, string memory what) internal {
        (bool ok,) = _call(actor, data);
        vm.assertTrue(ok, string.concat(what, " blocked by a bad price"));
    }

    /// @dev With the oracle in a bad state, checks every operation against `err`.
    function _assertGuarded(bytes memory err) internal {
        uint256[] memory ids = new uint256[](1);
        ids[0] = debtVault;
        // Risk-taking and liquidation: the exact oracle error.
        _assertReverts(BORROWER, abi.encodeCall(IIsomarginEngine.borrow, (debtVault, 100e6, BORROWER)), err, "borrow");
        _assertReverts(
            BORROWER, abi.encodeCall(IIsomarginEngine.openVault, (marketId, 1e18, 500e6)), err, "open+borrow"
        );
        _assertReverts(
            BORROWER,
            abi.encodeCall(IIsomarginEngine.withdrawCollateral, (debtVault, 1, BORROWER)),
            err,
            "withdraw w/ debt"
        );
        _assertReverts(
            LIQUIDATOR,
            abi.encodeCall(IIsomarginEngine.liquidate, (debtVault, 1_000e6, 0, LIQUIDATOR, "")),
            err,
            "liquidate"
        );
        _assertReverts(
            LIQUIDATOR, abi.encodeCall(IIsomarginEngine.liquidateBatch, (marketId, ids, LIQUIDATOR, "")), err, "batch"
        );
        // The views (on the lens) report the same error.
        _assertRevertsOn(address(lens), BORROWER, abi.encodeCall(IIsomarginLens.price, (marketId)), err, "price view");
        _assertRevertsOn(
            address(lens), BORROWER, abi.encodeCall(IIsomarginLens.health, (debtVault)), err, "health view"
        );
        _assertRevertsOn(
            address(lens),
            BORROWER,
            abi.encodeCall(IIsomarginLens.isLiquidatable, (debtVault)),
            err,
            "isLiquidatable view"
        );
        // Exits and operations that need no price.
        _assertWorks(BORROWER, abi.encodeCall(IIsomarginEngine.repay, (debtVault, 1_000e6)), "repay");
        _assertWorks(BORROWER, abi.encodeCall(IIsomarginEngine.repay, (debtVault, type(uint256).max)), "repay all");
        _assertWorks(BORROWER, abi.encodeCall(IIsomarginEngine.depositCollateral, (debtVault, 1e18)), "deposit");
        _assertWorks(
            OTHER, abi.encodeCall(IIsomarginEngine.withdrawCollateral, (emptyVault, 1e18, OTHER)), "withdraw w/o debt"
        );
        _assertWorks(BORROWER, abi.encodeCall(IIsomarginEngine.openVault, (marketId, 1e18, 0)), "open w/o borrow");
        _assertWorks(LENDER, abi.encodeCall(IIsomarginEngine.supply, (marketId, 1_000e6, LENDER)), "supply");
        _assertWorks(LENDER, abi.encodeCall(IIsomarginEngine.withdraw, (marketId, 1_000e6, LENDER)), "lender withdraw");
        _assertWorks(LENDER, abi.encodeCall(IIsomarginEngine.fundInsurance, (marketId, 1e6)), "fund insurance");
        _assertWorks(LENDER, abi.encodeCall(IIsomarginEngine.accrueInterest, (marketId)), "accrue");
        (bool debtOfOk,) = _callOn(address(lens), LENDER, abi.encodeCall(IIsomarginLens.debtOf, (debtVault)));
        vm.assertTrue(debtOfOk, "debtOf view blocked by a bad price");

        // closeVault repays everything and returns all the collateral.
        uint256 snap = vm.snapshotState();
        uint256 debt = lens.debtOf(debtVault);
        uint256 usdcBefore = usdc.balanceOf(BORROWER);
        uint256 wethBefore = weth.balanceOf(BORROWER);
        vm.prank(BORROWER);
        (uint256 repaid, uint256 returned) = engine.closeVault(debtVault, BORROWER);
        vm.assertEq(repaid, debt);
        vm.assertEq(returned, 10e18);
        vm.assertEq(usdcBefore - usdc.balanceOf(BORROWER), debt);
        vm.assertEq(weth.balanceOf(BORROWER) - wethBefore, 10e18);
        vm.assertTrue(_vault(debtVault).closed);
        vm.revertToState(snap);
    }

    function _setAt(int256 answer, uint256 updatedAt) internal {
        vm.prank(OWNER);
        oracle.setAnswerAt(answer, updatedAt);
    }

    function test_zeroAnswer_blocksRiskAllowsExits() public {
        _setPrice(0);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, int256(0)));
    }

    function test_minInt256Answer_blocksRiskAllowsExits() public {
        _setPrice(type(int256).min);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, type(int256).min));
    }

    function testFuzz_negativeAnswer_blocksRiskAllowsExits(uint256 magnitude) public {
        int256 answer = -int256(_bound(magnitude, 1, uint256(type(int256).max)));
        _setPrice(answer);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, answer));
    }

    function test_zeroUpdatedAt_blocksRiskAllowsExits() public {
        _setAt(INITIAL_PRICE, 0);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleNoTimestamp.selector));
    }

    /// @dev The answer is checked before the timestamp: zero answer and zero timestamp report the answer.
    function test_zeroAnswerAndZeroUpdatedAt_reportsAnswerFirst() public {
        _setAt(0, 0);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerNotPositive.selector, int256(0)));
        lens.price(marketId);
    }

    function testFuzz_futureUpdatedAt_blocksRiskAllowsExits(uint256 ahead) public {
        uint256 updatedAt = block.timestamp + _bound(ahead, 1, 10 * YEAR);
        _setAt(INITIAL_PRICE, updatedAt);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleUpdatedInFuture.selector, updatedAt));
    }

    function testFuzz_staleAnswer_blocksRiskAllowsExits(uint256 age) public {
        uint256 updatedAt = block.timestamp - _bound(age, MAX_AGE + 1, block.timestamp - 1);
        _setAt(INITIAL_PRICE, updatedAt);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, MAX_AGE));
    }

    /// @dev An answer exactly maxOracleAge old is still fresh; one second later it is stale (time passing alone).
    function test_answerAgesIntoStaleness() public {
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + MAX_AGE);
        vm.prank(BORROWER);
        engine.borrow(debtVault, 100e6, BORROWER);
        vm.warp(block.timestamp + 1);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, MAX_AGE));
    }

    /// @dev Raising the allowed age revives an old answer; lowering it makes a fresh-enough one stale. Both wait out
    /// the risk timelock (a lower age applied at once could stop every liquidation at once).
    function test_staleBoundFollowsMaxOracleAge() public {
        RiskUpdate memory u = _riskOf(marketId);
        u.maxOracleAge = 3 hours;
        _changeRisk(marketId, u);
        uint256 updatedAt = block.timestamp - 2 hours;
        _setAt(INITIAL_PRICE, updatedAt);
        vm.assertEq(lens.price(marketId), uint256(INITIAL_PRICE) * 1e16);
        u.maxOracleAge = 60;
        vm.prank(OWNER);
        vm.assertEq(engine.setRiskParams(marketId, u), block.timestamp + 1 days); // a lower age waits too
        vm.assertEq(engine.riskParams(marketId).maxOracleAge, 3 hours);
        _changeRisk(marketId, u);
        _setAt(INITIAL_PRICE, block.timestamp - 61);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, block.timestamp - 61, 60));
    }

    function testFuzz_answerAboveBound_blocksRiskAllowsExits(uint256 answer) public {
        int256 a = int256(_bound(answer, MAX_ANSWER + 1, uint256(type(int256).max)));
        _setPrice(a);
        _assertGuarded(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerTooLarge.selector, a));
    }

    /// @dev The bound itself is accepted: the scaled price is exactly MAX_SCALED_PRICE and borrowing works.
    function test_answerAtBound_isAccepted() public {
        _setPrice(int256(MAX_ANSWER));
        vm.assertEq(lens.price(marketId), 1e60);
        vm.prank(BORROWER);
        engine.borrow(debtVault, 100_000e6, BORROWER);
        vm.assertEq(lens.health(debtVault), _expectedHealthAtBound());
        _setPrice(int256(MAX_ANSWER + 1));
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleAnswerTooLarge.selector, int256(MAX_ANSWER + 1)));
        lens.price(marketId);
    }

    /// @dev 10 WETH at 1e60 / 1e36 = 1e24 USDC units per wei: V = 1e43, far in the top tier (MM 25%).
    function _expectedHealthAtBound() internal pure returns (uint256) {
        uint256 v = 10e18 * 1e24;
        uint256 req = 100_000e6 + 1_350_000e6 + (v - 10_000_000e6) / 4; // exact: (v - 1e13) divisible by 4
        return (v - req) * 1e18 / 110_000e6;
    }

    /// @dev A price that goes bad while a vault is liquidatable blocks the liquidation until a fresh answer.
    function test_liquidationResumesWithFreshPrice() public {
        _setPrice(1_100e8); // 10 WETH at $1,100 carry $9,900 < $10,000
        _setAt(1_100e8, block.timestamp - MAX_AGE - 1);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, block.timestamp - MAX_AGE - 1, MAX_AGE)
        );
        engine.liquidate(debtVault, type(uint256).max, 0, LIQUIDATOR, "");
        _setPrice(1_100e8);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(debtVault, type(uint256).max, 0, LIQUIDATOR, "");
        // Close factor 50%: 5,000 buys floor(5,250 / 1,100 per WETH) = 4.772727272727272727 WETH, worth
        // floor(5,249.999999999...) = 5,249.999999; the repayment is that less the bonus, rounded down.
        vm.assertEq(seized, 4_772_727_272_727_272_727);
        vm.assertEq(repaid, 4_999_999_999);
    }
}

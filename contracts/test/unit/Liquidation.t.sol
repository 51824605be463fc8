// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase, CallbackLiquidator} from "./UnitBase.sol";
import {IIsomarginEngine, RiskUpdate, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @notice Single and batch liquidation: amounts (repaid, seized, protocol fee), full liquidation of dust and of
/// underwater vaults, bad debt (insurance first, then lenders), the callback path and every revert.
/// No time passes unless a test warps, so debt equals borrowed assets and shares are 1e6 per asset.
/// Bonus 5%, protocol fee 20% of the bonus (1% of the repayment), close factor 50%, minDebt 100 USDC.
contract LiquidationTest is UnitBase {
    uint256 internal constant SUPPLY = 1_000_000e6;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, SUPPLY);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
    }

    function _liquidate(uint256 id, uint256 maxRepay) internal returns (uint256 repaid, uint256 seized) {
        vm.prank(LIQUIDATOR);
        return engine.liquidate(id, maxRepay, 0, LIQUIDATOR, "");
    }

    /// @dev 10 WETH, 15,000 debt; at $1,600 V = 16,000 < 15,000 + 10% x 16,000, so liquidatable but not underwater.
    function _vaultP() internal returns (uint256 id) {
        id = _open(BORROWER, 10e18, 15_000e6);
    }

    /* REVERTS */

    function test_liquidate_revertsOnHealthyVault() public {
        uint256 id = _vaultP();
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, id));
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        // A vault without debt is never liquidatable, whatever the price.
        uint256 empty = _open(ALICE, 1e18, 0);
        _setPrice(1);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, empty));
        engine.liquidate(empty, type(uint256).max, 0, LIQUIDATOR, "");
    }

    function test_liquidate_revertsOnBadInputs() public {
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        vm.startPrank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.liquidate(id, 0, 0, LIQUIDATOR, "");
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.liquidate(id, 1e6, 0, address(0), "");
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultNotFound.selector, 99));
        engine.liquidate(99, 1e6, 0, LIQUIDATOR, "");
        vm.stopPrank();
    }

    function test_liquidate_revertsOnClosedVault() public {
        uint256 id = _open(BORROWER, 1e18, 0);
        vm.prank(BORROWER);
        engine.closeVault(id, BORROWER);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultIsClosed.selector, id));
        engine.liquidate(id, 1e6, 0, LIQUIDATOR, "");
    }

    function test_liquidate_revertsOnStalePrice() public {
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + 1 hours + 1);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, 1 hours));
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        uint256[] memory ids = _ids(id);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, 1 hours));
        engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
    }

    /* PARTIAL */

    function test_liquidate_partialAtCloseFactorExactAmounts() public {
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);
        // repaid = 50% x 15,000; seized = ceil(7,500 x 1.05 / 1,600 per WETH) = 4.921875 WETH;
        // fee = ceil(7,500 x 5% x 20%) = 75.
        vm.assertEq(repaid, 7_500e6);
        vm.assertEq(seized, 4.921875e18);
        vm.assertEq(weth.balanceOf(LIQUIDATOR), 4.921875e18);
        vm.assertEq(usdc.balanceOf(LIQUIDATOR), 100_000e6 - 7_500e6 - 75e6);
        _assertVault(id, 10e18 - 4.921875e18, 7_500e12);
        _assertState(SUPPLY, SUPPLY * 1e6, 7_500e6, 7_500e12, 75e6);
        vm.assertEq(usdc.balanceOf(address(engine)), SUPPLY - 15_000e6 + 7_575e6);
    }

    function test_liquidate_respectsSmallerMaxRepay() public {
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        (uint256 repaid, uint256 seized) = _liquidate(id, 1_000e6);
        vm.assertEq(repaid, 1_000e6);
        vm.assertEq(seized, 0.65625e18); // 1,050 / 1,600
        vm.assertEq(_state().insuranceFund, 10e6);
        _assertVault(id, 10e18 - 0.65625e18, 14_000e12);
    }

    /// @dev `_riskOf(marketId)` with the four liquidation fields replaced (a tightening change waits out the timelock:
    /// only before any debt exists, so no interest accrues meanwhile).
    function _setLiquidationParams(uint16 bonus, uint16 fee, uint16 closeFactor, uint128 minDebt) internal {
        RiskUpdate memory u = _riskOf(marketId);
        (u.liquidationBonusBps, u.protocolFeeBps, u.closeFactorBps, u.minDebt) = (bonus, fee, closeFactor, minDebt);
        _changeRisk(marketId, u);
    }

    function test_liquidate_fullCloseFactor() public {
        _setLiquidationParams(500, 2_000, 10_000, 100e6);
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);
        vm.assertEq(repaid, 15_000e6);
        vm.assertEq(seized, 9.84375e18);
        vm.assertEq(_state().insuranceFund, 150e6);
        _assertVault(id, 0.15625e18, 0);
    }

    function test_liquidate_zeroProtocolFee() public {
        _setLiquidationParams(500, 0, 5_000, 100e6);
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        _liquidate(id, type(uint256).max);
        vm.assertEq(usdc.balanceOf(LIQUIDATOR), 100_000e6 - 7_500e6);
        vm.assertEq(_state().insuranceFund, 0);
    }

    function test_liquidate_interestAloneMakesVaultLiquidatable() public {
        _setRate(uint64(uint256(10e18) / 365 days), 0); // the maximum rate
        uint256 id = _open(BORROWER, 10e18, 16_000e6); // MM maxDebt at $2,000 is 18,000
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, id));
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.warp(block.timestamp + 5 days);
        _setPrice(INITIAL_PRICE);
        // 16,000e6 x 317,097,919,837 x 432,000 / 1e18 = 2,191,780,821 of interest.
        vm.assertEq(lens.debtOf(id), 18_191_780_821);
        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);
        // target = floor(50% x debt) = 9,095,890,410; it buys floor(9,095,890,410 x 1.05 / 2,000e6 per WETH)
        // = 4.77534246525 WETH, worth floor(9,550,684,930.5) = 9,550,684,930; the repayment is that value less the
        // bonus, floor(9,550,684,930 / 1.05) = 9,095,890,409 (one unit below the target, from the two floors).
        vm.assertEq(seized, 4.77534246525e18);
        vm.assertEq(repaid, 9_095_890_409);
    }

    /* FULL: DUST AND UNDERWATER */

    function test_liquidate_fullWhenRemainderBelowMinDebt() public {
        // 0.1 WETH, 150 debt; at $1,650 V = 165 and MM maxDebt = 148.5. Half would leave 75 < 100 = minDebt, so the
        // whole debt is asked for.
        uint256 id = _open(BORROWER, 0.1e18, 150e6);
        _setPrice(1_650e8);
        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);
        // floor(157.5 / 1,650 per WETH) = floor(95,454,545,454,545,454.54...): rounds against the liquidator
        vm.assertEq(seized, 95_454_545_454_545_454);
        // The repayment follows from the seized units: floor(floor(157.499999...) / 1.05) = 149.999999. The one-unit
        // remainder stays with the vault (a full liquidation may leave it under minDebt), covered many times over by
        // the collateral left, so the vault ends healthy.
        vm.assertEq(repaid, 150e6 - 1);
        vm.assertEq(_state().insuranceFund, 1.5e6);
        vm.assertEq(_vault(id).collateral, 0.1e18 - 95_454_545_454_545_454);
        vm.assertLe(lens.debtOf(id), 2);
        vm.assertFalse(lens.isLiquidatable(id));
    }

    /// @dev The same vault in a batch next to an ordinary one: its full liquidation must not revert the batch.
    function test_liquidateBatch_fullLiquidationBelowMinDebtDoesNotRevertTheBatch() public {
        uint256 a = _vaultP();
        uint256 small = _open(BOB, 0.1e18, 150e6);
        _setPrice(1_650e8); // a: V = 16,500, MM maxDebt 14,850 < 15,000
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (a, small);
        vm.prank(LIQUIDATOR);
        (uint256 n,,,) = engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
        vm.assertEq(n, 2);
        vm.assertLe(lens.debtOf(small), 2, "small vault not fully liquidated (up to the rounding remainder)");
        vm.assertFalse(lens.isLiquidatable(small));
    }

    function test_liquidate_revertsWhenLeavingDust() public {
        uint256 id = _open(BORROWER, 0.1e18, 150e6);
        _setPrice(1_650e8);
        // A cap of 100 buys floor(105 / 1,650 per WETH) = 0.063636363636363636 WETH, worth floor(104.999999...)
        // = 104.999999, so it repays floor(104.999999 / 1.05) = 99.999999 and would leave 50.000001 < minDebt.
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, id, 50_000_001, 100e6));
        engine.liquidate(id, 100e6, 0, LIQUIDATOR, "");
    }

    /// @dev 10 WETH, 16,000 debt, price $1,600: V = 16,000 < 16,000 x 1.05, so the whole debt is due but the
    /// collateral only pays floor(16,000 / 1.05) = 15,238.095238; the rest, 761.904762, is bad debt.
    function _underwater() internal returns (uint256 id) {
        id = _open(BORROWER, 10e18, 16_000e6);
        _setPrice(1_600e8);
    }

    function _fundInsurance(uint256 amount) internal {
        _mintApprove(usdc, CAROL, amount);
        vm.prank(CAROL);
        engine.fundInsurance(marketId, amount);
    }

    function test_liquidate_deepUnderwaterSeizesAllAndSocializesRest() public {
        uint256 id = _underwater();
        vm.expectEmit(true, true, false, true, address(engine));
        // Bad debt 761,904,762; the fee just paid (152,380,953) covers part, lenders lose 609,523,809.
        emit IIsomarginEngine.BadDebtRealized(id, marketId, 761_904_762, 761_904_762e6, 152_380_953, 609_523_809);
        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);
        vm.assertEq(repaid, 15_238_095_238);
        vm.assertEq(seized, 10e18);
        vm.assertEq(usdc.balanceOf(LIQUIDATOR), 100_000e6 - 15_238_095_238 - 152_380_953);
        _assertVault(id, 0, 0);
        _assertState(SUPPLY - 609_523_809, SUPPLY * 1e6, 0, 0, 0);
        vm.assertFalse(_vault(id).closed); // the empty vault stays open
    }

    function test_liquidate_badDebtCoveredByInsurance() public {
        _fundInsurance(1_000e6);
        uint256 id = _underwater();
        vm.expectEmit(true, true, false, true, address(engine));
        emit IIsomarginEngine.BadDebtRealized(id, marketId, 761_904_762, 761_904_762e6, 761_904_762, 0);
        _liquidate(id, type(uint256).max);
        _assertState(SUPPLY, SUPPLY * 1e6, 0, 0, 1_000e6 + 152_380_953 - 761_904_762);
    }

    function test_liquidate_badDebtInsuranceFirstThenLenders() public {
        _fundInsurance(500e6);
        uint256 id = _underwater();
        vm.expectEmit(true, true, false, true, address(engine));
        emit IIsomarginEngine.BadDebtRealized(id, marketId, 761_904_762, 761_904_762e6, 652_380_953, 109_523_809);
        _liquidate(id, type(uint256).max);
        _assertState(SUPPLY - 109_523_809, SUPPLY * 1e6, 0, 0, 0);
        // Lenders bear the loss pro rata: all of LENDER's shares now redeem for the reduced assets.
        vm.prank(LENDER);
        vm.assertEq(engine.redeem(marketId, SUPPLY * 1e6, LENDER), SUPPLY - 109_523_809);
    }

    /* CALLBACK */

    function test_liquidate_callbackReceivesCollateralBeforePaying() public {
        CallbackLiquidator bot = new CallbackLiquidator(engine, usdc, weth);
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        (uint256 repaid, uint256 seized) = bot.liquidate(id, type(uint256).max, hex"beef");
        vm.assertEq(repaid, 7_500e6);
        vm.assertEq(seized, 4.921875e18);
        vm.assertEq(bot.calls(), 1);
        vm.assertEq(bot.lastMarketId(), marketId);
        vm.assertEq(bot.lastSeized(), 4.921875e18);
        vm.assertEq(bot.lastOwed(), 7_575e6);
        vm.assertEq(keccak256(bot.lastData()), keccak256(hex"beef"));
        vm.assertEq(bot.collateralSeenInCallback(), 4.921875e18); // collateral arrived first
        vm.assertEq(bot.loanSeenInCallback(), 0); // the bot held no loan tokens up front
        vm.assertEq(usdc.balanceOf(address(bot)), 0); // and paid all it got
        _assertState(SUPPLY, SUPPLY * 1e6, 7_500e6, 7_500e12, 75e6);
    }

    function test_liquidate_callbackThatUnderpaysReverts() public {
        CallbackLiquidator bot = new CallbackLiquidator(engine, usdc, weth);
        bot.setMode(1);
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, address(bot), 7_575e6 - 1, 7_575e6)
        );
        bot.liquidate(id, type(uint256).max, hex"01");
    }

    function test_liquidate_callbackCannotReenter() public {
        CallbackLiquidator bot = new CallbackLiquidator(engine, usdc, weth);
        bot.setMode(2);
        uint256 id = _vaultP();
        _setPrice(1_600e8);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        bot.liquidate(id, type(uint256).max, hex"01");
    }

    /* PAUSE */

    function test_liquidate_allowedWhilePaused() public {
        uint256 id = _vaultP();
        uint256 other = _open(ALICE, 10e18, 15_000e6);
        _setPrice(1_600e8);
        _pause(true);
        (uint256 repaid,) = _liquidate(id, type(uint256).max);
        vm.assertEq(repaid, 7_500e6);
        vm.prank(LIQUIDATOR);
        (uint256 n,,,) = engine.liquidateBatch(marketId, _ids(other), LIQUIDATOR, "");
        vm.assertEq(n, 1);
    }

    /* BATCH */

    function test_liquidateBatch_skipsHealthyClosedUnknownAndOtherMarket() public {
        uint256 a = _vaultP();
        uint256 b = _open(BOB, 0.1e18, 150e6);
        uint256 healthy = _open(ALICE, 10e18, 5_000e6);
        uint256 closed = _open(CAROL, 10e18, 15_000e6);
        _mintApprove(usdc, CAROL, 0);
        vm.prank(CAROL);
        engine.closeVault(closed, CAROL);

        // A vault of another market, liquidatable there.
        (uint256 m2, MockAggregator feed2) = _secondMarket(INITIAL_PRICE);
        _mintApprove(usdc, LENDER, 100_000e6);
        vm.prank(LENDER);
        engine.supply(m2, 100_000e6, LENDER);
        _mintApprove(weth, ALICE, 10e18);
        vm.prank(ALICE);
        uint256 foreign = engine.openVault(m2, 10e18, 15_000e6);
        vm.prank(OWNER);
        feed2.setAnswer(1_600e8);
        vm.assertTrue(lens.isLiquidatable(foreign));

        _setPrice(1_600e8);
        uint256[] memory ids = new uint256[](6);
        (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]) = (a, b, healthy, closed, foreign, 999); // strictly increasing
        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid, uint256 seized, uint256 fee) = engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");

        // a: partial 7,500 for 4.921875 WETH; b: full 150 (rest below minDebt) for ceil(157.5 / 1,600) WETH.
        vm.assertEq(n, 2);
        vm.assertEq(repaid, 7_500e6 + 150e6);
        vm.assertEq(seized, 4.921875e18 + 0.0984375e18);
        vm.assertEq(fee, 75e6 + 1.5e6);
        vm.assertEq(weth.balanceOf(LIQUIDATOR), seized);
        vm.assertEq(usdc.balanceOf(LIQUIDATOR), 100_000e6 - repaid - fee);
        _assertVault(a, 10e18 - 4.921875e18, 7_500e12);
        _assertVault(b, 0.1e18 - 0.0984375e18, 0);
        _assertVault(healthy, 10e18, 5_000e12);
        _assertVault(foreign, 10e18, 15_000e12);
        _assertState(SUPPLY, SUPPLY * 1e6, 7_500e6 + 5_000e6, 7_500e12 + 5_000e12, 76.5e6);
    }

    function test_liquidateBatch_withCallbackPaysTotalOnce() public {
        CallbackLiquidator bot = new CallbackLiquidator(engine, usdc, weth);
        uint256 a = _vaultP();
        uint256 b = _open(BOB, 0.1e18, 150e6);
        _setPrice(1_600e8);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (a, b);
        (uint256 n, uint256 repaid, uint256 seized, uint256 fee) = bot.liquidateBatch(marketId, ids, hex"aa");
        vm.assertEq(n, 2);
        vm.assertEq(bot.calls(), 1);
        vm.assertEq(bot.lastSeized(), seized);
        vm.assertEq(bot.lastOwed(), repaid + fee);
        vm.assertEq(bot.lastOwed(), 7_650e6 + 76.5e6);
        vm.assertEq(bot.collateralSeenInCallback(), 5.0203125e18);
    }

    function test_liquidateBatch_nothingLiquidatableMovesNothing() public {
        CallbackLiquidator bot = new CallbackLiquidator(engine, usdc, weth);
        uint256 healthy = _vaultP();
        (uint256 n, uint256 repaid, uint256 seized, uint256 fee) = bot.liquidateBatch(marketId, _ids(healthy), hex"aa");
        vm.assertEq(n + repaid + seized + fee, 0);
        vm.assertEq(bot.calls(), 0); // no callback when nothing was liquidated
        (n,,,) = bot.liquidateBatch(marketId, new uint256[](0), hex"aa");
        vm.assertEq(n, 0);
    }

    function test_liquidateBatch_revertsOnTooManyIds() public {
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.BatchTooLarge.selector, 101, 100));
        engine.liquidateBatch(marketId, _unknownIds(101), LIQUIDATOR, "");
        vm.prank(LIQUIDATOR); // exactly MAX_BATCH is fine (all unknown ids: skipped)
        (uint256 n,,,) = engine.liquidateBatch(marketId, _unknownIds(100), LIQUIDATOR, "");
        vm.assertEq(n, 0);
    }

    /// @dev `n` strictly increasing ids of vaults that do not exist.
    function _unknownIds(uint256 n) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](n);
        for (uint256 i; i < n; ++i) ids[i] = 1_000 + i;
    }

    function test_liquidateBatch_revertsOnBadInputs() public {
        uint256[] memory ids = new uint256[](1);
        vm.startPrank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.liquidateBatch(marketId, ids, address(0), "");
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 5));
        engine.liquidateBatch(5, ids, LIQUIDATOR, "");
        vm.stopPrank();
    }

    function test_liquidateBatch_realizesBadDebt() public {
        uint256 id = _underwater();
        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid, uint256 seized, uint256 fee) =
            engine.liquidateBatch(marketId, _ids(id), LIQUIDATOR, "");
        vm.assertEq(n, 1);
        vm.assertEq(repaid, 15_238_095_238);
        vm.assertEq(seized, 10e18);
        vm.assertEq(fee, 152_380_953);
        _assertState(SUPPLY - 609_523_809, SUPPLY * 1e6, 0, 0, 0);
    }

    /// @dev v2: the same vault id twice is rejected (ids must be strictly increasing), so the close factor holds per
    /// vault per batch (v1 liquidated it twice on the fresh state). The second round goes to a later batch.
    function test_liquidateBatch_duplicateIdRevertsAndSecondRoundNeedsANewBatch() public {
        uint256 a = _vaultP();
        _setPrice(1_600e8);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (a, a);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.BatchNotSorted.selector, 1));
        engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");

        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid,,) = engine.liquidateBatch(marketId, _ids(a), LIQUIDATOR, "");
        vm.assertEq(n, 1);
        vm.assertEq(repaid, 7_500e6);
        // After it: 5.078125 WETH = 8,125 vs debt 7,500 > 8,125 - 812.5, still liquidatable; the next batch: 3,750.
        vm.prank(LIQUIDATOR);
        (n, repaid,,) = engine.liquidateBatch(marketId, _ids(a), LIQUIDATOR, "");
        vm.assertEq(n, 1);
        vm.assertEq(repaid, 3_750e6);
        Vault memory v = _vault(a);
        vm.assertEq(v.debtShares, 3_750e12);
    }

    /* FUZZ */

    /// @dev For any liquidatable vault: the collateral seized is the largest amount worth at most
    /// target x (1 + bonus) (rounded against the liquidator) unless all of it is taken; the repayment is what the
    /// seized collateral is worth less the bonus, rounded down (so it is covered by the value seized); the fee is
    /// rounded up, and the liquidator pays exactly repaid + fee.
    function testFuzz_liquidate_seizeRoundsAgainstLiquidator(uint256 collateral, uint256 borrowed, uint256 answer)
        public
    {
        _supply(LENDER, 2_000_000e6);
        _fundLiquidator(LIQUIDATOR, 2_000_000e6);
        collateral = _bound(collateral, 0.1e18, 1_000e18);
        borrowed = _bound(borrowed, 100e6, collateral * 1_500e6 / 1e18); // 75% of value: within IM
        uint256 id = _open(BORROWER, collateral, borrowed);
        answer = _bound(answer, 1, lens.liquidationPrice(id) - 1);
        _setPrice(int256(answer));
        uint256 price_ = answer * 1e16;
        uint256 insuranceBefore = _state().insuranceFund;
        uint256 cashBefore = usdc.balanceOf(LIQUIDATOR);
        // The engine's target (no time passed: debt = borrowed): half, or all when the rest would be below minDebt
        // or the collateral cannot pay the bonus on the whole debt.
        uint256 value = collateral * price_ / 1e36;
        uint256 target = borrowed / 2;
        if (borrowed - target <= 100e6 || value * 10_000 < borrowed * 10_500) target = borrowed;

        (uint256 repaid, uint256 seized) = _liquidate(id, type(uint256).max);

        uint256 bought = target * 10_500 * 1e36; // target x (1 + bonus), scaled like seized x price x BPS
        if (seized < collateral) {
            vm.assertLe(seized * price_ * 10_000, bought, "seized worth more than target + bonus");
            vm.assertGt((seized + 1) * price_ * 10_000, bought, "seized less than the largest amount bought");
        } else {
            vm.assertEq(seized, collateral);
        }
        uint256 took = seized * price_ / 1e36;
        vm.assertLe(repaid * 10_500, took * 10_000, "repayment not covered by the value seized");
        if (repaid < borrowed) vm.assertEq(repaid, took * 10_000 / 10_500, "repayment = value seized less bonus");
        vm.assertLe(repaid, target);
        uint256 fee = (repaid * 500 * 2_000 + 1e8 - 1) / 1e8;
        vm.assertEq(cashBefore - usdc.balanceOf(LIQUIDATOR), repaid + fee, "liquidator paid");
        if (_vault(id).collateral > 0) vm.assertEq(_state().insuranceFund, insuranceBefore + fee, "fee to insurance");
        vm.assertEq(weth.balanceOf(LIQUIDATOR), seized);
    }
}

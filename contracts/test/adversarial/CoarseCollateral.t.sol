// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {FuzzBase} from "../fuzz/FuzzBase.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Collateral whose base unit is worth a lot (a 0-decimal token at $880, allowed: decimals 0..36 and up to
/// 1e24 loan units per collateral unit). The liquidator picks `maxRepayAssets`, so a liquidation must not let a tiny
/// repayment take a whole unit: the seized amount is rounded DOWN to whole collateral units (against the liquidator),
/// and a repayment worth less than one unit plus the bonus has no effect (ZeroAmount). Regression tests for the
/// rounded-up seize, which let 1-micro-USDC repayments take $880 bars.
contract CoarseCollateralTest is FuzzBase {
    uint256 internal constant BPS = 10_000;
    MockERC20 internal gold; // 0 decimals
    MockAggregator internal goldFeed;
    uint256 internal m;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        gold = new MockERC20("Gold bar", "BAR", 0);
        goldFeed = new MockAggregator(OWNER, 8, "BAR / USD", 1_000e8);
        vm.prank(OWNER);
        m = engine.createMarket(defaultParams(address(usdc), address(gold), address(goldFeed)));

        usdc.mint(LENDER, 1_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(m, 1_000_000e6, LENDER);
        vm.stopPrank();
        gold.mint(BORROWER, 100);
        vm.startPrank(BORROWER);
        gold.approve(address(engine), 100);
        id = engine.openVault(m, 100, 80_000e6); // 100 bars at $1,000: the IM maximum
        vm.stopPrank();
        vm.prank(OWNER);
        goldFeed.setAnswer(880e8); // V = $88,000, max debt at MM $79,200 < $80,000
        vm.assertTrue(lens.isLiquidatable(id));
        _fundLiquidator(LIQUIDATOR, 1_000_000e6);
    }

    function _price() internal view returns (uint256) {
        return lens.price(m); // loan units per bar x 1e36
    }

    /// @dev A liquidation repaying 1 micro-USDC must not hand over a whole $880 bar: it has no effect (ZeroAmount).
    /// Were it to succeed, the collateral taken would have to be worth at most repaid x (1 + bonus).
    function test_tinyRepayment_cannotSeizeWholeCollateralUnit() public {
        uint256 usdcBefore = usdc.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        (bool ok, bytes memory ret) =
            address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, 1, 0, LIQUIDATOR, "")));
        if (ok) {
            (uint256 repaid, uint256 seized) = abi.decode(ret, (uint256, uint256));
            uint256 taken = Math.mulDiv(seized, _price(), 1e36);
            vm.assertLe(
                taken,
                repaid * (BPS + 500) / BPS,
                string.concat(
                    "paid ",
                    vm.toString(usdcBefore - usdc.balanceOf(LIQUIDATOR)),
                    " micro-USDC, took collateral worth ",
                    vm.toString(taken),
                    " micro-USDC"
                )
            );
        }
        vm.assertFalse(ok, "a 1 micro-USDC liquidation had an effect");
        vm.assertEq(bytes4(ret), IIsomarginEngine.ZeroAmount.selector);
        vm.assertEq(_vault(id).collateral, 100);
        vm.assertEq(usdc.balanceOf(LIQUIDATOR), usdcBefore);
    }

    /// @dev Repeating such tiny liquidations must not drain the vault into bad debt that lenders absorb.
    function test_repeatedTinyLiquidations_doNotSocializeLoss() public {
        MarketState memory s0 = engine.marketState(m);
        uint256 spent = usdc.balanceOf(LIQUIDATOR);
        for (uint256 i; i < 200 && _vault(id).debtShares > 0; ++i) {
            vm.prank(LIQUIDATOR);
            (bool ok,) = address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, 1, 0, LIQUIDATOR, "")));
            if (!ok) break;
        }
        spent -= usdc.balanceOf(LIQUIDATOR);
        MarketState memory s1 = engine.marketState(m);
        vm.assertGe(
            s1.totalSupplyAssets,
            s0.totalSupplyAssets,
            string.concat(
                "lenders lost ",
                vm.toString(s0.totalSupplyAssets - s1.totalSupplyAssets),
                " micro-USDC; liquidator paid ",
                vm.toString(spent),
                " micro-USDC for ",
                vm.toString(gold.balanceOf(LIQUIDATOR)),
                " bars"
            )
        );
    }

    /// @dev The ordinary path on this market is sound: the largest liquidation targets half the debt, which buys
    /// floor(40,000 x 1.05 / 880) = 47 bars (47.73 rounded down); the repayment then follows from the 47 bars:
    /// floor(47 x 880 / 1.05) = 39,390.476190 (v1 charged the whole 40,000 for them, more than they are worth less
    /// the bonus).
    function test_fullSizeLiquidation_onCoarseCollateral() public {
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(repaid, 39_390_476_190);
        vm.assertEq(seized, 47);
        vm.assertEq(_vault(id).collateral, 53);
        vm.assertEq(gold.balanceOf(LIQUIDATOR), 47);
    }

    /// @dev One bar costs 880e6 x 10,000 / 10,500 = 838,095,238.1 micro-USDC of repayment: a cap of 838,095,239
    /// seizes exactly one bar, one micro-USDC less seizes nothing and reverts. The bar is then paid what it is worth
    /// less the bonus, rounded down: 838,095,238 (one unit under the cap).
    function test_smallestRepaymentSeizingOneUnit() public {
        vm.prank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.liquidate(id, 838_095_238, 0, LIQUIDATOR, "");
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, 838_095_239, 0, LIQUIDATOR, "");
        vm.assertEq(repaid, 838_095_238);
        vm.assertEq(seized, 1);
        vm.assertEq(_vault(id).collateral, 99);
    }

    /// @dev Any repayment cap: the bars taken are floor(cap x 1.05 / 880), worth at most cap x (1 + bonus) and more
    /// than that minus one bar; the repayment is what they are worth less the bonus, rounded down (at most the cap);
    /// a cap below one bar's worth has no effect.
    function testFuzz_seizeRoundsAgainstLiquidator_onCoarseCollateral(uint256 cap) public {
        cap = _bound(cap, 1, cap >> 255 == 0 ? 2e9 : 40_000e6); // half the runs around a few bars' worth
        uint256 expected = cap * (BPS + 500) / (BPS * 880e6);
        uint256 usdcBefore = usdc.balanceOf(LIQUIDATOR);
        if (expected == 0) vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, cap, 0, LIQUIDATOR, "");
        if (expected == 0) return vm.assertEq(_vault(id).collateral, 100);
        vm.assertEq(seized, expected);
        vm.assertLe(seized * 880e6 * BPS, cap * (BPS + 500), "seized more than cap x (1 + bonus)");
        vm.assertGt((seized + 1) * 880e6 * BPS, cap * (BPS + 500), "seized a unit less than floor");
        vm.assertEq(repaid, seized * 880e6 * BPS / (BPS + 500), "repaid = value seized less the bonus");
        vm.assertLe(repaid, cap);
        vm.assertEq(_vault(id).collateral, 100 - seized);
        vm.assertEq(gold.balanceOf(LIQUIDATOR), seized);
        uint256 fee = Math.mulDiv(repaid, 500 * 2_000, 1e8, Math.Rounding.Ceil);
        vm.assertEq(usdcBefore - usdc.balanceOf(LIQUIDATOR), repaid + fee);
        vm.assertLe(repaid + fee, seized * 880e6, "paid more than the bars are worth");
    }
}

/// @notice Collateral worth 700,000 USDC a unit (0 decimals): whatever the liquidation (largest, any cap, in a
/// batch), the liquidator pays (repaid + fee) at most the oracle value of the whole units received, and receives the
/// bonus on what they repay up to rounding: value(seized) >= repaid x (1 + bonus), and (unless the repayment is the
/// whole debt) value(seized) < (repaid + 1) x (1 + bonus). v1 charged the repayment the liquidator asked for and
/// rounded the units down, so a liquidator could pay up to ~$700k more than the units were worth.
contract CoarseCollateral700kTest is FuzzBase {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant BONUS = 500;
    int256 internal constant UNIT_PRICE = 700_000e8;
    MockERC20 internal big; // 0 decimals, $700,000 a unit
    MockAggregator internal bigFeed;
    uint256 internal m;

    function setUp() public override {
        super.setUp();
        big = new MockERC20("Big unit", "BIG", 0);
        bigFeed = new MockAggregator(OWNER, 8, "BIG / USD", UNIT_PRICE);
        vm.prank(OWNER);
        m = engine.createMarket(defaultParams(address(usdc), address(big), address(bigFeed)));
        usdc.mint(LENDER, 200_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(m, 200_000_000e6, LENDER);
        vm.stopPrank();
        _fundLiquidator(LIQUIDATOR, 500_000_000e6);
    }

    function _openBig(address who, uint256 units, uint256 borrowed) internal returns (uint256 id) {
        big.mint(who, units);
        vm.startPrank(who);
        big.approve(address(engine), units);
        id = engine.openVault(m, units, borrowed);
        vm.stopPrank();
    }

    function _setBigPrice(int256 answer) internal {
        vm.prank(OWNER);
        bigFeed.setAnswer(answer);
    }

    /// @dev The liquidator's side of one liquidation: what they paid vs what the units they received are worth.
    function _assertFair(uint256 repaid, uint256 fee, uint256 seized, uint256 debtBefore, string memory what)
        internal
        view
    {
        uint256 value = seized * lens.price(m) / 1e36; // whole units, exact at an integer price
        vm.assertLe(repaid + fee, value, string.concat(what, ": paid more than the units are worth"));
        vm.assertGe(value * BPS, repaid * (BPS + BONUS), string.concat(what, ": no bonus on the repayment"));
        if (repaid < debtBefore) {
            vm.assertLt(value * BPS, (repaid + 1) * (BPS + BONUS), string.concat(what, ": repaid below the units' worth"));
        }
        vm.assertEq(fee, Math.mulDiv(repaid, BONUS * 2_000, 1e8, Math.Rounding.Ceil), string.concat(what, ": fee"));
    }

    /// @dev 20 units ($14M at $700k) borrowing $10M, then the unit at $590,000: V = $11.8M, MM maxDebt $9.9M.
    /// The largest liquidation targets $5M, which buys floor(5M x 1.05 / 590k) = 8 units worth $4.72M; the
    /// repayment is $4.72M / 1.05 = 4,495,238.095238 USDC, plus a fee of 44,952.380953: $4,540,190.476191 in all.
    function test_coarse700k_largestLiquidation_paysAtMostValueReceived() public {
        uint256 id = _openBig(BORROWER, 20, 10_000_000e6);
        _setBigPrice(590_000e8);
        vm.assertTrue(lens.isLiquidatable(id));
        uint256 cash = usdc.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(seized, 8);
        vm.assertEq(repaid, 4_495_238_095_238);
        vm.assertEq(cash - usdc.balanceOf(LIQUIDATOR), 4_540_190_476_191);
        vm.assertEq(big.balanceOf(LIQUIDATOR), 8);
        _assertFair(repaid, 44_952_380_953, seized, 10_000_000e6, "largest");
        vm.assertEq(lens.debtOf(id), 10_000_000e6 - 4_495_238_095_238);
    }

    /// @dev Any vault size, debt, price below the liquidation price and cap: every successful liquidation is fair
    /// to the liquidator (see `_assertFair`); an unsuccessful one has no effect for a stated reason.
    function testFuzz_coarse700k_anyLiquidation_paysAtMostValueAndGetsBonus(
        uint256 units,
        uint256 borrowSeed,
        uint256 priceSeed,
        uint256 capSeed
    ) public {
        units = _bound(units, 1, 40);
        (uint256 id, uint256 debt) = _openCrashed(units, borrowSeed, priceSeed);
        uint256 cap = capSeed & 1 == 0 ? type(uint256).max : _bound(capSeed >> 1, 1, debt);
        uint256 cash = usdc.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        (bool ok, bytes memory ret) =
            address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, cap, 0, LIQUIDATOR, "")));
        if (!ok) {
            bytes4 sel = bytes4(ret);
            vm.assertTrue(
                sel == IIsomarginEngine.ZeroAmount.selector || sel == IIsomarginEngine.DebtBelowMinimum.selector,
                "unexpected revert"
            );
            vm.assertEq(_vault(id).collateral, units);
            return;
        }
        (uint256 repaid, uint256 seized) = abi.decode(ret, (uint256, uint256));
        uint256 paid = cash - usdc.balanceOf(LIQUIDATOR);
        vm.assertLe(repaid, cap, "repaid above the cap");
        vm.assertEq(big.balanceOf(LIQUIDATOR), seized);
        _assertFair(repaid, paid - repaid, seized, debt, "single");
    }

    /// @dev A vault of `units` borrowing between minDebt and its IM maximum, then a price anywhere from its
    /// liquidation price down to a 90% crash.
    function _openCrashed(uint256 units, uint256 borrowSeed, uint256 priceSeed) internal returns (uint256 id, uint256 debt) {
        uint256 maxIm = _imMaxDebt(units * 700_000e6) - 2;
        id = _openBig(BORROWER, units, _bound(borrowSeed, 100e6, maxIm));
        uint256 lp = lens.liquidationPrice(id);
        _setBigPrice(int256(_bound(priceSeed, lp / 10 + 1, lp - 1)));
        debt = lens.debtOf(id);
    }

    /// @dev The same through liquidateBatch: each Liquidated event is fair, and so is the batch's total.
    function testFuzz_coarse700k_batch_paysAtMostValueReceived(uint256 seed, uint256 priceBps) public {
        (uint256[] memory ids, uint256[] memory debts) = _openBatch(seed);
        // 60%..95% of the start: from barely liquidatable to deep underwater.
        _setBigPrice(UNIT_PRICE * int256(_bound(priceBps, 6_000, 9_500)) / 10_000);
        uint256 cash = usdc.balanceOf(LIQUIDATOR);
        vm.recordLogs();
        vm.prank(LIQUIDATOR);
        (bool ok, bytes memory ret) =
            address(engine).call(abi.encodeCall(IIsomarginEngine.liquidateBatch, (m, ids, LIQUIDATOR, "")));
        // A vault left below minDebt reverts the whole batch (see the report: engine v2 full-liquidation rounding).
        if (!ok) return vm.assertEq(bytes4(ret), IIsomarginEngine.DebtBelowMinimum.selector, "unexpected revert");
        (, uint256 repaid, uint256 seized, uint256 fee) = abi.decode(ret, (uint256, uint256, uint256, uint256));
        vm.assertEq(cash - usdc.balanceOf(LIQUIDATOR), repaid + fee);
        vm.assertEq(big.balanceOf(LIQUIDATOR), seized);
        vm.assertLe(repaid + fee, seized * lens.price(m) / 1e36, "batch: paid more than the units are worth");
        _assertFairEvents(ids[0], debts);
    }

    /// @dev Five vaults of 1..30 units, each borrowing 90..100% of its IM maximum; ids consecutive from `ids[0]`.
    function _openBatch(uint256 seed) internal returns (uint256[] memory ids, uint256[] memory debts) {
        ids = new uint256[](5);
        debts = new uint256[](5);
        for (uint256 i; i < ids.length; ++i) {
            uint256 units = _bound(uint256(keccak256(abi.encode(seed, i))), 1, 30);
            uint256 maxIm = _imMaxDebt(units * 700_000e6) - 2;
            uint256 borrowed = _bound(uint256(keccak256(abi.encode(seed, i, 1))), maxIm * 9 / 10, maxIm);
            ids[i] = _openBig(address(uint160(0xB000 + i)), units, borrowed);
            debts[i] = borrowed;
        }
    }

    /// @dev Every Liquidated event recorded: fair to the liquidator.
    function _assertFairEvents(uint256 firstId, uint256[] memory debts) internal {
        VmLog[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != IIsomarginEngine.Liquidated.selector) continue;
            (uint256 r,, uint256 s, uint256 f) = abi.decode(logs[i].data, (uint256, uint256, uint256, uint256));
            _assertFair(r, f, s, debts[uint256(logs[i].topics[1]) - firstId], "batch entry");
        }
    }
}

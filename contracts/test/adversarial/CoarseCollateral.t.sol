// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
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
        vm.assertTrue(engine.isLiquidatable(id));
        _fundLiquidator(LIQUIDATOR, 1_000_000e6);
    }

    function _price() internal view returns (uint256) {
        return engine.price(m); // loan units per bar x 1e36
    }

    /// @dev A liquidation repaying 1 micro-USDC must not hand over a whole $880 bar: it has no effect (ZeroAmount).
    /// Were it to succeed, the collateral taken would have to be worth at most repaid x (1 + bonus).
    function test_tinyRepayment_cannotSeizeWholeCollateralUnit() public {
        uint256 usdcBefore = usdc.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        (bool ok, bytes memory ret) =
            address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, 1, LIQUIDATOR, "")));
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
            (bool ok,) = address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, 1, LIQUIDATOR, "")));
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

    /// @dev The ordinary path on this market is sound: the largest liquidation repays half the debt and takes
    /// floor(40,000 x 1.05 / 880) = 47 bars (47.73 rounded down: less than one unit below the bonus).
    function test_fullSizeLiquidation_onCoarseCollateral() public {
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, LIQUIDATOR, "");
        vm.assertEq(repaid, 40_000e6);
        vm.assertEq(seized, 47);
        vm.assertEq(_vault(id).collateral, 53);
        vm.assertEq(gold.balanceOf(LIQUIDATOR), 47);
    }

    /// @dev One bar costs 880e6 x 10,000 / 10,500 = 838,095,238.1 micro-USDC of repayment: 838,095,239 seizes
    /// exactly one bar, one micro-USDC less seizes nothing and reverts.
    function test_smallestRepaymentSeizingOneUnit() public {
        vm.prank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.liquidate(id, 838_095_238, LIQUIDATOR, "");
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, 838_095_239, LIQUIDATOR, "");
        vm.assertEq(repaid, 838_095_239);
        vm.assertEq(seized, 1);
        vm.assertEq(_vault(id).collateral, 99);
    }

    /// @dev Any repayment cap: the bars taken are floor(repaid x 1.05 / 880), worth at most repaid x (1 + bonus)
    /// and more than that minus one bar; a cap below one bar's worth has no effect.
    function testFuzz_seizeRoundsAgainstLiquidator_onCoarseCollateral(uint256 cap) public {
        cap = _bound(cap, 1, cap >> 255 == 0 ? 2e9 : 40_000e6); // half the runs around a few bars' worth
        uint256 expected = cap * (BPS + 500) / (BPS * 880e6);
        uint256 usdcBefore = usdc.balanceOf(LIQUIDATOR);
        if (expected == 0) vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, cap, LIQUIDATOR, "");
        if (expected == 0) return vm.assertEq(_vault(id).collateral, 100);
        vm.assertEq(repaid, cap);
        vm.assertEq(seized, expected);
        vm.assertLe(seized * 880e6 * BPS, cap * (BPS + 500), "seized more than repaid x (1 + bonus)");
        vm.assertGt((seized + 1) * 880e6 * BPS, cap * (BPS + 500), "seized a unit less than floor");
        vm.assertEq(_vault(id).collateral, 100 - seized);
        vm.assertEq(gold.balanceOf(LIQUIDATOR), seized);
        vm.assertEq(usdcBefore - usdc.balanceOf(LIQUIDATOR), cap + Math.mulDiv(cap, 500 * 2_000, 1e8, Math.Rounding.Ceil));
    }
}

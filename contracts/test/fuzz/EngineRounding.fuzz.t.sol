// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "./FuzzBase.sol";
import {Wide} from "./MathHarness.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Rounding direction through the engine's entry points, on markets whose share prices moved with interest.
/// Expected share amounts are the exact floor/ceil of the real conversion at the pre-operation state.
contract EngineRoundingFuzzTest is FuzzBase {
    function testFuzz_supplyMintsSharesRoundedDown(uint256 seed, uint256 assets) public {
        _busyMarket(seed);
        assets = _bound(assets, 1, 1e13);
        MarketState memory s = _state();
        uint256 shares = _supply(BORROWER, assets);

        uint256 a = uint256(s.totalSupplyAssets) + 1;
        uint256 sh = uint256(s.totalSupplyShares) + VIRTUAL_SHARES;
        vm.assertTrue(Wide.mulLe(shares, a, assets, sh), "supply minted shares worth more than paid");
        vm.assertTrue(Wide.mulLt(assets, sh, shares + 1, a), "supply minted less than floor");
        vm.assertEq(engine.supplyShares(marketId, BORROWER), shares);

        // Redeeming right away never returns more than was paid (and a dust position may be worth 0: ZeroAmount).
        MarketState memory t = _state();
        uint256 expected = h.toAssetsDown(shares, t.totalSupplyAssets, t.totalSupplyShares);
        vm.assertLe(expected, assets, "supply-redeem round trip profit");
        if (expected == 0) vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        vm.prank(BORROWER);
        uint256 back = engine.redeem(marketId, shares, BORROWER);
        vm.assertEq(back, expected);
        vm.assertEq(usdc.balanceOf(BORROWER), back);
    }

    function testFuzz_withdrawBurnsSharesRoundedUp(uint256 seed, uint256 assets) public {
        _busyMarket(seed);
        MarketState memory s = _state();
        uint256 held = engine.supplyShares(marketId, LENDER);
        uint256 worth = h.toAssetsDown(held, s.totalSupplyAssets, s.totalSupplyShares);
        uint256 liquidity = s.totalSupplyAssets - s.totalBorrowAssets;
        assets = _bound(assets, 1, worth < liquidity ? worth : liquidity);

        vm.prank(LENDER);
        uint256 burned = engine.withdraw(marketId, assets, LENDER);

        uint256 a = uint256(s.totalSupplyAssets) + 1;
        uint256 sh = uint256(s.totalSupplyShares) + VIRTUAL_SHARES;
        vm.assertTrue(Wide.mulLe(assets, sh, burned, a), "withdraw burned shares worth less than paid out");
        vm.assertTrue(Wide.mulLt(burned - 1, a, assets, sh), "withdraw burned more than ceil");
        vm.assertEq(engine.supplyShares(marketId, LENDER), held - burned);
        vm.assertEq(usdc.balanceOf(LENDER), assets);
        _assertLoanAccounting(marketId, usdc, 0);
    }

    function testFuzz_redeemPaysAssetsRoundedDown(uint256 seed, uint256 shares) public {
        _busyMarket(seed);
        MarketState memory s = _state();
        uint256 held = engine.supplyShares(marketId, LENDER);
        uint256 liquidShares =
            h.toSharesDown(s.totalSupplyAssets - s.totalBorrowAssets, s.totalSupplyAssets, s.totalSupplyShares);
        shares = _bound(shares, VIRTUAL_SHARES * 10, held < liquidShares ? held : liquidShares);
        uint256 expected = h.toAssetsDown(shares, s.totalSupplyAssets, s.totalSupplyShares);

        vm.prank(LENDER);
        uint256 paid = engine.redeem(marketId, shares, LENDER);
        vm.assertEq(paid, expected);
        vm.assertTrue(
            Wide.mulLe(paid, uint256(s.totalSupplyShares) + VIRTUAL_SHARES, shares, uint256(s.totalSupplyAssets) + 1),
            "redeem paid more than shares worth"
        );
    }

    function testFuzz_borrowMintsDebtRoundedUp(uint256 seed, uint256 assets) public {
        _busyMarket(seed);
        uint256 id = _open(BORROWER, 10_000e18, 100e6); // $20M of collateral, minimum debt
        MarketState memory s = _state();
        uint256 liquidity = s.totalSupplyAssets - s.totalBorrowAssets;
        assets = _bound(assets, 1, liquidity < 1_000_000e6 ? liquidity : 1_000_000e6);
        uint256 debtBefore = lens.debtOf(id);
        uint256 sharesBefore = _vault(id).debtShares;

        vm.prank(BORROWER);
        uint256 shares = engine.borrow(id, assets, BORROWER);

        uint256 a = uint256(s.totalBorrowAssets) + 1;
        uint256 sh = uint256(s.totalBorrowShares) + VIRTUAL_SHARES;
        vm.assertTrue(Wide.mulLe(assets, sh, shares, a), "borrow minted debt shares worth less than lent");
        vm.assertTrue(Wide.mulLt(shares - 1, a, assets, sh), "borrow minted more than ceil");
        vm.assertEq(_vault(id).debtShares, sharesBefore + shares);
        uint256 debtAfter = lens.debtOf(id);
        vm.assertGe(debtAfter, debtBefore + assets, "debt grew by less than lent");
        // ... and by at most the value of one extra share plus one unit of the debt's own rounding up.
        vm.assertLe(debtAfter, debtBefore + assets + (a + sh - 1) / sh + 1, "debt grew too much");
        vm.assertEq(_state().totalBorrowAssets, s.totalBorrowAssets + assets);
    }

    /// @dev A partial repayment removes floor(assets x shares/asset) debt shares: the vault's debt falls by at most
    /// what was paid, and totalBorrowAssets by exactly that.
    function testFuzz_repayThroughEngineRemovesAtMostDebtPaid(
        uint256 seed,
        uint256 borrowed,
        uint256 elapsed,
        uint256 assets
    ) public {
        _busyMarket(seed);
        uint256 liquidity = _state().totalSupplyAssets - _state().totalBorrowAssets;
        vm.assertGt(liquidity, 200e6);
        borrowed = _bound(borrowed, 200e6, liquidity < 1_000_000e6 ? liquidity : 1_000_000e6);
        uint256 id = _open(BORROWER, 10_000e18, borrowed);
        vm.warp(block.timestamp + _bound(elapsed, 1, 90 days));
        _setPrice(INITIAL_PRICE);
        engine.accrueInterest(marketId);

        MarketState memory s = _state();
        uint256 debtBefore = lens.debtOf(id);
        uint256 sharesBefore = _vault(id).debtShares;
        // Leave at least minDebt + 1 (share rounding may take one unit more off the debt view).
        assets = _bound(assets, 1, debtBefore - 100e6 - 1);
        _fundLiquidator(BORROWER, assets);
        uint256 balBefore = usdc.balanceOf(BORROWER);

        vm.prank(BORROWER);
        (uint256 repaid, uint256 repaidShares) = engine.repay(id, assets);

        vm.assertEq(repaid, assets);
        vm.assertEq(balBefore - usdc.balanceOf(BORROWER), assets, "pulled != assets");
        vm.assertEq(repaidShares, h.toSharesDown(assets, s.totalBorrowAssets, s.totalBorrowShares), "shares not floor");
        vm.assertEq(_vault(id).debtShares, sharesBefore - repaidShares);
        uint256 debtAfter = lens.debtOf(id);
        vm.assertLe(debtBefore - debtAfter, assets, "debt fell by more than paid");
        vm.assertGe(debtAfter, 100e6, "left below minDebt");
        vm.assertEq(_state().totalBorrowAssets, s.totalBorrowAssets - assets);
        _assertLoanAccounting(marketId, usdc, 0);
    }

    /// @dev The borrow limit is computed on the collateral value rounded DOWN: with a single borrower (debt ==
    /// assets exactly) borrowing maxDebt(floor(c x p)) succeeds and one unit more reverts with those exact numbers.
    function testFuzz_borrowLimitUsesValueRoundedDown(uint256 collateral, uint256 answer) public {
        answer = _bound(answer, 1e6, 1e13); // $0.01 .. $100,000 per token
        uint256 minCollateral = 200e6 * 1e36 / _scaled(answer) + 1; // at least $200 of value
        collateral = _bound(collateral, minCollateral, minCollateral + 1e24);
        _setPrice(int256(answer));
        uint256 value = _valueOf(collateral, _scaled(answer));
        uint256 maxDebt = _imMaxDebt(value);
        _supply(LENDER, maxDebt + 1);
        uint256 id = _openEmpty(BORROWER, collateral);

        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, maxDebt + 1, maxDebt));
        _borrow(BORROWER, id, maxDebt + 1);
        _borrow(BORROWER, id, maxDebt);
        vm.assertEq(lens.debtOf(id), maxDebt);
        vm.assertEq(usdc.balanceOf(BORROWER), maxDebt);
    }

    /// @dev Seized collateral rounds DOWN, against the liquidator who picks the amount: for a repayment cap within
    /// the close factor, the collateral taken is worth at most cap x (1 + bonus) and more than that minus one
    /// collateral unit; the repayment is the value seized less the bonus, rounded down (never above the cap); a cap
    /// worth less than one unit has no effect (ZeroAmount). Prices up to 1e40 (a wei of WETH worth up to $1e10) make
    /// the collateral unit coarse: small vaults hold a few wei.
    function testFuzz_liquidate_seizeRoundsAgainstLiquidator(uint256 seed, uint256 answer, uint256 usd, uint256 cap)
        public
    {
        (uint256 id, uint256 c, uint256 price, uint256 debt) = _coarseVault(seed, answer, usd);
        // Within the close factor (50%), and leaving at least minDebt.
        cap = _bound(cap, 1, debt / 2);
        // Deep underwater (V < D x 1.05) the cap still holds (v2; v1 ignored it there); half those runs ask for all.
        if (_valueOf(c, price) * 10_000 < debt * 10_500 && cap & 1 == 0) cap = debt;
        (uint256 expected, uint256 expSeized, uint256 expRepaid, bool noEffect) = _expectCapped(c, price, debt, cap);
        _fundLiquidator(LIQUIDATOR, debt * 2);

        if (noEffect) vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, cap, 0, LIQUIDATOR, "");
        if (noEffect) return vm.assertEq(_vault(id).collateral, c);
        vm.assertEq(seized, expSeized);
        vm.assertEq(repaid, expRepaid);
        vm.assertLe(repaid, cap, "repaid above the cap");
        // The repayment is covered by the value seized.
        vm.assertTrue(Wide.mulLe(repaid * 10_500, 1e36, seized, price * 10_000), "repay above value seized less bonus");
        vm.assertEq(_vault(id).collateral, c - seized);
        vm.assertEq(weth.balanceOf(LIQUIDATOR), seized);
        if (expected > c) return; // not enough collateral for the bonus: all of it, for its value less the bonus
        vm.assertTrue(Wide.mulLe(seized, price * 10_000, cap * 10_500, 1e36), "seized above cap x (1 + bonus)");
        vm.assertTrue(Wide.mulLt(cap * 10_500, 1e36, seized + 1, price * 10_000), "seized a whole unit short");
    }

    /// @dev A busy market, a vault borrowing its IM maximum at a price up to 1e40 (coarse collateral units), then a
    /// price anywhere below its liquidation price, down to a 90% crash (deep underwater: the seize-all branch).
    function _coarseVault(uint256 seed, uint256 answer, uint256 usd)
        internal
        returns (uint256 id, uint256 c, uint256 price, uint256 debt)
    {
        _busyMarket(seed);
        _supply(LENDER, 20_000_000e6);
        answer = 10 ** _bound(answer >> 128, 8, 39) * _bound(uint64(answer), 1, 9);
        _setPrice(int256(answer));
        c = Math.max(1, Math.mulDiv(_bound(usd, 400e6, 5_000_000e6), 1e36, _scaled(answer)));
        MarketState memory s = _state();
        uint256 b = Math.min(_imMaxDebt(_valueOf(c, _scaled(answer))) - 2, s.totalSupplyAssets - s.totalBorrowAssets);
        id = _open(BORROWER, c, b);
        answer = _bound(usd >> 128, lens.liquidationPrice(id) / 10 + 1, lens.liquidationPrice(id) - 1);
        _setPrice(int256(answer));
        price = _scaled(answer);
        debt = lens.debtOf(id);
    }

    /// @dev The rules for a capped liquidation of a vault with collateral `c` and debt `debt` at `price` (no time
    /// passed): the collateral the cap buys (`expected`, rounded down) capped at `c`, the repayment that follows from
    /// it (value less bonus, rounded down, at most the debt), and whether it has no effect (nothing seized, or no
    /// debt share repaid while collateral remains).
    function _expectCapped(uint256 c, uint256 price, uint256 debt, uint256 cap)
        internal
        view
        returns (uint256 expected, uint256 seized, uint256 repaid, bool noEffect)
    {
        expected = Math.mulDiv(cap * 10_500, 1e36, 10_000 * price);
        seized = Math.min(expected, c);
        repaid = Math.min(_valueOf(seized, price) * 10_000 / 10_500, debt);
        MarketState memory st = _state();
        noEffect = expected == 0
            || (seized < c && repaid < debt && h.toSharesDown(repaid, st.totalBorrowAssets, st.totalBorrowShares) == 0);
    }
}

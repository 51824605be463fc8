// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "../fuzz/FuzzBase.sol";
import {IIsomarginEngine, MarketParams, MarketState, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Prices from one base unit of the feed (1e-8 or 1e-18 dollars) up to the OracleAnswerTooLarge bound, on
/// markets pairing 6- and 18-decimal tokens in both roles with 8- and 18-decimal feeds: borrow the maximum, crash,
/// liquidate until healthy or written off; no overflow anywhere the bound allows, and the books stay balanced.
/// Every liquidation moves exactly what the rules say (seized collateral rounded down). A vault of one collateral
/// unit worth more than its whole allowed repayment cannot be partially liquidated (ZeroAmount, skipped by batches)
/// until the price falls past the bonus, when it is liquidated in full.
contract ExtremePricesTest is FuzzBase {
    /// @dev One market under test and its thresholds/margins in its loan token's units.
    struct Mkt {
        uint256 id;
        MockERC20 loan;
        MockERC20 coll;
        MockAggregator feed;
        uint256 loanUnit; // 10 ** loan decimals ($1 of loan token)
        uint256 feedUnit; // 10 ** feed decimals ($1 of answer)
        uint256 scale;
        uint256 maxAnswer;
        uint256[] mins;
        uint256[] im;
        uint256[] mm;
    }

    uint256 internal constant MAX_COLLATERAL = 1e38; // keeps the vault's collateral well inside uint128

    function _create(uint8 ld, uint8 cd, uint8 fd) internal returns (Mkt memory k) {
        k.loan = new MockERC20("LOAN", "LOAN", ld);
        k.coll = new MockERC20("COLL", "COLL", cd);
        k.feed = new MockAggregator(OWNER, fd, "COLL / LOAN", int256(10 ** fd));
        (k.loanUnit, k.feedUnit) = (10 ** ld, 10 ** fd);
        MarketParams memory p = defaultParams(address(k.loan), address(k.coll), address(k.feed));
        p.tiers[1].minValue = uint128(1_000_000 * k.loanUnit);
        p.tiers[2].minValue = uint128(10_000_000 * k.loanUnit);
        p.minDebt = uint128(k.loanUnit); // $1, so even a dust-priced vault can borrow
        vm.prank(OWNER);
        k.id = engine.createMarket(p);
        k.scale = engine.marketConfig(k.id).priceScale;
        vm.assertEq(k.scale, 10 ** (36 + uint256(ld) - cd - fd), "price scale");
        k.maxAnswer = 1e60 / k.scale;
        (k.mins, k.im) = _defaultMargins(true);
        (, k.mm) = _defaultMargins(false);
        (k.mins[1], k.mins[2]) = (p.tiers[1].minValue, p.tiers[2].minValue);
    }

    function _setAnswer(Mkt memory k, uint256 answer) internal {
        vm.prank(OWNER);
        k.feed.setAnswer(int256(answer));
    }

    /// @dev Borrows the IM maximum against about `targetUsd` of collateral at answer `p0`, moves the answer to `p1`
    /// and liquidates until the vault is healthy, debt-free or written off.
    function _scenario(Mkt memory k, uint256 p0, uint256 p1, uint256 targetUsd) internal {
        _setAnswer(k, p0);
        uint256 price = p0 * k.scale;
        vm.assertEq(lens.price(k.id), price);
        uint256 c = Math.mulDiv(targetUsd * k.loanUnit, 1e36, price, Math.Rounding.Ceil);
        c = Math.min(Math.max(c, 1), MAX_COLLATERAL);
        uint256 maxDebt = h.maxDebt(Math.mulDiv(c, price, 1e36), k.mins, k.im);
        vm.assertGe(maxDebt, k.loanUnit, "scenario cannot borrow the minimum debt");

        // Lender supplies exactly enough; borrower borrows the maximum (one unit more fails on margin).
        k.loan.mint(LENDER, maxDebt + 1);
        vm.startPrank(LENDER);
        k.loan.approve(address(engine), type(uint256).max);
        engine.supply(k.id, maxDebt + 1, LENDER);
        vm.stopPrank();
        k.coll.mint(BORROWER, c);
        vm.startPrank(BORROWER);
        k.coll.approve(address(engine), c);
        uint256 id = engine.openVault(k.id, c, 0);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, maxDebt + 1, maxDebt));
        engine.borrow(id, maxDebt + 1, BORROWER);
        engine.borrow(id, maxDebt, BORROWER);
        vm.stopPrank();
        vm.assertEq(lens.debtOf(id), maxDebt);
        vm.assertEq(k.loan.balanceOf(BORROWER), maxDebt);
        _assertLiquidationPriceBrackets(k, id, p0);

        _setAnswer(k, p1);
        k.loan.mint(LIQUIDATOR, 2 * maxDebt + k.loanUnit);
        vm.prank(LIQUIDATOR);
        k.loan.approve(address(engine), type(uint256).max);
        _liquidateUntilDone(k, id, p1);
        Vault memory v = engine.vault(id);
        vm.assertTrue(v.debtShares == 0 || !lens.isLiquidatable(id), "still liquidatable after the liquidations");
        if (v.collateral == 0) vm.assertEq(v.debtShares, 0, "debt left without collateral");
        _assertLoanAccounting(k.id, k.loan, 1);
        vm.assertEq(k.coll.balanceOf(address(engine)), v.collateral, "collateral books");
        // Repay and close what is left: the exits work at this price too.
        if (v.collateral > 0) {
            k.loan.mint(BORROWER, lens.debtOf(id));
            vm.startPrank(BORROWER);
            k.loan.approve(address(engine), type(uint256).max);
            engine.closeVault(id, BORROWER);
            vm.stopPrank();
        }
        vm.assertEq(k.coll.balanceOf(address(engine)), 0);
    }

    /// @dev liquidate(max) until the vault is healthy, debt-free or written off, each exactly as the rules say.
    function _liquidateUntilDone(Mkt memory k, uint256 id, uint256 answer) internal {
        for (uint256 i; i < 20 && _vaultDebtShares(id) > 0 && lens.isLiquidatable(id); ++i) {
            (uint256 expRepaid, uint256 expSeized) = _expectedMaxLiquidation(k, id);
            if (expSeized == 0) {
                // The whole allowed repayment is worth less than one collateral unit (a vault of one very valuable
                // unit, partially liquidatable), or the units it buys are worth less than one debt share: the
                // liquidation has no effect. Only a deeper crash, past the bonus,
                // makes it seize the unit (next iteration).
                _assertNoEffectLiquidation(k, id);
                answer = Math.max(1, answer * 9 / 10);
                _setAnswer(k, answer);
                continue;
            }
            uint256 collBefore = k.coll.balanceOf(LIQUIDATOR);
            vm.prank(LIQUIDATOR);
            (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
            vm.assertEq(repaid, expRepaid, "repaid");
            vm.assertEq(seized, expSeized, "seized");
            vm.assertEq(k.coll.balanceOf(LIQUIDATOR) - collBefore, seized);
        }
    }

    /// @dev The written rules for liquidate(max) on this market (bonus 5%, close factor 50%, minDebt one loan token,
    /// no interest accrued): the target repayment buys the collateral seized (rounded down, capped at the vault's),
    /// and the repayment is what that collateral is worth less the bonus (rounded down). (0, 0) when the liquidation
    /// has no effect (nothing seized, or no debt share repaid while collateral remains).
    function _expectedMaxLiquidation(Mkt memory k, uint256 id) internal view returns (uint256 repaid, uint256 seized) {
        uint256 debt = lens.debtOf(id);
        uint256 coll = engine.vault(id).collateral;
        uint256 price = lens.price(k.id);
        uint256 value = Math.mulDiv(coll, price, 1e36);
        uint256 target = debt / 2;
        if (target == 0 || debt - target <= k.loanUnit || value * 10_000 < debt * 10_500) target = debt;
        seized = Math.mulDiv(target * 10_500, 1e36, 10_000 * price);
        if (seized > coll) seized = coll;
        repaid = Math.mulDiv(seized, price, 1e36) * 10_000 / 10_500;
        if (repaid >= debt) return (debt, seized);
        MarketState memory s = engine.marketState(k.id);
        if (seized < coll && h.toSharesDown(repaid, s.totalBorrowAssets, s.totalBorrowShares) == 0) return (0, 0);
    }

    /// @dev A liquidation that would seize nothing: liquidate reverts ZeroAmount, liquidateBatch skips the vault
    /// (not counted, nothing moved), and the vault is still liquidatable.
    function _assertNoEffectLiquidation(Mkt memory k, uint256 id) internal {
        Vault memory before = engine.vault(id);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(LIQUIDATOR);
        (uint256 n, uint256 repaid, uint256 seized, uint256 fee) = engine.liquidateBatch(k.id, ids, LIQUIDATOR, "");
        vm.assertEq(n + repaid + seized + fee, 0, "batch counted a no-effect liquidation");
        Vault memory after_ = engine.vault(id);
        vm.assertEq(after_.collateral, before.collateral, "collateral moved");
        vm.assertEq(after_.debtShares, before.debtShares, "debt moved");
        vm.assertTrue(lens.isLiquidatable(id));
    }

    function _vaultDebtShares(uint256 id) internal view returns (uint256) {
        return engine.vault(id).debtShares;
    }

    /// @dev At its liquidation price the vault is not liquidatable, one answer unit below it is.
    function _assertLiquidationPriceBrackets(Mkt memory k, uint256 id, uint256 answerNow) internal {
        uint256 lp = lens.liquidationPrice(id);
        vm.assertLe(lp, answerNow, "max-IM vault liquidatable at the borrow price");
        _setAnswer(k, lp);
        vm.assertFalse(lens.isLiquidatable(id), "liquidatable at its liquidation price");
        if (lp > 1) {
            _setAnswer(k, lp - 1);
            vm.assertTrue(lens.isLiquidatable(id), "healthy below its liquidation price");
        }
        _setAnswer(k, answerNow);
    }

    /// @dev The deterministic ladder for one decimals combination; each scenario from the same state.
    function _ladder(uint8 ld, uint8 cd, uint8 fd) internal {
        Mkt memory k = _create(ld, cd, fd);
        uint256 usd = k.feedUnit;
        uint256[2][7] memory pairs = [
            [uint256(2), 1], // one feed unit: $1e-8 (8 dec) or $1e-18 (18 dec), deep crash
            [2 * usd / 1e8, usd / 1e8], // $2e-8 -> $1e-8
            [2_000 * usd, 1_700 * usd], // ordinary, partial liquidation
            [2_000 * usd, 1_000 * usd], // ordinary, deep crash
            [1e15 * usd, 0.85e15 * usd], // $1e15 per token, when the bound allows
            [k.maxAnswer, k.maxAnswer * 85 / 100], // at the bound, partial
            [k.maxAnswer, k.maxAnswer * 40 / 100] // at the bound, deep crash
        ];
        for (uint256 i; i < pairs.length; ++i) {
            if (pairs[i][0] > k.maxAnswer) {
                // Beyond the bound the engine refuses the price instead of overflowing.
                _setAnswer(k, pairs[i][0]);
                vm.expectRevert(
                    abi.encodeWithSelector(IIsomarginEngine.OracleAnswerTooLarge.selector, int256(pairs[i][0]))
                );
                lens.price(k.id);
                continue;
            }
            for (uint256 t; t < 2; ++t) {
                uint256 snap = vm.snapshotState();
                _scenario(k, pairs[i][0], pairs[i][1], t == 0 ? 50_000 : 50_000_000); // tier 1 and tier 3 sizes
                vm.revertToState(snap);
            }
        }
    }

    function test_extremes_loan6_coll18_feed8() public {
        _ladder(6, 18, 8);
    }

    function test_extremes_loan18_coll6_feed8() public {
        _ladder(18, 6, 8);
    }

    function test_extremes_loan6_coll6_feed8() public {
        _ladder(6, 6, 8);
    }

    function test_extremes_loan18_coll18_feed8() public {
        _ladder(18, 18, 8);
    }

    function test_extremes_loan18_coll18_feed18() public {
        _ladder(18, 18, 18);
    }

    function test_extremes_loan6_coll18_feed18() public {
        _ladder(6, 18, 18);
    }

    function test_extremes_loan18_coll6_feed18() public {
        _ladder(18, 6, 18);
    }

    function test_extremes_loan6_coll6_feed18() public {
        _ladder(6, 6, 18);
    }

    /// @dev The largest vault the engine can hold (uint128 collateral) at the largest accepted price, a 1e32 debt
    /// (near the share-scale capacity, see test_marketCapacityLimitedByShareScale), then a crash to one feed unit:
    /// every product stays in range, views answer, the write-off is exact.
    function _maxVault(uint8 ld, uint8 cd, uint8 fd) internal {
        Mkt memory k = _create(ld, cd, fd);
        _setAnswer(k, k.maxAnswer);
        uint256 c = type(uint128).max;
        uint256 debt = 1e32;
        k.loan.mint(LENDER, debt);
        vm.startPrank(LENDER);
        k.loan.approve(address(engine), type(uint256).max);
        engine.supply(k.id, debt, LENDER);
        vm.stopPrank();
        k.coll.mint(BORROWER, c + 1);
        vm.startPrank(BORROWER);
        k.coll.approve(address(engine), type(uint256).max);
        uint256 id = engine.openVault(k.id, c, debt);
        // One more unit of collateral does not fit the vault's uint128: a SafeCast revert, not a panic.
        vm.expectRevert(abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 128, c + 1));
        engine.depositCollateral(id, 1);
        vm.stopPrank();

        uint256 value = Math.mulDiv(c, k.maxAnswer * k.scale, 1e36); // c x 1e24
        vm.assertEq(lens.health(id), Math.mulDiv(h.maxDebt(value, k.mins, k.mm), 1e18, debt));
        vm.assertFalse(lens.isLiquidatable(id));
        uint256 lp = lens.liquidationPrice(id);
        vm.assertGt(lp, 0);

        _setAnswer(k, 1);
        uint256 v1 = c * k.scale / 1e36;
        uint256 repaid = v1 * 10_000 / 10_500; // seize-all branch: value / (1 + bonus)
        uint256 fee = Math.mulDiv(repaid, 500 * 2_000, 1e8, Math.Rounding.Ceil);
        k.loan.mint(LIQUIDATOR, repaid + fee);
        vm.startPrank(LIQUIDATOR);
        k.loan.approve(address(engine), type(uint256).max);
        (uint256 r, uint256 seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.stopPrank();
        vm.assertEq(r, repaid);
        vm.assertEq(seized, c);
        // The rest is bad debt: the fee is the only insurance, lenders absorb the remainder.
        vm.assertEq(engine.vault(id).debtShares, 0);
        vm.assertEq(engine.marketState(k.id).insuranceFund, 0);
        vm.assertEq(engine.marketState(k.id).totalSupplyAssets, debt - (debt - repaid - fee));
        vm.assertEq(engine.marketState(k.id).totalBorrowAssets, 0);
        _assertLoanAccounting(k.id, k.loan, 0);
    }

    /// @dev Supply and debt shares are minted at 1e6 per asset in a fresh market and stored as uint128, so one
    /// market holds at most ~3.4e32 loan base units (3.4e14 tokens of an 18-decimal token, 3.4e26 of a 6-decimal
    /// one). Beyond that supply reverts with SafeCast, not a panic. A limitation worth knowing for low-priced
    /// 18-decimal loan tokens with supplies above ~1e14 tokens.
    function test_marketCapacityLimitedByShareScale() public {
        Mkt memory k = _create(18, 18, 8);
        uint256 fits = uint256(type(uint128).max) / 1e6;
        k.loan.mint(LENDER, fits + 1);
        vm.startPrank(LENDER);
        k.loan.approve(address(engine), type(uint256).max);
        uint256 snap = vm.snapshotState();
        engine.supply(k.id, fits, LENDER);
        vm.revertToState(snap);
        vm.expectRevert(abi.encodeWithSignature("SafeCastOverflowedUintDowncast(uint8,uint256)", 128, (fits + 1) * 1e6));
        engine.supply(k.id, fits + 1, LENDER);
        vm.stopPrank();
    }

    /// @dev The price scale 10^(36 + loanDec - collDec - feedDec) is capped at 1e48: above it the oracle bound would
    /// leave fewer than 1e12 usable answers, so createMarket refuses the combination.
    function test_createMarket_rejectsPriceScaleAbove1e48() public {
        MockERC20 loan = new MockERC20("LOAN", "LOAN", 18);
        MockERC20 coll = new MockERC20("COLL", "COLL", 0);
        MarketParams memory p = defaultParams(address(loan), address(coll), address(0));
        p.oracle = address(new MockAggregator(OWNER, 6, "COLL / LOAN", 1e6)); // exponent 48: accepted
        vm.prank(OWNER);
        uint256 id = engine.createMarket(p);
        vm.assertEq(engine.marketConfig(id).priceScale, 1e48);
        p.oracle = address(new MockAggregator(OWNER, 5, "COLL / LOAN", 1e5)); // exponent 49
        vm.prank(OWNER);
        vm.expectRevert(IIsomarginEngine.UnsupportedDecimalsCombination.selector);
        engine.createMarket(p);
    }

    function test_maxVaultAtMaxPrice_loan6_coll18_feed8() public {
        _maxVault(6, 18, 8);
    }

    function test_maxVaultAtMaxPrice_loan18_coll18_feed18() public {
        _maxVault(18, 18, 18);
    }

    /// @dev Random combination, answer log-uniform in [2, bound], crash of 1-99.99%, vault of $200 to $1B.
    function testFuzz_extremePriceBorrowCrashLiquidate(uint256 combo, uint256 answerSeed, uint256 crashBps, uint256 usd)
        public
    {
        uint8[2] memory decs = [6, 18];
        Mkt memory k = _create(decs[combo & 1], decs[combo >> 1 & 1], combo >> 2 & 1 == 0 ? 8 : 18);
        uint256 digits = Math.log10(k.maxAnswer);
        uint256 e = _bound(answerSeed >> 128, 0, digits);
        uint256 p0 = _bound(uint128(answerSeed), Math.max(2, 10 ** e), Math.min(10 ** (e + 1), k.maxAnswer));
        uint256 p1 = Math.max(1, p0 * (10_000 - _bound(crashBps, 100, 9_999)) / 10_000);
        _scenario(k, p0, p1, 10 ** _bound(usd, 2, 8) * _bound(usd >> 8, 2, 9));
    }
}

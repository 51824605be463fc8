// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "./FuzzBase.sol";
import {IIsomarginEngine, MarketParams} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Engine v2: a liquidation's repayment is covered by the value of the collateral it seizes, on markets of
/// random loan/collateral/feed decimals, random bonus and protocol fee, at random prices (up to the oracle bound),
/// through `liquidate` (any cap) and `liquidateBatch`: repaid x (1 + bonus) <= value(seized) + 1 unit, the
/// liquidator's total payment (repaid + fee) is at most value(seized) + 1 unit, and the cap is never exceeded.
contract LiquidationCoverFuzzTest is FuzzBase {
    uint256 internal constant BPS = 10_000;

    struct Mkt {
        uint256 id;
        MockERC20 loan;
        MockERC20 coll;
        MockAggregator feed;
        uint256 loanUnit;
        uint256 bonus;
    }

    /// @dev A market on fresh tokens; decimals picked from typical and odd values, the feed's replaced by 8 when
    /// the combination is outside what createMarket accepts (36 + loan - coll - feed in [0, 48]).
    function _market(uint256 seed) internal returns (Mkt memory k) {
        uint8[5] memory loanDecs = [0, 2, 6, 8, 18];
        uint8[6] memory collDecs = [0, 2, 6, 8, 18, 24];
        uint8[3] memory feedDecs = [0, 8, 18];
        uint8 ld = loanDecs[seed % 5];
        uint8 cd = collDecs[(seed >> 8) % 6];
        uint8 fd = feedDecs[(seed >> 16) % 3];
        if (uint256(cd) + fd > 36 + uint256(ld) || 36 + uint256(ld) - cd - fd > 48) fd = 8;
        k.loan = new MockERC20("LOAN", "LOAN", ld);
        k.coll = new MockERC20("COLL", "COLL", cd);
        k.feed = new MockAggregator(OWNER, fd, "COLL / LOAN", 1);
        k.loanUnit = 10 ** ld;
        MarketParams memory p = defaultParams(address(k.loan), address(k.coll), address(k.feed));
        p.tiers[1].minValue = uint128(1_000_000 * k.loanUnit);
        p.tiers[2].minValue = uint128(10_000_000 * k.loanUnit);
        p.minDebt = uint128((seed >> 24) & 1 == 0 ? 0 : k.loanUnit);
        k.bonus = _bound(seed >> 32, 1, 999); // below the smallest maintenance margin (10%)
        p.liquidationBonusBps = uint16(k.bonus);
        p.protocolFeeBps = uint16(_bound(seed >> 48, 0, 5_000));
        vm.prank(OWNER);
        k.id = engine.createMarket(p);
    }

    function _setAnswer(Mkt memory k, uint256 answer) internal {
        vm.prank(OWNER);
        k.feed.setAnswer(int256(answer));
    }

    /// @dev A vault worth about $`usd` at a log-uniform answer, borrowing near its IM maximum, then crashed below
    /// its liquidation price. Returns 0 when the draw cannot make a liquidatable vault.
    function _crashedVault(Mkt memory k, uint256 priceSeed, uint256 usd, uint256 crashSeed) internal returns (uint256 id) {
        id = _openNearMax(k, _startPrice(k, priceSeed), usd, crashSeed >> 128);
        if (id == 0) return 0;
        uint256 lp = lens.liquidationPrice(id);
        if (lp <= 1) return 0;
        _setAnswer(k, _bound(uint128(crashSeed), Math.max(1, lp / 20), lp - 1));
    }

    /// @dev Sets a log-uniform answer in [2, the oracle bound] and returns the scaled price.
    function _startPrice(Mkt memory k, uint256 priceSeed) internal returns (uint256) {
        uint256 scale = engine.marketConfig(k.id).priceScale;
        uint256 maxAnswer = 1e60 / scale;
        uint256 e = _bound(priceSeed >> 128, 0, Math.log10(maxAnswer));
        uint256 answer = _bound(uint128(priceSeed), Math.max(2, 10 ** e), Math.min(10 ** (e + 1), maxAnswer));
        _setAnswer(k, answer);
        return answer * scale;
    }

    /// @dev Opens a vault of about $`usd` of collateral borrowing 80..100% of its IM maximum (funded by a lender);
    /// 0 when that maximum is below the minimum debt.
    function _openNearMax(Mkt memory k, uint256 price, uint256 usd, uint256 borrowSeed) internal returns (uint256 id) {
        uint256 c = Math.mulDiv(usd * k.loanUnit, 1e36, price, Math.Rounding.Ceil);
        c = Math.min(Math.max(c, 1), 1e38);
        (uint256[] memory mins, uint256[] memory im) = _defaultMargins(true);
        (mins[1], mins[2]) = (1_000_000 * k.loanUnit, 10_000_000 * k.loanUnit);
        uint256 maxIm = h.maxDebt(Math.mulDiv(c, price, 1e36), mins, im);
        if (maxIm < k.loanUnit + 4) return 0;
        uint256 b = Math.max(_bound(borrowSeed, maxIm * 8 / 10, maxIm - 2), k.loanUnit);
        k.loan.mint(LENDER, b + 1);
        vm.startPrank(LENDER);
        k.loan.approve(address(engine), type(uint256).max);
        engine.supply(k.id, b + 1, LENDER);
        vm.stopPrank();
        k.coll.mint(BORROWER, c);
        vm.startPrank(BORROWER);
        k.coll.approve(address(engine), c);
        id = engine.openVault(k.id, c, b);
        vm.stopPrank();
        k.loan.mint(LIQUIDATOR, 4 * b + 4 * k.loanUnit);
        vm.prank(LIQUIDATOR);
        k.loan.approve(address(engine), type(uint256).max);
    }

    /// @dev What the liquidator paid and received is fair: the repayment is covered by the value seized.
    function _assertCovered(Mkt memory k, uint256 repaid, uint256 fee, uint256 seized) internal view {
        uint256 value = Math.mulDiv(seized, lens.price(k.id), 1e36);
        vm.assertLe(repaid * (BPS + k.bonus), (value + 1) * BPS, "repaid x (1 + bonus) above the value seized");
        vm.assertLe(repaid + fee, value + 1, "liquidator paid more than the value seized");
    }

    function testFuzz_repayCoveredBySeizedValue_anyDecimalsAndPrice(
        uint256 marketSeed,
        uint256 priceSeed,
        uint256 usd,
        uint256 crashSeed,
        uint256 capSeed
    ) public {
        Mkt memory k = _market(marketSeed);
        uint256 id = _crashedVault(k, priceSeed, 10 ** _bound(usd, 1, 9) * _bound(usd >> 8, 1, 9), crashSeed);
        if (id == 0) return;
        uint256 debt = lens.debtOf(id);
        uint256 cap = capSeed & 1 == 0 ? type(uint256).max : _bound(capSeed >> 1, 1, debt);

        uint256 snap = vm.snapshotState();
        uint256 cash = k.loan.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        (bool ok, bytes memory ret) =
            address(engine).call(abi.encodeCall(IIsomarginEngine.liquidate, (id, cap, 0, LIQUIDATOR, "")));
        if (ok) {
            (uint256 repaid, uint256 seized) = abi.decode(ret, (uint256, uint256));
            vm.assertLe(repaid, cap, "repaid above the cap");
            vm.assertEq(k.coll.balanceOf(LIQUIDATOR), seized);
            _assertCovered(k, repaid, cash - k.loan.balanceOf(LIQUIDATOR) - repaid, seized);
        } else {
            // Coverage is about liquidations that happen; these have no effect (liveness is tested elsewhere).
            bytes4 sel = bytes4(ret);
            vm.assertTrue(
                sel == IIsomarginEngine.ZeroAmount.selector || sel == IIsomarginEngine.DebtBelowMinimum.selector,
                "unexpected revert"
            );
        }
        vm.revertToState(snap);

        // The same vault through a batch (largest repayment).
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(LIQUIDATOR);
        (ok, ret) = address(engine).call(abi.encodeCall(IIsomarginEngine.liquidateBatch, (k.id, ids, LIQUIDATOR, "")));
        if (!ok) return vm.assertEq(bytes4(ret), IIsomarginEngine.DebtBelowMinimum.selector, "unexpected batch revert");
        (, uint256 bRepaid, uint256 bSeized, uint256 bFee) = abi.decode(ret, (uint256, uint256, uint256, uint256));
        _assertCovered(k, bRepaid, bFee, bSeized);
    }
}

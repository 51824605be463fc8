// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MathHarness, Wide} from "./MathHarness.sol";
import {RateModel} from "../../src/interfaces/IIsomarginEngine.sol";
import {ConstantsLib} from "../../src/libraries/ConstantsLib.sol";

/// @notice Kinked rate model and linear accrual, checked against the real-valued formulas with exact products.
contract InterestLibFuzzTest is BaseTest {
    uint256 internal constant WAD = 1e18;
    MathHarness internal h;

    function setUp() public override {
        super.setUp();
        h = new MathHarness();
    }

    /// @dev A random model the engine accepts: kink below 1, base + slope1 + slope2 <= MAX_RATE_PER_SECOND.
    function _model(uint256 seed) internal pure returns (RateModel memory m) {
        uint256 maxRate = ConstantsLib.MAX_RATE_PER_SECOND;
        uint256 base = _bound(uint64(seed), 0, maxRate);
        uint256 s1 = _bound(uint64(seed >> 64), 0, maxRate - base);
        uint256 s2 = _bound(uint64(seed >> 128), 0, maxRate - base - s1);
        // Half the models have a "round" kink, the other half any kink below 1.
        uint256 kink = seed >> 255 == 0 ? _bound(seed >> 192, 1, 19) * 0.05e18 : _bound(seed >> 192, 0, WAD - 1);
        m = RateModel(uint64(base), uint64(s1), uint64(s2), uint64(kink));
    }

    /// @dev Rate at utilization `u` exactly: borrow u against a supply of 1e18.
    function _rateAt(RateModel memory m, uint256 u) internal view returns (uint256) {
        return h.borrowRate(m, u, WAD);
    }

    function testFuzz_utilizationRoundsDownAndCaps(uint256 b, uint256 s) public view {
        b = _bound(b, 0, type(uint128).max);
        s = _bound(s, 0, type(uint128).max);
        uint256 u = h.utilization(b, s);
        if (s == 0) return vm.assertEq(u, 0);
        if (b >= s) return vm.assertEq(u, WAD);
        vm.assertTrue(Wide.mulLe(u, s, b, WAD) && Wide.mulLt(b, WAD, u + 1, s), "utilization not floor(b/s)");
    }

    /// @dev rate = base + slope1 x u / kink below the kink, base + slope1 + slope2 x (u - kink) / (1 - kink) above,
    /// rounded down: checked as rate <= real < rate + 1 with exact products.
    function testFuzz_rateIsFlooredKinkedLine(uint256 seed, uint256 u) public view {
        RateModel memory m = _model(seed);
        u = _bound(u, 0, WAD);
        uint256 rate = _rateAt(m, u);
        if (u <= m.kink) {
            if (m.kink == 0) return vm.assertEq(rate, m.baseRatePerSecond);
            uint256 real = m.baseRatePerSecond * uint256(m.kink) + m.slope1PerSecond * u; // x kink
            vm.assertTrue(rate * m.kink <= real && real < (rate + 1) * m.kink, "below-kink rate off the line");
        } else {
            uint256 span = WAD - m.kink;
            uint256 real = (uint256(m.baseRatePerSecond) + m.slope1PerSecond) * span + m.slope2PerSecond * (u - m.kink);
            vm.assertTrue(rate * span <= real && real < (rate + 1) * span, "above-kink rate off the line");
        }
    }

    /// @dev Both pieces meet at the kink: rate(kink) = base + slope1 exactly, and stepping `delta` either way moves
    /// the rate by at most the slope over `delta` plus one unit of rounding.
    function testFuzz_rateContinuousAtKink(uint256 seed, uint256 delta) public view {
        RateModel memory m = _model(seed);
        uint256 atKink = _rateAt(m, m.kink);
        vm.assertEq(atKink, uint256(m.baseRatePerSecond) + (m.kink == 0 ? 0 : m.slope1PerSecond), "rate at kink");
        if (m.kink == 0) return;
        vm.assertEq(h.borrowRate(m, m.kink, WAD), atKink);

        uint256 up = _bound(delta, 1, WAD - m.kink);
        uint256 above = _rateAt(m, m.kink + up);
        vm.assertGe(above, atKink);
        vm.assertLe((above - atKink) * (WAD - m.kink), uint256(m.slope2PerSecond) * up + (WAD - m.kink), "jump above");

        uint256 down = _bound(delta, 1, m.kink);
        uint256 below = _rateAt(m, m.kink - down);
        vm.assertLe(below, atKink);
        vm.assertLe((atKink - below) * m.kink, uint256(m.slope1PerSecond) * down + m.kink, "jump below");
    }

    function testFuzz_rateMonotoneInUtilization(uint256 seed, uint256 u1, uint256 u2) public view {
        RateModel memory m = _model(seed);
        u1 = _bound(u1, 0, WAD);
        u2 = _bound(u2, u1, WAD);
        vm.assertLe(_rateAt(m, u1), _rateAt(m, u2));
        vm.assertEq(_rateAt(m, WAD), uint256(m.baseRatePerSecond) + m.slope1PerSecond + m.slope2PerSecond);
    }

    /// @dev interest = floor((totalBorrow x rate x elapsed + remainder) / 1e18), the new remainder what the floor
    /// leaves (below 1e18), reserve = floor(interest x reserveBps / 10000).
    function testFuzz_accruedIsLinearClosedForm(
        uint256 seed,
        uint256 b,
        uint256 s,
        uint256 elapsed,
        uint256 rf,
        uint256 remainder
    ) public view {
        RateModel memory m = _model(seed);
        s = _bound(s, 1, type(uint128).max);
        b = _bound(b, 0, s);
        elapsed = _bound(elapsed, 0, 20 * YEAR);
        rf = _bound(rf, 0, ConstantsLib.MAX_RESERVE_FACTOR_BPS);
        remainder = _bound(remainder, 0, WAD - 1);
        uint256 rate = h.borrowRate(m, b, s);
        (uint256 interest, uint256 reserve, uint256 rem) = h.accrued(m, b, s, elapsed, rf, remainder);
        vm.assertEq(interest * WAD + rem, b * rate * elapsed + remainder, "interest x 1e18 + remainder");
        vm.assertLt(rem, WAD, "remainder below one unit");
        vm.assertTrue(reserve * 10_000 <= interest * rf && interest * rf < (reserve + 1) * 10_000, "reserve");

        _assertPlainAndSplit(m, b, s, elapsed, rf, interest);
    }

    /// @dev Without a carried remainder: the floor of the closed form, linear in time up to the floor, and two
    /// accruals carrying the remainder equal one over the whole period.
    function _assertPlainAndSplit(RateModel memory m, uint256 b, uint256 s, uint256 elapsed, uint256 rf, uint256 carried)
        internal
        view
    {
        uint256 rate = h.borrowRate(m, b, s);
        (uint256 plain,, uint256 carry) = h.accrued(m, b, s, elapsed, rf, 0);
        vm.assertTrue(Wide.mulLe(plain, WAD, b, rate * elapsed), "interest above closed form");
        vm.assertTrue(Wide.mulLt(b, rate * elapsed, plain + 1, WAD), "interest below closed form");
        // A carried remainder adds at most one unit.
        vm.assertGe(carried, plain);
        vm.assertLe(carried, plain + 1);
        (uint256 twice,,) = h.accrued(m, b, s, 2 * elapsed, rf, 0);
        vm.assertGe(twice, 2 * plain);
        vm.assertLe(twice, 2 * plain + 1);
        (uint256 second,,) = h.accrued(m, b, s, elapsed, rf, carry);
        vm.assertEq(plain + second, twice, "split accrual with carry");
    }
}

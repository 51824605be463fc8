// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MathHarness} from "./MathHarness.sol";

/// @notice Tiered margin math on random tier schedules: continuity, monotonicity, growth bounds of maxDebt, exact
/// behaviour at thresholds and the inverse valueAtMaxDebt.
contract MarginLibFuzzTest is BaseTest {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_VALUE = 1e36;
    MathHarness internal h;

    function setUp() public override {
        super.setUp();
        h = new MathHarness();
    }

    /// @dev A random valid schedule: 1-4 tiers from 0, increasing thresholds, margins in [50, 9000] not falling.
    function _schedule(uint256 seed) internal pure returns (uint256[] memory mins, uint256[] memory bps) {
        uint256 n = _bound(seed, 1, 4);
        mins = new uint256[](n);
        bps = new uint256[](n);
        uint256 lastBps = 50;
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            if (i > 0) mins[i] = mins[i - 1] + _bound(r >> 128, 1, 1e15);
            lastBps = _bound(uint128(r), lastBps, 9_000);
            bps[i] = lastBps;
        }
    }

    /// @dev Half the runs near the tiers (below twice the top threshold), the other half anywhere up to MAX_VALUE.
    function _value(uint256 x, uint256[] memory mins) internal pure returns (uint256) {
        return x & 1 == 0 ? _bound(x, 0, 2 * mins[mins.length - 1] + 10) : _bound(x, 0, MAX_VALUE);
    }

    function _maxBps(uint256[] memory bps) internal pure returns (uint256) {
        return bps[bps.length - 1];
    }

    /// @dev Exact sum over tiers of (portion in tier) x bps, i.e. 10000 x the real-valued requirement.
    function _realRequirementTimesBps(uint256 v, uint256[] memory mins, uint256[] memory bps)
        internal
        pure
        returns (uint256 sum)
    {
        for (uint256 i; i < mins.length && v > mins[i]; ++i) {
            uint256 top = i + 1 < mins.length && mins[i + 1] < v ? mins[i + 1] : v;
            sum += (top - mins[i]) * bps[i];
        }
    }

    function testFuzz_requirementRoundsUpPerTier(uint256 seed, uint256 v) public view {
        (uint256[] memory mins, uint256[] memory bps) = _schedule(seed);
        v = _value(v, mins);
        uint256 req = h.requirement(v, mins, bps);
        uint256 real = _realRequirementTimesBps(v, mins, bps);
        // Each tier's part is rounded up, so the total is above the real value by less than one unit per tier.
        vm.assertGe(req * BPS, real, "requirement below real value");
        vm.assertLt(req * BPS, real + mins.length * BPS, "requirement rounded up by a tier unit or more");
    }

    function testFuzz_requirementIsContinuousAndMonotone(uint256 seed, uint256 v) public view {
        (uint256[] memory mins, uint256[] memory bps) = _schedule(seed);
        // Half the runs step onto (t - 1 -> t) or off (t -> t + 1) a threshold t, where continuity could break.
        if (v & 1 == 0) {
            v = _value(v >> 1, mins);
        } else {
            uint256 t = mins[_bound(v >> 200, 0, mins.length - 1)];
            v = v >> 1 & 1 == 0 && t > 0 ? t - 1 : t;
        }
        uint256 r0 = h.requirement(v, mins, bps);
        uint256 r1 = h.requirement(v + 1, mins, bps);
        vm.assertGe(r1, r0, "requirement fell");
        // One more unit of value adds at most ceil(1 x bps / 10000) = 1 unit of requirement, even across a threshold.
        vm.assertLe(r1 - r0, 1, "requirement jumped");
        vm.assertGe(h.maxDebt(v + 1, mins, bps), h.maxDebt(v, mins, bps), "maxDebt fell");
    }

    /// @dev maxDebt(V + dv) - maxDebt(V) lies within [dv x (1 - maxBps) - n, dv x (1 - minBps) + n] (n = tier count):
    /// each tier's part can round by up to one unit either way. So maxDebt strictly increases over any step with
    /// dv x (10000 - maxBps) > n x 10000, but NOT necessarily over a single unit (see test_maxDebtCanStallForOneUnit).
    function testFuzz_maxDebtGrowthBounds(uint256 seed, uint256 v, uint256 dv) public view {
        (uint256[] memory mins, uint256[] memory bps) = _schedule(seed);
        v = _value(v, mins);
        dv = _value(dv, mins) + 1;
        uint256 n = mins.length;
        uint256 m0 = h.maxDebt(v, mins, bps);
        uint256 m1 = h.maxDebt(v + dv, mins, bps);
        vm.assertGe(m1, m0, "maxDebt fell");
        vm.assertGe((m1 - m0 + n) * BPS, dv * (BPS - _maxBps(bps)), "maxDebt grew too little");
        vm.assertLe((m1 - m0) * BPS, dv * (BPS - bps[0]) + n * BPS, "maxDebt grew too much");
        if (dv * (BPS - _maxBps(bps)) > n * BPS) vm.assertGt(m1, m0, "maxDebt not strictly increasing");
    }

    /// @dev The NatSpec calls maxDebt "strictly increasing"; on integers it is only non-decreasing per unit step:
    /// with a 20% margin, requirement(1) = ceil(0.2) = 1 so maxDebt(1) = maxDebt(0) = 0, and maxDebt(2) = 1.
    function test_maxDebtCanStallForOneUnit() public view {
        uint256[] memory mins = new uint256[](1);
        uint256[] memory bps = new uint256[](1);
        bps[0] = 2_000;
        vm.assertEq(h.maxDebt(0, mins, bps), 0);
        vm.assertEq(h.maxDebt(1, mins, bps), 0);
        vm.assertEq(h.maxDebt(2, mins, bps), 1);
        vm.assertEq(h.maxDebt(5, mins, bps), 4);
        vm.assertEq(h.maxDebt(6, mins, bps), 4);
    }

    /// @dev The default market's schedule at and around its thresholds, with hand-computed values.
    function test_requirementAtExactThresholds() public view {
        uint256[] memory mins = new uint256[](3);
        uint256[] memory im = new uint256[](3);
        uint256[] memory mm = new uint256[](3);
        (mins[1], mins[2]) = (1_000_000e6, 10_000_000e6);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mm[0], mm[1], mm[2]) = (1_000, 1_500, 2_500);

        vm.assertEq(h.requirement(0, mins, im), 0);
        vm.assertEq(h.requirement(1, mins, im), 1); // ceil(0.2)
        vm.assertEq(h.requirement(1_000_000e6, mins, im), 200_000e6);
        vm.assertEq(h.requirement(1_000_000e6 + 1, mins, im), 200_000e6 + 1); // ceil(0.25) in tier 2
        vm.assertEq(h.requirement(1_000_000e6 + 4, mins, im), 200_000e6 + 1);
        vm.assertEq(h.requirement(1_000_000e6 + 5, mins, im), 200_000e6 + 2);
        vm.assertEq(h.requirement(10_000_000e6, mins, im), 200_000e6 + 2_250_000e6);
        vm.assertEq(h.requirement(10_000_000e6 + 1, mins, im), 2_450_000e6 + 1);
        vm.assertEq(h.requirement(20_000_000e6, mins, im), 2_450_000e6 + 3_500_000e6);

        vm.assertEq(h.requirement(1_000_000e6, mins, mm), 100_000e6);
        vm.assertEq(h.requirement(10_000_000e6, mins, mm), 100_000e6 + 1_350_000e6);
        vm.assertEq(h.maxDebt(10_000_000e6, mins, mm), 8_550_000e6);

        vm.assertEq(h.maxDebt(1_000_000e6, mins, im), 800_000e6);
        vm.assertEq(h.maxDebt(1_000_000e6 + 1, mins, im), 800_000e6); // the new tier's first unit rounds up
        vm.assertEq(h.maxDebt(1_000_000e6 + 2, mins, im), 800_000e6 + 1);
        vm.assertEq(h.valueAtMaxDebt(800_000e6, mins, im), 1_000_000e6);
        vm.assertEq(h.valueAtMaxDebt(800_000e6 + 1, mins, im), 1_000_000e6 + 2);
        vm.assertEq(h.valueAtMaxDebt(7_550_000e6, mins, im), 10_000_000e6);
        vm.assertEq(h.valueAtMaxDebt(7_550_000e6 + 1, mins, im), 10_000_000e6 + 2); // ceil(1 / 0.65)
    }

    /// @dev valueAtMaxDebt(d) is the smallest V with maxDebt(V) >= d: exact despite the per-tier rounding, because
    /// it walks the same rounded tier widths as maxDebt and maxDebt(m_i + x) = L_i + floor(x x (1 - bps_i)).
    function testFuzz_valueAtMaxDebtIsExactInverse(uint256 seed, uint256 d) public view {
        (uint256[] memory mins, uint256[] memory bps) = _schedule(seed);
        d = _bound(d, 1, MAX_VALUE / 10);
        // Half the runs ask for the maxDebt at a threshold or one unit more.
        if (d & 1 == 1) {
            uint256 atThreshold = h.maxDebt(mins[_bound(d >> 128, 0, mins.length - 1)], mins, bps);
            d = atThreshold + (d >> 1 & 1);
            if (d == 0) d = 1;
        }
        uint256 v = h.valueAtMaxDebt(d, mins, bps);
        vm.assertGe(h.maxDebt(v, mins, bps), d, "maxDebt(valueAtMaxDebt(d)) < d");
        vm.assertLt(h.maxDebt(v - 1, mins, bps), d, "valueAtMaxDebt(d) - 1 already carries d");
    }

    function testFuzz_valueAtMaxDebtOfMaxDebtNotAbove(uint256 seed, uint256 v) public view {
        (uint256[] memory mins, uint256[] memory bps) = _schedule(seed);
        v = _value(v, mins);
        uint256 m = h.maxDebt(v, mins, bps);
        uint256 back = h.valueAtMaxDebt(m, mins, bps);
        vm.assertLe(back, v, "inverse above the value");
        vm.assertEq(h.maxDebt(back, mins, bps), m, "inverse carries a different maxDebt");
    }
}

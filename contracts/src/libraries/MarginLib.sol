// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MathLib} from "./MathLib.sol";
import {ConstantsLib} from "./ConstantsLib.sol";

/// @title MarginLib
/// @notice Tiered margin math. A margin requirement is the sum over tiers of (the part of the collateral value V in
/// that tier) x (the tier's margin), each part rounded up (against the vault owner). V - requirement is the largest
/// debt the vault may carry; it is continuous and non-decreasing in V (over a step dv it grows by at least
/// dv x (1 - max margin) - tier count), so health moves with price monotonically, without a jump at a threshold.
library MarginLib {
    /// @notice Margin requirement of value `value` in loan units; `minValues[0]` is 0 and `minValues` is increasing.
    function requirement(uint256 value, uint256[] memory minValues, uint256[] memory bps)
        internal
        pure
        returns (uint256 req)
    {
        uint256 n = minValues.length;
        for (uint256 i; i < n; ++i) {
            if (value <= minValues[i]) break;
            uint256 top = i + 1 < n ? Math.min(value, minValues[i + 1]) : value;
            req += MathLib.mulDivUp(top - minValues[i], bps[i], ConstantsLib.BPS);
        }
    }

    /// @notice A maintenance margin ramping linearly from `fromBps` at `start` to `toBps` at `end`, at `now`.
    function rampedMm(uint256 fromBps, uint256 toBps, uint256 start, uint256 end, uint256 now_, Math.Rounding rounding)
        internal
        pure
        returns (uint256)
    {
        if (now_ >= end || toBps == fromBps) return toBps;
        return fromBps + MathLib.mulDiv(toBps - fromBps, now_ - start, end - start, rounding);
    }

    /// @notice Largest debt value `value` can carry under margins `bps`: V - requirement(V).
    function maxDebt(uint256 value, uint256[] memory minValues, uint256[] memory bps) internal pure returns (uint256) {
        return value - requirement(value, minValues, bps);
    }

    /// @notice The collateral value at which `maxDebt` reaches `debt`, rounded up.
    function valueAtMaxDebt(uint256 debt, uint256[] memory minValues, uint256[] memory bps)
        internal
        pure
        returns (uint256)
    {
        uint256 n = minValues.length;
        uint256 debtAtLow; // maxDebt at minValues[i]
        for (uint256 i; i < n; ++i) {
            uint256 keep = ConstantsLib.BPS - bps[i];
            if (i + 1 < n) {
                uint256 width = minValues[i + 1] - minValues[i];
                uint256 debtAtHigh = debtAtLow + width - MathLib.mulDivUp(width, bps[i], ConstantsLib.BPS);
                if (debt > debtAtHigh) {
                    debtAtLow = debtAtHigh;
                    continue;
                }
            }
            return minValues[i] + MathLib.mulDivUp(debt - debtAtLow, ConstantsLib.BPS, keep);
        }
        return 0; // unreachable: the last tier is unbounded
    }
}

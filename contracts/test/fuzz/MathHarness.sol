// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MarginLib} from "../../src/libraries/MarginLib.sol";
import {SharesMathLib} from "../../src/libraries/SharesMathLib.sol";
import {InterestLib} from "../../src/libraries/InterestLib.sol";
import {RateModel} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Exposes the engine's math libraries as external functions, so fuzz tests call exactly the code the
/// engine runs (internal library functions are inlined into this contract).
contract MathHarness {
    function toSharesDown(uint256 a, uint256 ta, uint256 ts) external pure returns (uint256) {
        return SharesMathLib.toSharesDown(a, ta, ts);
    }

    function toSharesUp(uint256 a, uint256 ta, uint256 ts) external pure returns (uint256) {
        return SharesMathLib.toSharesUp(a, ta, ts);
    }

    function toAssetsDown(uint256 s, uint256 ta, uint256 ts) external pure returns (uint256) {
        return SharesMathLib.toAssetsDown(s, ta, ts);
    }

    function toAssetsUp(uint256 s, uint256 ta, uint256 ts) external pure returns (uint256) {
        return SharesMathLib.toAssetsUp(s, ta, ts);
    }

    function requirement(uint256 v, uint256[] memory mins, uint256[] memory bps) external pure returns (uint256) {
        return MarginLib.requirement(v, mins, bps);
    }

    function maxDebt(uint256 v, uint256[] memory mins, uint256[] memory bps) external pure returns (uint256) {
        return MarginLib.maxDebt(v, mins, bps);
    }

    function valueAtMaxDebt(uint256 d, uint256[] memory mins, uint256[] memory bps) external pure returns (uint256) {
        return MarginLib.valueAtMaxDebt(d, mins, bps);
    }

    function utilization(uint256 b, uint256 s) external pure returns (uint256) {
        return InterestLib.utilization(b, s);
    }

    function borrowRate(RateModel memory m, uint256 b, uint256 s) external pure returns (uint256) {
        return InterestLib.borrowRate(m, b, s);
    }

    function accrued(RateModel memory m, uint256 b, uint256 s, uint256 elapsed, uint256 reserveBps, uint256 remainder)
        external
        pure
        returns (uint256, uint256, uint256)
    {
        return InterestLib.accrued(m, b, s, elapsed, reserveBps, remainder);
    }
}

/// @notice Exact comparisons of 512-bit products, so rounding properties are checked without the truncation they
/// are about.
library Wide {
    /// @dev a * b <= c * d, exactly.
    function mulLe(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        (uint256 h1, uint256 l1) = Math.mul512(a, b);
        (uint256 h2, uint256 l2) = Math.mul512(c, d);
        return h1 < h2 || (h1 == h2 && l1 <= l2);
    }

    /// @dev a * b < c * d, exactly.
    function mulLt(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        return !mulLe(c, d, a, b);
    }
}

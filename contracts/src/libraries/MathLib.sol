// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title MathLib
/// @notice `x * y / d` rounded down or up: exactly OpenZeppelin's `Math.mulDiv`, with a short path for the usual case.
/// @dev Gas: when `x * y` fits in 256 bits (every product of the engine's amounts, prices and basis points in
/// practice) the quotient is one DIV away, and OZ's 512-bit routine (about 250 gas down, 600 up with its helpers) is
/// skipped; a product that overflows falls through to `Math.mulDiv`, so every result, revert and panic is the same
/// as OZ's (`d == 0` panics with 0x12 on both paths: Solidity checks division by zero even in `unchecked`).
library MathLib {
    /// @notice floor(x * y / d), full precision.
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        unchecked {
            uint256 p = x * y;
            // No overflow iff x == 0 or p / x == y; then p is the exact product.
            if (x == 0 || p / x == y) return p / d;
        }
        return Math.mulDiv(x, y, d);
    }

    /// @notice ceil(x * y / d), full precision.
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        unchecked {
            uint256 p = x * y;
            // Exact product as above; q + 1 cannot overflow: a non-zero remainder means d > 1, so q < 2^255.
            if (x == 0 || p / x == y) {
                uint256 q = p / d;
                return p % d == 0 ? q : q + 1;
            }
        }
        return Math.mulDiv(x, y, d, Math.Rounding.Ceil);
    }

    /// @notice `mulDivDown` or `mulDivUp` as `rounding` says (OZ's convention: Ceil and Expand round up).
    function mulDiv(uint256 x, uint256 y, uint256 d, Math.Rounding rounding) internal pure returns (uint256) {
        return Math.unsignedRoundsUp(rounding) ? mulDivUp(x, y, d) : mulDivDown(x, y, d);
    }
}

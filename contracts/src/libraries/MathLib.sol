// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title MathLib
/// @notice `x * y / d` rounded down or up: exactly OpenZeppelin's `Math.mulDiv`, with a short path for the usual case.
/// @dev Gas: when `x * y` fits in 256 bits (every product of the engine's amounts, prices and basis points in
/// practice) the quotient is one DIV away, and OZ's 512-bit routine (about 250 gas down, 600 up with its helpers) is
/// skipped; a product that overflows, or `d == 0`, takes `Math.mulDiv`, so every result, revert and panic is OZ's.
library MathLib {
    /// @notice floor(x * y / d), full precision.
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256 z) {
        bool short;
        assembly ("memory-safe") {
            let p := mul(x, y)
            // The product is exact iff x == 0 or p / x == y (EVM division by zero gives 0, never traps); d == 0
            // takes the long path, which panics.
            short := and(gt(d, 0), or(iszero(x), eq(div(p, x), y)))
            z := div(p, d)
        }
        if (!short) z = Math.mulDiv(x, y, d);
    }

    /// @notice ceil(x * y / d), full precision.
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256 z) {
        bool short;
        assembly ("memory-safe") {
            let p := mul(x, y)
            short := and(gt(d, 0), or(iszero(x), eq(div(p, x), y)))
            // No overflow in the + 1: a non-zero remainder means d > 1, so p / d < 2^255.
            z := add(div(p, d), gt(mod(p, d), 0))
        }
        if (!short) z = Math.mulDiv(x, y, d, Math.Rounding.Ceil);
    }

    /// @notice `mulDivDown` or `mulDivUp` as `rounding` says (OZ's convention: Ceil and Expand round up).
    function mulDiv(uint256 x, uint256 y, uint256 d, Math.Rounding rounding) internal pure returns (uint256) {
        return Math.unsignedRoundsUp(rounding) ? mulDivUp(x, y, d) : mulDivDown(x, y, d);
    }
}

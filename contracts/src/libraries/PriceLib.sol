// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IIsomarginEngine} from "../interfaces/IIsomarginEngine.sol";
import {ConstantsLib} from "./ConstantsLib.sol";

/// @title PriceLib
/// @notice The oracle guard, shared by the engine and the lens so both accept and reject the same answers.
library PriceLib {
    /// @notice The feed's answer x `priceScale`: loan base units per collateral base unit, scaled by 1e36. Reverts
    /// with the engine's custom errors on a non-positive, timestamp-less, future, stale or absurdly large answer.
    function scaledPrice(address oracle, uint256 priceScale, uint256 maxAge) internal view returns (uint256) {
        (int256 answer, uint256 updatedAt) = latestAnswer(oracle);
        if (answer <= 0) revert IIsomarginEngine.OracleAnswerNotPositive(answer);
        if (updatedAt == 0) revert IIsomarginEngine.OracleNoTimestamp();
        if (updatedAt > block.timestamp) revert IIsomarginEngine.OracleUpdatedInFuture(updatedAt);
        // Unchecked where the line above bounds the operands: updatedAt <= now, and answer <= MAX / priceScale.
        unchecked {
            if (block.timestamp - updatedAt > maxAge) revert IIsomarginEngine.OracleStale(updatedAt, maxAge);
        }
        if (uint256(answer) > ConstantsLib.MAX_SCALED_PRICE / priceScale) {
            revert IIsomarginEngine.OracleAnswerTooLarge(answer);
        }
        unchecked {
            return uint256(answer) * priceScale;
        }
    }

    /// @notice The answer and update time of `AggregatorV3Interface(oracle).latestRoundData()`, called as Solidity
    /// calls it and failing as Solidity fails: a reverting feed's revert data is bubbled up; a return shorter than the
    /// five words, or a roundId or answeredInRound beyond uint80, reverts without data (the ABI decoder's checks).
    /// @dev Assembly only to skip the decoder's copying of the three unused values (about 500 gas a read).
    function latestAnswer(address oracle) internal view returns (int256 answer, uint256 updatedAt) {
        bytes4 selector = AggregatorV3Interface.latestRoundData.selector;
        assembly ("memory-safe") {
            // Scratch memory past the free pointer, which stays where it is.
            let ptr := mload(0x40)
            mstore(ptr, selector)
            if iszero(staticcall(gas(), oracle, ptr, 4, ptr, 0xa0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            if lt(returndatasize(), 0xa0) { revert(0, 0) }
            let maxUint80 := 0xffffffffffffffffffff
            if or(gt(mload(ptr), maxUint80), gt(mload(add(ptr, 0x80)), maxUint80)) { revert(0, 0) }
            answer := mload(add(ptr, 0x20))
            updatedAt := mload(add(ptr, 0x60))
        }
    }
}

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
        (, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(oracle).latestRoundData();
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
}

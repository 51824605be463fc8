// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {RateModel} from "../interfaces/IIsomarginEngine.sol";
import {ConstantsLib} from "./ConstantsLib.sol";

/// @title InterestLib
/// @notice Kinked utilization rate and simple per-second accrual between two updates of a market.
library InterestLib {
    /// @notice Utilization in WAD, rounded down; 0 without supply.
    function utilization(uint256 totalBorrow, uint256 totalSupply) internal pure returns (uint256) {
        if (totalSupply == 0) return 0;
        return Math.min(Math.mulDiv(totalBorrow, ConstantsLib.WAD, totalSupply), ConstantsLib.WAD);
    }

    /// @notice Per-second borrow rate in WAD, rounded down.
    function borrowRate(RateModel memory m, uint256 totalBorrow, uint256 totalSupply) internal pure returns (uint256) {
        uint256 u = utilization(totalBorrow, totalSupply);
        if (u <= m.kink) {
            return m.baseRatePerSecond + (m.kink == 0 ? 0 : Math.mulDiv(m.slope1PerSecond, u, m.kink));
        }
        return m.baseRatePerSecond + m.slope1PerSecond
            + Math.mulDiv(m.slope2PerSecond, u - m.kink, ConstantsLib.WAD - m.kink);
    }

    /// @notice Interest owed on `totalBorrow` over `elapsed` seconds and the reserve share of it for the insurance fund.
    /// @dev Both round down: lenders and the insurance fund are never credited more than borrowers owe.
    function accrued(RateModel memory m, uint256 totalBorrow, uint256 totalSupply, uint256 elapsed, uint256 reserveBps)
        internal
        pure
        returns (uint256 rate, uint256 interest, uint256 reserve)
    {
        rate = borrowRate(m, totalBorrow, totalSupply);
        interest = Math.mulDiv(totalBorrow, rate * elapsed, ConstantsLib.WAD);
        reserve = Math.mulDiv(interest, reserveBps, ConstantsLib.BPS);
    }
}

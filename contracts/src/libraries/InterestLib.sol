// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MathLib} from "./MathLib.sol";
import {RateModel, MarketState} from "../interfaces/IIsomarginEngine.sol";
import {ConstantsLib} from "./ConstantsLib.sol";

/// @title InterestLib
/// @notice Kinked utilization rate and simple per-second accrual between two updates of a market.
/// @dev Rounding: interest is `totalBorrow x rate x elapsed` in loan units x 1e18; the whole loan units are charged,
/// the part below one unit (`interestRemainder`) is kept and added to the next accrual. `lastAccrual` always moves to
/// now, so elapsed time is never charged twice nor to a borrower who arrives later: a later borrower can only share
/// the carried remainder, less than one loan unit for the whole market. With no debt the remainder is dropped.
library InterestLib {
    /// @notice Utilization in WAD, rounded down; 0 without supply.
    function utilization(uint256 totalBorrow, uint256 totalSupply) internal pure returns (uint256) {
        if (totalSupply == 0) return 0;
        return Math.min(MathLib.mulDivDown(totalBorrow, ConstantsLib.WAD, totalSupply), ConstantsLib.WAD);
    }

    /// @notice Per-second borrow rate in WAD, rounded down.
    function borrowRate(RateModel memory m, uint256 totalBorrow, uint256 totalSupply) internal pure returns (uint256) {
        uint256 u = utilization(totalBorrow, totalSupply);
        if (u <= m.kink) {
            return m.baseRatePerSecond + (m.kink == 0 ? 0 : MathLib.mulDivDown(m.slope1PerSecond, u, m.kink));
        }
        return m.baseRatePerSecond + m.slope1PerSecond
            + MathLib.mulDivDown(m.slope2PerSecond, u - m.kink, ConstantsLib.WAD - m.kink);
    }

    /// @notice Interest owed on `totalBorrow` over `elapsed` seconds plus the carried `remainder` (loan units x 1e18),
    /// the reserve share of it for the insurance fund, and the new remainder.
    /// @dev Both amounts round down (the remainder keeps what the interest leaves): lenders and the insurance fund are
    /// never credited more than borrowers owe. No overflow: totalBorrow < 2^128, rate < 2^39, elapsed < 2^40.
    function accrued(
        RateModel memory m,
        uint256 totalBorrow,
        uint256 totalSupply,
        uint256 elapsed,
        uint256 reserveBps,
        uint256 remainder
    ) internal pure returns (uint256 interest, uint256 reserve, uint256 newRemainder) {
        uint256 scaled = totalBorrow * borrowRate(m, totalBorrow, totalSupply) * elapsed + remainder;
        interest = scaled / ConstantsLib.WAD;
        newRemainder = scaled % ConstantsLib.WAD;
        reserve = interest * reserveBps / ConstantsLib.BPS;
    }

    /// @notice Accrues `s` (in memory) up to `timestamp`: the engine's `_accrue` and the lens's expected state.
    function accrue(MarketState memory s, RateModel memory m, uint256 reserveBps, uint256 timestamp) internal pure {
        uint256 elapsed = timestamp - s.lastAccrual;
        if (elapsed == 0) return;
        s.lastAccrual = uint40(timestamp);
        if (s.totalBorrowAssets == 0) {
            s.interestRemainder = 0;
            return;
        }
        (uint256 interest, uint256 reserve, uint256 rem) =
            accrued(m, s.totalBorrowAssets, s.totalSupplyAssets, elapsed, reserveBps, s.interestRemainder);
        s.interestRemainder = uint64(rem);
        if (interest == 0) return;
        // SafeCast-equivalent checks: the totals are uint128 and must stay so.
        uint256 borrowAfter = s.totalBorrowAssets + interest;
        uint256 supplyAfter = s.totalSupplyAssets + interest - reserve;
        uint256 fundAfter = s.insuranceFund + reserve;
        if ((borrowAfter | supplyAfter | fundAfter) > type(uint128).max) revert InterestOverflow();
        s.totalBorrowAssets = uint128(borrowAfter);
        s.totalSupplyAssets = uint128(supplyAfter);
        s.insuranceFund = uint128(fundAfter);
    }

    /// @dev Accrued interest would not fit the market's uint128 totals.
    error InterestOverflow();
}

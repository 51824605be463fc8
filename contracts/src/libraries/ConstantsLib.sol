// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @dev Most tiers a market can have (file-level so it can size a storage array).
uint256 constant MAX_TIERS = 4;

/// @title ConstantsLib
/// @notice Units and hard bounds on every risk parameter. The owner can never set a value outside these.
library ConstantsLib {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev Prices are loan base units per collateral base unit, scaled by 1e36.
    uint256 internal constant PRICE_SCALE = 1e36;
    /// @dev Largest accepted scaled price (1e24 loan units per collateral unit): keeps every product below 2^256.
    uint256 internal constant MAX_SCALED_PRICE = 1e60;

    uint256 internal constant MAX_BATCH = 100;
    uint256 internal constant MAX_TOKEN_DECIMALS = 36;

    uint256 internal constant MIN_MARGIN_BPS = 50;
    uint256 internal constant MAX_MARGIN_BPS = 9_000;
    uint256 internal constant MAX_LIQUIDATION_BONUS_BPS = 2_000;
    uint256 internal constant MAX_PROTOCOL_FEE_BPS = 5_000;
    uint256 internal constant MIN_CLOSE_FACTOR_BPS = 1_000;
    uint256 internal constant MAX_RESERVE_FACTOR_BPS = 5_000;
    /// @dev 1000% a year: the highest per-second borrow rate any utilization can reach.
    uint256 internal constant MAX_RATE_PER_SECOND = uint256(10e18) / 365 days;
    uint256 internal constant MIN_ORACLE_AGE = 60;
    uint256 internal constant MAX_ORACLE_AGE = 3 days;
    /// @dev A maintenance-margin rise never takes effect faster than this.
    uint256 internal constant MIN_RAMP_DURATION = 1 days;
    /// @dev Delay before a risk change that tightens any parameter (rate model, reserve factor, bonus, protocol fee,
    /// close factor, minDebt, maxOracleAge) can be executed.
    uint256 internal constant RISK_TIMELOCK = 1 days;
    uint256 internal constant MAX_RAMP_DURATION = 90 days;
}

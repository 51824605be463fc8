// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @notice A rate model: the per-second borrow rate (WAD) as a kinked function of utilization.
/// @dev rate(u) = base + slope1 * u / kink                        for u <= kink
///      rate(u) = base + slope1 + slope2 * (u - kink) / (1 - kink) for u >  kink   (u, kink in WAD)
struct RateModel {
    uint64 baseRatePerSecond;
    uint64 slope1PerSecond;
    uint64 slope2PerSecond;
    uint64 kink;
}

/// @notice One margin tier. The tier applies to the part of a vault's collateral value (in loan-token units)
/// at or above `minValue` and below the next tier's `minValue`, like tax brackets, so the requirement is
/// continuous and grows faster than linearly with vault size.
struct Tier {
    uint128 minValue;
    uint16 imBps;
    uint16 mmBps;
}

/// @notice What the owner passes to create a market.
struct MarketParams {
    address loanToken;
    address collateralToken;
    address oracle;
    uint32 maxOracleAge;
    Tier[] tiers;
    uint16 liquidationBonusBps;
    uint16 protocolFeeBps;
    uint16 closeFactorBps;
    uint16 reserveFactorBps;
    uint128 minDebt;
    uint128 supplyCap;
    uint128 borrowCap;
    RateModel rateModel;
}

/// @notice The immutable part of a market.
struct MarketConfig {
    address loanToken;
    address collateralToken;
    address oracle;
    uint8 loanDecimals;
    uint8 collateralDecimals;
    uint8 oracleDecimals;
    /// @dev 10^(36 + loanDecimals - collateralDecimals - oracleDecimals): oracle answer * priceScale is the price of
    /// one collateral base unit in loan base units, scaled by 1e36.
    uint256 priceScale;
    uint8 tierCount;
}

/// @notice The mutable risk parameters of a market.
struct RiskParams {
    uint32 maxOracleAge;
    uint16 liquidationBonusBps;
    uint16 protocolFeeBps;
    uint16 closeFactorBps;
    uint16 reserveFactorBps;
    uint64 rampStart;
    uint64 rampEnd;
    uint128 minDebt;
    uint128 supplyCap;
    uint128 borrowCap;
    RateModel rateModel;
}

/// @notice A tier as stored: a rise in maintenance margin ramps linearly from `mmFromBps` (at `rampStart`) to
/// `mmToBps` (at `rampEnd`); `mmFromBps <= mmToBps` always.
struct TierState {
    uint128 minValue;
    uint16 imBps;
    uint16 mmFromBps;
    uint16 mmToBps;
}

/// @notice The accounting of a market.
struct MarketState {
    uint128 totalSupplyAssets;
    uint128 totalSupplyShares;
    uint128 totalBorrowAssets;
    uint128 totalBorrowShares;
    uint128 insuranceFund;
    uint64 lastAccrual;
    bool paused;
}

/// @notice One isolated position.
struct Vault {
    address owner;
    uint64 marketId;
    bool closed;
    uint128 collateral;
    uint128 debtShares;
}

/// @title IIsomarginEngine
/// @notice Isolated-margin lending: every vault holds its own collateral and its own debt in one market and is
/// liquidated alone when its equity falls below the maintenance margin.
/// @dev Amounts are in token base units. "Assets" are loan-token units, "shares" are accounting units of supply or
/// debt. Every rounding goes against the vault owner and in favour of the protocol's solvency.
interface IIsomarginEngine {
    /* EVENTS */

    event MarketCreated(
        uint256 indexed marketId,
        address indexed loanToken,
        address indexed collateralToken,
        address oracle,
        uint256 priceScale
    );
    /// @notice Margins of one tier; emitted for every tier at creation and on every margin change. The maintenance
    /// margin ramps linearly from `mmFromBps` at `rampStart` to `mmToBps` at `rampEnd`.
    event TierSet(
        uint256 indexed marketId,
        uint256 index,
        uint128 minValue,
        uint16 imBps,
        uint16 mmFromBps,
        uint16 mmToBps,
        uint64 rampStart,
        uint64 rampEnd
    );
    event LiquidationParamsUpdated(
        uint256 indexed marketId,
        uint16 liquidationBonusBps,
        uint16 protocolFeeBps,
        uint16 closeFactorBps,
        uint128 minDebt
    );
    event InterestParamsUpdated(uint256 indexed marketId, RateModel rateModel, uint16 reserveFactorBps);
    event CapsUpdated(uint256 indexed marketId, uint128 supplyCap, uint128 borrowCap);
    event MaxOracleAgeUpdated(uint256 indexed marketId, uint32 maxOracleAge);
    event PauseSet(uint256 indexed marketId, address indexed by, bool paused);
    event GuardianSet(address indexed guardian);
    event OperatorSet(address indexed owner, address indexed operator, bool approved);

    /// @notice Post-state of a market's accounting; emitted after every operation that touches the market,
    /// including interest accrual.
    event MarketStateUpdated(
        uint256 indexed marketId,
        uint128 totalSupplyAssets,
        uint128 totalSupplyShares,
        uint128 totalBorrowAssets,
        uint128 totalBorrowShares,
        uint128 insuranceFund,
        uint64 lastAccrual
    );
    event InterestAccrued(uint256 indexed marketId, uint256 ratePerSecond, uint256 interest, uint256 reserve);

    event VaultOpened(uint256 indexed vaultId, uint256 indexed marketId, address indexed owner);
    event CollateralDeposited(uint256 indexed vaultId, address indexed caller, uint256 amount, uint128 collateralAfter);
    event CollateralWithdrawn(
        uint256 indexed vaultId, address indexed caller, address receiver, uint256 amount, uint128 collateralAfter
    );
    event Borrowed(
        uint256 indexed vaultId,
        address indexed caller,
        address receiver,
        uint256 assets,
        uint256 shares,
        uint128 debtSharesAfter
    );
    event Repaid(uint256 indexed vaultId, address indexed payer, uint256 assets, uint256 shares, uint128 debtSharesAfter);
    event VaultClosed(uint256 indexed vaultId, address indexed caller, address receiver, uint256 collateralReturned);
    event Liquidated(
        uint256 indexed vaultId,
        uint256 indexed marketId,
        address indexed liquidator,
        uint256 repaidAssets,
        uint256 repaidShares,
        uint256 seizedCollateral,
        uint256 protocolFee,
        uint128 collateralAfter,
        uint128 debtSharesAfter
    );
    /// @notice A vault ran out of collateral with debt left: `badDebtAssets` written off, `coveredByInsurance` from
    /// the market's insurance fund, the rest (`socialized`) taken from the lenders' assets.
    event BadDebtRealized(
        uint256 indexed vaultId,
        uint256 indexed marketId,
        uint256 badDebtAssets,
        uint256 badDebtShares,
        uint256 coveredByInsurance,
        uint256 socialized
    );

    event Supplied(
        uint256 indexed marketId, address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares, uint256 sharesAfter
    );
    event Withdrawn(
        uint256 indexed marketId, address indexed lender, address receiver, uint256 assets, uint256 shares, uint256 sharesAfter
    );
    event InsuranceFunded(uint256 indexed marketId, address indexed from, uint256 amount);

    /* ERRORS */

    error ZeroAddress();
    error ZeroAmount();
    error NotGuardian();
    error Unauthorized(uint256 vaultId, address caller);
    error MarketNotFound(uint256 marketId);
    error VaultNotFound(uint256 vaultId);
    error VaultIsClosed(uint256 vaultId);
    error MarketPaused(uint256 marketId);
    /// @dev Loan and collateral token are the same.
    error SameTokens();
    /// @dev Tier count is 0, above MAX_TIERS, or differs from the market's.
    error InvalidTierCount();
    /// @dev The first tier does not start at 0 or thresholds do not increase.
    error InvalidTierThresholds();
    /// @dev A margin is out of bounds, IM <= MM, or margins fall as tiers rise.
    error InvalidMargins();
    error InvalidRampDuration();
    /// @dev Bonus is 0, above the bound, or not below the smallest maintenance margin.
    error InvalidLiquidationBonus();
    error InvalidProtocolFee();
    error InvalidCloseFactor();
    error InvalidRateModel();
    error InvalidReserveFactor();
    error InvalidOracleAge();
    /// @dev 36 + loan decimals - collateral decimals - oracle decimals is outside [0, 48].
    error UnsupportedDecimalsCombination();
    error UnsupportedDecimals(address token, uint8 decimals);

    error OracleAnswerNotPositive(int256 answer);
    error OracleNoTimestamp();
    error OracleUpdatedInFuture(uint256 updatedAt);
    error OracleStale(uint256 updatedAt, uint256 maxAge);
    error OracleAnswerTooLarge(int256 answer);

    error InsufficientMargin(uint256 vaultId, uint256 debt, uint256 maxDebt);
    error DebtBelowMinimum(uint256 vaultId, uint256 debt, uint256 minDebt);
    error InsufficientCollateral(uint256 vaultId, uint256 requested, uint256 available);
    error InsufficientLiquidity(uint256 marketId, uint256 requested, uint256 available);
    error InsufficientShares(uint256 marketId, uint256 requested, uint256 available);
    error SupplyCapExceeded(uint256 marketId, uint256 totalAfter, uint256 cap);
    error BorrowCapExceeded(uint256 marketId, uint256 totalAfter, uint256 cap);
    error VaultHealthy(uint256 vaultId);
    error BatchTooLarge(uint256 length, uint256 max);

    /* ADMIN */

    /// @notice Creates a market. Only the owner. Tiers, tokens and oracle are fixed for the market's life.
    function createMarket(MarketParams calldata params) external returns (uint256 marketId);

    /// @notice Sets initial and maintenance margin per tier (same tier count as at creation). Only the owner.
    /// @dev A maintenance-margin rise ramps in linearly over `rampDuration` (at least `MIN_RAMP_DURATION`) from its
    /// current effective value; a fall applies at once. Initial margin applies at once (it only gates new risk).
    function setMarginTiers(uint256 marketId, uint16[] calldata imBps, uint16[] calldata mmBps, uint32 rampDuration)
        external;

    /// @notice Sets liquidation bonus, the protocol's share of it, the close factor and the dust floor. Only the owner.
    function setLiquidationParams(
        uint256 marketId,
        uint16 liquidationBonusBps,
        uint16 protocolFeeBps,
        uint16 closeFactorBps,
        uint128 minDebt
    ) external;

    /// @notice Sets the rate model and reserve factor, after accruing interest at the old ones. Only the owner.
    function setInterestParams(uint256 marketId, RateModel calldata rateModel, uint16 reserveFactorBps) external;

    /// @notice Sets supply and borrow caps (loan-token units). Only the owner. Caps only gate new supply/borrow.
    function setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) external;

    /// @notice Sets the maximum oracle age in seconds. Only the owner.
    function setMaxOracleAge(uint256 marketId, uint32 maxOracleAge) external;

    /// @notice Sets the guardian, who can pause new risk. Only the owner.
    function setGuardian(address guardian) external;

    /// @notice Pauses or unpauses new risk in a market: open, borrow, withdraw collateral, supply. Exits (repay,
    /// deposit, close, liquidate, lender withdraw within liquidity) are never paused. Guardian or owner.
    function setPaused(uint256 marketId, bool paused) external;

    /* VAULTS */

    /// @notice Approves or revokes `operator` to manage all of the caller's vaults.
    function setOperator(address operator, bool approved) external;

    /// @notice Opens a vault for the caller, optionally depositing collateral and borrowing to the caller.
    function openVault(uint256 marketId, uint256 collateral, uint256 borrowAssets) external returns (uint256 vaultId);

    /// @notice Adds collateral to a vault. Anyone may add collateral to any open vault; never paused.
    function depositCollateral(uint256 vaultId, uint256 amount) external;

    /// @notice Withdraws collateral to `receiver`. Owner or operator. Needs a fresh price while the vault has debt.
    function withdrawCollateral(uint256 vaultId, uint256 amount, address receiver) external;

    /// @notice Borrows `assets` to `receiver`. Owner or operator. Needs a fresh price.
    /// @return shares Debt shares added, rounded up (against the borrower).
    function borrow(uint256 vaultId, uint256 assets, address receiver) external returns (uint256 shares);

    /// @notice Repays debt of any vault from the caller. `assets = type(uint256).max` repays all of it.
    /// @return repaidAssets Loan tokens pulled from the caller.
    /// @return repaidShares Debt shares removed, rounded down (against the borrower).
    function repay(uint256 vaultId, uint256 assets) external returns (uint256 repaidAssets, uint256 repaidShares);

    /// @notice Repays all debt from the caller, returns all collateral to `receiver` and closes the vault.
    /// Owner or operator. Works with a bad price and while paused.
    function closeVault(uint256 vaultId, address receiver) external returns (uint256 repaidAssets, uint256 collateral);

    /* LENDERS */

    /// @notice Supplies loan tokens for supply shares (rounded down) credited to `onBehalf`.
    function supply(uint256 marketId, uint256 assets, address onBehalf) external returns (uint256 shares);

    /// @notice Withdraws `assets` loan tokens of the caller's supply to `receiver`, burning shares rounded up.
    function withdraw(uint256 marketId, uint256 assets, address receiver) external returns (uint256 shares);

    /// @notice Burns `shares` of the caller's supply for loan tokens (rounded down) sent to `receiver`.
    function redeem(uint256 marketId, uint256 shares, address receiver) external returns (uint256 assets);

    /// @notice Adds loan tokens to a market's insurance fund. Anyone; the fund only ever pays bad debt.
    function fundInsurance(uint256 marketId, uint256 amount) external;

    /// @notice Accrues interest of a market up to now.
    function accrueInterest(uint256 marketId) external;

    /* LIQUIDATION */

    /// @notice Liquidates one vault: repays up to `maxRepayAssets` of its debt (capped by the close factor) and sends
    /// the seized collateral, `repaid x (1 + bonus) / price` rounded down, to `receiver`. Reverts `VaultHealthy` when
    /// the vault is not liquidatable and `ZeroAmount` when the repayment would seize no collateral unit. When the
    /// vault is deep underwater (collateral value below debt x (1 + bonus)) the cap is ignored and everything is
    /// taken, the rest of the debt being written off as bad debt.
    /// @dev Pulls `repaidAssets + protocolFee` loan tokens from the caller after sending collateral and after
    /// calling `onIsomarginLiquidation` on the caller when `data` is not empty.
    function liquidate(uint256 vaultId, uint256 maxRepayAssets, address receiver, bytes calldata data)
        external
        returns (uint256 repaidAssets, uint256 seizedCollateral);

    /// @notice Liquidates many vaults of one market at the largest repayment allowed, skipping (not reverting on)
    /// vaults that are not liquidatable, closed, unknown or of another market, or whose largest repayment would not
    /// seize one collateral unit.
    /// @return liquidated Number of vaults liquidated.
    /// @return repaidAssets Total debt repaid; the caller paid this plus `protocolFee`.
    /// @return seizedCollateral Total collateral sent to `receiver`.
    /// @return protocolFee Total protocol fee paid into the insurance fund.
    function liquidateBatch(uint256 marketId, uint256[] calldata vaultIds, address receiver, bytes calldata data)
        external
        returns (uint256 liquidated, uint256 repaidAssets, uint256 seizedCollateral, uint256 protocolFee);

    /* VIEWS */

    function guardian() external view returns (address);
    function marketCount() external view returns (uint256);
    function vaultCount() external view returns (uint256);
    function isOperator(address owner, address operator) external view returns (bool);
    function supplyShares(uint256 marketId, address lender) external view returns (uint256);
    function marketConfig(uint256 marketId) external view returns (MarketConfig memory);
    function riskParams(uint256 marketId) external view returns (RiskParams memory);
    /// @notice Tier `index` (below `marketConfig(marketId).tierCount`) of a market.
    function tier(uint256 marketId, uint256 index) external view returns (TierState memory);
    /// @notice Stored accounting, as of `lastAccrual`.
    function marketState(uint256 marketId) external view returns (MarketState memory);
    /// @notice Accounting with interest accrued up to the current block's timestamp.
    function expectedMarketState(uint256 marketId) external view returns (MarketState memory);
    function vault(uint256 vaultId) external view returns (Vault memory);

    /// @notice Oracle price of one collateral base unit in loan base units, scaled by 1e36. Reverts on a bad price.
    function price(uint256 marketId) external view returns (uint256);

    /// @notice Debt of a vault in loan-token units with interest accrued to now, rounded up.
    function debtOf(uint256 vaultId) external view returns (uint256);

    /// @notice Health = (V - maintenance requirement) / D in WAD, rounded down; `type(uint256).max` without debt.
    function health(uint256 vaultId) external view returns (uint256);

    /// @notice True iff the vault has debt and its health is below 1.
    function isLiquidatable(uint256 vaultId) external view returns (bool);

    /// @notice The lowest oracle answer (in the feed's own decimals) at which the vault is still healthy: at any
    /// answer below it the vault is liquidatable (with today's debt and margins). 0 without debt;
    /// `type(uint256).max` with debt and no collateral.
    function liquidationPrice(uint256 vaultId) external view returns (uint256);
}

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

/// @notice The immutable part of a market, as the `marketConfig` view returns it (stored packed in three slots).
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

/// @notice The mutable risk parameters of a market. The first six fields share one storage slot, the rate model
/// the next, the caps the third.
struct RiskParams {
    uint32 maxOracleAge;
    uint16 liquidationBonusBps;
    uint16 protocolFeeBps;
    uint16 closeFactorBps;
    uint16 reserveFactorBps;
    uint128 minDebt;
    RateModel rateModel;
    uint128 supplyCap;
    uint128 borrowCap;
}

/// @notice The risk parameters that can hurt an open vault (make it liquidatable, raise what it pays or what a
/// liquidation takes from it). A change to them applies at once only when every field loosens; otherwise it waits
/// out `RISK_TIMELOCK` (see `setRiskParams`).
struct RiskUpdate {
    uint32 maxOracleAge;
    uint16 liquidationBonusBps;
    uint16 protocolFeeBps;
    uint16 closeFactorBps;
    uint16 reserveFactorBps;
    uint128 minDebt;
    RateModel rateModel;
}

/// @notice A tier as stored (one slot): a rise in maintenance margin ramps linearly from `mmFromBps` (at
/// `rampStart`) to `mmToBps` (at `rampEnd`); `mmFromBps <= mmToBps` always. Every tier of a market shares one ramp.
struct TierState {
    uint128 minValue;
    uint16 imBps;
    uint16 mmFromBps;
    uint16 mmToBps;
    uint40 rampStart;
    uint40 rampEnd;
}

/// @notice The accounting of a market.
struct MarketState {
    uint128 totalSupplyAssets;
    uint128 totalSupplyShares;
    uint128 totalBorrowAssets;
    uint128 totalBorrowShares;
    uint128 insuranceFund;
    uint40 lastAccrual;
    bool paused;
    /// @dev The part of the interest accrued so far that is below one loan unit, in loan units x 1e18: carried to
    /// the next accrual so frequent accruals cannot erase interest, while `lastAccrual` always advances so no
    /// borrower pays for time before their borrow (beyond this sub-unit carry).
    uint64 interestRemainder;
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
    /// @notice A change of risk parameters that tightens at least one of them was proposed; anyone may execute it
    /// from `executableAt`. A new proposal replaces a pending one.
    event RiskParamsProposed(uint256 indexed marketId, RiskUpdate update, uint64 executableAt);
    /// @notice The pending change was applied (the usual `...Updated` events follow).
    event RiskParamsExecuted(uint256 indexed marketId, address indexed by);
    event RiskParamsCancelled(uint256 indexed marketId);
    event CapsUpdated(uint256 indexed marketId, uint128 supplyCap, uint128 borrowCap);
    event MaxOracleAgeUpdated(uint256 indexed marketId, uint32 maxOracleAge);
    event PauseSet(uint256 indexed marketId, address indexed by, bool paused);
    event GuardianSet(address indexed guardian);
    event OperatorSet(address indexed owner, address indexed operator, bool approved);

    /// @notice Post-state of a market's accounting; emitted after every operation that touches the market,
    /// including interest accrual (interest shows as the change in total borrow).
    event MarketStateUpdated(
        uint256 indexed marketId,
        uint128 totalSupplyAssets,
        uint128 totalSupplyShares,
        uint128 totalBorrowAssets,
        uint128 totalBorrowShares,
        uint128 insuranceFund,
        uint64 lastAccrual,
        uint64 interestRemainder
    );

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
    /// @dev Batch vault ids must be strictly increasing, so one batch liquidates a vault at most once.
    error BatchNotSorted(uint256 index);
    /// @dev The liquidation would seize less collateral than the liquidator's `minSeized`.
    error SeizedBelowMinimum(uint256 seized, uint256 minSeized);
    error NoPendingChange(uint256 marketId);
    error TimelockNotElapsed(uint256 marketId, uint256 executableAt);

    /* ADMIN */

    /// @notice Creates a market. Only the owner. Tiers, tokens and oracle are fixed for the market's life.
    function createMarket(MarketParams calldata params) external returns (uint256 marketId);

    /// @notice Sets initial and maintenance margin per tier (same tier count as at creation). Only the owner.
    /// @dev A maintenance-margin rise ramps in linearly over `rampDuration` (at least `MIN_RAMP_DURATION`) from its
    /// current effective value; a fall applies at once. Initial margin applies at once (it only gates new risk).
    function setMarginTiers(uint256 marketId, uint16[] calldata imBps, uint16[] calldata mmBps, uint32 rampDuration)
        external;

    /// @notice Changes the risk parameters that can hurt an open vault. Only the owner. When `maxOracleAge` is
    /// unchanged and every other field is at or below today's value (for the rate model: base and slopes at or
    /// below, kink at or above) the change applies at once, withdraws any pending proposal (`RiskParamsCancelled`)
    /// and `executableAt` is now. Otherwise it is stored as the market's pending change, executable by
    /// anyone after `RISK_TIMELOCK` (`executeRiskParams`), cancellable by the owner, readable with
    /// `pendingRiskParams`; a new proposal replaces the pending one and restarts the delay.
    /// @dev Bounds are checked now and again at execution (a margin may have fallen meanwhile).
    function setRiskParams(uint256 marketId, RiskUpdate calldata update) external returns (uint64 executableAt);

    /// @notice Applies the pending change of a market once its timelock has passed. Anyone. Interest accrues at the
    /// old rate model up to now first.
    function executeRiskParams(uint256 marketId) external;

    /// @notice Drops the pending change of a market. Only the owner.
    function cancelRiskParams(uint256 marketId) external;

    /// @notice The pending change of a market and when it becomes executable (0 when none is pending).
    function pendingRiskParams(uint256 marketId) external view returns (RiskUpdate memory update, uint64 executableAt);

    /// @notice Sets supply and borrow caps (loan-token units). Only the owner. Caps only gate new supply/borrow.
    function setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) external;

    /// @notice Sets the guardian, who can pause new risk. Only the owner.
    function setGuardian(address guardian) external;

    /// @notice Pauses or unpauses new risk in a market: open, borrow, withdraw collateral from a vault with debt,
    /// supply. Exits (repay, deposit, withdraw from a debt-free vault, close, liquidate, lender withdraw within
    /// liquidity) are never paused. Guardian or owner.
    function setPaused(uint256 marketId, bool paused) external;

    /* VAULTS */

    /// @notice Approves or revokes `operator` to manage all of the caller's vaults.
    function setOperator(address operator, bool approved) external;

    /// @notice Opens a vault for the caller, optionally depositing collateral and borrowing to the caller.
    function openVault(uint256 marketId, uint256 collateral, uint256 borrowAssets) external returns (uint256 vaultId);

    /// @notice Adds collateral to a vault. Anyone may add collateral to any open vault; never paused.
    function depositCollateral(uint256 vaultId, uint256 amount) external;

    /// @notice Withdraws collateral to `receiver`. Owner or operator. Needs a fresh price and an unpaused market
    /// while the vault has debt; a debt-free vault can always withdraw.
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

    /// @notice Liquidates one vault. The engine's largest repayment is `closeFactor x D` (all of `D` when the rest
    /// would be below `minDebt` or the vault is deep underwater), capped by `maxRepayAssets`. The collateral seized
    /// is what that repayment buys at the oracle price plus the bonus, rounded down to whole collateral units and
    /// capped at the vault's collateral; the repayment then follows from the collateral actually seized: its oracle
    /// value less the bonus, rounded down. So the liquidator never repays more than `maxRepayAssets`, never pays
    /// more than the oracle value of what they receive, and gets the bonus on what they pay (up to rounding).
    /// Reverts `SeizedBelowMinimum` when fewer than `minSeized` collateral units would be seized, `VaultHealthy`
    /// when the vault is not liquidatable and `ZeroAmount` when the repayment would seize no collateral unit. When
    /// the vault's collateral runs out with debt left, the rest is written off as bad debt.
    /// @dev Pulls `repaidAssets + protocolFee` loan tokens from the caller after sending collateral and after
    /// calling `onIsomarginLiquidation` on the caller when `data` is not empty.
    function liquidate(uint256 vaultId, uint256 maxRepayAssets, uint256 minSeized, address receiver, bytes calldata data)
        external
        returns (uint256 repaidAssets, uint256 seizedCollateral);

    /// @notice Liquidates many vaults of one market, each at the engine's largest repayment (same rule as
    /// `liquidate`), skipping (not reverting on) vaults that are not liquidatable, closed, unknown or of another
    /// market, or whose largest repayment would not seize one collateral unit. `vaultIds` must be strictly
    /// increasing (`BatchNotSorted` otherwise), so the close factor holds per vault per batch.
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
    /// @notice Delay between proposing a change that tightens risk parameters and executing it.
    function RISK_TIMELOCK() external view returns (uint256);
    function supplyShares(uint256 marketId, address lender) external view returns (uint256);
    function marketConfig(uint256 marketId) external view returns (MarketConfig memory);
    function riskParams(uint256 marketId) external view returns (RiskParams memory);
    /// @notice Tier `index` (below `marketConfig(marketId).tierCount`) of a market.
    function tier(uint256 marketId, uint256 index) external view returns (TierState memory);
    /// @notice Stored accounting, as of `lastAccrual`. Accrued-to-now views live in `IsomarginLens`.
    function marketState(uint256 marketId) external view returns (MarketState memory);
    function vault(uint256 vaultId) external view returns (Vault memory);
}

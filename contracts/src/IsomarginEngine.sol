// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {
    IIsomarginEngine,
    MarketParams,
    MarketConfig,
    RiskParams,
    MarketState,
    Tier,
    TierState,
    Vault,
    RateModel
} from "./interfaces/IIsomarginEngine.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ILiquidationCallback} from "./interfaces/ILiquidationCallback.sol";
import {ConstantsLib as C, MAX_TIERS} from "./libraries/ConstantsLib.sol";
import {SharesMathLib} from "./libraries/SharesMathLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {InterestLib} from "./libraries/InterestLib.sol";

/// @title IsomarginEngine
/// @notice The one core contract: all markets and all isolated vaults. Not upgradeable; no admin path moves user
/// funds. See IIsomarginEngine for the NatSpec of every entry point.
contract IsomarginEngine is IIsomarginEngine, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SharesMathLib for uint256;

    /* STORAGE */

    /// @inheritdoc IIsomarginEngine
    address public guardian;
    /// @inheritdoc IIsomarginEngine
    uint256 public marketCount;
    /// @inheritdoc IIsomarginEngine
    uint256 public vaultCount;
    /// @inheritdoc IIsomarginEngine
    mapping(address owner => mapping(address operator => bool)) public isOperator;
    /// @inheritdoc IIsomarginEngine
    mapping(uint256 marketId => mapping(address lender => uint256)) public supplyShares;

    mapping(uint256 marketId => MarketConfig) internal _config;
    mapping(uint256 marketId => RiskParams) internal _risk;
    mapping(uint256 marketId => TierState[MAX_TIERS]) internal _tiers;
    mapping(uint256 marketId => MarketState) internal _state;
    mapping(uint256 vaultId => Vault) internal _vaults;

    /// @dev Effective margins of a market at one moment, for the margin math.
    struct Margins {
        uint256[] minValues;
        uint256[] im;
        uint256[] mm;
    }

    /// @dev What one liquidation moved.
    struct LiquidationResult {
        uint256 repaidAssets;
        uint256 repaidShares;
        uint256 seized;
        uint256 fee;
    }

    constructor(address owner_, address guardian_) Ownable(owner_) {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /* MODIFIERS AND CHECKS */

    modifier onlyGuardianOrOwner() {
        if (msg.sender != guardian && msg.sender != owner()) revert NotGuardian();
        _;
    }

    function _market(uint256 marketId) internal view returns (MarketConfig storage cfg) {
        cfg = _config[marketId];
        if (cfg.loanToken == address(0)) revert MarketNotFound(marketId);
    }

    function _openVault(uint256 vaultId) internal view returns (Vault storage v) {
        v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        if (v.closed) revert VaultIsClosed(vaultId);
    }

    function _authorized(uint256 vaultId, Vault storage v) internal view {
        if (msg.sender != v.owner && !isOperator[v.owner][msg.sender]) revert Unauthorized(vaultId, msg.sender);
    }

    function _notPaused(uint256 marketId) internal view {
        if (_state[marketId].paused) revert MarketPaused(marketId);
    }

    /* ADMIN */

    /// @inheritdoc IIsomarginEngine
    function createMarket(MarketParams calldata p) external onlyOwner returns (uint256 marketId) {
        if (p.loanToken == address(0) || p.collateralToken == address(0) || p.oracle == address(0)) revert ZeroAddress();
        if (p.loanToken == p.collateralToken) revert SameTokens();
        uint256 n = p.tiers.length;
        if (n == 0 || n > MAX_TIERS) revert InvalidTierCount();
        if (p.tiers[0].minValue != 0) revert InvalidTierThresholds();

        uint8 loanDec = _decimals(p.loanToken);
        uint8 collDec = _decimals(p.collateralToken);
        uint8 feedDec = AggregatorV3Interface(p.oracle).decimals();
        if (feedDec > C.MAX_TOKEN_DECIMALS) revert UnsupportedDecimals(p.oracle, feedDec);
        // 36 + loanDec - collDec - feedDec must be in [0, 72] so the scale is an integer that fits.
        if (uint256(collDec) + feedDec > 36 + uint256(loanDec)) revert UnsupportedDecimalsCombination();
        uint256 exponent = 36 + uint256(loanDec) - collDec - feedDec;
        // Above 1e48 the price bound (MAX_SCALED_PRICE) would leave less than 1e12 usable oracle answers.
        if (exponent > 48) revert UnsupportedDecimalsCombination();

        marketId = ++marketCount;
        _config[marketId] = MarketConfig({
            loanToken: p.loanToken,
            collateralToken: p.collateralToken,
            oracle: p.oracle,
            loanDecimals: loanDec,
            collateralDecimals: collDec,
            oracleDecimals: feedDec,
            priceScale: 10 ** exponent,
            tierCount: uint8(n)
        });
        TierState[MAX_TIERS] storage ts = _tiers[marketId];
        for (uint256 i; i < n; ++i) {
            if (i > 0 && p.tiers[i].minValue <= p.tiers[i - 1].minValue) revert InvalidTierThresholds();
            ts[i] = TierState(p.tiers[i].minValue, p.tiers[i].imBps, p.tiers[i].mmBps, p.tiers[i].mmBps);
        }
        _checkTiers(marketId, n);
        _state[marketId].lastAccrual = uint64(block.timestamp);

        emit MarketCreated(marketId, p.loanToken, p.collateralToken, p.oracle, 10 ** exponent);
        _setMaxOracleAge(marketId, p.maxOracleAge);
        _setLiquidationParams(marketId, p.liquidationBonusBps, p.protocolFeeBps, p.closeFactorBps, p.minDebt);
        _setInterestParams(marketId, p.rateModel, p.reserveFactorBps);
        _setCaps(marketId, p.supplyCap, p.borrowCap);
        _emitTiers(marketId, n);
        _emitState(marketId);
    }

    /// @inheritdoc IIsomarginEngine
    function setMarginTiers(uint256 marketId, uint16[] calldata imBps, uint16[] calldata mmBps, uint32 rampDuration)
        external
        onlyOwner
    {
        uint256 n = _market(marketId).tierCount;
        if (imBps.length != n || mmBps.length != n) revert InvalidTierCount();
        if (rampDuration < C.MIN_RAMP_DURATION || rampDuration > C.MAX_RAMP_DURATION) revert InvalidRampDuration();
        RiskParams storage r = _risk[marketId];
        // A new ramp never ends before the one in progress, so re-submitting cannot speed a rise up.
        if (block.timestamp + rampDuration < r.rampEnd) revert InvalidRampDuration();
        TierState[MAX_TIERS] storage ts = _tiers[marketId];
        for (uint256 i; i < n; ++i) {
            // Today's value rounded down (the live requirement rounds up): repeated calls cannot ratchet it up.
            uint16 current = uint16(_rampedMm(ts[i], r, Math.Rounding.Floor));
            ts[i].imBps = imBps[i];
            // A rise ramps from today's value; a fall applies at once.
            ts[i].mmFromBps = mmBps[i] > current ? current : mmBps[i];
            ts[i].mmToBps = mmBps[i];
        }
        r.rampStart = uint64(block.timestamp);
        r.rampEnd = uint64(block.timestamp + rampDuration);
        _checkTiers(marketId, n);
        if (r.liquidationBonusBps >= ts[0].mmFromBps) revert InvalidLiquidationBonus();
        _emitTiers(marketId, n);
    }

    /// @inheritdoc IIsomarginEngine
    function setLiquidationParams(
        uint256 marketId,
        uint16 liquidationBonusBps,
        uint16 protocolFeeBps,
        uint16 closeFactorBps,
        uint128 minDebt
    ) external onlyOwner {
        _market(marketId);
        _setLiquidationParams(marketId, liquidationBonusBps, protocolFeeBps, closeFactorBps, minDebt);
    }

    /// @inheritdoc IIsomarginEngine
    function setInterestParams(uint256 marketId, RateModel calldata rateModel, uint16 reserveFactorBps)
        external
        onlyOwner
    {
        _market(marketId);
        _accrue(marketId);
        _state[marketId].lastAccrual = uint64(block.timestamp); // the new rates apply from now on only
        _setInterestParams(marketId, rateModel, reserveFactorBps);
        _emitState(marketId);
    }

    /// @inheritdoc IIsomarginEngine
    function setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) external onlyOwner {
        _market(marketId);
        _setCaps(marketId, supplyCap, borrowCap);
    }

    /// @inheritdoc IIsomarginEngine
    function setMaxOracleAge(uint256 marketId, uint32 maxOracleAge) external onlyOwner {
        _market(marketId);
        _setMaxOracleAge(marketId, maxOracleAge);
    }

    /// @inheritdoc IIsomarginEngine
    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc IIsomarginEngine
    function setPaused(uint256 marketId, bool paused) external onlyGuardianOrOwner {
        _market(marketId);
        _state[marketId].paused = paused;
        emit PauseSet(marketId, msg.sender, paused);
    }

    function _checkTiers(uint256 marketId, uint256 n) internal view {
        TierState[MAX_TIERS] storage ts = _tiers[marketId];
        for (uint256 i; i < n; ++i) {
            TierState storage t = ts[i];
            if (t.mmToBps < C.MIN_MARGIN_BPS || t.imBps <= t.mmToBps || t.imBps > C.MAX_MARGIN_BPS) {
                revert InvalidMargins();
            }
            if (i > 0 && (t.mmToBps < ts[i - 1].mmToBps || t.imBps < ts[i - 1].imBps)) {
                revert InvalidMargins();
            }
        }
    }

    function _setLiquidationParams(uint256 marketId, uint16 bonus, uint16 fee, uint16 closeFactor, uint128 minDebt)
        internal
    {
        // The bonus stays below the smallest maintenance margin, so a liquidation can restore health.
        if (bonus == 0 || bonus > C.MAX_LIQUIDATION_BONUS_BPS || bonus >= _tiers[marketId][0].mmFromBps) {
            revert InvalidLiquidationBonus();
        }
        if (fee > C.MAX_PROTOCOL_FEE_BPS) revert InvalidProtocolFee();
        if (closeFactor < C.MIN_CLOSE_FACTOR_BPS || closeFactor > C.BPS) revert InvalidCloseFactor();
        RiskParams storage r = _risk[marketId];
        (r.liquidationBonusBps, r.protocolFeeBps, r.closeFactorBps, r.minDebt) = (bonus, fee, closeFactor, minDebt);
        emit LiquidationParamsUpdated(marketId, bonus, fee, closeFactor, minDebt);
    }

    function _setInterestParams(uint256 marketId, RateModel calldata m, uint16 reserveFactorBps) internal {
        if (m.kink >= C.WAD) revert InvalidRateModel();
        if (uint256(m.baseRatePerSecond) + m.slope1PerSecond + m.slope2PerSecond > C.MAX_RATE_PER_SECOND) {
            revert InvalidRateModel();
        }
        if (reserveFactorBps > C.MAX_RESERVE_FACTOR_BPS) revert InvalidReserveFactor();
        _risk[marketId].rateModel = m;
        _risk[marketId].reserveFactorBps = reserveFactorBps;
        emit InterestParamsUpdated(marketId, m, reserveFactorBps);
    }

    function _setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) internal {
        (_risk[marketId].supplyCap, _risk[marketId].borrowCap) = (supplyCap, borrowCap);
        emit CapsUpdated(marketId, supplyCap, borrowCap);
    }

    function _setMaxOracleAge(uint256 marketId, uint32 age) internal {
        if (age < C.MIN_ORACLE_AGE || age > C.MAX_ORACLE_AGE) revert InvalidOracleAge();
        _risk[marketId].maxOracleAge = age;
        emit MaxOracleAgeUpdated(marketId, age);
    }

    function _decimals(address token) internal view returns (uint8 d) {
        d = IERC20Metadata(token).decimals();
        if (d > C.MAX_TOKEN_DECIMALS) revert UnsupportedDecimals(token, d);
    }

    /* VAULTS */

    /// @inheritdoc IIsomarginEngine
    function setOperator(address operator, bool approved) external {
        isOperator[msg.sender][operator] = approved;
        emit OperatorSet(msg.sender, operator, approved);
    }

    /// @inheritdoc IIsomarginEngine
    function openVault(uint256 marketId, uint256 collateral, uint256 borrowAssets)
        external
        nonReentrant
        returns (uint256 vaultId)
    {
        _market(marketId);
        _notPaused(marketId);
        vaultId = ++vaultCount;
        _vaults[vaultId] = Vault({owner: msg.sender, marketId: uint64(marketId), closed: false, collateral: 0, debtShares: 0});
        emit VaultOpened(vaultId, marketId, msg.sender);
        if (collateral > 0) _depositCollateral(vaultId, _vaults[vaultId], collateral);
        if (borrowAssets > 0) _borrow(vaultId, _vaults[vaultId], borrowAssets, msg.sender);
    }

    /// @inheritdoc IIsomarginEngine
    function depositCollateral(uint256 vaultId, uint256 amount) external nonReentrant {
        _depositCollateral(vaultId, _openVault(vaultId), amount);
    }

    function _depositCollateral(uint256 vaultId, Vault storage v, uint256 amount) internal {
        if (amount == 0) revert ZeroAmount();
        v.collateral = (v.collateral + amount).toUint128();
        emit CollateralDeposited(vaultId, msg.sender, amount, v.collateral);
        IERC20(_config[v.marketId].collateralToken).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IIsomarginEngine
    function withdrawCollateral(uint256 vaultId, uint256 amount, address receiver) external nonReentrant {
        Vault storage v = _openVault(vaultId);
        _authorized(vaultId, v);
        uint256 marketId = v.marketId;
        _notPaused(marketId);
        if (amount == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        if (amount > v.collateral) revert InsufficientCollateral(vaultId, amount, v.collateral);
        _accrue(marketId);

        v.collateral -= uint128(amount);
        if (v.debtShares > 0) _checkInitialMargin(vaultId, v, _price(marketId));

        emit CollateralWithdrawn(vaultId, msg.sender, receiver, amount, v.collateral);
        _emitState(marketId);
        IERC20(_config[marketId].collateralToken).safeTransfer(receiver, amount);
    }

    /// @inheritdoc IIsomarginEngine
    function borrow(uint256 vaultId, uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        Vault storage v = _openVault(vaultId);
        _authorized(vaultId, v);
        if (receiver == address(0)) revert ZeroAddress();
        return _borrow(vaultId, v, assets, receiver);
    }

    function _borrow(uint256 vaultId, Vault storage v, uint256 assets, address receiver) internal returns (uint256 shares) {
        uint256 marketId = v.marketId;
        _notPaused(marketId);
        if (assets == 0) revert ZeroAmount();
        _accrue(marketId);
        MarketState storage s = _state[marketId];

        // Rounds up: the borrower owes at least what was lent.
        shares = assets.toSharesUp(s.totalBorrowAssets, s.totalBorrowShares);
        v.debtShares = (v.debtShares + shares).toUint128();
        s.totalBorrowShares = (s.totalBorrowShares + shares).toUint128();
        s.totalBorrowAssets = (s.totalBorrowAssets + assets).toUint128();

        if (s.totalBorrowAssets > s.totalSupplyAssets) {
            revert InsufficientLiquidity(marketId, assets, _zeroFloorSub(s.totalSupplyAssets, s.totalBorrowAssets - assets));
        }
        if (s.totalBorrowAssets > _risk[marketId].borrowCap) {
            revert BorrowCapExceeded(marketId, s.totalBorrowAssets, _risk[marketId].borrowCap);
        }
        uint256 debt = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        if (debt < _risk[marketId].minDebt) revert DebtBelowMinimum(vaultId, debt, _risk[marketId].minDebt);
        _checkInitialMargin(vaultId, v, _price(marketId));

        emit Borrowed(vaultId, msg.sender, receiver, assets, shares, v.debtShares);
        _emitState(marketId);
        IERC20(_config[marketId].loanToken).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IIsomarginEngine
    function repay(uint256 vaultId, uint256 assets) external nonReentrant returns (uint256, uint256) {
        if (assets == 0) revert ZeroAmount();
        Vault storage v = _openVault(vaultId);
        return _repay(vaultId, v, assets);
    }

    function _repay(uint256 vaultId, Vault storage v, uint256 assets)
        internal
        returns (uint256 repaidAssets, uint256 repaidShares)
    {
        uint256 marketId = v.marketId;
        _accrue(marketId);
        MarketState storage s = _state[marketId];
        uint256 debt = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        if (assets >= debt) {
            (repaidAssets, repaidShares) = (debt, v.debtShares);
        } else {
            // Rounds down: the repayment removes at most the debt it pays for.
            repaidShares = assets.toSharesDown(s.totalBorrowAssets, s.totalBorrowShares);
            if (repaidShares == 0) revert ZeroAmount();
            repaidAssets = assets;
        }
        if (repaidShares == 0) {
            _emitState(marketId); // nothing to repay, but interest was accrued
            return (0, 0);
        }

        v.debtShares -= uint128(repaidShares);
        s.totalBorrowShares -= uint128(repaidShares);
        s.totalBorrowAssets = uint128(_zeroFloorSub(s.totalBorrowAssets, repaidAssets));
        uint256 debtAfter = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 minDebt = _risk[marketId].minDebt;
        // A vault already below the floor (minDebt was raised) may still repay in part: that only lowers risk.
        if (debtAfter > 0 && debtAfter < minDebt && debt >= minDebt) {
            revert DebtBelowMinimum(vaultId, debtAfter, minDebt);
        }

        emit Repaid(vaultId, msg.sender, repaidAssets, repaidShares, v.debtShares);
        _emitState(marketId);
        IERC20(_config[marketId].loanToken).safeTransferFrom(msg.sender, address(this), repaidAssets);
    }

    /// @inheritdoc IIsomarginEngine
    function closeVault(uint256 vaultId, address receiver)
        external
        nonReentrant
        returns (uint256 repaidAssets, uint256 collateral)
    {
        Vault storage v = _openVault(vaultId);
        _authorized(vaultId, v);
        if (receiver == address(0)) revert ZeroAddress();
        if (v.debtShares > 0) (repaidAssets,) = _repay(vaultId, v, type(uint256).max);

        collateral = v.collateral;
        v.collateral = 0;
        v.closed = true;
        emit VaultClosed(vaultId, msg.sender, receiver, collateral);
        if (collateral > 0) IERC20(_config[v.marketId].collateralToken).safeTransfer(receiver, collateral);
    }

    /* LENDERS */

    /// @inheritdoc IIsomarginEngine
    function supply(uint256 marketId, uint256 assets, address onBehalf) external nonReentrant returns (uint256 shares) {
        _market(marketId);
        _notPaused(marketId);
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrue(marketId);
        MarketState storage s = _state[marketId];

        // Rounds down: a lender never gets more shares than the assets buy.
        shares = assets.toSharesDown(s.totalSupplyAssets, s.totalSupplyShares);
        if (shares == 0) revert ZeroAmount();
        s.totalSupplyAssets = (s.totalSupplyAssets + assets).toUint128();
        s.totalSupplyShares = (s.totalSupplyShares + shares).toUint128();
        if (s.totalSupplyAssets > _risk[marketId].supplyCap) {
            revert SupplyCapExceeded(marketId, s.totalSupplyAssets, _risk[marketId].supplyCap);
        }
        uint256 after_ = supplyShares[marketId][onBehalf] += shares;

        emit Supplied(marketId, msg.sender, onBehalf, assets, shares, after_);
        _emitState(marketId);
        IERC20(_config[marketId].loanToken).safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc IIsomarginEngine
    function withdraw(uint256 marketId, uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        _market(marketId);
        if (assets == 0) revert ZeroAmount();
        _accrue(marketId);
        MarketState storage s = _state[marketId];
        // Rounds up: a lender burns at least the shares the assets are worth.
        shares = assets.toSharesUp(s.totalSupplyAssets, s.totalSupplyShares);
        _withdraw(marketId, assets, shares, receiver);
    }

    /// @inheritdoc IIsomarginEngine
    function redeem(uint256 marketId, uint256 shares, address receiver) external nonReentrant returns (uint256 assets) {
        _market(marketId);
        if (shares == 0) revert ZeroAmount();
        _accrue(marketId);
        MarketState storage s = _state[marketId];
        // Rounds down: a lender receives at most what the shares are worth.
        assets = shares.toAssetsDown(s.totalSupplyAssets, s.totalSupplyShares);
        if (assets == 0) revert ZeroAmount();
        _withdraw(marketId, assets, shares, receiver);
    }

    function _withdraw(uint256 marketId, uint256 assets, uint256 shares, address receiver) internal {
        if (receiver == address(0)) revert ZeroAddress();
        MarketState storage s = _state[marketId];
        uint256 held = supplyShares[marketId][msg.sender];
        if (shares > held) revert InsufficientShares(marketId, shares, held);
        // Reserve accrual can push total borrow above total supply: then there is no lender liquidity.
        uint256 liquidity = _zeroFloorSub(s.totalSupplyAssets, s.totalBorrowAssets);
        if (assets > liquidity) revert InsufficientLiquidity(marketId, assets, liquidity);

        supplyShares[marketId][msg.sender] = held - shares;
        s.totalSupplyShares -= uint128(shares);
        s.totalSupplyAssets -= uint128(assets);

        emit Withdrawn(marketId, msg.sender, receiver, assets, shares, held - shares);
        _emitState(marketId);
        IERC20(_config[marketId].loanToken).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IIsomarginEngine
    function fundInsurance(uint256 marketId, uint256 amount) external nonReentrant {
        _market(marketId);
        if (amount == 0) revert ZeroAmount();
        _accrue(marketId);
        MarketState storage s = _state[marketId];
        s.insuranceFund = (s.insuranceFund + amount).toUint128();
        emit InsuranceFunded(marketId, msg.sender, amount);
        _emitState(marketId);
        IERC20(_config[marketId].loanToken).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IIsomarginEngine
    function accrueInterest(uint256 marketId) external nonReentrant {
        _market(marketId);
        _accrue(marketId);
        _emitState(marketId);
    }

    /* LIQUIDATION */

    /// @inheritdoc IIsomarginEngine
    function liquidate(uint256 vaultId, uint256 maxRepayAssets, address receiver, bytes calldata data)
        external
        nonReentrant
        returns (uint256 repaidAssets, uint256 seizedCollateral)
    {
        Vault storage v = _openVault(vaultId);
        if (maxRepayAssets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        uint256 marketId = v.marketId;
        _accrue(marketId);
        uint256 price_ = _price(marketId);
        Margins memory m = _margins(marketId);
        if (!_liquidatable(v, _state[marketId], price_, m)) revert VaultHealthy(vaultId);

        LiquidationResult memory r = _liquidate(vaultId, v, marketId, maxRepayAssets, price_);
        if (r.seized == 0) revert ZeroAmount();
        _emitState(marketId);
        _settle(marketId, receiver, r.seized, r.repaidAssets + r.fee, data);
        return (r.repaidAssets, r.seized);
    }

    /// @inheritdoc IIsomarginEngine
    function liquidateBatch(uint256 marketId, uint256[] calldata vaultIds, address receiver, bytes calldata data)
        external
        nonReentrant
        returns (uint256, uint256, uint256, uint256)
    {
        _market(marketId);
        if (vaultIds.length > C.MAX_BATCH) revert BatchTooLarge(vaultIds.length, C.MAX_BATCH);
        if (receiver == address(0)) revert ZeroAddress();
        _accrue(marketId);
        (uint256 liquidated, LiquidationResult memory t) = _liquidateMany(marketId, vaultIds);
        _emitState(marketId);
        if (liquidated > 0) _settle(marketId, receiver, t.seized, t.repaidAssets + t.fee, data);
        return (liquidated, t.repaidAssets, t.seized, t.fee);
    }

    function _liquidateMany(uint256 marketId, uint256[] calldata vaultIds)
        internal
        returns (uint256 liquidated, LiquidationResult memory total)
    {
        uint256 price_ = _price(marketId);
        Margins memory m = _margins(marketId);
        MarketState storage s = _state[marketId];
        for (uint256 i; i < vaultIds.length; ++i) {
            Vault storage v = _vaults[vaultIds[i]];
            if (v.owner == address(0) || v.closed || v.marketId != marketId || !_liquidatable(v, s, price_, m)) {
                continue;
            }
            LiquidationResult memory r = _liquidate(vaultIds[i], v, marketId, type(uint256).max, price_);
            if (r.seized == 0) continue; // too small to seize one collateral unit yet
            ++liquidated;
            total.repaidAssets += r.repaidAssets;
            total.seized += r.seized;
            total.fee += r.fee;
        }
    }

    /// @dev Effects of one liquidation; the caller has checked the vault is liquidatable and settles the tokens.
    function _liquidate(
        uint256 vaultId,
        Vault storage v,
        uint256 marketId,
        uint256 maxRepayAssets,
        uint256 price_
    ) internal returns (LiquidationResult memory r) {
        MarketState storage s = _state[marketId];
        RiskParams storage rp = _risk[marketId];
        uint256 bonus = rp.liquidationBonusBps;
        uint256 debt = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 collateral = v.collateral;

        (uint256 maxRepay, bool underwater) =
            _liquidationMaxRepay(debt, _value(collateral, price_), bonus, rp.closeFactorBps, rp.minDebt);
        r.repaidAssets = underwater ? maxRepay : Math.min(maxRepayAssets, maxRepay);
        // Seized collateral rounds down, against the liquidator who chooses the amount: rounding up would let tiny
        // repayments each take a whole unit of a coarse collateral (e.g. 0 decimals) from the passive owner.
        r.seized = Math.mulDiv(r.repaidAssets * (C.BPS + bonus), C.PRICE_SCALE, C.BPS * price_);
        if (r.seized > collateral) {
            // Not enough collateral for the bonus: take all of it and repay what it is worth (rounded down).
            r.seized = collateral;
            r.repaidAssets = Math.mulDiv(_value(collateral, price_), C.BPS, C.BPS + bonus);
        }
        if (r.repaidAssets >= debt) {
            (r.repaidAssets, r.repaidShares) = (debt, v.debtShares);
        } else {
            // Rounds down: a repayment removes at most the debt it pays for.
            r.repaidShares = r.repaidAssets.toSharesDown(s.totalBorrowAssets, s.totalBorrowShares);
        }
        // Nothing to seize, or a repayment too small to remove a debt share (outside a write-off): no effect at all.
        if (r.seized == 0 || (r.repaidShares == 0 && r.seized < collateral)) return LiquidationResult(0, 0, 0, 0);
        // Protocol fee, in loan tokens on top of the repayment, rounded up (in the insurance fund's favour).
        r.fee = Math.mulDiv(r.repaidAssets, bonus * rp.protocolFeeBps, C.BPS * C.BPS, Math.Rounding.Ceil);

        v.collateral = uint128(collateral - r.seized);
        v.debtShares -= uint128(r.repaidShares);
        s.totalBorrowShares -= uint128(r.repaidShares);
        s.totalBorrowAssets = uint128(_zeroFloorSub(s.totalBorrowAssets, r.repaidAssets));
        s.insuranceFund = (s.insuranceFund + r.fee).toUint128();

        if (v.debtShares > 0) {
            if (v.collateral == 0) {
                _realizeBadDebt(vaultId, v, marketId, s);
            } else {
                uint256 debtAfter = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
                if (debtAfter < rp.minDebt) revert DebtBelowMinimum(vaultId, debtAfter, rp.minDebt);
            }
        }
        // After any bad-debt write-off, so the event carries the vault's final state.
        _emitLiquidated(vaultId, marketId, r, v);
    }

    function _emitLiquidated(uint256 vaultId, uint256 marketId, LiquidationResult memory r, Vault storage v) internal {
        emit Liquidated(
            vaultId, marketId, msg.sender, r.repaidAssets, r.repaidShares, r.seized, r.fee, v.collateral, v.debtShares
        );
    }

    /// @dev Writes off the remaining debt of a vault without collateral: insurance fund first, then lenders.
    function _realizeBadDebt(uint256 vaultId, Vault storage v, uint256 marketId, MarketState storage s) internal {
        uint256 shares = v.debtShares;
        uint256 bad = Math.min(shares.toAssetsUp(s.totalBorrowAssets, s.totalBorrowShares), s.totalBorrowAssets);
        uint256 covered = Math.min(bad, s.insuranceFund);
        uint256 socialized = bad - covered;

        v.debtShares = 0;
        s.totalBorrowShares -= uint128(shares);
        s.totalBorrowAssets -= uint128(bad);
        s.insuranceFund -= uint128(covered);
        s.totalSupplyAssets = uint128(_zeroFloorSub(s.totalSupplyAssets, socialized));
        emit BadDebtRealized(vaultId, marketId, bad, shares, covered, socialized);
    }

    /// @dev Interactions of a liquidation: collateral out, optional callback, loan tokens in.
    function _settle(uint256 marketId, address receiver, uint256 seized, uint256 owed, bytes calldata data) internal {
        MarketConfig storage cfg = _config[marketId];
        if (seized > 0) IERC20(cfg.collateralToken).safeTransfer(receiver, seized);
        if (data.length > 0) ILiquidationCallback(msg.sender).onIsomarginLiquidation(marketId, seized, owed, data);
        if (owed > 0) IERC20(cfg.loanToken).safeTransferFrom(msg.sender, address(this), owed);
    }

    /// @notice Largest repayment one liquidation may make: `closeFactor x D`, or all of `D` when the rest would be
    /// below `minDebt` or the vault is so deep underwater that its collateral cannot pay the bonus on `D`. In the
    /// last case `underwater` is true and the liquidation takes everything whatever the liquidator's cap: a partial
    /// one would leave dust collateral under debt that no one would ever write off.
    function _liquidationMaxRepay(uint256 debt, uint256 value, uint256 bonusBps, uint256 closeFactorBps, uint256 minDebt)
        internal
        pure
        returns (uint256, bool underwater)
    {
        underwater = value * C.BPS < debt * (C.BPS + bonusBps);
        uint256 partial_ = Math.mulDiv(debt, closeFactorBps, C.BPS);
        // `<=` (not `<`): share rounding may leave one unit less than `debt - partial_`, still at least `minDebt`.
        if (partial_ == 0 || debt - partial_ <= minDebt || underwater) return (debt, underwater);
        return (partial_, false);
    }

    /* INTEREST */

    function _accrue(uint256 marketId) internal {
        MarketState storage s = _state[marketId];
        (uint256 rate, uint256 interest, uint256 reserve) = _pendingInterest(marketId, s);
        if (s.lastAccrual == block.timestamp) return;
        // While the interest rounds to zero, keep the elapsed time: per-block accruals must not erase it.
        if (interest == 0 && s.totalBorrowAssets > 0) return;
        s.lastAccrual = uint64(block.timestamp);
        if (interest == 0) return;
        s.totalBorrowAssets = (s.totalBorrowAssets + interest).toUint128();
        s.totalSupplyAssets = (s.totalSupplyAssets + interest - reserve).toUint128();
        s.insuranceFund = (s.insuranceFund + reserve).toUint128();
        emit InterestAccrued(marketId, rate, interest, reserve);
    }

    /// @dev Interest since the last accrual and the reserve part of it (both rounded down, see InterestLib).
    function _pendingInterest(uint256 marketId, MarketState storage s)
        internal
        view
        returns (uint256 rate, uint256 interest, uint256 reserve)
    {
        uint256 elapsed = block.timestamp - s.lastAccrual;
        if (elapsed == 0 || s.totalBorrowAssets == 0) return (0, 0, 0);
        RiskParams storage r = _risk[marketId];
        return InterestLib.accrued(r.rateModel, s.totalBorrowAssets, s.totalSupplyAssets, elapsed, r.reserveFactorBps);
    }

    function _expectedState(uint256 marketId) internal view returns (MarketState memory e) {
        MarketState storage s = _state[marketId];
        (, uint256 interest, uint256 reserve) = _pendingInterest(marketId, s);
        e = s;
        if (interest == 0 && s.totalBorrowAssets > 0) return e; // as _accrue: the elapsed time is kept
        e.lastAccrual = uint64(block.timestamp);
        e.totalBorrowAssets = (e.totalBorrowAssets + interest).toUint128();
        e.totalSupplyAssets = (e.totalSupplyAssets + interest - reserve).toUint128();
        e.insuranceFund = (e.insuranceFund + reserve).toUint128();
    }

    function _emitState(uint256 marketId) internal {
        MarketState storage s = _state[marketId];
        emit MarketStateUpdated(
            marketId,
            s.totalSupplyAssets,
            s.totalSupplyShares,
            s.totalBorrowAssets,
            s.totalBorrowShares,
            s.insuranceFund,
            s.lastAccrual
        );
    }

    /* PRICE AND MARGIN */

    /// @dev Oracle price scaled to loan base units per collateral base unit x 1e36; reverts with a custom error on a
    /// non-positive, timestamp-less, future, stale or absurdly large answer.
    function _price(uint256 marketId) internal view returns (uint256) {
        MarketConfig storage cfg = _config[marketId];
        (, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(cfg.oracle).latestRoundData();
        if (answer <= 0) revert OracleAnswerNotPositive(answer);
        if (updatedAt == 0) revert OracleNoTimestamp();
        if (updatedAt > block.timestamp) revert OracleUpdatedInFuture(updatedAt);
        uint256 maxAge = _risk[marketId].maxOracleAge;
        if (block.timestamp - updatedAt > maxAge) revert OracleStale(updatedAt, maxAge);
        if (uint256(answer) > C.MAX_SCALED_PRICE / cfg.priceScale) revert OracleAnswerTooLarge(answer);
        return uint256(answer) * cfg.priceScale;
    }

    /// @dev Collateral value in loan units, rounded down (against the owner).
    function _value(uint256 collateral, uint256 price_) internal pure returns (uint256) {
        return Math.mulDiv(collateral, price_, C.PRICE_SCALE);
    }

    /// @dev Debt in loan units, rounded up (against the owner).
    function _debt(uint256 shares, uint256 totalBorrowAssets, uint256 totalBorrowShares)
        internal
        pure
        returns (uint256)
    {
        return shares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
    }

    /// @dev Rounds up: during a ramp the requirement is never below the straight line.
    function _effectiveMm(TierState storage t, RiskParams storage r) internal view returns (uint256) {
        return _rampedMm(t, r, Math.Rounding.Ceil);
    }

    function _rampedMm(TierState storage t, RiskParams storage r, Math.Rounding rounding)
        internal
        view
        returns (uint256)
    {
        if (block.timestamp >= r.rampEnd || t.mmToBps == t.mmFromBps) return t.mmToBps;
        return t.mmFromBps
            + Math.mulDiv(t.mmToBps - t.mmFromBps, block.timestamp - r.rampStart, r.rampEnd - r.rampStart, rounding);
    }

    function _margins(uint256 marketId) internal view returns (Margins memory m) {
        uint256 n = _config[marketId].tierCount;
        RiskParams storage r = _risk[marketId];
        TierState[MAX_TIERS] storage ts = _tiers[marketId];
        m.minValues = new uint256[](n);
        m.im = new uint256[](n);
        m.mm = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            m.minValues[i] = ts[i].minValue;
            m.im[i] = ts[i].imBps;
            m.mm[i] = _effectiveMm(ts[i], r);
        }
    }

    function _liquidatable(Vault storage v, MarketState storage s, uint256 price_, Margins memory m)
        internal
        view
        returns (bool)
    {
        if (v.debtShares == 0) return false;
        return _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares) > MarginLib.maxDebt(_value(v.collateral, price_), m.minValues, m.mm);
    }

    function _checkInitialMargin(uint256 vaultId, Vault storage v, uint256 price_) internal view {
        Margins memory m = _margins(v.marketId);
        uint256 debt = _debt(v.debtShares, _state[v.marketId].totalBorrowAssets, _state[v.marketId].totalBorrowShares);
        uint256 maxDebt_ = MarginLib.maxDebt(_value(v.collateral, price_), m.minValues, m.im);
        if (debt > maxDebt_) revert InsufficientMargin(vaultId, debt, maxDebt_);
    }

    function _zeroFloorSub(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : 0;
    }

    function _emitTiers(uint256 marketId, uint256 n) internal {
        RiskParams storage r = _risk[marketId];
        for (uint256 i; i < n; ++i) {
            TierState storage t = _tiers[marketId][i];
            emit TierSet(marketId, i, t.minValue, t.imBps, t.mmFromBps, t.mmToBps, r.rampStart, r.rampEnd);
        }
    }

    /* VIEWS */

    /// @inheritdoc IIsomarginEngine
    function marketConfig(uint256 marketId) external view returns (MarketConfig memory) {
        return _config[marketId];
    }

    /// @inheritdoc IIsomarginEngine
    function riskParams(uint256 marketId) external view returns (RiskParams memory) {
        return _risk[marketId];
    }

    /// @inheritdoc IIsomarginEngine
    function tier(uint256 marketId, uint256 index) external view returns (TierState memory) {
        return _tiers[marketId][index];
    }

    /// @inheritdoc IIsomarginEngine
    function marketState(uint256 marketId) external view returns (MarketState memory) {
        return _state[marketId];
    }

    /// @inheritdoc IIsomarginEngine
    function expectedMarketState(uint256 marketId) external view returns (MarketState memory) {
        return _expectedState(marketId);
    }

    /// @inheritdoc IIsomarginEngine
    function vault(uint256 vaultId) external view returns (Vault memory) {
        return _vaults[vaultId];
    }

    /// @inheritdoc IIsomarginEngine
    function price(uint256 marketId) external view returns (uint256) {
        _market(marketId);
        return _price(marketId);
    }

    /// @inheritdoc IIsomarginEngine
    function debtOf(uint256 vaultId) public view returns (uint256) {
        Vault storage v = _vaults[vaultId];
        MarketState memory s = _expectedState(v.marketId);
        return _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
    }

    /// @dev Debt (accrued to now, rounded up) and the largest debt the vault may carry at the oracle price.
    function _debtAndMaxDebt(uint256 vaultId) internal view returns (uint256 debt, uint256 maxDebt_) {
        Vault storage v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        debt = debtOf(vaultId);
        if (debt == 0) return (0, 0);
        Margins memory m = _margins(v.marketId);
        maxDebt_ = MarginLib.maxDebt(_value(v.collateral, _price(v.marketId)), m.minValues, m.mm);
    }

    /// @inheritdoc IIsomarginEngine
    function health(uint256 vaultId) external view returns (uint256) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        return debt == 0 ? type(uint256).max : Math.mulDiv(maxDebt_, C.WAD, debt);
    }

    /// @inheritdoc IIsomarginEngine
    function isLiquidatable(uint256 vaultId) external view returns (bool) {
        (uint256 debt, uint256 maxDebt_) = _debtAndMaxDebt(vaultId);
        return debt > maxDebt_;
    }

    /// @inheritdoc IIsomarginEngine
    function liquidationPrice(uint256 vaultId) external view returns (uint256) {
        Vault storage v = _vaults[vaultId];
        uint256 debt = debtOf(vaultId);
        if (debt == 0) return 0;
        if (v.collateral == 0) return type(uint256).max;
        Margins memory m = _margins(v.marketId);
        uint256 valueStar = MarginLib.valueAtMaxDebt(debt, m.minValues, m.mm);
        // answer = V* x 1e36 / collateral / priceScale, each division rounded up.
        uint256 scaled = Math.mulDiv(valueStar, C.PRICE_SCALE, v.collateral, Math.Rounding.Ceil);
        return Math.ceilDiv(scaled, _config[v.marketId].priceScale);
    }
}

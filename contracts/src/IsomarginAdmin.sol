// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IIsomarginEngine, MarketParams, RiskUpdate, RateModel} from "./interfaces/IIsomarginEngine.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {ConstantsLib as C, MAX_TIERS} from "./libraries/ConstantsLib.sol";
import {IsomarginStorage} from "./IsomarginStorage.sol";

/// @title IsomarginAdmin
/// @notice The owner's market levers (create a market, margins, the risk timelock, caps), moved out of the engine's
/// runtime code so the engine stays well under EIP-170. The engine deploys this module in its constructor and
/// DELEGATECALLs it for these entry points only, so the code runs in the engine's storage with the engine's
/// `msg.sender` and emits the engine's events from the engine's address. Called directly, it only ever touches
/// its own empty storage. NatSpec of each entry point: IIsomarginEngine.
contract IsomarginAdmin is IsomarginStorage {
    constructor() Ownable(msg.sender) {}

    /// @notice See IIsomarginEngine.
    function createMarket(MarketParams calldata p) external onlyOwner returns (uint256 marketId) {
        if (p.loanToken == address(0) || p.collateralToken == address(0) || p.oracle == address(0)) revert IIsomarginEngine.ZeroAddress();
        if (p.loanToken == p.collateralToken) revert IIsomarginEngine.SameTokens();
        uint256 n = p.tiers.length;
        if (n == 0 || n > MAX_TIERS) revert IIsomarginEngine.InvalidTierCount();
        if (p.tiers[0].minValue != 0) revert IIsomarginEngine.InvalidTierThresholds();

        uint8 loanDec = _decimals(p.loanToken);
        uint8 collDec = _decimals(p.collateralToken);
        uint8 feedDec = AggregatorV3Interface(p.oracle).decimals();
        if (feedDec > C.MAX_TOKEN_DECIMALS) revert IIsomarginEngine.UnsupportedDecimals(p.oracle, feedDec);
        // 36 + loanDec - collDec - feedDec must be in [0, 72] so the scale is an integer that fits.
        if (uint256(collDec) + feedDec > 36 + uint256(loanDec)) revert IIsomarginEngine.UnsupportedDecimalsCombination();
        uint256 exponent = 36 + uint256(loanDec) - collDec - feedDec;
        // Above 1e48 the price bound (MAX_SCALED_PRICE) would leave less than 1e12 usable oracle answers.
        if (exponent > 48) revert IIsomarginEngine.UnsupportedDecimalsCombination();

        marketId = ++_marketCount;
        // The risk parameters and caps are written below, once checked.
        StoredConfig storage cfg = _config[marketId];
        (cfg.loanToken, cfg.tierCount, cfg.priceExponent) = (p.loanToken, uint8(n), uint8(exponent));
        (cfg.oracle, cfg.loanDecimals, cfg.collateralDecimals, cfg.oracleDecimals) = (p.oracle, loanDec, collDec, feedDec);
        cfg.collateralToken = p.collateralToken;
        StoredTier[MAX_TIERS] storage ts = _tiers[marketId];
        for (uint256 i; i < n; ++i) {
            if (i > 0 && p.tiers[i].minValue <= p.tiers[i - 1].minValue) revert IIsomarginEngine.InvalidTierThresholds();
            // Tier 0's threshold is 0 (checked above): its field is minDebt's, written by _applyRisk below.
            ts[i] = StoredTier(p.tiers[i].minValue, p.tiers[i].imBps, p.tiers[i].mmBps, p.tiers[i].mmBps, 0, 0);
        }
        _checkTiers(marketId, n);
        _state[marketId].lastAccrual = uint40(block.timestamp);

        emit IIsomarginEngine.MarketCreated(marketId, p.loanToken, p.collateralToken, p.oracle, 10 ** exponent);
        RiskUpdate memory risk = RiskUpdate(
            p.maxOracleAge,
            p.liquidationBonusBps,
            p.protocolFeeBps,
            p.closeFactorBps,
            p.reserveFactorBps,
            p.minDebt,
            p.rateModel
        );
        _checkRisk(marketId, risk); // after the tiers are stored: the bonus must stay below tier 0's margin
        _applyRisk(marketId, risk);
        _setCaps(marketId, p.supplyCap, p.borrowCap);
        _emitTiers(marketId, n);
        _emitState(marketId);
    }

    /// @notice See IIsomarginEngine.
    function setMarginTiers(uint256 marketId, uint16[] calldata imBps, uint16[] calldata mmBps, uint32 rampDuration)
        external
        onlyOwner
    {
        uint256 n = _market(marketId).tierCount;
        if (imBps.length != n || mmBps.length != n) revert IIsomarginEngine.InvalidTierCount();
        if (rampDuration < C.MIN_RAMP_DURATION || rampDuration > C.MAX_RAMP_DURATION) revert IIsomarginEngine.InvalidRampDuration();
        StoredTier[MAX_TIERS] storage ts = _tiers[marketId];
        // A new ramp never ends before the one in progress, so re-submitting cannot speed a rise up.
        if (block.timestamp + rampDuration < ts[0].rampEnd) revert IIsomarginEngine.InvalidRampDuration();
        for (uint256 i; i < n; ++i) {
            StoredTier storage t = ts[i];
            // Today's value rounded down (the live requirement rounds up): repeated calls cannot ratchet it up.
            uint16 current = uint16(_rampedMm(t, Math.Rounding.Floor));
            t.imBps = imBps[i];
            // A rise ramps from today's value; a fall applies at once.
            t.mmFromBps = mmBps[i] > current ? current : mmBps[i];
            t.mmToBps = mmBps[i];
            t.rampStart = uint40(block.timestamp);
            t.rampEnd = uint40(block.timestamp + rampDuration);
        }
        _checkTiers(marketId, n);
        if (_config[marketId].liquidationBonusBps >= ts[0].mmFromBps) revert IIsomarginEngine.InvalidLiquidationBonus();
        _emitTiers(marketId, n);
    }

    /// @notice See IIsomarginEngine.
    function setRiskParams(uint256 marketId, RiskUpdate calldata u) external onlyOwner returns (uint64 executableAt) {
        _market(marketId);
        _checkRisk(marketId, u);
        if (_loosens(marketId, u)) {
            // An immediate change withdraws any pending proposal: it cannot be revived later with stale values.
            if (_pending[marketId].executableAt != 0) {
                delete _pending[marketId];
                emit IIsomarginEngine.RiskParamsCancelled(marketId);
            }
            _applyRisk(marketId, u);
            return uint64(block.timestamp);
        }
        executableAt = uint64(block.timestamp + C.RISK_TIMELOCK);
        _pending[marketId] = PendingChange(u, executableAt);
        emit IIsomarginEngine.RiskParamsProposed(marketId, u, executableAt);
    }

    /// @notice See IIsomarginEngine.
    function executeRiskParams(uint256 marketId) external nonReentrant {
        PendingChange storage pc = _pending[marketId];
        uint256 at = pc.executableAt;
        if (at == 0) revert IIsomarginEngine.NoPendingChange(marketId);
        if (block.timestamp < at) revert IIsomarginEngine.TimelockNotElapsed(marketId, at);
        RiskUpdate memory u = pc.update;
        delete _pending[marketId];
        _checkRisk(marketId, u);
        emit IIsomarginEngine.RiskParamsExecuted(marketId, msg.sender);
        _applyRisk(marketId, u);
    }

    /// @notice See IIsomarginEngine.
    function cancelRiskParams(uint256 marketId) external onlyOwner {
        if (_pending[marketId].executableAt == 0) revert IIsomarginEngine.NoPendingChange(marketId);
        delete _pending[marketId];
        emit IIsomarginEngine.RiskParamsCancelled(marketId);
    }

    /// @notice See IIsomarginEngine.
    function setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) external onlyOwner {
        _market(marketId);
        _setCaps(marketId, supplyCap, borrowCap);
    }

    function _checkTiers(uint256 marketId, uint256 n) internal view {
        StoredTier[MAX_TIERS] storage ts = _tiers[marketId];
        for (uint256 i; i < n; ++i) {
            StoredTier storage t = ts[i];
            if (t.mmToBps < C.MIN_MARGIN_BPS || t.imBps <= t.mmToBps || t.imBps > C.MAX_MARGIN_BPS) {
                revert IIsomarginEngine.InvalidMargins();
            }
            if (i > 0 && (t.mmToBps < ts[i - 1].mmToBps || t.imBps < ts[i - 1].imBps)) {
                revert IIsomarginEngine.InvalidMargins();
            }
        }
    }

    /// @dev Bounds of a risk change; the bonus stays below the smallest maintenance margin so a liquidation can
    /// restore health.
    function _checkRisk(uint256 marketId, RiskUpdate memory u) internal view {
        if (u.maxOracleAge < C.MIN_ORACLE_AGE || u.maxOracleAge > C.MAX_ORACLE_AGE) revert IIsomarginEngine.InvalidOracleAge();
        uint256 bonus = u.liquidationBonusBps;
        if (bonus == 0 || bonus > C.MAX_LIQUIDATION_BONUS_BPS || bonus >= _tiers[marketId][0].mmFromBps) {
            revert IIsomarginEngine.InvalidLiquidationBonus();
        }
        if (u.protocolFeeBps > C.MAX_PROTOCOL_FEE_BPS) revert IIsomarginEngine.InvalidProtocolFee();
        if (u.closeFactorBps < C.MIN_CLOSE_FACTOR_BPS || u.closeFactorBps > C.BPS) revert IIsomarginEngine.InvalidCloseFactor();
        RateModel memory m = u.rateModel;
        if (m.kink >= C.WAD) revert IIsomarginEngine.InvalidRateModel();
        if (uint256(m.baseRatePerSecond) + m.slope1PerSecond + m.slope2PerSecond > C.MAX_RATE_PER_SECOND) {
            revert IIsomarginEngine.InvalidRateModel();
        }
        if (u.reserveFactorBps > C.MAX_RESERVE_FACTOR_BPS) revert IIsomarginEngine.InvalidReserveFactor();
    }

    /// @dev True when no field of `u` can hurt an open vault compared with today's values: every one at or below
    /// today's, and a rate model whose rate is at or below today's at every utilization (base and slopes at or
    /// below, kink at or above). `maxOracleAge` must stay the same: a longer age lets liquidations use older prices,
    /// and a shorter one can stop liquidations at once (every feed update older than it is refused), so any change
    /// of it waits out the timelock.
    function _loosens(uint256 marketId, RiskUpdate calldata u) internal view returns (bool) {
        StoredConfig storage r = _config[marketId];
        RateModel storage m = r.rateModel;
        return u.maxOracleAge == r.maxOracleAge && u.liquidationBonusBps <= r.liquidationBonusBps
            && u.protocolFeeBps <= r.protocolFeeBps && u.closeFactorBps <= r.closeFactorBps
            && u.reserveFactorBps <= r.reserveFactorBps && u.minDebt <= _minDebt(marketId)
            && u.rateModel.baseRatePerSecond <= m.baseRatePerSecond && u.rateModel.slope1PerSecond <= m.slope1PerSecond
            && u.rateModel.slope2PerSecond <= m.slope2PerSecond && u.rateModel.kink >= m.kink;
    }

    /// @dev Writes checked risk parameters; interest accrues at the old rate model up to now first.
    function _applyRisk(uint256 marketId, RiskUpdate memory u) internal {
        _accrue(marketId);
        StoredConfig storage r = _config[marketId];
        r.maxOracleAge = u.maxOracleAge;
        r.liquidationBonusBps = u.liquidationBonusBps;
        r.protocolFeeBps = u.protocolFeeBps;
        r.closeFactorBps = u.closeFactorBps;
        r.reserveFactorBps = u.reserveFactorBps;
        _tiers[marketId][0].minValueOrMinDebt = u.minDebt; // see StoredTier
        r.rateModel = u.rateModel;
        emit IIsomarginEngine.MaxOracleAgeUpdated(marketId, u.maxOracleAge);
        emit IIsomarginEngine.LiquidationParamsUpdated(
            marketId, u.liquidationBonusBps, u.protocolFeeBps, u.closeFactorBps, u.minDebt
        );
        emit IIsomarginEngine.InterestParamsUpdated(marketId, u.rateModel, u.reserveFactorBps);
        _emitState(marketId);
    }

    function _setCaps(uint256 marketId, uint128 supplyCap, uint128 borrowCap) internal {
        (_config[marketId].supplyCap, _config[marketId].borrowCap) = (supplyCap, borrowCap);
        emit IIsomarginEngine.CapsUpdated(marketId, supplyCap, borrowCap);
    }

    function _decimals(address token) internal view returns (uint8 d) {
        d = IERC20Metadata(token).decimals();
        if (d > C.MAX_TOKEN_DECIMALS) revert IIsomarginEngine.UnsupportedDecimals(token, d);
    }

}

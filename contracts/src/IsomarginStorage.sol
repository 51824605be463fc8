// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IIsomarginEngine, RiskUpdate, MarketState, RateModel, Vault} from "./interfaces/IIsomarginEngine.sol";
import {MAX_TIERS} from "./libraries/ConstantsLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {InterestLib} from "./libraries/InterestLib.sol";

/// @title IsomarginStorage
/// @notice The engine's storage layout and the few internal routines both the engine and its admin module use. The
/// admin module runs by DELEGATECALL in the engine's storage, so both inherit exactly this layout (Ownable2Step's
/// two slots first, then the variables below) and nothing else with storage.
abstract contract IsomarginStorage is Ownable2Step, ReentrancyGuardTransient {
    using SafeCast for uint256;

    address internal _guardian;
    uint256 internal _marketCount;
    uint256 internal _vaultCount;
    mapping(address owner => mapping(address operator => bool)) internal _isOperator;
    mapping(uint256 marketId => mapping(address lender => uint256)) internal _supplyShares;
    mapping(uint256 marketId => StoredConfig) internal _config;
    mapping(uint256 marketId => StoredTier[MAX_TIERS]) internal _tiers;
    mapping(uint256 marketId => MarketState) internal _state;
    mapping(uint256 vaultId => Vault) internal _vaults;
    mapping(uint256 marketId => PendingChange) internal _pending;

    /// @dev A market's parameters, its immutable part and its risk parameters (the `riskParams` view reassembles
    /// RiskParams), laid out by use: every slot a call reads costs 2,100 gas cold, so the fields a call needs share
    /// the slots it reads anyway. A borrow reads slots 0, 1 and 4 and tier 0, a liquidation slots 0 to 3 and tier 0,
    /// a supply slots 0 and 4, a deposit slot 2 alone (slot 3 only when interest accrues); minDebt lives in tier 0's
    /// slot (see StoredTier). v1 kept these in three config and three risk slots: a borrow read five, a liquidation
    /// six, besides the tier.
    struct StoredConfig {
        // Slot 0: the loan token, the margin and price math, the accrual and liquidation parameters.
        address loanToken;
        uint8 tierCount;
        uint8 priceExponent; // the price scale as its power of ten
        uint32 maxOracleAge;
        uint16 reserveFactorBps;
        uint16 liquidationBonusBps;
        uint16 protocolFeeBps;
        // Slot 1: the price feed; the decimals only serve the marketConfig view.
        address oracle;
        uint16 closeFactorBps;
        uint8 loanDecimals;
        uint8 collateralDecimals;
        uint8 oracleDecimals;
        // Slot 2.
        address collateralToken;
        // Slot 3, read to accrue interest.
        RateModel rateModel;
        // Slot 4.
        uint128 supplyCap;
        uint128 borrowCap;
    }

    /// @dev A tier as stored: TierState's layout, one slot. Tier 0 always starts at 0 (createMarket requires it and
    /// nothing changes a threshold later), so its threshold is not stored: that half slot holds the market's minDebt,
    /// which the calls that read tier 0 (borrow, liquidate, withdrawing against debt) need too, saving them a cold
    /// slot. Read it only through `_minValue` and `_minDebt`.
    struct StoredTier {
        uint128 minValueOrMinDebt;
        uint16 imBps;
        uint16 mmFromBps;
        uint16 mmToBps;
        uint40 rampStart;
        uint40 rampEnd;
    }

    /// @dev A proposed risk change and when anyone may execute it (0: none pending).
    struct PendingChange {
        RiskUpdate update;
        uint64 executableAt;
    }

    /// @dev Threshold of tier `i` (see StoredTier).
    function _minValue(StoredTier storage t, uint256 i) internal view returns (uint256) {
        return i == 0 ? 0 : t.minValueOrMinDebt;
    }

    /// @dev The market's minDebt, kept in tier 0's slot (see StoredTier).
    function _minDebt(uint256 marketId) internal view returns (uint256) {
        return _tiers[marketId][0].minValueOrMinDebt;
    }

    function _market(uint256 marketId) internal view returns (StoredConfig storage cfg) {
        cfg = _config[marketId];
        if (cfg.loanToken == address(0)) revert IIsomarginEngine.MarketNotFound(marketId);
    }

    /// @dev InterestLib.accrue on storage, writing only the fields that change (the lens runs the memory form).
    function _accrue(uint256 marketId) internal {
        MarketState storage s = _state[marketId];
        uint256 last = s.lastAccrual;
        if (last == block.timestamp) return;
        uint256 borrowed = s.totalBorrowAssets;
        if (borrowed == 0) {
            (s.lastAccrual, s.interestRemainder) = (uint40(block.timestamp), 0);
            return;
        }
        StoredConfig storage c = _config[marketId];
        uint256 supplied = s.totalSupplyAssets;
        (uint256 interest, uint256 reserve, uint256 rem) = InterestLib.accrued(
            c.rateModel, borrowed, supplied, block.timestamp - last, c.reserveFactorBps, s.interestRemainder
        );
        (s.lastAccrual, s.interestRemainder) = (uint40(block.timestamp), uint64(rem));
        if (interest == 0) return;
        // Unchecked: the totals are below 2^128 and interest below 2^256 / 1e18 (a quotient by WAD), so no sum
        // overflows, and reserve <= interest / 2 (reserveFactorBps <= 5,000); SafeCast then bounds each total.
        unchecked {
            s.totalBorrowAssets = (borrowed + interest).toUint128();
            s.totalSupplyAssets = (supplied + interest - reserve).toUint128();
            if (reserve > 0) s.insuranceFund = (s.insuranceFund + reserve).toUint128();
        }
    }

    function _emitState(uint256 marketId) internal {
        MarketState storage s = _state[marketId];
        emit IIsomarginEngine.MarketStateUpdated(
            marketId,
            s.totalSupplyAssets,
            s.totalSupplyShares,
            s.totalBorrowAssets,
            s.totalBorrowShares,
            s.insuranceFund,
            s.lastAccrual,
            s.interestRemainder
        );
    }

    function _rampedMm(StoredTier storage t, Math.Rounding rounding) internal view returns (uint256) {
        return MarginLib.rampedMm(t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd, block.timestamp, rounding);
    }


    function _emitTiers(uint256 marketId, uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            StoredTier storage t = _tiers[marketId][i];
            emit IIsomarginEngine.TierSet(marketId, i, uint128(_minValue(t, i)), t.imBps, t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd);
        }
    }

}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IIsomarginEngine, RiskParams, RiskUpdate, MarketState, TierState, Vault} from "./interfaces/IIsomarginEngine.sol";
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
    mapping(uint256 marketId => RiskParams) internal _risk;
    mapping(uint256 marketId => TierState[MAX_TIERS]) internal _tiers;
    mapping(uint256 marketId => MarketState) internal _state;
    mapping(uint256 vaultId => Vault) internal _vaults;
    mapping(uint256 marketId => PendingChange) internal _pending;

    /// @dev The immutable part of a market in three slots (a liquidation reads all three): the price scale is
    /// kept as its power of ten.
    struct StoredConfig {
        address loanToken;
        uint8 loanDecimals;
        uint8 collateralDecimals;
        uint8 oracleDecimals;
        uint8 tierCount;
        address collateralToken;
        uint8 priceExponent;
        address oracle;
    }

    /// @dev A proposed risk change and when anyone may execute it (0: none pending).
    struct PendingChange {
        RiskUpdate update;
        uint64 executableAt;
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
        RiskParams storage r = _risk[marketId];
        uint256 supplied = s.totalSupplyAssets;
        (uint256 interest, uint256 reserve, uint256 rem) = InterestLib.accrued(
            r.rateModel, borrowed, supplied, block.timestamp - last, r.reserveFactorBps, s.interestRemainder
        );
        (s.lastAccrual, s.interestRemainder) = (uint40(block.timestamp), uint64(rem));
        if (interest == 0) return;
        s.totalBorrowAssets = (borrowed + interest).toUint128();
        s.totalSupplyAssets = (supplied + interest - reserve).toUint128();
        if (reserve > 0) s.insuranceFund = (s.insuranceFund + reserve).toUint128();
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

    function _rampedMm(TierState storage t, Math.Rounding rounding) internal view returns (uint256) {
        return MarginLib.rampedMm(t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd, block.timestamp, rounding);
    }


    function _emitTiers(uint256 marketId, uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            TierState storage t = _tiers[marketId][i];
            emit IIsomarginEngine.TierSet(marketId, i, t.minValue, t.imBps, t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd);
        }
    }

}

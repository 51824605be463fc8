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

    /// @dev What a call reads of a market's configuration, each slot once: slot 0 (`_loadParams`, on first use) and,
    /// with the oracle price, slot 1's close factor (the engine's `_price`). An unread Params has no loan token (every
    /// market has one), which is how `_loadParams` knows it has yet to read.
    struct Params {
        address loanToken;
        uint256 tierCount;
        uint256 priceExponent;
        uint256 maxOracleAge;
        uint256 reserveFactorBps;
        uint256 liquidationBonusBps;
        uint256 protocolFeeBps;
        uint256 closeFactorBps;
        uint256 price; // loan base units per collateral base unit x 1e36, once read (see the engine's `_price`)
    }

    /// @dev MarketState's three slots, as a mask of the ones a call changed (see `_storeState`, which tests these
    /// bits).
    uint256 internal constant SUPPLY_SLOT = 1; // totalSupplyAssets, totalSupplyShares
    uint256 internal constant BORROW_SLOT = 2; // totalBorrowAssets, totalBorrowShares
    uint256 internal constant META_SLOT = 4; // insuranceFund, lastAccrual, paused, interestRemainder
    uint256 internal constant ALL_SLOTS = 7;

    /// @dev Reads the market's slot 0 into `p` unless it already holds it. StoredConfig's slot 0: loanToken |
    /// tierCount << 160 | priceExponent << 168 | maxOracleAge << 176 | reserveFactorBps << 208 |
    /// liquidationBonusBps << 224 | protocolFeeBps << 240. (Here and below, assembly writes a memory struct's fields
    /// at their documented places, one 32-byte word each in declaration order, every value masked to its type.)
    function _loadParams(uint256 marketId, Params memory p) internal view {
        if (p.loanToken != address(0)) return;
        StoredConfig storage c = _config[marketId];
        assembly ("memory-safe") {
            let w := sload(c.slot)
            mstore(p, and(w, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(p, 0x20), and(shr(160, w), 0xff))
            mstore(add(p, 0x40), and(shr(168, w), 0xff))
            mstore(add(p, 0x60), and(shr(176, w), 0xffffffff))
            mstore(add(p, 0x80), and(shr(208, w), 0xffff))
            mstore(add(p, 0xa0), and(shr(224, w), 0xffff))
            mstore(add(p, 0xc0), shr(240, w))
        }
    }

    /// @dev The market's accounting, its three slots read once; `_storeState` writes back the ones a call changed.
    /// MarketState's layout: slot 0 totalSupplyAssets | totalSupplyShares << 128; slot 1 totalBorrowAssets |
    /// totalBorrowShares << 128; slot 2 insuranceFund | lastAccrual << 128 | paused << 168 | interestRemainder << 176.
    function _loadState(uint256 marketId) internal view returns (MarketState memory s) {
        MarketState storage t = _state[marketId];
        assembly ("memory-safe") {
            let m := 0xffffffffffffffffffffffffffffffff
            let w := sload(t.slot)
            mstore(s, and(w, m))
            mstore(add(s, 0x20), shr(128, w))
            w := sload(add(t.slot, 1))
            mstore(add(s, 0x40), and(w, m))
            mstore(add(s, 0x60), shr(128, w))
            w := sload(add(t.slot, 2))
            mstore(add(s, 0x80), and(w, m))
            mstore(add(s, 0xa0), and(shr(128, w), 0xffffffffff))
            mstore(add(s, 0xc0), and(shr(168, w), 0xff))
            mstore(add(s, 0xe0), and(shr(176, w), 0xffffffffffffffff))
        }
    }

    /// @dev Writes the slots of `s` that `slots` names (SUPPLY_SLOT | BORROW_SLOT | META_SLOT), each with one SSTORE,
    /// in `_loadState`'s layout.
    function _storeState(uint256 marketId, MarketState memory s, uint256 slots) internal {
        MarketState storage t = _state[marketId];
        assembly ("memory-safe") {
            let m := 0xffffffffffffffffffffffffffffffff
            if and(slots, 1) {
                sstore(t.slot, or(and(mload(s), m), shl(128, mload(add(s, 0x20)))))
            }
            if and(slots, 2) {
                sstore(add(t.slot, 1), or(and(mload(add(s, 0x40)), m), shl(128, mload(add(s, 0x60)))))
            }
            if and(slots, 4) {
                sstore(
                    add(t.slot, 2),
                    or(
                        or(and(mload(add(s, 0x80)), m), shl(128, and(mload(add(s, 0xa0)), 0xffffffffff))),
                        or(shl(168, iszero(iszero(mload(add(s, 0xc0))))), shl(176, and(mload(add(s, 0xe0)), 0xffffffffffffffff)))
                    )
                )
            }
        }
    }

    /// @dev InterestLib.accrue on the loaded state `s`, in memory: the caller writes it back with `_storeState` after
    /// its own changes, so no slot is written twice. Returns the slots the accrual changed (none, the metadata slot,
    /// or all three). `p` is read on first use (the reserve factor).
    function _accrueState(uint256 marketId, MarketState memory s, Params memory p) internal view returns (uint256) {
        uint256 last = s.lastAccrual;
        if (last == block.timestamp) return 0;
        uint256 borrowed = s.totalBorrowAssets;
        s.lastAccrual = uint40(block.timestamp);
        if (borrowed == 0) {
            s.interestRemainder = 0;
            return META_SLOT;
        }
        _loadParams(marketId, p);
        uint256 supplied = s.totalSupplyAssets;
        (uint256 interest, uint256 reserve, uint256 rem) = InterestLib.accrued(
            _config[marketId].rateModel, borrowed, supplied, block.timestamp - last, p.reserveFactorBps, s.interestRemainder
        );
        s.interestRemainder = uint64(rem);
        if (interest == 0) return META_SLOT;
        // Unchecked: the totals are below 2^128 and interest below 2^256 / 1e18 (a quotient by WAD), so no sum
        // overflows, and reserve <= interest / 2 (reserveFactorBps <= 5,000); SafeCast then bounds each total.
        unchecked {
            s.totalBorrowAssets = (borrowed + interest).toUint128();
            s.totalSupplyAssets = (supplied + interest - reserve).toUint128();
            if (reserve > 0) s.insuranceFund = (s.insuranceFund + reserve).toUint128();
        }
        return ALL_SLOTS;
    }

    /// @dev Accrues the market's interest to now in storage (the admin module's form; the engine accrues in memory).
    function _accrue(uint256 marketId) internal {
        MarketState memory s = _loadState(marketId);
        Params memory p;
        _storeState(marketId, s, _accrueState(marketId, s, p));
    }

    /// @dev The MarketStateUpdated event of the state `s` (as the call leaves it).
    function _emitState(uint256 marketId, MarketState memory s) internal {
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

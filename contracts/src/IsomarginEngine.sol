// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {
    IIsomarginEngine,
    MarketParams,
    MarketConfig,
    RiskParams,
    RiskUpdate,
    MarketState,
    TierState,
    Vault
} from "./interfaces/IIsomarginEngine.sol";
import {ILiquidationCallback} from "./interfaces/ILiquidationCallback.sol";
import {ConstantsLib as C, MAX_TIERS} from "./libraries/ConstantsLib.sol";
import {SharesMathLib} from "./libraries/SharesMathLib.sol";
import {MathLib} from "./libraries/MathLib.sol";
import {MarginLib} from "./libraries/MarginLib.sol";
import {PriceLib} from "./libraries/PriceLib.sol";
import {IsomarginStorage} from "./IsomarginStorage.sol";
import {IsomarginAdmin} from "./IsomarginAdmin.sol";

/// @title IsomarginEngine
/// @notice The one core contract: all markets and all isolated vaults. Not upgradeable; no admin path moves user
/// funds. The owner's market levers run in `IsomarginAdmin`, a module this contract deploys in its constructor and
/// DELEGATECALLs (fixed at deployment, like the rest of the code). See IIsomarginEngine for the NatSpec of every
/// entry point.
contract IsomarginEngine is IIsomarginEngine, IsomarginStorage {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SharesMathLib for uint256;

    /// @inheritdoc IIsomarginEngine
    uint256 public constant RISK_TIMELOCK = C.RISK_TIMELOCK;
    /// @notice The admin module (see IsomarginAdmin), deployed by the constructor.
    address public immutable ADMIN;

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
        ADMIN = address(new IsomarginAdmin());
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /* MODIFIERS AND CHECKS */

    modifier onlyGuardianOrOwner() {
        if (msg.sender != _guardian && msg.sender != owner()) revert NotGuardian();
        _;
    }

    function _openVault(uint256 vaultId) internal view returns (Vault storage v) {
        v = _vaults[vaultId];
        if (v.owner == address(0)) revert VaultNotFound(vaultId);
        if (v.closed) revert VaultIsClosed(vaultId);
    }

    function _authorized(uint256 vaultId, Vault storage v) internal view {
        if (msg.sender != v.owner && !_isOperator[v.owner][msg.sender]) revert Unauthorized(vaultId, msg.sender);
    }

    function _notPaused(uint256 marketId) internal view {
        if (_state[marketId].paused) revert MarketPaused(marketId);
    }


    /* ADMIN (owner levers run in the admin module; see IsomarginAdmin) */

    /// @dev Runs the current call in the admin module (DELEGATECALL) and returns or reverts with its result.
    function _delegateToAdmin() internal {
        address admin = ADMIN;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), admin, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @inheritdoc IIsomarginEngine
    function createMarket(MarketParams calldata) external returns (uint256) {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function setMarginTiers(uint256, uint16[] calldata, uint16[] calldata, uint32) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function setRiskParams(uint256, RiskUpdate calldata) external returns (uint64) {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function executeRiskParams(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function cancelRiskParams(uint256) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function setCaps(uint256, uint128, uint128) external {
        _delegateToAdmin();
    }

    /// @inheritdoc IIsomarginEngine
    function pendingRiskParams(uint256 marketId) external view returns (RiskUpdate memory, uint64) {
        PendingChange storage pc = _pending[marketId];
        return (pc.update, pc.executableAt);
    }


    /// @inheritdoc IIsomarginEngine
    function setGuardian(address guardian_) external onlyOwner {
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc IIsomarginEngine
    function setPaused(uint256 marketId, bool paused) external onlyGuardianOrOwner {
        _market(marketId);
        _state[marketId].paused = paused;
        emit PauseSet(marketId, msg.sender, paused);
    }


    /* VAULTS */

    /// @inheritdoc IIsomarginEngine
    function setOperator(address operator, bool approved) external {
        _isOperator[msg.sender][operator] = approved;
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
        vaultId = ++_vaultCount;
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
        if (amount == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        if (amount > v.collateral) revert InsufficientCollateral(vaultId, amount, v.collateral);
        _accrue(marketId);

        v.collateral -= uint128(amount);
        // Withdrawing against debt is new risk (paused with the market); a debt-free vault can always exit.
        if (v.debtShares > 0) {
            _notPaused(marketId);
            _checkInitialMargin(vaultId, v, _price(marketId));
        }

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
        if (s.totalBorrowAssets > _config[marketId].borrowCap) {
            revert BorrowCapExceeded(marketId, s.totalBorrowAssets, _config[marketId].borrowCap);
        }
        uint256 debt = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 minDebt = _minDebt(marketId);
        if (debt < minDebt) revert DebtBelowMinimum(vaultId, debt, minDebt);
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
        uint256 minDebt = _minDebt(marketId);
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
        if (s.totalSupplyAssets > _config[marketId].supplyCap) {
            revert SupplyCapExceeded(marketId, s.totalSupplyAssets, _config[marketId].supplyCap);
        }
        uint256 after_ = _supplyShares[marketId][onBehalf] += shares;

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
        uint256 held = _supplyShares[marketId][msg.sender];
        if (shares > held) revert InsufficientShares(marketId, shares, held);
        // Reserve accrual can push total borrow above total supply: then there is no lender liquidity.
        uint256 liquidity = _zeroFloorSub(s.totalSupplyAssets, s.totalBorrowAssets);
        if (assets > liquidity) revert InsufficientLiquidity(marketId, assets, liquidity);

        _supplyShares[marketId][msg.sender] = held - shares;
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
    function liquidate(uint256 vaultId, uint256 maxRepayAssets, uint256 minSeized, address receiver, bytes calldata data)
        external
        nonReentrant
        returns (uint256, uint256)
    {
        Vault storage v = _openVault(vaultId);
        if (maxRepayAssets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        uint256 marketId = v.marketId;
        _accrue(marketId);
        (bool liquidatable, LiquidationResult memory r) =
            _liquidate(vaultId, v, marketId, maxRepayAssets, _price(marketId), _margins(marketId));
        if (!liquidatable) revert VaultHealthy(vaultId);
        if (r.seized == 0) revert ZeroAmount();
        if (r.seized < minSeized) revert SeizedBelowMinimum(r.seized, minSeized);
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
        uint256 previous;
        for (uint256 i; i < vaultIds.length; ++i) {
            uint256 id = vaultIds[i];
            // Strictly increasing ids: a vault appears once, so the close factor holds per vault per batch.
            if (i > 0 && id <= previous) revert BatchNotSorted(i);
            previous = id;
            Vault storage v = _vaults[id];
            if (v.owner == address(0) || v.closed || v.marketId != marketId) continue;
            (, LiquidationResult memory r) = _liquidate(id, v, marketId, type(uint256).max, price_, m);
            if (r.seized == 0) continue; // healthy, or too small to seize one collateral unit yet
            ++liquidated;
            total.repaidAssets += r.repaidAssets;
            total.seized += r.seized;
            total.fee += r.fee;
        }
    }

    /// @dev Effects of one liquidation, the tokens being settled by the caller. Returns `liquidatable` false (and
    /// changes nothing) for a healthy vault, and an all-zero result when the repayment would seize nothing.
    /// The repayment follows from the collateral actually seized (whole units): the liquidator never pays more than
    /// the oracle value of what they receive, whatever the collateral's decimals, and never more than `maxRepay`.
    function _liquidate(
        uint256 vaultId,
        Vault storage v,
        uint256 marketId,
        uint256 maxRepay,
        uint256 price_,
        Margins memory m
    ) internal returns (bool, LiquidationResult memory r) {
        MarketState storage s = _state[marketId];
        if (v.debtShares == 0) return (false, r);
        uint256 debt = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 value = _value(v.collateral, price_);
        if (debt <= MarginLib.maxDebt(value, m.minValues, m.mm)) return (false, r);

        bool full;
        (r.seized, r.repaidAssets, full) = _amounts(debt, v.collateral, value, price_, maxRepay, marketId);
        if (r.seized == 0) return (true, r);
        if (r.repaidAssets >= debt) {
            (r.repaidAssets, r.repaidShares) = (debt, v.debtShares);
        } else {
            // Rounds down: a repayment removes at most the debt it pays for.
            r.repaidShares = r.repaidAssets.toSharesDown(s.totalBorrowAssets, s.totalBorrowShares);
            // A repayment too small to remove a debt share (outside a write-off): no effect at all.
            if (r.repaidShares == 0 && r.seized < v.collateral) return (true, LiquidationResult(0, 0, 0, 0));
        }
        // Protocol fee, in loan tokens on top of the repayment, rounded up (in the insurance fund's favour).
        StoredConfig storage rp = _config[marketId];
        // Unchecked: bonus x fee <= 2,000 x 5,000 bps (admin checks).
        unchecked {
            r.fee = MathLib.mulDivUp(r.repaidAssets, uint256(rp.liquidationBonusBps) * rp.protocolFeeBps, C.BPS * C.BPS);
        }

        v.collateral -= uint128(r.seized);
        v.debtShares -= uint128(r.repaidShares);
        s.totalBorrowShares -= uint128(r.repaidShares);
        s.totalBorrowAssets = uint128(_zeroFloorSub(s.totalBorrowAssets, r.repaidAssets));
        s.insuranceFund = (s.insuranceFund + r.fee).toUint128();

        if (v.debtShares > 0) {
            if (v.collateral == 0) {
                _realizeBadDebt(vaultId, v, marketId, s);
            } else if (!full) {
                // A partial liquidation may not leave dust under minDebt. A full one may: the repayment follows from
                // whole seized units rounded down, so it can fall a unit (or, with coarse collateral, more) short of
                // the debt; the rest stays with the vault's remaining collateral, which more than covers it.
                uint256 debtAfter = _debt(v.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
                uint256 minDebt = _minDebt(marketId);
                if (debtAfter < minDebt) revert DebtBelowMinimum(vaultId, debtAfter, minDebt);
            }
        }
        // After any bad-debt write-off, so the event carries the vault's final state.
        _emitLiquidated(vaultId, marketId, r, v);
        return (true, r);
    }

    function _emitLiquidated(uint256 vaultId, uint256 marketId, LiquidationResult memory r, Vault storage v) internal {
        emit Liquidated(
            vaultId, marketId, msg.sender, r.repaidAssets, r.repaidShares, r.seized, r.fee, v.collateral, v.debtShares
        );
    }

    /// @dev Collateral seized and debt repaid by one liquidation of a vault with debt `debt` and collateral worth
    /// `value`. The largest repayment is closeFactor x D, or all of D when the rest would be below minDebt (`<=`:
    /// share rounding may leave one unit less than `debt - partial`) or the collateral cannot pay the bonus on D;
    /// the liquidator's `maxRepay` caps it. The collateral that buys with the bonus rounds down (against the
    /// liquidator, who chooses the amount) and is capped at the vault's collateral; the repayment is then what the
    /// seized units are worth less the bonus, rounded down, so it never exceeds the cap nor the value received.
    /// `full` is true when the whole debt was asked for (then the rounding may leave a remainder under `minDebt`,
    /// which the caller allows).
    function _amounts(
        uint256 debt,
        uint256 collateral,
        uint256 value,
        uint256 price_,
        uint256 maxRepay,
        uint256 marketId
    ) internal view returns (uint256 seized, uint256 repaid, bool full) {
        StoredConfig storage rp = _config[marketId];
        // Unchecked, every operand being bounded: bonus <= 2,000 and closeFactor <= 10,000 bps (admin checks), so
        // target <= debt; debt < 2^256 / 1e6 (shares x (assets + 1) / 1e6, both factors < 2^128); value < 2^209
        // (collateral < 2^128, price <= 1e60 = PriceLib's bound, / 1e36). No product below reaches 2^256.
        unchecked {
            uint256 bonus = rp.liquidationBonusBps;
            uint256 target = MathLib.mulDivDown(debt, rp.closeFactorBps, C.BPS);
            if (target == 0 || debt - target <= _minDebt(marketId) || value * C.BPS < debt * (C.BPS + bonus)) {
                target = debt;
            }
            if (maxRepay < target) target = maxRepay;
            full = target == debt;
            seized = MathLib.mulDivDown(target * (C.BPS + bonus), C.PRICE_SCALE, C.BPS * price_);
            if (seized > collateral) seized = collateral;
            repaid = MathLib.mulDivDown(_value(seized, price_), C.BPS, C.BPS + bonus);
        }
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
        StoredConfig storage cfg = _config[marketId];
        if (seized > 0) IERC20(cfg.collateralToken).safeTransfer(receiver, seized);
        if (data.length > 0) ILiquidationCallback(msg.sender).onIsomarginLiquidation(marketId, seized, owed, data);
        if (owed > 0) IERC20(cfg.loanToken).safeTransferFrom(msg.sender, address(this), owed);
    }

    /* PRICE AND MARGIN */

    /// @dev Oracle price scaled to loan base units per collateral base unit x 1e36 (see PriceLib).
    function _price(uint256 marketId) internal view returns (uint256) {
        StoredConfig storage cfg = _config[marketId];
        uint256 scale;
        // The exponent is at most 48 (createMarket), so 10^exponent fits: a bare EXP, not the checked helper.
        unchecked {
            scale = 10 ** uint256(cfg.priceExponent);
        }
        return PriceLib.scaledPrice(cfg.oracle, scale, cfg.maxOracleAge);
    }

    /// @dev Collateral value in loan units, rounded down (against the owner).
    function _value(uint256 collateral, uint256 price_) internal pure returns (uint256) {
        return MathLib.mulDivDown(collateral, price_, C.PRICE_SCALE);
    }

    /// @dev Debt in loan units, rounded up (against the owner).
    function _debt(uint256 shares, uint256 totalBorrowAssets, uint256 totalBorrowShares)
        internal
        pure
        returns (uint256)
    {
        return shares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
    }

    /// @dev Effective margins of a market now; a ramping maintenance margin rounds up (never below the line).
    function _margins(uint256 marketId) internal view returns (Margins memory m) {
        uint256 n = _config[marketId].tierCount;
        StoredTier[MAX_TIERS] storage ts = _tiers[marketId];
        m.minValues = new uint256[](n);
        m.im = new uint256[](n);
        m.mm = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            StoredTier storage t = ts[i];
            m.minValues[i] = _minValue(t, i);
            m.im[i] = t.imBps;
            m.mm[i] = _rampedMm(t, Math.Rounding.Ceil);
        }
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

    /* VIEWS (raw state; accrued-to-now views are in IsomarginLens) */

    /// @inheritdoc IIsomarginEngine
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IIsomarginEngine
    function marketCount() external view returns (uint256) {
        return _marketCount;
    }

    /// @inheritdoc IIsomarginEngine
    function vaultCount() external view returns (uint256) {
        return _vaultCount;
    }

    /// @inheritdoc IIsomarginEngine
    function isOperator(address owner_, address operator) external view returns (bool) {
        return _isOperator[owner_][operator];
    }

    /// @inheritdoc IIsomarginEngine
    function supplyShares(uint256 marketId, address lender) external view returns (uint256) {
        return _supplyShares[marketId][lender];
    }

    /// @inheritdoc IIsomarginEngine
    function marketConfig(uint256 marketId) external view returns (MarketConfig memory) {
        StoredConfig storage c = _config[marketId];
        return MarketConfig(
            c.loanToken,
            c.collateralToken,
            c.oracle,
            c.loanDecimals,
            c.collateralDecimals,
            c.oracleDecimals,
            c.loanToken == address(0) ? 0 : 10 ** c.priceExponent,
            c.tierCount
        );
    }

    /// @inheritdoc IIsomarginEngine
    function riskParams(uint256 marketId) external view returns (RiskParams memory) {
        StoredConfig storage c = _config[marketId];
        return RiskParams(
            c.maxOracleAge,
            c.liquidationBonusBps,
            c.protocolFeeBps,
            c.closeFactorBps,
            c.reserveFactorBps,
            uint128(_minDebt(marketId)),
            c.rateModel,
            c.supplyCap,
            c.borrowCap
        );
    }

    /// @inheritdoc IIsomarginEngine
    function tier(uint256 marketId, uint256 index) external view returns (TierState memory) {
        StoredTier storage t = _tiers[marketId][index];
        return TierState(uint128(_minValue(t, index)), t.imBps, t.mmFromBps, t.mmToBps, t.rampStart, t.rampEnd);
    }

    /// @inheritdoc IIsomarginEngine
    function marketState(uint256 marketId) external view returns (MarketState memory) {
        return _state[marketId];
    }

    /// @inheritdoc IIsomarginEngine
    function vault(uint256 vaultId) external view returns (Vault memory) {
        return _vaults[vaultId];
    }
}


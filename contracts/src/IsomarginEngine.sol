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

    /// @dev The vault, both its slots read once into `d`; the call works on `d` and writes its amounts back once
    /// (`_storeAmounts`).
    function _openVault(uint256 vaultId) internal view returns (Vault storage v, Vault memory d) {
        v = _vaults[vaultId];
        uint256 head;
        assembly ("memory-safe") {
            head := sload(v.slot)
        }
        if (uint160(head) == 0) revert VaultNotFound(vaultId);
        if (uint8(head >> 224) != 0) revert VaultIsClosed(vaultId);
        _fillVault(v, head, d);
    }

    /// @dev Writes the vault into `d`: `head` is its slot 0 as read, slot 1 is read here. Vault's layout: slot 0
    /// owner | marketId << 160 | closed << 224; slot 1 collateral | debtShares << 128. Assembly writes the memory
    /// struct's fields at their places (one 32-byte word each, in declaration order), each masked to its type.
    function _fillVault(Vault storage v, uint256 head, Vault memory d) internal view {
        assembly ("memory-safe") {
            let w := sload(add(v.slot, 1))
            mstore(d, and(head, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(d, 0x20), and(shr(160, head), 0xffffffffffffffff))
            mstore(add(d, 0x40), and(shr(224, head), 0xff))
            mstore(add(d, 0x60), and(w, 0xffffffffffffffffffffffffffffffff))
            mstore(add(d, 0x80), shr(128, w))
        }
    }

    /// @dev Writes the vault's collateral and debt shares from `d` with one SSTORE (both are uint128 fields of `d`).
    function _storeAmounts(Vault storage v, Vault memory d) internal {
        assembly ("memory-safe") {
            sstore(add(v.slot, 1), or(and(mload(add(d, 0x60)), 0xffffffffffffffffffffffffffffffff), shl(128, mload(add(d, 0x80)))))
        }
    }

    function _authorized(uint256 vaultId, address owner_) internal view {
        if (msg.sender != owner_ && !_isOperator[owner_][msg.sender]) revert Unauthorized(vaultId, msg.sender);
    }

    function _notPaused(uint256 marketId) internal view {
        if (_state[marketId].paused) revert MarketPaused(marketId);
    }

    /// @dev The market's slot-0 parameters (see Params); reverts for an unknown market.
    function _marketParams(uint256 marketId) internal view returns (Params memory p) {
        _loadParams(marketId, p);
        if (p.loanToken == address(0)) revert MarketNotFound(marketId);
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
        Params memory p = _marketParams(marketId);
        _notPaused(marketId);
        vaultId = ++_vaultCount;
        Vault memory d = Vault({owner: msg.sender, marketId: uint64(marketId), closed: false, collateral: 0, debtShares: 0});
        Vault storage v = _vaults[vaultId];
        // A new id's slots are zero (ids only come from the counter above): slot 0 takes the owner and the market in
        // one SSTORE; the amounts stay zero until the deposit or the borrow below writes them.
        uint256 head = uint256(uint160(msg.sender)) | uint256(uint64(marketId)) << 160;
        assembly ("memory-safe") {
            sstore(v.slot, head)
        }
        emit VaultOpened(vaultId, marketId, msg.sender);
        if (collateral > 0) d.collateral = _depositCollateral(vaultId, v, marketId, collateral);
        if (borrowAssets > 0) _borrow(vaultId, v, d, p, borrowAssets, msg.sender);
    }

    /// @inheritdoc IIsomarginEngine
    function depositCollateral(uint256 vaultId, uint256 amount) external nonReentrant {
        // Slot 0's checks and market, then one read-modify-write of slot 1: no memory copy of the vault needed.
        Vault storage v = _vaults[vaultId];
        uint256 head;
        assembly ("memory-safe") {
            head := sload(v.slot)
        }
        if (uint160(head) == 0) revert VaultNotFound(vaultId);
        if (uint8(head >> 224) != 0) revert VaultIsClosed(vaultId);
        _depositCollateral(vaultId, v, uint64(head >> 160), amount);
    }

    /// @dev Adds `amount` to the vault's collateral (slot 1 read and written once) and returns the new collateral.
    function _depositCollateral(uint256 vaultId, Vault storage v, uint256 marketId, uint256 amount)
        internal
        returns (uint128 collateral)
    {
        if (amount == 0) revert ZeroAmount();
        collateral = (v.collateral + amount).toUint128();
        v.collateral = collateral;
        emit CollateralDeposited(vaultId, msg.sender, amount, collateral);
        IERC20(_config[marketId].collateralToken).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IIsomarginEngine
    function withdrawCollateral(uint256 vaultId, uint256 amount, address receiver) external nonReentrant {
        (Vault storage v, Vault memory d) = _openVault(vaultId);
        _authorized(vaultId, d.owner);
        uint256 marketId = d.marketId;
        if (amount == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        if (amount > d.collateral) revert InsufficientCollateral(vaultId, amount, d.collateral);
        Params memory p;
        MarketState memory s = _loadState(marketId);
        uint256 slots = _accrueState(marketId, s, p);

        d.collateral -= uint128(amount);
        // Withdrawing against debt is new risk (paused with the market); a debt-free vault can always exit.
        if (d.debtShares > 0) {
            if (s.paused) revert MarketPaused(marketId);
            _price(marketId, p);
            _checkInitialMargin(
                vaultId, _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares), d, p, _tierWord(marketId, 0)
            );
        }

        _storeAmounts(v, d);
        _storeState(marketId, s, slots);
        emit CollateralWithdrawn(vaultId, msg.sender, receiver, amount, d.collateral);
        _emitState(marketId, s);
        IERC20(_config[marketId].collateralToken).safeTransfer(receiver, amount);
    }

    /// @inheritdoc IIsomarginEngine
    function borrow(uint256 vaultId, uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        (Vault storage v, Vault memory d) = _openVault(vaultId);
        _authorized(vaultId, d.owner);
        if (receiver == address(0)) revert ZeroAddress();
        Params memory p;
        return _borrow(vaultId, v, d, p, assets, receiver);
    }

    function _borrow(uint256 vaultId, Vault storage v, Vault memory d, Params memory p, uint256 assets, address receiver)
        internal
        returns (uint256 shares)
    {
        uint256 marketId = d.marketId;
        MarketState memory s = _loadState(marketId);
        if (s.paused) revert MarketPaused(marketId);
        if (assets == 0) revert ZeroAmount();
        uint256 slots = _accrueState(marketId, s, p) | BORROW_SLOT;

        // Rounds up: the borrower owes at least what was lent.
        shares = assets.toSharesUp(s.totalBorrowAssets, s.totalBorrowShares);
        d.debtShares = (d.debtShares + shares).toUint128();
        s.totalBorrowShares = (s.totalBorrowShares + shares).toUint128();
        s.totalBorrowAssets = (s.totalBorrowAssets + assets).toUint128();

        if (s.totalBorrowAssets > s.totalSupplyAssets) {
            revert InsufficientLiquidity(marketId, assets, _zeroFloorSub(s.totalSupplyAssets, s.totalBorrowAssets - assets));
        }
        {
            uint256 cap = _config[marketId].borrowCap;
            if (s.totalBorrowAssets > cap) revert BorrowCapExceeded(marketId, s.totalBorrowAssets, cap);
        }
        // Tier 0's slot holds minDebt and the first tier's margins: read once for both checks.
        uint256 t0 = _tierWord(marketId, 0);
        {
            uint256 debt = _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
            uint256 minDebt = uint128(t0); // see StoredTier
            if (debt < minDebt) revert DebtBelowMinimum(vaultId, debt, minDebt);
            _price(marketId, p);
            _checkInitialMargin(vaultId, debt, d, p, t0);
        }

        _storeAmounts(v, d);
        _storeState(marketId, s, slots);
        emit Borrowed(vaultId, msg.sender, receiver, assets, shares, d.debtShares);
        _emitState(marketId, s);
        IERC20(p.loanToken).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IIsomarginEngine
    function repay(uint256 vaultId, uint256 assets) external nonReentrant returns (uint256, uint256) {
        if (assets == 0) revert ZeroAmount();
        (Vault storage v, Vault memory d) = _openVault(vaultId);
        return _repay(vaultId, v, d, assets);
    }

    function _repay(uint256 vaultId, Vault storage v, Vault memory d, uint256 assets)
        internal
        returns (uint256 repaidAssets, uint256 repaidShares)
    {
        uint256 marketId = d.marketId;
        Params memory p;
        MarketState memory s = _loadState(marketId);
        uint256 slots = _accrueState(marketId, s, p);
        uint256 debt = _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        if (assets >= debt) {
            (repaidAssets, repaidShares) = (debt, d.debtShares);
        } else {
            // Rounds down: the repayment removes at most the debt it pays for.
            repaidShares = assets.toSharesDown(s.totalBorrowAssets, s.totalBorrowShares);
            if (repaidShares == 0) revert ZeroAmount();
            repaidAssets = assets;
        }
        if (repaidShares == 0) {
            _storeState(marketId, s, slots);
            _emitState(marketId, s); // nothing to repay, but interest was accrued
            return (0, 0);
        }

        d.debtShares -= uint128(repaidShares);
        s.totalBorrowShares -= uint128(repaidShares);
        s.totalBorrowAssets = uint128(_zeroFloorSub(s.totalBorrowAssets, repaidAssets));
        {
            uint256 debtAfter = _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
            uint256 minDebt = _minDebt(marketId);
            // A vault already below the floor (minDebt was raised) may still repay in part: that only lowers risk.
            if (debtAfter > 0 && debtAfter < minDebt && debt >= minDebt) {
                revert DebtBelowMinimum(vaultId, debtAfter, minDebt);
            }
        }

        _storeAmounts(v, d);
        _storeState(marketId, s, slots | BORROW_SLOT);
        emit Repaid(vaultId, msg.sender, repaidAssets, repaidShares, d.debtShares);
        _emitState(marketId, s);
        _loadParams(marketId, p);
        IERC20(p.loanToken).safeTransferFrom(msg.sender, address(this), repaidAssets);
    }

    /// @inheritdoc IIsomarginEngine
    function closeVault(uint256 vaultId, address receiver)
        external
        nonReentrant
        returns (uint256 repaidAssets, uint256 collateral)
    {
        (Vault storage v, Vault memory d) = _openVault(vaultId);
        _authorized(vaultId, d.owner);
        if (receiver == address(0)) revert ZeroAddress();
        if (d.debtShares > 0) (repaidAssets,) = _repay(vaultId, v, d, type(uint256).max);

        collateral = d.collateral;
        d.collateral = 0;
        _storeAmounts(v, d);
        v.closed = true;
        emit VaultClosed(vaultId, msg.sender, receiver, collateral);
        if (collateral > 0) IERC20(_config[d.marketId].collateralToken).safeTransfer(receiver, collateral);
    }

    /* LENDERS */

    /// @inheritdoc IIsomarginEngine
    function supply(uint256 marketId, uint256 assets, address onBehalf) external nonReentrant returns (uint256 shares) {
        Params memory p = _marketParams(marketId);
        MarketState memory s = _loadState(marketId);
        if (s.paused) revert MarketPaused(marketId);
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        uint256 slots = _accrueState(marketId, s, p) | SUPPLY_SLOT;

        // Rounds down: a lender never gets more shares than the assets buy.
        shares = assets.toSharesDown(s.totalSupplyAssets, s.totalSupplyShares);
        if (shares == 0) revert ZeroAmount();
        s.totalSupplyAssets = (s.totalSupplyAssets + assets).toUint128();
        s.totalSupplyShares = (s.totalSupplyShares + shares).toUint128();
        {
            uint256 cap = _config[marketId].supplyCap;
            if (s.totalSupplyAssets > cap) revert SupplyCapExceeded(marketId, s.totalSupplyAssets, cap);
        }
        uint256 after_ = _supplyShares[marketId][onBehalf] += shares;

        _storeState(marketId, s, slots);
        emit Supplied(marketId, msg.sender, onBehalf, assets, shares, after_);
        _emitState(marketId, s);
        IERC20(p.loanToken).safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc IIsomarginEngine
    function withdraw(uint256 marketId, uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        Params memory p = _marketParams(marketId);
        if (assets == 0) revert ZeroAmount();
        MarketState memory s = _loadState(marketId);
        uint256 slots = _accrueState(marketId, s, p);
        // Rounds up: a lender burns at least the shares the assets are worth.
        shares = assets.toSharesUp(s.totalSupplyAssets, s.totalSupplyShares);
        _withdraw(marketId, p, s, slots, assets, shares, receiver);
    }

    /// @inheritdoc IIsomarginEngine
    function redeem(uint256 marketId, uint256 shares, address receiver) external nonReentrant returns (uint256 assets) {
        Params memory p = _marketParams(marketId);
        if (shares == 0) revert ZeroAmount();
        MarketState memory s = _loadState(marketId);
        uint256 slots = _accrueState(marketId, s, p);
        // Rounds down: a lender receives at most what the shares are worth.
        assets = shares.toAssetsDown(s.totalSupplyAssets, s.totalSupplyShares);
        if (assets == 0) revert ZeroAmount();
        _withdraw(marketId, p, s, slots, assets, shares, receiver);
    }

    function _withdraw(
        uint256 marketId,
        Params memory p,
        MarketState memory s,
        uint256 slots,
        uint256 assets,
        uint256 shares,
        address receiver
    ) internal {
        if (receiver == address(0)) revert ZeroAddress();
        uint256 held = _supplyShares[marketId][msg.sender];
        if (shares > held) revert InsufficientShares(marketId, shares, held);
        // Reserve accrual can push total borrow above total supply: then there is no lender liquidity.
        uint256 liquidity = _zeroFloorSub(s.totalSupplyAssets, s.totalBorrowAssets);
        if (assets > liquidity) revert InsufficientLiquidity(marketId, assets, liquidity);

        _supplyShares[marketId][msg.sender] = held - shares;
        s.totalSupplyShares -= uint128(shares);
        s.totalSupplyAssets -= uint128(assets);

        _storeState(marketId, s, slots | SUPPLY_SLOT);
        emit Withdrawn(marketId, msg.sender, receiver, assets, shares, held - shares);
        _emitState(marketId, s);
        IERC20(p.loanToken).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IIsomarginEngine
    function fundInsurance(uint256 marketId, uint256 amount) external nonReentrant {
        Params memory p = _marketParams(marketId);
        if (amount == 0) revert ZeroAmount();
        MarketState memory s = _loadState(marketId);
        uint256 slots = _accrueState(marketId, s, p) | META_SLOT;
        s.insuranceFund = (s.insuranceFund + amount).toUint128();
        _storeState(marketId, s, slots);
        emit InsuranceFunded(marketId, msg.sender, amount);
        _emitState(marketId, s);
        IERC20(p.loanToken).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IIsomarginEngine
    function accrueInterest(uint256 marketId) external nonReentrant {
        Params memory p = _marketParams(marketId);
        MarketState memory s = _loadState(marketId);
        _storeState(marketId, s, _accrueState(marketId, s, p));
        _emitState(marketId, s);
    }

    /* LIQUIDATION */

    /// @inheritdoc IIsomarginEngine
    function liquidate(uint256 vaultId, uint256 maxRepayAssets, uint256 minSeized, address receiver, bytes calldata data)
        external
        nonReentrant
        returns (uint256, uint256)
    {
        (Vault storage v, Vault memory d) = _openVault(vaultId);
        if (maxRepayAssets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        (LiquidationResult memory r, address loanToken) = _liquidateOne(vaultId, v, d, maxRepayAssets, minSeized);
        _settle(d.marketId, loanToken, receiver, r.seized, r.repaidAssets + r.fee, data);
        return (r.repaidAssets, r.seized);
    }

    /// @dev `liquidate`'s checks and effects: accrual, the liquidation, the market's state written and announced.
    function _liquidateOne(uint256 vaultId, Vault storage v, Vault memory d, uint256 maxRepay, uint256 minSeized)
        internal
        returns (LiquidationResult memory r, address)
    {
        uint256 marketId = d.marketId;
        Params memory p;
        _loadParams(marketId, p);
        MarketState memory s = _loadState(marketId);
        // The accrual's slots are written below with the liquidation's (which changes the borrow and metadata slots,
        // and the supply slot with bad debt): each slot once.
        _accrueState(marketId, s, p);
        bool liquidatable;
        _price(marketId, p);
        (liquidatable, r) = _liquidate(vaultId, v, d, maxRepay, s, p);
        if (!liquidatable) revert VaultHealthy(vaultId);
        if (r.seized == 0) revert ZeroAmount();
        if (r.seized < minSeized) revert SeizedBelowMinimum(r.seized, minSeized);
        _storeState(marketId, s, ALL_SLOTS);
        _emitState(marketId, s);
        return (r, p.loanToken);
    }

    /// @inheritdoc IIsomarginEngine
    function liquidateBatch(uint256 marketId, uint256[] calldata vaultIds, address receiver, bytes calldata data)
        external
        nonReentrant
        returns (uint256, uint256, uint256, uint256)
    {
        Params memory p = _marketParams(marketId);
        if (vaultIds.length > C.MAX_BATCH) revert BatchTooLarge(vaultIds.length, C.MAX_BATCH);
        if (receiver == address(0)) revert ZeroAddress();
        MarketState memory s = _loadState(marketId);
        uint256 liquidated;
        LiquidationResult memory t;
        {
            uint256 slots = _accrueState(marketId, s, p);
            (liquidated, t) = _liquidateMany(marketId, vaultIds, s, p);
            // Nothing liquidated: only the accrual's slots changed.
            _storeState(marketId, s, liquidated > 0 ? ALL_SLOTS : slots);
        }
        _emitState(marketId, s);
        if (liquidated > 0) _settle(marketId, p.loanToken, receiver, t.seized, t.repaidAssets + t.fee, data);
        return (liquidated, t.repaidAssets, t.seized, t.fee);
    }

    function _liquidateMany(uint256 marketId, uint256[] calldata vaultIds, MarketState memory s, Params memory p)
        internal
        returns (uint256 liquidated, LiquidationResult memory total)
    {
        _price(marketId, p);
        Vault memory d; // one buffer for every vault of the batch (memory is never freed)
        uint256 previous;
        for (uint256 i; i < vaultIds.length; ++i) {
            uint256 id = vaultIds[i];
            // Strictly increasing ids: a vault appears once, so the close factor holds per vault per batch.
            if (i > 0 && id <= previous) revert BatchNotSorted(i);
            previous = id;
            Vault storage v = _vaults[id];
            uint256 head;
            assembly ("memory-safe") {
                head := sload(v.slot)
            }
            // No owner (unknown id), closed, or another market's (see Vault's layout at `_fillVault`).
            if (uint160(head) == 0 || uint8(head >> 224) != 0 || uint64(head >> 160) != marketId) continue;
            _fillVault(v, head, d);
            (, LiquidationResult memory r) = _liquidate(id, v, d, type(uint256).max, s, p);
            if (r.seized == 0) continue; // healthy, or too small to seize one collateral unit yet
            ++liquidated;
            total.repaidAssets += r.repaidAssets;
            total.seized += r.seized;
            total.fee += r.fee;
        }
    }

    /// @dev Effects of one liquidation on the vault `d` (written back to `v`) and the loaded market state `s` (the
    /// caller writes it), the tokens being settled by the caller. Returns `liquidatable` false (and changes nothing)
    /// for a healthy vault, and an all-zero result when the repayment would seize nothing.
    /// The repayment follows from the collateral actually seized (whole units): the liquidator never pays more than
    /// the oracle value of what they receive, whatever the collateral's decimals, and never more than `maxRepay`.
    function _liquidate(
        uint256 vaultId,
        Vault storage v,
        Vault memory d,
        uint256 maxRepay,
        MarketState memory s,
        Params memory p
    ) internal returns (bool, LiquidationResult memory r) {
        if (d.debtShares == 0) return (false, r);
        uint256 debt = _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 value = _value(d.collateral, p.price);
        // Tier 0's slot: the first tier's margins and the market's minDebt.
        uint256 t0 = _tierWord(d.marketId, 0);
        if (debt <= _maxDebt(d.marketId, p.tierCount, value, true, t0)) return (false, r);

        bool full;
        (r.seized, r.repaidAssets, full) = _amounts(debt, d.collateral, value, maxRepay, uint128(t0), p);
        if (r.seized == 0) return (true, r);
        if (r.repaidAssets >= debt) {
            (r.repaidAssets, r.repaidShares) = (debt, d.debtShares);
        } else {
            // Rounds down: a repayment removes at most the debt it pays for.
            r.repaidShares = r.repaidAssets.toSharesDown(s.totalBorrowAssets, s.totalBorrowShares);
            // A repayment too small to remove a debt share (outside a write-off): no effect at all.
            if (r.repaidShares == 0 && r.seized < d.collateral) return (true, LiquidationResult(0, 0, 0, 0));
        }
        // Protocol fee, in loan tokens on top of the repayment, rounded up (in the insurance fund's favour).
        // Unchecked: bonus x fee <= 2,000 x 5,000 bps (admin checks).
        unchecked {
            r.fee = MathLib.mulDivUp(r.repaidAssets, p.liquidationBonusBps * p.protocolFeeBps, C.BPS * C.BPS);
        }

        d.collateral -= uint128(r.seized);
        d.debtShares -= uint128(r.repaidShares);
        s.totalBorrowShares -= uint128(r.repaidShares);
        s.totalBorrowAssets = uint128(_zeroFloorSub(s.totalBorrowAssets, r.repaidAssets));
        s.insuranceFund = (s.insuranceFund + r.fee).toUint128();

        if (d.debtShares > 0) {
            if (d.collateral == 0) {
                _realizeBadDebt(vaultId, d, s);
            } else if (!full) {
                // A partial liquidation may not leave dust under minDebt. A full one may: the repayment follows from
                // whole seized units rounded down, so it can fall a unit (or, with coarse collateral, more) short of
                // the debt; the rest stays with the vault's remaining collateral, which more than covers it.
                uint256 debtAfter = _debt(d.debtShares, s.totalBorrowAssets, s.totalBorrowShares);
                if (debtAfter < uint128(t0)) revert DebtBelowMinimum(vaultId, debtAfter, uint128(t0));
            }
        }
        _storeAmounts(v, d);
        // After any bad-debt write-off, so the event carries the vault's final state.
        _emitLiquidated(vaultId, r, d);
        return (true, r);
    }

    function _emitLiquidated(uint256 vaultId, LiquidationResult memory r, Vault memory d) internal {
        emit Liquidated(
            vaultId, d.marketId, msg.sender, r.repaidAssets, r.repaidShares, r.seized, r.fee, d.collateral, d.debtShares
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
        uint256 maxRepay,
        uint256 minDebt,
        Params memory p
    ) internal pure returns (uint256 seized, uint256 repaid, bool full) {
        // Unchecked, every operand being bounded: bonus <= 2,000 and closeFactor <= 10,000 bps (admin checks), so
        // target <= debt; debt < 2^256 / 1e6 (shares x (assets + 1) / 1e6, both factors < 2^128); value < 2^209
        // (collateral < 2^128, price <= 1e60 = PriceLib's bound, / 1e36). No product below reaches 2^256.
        unchecked {
            uint256 bonus = p.liquidationBonusBps;
            uint256 price_ = p.price;
            uint256 target = MathLib.mulDivDown(debt, p.closeFactorBps, C.BPS);
            if (target == 0 || debt - target <= minDebt || value * C.BPS < debt * (C.BPS + bonus)) {
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
    function _realizeBadDebt(uint256 vaultId, Vault memory d, MarketState memory s) internal {
        uint256 shares = d.debtShares;
        uint256 bad = Math.min(shares.toAssetsUp(s.totalBorrowAssets, s.totalBorrowShares), s.totalBorrowAssets);
        uint256 covered = Math.min(bad, s.insuranceFund);
        uint256 socialized = bad - covered;

        d.debtShares = 0;
        s.totalBorrowShares -= uint128(shares);
        s.totalBorrowAssets -= uint128(bad);
        s.insuranceFund -= uint128(covered);
        s.totalSupplyAssets = uint128(_zeroFloorSub(s.totalSupplyAssets, socialized));
        emit BadDebtRealized(vaultId, d.marketId, bad, shares, covered, socialized);
    }

    /// @dev Interactions of a liquidation: collateral out, optional callback, loan tokens in.
    function _settle(uint256 marketId, address loanToken, address receiver, uint256 seized, uint256 owed, bytes calldata data)
        internal
    {
        if (seized > 0) IERC20(_config[marketId].collateralToken).safeTransfer(receiver, seized);
        if (data.length > 0) ILiquidationCallback(msg.sender).onIsomarginLiquidation(marketId, seized, owed, data);
        if (owed > 0) IERC20(loanToken).safeTransferFrom(msg.sender, address(this), owed);
    }

    /* PRICE AND MARGIN */

    /// @dev Oracle price scaled to loan base units per collateral base unit x 1e36 (see PriceLib), also kept in
    /// `p.price`. Reads the market's slot 1 once: the oracle, and the close factor into `p` for a liquidation.
    function _price(uint256 marketId, Params memory p) internal view returns (uint256 price_) {
        _loadParams(marketId, p);
        StoredConfig storage cfg = _config[marketId];
        address oracle;
        (oracle, p.closeFactorBps) = (cfg.oracle, cfg.closeFactorBps);
        uint256 scale;
        // The exponent is at most 48 (createMarket), so 10^exponent fits: a bare EXP, not the checked helper.
        unchecked {
            scale = 10 ** p.priceExponent;
        }
        price_ = PriceLib.scaledPrice(oracle, scale, p.maxOracleAge);
        p.price = price_;
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
        // SharesMathLib.toAssetsUp, one call layer less; unchecked: both totals come from uint128 fields, so adding
        // the virtual amounts cannot overflow.
        unchecked {
            return MathLib.mulDivUp(
                shares, totalBorrowAssets + SharesMathLib.VIRTUAL_ASSETS, totalBorrowShares + SharesMathLib.VIRTUAL_SHARES
            );
        }
    }

    /// @dev Tier `i`'s slot as one word, StoredTier's layout: minValueOrMinDebt | imBps << 128 | mmFromBps << 144 |
    /// mmToBps << 160 | rampStart << 176 | rampEnd << 216 (tier 0's low half is the market's minDebt).
    function _tierWord(uint256 marketId, uint256 i) internal view returns (uint256 w) {
        StoredTier storage t = _tiers[marketId][i];
        assembly ("memory-safe") {
            w := sload(t.slot)
        }
    }

    /// @dev MarginLib.maxDebt of `value` under the market's `n` tiers now: V - requirement(V), the requirement at the
    /// initial margins, or at the maintenance margins with a ramping one rounded up (never below the line): exactly
    /// `MarginLib.maxDebt` over the tiers' thresholds and margins (the lens's `_maintenance` path), read straight from
    /// the tier slots, each once, without building the arrays. `t` is tier 0's word (see `_tierWord`), which the
    /// caller has read for minDebt; tier 0 starts at 0 (its threshold field holds minDebt, see StoredTier).
    function _maxDebt(uint256 marketId, uint256 n, uint256 value, bool maintenance, uint256 t)
        internal
        view
        returns (uint256)
    {
        uint256 req;
        uint256 low; // tier i's threshold
        for (uint256 i; i < n; ++i) {
            if (value <= low) break;
            uint256 bps = maintenance
                ? MarginLib.rampedMm(
                    uint16(t >> 144), uint16(t >> 160), uint40(t >> 176), uint40(t >> 216), block.timestamp, Math.Rounding.Ceil
                )
                : uint16(t >> 128);
            uint256 high = type(uint256).max; // the last tier has no top
            if (i + 1 < n) {
                t = _tierWord(marketId, i + 1);
                high = uint128(t);
            }
            req += MathLib.mulDivUp((value < high ? value : high) - low, bps, C.BPS);
            low = high;
        }
        return value - req;
    }

    /// @dev Reverts unless the vault's debt `debt` is within its initial-margin limit at the price read into `p`
    /// (`t` is tier 0's word).
    function _checkInitialMargin(uint256 vaultId, uint256 debt, Vault memory d, Params memory p, uint256 t)
        internal
        view
    {
        uint256 maxDebt_ = _maxDebt(d.marketId, p.tierCount, _value(d.collateral, p.price), false, t);
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


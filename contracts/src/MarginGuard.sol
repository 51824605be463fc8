// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IIsomarginEngine, MarketConfig, Vault} from "./interfaces/IIsomarginEngine.sol";
import {IIsomarginLens} from "./interfaces/IIsomarginLens.sol";
import {IMarginGuard, GuardMode, GuardPolicy, StoredPolicy} from "./interfaces/IMarginGuard.sol";
import {ConstantsLib as C} from "./libraries/ConstantsLib.sol";

/// @title MarginGuard
/// @notice Saves guarded vaults before liquidation with their owners' idle wallet capital. See IMarginGuard.
/// @dev No owner, no upgrade, no balance of its own between calls: each top-up pulls from the policy's owner exactly
/// what it moves into the vault (through the engine's public entry points) and the fee it pays the caller.
/// The rolling 24-hour cap is exact: the vault's last `MAX_TOP_UPS_PER_DAY` top-ups are kept in a ring, newest
/// last, and a top-up that would be the next one within 24 hours is refused.
contract MarginGuard is IMarginGuard, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_FEE_BPS = 100;
    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_TOP_UPS_PER_DAY = 8;
    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_BATCH = 50;
    uint256 internal constant DAY = 1 days;

    /// @inheritdoc IMarginGuard
    IIsomarginEngine public immutable engine;
    /// @inheritdoc IMarginGuard
    IIsomarginLens public immutable lens;

    /// @dev One top-up as the rolling cap counts it: when, and what it took from the wallet (amount plus fee).
    struct TopUpRecord {
        uint40 at;
        uint216 taken;
    }

    mapping(uint256 vaultId => StoredPolicy) internal _policies;
    mapping(uint256 vaultId => TopUpRecord[MAX_TOP_UPS_PER_DAY]) internal _records;
    /// @dev Ring index the vault's next top-up is written at.
    mapping(uint256 vaultId => uint256) internal _next;

    constructor(IIsomarginLens lens_) {
        lens = lens_;
        engine = lens_.engine();
    }

    /* POLICIES */

    /// @inheritdoc IMarginGuard
    function setPolicy(uint256 vaultId, GuardPolicy calldata policy_) external nonReentrant {
        _setPolicy(vaultId, policy_);
    }

    /// @inheritdoc IMarginGuard
    function setPolicyWithPermit(
        uint256 vaultId,
        GuardPolicy calldata policy_,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        address owner = _setPolicy(vaultId, policy_);
        // A permit someone else already submitted (front-running) must not block the policy: the allowance decides.
        try IERC20Permit(_token(engine.vault(vaultId).marketId, policy_.mode)).permit(
            owner, address(this), value, deadline, v, r, s
        ) {} catch {}
    }

    /// @inheritdoc IMarginGuard
    function revokePolicy(uint256 vaultId) external nonReentrant {
        _authorize(vaultId);
        delete _policies[vaultId];
        emit PolicyRevoked(vaultId, msg.sender);
    }

    function _setPolicy(uint256 vaultId, GuardPolicy calldata p) internal returns (address owner) {
        owner = _authorize(vaultId);
        if (p.feeBps > MAX_FEE_BPS) revert FeeTooHigh(p.feeBps, MAX_FEE_BPS);
        if (
            p.triggerHealth <= C.WAD || p.targetHealth <= p.triggerHealth || p.maxPerTopUp == 0 || p.maxPerDay == 0
                || p.expiry <= block.timestamp
        ) revert InvalidPolicy();
        _policies[vaultId] = StoredPolicy({owner: owner, terms: p});
        emit PolicySet(
            vaultId,
            owner,
            msg.sender,
            p.mode,
            p.triggerHealth,
            p.targetHealth,
            p.feeBps,
            p.expiry,
            p.maxPerTopUp,
            p.maxPerDay
        );
    }

    /// @dev The vault's owner, if the caller is the owner or an operator the owner approved in the engine.
    function _authorize(uint256 vaultId) internal view returns (address owner) {
        owner = engine.vault(vaultId).owner;
        if (owner == address(0)) revert IIsomarginEngine.VaultNotFound(vaultId);
        if (msg.sender != owner && !engine.isOperator(owner, msg.sender)) revert Unauthorized(vaultId, msg.sender);
    }

    /* TOP-UPS */

    /// @inheritdoc IMarginGuard
    function topUp(uint256 vaultId) external nonReentrant returns (uint256 amount, uint256 fee) {
        return _topUp(vaultId, msg.sender);
    }

    /// @inheritdoc IMarginGuard
    function topUpBatch(uint256[] calldata vaultIds)
        external
        nonReentrant
        returns (uint256[] memory amounts, uint256[] memory fees)
    {
        uint256 n = vaultIds.length;
        if (n > MAX_BATCH) revert BatchTooLarge(n, MAX_BATCH);
        amounts = new uint256[](n);
        fees = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            // A self-call so that any revert (engine, token, oracle) skips this vault only; the caller is passed on.
            try this.topUpFor(vaultIds[i], msg.sender) returns (uint256 amount, uint256 fee) {
                (amounts[i], fees[i]) = (amount, fee);
            } catch {}
        }
    }

    /// @notice `topUpBatch`'s step for one vault; callable only by this contract (inside `topUpBatch`, whose
    /// reentrancy lock covers it).
    function topUpFor(uint256 vaultId, address executor) external returns (uint256, uint256) {
        if (msg.sender != address(this)) revert Unauthorized(vaultId, msg.sender);
        return _topUp(vaultId, executor);
    }

    /// @dev Checks, then records the wallet draw against the caps, then moves tokens (checks-effects-interactions).
    function _topUp(uint256 vaultId, address executor) internal returns (uint256 amount, uint256 fee) {
        StoredPolicy memory p = _policies[vaultId];
        if (p.owner == address(0)) revert NoPolicy(vaultId);
        if (block.timestamp > p.terms.expiry) revert PolicyExpired(vaultId, p.terms.expiry);
        Vault memory v = engine.vault(vaultId);
        if (v.owner != p.owner) revert OwnerChanged(vaultId);
        uint256 healthBefore = lens.health(vaultId); // the oracle's checks apply: a stale price reverts
        if (healthBefore >= p.terms.triggerHealth) revert AboveTrigger(vaultId, healthBefore, p.terms.triggerHealth);

        IERC20 token = IERC20(_token(v.marketId, p.terms.mode));
        uint256 used;
        (amount, used) = _amount(vaultId, v.marketId, p, token);
        fee = amount * p.terms.feeBps / C.BPS; // rounded down, in the owner's favour
        used += amount + fee;
        _record(vaultId, amount + fee);

        amount = _move(vaultId, p, token, amount);
        fee = amount * p.terms.feeBps / C.BPS; // the same or less if the engine took less
        if (fee > 0) token.safeTransferFrom(p.owner, executor, fee);
        _emitToppedUp(vaultId, p, executor, amount, fee, healthBefore, used);
    }

    /// @dev Pulls `amount` from the owner and puts it into the vault; returns what the engine took.
    function _move(uint256 vaultId, StoredPolicy memory p, IERC20 token, uint256 amount) internal returns (uint256) {
        token.safeTransferFrom(p.owner, address(this), amount);
        token.forceApprove(address(engine), amount);
        if (p.terms.mode == GuardMode.DepositCollateral) {
            engine.depositCollateral(vaultId, amount);
            return amount;
        }
        (uint256 repaid,) = engine.repay(vaultId, amount);
        // the engine takes at most the debt, which `_amount` never exceeds; anything left goes back at once
        if (repaid < amount) {
            token.forceApprove(address(engine), 0);
            token.safeTransfer(p.owner, amount - repaid);
        }
        return repaid;
    }

    function _emitToppedUp(
        uint256 vaultId,
        StoredPolicy memory p,
        address executor,
        uint256 amount,
        uint256 fee,
        uint256 healthBefore,
        uint256 used
    ) internal {
        uint256 healthAfter = lens.health(vaultId);
        emit ToppedUp(vaultId, p.owner, executor, p.terms.mode, amount, fee, healthBefore, healthAfter, used);
    }

    /// @dev The least of what reaches the target and what the caps, balance and allowance allow (net of the fee),
    /// and the wallet draw already counted in the last 24 hours.
    function _amount(uint256 vaultId, uint256 marketId, StoredPolicy memory p, IERC20 token)
        internal
        view
        returns (uint256 amount, uint256 used)
    {
        bool full;
        (used, full) = _usedLast24h(vaultId);
        if (full) revert TooManyTopUps(vaultId);
        uint256 budget = p.terms.maxPerDay > used ? Math.min(p.terms.maxPerDay - used, p.terms.maxPerTopUp) : 0;
        if (budget == 0) revert CapReached(vaultId, used, p.terms.maxPerDay);
        uint256 allowance = token.allowance(p.owner, address(this));
        if (allowance == 0) revert AllowanceTooLow(vaultId, 0);
        uint256 balance = token.balanceOf(p.owner);
        if (balance == 0) revert BalanceTooLow(vaultId, 0);
        budget = Math.min(budget, Math.min(allowance, balance));
        // the largest amount whose amount + fee fits the budget: budget x BPS / (BPS + feeBps) is that for the
        // exact fee, but the fee is rounded down, so one unit more may still fit (never two: a + floor(a x f / BPS)
        // <= budget implies a < (budget + 1) x BPS / (BPS + f)). With coarse tokens the unit matters (a 10-bar cap
        // at 1% moved 9 bars, though 10 bars and their 0-bar fee fit); and a budget of 1 unit now moves it.
        uint256 affordable = budget * C.BPS / (C.BPS + p.terms.feeBps);
        if (affordable + 1 + (affordable + 1) * p.terms.feeBps / C.BPS <= budget) ++affordable;

        if (p.terms.mode == GuardMode.DepositCollateral) {
            amount = Math.min(lens.collateralToReach(vaultId, p.terms.targetHealth), affordable);
        } else {
            amount = Math.min(lens.repayToReach(vaultId, p.terms.targetHealth), affordable);
            amount = _respectMinDebt(vaultId, marketId, amount, affordable);
        }
        // `affordable` is at least 1 here (a budget of 1 unit pays a fee of 0, rounded down), so a zero amount means
        // nothing the vault accepts fits: the repay left at minDebt when the full debt is not affordable. (The
        // errors this picked when `affordable` was 0 named a balance or allowance even when a cap was the limit.)
        if (amount == 0) revert NothingToMove(vaultId);
    }

    /// @dev A partial repay that would leave debt under the market's `minDebt` reverts in the engine: repay it all
    /// when affordable (that is what reaches the target), else down to exactly `minDebt`.
    function _respectMinDebt(uint256 vaultId, uint256 marketId, uint256 amount, uint256 affordable)
        internal
        view
        returns (uint256)
    {
        uint256 debt = lens.debtOf(vaultId);
        uint256 minDebt = engine.riskParams(marketId).minDebt;
        if (amount >= debt || debt < minDebt || debt - amount >= minDebt) return amount;
        return affordable >= debt ? debt : debt - minDebt;
    }

    /// @dev Appends a top-up to the vault's ring of recent ones.
    function _record(uint256 vaultId, uint256 taken) internal {
        uint256 i = _next[vaultId];
        _records[vaultId][i] = TopUpRecord({at: uint40(block.timestamp), taken: uint216(taken)});
        _next[vaultId] = (i + 1) % MAX_TOP_UPS_PER_DAY;
    }

    /// @dev Sum of the draws within the last 24 hours, newest first until an older one; `full` when every slot
    /// of the ring is within the window.
    function _usedLast24h(uint256 vaultId) internal view returns (uint256 used, bool full) {
        uint256 next = _next[vaultId];
        TopUpRecord[MAX_TOP_UPS_PER_DAY] storage ring = _records[vaultId];
        for (uint256 k = 1; k <= MAX_TOP_UPS_PER_DAY; ++k) {
            TopUpRecord memory r = ring[(next + MAX_TOP_UPS_PER_DAY - k) % MAX_TOP_UPS_PER_DAY];
            if (r.at == 0 || r.at + DAY <= block.timestamp) return (used, false);
            used += r.taken;
        }
        return (used, true);
    }

    function _token(uint256 marketId, GuardMode mode) internal view returns (address) {
        MarketConfig memory c = engine.marketConfig(marketId);
        return mode == GuardMode.DepositCollateral ? c.collateralToken : c.loanToken;
    }

    /* VIEWS */

    /// @inheritdoc IMarginGuard
    function policy(uint256 vaultId) external view returns (StoredPolicy memory) {
        return _policies[vaultId];
    }

    /// @inheritdoc IMarginGuard
    function usedLast24h(uint256 vaultId) external view returns (uint256 used) {
        (used,) = _usedLast24h(vaultId);
    }
}

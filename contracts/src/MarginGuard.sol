// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IIsomarginEngine, MarketConfig, Vault} from "./interfaces/IIsomarginEngine.sol";
import {IIsomarginLens} from "./interfaces/IIsomarginLens.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy, StoredPolicy} from "./interfaces/IMarginGuard.sol";
import {ConstantsLib as C} from "./libraries/ConstantsLib.sol";

/// @title MarginGuard
/// @notice Saves guarded vaults before liquidation with their owners' idle wallet capital. See IMarginGuard.
/// @dev No owner, no upgrade, no balance of its own between calls: each top-up pulls from the policy's owner exactly
/// what it moves into the vault (through the engine's public entry points) and the fee it pays the caller.
/// The rolling 24-hour cap is exact: the vault's last `MAX_TOP_UPS_PER_DAY` top-ups are kept in a ring, newest
/// last, each with its mode (a cap is in the mode's token, so only draws of the policy's mode count against it), and
/// a top-up that would be the `MAX_TOP_UPS_PER_DAY + 1`th within 24 hours, of any mode, is refused.
contract MarginGuard is IMarginGuard, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_FEE_BPS = 100;
    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_TOP_UPS_PER_DAY = 8;
    /// @inheritdoc IMarginGuard
    uint256 public constant MAX_BATCH = 50;
    /// @inheritdoc IMarginGuard
    uint256 public constant TOP_UP_GAS = 750_000;
    uint256 internal constant DAY = 1 days;
    /// @dev The batch loop's own gas around one entry's self-call (the check, the call's setup, the results).
    uint256 internal constant BATCH_STEP_GAS = 10_000;

    /// @inheritdoc IMarginGuard
    IIsomarginEngine public immutable engine;
    /// @inheritdoc IMarginGuard
    IIsomarginLens public immutable lens;

    /// @dev One top-up as the rolling cap counts it: when, in which mode (the token), and what it took from the
    /// wallet (amount plus fee).
    struct TopUpRecord {
        uint40 at;
        GuardMode mode;
        uint208 taken;
    }

    mapping(uint256 vaultId => StoredPolicy) internal _policies;
    mapping(uint256 vaultId => TopUpRecord[MAX_TOP_UPS_PER_DAY]) internal _records;
    /// @dev Ring index the vault's next top-up is written at.
    mapping(uint256 vaultId => uint256) internal _next;
    /// @dev The position a policy defends: the vault's collateral and debt shares when the owner set the policy,
    /// moved to the post-state after each top-up.
    mapping(uint256 vaultId => ArmedPosition) internal _armed;

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
    function setPolicyArmedAt(uint256 vaultId, GuardPolicy calldata policy_, ArmedPosition calldata expected)
        external
        nonReentrant
    {
        Vault memory v = engine.vault(vaultId);
        if (v.collateral != expected.collateral || v.debtShares != expected.debtShares) {
            revert PositionMoved(vaultId, v.collateral, v.debtShares);
        }
        _arm(vaultId, v); // the position the owner saw, whatever the record held (PolicySet then carries it)
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
        try IERC20Permit(_token(engine.vault(vaultId).marketId, policy_.mode))
            .permit(owner, address(this), value, deadline, v, r, s) {}
            catch {}
    }

    /// @inheritdoc IMarginGuard
    function revokePolicy(uint256 vaultId) external nonReentrant {
        _ownerOrOperator(vaultId);
        delete _policies[vaultId];
        delete _armed[vaultId];
        emit PolicyRevoked(vaultId, msg.sender);
    }

    function _setPolicy(uint256 vaultId, GuardPolicy calldata p) internal returns (address owner) {
        Vault memory v = engine.vault(vaultId);
        owner = v.owner;
        if (owner == address(0)) revert IIsomarginEngine.VaultNotFound(vaultId);
        // The owner alone: a policy spends the owner's wallet, which an engine operator (who manages the vault) was
        // never given. An operator could otherwise set a policy with wide caps, pull the wallet into the vault and
        // withdraw it, and the policy would outlive the operator's revocation.
        if (msg.sender != owner) revert Unauthorized(vaultId, msg.sender);
        if (p.feeBps > MAX_FEE_BPS) revert FeeTooHigh(p.feeBps, MAX_FEE_BPS);
        // A daily cap the day's top-ups cannot reach (more than MAX_TOP_UPS_PER_DAY x maxPerTopUp) would promise
        // capacity the count limit then refuses.
        if (
            p.triggerHealth <= C.WAD || p.targetHealth <= p.triggerHealth || p.maxPerTopUp == 0 || p.maxPerDay == 0
                || p.maxPerDay > uint256(p.maxPerTopUp) * MAX_TOP_UPS_PER_DAY || p.expiry <= block.timestamp
        ) revert InvalidPolicy();
        if (v.collateral == 0 || v.debtShares == 0) revert NoPosition(vaultId);
        _policies[vaultId] = StoredPolicy({owner: owner, terms: p});
        // A first policy arms the vault as it stands; a later one (new terms, a later expiry) only moves the record to
        // a position at least as safe: a drawn-down one is accepted only through setPolicyArmedAt, so an operator
        // who borrows just before the owner's update does not get that position armed.
        ArmedPosition memory a = _armed[vaultId];
        if ((a.collateral == 0 && a.debtShares == 0) || _atLeastAsSafe(v, a)) {
            _arm(vaultId, v);
            a = ArmedPosition({collateral: v.collateral, debtShares: v.debtShares});
        }
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
            p.maxPerDay,
            a.collateral,
            a.debtShares
        );
    }

    /// @dev The vault's owner, if the caller is the owner or an operator the owner approved in the engine (who may
    /// revoke a policy: that only stops top-ups).
    function _ownerOrOperator(uint256 vaultId) internal view returns (address owner) {
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
            // Each entry gets TOP_UP_GAS and no more, so one whose token hook burns gas cannot starve the entries
            // after it (a call forwards at most 63/64 of what is left, hence the margin). A batch with too little
            // gas left for the next entry stops there and says so: the entries already run stand (a revert would
            // let whoever burns the gas roll back honest top-ups before theirs), and the results are cut to the
            // entries tried, so one not tried is never mistaken for one skipped.
            uint256 left = gasleft();
            if (left < TOP_UP_GAS + TOP_UP_GAS / 63 + BATCH_STEP_GAS) {
                assembly ("memory-safe") {
                    mstore(amounts, i)
                    mstore(fees, i)
                }
                emit BatchStopped(i, n, left);
                break;
            }
            // A self-call so that any revert (engine, token, oracle) skips this vault only; the caller is passed on.
            try this.topUpFor{gas: TOP_UP_GAS}(vaultIds[i], msg.sender) returns (uint256 amount, uint256 fee) {
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
        _requireArmedRisk(vaultId, v);
        uint256 healthBefore = lens.health(vaultId); // the oracle's checks apply: a stale price reverts
        if (healthBefore >= p.terms.triggerHealth) revert AboveTrigger(vaultId, healthBefore, p.terms.triggerHealth);

        IERC20 token = IERC20(_token(v.marketId, p.terms.mode));
        uint256 used;
        (amount, used) = _amount(vaultId, v.marketId, p, token);
        fee = amount * p.terms.feeBps / C.BPS; // rounded down, in the owner's favour
        used += amount + fee;
        _record(vaultId, p.terms.mode, amount + fee);

        {
            uint256 sharesRepaid;
            (amount, sharesRepaid) = _move(vaultId, p, token, amount);
            // the next top-up defends the position as this one leaves it (the engine took `amount` in or
            // `sharesRepaid` out); recorded below, once the vault is known not to be left liquidatable
            if (p.terms.mode == GuardMode.DepositCollateral) v.collateral += uint128(amount);
            else v.debtShares -= uint128(sharesRepaid);
        }
        // A top-up that leaves the vault liquidatable would only hand the owner's money to its liquidator (a full
        // liquidation seizes it with the rest): it does not run. Checked before the fee is paid: a receive hook on
        // the fee transfer gives the executor control, and a liquidation there would leave no debt to read.
        uint256 healthAfter = lens.health(vaultId);
        if (healthAfter < C.WAD) revert StillLiquidatable(vaultId, healthAfter);
        fee = amount * p.terms.feeBps / C.BPS; // the same or less if the engine took less
        _arm(vaultId, v);
        if (fee > 0) token.safeTransferFrom(p.owner, executor, fee);
        emit ToppedUp(
            vaultId,
            p.owner,
            executor,
            p.terms.mode,
            amount,
            fee,
            healthBefore,
            healthAfter,
            used,
            v.collateral,
            v.debtShares
        );
    }

    /// @dev Records `v` as the position the vault's policy defends.
    function _arm(uint256 vaultId, Vault memory v) internal {
        _armed[vaultId] = ArmedPosition({collateral: v.collateral, debtShares: v.debtShares});
    }

    /// @dev Reverts unless the vault is at least as safe as its armed position (`_atLeastAsSafe`). Interest and the
    /// price move neither figure, deposits and repays keep it, so only a withdraw or a borrow (the owner's or an engine
    /// operator's; or a deep partial liquidation, which seizes more per share than the vault holds) can fail it.
    /// Without this, an operator the owner approved in the engine could withdraw or borrow the vault under its
    /// trigger, collect the fee of the top-up that follows, withdraw what it deposited and repeat, draining the
    /// owner's wallet up to the daily cap.
    function _requireArmedRisk(uint256 vaultId, Vault memory v) internal view {
        ArmedPosition memory a = _armed[vaultId];
        if (!_atLeastAsSafe(v, a)) revert RiskRaisedSinceArmed(vaultId, a.collateral, a.debtShares);
    }

    /// @dev `v` is at least as healthy as `a` at any price and interest: no more debt shares, and at least the
    /// collateral per share (`c / s >= c0 / s0`, compared as `c * s0 >= c0 * s`; both products fit 256 bits). The
    /// ratio alone is not enough: the engine's margin tiers are progressive, so a position scaled up at the same ratio
    /// pays a higher marginal margin (the third attack pass levered a vault at its armed ratio under the trigger with
    /// flash-borrowed collateral). With no more shares, `c >= c0 * s / s0`, and the most a collateral value may
    /// borrow is concave and zero at zero, so the bound scales at least with `s / s0` as the debt does.
    function _atLeastAsSafe(Vault memory v, ArmedPosition memory a) internal pure returns (bool) {
        return v.debtShares <= a.debtShares && uint256(v.collateral) * a.debtShares >= uint256(a.collateral) * v.debtShares;
    }

    /// @dev Pulls `amount` from the owner and puts it into the vault; returns what the engine took and, for a repay,
    /// the debt shares it burned.
    function _move(uint256 vaultId, StoredPolicy memory p, IERC20 token, uint256 amount)
        internal
        returns (uint256, uint256 sharesRepaid)
    {
        token.safeTransferFrom(p.owner, address(this), amount);
        token.forceApprove(address(engine), amount);
        if (p.terms.mode == GuardMode.DepositCollateral) {
            engine.depositCollateral(vaultId, amount);
            return (amount, 0);
        }
        uint256 repaid;
        (repaid, sharesRepaid) = engine.repay(vaultId, amount);
        // the engine takes at most the debt, which `_amount` never exceeds; anything left goes back at once
        if (repaid < amount) {
            token.forceApprove(address(engine), 0);
            token.safeTransfer(p.owner, amount - repaid);
        }
        return (repaid, sharesRepaid);
    }

    /// @dev The least of what reaches the target and what the caps, balance and allowance allow (net of the fee),
    /// and the wallet draw of the policy's mode already counted in the last 24 hours. A top-up the wallet limits to
    /// less than 1/MAX_TOP_UPS_PER_DAY of what the caps allow toward the target is refused: the day's slots are few,
    /// and dust (say 2 wei an attacker sends the owner before each call) must not use them up before the owner's
    /// funds arrive.
    function _amount(uint256 vaultId, uint256 marketId, StoredPolicy memory p, IERC20 token)
        internal
        view
        returns (uint256 amount, uint256 used)
    {
        bool full;
        (used, full) = _usedLast24h(vaultId, p.terms.mode);
        if (full) revert TooManyTopUps(vaultId);
        uint256 capBudget = p.terms.maxPerDay > used ? Math.min(p.terms.maxPerDay - used, p.terms.maxPerTopUp) : 0;
        if (capBudget == 0) revert CapReached(vaultId, used, p.terms.maxPerDay);

        (uint256 need, uint256 debt, uint256 minDebt) = _need(vaultId, marketId, p);
        uint256 wanted = _fit(p.terms.mode, need, _affordable(capBudget, p.terms.feeBps), debt, minDebt);
        // nothing the vault accepts fits the caps: the repay left at minDebt when the full debt is not affordable
        if (wanted == 0) revert NothingToMove(vaultId);
        uint256 wallet = Math.min(token.allowance(p.owner, address(this)), token.balanceOf(p.owner));
        amount = _fit(p.terms.mode, need, _affordable(Math.min(capBudget, wallet), p.terms.feeBps), debt, minDebt);
        if (amount == 0 || amount < Math.ceilDiv(wanted, MAX_TOP_UPS_PER_DAY)) _revertWalletTooLow(vaultId, p, token);
    }

    /// @dev What brings the vault to its target (collateral or repay by mode) and, for a repay, its debt and the
    /// market's `minDebt`.
    function _need(uint256 vaultId, uint256 marketId, StoredPolicy memory p)
        internal
        view
        returns (uint256 need, uint256 debt, uint256 minDebt)
    {
        if (p.terms.mode == GuardMode.DepositCollateral) {
            return (lens.collateralToReach(vaultId, p.terms.targetHealth), 0, 0);
        }
        return
            (
                lens.repayToReach(vaultId, p.terms.targetHealth),
                lens.debtOf(vaultId),
                engine.riskParams(marketId).minDebt
            );
    }

    /// @dev What a top-up of `mode` moves toward `need` when `affordable` is the most it may: the least of the two,
    /// and for a repay one the engine accepts (see `_respectMinDebt`).
    function _fit(GuardMode mode, uint256 need, uint256 affordable, uint256 debt, uint256 minDebt)
        internal
        pure
        returns (uint256)
    {
        uint256 amount = Math.min(need, affordable);
        return mode == GuardMode.DepositCollateral ? amount : _respectMinDebt(amount, affordable, debt, minDebt);
    }

    /// @dev Names the wallet limit that binds: the allowance when it is the lower, else the balance.
    function _revertWalletTooLow(uint256 vaultId, StoredPolicy memory p, IERC20 token) internal view {
        uint256 allowance = token.allowance(p.owner, address(this));
        uint256 balance = token.balanceOf(p.owner);
        if (allowance < balance) revert AllowanceTooLow(vaultId, allowance);
        revert BalanceTooLow(vaultId, balance);
    }

    /// @dev The largest amount whose amount + fee fits `budget`: budget x BPS / (BPS + feeBps) is that for the exact
    /// fee, but the fee is rounded down, so one unit more may still fit (never two: a + floor(a x f / BPS) <= budget
    /// implies a < (budget + 1) x BPS / (BPS + f)). With coarse tokens the unit matters (a 10-bar cap at 1% moved 9
    /// bars, though 10 bars and their 0-bar fee fit); and a budget of 1 unit moves it.
    function _affordable(uint256 budget, uint256 feeBps) internal pure returns (uint256 a) {
        a = budget * C.BPS / (C.BPS + feeBps);
        if (a + 1 + (a + 1) * feeBps / C.BPS <= budget) ++a;
    }

    /// @dev A partial repay that would leave debt under the market's `minDebt` reverts in the engine: repay it all
    /// when affordable (that is what reaches the target), else down to exactly `minDebt`.
    function _respectMinDebt(uint256 amount, uint256 affordable, uint256 debt, uint256 minDebt)
        internal
        pure
        returns (uint256)
    {
        if (amount >= debt || debt < minDebt || debt - amount >= minDebt) return amount;
        return affordable >= debt ? debt : debt - minDebt;
    }

    /// @dev Appends a top-up to the vault's ring of recent ones.
    function _record(uint256 vaultId, GuardMode mode, uint256 taken) internal {
        uint256 i = _next[vaultId];
        _records[vaultId][i] = TopUpRecord({at: uint40(block.timestamp), mode: mode, taken: uint208(taken)});
        _next[vaultId] = (i + 1) % MAX_TOP_UPS_PER_DAY;
    }

    /// @dev Sum of the draws of `mode` within the last 24 hours, newest first until an older one; `full` when every
    /// slot of the ring, of any mode, is within the window.
    function _usedLast24h(uint256 vaultId, GuardMode mode) internal view returns (uint256 used, bool full) {
        uint256 next = _next[vaultId];
        TopUpRecord[MAX_TOP_UPS_PER_DAY] storage ring = _records[vaultId];
        for (uint256 k = 1; k <= MAX_TOP_UPS_PER_DAY; ++k) {
            TopUpRecord memory r = ring[(next + MAX_TOP_UPS_PER_DAY - k) % MAX_TOP_UPS_PER_DAY];
            if (r.at == 0 || r.at + DAY <= block.timestamp) return (used, false);
            if (r.mode == mode) used += r.taken;
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
    function armedPosition(uint256 vaultId) external view returns (ArmedPosition memory) {
        return _armed[vaultId];
    }

    /// @inheritdoc IMarginGuard
    function usedLast24h(uint256 vaultId, GuardMode mode) external view returns (uint256 used) {
        (used,) = _usedLast24h(vaultId, mode);
    }
}

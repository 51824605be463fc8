// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

import {IIsomarginEngine} from "./IIsomarginEngine.sol";
import {IIsomarginLens} from "./IIsomarginLens.sol";

/// @notice How a guard tops a vault up: with collateral from the owner's wallet, or by repaying debt with the
/// owner's loan tokens.
enum GuardMode {
    DepositCollateral,
    RepayDebt
}

/// @notice What a vault's owner authorizes. Healths are WAD (1e18 = the liquidation threshold); amounts and caps
/// are in the token the mode moves (collateral token or loan token), and every cap counts the executor fee too.
struct GuardPolicy {
    /// @dev Top-ups may run only while the vault's health is below this (above 1e18).
    uint64 triggerHealth;
    /// @dev A top-up moves what brings the vault to this health (above the trigger), within the caps.
    uint64 targetHealth;
    GuardMode mode;
    /// @dev Paid to whoever executes a top-up, in bps of the amount moved into the vault; at most `MAX_FEE_BPS`.
    uint16 feeBps;
    /// @dev The policy stops working after this timestamp.
    uint40 expiry;
    /// @dev Most one top-up may take from the owner's wallet (amount plus fee).
    uint128 maxPerTopUp;
    /// @dev Most all top-ups of the vault may take from the owner's wallet in any 24 hours (amount plus fee).
    uint128 maxPerDay;
}

/// @notice A policy as stored: the owner it was set for (funds only ever move from this address) and the terms.
struct StoredPolicy {
    address owner;
    GuardPolicy terms;
}

/// @notice The position a policy defends: the vault's collateral and debt shares when its owner armed the policy, or
/// after its last top-up. A top-up runs only while the vault holds no more debt shares and at least as much
/// collateral per debt share (at least as healthy at any price).
struct ArmedPosition {
    uint128 collateral;
    uint128 debtShares;
}

/// @title IMarginGuard
/// @notice Pre-authorized top-ups from a vault owner's wallet: when a guarded vault's health falls below its trigger,
/// anyone may call `topUp`, which moves from the owner's wallet what brings the vault back to its target health
/// (within the owner's caps, balance and allowance) through the engine's public `depositCollateral` or `repay`, and
/// pays the caller a bounded fee. The guard has no owner and no power over anyone's funds beyond the policies and
/// the allowances each owner grants it; revoking either takes effect at once.
interface IMarginGuard {
    /* EVENTS */

    /// @notice A policy was set (or replaced) for `vaultId`, whose owner is `owner`, by `by` (the owner). The armed
    /// position after it (`armedPosition(vaultId)`: the collateral and debt shares top-ups defend) is
    /// `armedCollateral` and `armedDebtShares`.
    event PolicySet(
        uint256 indexed vaultId,
        address indexed owner,
        address indexed by,
        GuardMode mode,
        uint64 triggerHealth,
        uint64 targetHealth,
        uint16 feeBps,
        uint40 expiry,
        uint128 maxPerTopUp,
        uint128 maxPerDay,
        uint128 armedCollateral,
        uint128 armedDebtShares
    );
    event PolicyRevoked(uint256 indexed vaultId, address indexed by);
    /// @notice `topUpBatch` stopped before entry `index` of `length`: `gasLeft` was less than an entry may need
    /// (`TOP_UP_GAS` and the 1/64 a call keeps). The entries before it ran; its results cover those only.
    event BatchStopped(uint256 index, uint256 length, uint256 gasLeft);
    /// @notice A top-up ran: `amount` went into the vault (collateral deposited or debt repaid) and `fee` to
    /// `executor`, both from `owner`'s wallet. Healths are before and after, at the same oracle price;
    /// `usedLast24h` is what the vault's top-ups of this `mode` took from the wallet in the 24 hours ending now, this
    /// one included. The armed position moves to the vault as the top-up left it: `armedCollateral` and
    /// `armedDebtShares`.
    event ToppedUp(
        uint256 indexed vaultId,
        address indexed owner,
        address indexed executor,
        GuardMode mode,
        uint256 amount,
        uint256 fee,
        uint256 healthBefore,
        uint256 healthAfter,
        uint256 usedLast24h,
        uint128 armedCollateral,
        uint128 armedDebtShares
    );

    /* ERRORS */

    error Unauthorized(uint256 vaultId, address caller);
    /// @dev Trigger not above 1e18, target not above trigger, a zero cap, a daily cap above `MAX_TOP_UPS_PER_DAY`
    /// times the per-top-up cap (unreachable), or an expiry not in the future.
    error InvalidPolicy();
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    error NoPolicy(uint256 vaultId);
    error PolicyExpired(uint256 vaultId, uint256 expiry);
    /// @dev The vault's owner is no longer the one the policy was set for.
    error OwnerChanged(uint256 vaultId);
    error AboveTrigger(uint256 vaultId, uint256 health, uint256 triggerHealth);
    /// @dev The per-top-up or rolling 24-hour cap leaves nothing to move.
    error CapReached(uint256 vaultId, uint256 usedLast24h, uint256 maxPerDay);
    /// @dev `MAX_TOP_UPS_PER_DAY` top-ups already ran in the last 24 hours.
    error TooManyTopUps(uint256 vaultId);
    /// @dev The allowance (or below, the balance) limits the top-up to nothing, or to less than
    /// 1/`MAX_TOP_UPS_PER_DAY` of what the caps allow toward the target (a dust top-up would waste a daily slot).
    error AllowanceTooLow(uint256 vaultId, uint256 allowance);
    error BalanceTooLow(uint256 vaultId, uint256 balance);
    /// @dev What the limits allow would leave the vault liquidatable (health `healthAfter` < 1e18): the owner's
    /// money would only be seized with the rest, so the top-up does not run.
    error StillLiquidatable(uint256 vaultId, uint256 healthAfter);
    /// @dev The vault is not at least as safe as the position its policy defends (`armedPosition`): it holds more
    /// debt shares, or less collateral per debt share; it was withdrawn from or borrowed against since the policy was
    /// armed or last topped up. The guard spends the owner's wallet to defend a position against the price, not to
    /// refill one drawn down (by the owner or by an engine operator, who could otherwise loop withdraw and top-up);
    /// the owner re-arms with `setPolicyArmedAt`.
    error RiskRaisedSinceArmed(uint256 vaultId, uint128 armedCollateral, uint128 armedDebtShares);
    /// @dev `setPolicyArmedAt`: the vault's position is no longer the one the owner expected (it holds `collateral`
    /// and `debtShares` now).
    error PositionMoved(uint256 vaultId, uint128 collateral, uint128 debtShares);
    /// @dev A policy needs a position to defend: the vault holds no collateral or no debt.
    error NoPosition(uint256 vaultId);
    /// @dev The moved amount cannot change the vault (for example a repay smaller than one debt share).
    error NothingToMove(uint256 vaultId);
    error BatchTooLarge(uint256 length, uint256 max);

    /* POLICIES */

    /// @notice Sets (or replaces) the policy of `vaultId`. Only the vault's owner: a policy spends the owner's
    /// wallet, which an engine operator was never given. Funds always come from the vault's owner, who must also
    /// grant this contract an allowance.
    /// The vault must hold collateral and debt (`NoPosition`). A first policy (none armed, or after `revokePolicy`)
    /// arms the vault as it stands; a later one moves the armed position only to one at least as safe (a term update
    /// never accepts a drawn-down position: use `setPolicyArmedAt`).
    function setPolicy(uint256 vaultId, GuardPolicy calldata policy) external;
    /// @notice `setPolicy`, arming exactly the position the owner saw: reverts `PositionMoved` unless the vault holds
    /// `expected`'s collateral and debt shares (so an engine operator's borrow just before cannot be armed), and arms
    /// it whatever the record held (how an owner accepts a position they levered up themselves).
    function setPolicyArmedAt(uint256 vaultId, GuardPolicy calldata policy, ArmedPosition calldata expected)
        external;

    /// @notice `setPolicy` after an EIP-2612 permit of the mode's token (owner to this contract, `value` until
    /// `deadline`). A permit that fails (already used, front-run) is ignored; the allowance decides.
    function setPolicyWithPermit(
        uint256 vaultId,
        GuardPolicy calldata policy,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Deletes the policy of `vaultId` at once. The vault's owner or an operator the owner approved in the
    /// engine (revoking only stops top-ups).
    function revokePolicy(uint256 vaultId) external;

    /* TOP-UPS */

    /// @notice Tops `vaultId` up toward its target health from its owner's wallet and pays the caller the fee.
    /// Reverts unless the vault has a live policy, holds at least the collateral per debt share of the position the
    /// policy defends (`RiskRaisedSinceArmed`), and its health, at the current oracle price, is below the trigger (a
    /// stale oracle reverts). Moves the least of: what reaches the target, the caps, the owner's balance
    /// and allowance; a partial top-up runs when a limit binds, unless the wallet allows less than
    /// 1/`MAX_TOP_UPS_PER_DAY` of what the caps allow (`AllowanceTooLow`/`BalanceTooLow`) or the vault would stay
    /// liquidatable (`StillLiquidatable`).
    /// @return amount Moved into the vault (collateral units or loan units by mode).
    /// @return fee Paid to the caller, in the same token.
    function topUp(uint256 vaultId) external returns (uint256 amount, uint256 fee);

    /// @notice `topUp` for each vault (at most `MAX_BATCH`); a vault that cannot be topped up (no policy, above its
    /// trigger, a limit reached, a stale oracle, more gas than `TOP_UP_GAS`) is skipped with 0, not reverted. Each
    /// entry is given `TOP_UP_GAS`; when less than that is left for an entry the batch stops there (`BatchStopped`),
    /// keeping the entries already run, and returns results for those only.
    function topUpBatch(uint256[] calldata vaultIds) external returns (uint256[] memory amounts, uint256[] memory fees);

    /* VIEWS */

    function engine() external view returns (IIsomarginEngine);
    function lens() external view returns (IIsomarginLens);
    function MAX_FEE_BPS() external view returns (uint256);
    function MAX_TOP_UPS_PER_DAY() external view returns (uint256);
    function MAX_BATCH() external view returns (uint256);
    /// @notice The gas each `topUpBatch` entry is given (a top-up takes about half).
    function TOP_UP_GAS() external view returns (uint256);
    function policy(uint256 vaultId) external view returns (StoredPolicy memory);
    /// @notice The position the vault's policy defends (zero without a policy): see `RiskRaisedSinceArmed`.
    function armedPosition(uint256 vaultId) external view returns (ArmedPosition memory);
    /// @notice What the vault's top-ups of `mode` took from the owner's wallet in the 24 hours ending now (the cap of
    /// a policy of that mode counts these).
    function usedLast24h(uint256 vaultId, GuardMode mode) external view returns (uint256);
}

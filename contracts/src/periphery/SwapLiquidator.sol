// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IIsomarginEngine, MarketConfig} from "../interfaces/IIsomarginEngine.sol";
import {IIsomarginLens} from "../interfaces/IIsomarginLens.sol";
import {ILiquidationCallback} from "../interfaces/ILiquidationCallback.sol";
import {ConstantsLib as C} from "../libraries/ConstantsLib.sol";
import {IUniswapV2Router} from "./interfaces/IUniswapV2.sol";

/// @title SwapLiquidator
/// @notice Liquidates Isomargin vaults without capital: the engine sends the seized collateral here, calls
/// `onIsomarginLiquidation`, in which this contract sells all of it for the loan token on a Uniswap V2 pool and
/// approves the engine for exactly what it owes; the engine then pulls it. What the sale brings above the debt repaid
/// and the protocol fee stays here, for the owner to withdraw.
/// @dev Money rules, each enforced on chain:
/// - only the owner and the operators it names may start a liquidation (the keeper's key is an operator, the owner's
///   can stay cold); only the owner withdraws;
/// - the callback runs only when the engine calls it during a liquidation this contract started (a transient stage
///   set just before the engine call and consumed by the callback), so nobody can make it sell or approve anything
///   outside one;
/// - the sale's minimum output is the oracle value of the seized collateral less at most `MAX_SLIPPAGE_BPS` (the
///   caller picks a tighter bound per call) and never less than what is owed: a pool pushed below the oracle price
///   (sandwiched, too shallow) makes the liquidation revert instead of selling cheap;
/// - the loan-token balance after a liquidation must be at least the balance before plus the caller's `minProfit`:
///   the contract either gains or the transaction reverts;
/// - approvals are exact and spent within the call (router: the seized collateral; engine: what is owed), so no
///   allowance is left standing; every entry point is non-reentrant.
contract SwapLiquidator is ILiquidationCallback, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Largest slippage below the oracle value a caller may allow: 10%.
    uint256 public constant MAX_SLIPPAGE_BPS = 1_000;

    uint256 internal constant IDLE = 0;
    uint256 internal constant AWAITING_CALLBACK = 1;
    uint256 internal constant CALLBACK_DONE = 2;

    /// @notice The engine whose liquidations this contract runs (the only caller of the callback).
    IIsomarginEngine public immutable engine;
    /// @notice The engine's lens: the oracle price the minimum sale output is derived from.
    IIsomarginLens public immutable lens;
    /// @notice The Uniswap V2 router the seized collateral is sold through (collateral -> loan token, one pool).
    IUniswapV2Router public immutable router;

    /// @notice Addresses besides the owner allowed to start liquidations.
    mapping(address => bool) public isOperator;

    /// @dev Where the liquidation in progress is: IDLE, AWAITING_CALLBACK (engine called by us), CALLBACK_DONE.
    uint256 private transient _stage;

    /// @notice An operator was allowed or disallowed.
    event OperatorSet(address indexed operator, bool allowed);
    /// @notice Seized collateral sold in a callback: `proceeds` loan tokens for `seized`, of which `owed` go to the
    /// engine.
    event CollateralSold(uint256 indexed marketId, uint256 seized, uint256 proceeds, uint256 owed);
    /// @notice A liquidation through this contract finished with `profit` loan tokens kept.
    event LiquidationProfit(uint256 indexed marketId, address indexed caller, uint256 liquidated, uint256 profit);
    /// @notice The owner withdrew tokens.
    event Withdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice The caller is neither the owner nor an operator.
    error NotOperator(address caller);
    /// @notice The callback was called by someone other than the engine.
    error NotEngine(address caller);
    /// @notice The callback was called outside a liquidation this contract started, or twice in one.
    error NoLiquidationPending();
    /// @notice The engine returned without calling back although it liquidated something.
    error CallbackMissing();
    /// @notice The slippage asked for is above `MAX_SLIPPAGE_BPS`.
    error SlippageTooHigh(uint256 slippageBps, uint256 maxSlippageBps);
    /// @notice The pool would pay (or paid) `amountOut` for the seized collateral, under the minimum `minOut`.
    error SwapBelowMinimum(uint256 amountOut, uint256 minOut);
    /// @notice The liquidation would leave `profit` loan tokens, under the caller's `minProfit`.
    error ProfitBelowMinimum(uint256 profit, uint256 minProfit);
    /// @notice The engine sent no collateral to sell.
    error NothingSeized();
    /// @notice An address argument was zero.
    error ZeroAddress();

    modifier onlyOperator() {
        if (msg.sender != owner() && !isOperator[msg.sender]) revert NotOperator(msg.sender);
        _;
    }

    constructor(IIsomarginLens lens_, IUniswapV2Router router_, address owner_) Ownable(owner_) {
        if (address(lens_) == address(0) || address(router_) == address(0)) revert ZeroAddress();
        lens = lens_;
        engine = lens_.engine();
        router = router_;
    }

    /* OWNER */

    /// @notice Allows or disallows `operator` to start liquidations.
    function setOperator(address operator, bool allowed) external onlyOwner {
        if (operator == address(0)) revert ZeroAddress();
        isOperator[operator] = allowed;
        emit OperatorSet(operator, allowed);
    }

    /// @notice Sends `amount` of `token` held here (the profits) to `to`.
    function withdraw(IERC20 token, address to, uint256 amount) external onlyOwner nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        token.safeTransfer(to, amount);
        emit Withdrawn(address(token), to, amount);
    }

    /* LIQUIDATION */

    /// @notice Liquidates one vault through the engine's `liquidate` (same `maxRepay` and `minSeized`) and sells the
    /// seized collateral in the callback.
    /// @param slippageBps how far below the oracle value of the seized collateral the sale may go (at most
    /// `MAX_SLIPPAGE_BPS`)
    /// @param minProfit the least loan-token gain the liquidation must leave here, else it reverts
    /// @return repaid debt repaid
    /// @return seized collateral seized (and sold)
    /// @return profit loan tokens kept
    function liquidate(uint256 vaultId, uint256 maxRepay, uint256 minSeized, uint256 slippageBps, uint256 minProfit)
        external
        nonReentrant
        onlyOperator
        returns (uint256 repaid, uint256 seized, uint256 profit)
    {
        uint256 marketId = engine.vault(vaultId).marketId;
        IERC20 loan = _checkedLoanToken(marketId, slippageBps);
        uint256 before = loan.balanceOf(address(this));
        _stage = AWAITING_CALLBACK;
        (repaid, seized) = engine.liquidate(vaultId, maxRepay, minSeized, address(this), abi.encode(slippageBps));
        profit = _finish(marketId, loan, before, minProfit, 1);
    }

    /// @notice Liquidates up to the engine's batch limit of vaults of one market through `liquidateBatch` (vaults no
    /// longer liquidatable are skipped, as the engine does) and sells all the seized collateral in one callback.
    /// @return liquidated vaults liquidated (as `liquidateBatch` returns it)
    /// @return repaid debt repaid
    /// @return seized collateral seized (and sold)
    /// @return fee protocol fee paid
    /// @return profit loan tokens kept
    function liquidateBatch(uint256 marketId, uint256[] calldata vaultIds, uint256 slippageBps, uint256 minProfit)
        external
        nonReentrant
        onlyOperator
        returns (uint256 liquidated, uint256 repaid, uint256 seized, uint256 fee, uint256 profit)
    {
        IERC20 loan = _checkedLoanToken(marketId, slippageBps);
        uint256 before = loan.balanceOf(address(this));
        _stage = AWAITING_CALLBACK;
        (liquidated, repaid, seized, fee) = engine.liquidateBatch(marketId, vaultIds, address(this), abi.encode(slippageBps));
        profit = _finish(marketId, loan, before, minProfit, liquidated);
    }

    /// @inheritdoc ILiquidationCallback
    function onIsomarginLiquidation(uint256 marketId, uint256 seizedCollateral, uint256 owed, bytes calldata data)
        external
    {
        if (msg.sender != address(engine)) revert NotEngine(msg.sender);
        if (_stage != AWAITING_CALLBACK) revert NoLiquidationPending();
        _stage = CALLBACK_DONE;
        if (seizedCollateral == 0) revert NothingSeized();
        // the data is ours: the stage proves this contract made the engine call that carries it
        uint256 slippageBps = abi.decode(data, (uint256));
        MarketConfig memory c = engine.marketConfig(marketId);

        uint256 fair = Math.mulDiv(seizedCollateral, lens.price(marketId), C.PRICE_SCALE);
        uint256 minOut = Math.mulDiv(fair, C.BPS - slippageBps, C.BPS, Math.Rounding.Ceil);
        if (minOut < owed) minOut = owed;

        address[] memory path = new address[](2);
        path[0] = c.collateralToken;
        path[1] = c.loanToken;
        uint256 quoted = router.getAmountsOut(seizedCollateral, path)[1];
        if (quoted < minOut) revert SwapBelowMinimum(quoted, minOut);

        IERC20 loan = IERC20(c.loanToken);
        uint256 before = loan.balanceOf(address(this));
        IERC20(c.collateralToken).forceApprove(address(router), seizedCollateral);
        router.swapExactTokensForTokens(seizedCollateral, minOut, path, address(this), block.timestamp);
        uint256 proceeds = loan.balanceOf(address(this)) - before;
        if (proceeds < minOut) revert SwapBelowMinimum(proceeds, minOut);

        loan.forceApprove(address(engine), owed);
        emit CollateralSold(marketId, seizedCollateral, proceeds, owed);
    }

    /* INTERNALS */

    function _checkedLoanToken(uint256 marketId, uint256 slippageBps) internal view returns (IERC20) {
        if (slippageBps > MAX_SLIPPAGE_BPS) revert SlippageTooHigh(slippageBps, MAX_SLIPPAGE_BPS);
        return IERC20(engine.marketConfig(marketId).loanToken);
    }

    /// @dev After the engine returned: the callback ran iff something was liquidated, and the balance grew by at
    /// least `minProfit`.
    function _finish(uint256 marketId, IERC20 loan, uint256 before, uint256 minProfit, uint256 liquidated)
        internal
        returns (uint256 profit)
    {
        uint256 stage = _stage;
        _stage = IDLE;
        if (liquidated > 0 && stage != CALLBACK_DONE) revert CallbackMissing();
        uint256 afterBalance = loan.balanceOf(address(this));
        profit = afterBalance > before ? afterBalance - before : 0;
        if (afterBalance < before + minProfit) revert ProfitBelowMinimum(profit, minProfit);
        emit LiquidationProfit(marketId, msg.sender, liquidated, profit);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "../unit/UnitBase.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";

/// @notice The unit fixture (USDC 6 dec / WETH 18 dec at $2,000, MM 10% below $1M, minDebt 100 USDC) plus a
/// MarginGuard, a 1M USDC lender and ALICE's vault: 10 WETH against 15,000 USDC (health 1.2 at $2,000, 1.08 at
/// $1,800, liquidatable below $1,666.67). No time passes unless a test warps, so debt equals the borrowed assets and
/// there are exactly 1e6 debt shares per unit.
abstract contract GuardBase is UnitBase {
    address internal constant KEEPER = address(0x4EE9);
    address internal constant OPERATOR = address(0x09E4);

    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    uint64 internal constant TRIGGER = 1.1e18;
    uint64 internal constant TARGET = 1.25e18;
    uint16 internal constant FEE = 50;

    MarginGuard internal guard;
    uint256 internal vaultId;

    function setUp() public virtual override {
        super.setUp();
        guard = new MarginGuard(lens);
        vm.label(address(guard), "guard");
        _supply(LENDER, 1_000_000e6);
        vaultId = _open(ALICE, 10e18, 15_000e6);
    }

    /* POLICIES */

    function _terms(GuardMode mode, uint64 trigger, uint64 target, uint16 feeBps, uint128 perTopUp, uint128 perDay)
        internal
        view
        returns (GuardPolicy memory)
    {
        return GuardPolicy({
            triggerHealth: trigger,
            targetHealth: target,
            mode: mode,
            feeBps: feeBps,
            expiry: uint40(block.timestamp + 30 days),
            maxPerTopUp: perTopUp,
            maxPerDay: perDay
        });
    }

    /// @dev Trigger 1.1, target 1.25, 0.5% fee, caps far above what any top-up of the fixture needs.
    function _depositTerms() internal view returns (GuardPolicy memory) {
        return _terms(GuardMode.DepositCollateral, TRIGGER, TARGET, FEE, 100e18, 200e18);
    }

    function _repayTerms() internal view returns (GuardPolicy memory) {
        return _terms(GuardMode.RepayDebt, TRIGGER, TARGET, FEE, 100_000e6, 200_000e6);
    }

    function _setPolicy(address by, uint256 id, GuardPolicy memory p) internal {
        vm.prank(by);
        guard.setPolicy(id, p);
    }

    /* WALLETS */

    /// @dev Mints `amount` of `token` to `who` and sets the guard's allowance to `allowance`.
    function _fundWallet(MockERC20 token, address who, uint256 amount, uint256 allowance) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(guard), allowance);
    }

    /* TOP-UPS */

    function _topUp(uint256 id) internal returns (uint256 amount, uint256 fee) {
        vm.prank(KEEPER);
        return guard.topUp(id);
    }

    /// @dev `topUp` as KEEPER, expecting it to revert with exactly `err`.
    function _expectTopUpRevert(uint256 id, bytes memory err) internal {
        vm.prank(KEEPER);
        vm.expectRevert(err);
        guard.topUp(id);
    }

    /// @dev Moves the clock forward and re-publishes the feed (max oracle age: one hour).
    function _warpFresh(uint256 to) internal {
        vm.warp(to);
        _refreshFeeds();
    }

    /* CHECKS */

    /// @dev The guard keeps nothing between calls: no balance of either token and no allowance left to the engine.
    function _assertGuardEmpty() internal view {
        vm.assertEq(weth.balanceOf(address(guard)), 0, "guard holds collateral");
        vm.assertEq(usdc.balanceOf(address(guard)), 0, "guard holds loan tokens");
        vm.assertEq(weth.allowance(address(guard), address(engine)), 0, "guard left a collateral allowance");
        vm.assertEq(usdc.allowance(address(guard), address(engine)), 0, "guard left a loan allowance");
    }

    /// @dev The fee the guard pays on `amount`: rounded down, in the owner's favour.
    function _feeOf(uint256 amount, uint256 feeBps) internal pure returns (uint256) {
        return amount * feeBps / BPS;
    }

    /// @dev The largest amount whose amount + fee (rounded down) fits `budget`, by search from the exact-fee bound.
    function _affordable(uint256 budget, uint256 feeBps) internal pure returns (uint256 a) {
        a = budget * BPS / (BPS + feeBps);
        while (a + 1 + _feeOf(a + 1, feeBps) <= budget) ++a;
    }
}

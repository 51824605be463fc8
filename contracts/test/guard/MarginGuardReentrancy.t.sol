// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {vm} from "../utils/Vm.sol";
import {GuardBase} from "./GuardBase.sol";
import {ReentrantToken, ReentryRecorder} from "../adversarial/Attackers.sol";
import {IMarginGuard, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Re-entry into the guard from a token transfer hook, with hooked tokens as both the collateral (deposit
/// mode) and the loan token (repay mode) of a market. Every re-entry is refused: the nonReentrant entry points with
/// ReentrancyGuardReentrantCall, `topUpFor` with Unauthorized (only the guard itself may call it). When the hook
/// re-raises, a top-up reverts whole (a batch skips the vault); when it swallows, the top-up ends exactly as it
/// does without the attack, and nothing extra moves.
contract MarginGuardReentrancyTest is GuardBase {
    bytes internal REENTRANT = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    uint256 internal constant N_INNER = 7;
    uint256 internal constant N_OUTER = 3;

    ReentrantToken internal rusd;
    ReentrantToken internal reth;
    MockAggregator internal feed;
    uint256 internal m2;
    uint256 internal depVault; // ALICE's, deposit mode (reth moves)
    uint256 internal repVault; // ALICE's, repay mode (rusd moves)

    function setUp() public override {
        super.setUp();
        rusd = new ReentrantToken("RUSD", 6);
        reth = new ReentrantToken("RETH", 18);
        feed = new MockAggregator(OWNER, 8, "RETH / USD", INITIAL_PRICE);
        vm.prank(OWNER);
        m2 = engine.createMarket(defaultParams(address(rusd), address(reth), address(feed)));

        rusd.mint(LENDER, 1_000_000e6);
        vm.startPrank(LENDER);
        rusd.approve(address(engine), type(uint256).max);
        engine.supply(m2, 1_000_000e6, LENDER);
        vm.stopPrank();

        reth.mint(ALICE, 40e18);
        rusd.mint(ALICE, 20_000e6);
        vm.startPrank(ALICE);
        reth.approve(address(engine), type(uint256).max);
        depVault = engine.openVault(m2, 10e18, 15_000e6);
        repVault = engine.openVault(m2, 10e18, 15_000e6);
        reth.approve(address(guard), type(uint256).max);
        rusd.approve(address(guard), type(uint256).max);
        guard.setPolicy(depVault, _depositTerms());
        guard.setPolicy(repVault, _repayTerms());
        vm.stopPrank();

        vm.prank(OWNER);
        feed.setAnswer(1_800e8); // both vaults at health 1.08, below the 1.1 trigger
        vm.assertEq(lens.health(depVault), 1.08e18);
        vm.assertEq(lens.health(repVault), 1.08e18);
    }

    /// @dev The guard calls an attacker (the token) could make from inside a hook.
    function _inner(uint256 i) internal view returns (bytes memory) {
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (depVault, repVault);
        GuardPolicy memory generous = _terms(GuardMode.DepositCollateral, 5e18, 6e18, 100, 1e30, 1e30);
        bytes[N_INNER] memory calls = [
            abi.encodeCall(IMarginGuard.topUp, (depVault)),
            abi.encodeCall(IMarginGuard.topUp, (repVault)),
            abi.encodeCall(IMarginGuard.topUpBatch, (ids)),
            abi.encodeCall(IMarginGuard.setPolicy, (depVault, generous)),
            abi.encodeCall(IMarginGuard.setPolicyWithPermit, (repVault, generous, 0, 0, 0, 0, 0)),
            abi.encodeCall(IMarginGuard.revokePolicy, (repVault)),
            abi.encodeWithSignature("topUpFor(uint256,address)", depVault, address(0xBAD))
        ];
        return calls[i];
    }

    /// @dev The refusal of inner call `i` made by hooked `token`: the lock, or for `topUpFor` Unauthorized naming
    /// the token as the caller.
    function _expected(uint256 i, address token) internal view returns (bytes memory) {
        return i == 6 ? abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, depVault, token) : REENTRANT;
    }

    function _outer(uint256 o) internal view returns (bytes memory) {
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (depVault, repVault);
        bytes[N_OUTER] memory calls = [
            abi.encodeCall(IMarginGuard.topUp, (depVault)),
            abi.encodeCall(IMarginGuard.topUp, (repVault)),
            abi.encodeCall(IMarginGuard.topUpBatch, (ids))
        ];
        return calls[o];
    }

    function _arm(bytes memory payload, bool bubble) internal {
        reth.arm(address(guard), payload, bubble);
        rusd.arm(address(guard), payload, bubble);
    }

    /// @dev Everything a re-entry could change: wallets, the guard, the engine's holdings, vaults and policies.
    function _digest() internal view returns (bytes32) {
        address[5] memory who = [ALICE, KEEPER, address(guard), address(engine), address(0xBAD)];
        bytes memory b;
        for (uint256 i; i < who.length; ++i) {
            b = abi.encode(b, rusd.balanceOf(who[i]), reth.balanceOf(who[i]));
        }
        b = abi.encode(
            b,
            rusd.allowance(ALICE, address(guard)),
            reth.allowance(ALICE, address(guard)),
            rusd.allowance(address(guard), address(engine)),
            reth.allowance(address(guard), address(engine))
        );
        uint256[2] memory ids = [depVault, repVault];
        for (uint256 i; i < 2; ++i) {
            b = abi.encode(
                b,
                engine.vault(ids[i]),
                guard.policy(ids[i]),
                guard.usedLast24h(ids[i], GuardMode.DepositCollateral),
                guard.usedLast24h(ids[i], GuardMode.RepayDebt)
            );
        }
        return keccak256(abi.encode(b, engine.marketState(m2)));
    }

    function _assertRefused(ReentryRecorder r, bytes memory err) internal view {
        if (r.fired() == 0) return;
        vm.assertFalse(r.lastOk(), "re-entry succeeded");
        vm.assertEq(keccak256(r.lastReturn()), keccak256(err), "re-entry refused with another error");
    }

    /// @dev The hook re-raises: a single top-up reverts with the refusal, a batch skips the vault; either way
    /// nothing moves.
    function test_tokenHookReentry_bubbling_revertsTopUpAndMovesNothing() public {
        for (uint256 o; o < N_OUTER; ++o) {
            for (uint256 i; i < N_INNER; ++i) {
                uint256 snap = vm.snapshotState();
                bytes32 before = _digest();
                _arm(_inner(i), true);
                vm.prank(KEEPER);
                (bool ok, bytes memory ret) = address(guard).call(_outer(o));
                if (o < 2) {
                    vm.assertFalse(ok, "top-up survived a bubbling re-entry");
                    address token = o == 0 ? address(reth) : address(rusd);
                    vm.assertEq(keccak256(ret), keccak256(_expected(i, token)), "top-up reverted with another error");
                } else {
                    vm.assertTrue(ok, "a batch must skip, not revert");
                    (uint256[] memory amounts, uint256[] memory fees) = abi.decode(ret, (uint256[], uint256[]));
                    vm.assertEq(amounts[0] + amounts[1] + fees[0] + fees[1], 0, "a batch entry ran despite the attack");
                }
                vm.assertEq(_digest(), before, "state changed");
                vm.revertToState(snap);
            }
        }
    }

    /// @dev The hook swallows the refusal: the top-up (or batch) ends with exactly the state it has without attack.
    function test_tokenHookReentry_swallowed_changesNothingExtra() public {
        for (uint256 o; o < N_OUTER; ++o) {
            uint256 snap = vm.snapshotState();
            vm.prank(KEEPER);
            (bool ok,) = address(guard).call(_outer(o));
            vm.assertTrue(ok, "top-up without attack failed");
            bytes32 clean = _digest();
            vm.revertToState(snap);

            for (uint256 i; i < N_INNER; ++i) {
                snap = vm.snapshotState();
                _arm(_inner(i), false);
                vm.prank(KEEPER);
                (ok,) = address(guard).call(_outer(o));
                vm.assertTrue(ok, "top-up failed under a swallowed re-entry");
                vm.assertGt(reth.fired() + rusd.fired(), 0, "the hook never fired");
                _assertRefused(reth, _expected(i, address(reth)));
                _assertRefused(rusd, _expected(i, address(rusd)));
                vm.assertEq(_digest(), clean, "the attack changed the outcome");
                vm.revertToState(snap);
            }
        }
    }

    function test_topUpFor_calledByAnOutsider_revertsUnauthorized() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, depVault, STRANGER));
        guard.topUpFor(depVault, STRANGER);
        vm.assertEq(reth.balanceOf(ALICE), 20e18);
    }
}

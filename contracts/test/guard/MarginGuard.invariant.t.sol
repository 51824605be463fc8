// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {InvariantTest, console} from "../invariant/InvariantTest.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard} from "../../src/interfaces/IMarginGuard.sol";
import {GuardHandler} from "./GuardHandler.sol";

/// @notice Invariant campaign over MarginGuard (see GuardHandler): three owners with two vaults each on the USDC /
/// WETH market, operators (refused when they try to set a policy, allowed to revoke one), two executors, policies
/// in both modes set (by their owners), replaced and revoked, single and batched top-ups, time, prices, borrowing,
/// balances and allowances.
contract MarginGuardInvariantTest is BaseTest, InvariantTest {
    MarginGuard internal guard;
    GuardHandler internal handler;

    function setUp() public override {
        super.setUp();
        guard = new MarginGuard(lens);
        usdc.mint(LENDER, 10_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(marketId, 10_000_000e6, LENDER);
        vm.stopPrank();

        handler = new GuardHandler(engine, lens, guard, usdc, weth, oracle, marketId);
        // Two vaults per owner, 10 WETH each, at health 2.4 down to 1.2 at $2,000.
        for (uint256 i; i < 6; ++i) {
            handler.openVault(i / 2, 7_500e6 + i * 1_500e6);
        }
        for (uint256 i; i < 6; ++i) {
            handler.setPolicy(i, false, uint256(keccak256(abi.encode("policy", i)))); // by the owner

        }

        _targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = GuardHandler.setPolicy.selector;
        selectors[1] = GuardHandler.revokePolicy.selector;
        selectors[2] = GuardHandler.topUp.selector;
        selectors[3] = GuardHandler.topUpBatch.selector;
        selectors[4] = GuardHandler.warp.selector;
        selectors[5] = GuardHandler.movePrice.selector;
        selectors[6] = GuardHandler.borrow.selector;
        selectors[7] = GuardHandler.approve.selector;
        selectors[8] = GuardHandler.fund.selector;
        _targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @notice For every vault, what its top-ups of one mode took from the owner's wallet in any 24 hours (amount
    /// plus fee, in that mode's token) never exceeds the maxPerDay in force, no single top-up exceeds maxPerTopUp,
    /// and at most MAX_TOP_UPS_PER_DAY top-ups of any mode run in any 24 hours.
    function invariant_drawsWithin24HoursNeverExceedMaxPerDay() public view {
        vm.assertEq(handler.capViolations(), 0, handler.lastViolation());
        vm.assertEq(handler.perTopUpViolations(), 0, handler.lastViolation());
        vm.assertEq(handler.countViolations(), 0, handler.lastViolation());
    }

    /// @notice Only a vault's owner sets its policy, and never with a daily cap above 8 per-top-up caps; no top-up
    /// leaves its vault liquidatable.
    function invariant_policiesOwnerSetAndTopUpsNeverLeaveAVaultLiquidatable() public view {
        vm.assertEq(handler.policyViolations(), 0, handler.lastViolation());
        vm.assertEq(handler.liquidatableAfterTopUp(), 0, handler.lastViolation());
    }

    /// @notice A top-up runs only for a vault holding at least the collateral per debt share of the position its
    /// policy defends: never to refill a vault borrowed against since it was armed (the handler's owners borrow).
    function invariant_topUpsOnlyDefendTheArmedPosition() public view {
        vm.assertEq(handler.disarmedTopUps(), 0, handler.lastViolation());
    }

    /// @notice Tokens leave a wallet only by the top-ups of policies set for that wallet's vaults: never without a
    /// policy, never from another account; executors receive exactly their fees.
    function invariant_drawsOnlyFromThePolicyOwner() public view {
        vm.assertEq(handler.drawsWithoutPolicy(), 0, handler.lastViolation());
        vm.assertEq(handler.foreignDraws(), 0, handler.lastViolation());
        vm.assertEq(handler.executorMismatches(), 0, handler.lastViolation());
    }

    /// @notice The guard holds no tokens and leaves no allowance to the engine between calls.
    function invariant_guardHoldsNothing() public view {
        vm.assertEq(usdc.balanceOf(address(guard)), 0, "guard holds loan tokens");
        vm.assertEq(weth.balanceOf(address(guard)), 0, "guard holds collateral");
        vm.assertEq(usdc.allowance(address(guard), address(engine)), 0, "loan allowance left to the engine");
        vm.assertEq(weth.allowance(address(guard), address(engine)), 0, "collateral allowance left to the engine");
    }

    /// @notice Every fee is amount x feeBps / 10,000 rounded down, at most 1% of its amount.
    function invariant_feesAtMostOnePercent() public view {
        vm.assertEq(handler.feeViolations(), 0, handler.lastViolation());
        vm.assertLe(handler.totalFees() * 100, handler.totalAmount(), "fees above 1% of amounts");
    }

    /// @notice After the run, every vault's draws are rechecked from scratch over every 24-hour window.
    function afterInvariant() public view {
        for (uint256 i; i < handler.vaultCount(); ++i) {
            vm.assertEq(handler.worstWindowExcess(handler.vaults(i)), 0, "a 24-hour window over maxPerDay");
            vm.assertLe(handler.mostDrawsInADay(handler.vaults(i)), guard.MAX_TOP_UPS_PER_DAY(), "9+ in 24 hours");
        }
        console.log("top-ups", handler.topUps());
        console.log("batch top-ups", handler.batchTopUps());
        console.log("failed top-ups", handler.failedTopUps());
        console.log("policies set", handler.policiesSet());
        console.log("policies refused (operator, unreachable cap)", handler.policiesRefused());
        console.log("revocations", handler.revocations());
        console.log("failed: above trigger", handler.failures(IMarginGuard.AboveTrigger.selector));
        console.log("failed: no policy", handler.failures(IMarginGuard.NoPolicy.selector));
        console.log("failed: expired", handler.failures(IMarginGuard.PolicyExpired.selector));
        console.log("failed: cap reached", handler.failures(IMarginGuard.CapReached.selector));
        console.log("failed: too many top-ups", handler.failures(IMarginGuard.TooManyTopUps.selector));
        console.log("failed: allowance", handler.failures(IMarginGuard.AllowanceTooLow.selector));
        console.log("failed: balance", handler.failures(IMarginGuard.BalanceTooLow.selector));
        console.log("failed: nothing to move", handler.failures(IMarginGuard.NothingToMove.selector));
        console.log("failed: still liquidatable", handler.failures(IMarginGuard.StillLiquidatable.selector));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";

/// @notice Gas of a MarginGuard top-up in the same warm market as GasTest (two lenders, background vaults, an hour of
/// interest to accrue, fresh price at $1,700), written by forge to snapshots/GuardGasTest.json. A top-up reads the
/// policy, the day's ring of top-ups, the vault's health and target amount through the lens (oracle, market state,
/// tiers), pulls from the owner's wallet, calls the engine's depositCollateral or repay, pays the caller's fee,
/// records the draw (with its mode) and reads the health after (a top-up leaving it under 1 reverts) for its event. A separate contract so that GasTest's figures do not
/// move with this set-up.
contract GuardGasTest is UnitBase {
    address internal constant LENDER2 = address(0x1E42);
    address internal constant KEEPER = address(0x4EE9);

    MarginGuard internal guard;
    uint256 internal depositVault;
    uint256 internal repayVault;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, 10_000_000e6);
        _supply(LENDER2, 1_000_000e6);
        depositVault = _open(ALICE, 100e18, 100_000e6);
        repayVault = _open(BOB, 50e18, 40_000e6);
        _open(BORROWER, 20e18, 10_000e6);
        for (uint256 i; i < 11; ++i) {
            _open(CAROL, 1e18, 1_550e6);
        }
        guard = new MarginGuard(lens);
        // ALICE guards by deposit: health 1.53 at $1,700, trigger 1.6, target 1.8 (about 17.6 WETH).
        weth.mint(ALICE, 50e18);
        vm.startPrank(ALICE);
        weth.approve(address(guard), type(uint256).max);
        guard.setPolicy(depositVault, _terms(GuardMode.DepositCollateral, 1.6e18, 1.8e18, 50e18));
        vm.stopPrank();
        // BOB guards by repay with the USDC he borrowed: health 1.91, trigger 2, target 2.2 (about 5,230 USDC).
        vm.startPrank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        guard.setPolicy(repayVault, _terms(GuardMode.RepayDebt, 2e18, 2.2e18, 20_000e6));
        vm.stopPrank();
        // The fee goes to a keeper that already holds both tokens (no first-balance storage write in the figure).
        weth.mint(KEEPER, 1);
        usdc.mint(KEEPER, 1);
        vm.warp(block.timestamp + 1 hours);
        _setPrice(1_700e8);
    }

    function _terms(GuardMode mode, uint64 trigger, uint64 target, uint128 cap)
        internal
        view
        returns (GuardPolicy memory)
    {
        return GuardPolicy({
            triggerHealth: trigger,
            targetHealth: target,
            mode: mode,
            feeBps: 50,
            expiry: uint40(block.timestamp + 30 days),
            maxPerTopUp: cap,
            maxPerDay: cap
        });
    }

    function test_gas_topUp_deposit() public {
        vm.startPrank(KEEPER);
        vm.startSnapshotGas("topUpDeposit");
        (uint256 amount,) = guard.topUp(depositVault);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(amount, 17e18);
        vm.assertGe(lens.health(depositVault), 1.8e18);
    }

    function test_gas_topUp_repay() public {
        vm.startPrank(KEEPER);
        vm.startSnapshotGas("topUpRepay");
        (uint256 amount,) = guard.topUp(repayVault);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(amount, 5_000e6);
        vm.assertGe(lens.health(repayVault), 2.2e18);
    }
}

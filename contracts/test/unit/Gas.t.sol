// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";

/// @notice Gas of the main entry points in a warm market (two lenders, background vaults, an hour of interest to
/// accrue, fresh price), written by forge to snapshots/GasTest.json. All balances and approvals are set up in
/// setUp so each measurement covers exactly one engine call.
contract GasTest is UnitBase {
    address internal constant LENDER2 = address(0x1E42);
    uint256 internal constant RISKY = 11;

    uint256 internal mainVault;
    uint256[] internal risky;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, 10_000_000e6);
        _supply(LENDER2, 1_000_000e6);
        _open(ALICE, 100e18, 100_000e6);
        _open(BOB, 50e18, 40_000e6);
        mainVault = _open(BORROWER, 20e18, 10_000e6);
        // 1 WETH / 1,550 debt each: liquidatable below $1,722.2 (MM 10%), partial (not underwater) at $1,700.
        for (uint256 i; i < RISKY; ++i) {
            risky.push(_open(CAROL, 1e18, 1_550e6));
        }
        _mintApprove(weth, BORROWER, 20e18);
        _mintApprove(usdc, BORROWER, 100_000e6);
        _mintApprove(usdc, LENDER2, 1_000e6);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.warp(block.timestamp + 1 hours);
        _setPrice(1_700e8);
    }

    function test_gas_openVault() public {
        uint256 count = engine.vaultCount();
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("open");
        engine.openVault(marketId, 10e18, 10_000e6);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(engine.vaultCount(), count + 1);
    }

    function test_gas_depositCollateral() public {
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("deposit");
        engine.depositCollateral(mainVault, 1e18);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(_vault(mainVault).collateral, 21e18);
    }

    function test_gas_borrow() public {
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("borrow");
        uint256 shares = engine.borrow(mainVault, 1_000e6, BORROWER);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(shares, 0);
    }

    function test_gas_repay() public {
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("repay");
        (uint256 assets,) = engine.repay(mainVault, 1_000e6);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(assets, 1_000e6);
    }

    function test_gas_withdrawCollateral() public {
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("withdrawCollateral");
        engine.withdrawCollateral(mainVault, 1e18, BORROWER);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(_vault(mainVault).collateral, 19e18);
    }

    function test_gas_closeVault() public {
        vm.startPrank(BORROWER);
        vm.startSnapshotGas("close");
        engine.closeVault(mainVault, BORROWER);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertTrue(_vault(mainVault).closed);
    }

    function test_gas_liquidate() public {
        vm.startPrank(LIQUIDATOR);
        vm.startSnapshotGas("liquidate");
        (uint256 repaid,) = engine.liquidate(risky[0], type(uint256).max, 0, LIQUIDATOR, "");
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(repaid, 775e6); // half the debt, interest included
    }

    function test_gas_liquidateBatch10() public {
        uint256[] memory ids = new uint256[](10);
        for (uint256 i; i < 10; ++i) {
            ids[i] = risky[i + 1];
        }
        vm.startPrank(LIQUIDATOR);
        vm.startSnapshotGas("liquidateBatch10");
        (uint256 n,,,) = engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(n, 10);
    }

    function test_gas_supply() public {
        vm.startPrank(LENDER2);
        vm.startSnapshotGas("supply");
        uint256 shares = engine.supply(marketId, 1_000e6, LENDER2);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(shares, 0);
    }

    function test_gas_withdraw() public {
        vm.startPrank(LENDER);
        vm.startSnapshotGas("withdraw");
        uint256 shares = engine.withdraw(marketId, 1_000e6, LENDER);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(shares, 0);
    }
}

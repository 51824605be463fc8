// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BaseTest} from "./utils/BaseTest.sol";
import {vm} from "./utils/Vm.sol";

contract SmokeTest is BaseTest {
    function test_borrowCrashLiquidate() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        vm.assertFalse(engine.isLiquidatable(id));
        _setPrice(1_600e8);
        vm.assertTrue(engine.isLiquidatable(id));
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, LIQUIDATOR, "");
        vm.assertEq(repaid, 7_500e6);
        vm.assertEq(weth.balanceOf(LIQUIDATOR), seized);
    }
}

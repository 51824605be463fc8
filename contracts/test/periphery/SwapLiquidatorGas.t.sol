// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {SwapLiquidatorBase} from "./SwapLiquidatorBase.sol";

/// @notice Gas of a capital-free liquidation (SwapLiquidator: engine call, callback, Uniswap V2 sale, repayment)
/// against the same liquidation paid from a funded liquidator's balance, one vault and ten, in the same warm market
/// (an hour of interest to accrue, fresh price, pool at the oracle price). Written by forge to
/// snapshots/SwapLiquidatorGasTest.json.
contract SwapLiquidatorGasTest is SwapLiquidatorBase {
    uint256 internal constant RISKY = 22;
    uint256[] internal risky;

    function setUp() public override {
        super.setUp();
        _open(BORROWER, 100e18, 100_000e6);
        // 1 WETH / 1,550 debt each: liquidatable below $1,722.2 (MM 10%), partial at $1,700
        for (uint256 i; i < RISKY; ++i) risky.push(_open(CAROL, 1e18, 1_550e6));
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.warp(block.timestamp + 1 hours);
        _crash(1_700e8);
    }

    function test_gas_liquidate_funded() public {
        vm.startPrank(LIQUIDATOR);
        vm.startSnapshotGas("liquidate_funded");
        (uint256 repaid,) = engine.liquidate(risky[0], type(uint256).max, 0, LIQUIDATOR, "");
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(repaid, 775e6);
    }

    function test_gas_liquidate_capitalFree() public {
        vm.startPrank(KEEPER);
        vm.startSnapshotGas("liquidate_capitalFree");
        (uint256 repaid,, uint256 profit) = liq.liquidate(risky[0], type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertGt(repaid, 775e6);
        vm.assertGt(profit, 0);
    }

    function test_gas_liquidateBatch10_funded() public {
        uint256[] memory ids = _ids();
        vm.startPrank(LIQUIDATOR);
        vm.startSnapshotGas("liquidateBatch10_funded");
        (uint256 n,,,) = engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(n, 10);
    }

    function test_gas_liquidateBatch10_capitalFree() public {
        uint256[] memory ids = _ids();
        vm.startPrank(KEEPER);
        vm.startSnapshotGas("liquidateBatch10_capitalFree");
        (uint256 n,,,, uint256 profit) = liq.liquidateBatch(marketId, ids, SLIPPAGE_BPS, 0);
        vm.stopSnapshotGas();
        vm.stopPrank();
        vm.assertEq(n, 10);
        vm.assertGt(profit, 0);
    }

    function _ids() internal view returns (uint256[] memory ids) {
        ids = new uint256[](10);
        for (uint256 i; i < 10; ++i) ids[i] = risky[i + 1];
    }
}

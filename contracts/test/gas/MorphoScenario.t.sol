// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MarketParams, Tier} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Morpho Blue's usual gas benchmark, in the same shape, so the two engines compare call for call: a warm
/// one-tier market, a lender supplies, a borrower deposits collateral and borrows at 0.85 loan-to-value under a 0.86
/// maximum, one day of interest accrues, the price falls 5%, one partial liquidation. Each measured call runs as its
/// own transaction (`forge test --isolate`, which `make test-contracts` and `make snapshot` use), so the figures
/// include the 21,000 intrinsic gas and cold storage like a real transaction; forge writes them to
/// snapshots/MorphoScenario.json. Outside that run (no ISOMARGIN_GAS_SCENARIO=1) the test skips itself, so a plain
/// `forge test` cannot overwrite the snapshot with non-isolated figures.
contract MorphoScenarioTest is BaseTest {
    address internal constant LENDER2 = address(0x1E42);
    address internal constant TRADER = address(0x7EADE);
    uint256 internal scenarioMarket;

    function setUp() public override {
        super.setUp();
        MarketParams memory p = defaultParams(address(usdc), address(weth), address(oracle));
        Tier[] memory one = new Tier[](1);
        // Max LTV 0.86 (IM 14%), liquidation LTV 0.87 (MM 13%): 0.85 / 0.95 = 0.895 after the fall.
        one[0] = Tier({minValue: 0, imBps: 1_400, mmBps: 1_300});
        p.tiers = one;
        p.liquidationBonusBps = 438; // Morpho's incentive factor at LLTV 0.86
        p.minDebt = 1e6;
        vm.prank(OWNER);
        scenarioMarket = engine.createMarket(p);
        // Warm market: an earlier lender and borrower, an hour of history.
        _supplyTo(LENDER2, 1_000_000e6);
        weth.mint(LENDER2, 10e18);
        vm.startPrank(LENDER2);
        weth.approve(address(engine), type(uint256).max);
        engine.openVault(scenarioMarket, 10e18, 5_000e6);
        vm.stopPrank();
        vm.warp(block.timestamp + 1 hours);
        _setPrice(INITIAL_PRICE);

        usdc.mint(LENDER, 100_000e6);
        vm.prank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        weth.mint(TRADER, 10e18);
        vm.prank(TRADER);
        weth.approve(address(engine), type(uint256).max);
        _fundLiquidator(LIQUIDATOR, 1_000_000e6);
    }

    function _supplyTo(address lender, uint256 assets) internal {
        usdc.mint(lender, assets);
        vm.startPrank(lender);
        usdc.approve(address(engine), assets);
        engine.supply(scenarioMarket, assets, lender);
        vm.stopPrank();
    }

    function test_morphoScenario() public {
        if (vm.envOr("ISOMARGIN_GAS_SCENARIO", uint256(0)) != 1) vm.skip(true);
        vm.prank(LENDER);
        engine.supply(scenarioMarket, 100_000e6, LENDER);
        vm.snapshotGasLastCall("MorphoScenario", "supply");

        vm.prank(TRADER);
        uint256 id = engine.openVault(scenarioMarket, 0, 0);
        vm.prank(TRADER);
        engine.depositCollateral(id, 10e18);
        vm.snapshotGasLastCall("MorphoScenario", "depositCollateral");

        // 0.85 x 10 WETH x $2,000
        vm.prank(TRADER);
        engine.borrow(id, 17_000e6, TRADER);
        vm.snapshotGasLastCall("MorphoScenario", "borrow");

        vm.warp(block.timestamp + 1 days);
        _setPrice(INITIAL_PRICE * 95 / 100);

        vm.prank(LIQUIDATOR);
        (uint256 repaid,) = engine.liquidate(id, 4_000e6, 0, LIQUIDATOR, "");
        vm.snapshotGasLastCall("MorphoScenario", "liquidate");
        // The repayment follows from the whole collateral units seized, rounded down: within a unit of the ask.
        vm.assertLe(repaid, 4_000e6);
        vm.assertGe(repaid, 4_000e6 - 1);
    }
}

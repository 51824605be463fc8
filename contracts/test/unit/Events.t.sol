// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {IIsomarginEngine, RateModel, RiskUpdate} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Every event with its exact post-state fields, and MarketStateUpdated after each operation that touches a
/// market (the spec: an indexer must be able to mirror exact state from logs alone).
contract EventsTest is UnitBase {
    uint256 internal constant SUPPLY = 1_000_000e6;
    uint256 internal t0;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, SUPPLY);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        t0 = block.timestamp;
    }

    function _expect() internal {
        vm.expectEmit(true, true, true, true, address(engine));
    }

    function _expectState(uint256 sa, uint256 ss, uint256 ba, uint256 bs, uint256 ins, uint256 last) internal {
        _expectState(sa, ss, ba, bs, ins, last, 0);
    }

    /// @dev `rem`: the interest remainder carried below one loan unit (loan units x 1e18).
    function _expectState(uint256 sa, uint256 ss, uint256 ba, uint256 bs, uint256 ins, uint256 last, uint256 rem)
        internal
    {
        _expect();
        emit IIsomarginEngine.MarketStateUpdated(
            marketId, uint128(sa), uint128(ss), uint128(ba), uint128(bs), uint128(ins), uint64(last), uint64(rem)
        );
    }

    /* VAULTS */

    function test_events_openVault() public {
        weth.mint(BORROWER, 10e18);
        vm.startPrank(BORROWER);
        weth.approve(address(engine), 10e18);
        _expect();
        emit IIsomarginEngine.VaultOpened(1, marketId, BORROWER);
        _expect();
        emit IIsomarginEngine.CollateralDeposited(1, BORROWER, 10e18, 10e18);
        _expect();
        emit IIsomarginEngine.Borrowed(1, BORROWER, BORROWER, 15_000e6, 15_000e12, 15_000e12);
        _expectState(SUPPLY, SUPPLY * 1e6, 15_000e6, 15_000e12, 0, t0);
        engine.openVault(marketId, 10e18, 15_000e6);
        vm.stopPrank();
    }

    function test_events_depositAndWithdrawCollateral() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _mintApprove(weth, STRANGER, 2e18);
        _expect();
        emit IIsomarginEngine.CollateralDeposited(id, STRANGER, 2e18, 12e18);
        vm.prank(STRANGER);
        engine.depositCollateral(id, 2e18);

        _expect();
        emit IIsomarginEngine.CollateralWithdrawn(id, BORROWER, CAROL, 3e18, 9e18);
        _expectState(SUPPLY, SUPPLY * 1e6, 1_000e6, 1_000e12, 0, t0);
        vm.prank(BORROWER);
        engine.withdrawCollateral(id, 3e18, CAROL);
    }

    function test_events_borrowAndRepay() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _expect();
        emit IIsomarginEngine.Borrowed(id, BORROWER, CAROL, 500e6, 500e12, 1_500e12);
        _expectState(SUPPLY, SUPPLY * 1e6, 1_500e6, 1_500e12, 0, t0);
        vm.prank(BORROWER);
        engine.borrow(id, 500e6, CAROL);

        _mintApprove(usdc, STRANGER, 400e6);
        _expect();
        emit IIsomarginEngine.Repaid(id, STRANGER, 400e6, 400e12, 1_100e12);
        _expectState(SUPPLY, SUPPLY * 1e6, 1_100e6, 1_100e12, 0, t0);
        vm.prank(STRANGER);
        engine.repay(id, 400e6);
    }

    function test_events_closeVault() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _mintApprove(usdc, BORROWER, 0);
        _expect();
        emit IIsomarginEngine.Repaid(id, BORROWER, 1_000e6, 1_000e12, 0);
        _expectState(SUPPLY, SUPPLY * 1e6, 0, 0, 0, t0);
        _expect();
        emit IIsomarginEngine.VaultClosed(id, BORROWER, CAROL, 10e18);
        vm.prank(BORROWER);
        engine.closeVault(id, CAROL);
    }

    function test_events_setOperator() public {
        _expect();
        emit IIsomarginEngine.OperatorSet(BORROWER, CAROL, true);
        vm.prank(BORROWER);
        engine.setOperator(CAROL, true);
    }

    /* LENDERS AND INTEREST */

    function test_events_supplyWithdrawRedeemFundInsurance() public {
        _mintApprove(usdc, ALICE, 1_050e6);
        _expect();
        emit IIsomarginEngine.Supplied(marketId, ALICE, BOB, 1_000e6, 1_000e12, 1_000e12);
        _expectState(SUPPLY + 1_000e6, (SUPPLY + 1_000e6) * 1e6, 0, 0, 0, t0);
        vm.prank(ALICE);
        engine.supply(marketId, 1_000e6, BOB);

        _expect();
        emit IIsomarginEngine.Withdrawn(marketId, BOB, CAROL, 300e6, 300e12, 700e12);
        _expectState(SUPPLY + 700e6, (SUPPLY + 700e6) * 1e6, 0, 0, 0, t0);
        vm.prank(BOB);
        engine.withdraw(marketId, 300e6, CAROL);

        _expect();
        emit IIsomarginEngine.Withdrawn(marketId, BOB, BOB, 700e6, 700e12, 0);
        _expectState(SUPPLY, SUPPLY * 1e6, 0, 0, 0, t0);
        vm.prank(BOB);
        engine.redeem(marketId, 700e12, BOB);

        _expect();
        emit IIsomarginEngine.InsuranceFunded(marketId, ALICE, 50e6);
        _expectState(SUPPLY, SUPPLY * 1e6, 0, 0, 50e6, t0);
        vm.prank(ALICE);
        engine.fundInsurance(marketId, 50e6);
    }

    function test_events_accrueInterest() public {
        vm.prank(LENDER);
        engine.withdraw(marketId, SUPPLY - 100_000e6, LENDER); // 100,000 left
        _open(BORROWER, 10e18, 10_000e6);
        vm.warp(t0 + 1 days);
        // 10% utilization: rate 475,646,878/s, interest 410,958 (0.902592 of a unit carried), reserve 41,095 (see
        // AdminTest). The accrual shows only in MarketStateUpdated (there is no separate interest event).
        _expectState(100_000e6 + 369_863, 100_000e12, 10_000_410_958, 10_000e12, 41_095, t0 + 1 days, 0.902592e18);
        engine.accrueInterest(marketId);
    }

    /* LIQUIDATION */

    function test_events_liquidatePartial() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _setPrice(1_600e8);
        _expect();
        emit IIsomarginEngine.Liquidated(
            id, marketId, LIQUIDATOR, 7_500e6, 7_500e12, 4.921875e18, 75e6, 5.078125e18, 7_500e12
        );
        _expectState(SUPPLY, SUPPLY * 1e6, 7_500e6, 7_500e12, 75e6, t0);
        vm.prank(LIQUIDATOR);
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
    }

    /// @dev With bad debt, Liquidated carries the state right after the seizure (no collateral, residual shares),
    /// BadDebtRealized then writes off exactly those shares, and MarketStateUpdated the final totals.
    function test_events_liquidateWithBadDebt() public {
        uint256 id = _open(BORROWER, 10e18, 16_000e6);
        _setPrice(1_600e8);
        // The write-off comes first, so Liquidated carries the vault's final state (no collateral, no debt).
        _expect();
        emit IIsomarginEngine.BadDebtRealized(id, marketId, 761_904_762, 761_904_762e6, 152_380_953, 609_523_809);
        _expect();
        emit IIsomarginEngine.Liquidated(id, marketId, LIQUIDATOR, 15_238_095_238, 15_238_095_238e6, 10e18, 152_380_953, 0, 0);
        _expectState(SUPPLY - 609_523_809, SUPPLY * 1e6, 0, 0, 0, t0);
        vm.prank(LIQUIDATOR);
        engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
    }

    function test_events_liquidateBatchEmitsEachVaultThenStateOnce() public {
        uint256 a = _open(BORROWER, 10e18, 15_000e6);
        uint256 b = _open(BOB, 0.1e18, 150e6);
        _setPrice(1_600e8);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (a, b);
        _expect();
        emit IIsomarginEngine.Liquidated(
            a, marketId, LIQUIDATOR, 7_500e6, 7_500e12, 4.921875e18, 75e6, 5.078125e18, 7_500e12
        );
        _expect();
        emit IIsomarginEngine.Liquidated(b, marketId, LIQUIDATOR, 150e6, 150e12, 0.0984375e18, 1.5e6, 0.0015625e18, 0);
        _expectState(SUPPLY, SUPPLY * 1e6, 7_500e6, 7_500e12, 76.5e6, t0);
        vm.prank(LIQUIDATOR);
        engine.liquidateBatch(marketId, ids, LIQUIDATOR, "");
    }

    /// @dev A batch that liquidates nothing still accrues interest (stored totals and lastAccrual change), so it must
    /// publish the new market state like every other operation that accrues.
    function test_events_liquidateBatchWithoutLiquidationStillEmitsAccruedState() public {
        _setRate(FLAT_RATE, 0); // a rise: waits out the timelock before any debt exists
        uint256 t1 = block.timestamp;
        uint256 id = _open(BORROWER, 10e18, 10_000e6);
        vm.warp(t1 + 1 days);
        _setPrice(INITIAL_PRICE);
        // 10,000e6 x 1e9 x 86,400 / 1e18 = 864,000.
        _expectState(SUPPLY + 864_000, SUPPLY * 1e6, 10_000_864_000, 10_000e12, 0, t1 + 1 days);
        vm.prank(LIQUIDATOR);
        engine.liquidateBatch(marketId, _ids(id), LIQUIDATOR, "");
        vm.assertEq(_state().lastAccrual, t1 + 1 days); // it did accrue
    }

    /// @dev Same for a repay of a vault without debt: it accrues the market, so it must publish the new state.
    function test_events_repayWithoutDebtStillEmitsAccruedState() public {
        _setRate(FLAT_RATE, 0);
        uint256 t1 = block.timestamp;
        _open(BORROWER, 10e18, 10_000e6);
        uint256 empty = _open(ALICE, 1e18, 0);
        vm.warp(t1 + 1 days);
        _expectState(SUPPLY + 864_000, SUPPLY * 1e6, 10_000_864_000, 10_000e12, 0, t1 + 1 days);
        vm.prank(ALICE);
        engine.repay(empty, 1e6);
        vm.assertEq(_state().lastAccrual, t1 + 1 days); // it did accrue
    }

    /* ADMIN */

    function test_events_createMarket() public {
        MockAggregator feed = new MockAggregator(OWNER, 8, "F", INITIAL_PRICE);
        _expect();
        emit IIsomarginEngine.MarketCreated(2, address(usdc), address(weth), address(feed), 1e16);
        _expect();
        emit IIsomarginEngine.MaxOracleAgeUpdated(2, 1 hours);
        _expect();
        emit IIsomarginEngine.LiquidationParamsUpdated(2, 500, 2_000, 5_000, 100e6);
        _expect();
        emit IIsomarginEngine.InterestParamsUpdated(2, defaultRateModel(), 1_000);
        _expect();
        emit IIsomarginEngine.MarketStateUpdated(2, 0, 0, 0, 0, 0, uint64(t0), 0); // after the risk parameters
        _expect();
        emit IIsomarginEngine.CapsUpdated(2, type(uint128).max, type(uint128).max);
        _expect();
        emit IIsomarginEngine.TierSet(2, 0, 0, 2_000, 1_000, 1_000, 0, 0);
        _expect();
        emit IIsomarginEngine.TierSet(2, 1, 1_000_000e6, 2_500, 1_500, 1_500, 0, 0);
        _expect();
        emit IIsomarginEngine.TierSet(2, 2, 10_000_000e6, 3_500, 2_500, 2_500, 0, 0);
        _expect();
        emit IIsomarginEngine.MarketStateUpdated(2, 0, 0, 0, 0, 0, uint64(t0), 0);
        vm.prank(OWNER);
        engine.createMarket(defaultParams(address(usdc), address(weth), address(feed)));
    }

    function test_events_setMarginTiers() public {
        uint16[] memory im = new uint16[](3);
        uint16[] memory mm = new uint16[](3);
        (im[0], im[1], im[2]) = (2_000, 2_500, 3_500);
        (mm[0], mm[1], mm[2]) = (1_200, 1_400, 2_500); // tier 0 rises (ramps), tier 1 falls (at once)
        uint64 end = uint64(t0 + 2 days);
        _expect();
        emit IIsomarginEngine.TierSet(marketId, 0, 0, 2_000, 1_000, 1_200, uint64(t0), end);
        _expect();
        emit IIsomarginEngine.TierSet(marketId, 1, 1_000_000e6, 2_500, 1_400, 1_400, uint64(t0), end);
        _expect();
        emit IIsomarginEngine.TierSet(marketId, 2, 10_000_000e6, 3_500, 2_500, 2_500, uint64(t0), end);
        vm.prank(OWNER);
        engine.setMarginTiers(marketId, im, mm, 2 days);
    }

    /// @dev A change that only loosens applies at once, with the same events as createMarket's risk parameters.
    function test_events_setRiskParamsLooseningAppliesAtOnce() public {
        // maxOracleAge unchanged (1 hour): any change of it waits out the timelock.
        RiskUpdate memory u = RiskUpdate(1 hours, 400, 1_000, 4_000, 500, 50e6, _flat(0));
        _expect();
        emit IIsomarginEngine.MaxOracleAgeUpdated(marketId, 1 hours);
        _expect();
        emit IIsomarginEngine.LiquidationParamsUpdated(marketId, 400, 1_000, 4_000, 50e6);
        _expect();
        emit IIsomarginEngine.InterestParamsUpdated(marketId, _flat(0), 500);
        _expectState(SUPPLY, SUPPLY * 1e6, 0, 0, 0, t0);
        vm.prank(OWNER);
        engine.setRiskParams(marketId, u);
    }

    /// @dev A tightening change: RiskParamsProposed now; after the timelock anyone executes it (RiskParamsExecuted,
    /// then the usual ...Updated events and the accrued state); a cancelled one emits RiskParamsCancelled.
    function test_events_riskTimelockProposeExecuteCancel() public {
        RiskUpdate memory u = RiskUpdate(2 hours, 700, 1_000, 4_000, 500, 50e6, _flat(FLAT_RATE));
        uint64 at = uint64(t0 + 1 days);
        _expect();
        emit IIsomarginEngine.RiskParamsProposed(marketId, u, at);
        vm.prank(OWNER);
        engine.setRiskParams(marketId, u);

        vm.warp(at);
        _expect();
        emit IIsomarginEngine.RiskParamsExecuted(marketId, STRANGER);
        _expect();
        emit IIsomarginEngine.MaxOracleAgeUpdated(marketId, 2 hours);
        _expect();
        emit IIsomarginEngine.LiquidationParamsUpdated(marketId, 700, 1_000, 4_000, 50e6);
        _expect();
        emit IIsomarginEngine.InterestParamsUpdated(marketId, _flat(FLAT_RATE), 500);
        _expectState(SUPPLY, SUPPLY * 1e6, 0, 0, 0, at);
        vm.prank(STRANGER);
        engine.executeRiskParams(marketId);

        u.liquidationBonusBps = 800;
        vm.prank(OWNER);
        engine.setRiskParams(marketId, u);
        _expect();
        emit IIsomarginEngine.RiskParamsCancelled(marketId);
        vm.prank(OWNER);
        engine.cancelRiskParams(marketId);
    }

    function test_events_capsGuardianPause() public {
        vm.startPrank(OWNER);
        _expect();
        emit IIsomarginEngine.CapsUpdated(marketId, 5e12, 4e12);
        engine.setCaps(marketId, 5e12, 4e12);

        _expect();
        emit IIsomarginEngine.GuardianSet(CAROL);
        engine.setGuardian(CAROL);
        vm.stopPrank();

        _expect();
        emit IIsomarginEngine.PauseSet(marketId, CAROL, true);
        vm.prank(CAROL);
        engine.setPaused(marketId, true);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MarketParams, MarketState, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";
import {InvariantTest, console} from "./InvariantTest.sol";
import {IsomarginHandler} from "./IsomarginHandler.sol";

/// @notice Invariant campaign over two markets: USDC (6 dec) lent against WETH (18 dec), and DAI (18 dec) lent
/// against a 6-decimal BTC, driven by IsomarginHandler (8 borrowers, 3 lenders, 2 liquidators, price moves
/// including crashes, time, pause and maintenance-margin rises).
contract IsomarginInvariantTest is BaseTest, InvariantTest {
    int256 internal constant BTC_PRICE = 30_000e8;

    IsomarginHandler internal handler;
    MockERC20 internal dai;
    MockERC20 internal btc;
    MockAggregator internal btcOracle;
    uint256 internal marketId2;

    function setUp() public override {
        super.setUp();
        dai = new MockERC20("Dai", "DAI", 18);
        btc = new MockERC20("Bitcoin (6 dec)", "BTC6", 6);
        btcOracle = new MockAggregator(OWNER, 8, "BTC / USD", BTC_PRICE);
        MarketParams memory p = defaultParams(address(dai), address(btc), address(btcOracle));
        for (uint256 i; i < p.tiers.length; ++i) p.tiers[i].minValue *= 1e12; // tier thresholds in 18 decimals
        p.minDebt = 100e18;
        vm.prank(OWNER);
        marketId2 = engine.createMarket(p);

        handler = new IsomarginHandler(engine, OWNER, GUARDIAN);
        handler.addMarket(
            IsomarginHandler.MarketCtx({
                id: marketId,
                loan: usdc,
                coll: weth,
                oracle: oracle,
                startAnswer: INITIAL_PRICE,
                loanUnit: 1e6,
                minCollateral: 0.05e18, // $100
                maxCollateral: 6_000e18 // $12M: crosses every tier
            })
        );
        handler.addMarket(
            IsomarginHandler.MarketCtx({
                id: marketId2,
                loan: dai,
                coll: btc,
                oracle: btcOracle,
                startAnswer: BTC_PRICE,
                loanUnit: 1e18,
                minCollateral: 0.005e6, // $150
                maxCollateral: 400e6 // $12M
            })
        );

        // A starting book in both markets: every lender supplies, then a few vaults borrow.
        for (uint256 m; m < 2; ++m) {
            for (uint256 l; l < 3; ++l) handler.supply(l, m, 3_000_000 * 10 ** (m == 0 ? 6 : 18));
            for (uint256 b; b < 4; ++b) {
                handler.openVault(b + 4 * m, m, uint256(keccak256(abi.encode(m, b))), uint256(keccak256(abi.encode(b, m))));
            }
        }

        _targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = IsomarginHandler.supply.selector;
        selectors[1] = IsomarginHandler.withdraw.selector;
        selectors[2] = IsomarginHandler.redeem.selector;
        selectors[3] = IsomarginHandler.openVault.selector;
        selectors[4] = IsomarginHandler.depositCollateral.selector;
        selectors[5] = IsomarginHandler.withdrawCollateral.selector;
        selectors[6] = IsomarginHandler.borrow.selector;
        selectors[7] = IsomarginHandler.repay.selector;
        selectors[8] = IsomarginHandler.closeVault.selector;
        selectors[9] = IsomarginHandler.liquidate.selector;
        selectors[10] = IsomarginHandler.liquidateBatch.selector;
        selectors[11] = IsomarginHandler.fundInsurance.selector;
        selectors[12] = IsomarginHandler.accrue.selector;
        selectors[13] = IsomarginHandler.setPrice.selector;
        selectors[14] = IsomarginHandler.setPaused.selector;
        selectors[15] = IsomarginHandler.setMarginTiers.selector;
        selectors[16] = IsomarginHandler.crashBelowLiquidationPrice.selector;
        selectors[17] = IsomarginHandler.borrowAndRepaySameBlock.selector;
        _targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /* 1. SOLVENCY */

    /// @notice The engine holds at least every market's idle liquidity plus its insurance fund in loan tokens.
    function invariant_solvency_loanTokenCoversLiquidityAndInsurance() public view {
        for (uint256 k; k < handler.marketCount(); ++k) {
            IsomarginHandler.MarketCtx memory c = handler.market(k);
            MarketState memory s = engine.marketState(c.id);
            // Signed: at full utilization the reserve share of interest can push borrows above supply.
            int256 owed = int256(uint256(s.totalSupplyAssets)) - int256(uint256(s.totalBorrowAssets))
                + int256(uint256(s.insuranceFund));
            vm.assertTrue(int256(c.loan.balanceOf(address(engine))) >= owed, "loan-token balance below obligations");
        }
        vm.assertEq(handler.overWithdrawals(), 0, handler.lastViolation());
    }

    /// @notice The engine holds at least the collateral of every vault (each market has its own collateral token).
    function invariant_solvency_collateralTokenCoversVaults() public view {
        for (uint256 k; k < handler.marketCount(); ++k) {
            IsomarginHandler.MarketCtx memory c = handler.market(k);
            vm.assertGe(c.coll.balanceOf(address(engine)), _sumVaults(c.id, true), "collateral balance below vaults");
        }
    }

    /* 2. ISOLATION */

    /// @notice No call changed a vault it did not target, nor the accounting of a market it did not target.
    function invariant_isolation_callsOnlyChangeTheirOwnVaultAndMarket() public view {
        vm.assertEq(handler.isolationViolations(), 0, handler.lastViolation());
        vm.assertEq(handler.marketIsolationViolations(), 0, handler.lastViolation());
    }

    /* 3. HEALTHY VAULTS */

    /// @notice A liquidation never succeeded on a vault that was healthy just before, alone or in a batch.
    function invariant_healthyVaultIsNeverLiquidated() public view {
        vm.assertEq(handler.healthyLiquidations(), 0, handler.lastViolation());
        vm.assertEq(handler.batchCountMismatches(), 0, handler.lastViolation());
    }

    /// @notice A vault whose market is priced strictly below its `liquidationPrice` is liquidatable.
    function invariant_belowLiquidationPriceIsLiquidatable() public view {
        vm.assertEq(handler.liquidationPriceViolations(), 0, handler.lastViolation());
    }

    /* 4. NO DEBT WITHOUT COLLATERAL */

    /// @notice A vault without collateral has no debt: emptying a vault writes its remaining debt off as bad debt
    /// (and the handler saw the write-off, insurance first). Closed vaults hold nothing.
    function invariant_noDebtWithoutCollateralUnlessBadDebt() public view {
        vm.assertEq(handler.badDebtAccountingViolations(), 0, handler.lastViolation());
        uint256 n = engine.vaultCount();
        for (uint256 id = 1; id <= n; ++id) {
            Vault memory v = engine.vault(id);
            if (v.collateral == 0) vm.assertEq(uint256(v.debtShares), 0, "vault with debt and no collateral");
            if (v.closed) vm.assertEq(uint256(v.collateral), 0, "closed vault holds collateral");
        }
    }

    /* 5. SHARE PRICE */

    /// @notice The lenders' share price never fell in a call that realized no bad debt.
    function invariant_sharePriceFallsOnlyByBadDebt() public view {
        vm.assertEq(handler.sharePriceDrops(), 0, handler.lastViolation());
    }

    /* 6. PAUSE */

    /// @notice While paused, repay, deposit, close, liquidations and lender exits only reverted for legitimate
    /// reasons; and supply/open/borrow/withdraw-collateral never got through a pause.
    function invariant_pauseNeverBlocksExits() public view {
        vm.assertEq(handler.pausedExitsBlocked(), 0, handler.lastViolation());
        vm.assertEq(handler.pauseBypasses(), 0, handler.lastViolation());
    }

    /// @notice Outside a pause, exits never reverted for an illegitimate reason either.
    function invariant_exitsNeverRevertIllegitimately() public view {
        vm.assertEq(handler.unexpectedExitReverts(), 0, handler.lastViolation());
    }

    /* 7. INTEREST IS NEVER BACKDATED */

    /// @notice No vault is charged interest for time before its borrow: a borrow repaid in full within the same
    /// timestamp never costs more than one unit over the amount borrowed.
    function invariant_noInterestChargedForTimeBeforeBorrow() public view {
        vm.assertEq(handler.backdatedInterestViolations(), 0, handler.lastViolation());
    }

    /* 8. LIQUIDATION REPAY IS COVERED */

    /// @notice Every liquidation's repayment is covered by the value seized: for each Liquidated event,
    /// repaid x (1 + bonus) <= oracle value of the seized collateral at that moment, and repaid + fee <= that value;
    /// a single liquidation never repays more than the liquidator's cap.
    function invariant_liquidationRepayCoveredBySeizedValue() public view {
        vm.assertEq(handler.uncoveredRepayments(), 0, handler.lastViolation());
    }

    /* SHARE ACCOUNTING */

    function invariant_vaultDebtSharesSumToTotalBorrowShares() public view {
        for (uint256 k; k < handler.marketCount(); ++k) {
            uint256 id = handler.market(k).id;
            vm.assertEq(_sumVaults(id, false), engine.marketState(id).totalBorrowShares, "debt shares");
        }
    }

    function invariant_lenderSupplySharesSumToTotalSupplyShares() public view {
        for (uint256 k; k < handler.marketCount(); ++k) {
            uint256 id = handler.market(k).id;
            uint256 sum;
            for (uint256 l; l < handler.lendersLength(); ++l) sum += engine.supplyShares(id, handler.lenders(l));
            vm.assertEq(sum, engine.marketState(id).totalSupplyShares, "supply shares");
        }
    }

    /* REPORTING */

    /// @notice Prints the handler's call counters at the end of each run (visible with -vv on failure or -vvv).
    function afterInvariant() public view {
        string[18] memory names = handler.actionNames();
        for (uint256 a; a < names.length; ++a) {
            console.log(string.concat(names[a], " calls"), handler.calls(a));
            console.log(string.concat(names[a], " ok"), handler.successes(a));
            console.log(string.concat(names[a], " ok while paused"), handler.successesWhilePaused(a));
            console.log(string.concat(names[a], " unanticipated reverts"), handler.unanticipatedReverts(a));
        }
        console.log("entries rejected by pause", handler.entriesRejectedByPause());
        console.log("vaults liquidated", handler.vaultsLiquidated());
        console.log("vaults liquidated while paused", handler.vaultsLiquidatedWhilePaused());
        console.log("bad debt events", handler.badDebtEvents());
        console.log("liquidate reverts: healthy", handler.liquidateRevertsHealthy());
        console.log("liquidate reverts: bad price", handler.liquidateRevertsBadPrice());
        console.log("liquidations checked for cover", handler.liquidationsChecked());
        console.log("same-block borrow+repay round trips", handler.sameBlockRoundTrips());
        console.log("batches rejected as unsorted", handler.batchesRejectedUnsorted());
    }

    function _sumVaults(uint256 id, bool collateral) internal view returns (uint256 sum) {
        uint256 n = engine.vaultCount();
        for (uint256 v = 1; v <= n; ++v) {
            Vault memory vault_ = engine.vault(v);
            if (vault_.marketId == id) sum += collateral ? vault_.collateral : vault_.debtShares;
        }
    }
}

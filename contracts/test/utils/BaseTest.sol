// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "./Vm.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {IsomarginLens} from "../../src/IsomarginLens.sol";
import {
    IIsomarginEngine,
    MarketParams,
    MarketState,
    RiskParams,
    RiskUpdate,
    Tier,
    Vault,
    RateModel
} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Shared set-up: an engine, a 6-decimal loan token (USDC), an 18-decimal collateral (WETH) priced by an
/// 8-decimal feed at $2,000, and one three-tier market; plus helpers to fund actors and open vaults.
abstract contract BaseTest {
    address internal constant OWNER = address(0xA11CE);
    address internal constant GUARDIAN = address(0x6A4D);
    address internal constant LENDER = address(0x1E4D);
    address internal constant BORROWER = address(0xB0B);
    address internal constant LIQUIDATOR = address(0x11D);

    int256 internal constant INITIAL_PRICE = 2_000e8;
    uint256 internal constant YEAR = 365 days;

    IsomarginEngine internal engine;
    IsomarginLens internal lens;
    MockERC20 internal usdc;
    MockERC20 internal weth;
    MockAggregator internal oracle;
    uint256 internal marketId;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        engine = new IsomarginEngine(OWNER, GUARDIAN);
        lens = new IsomarginLens(engine);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        oracle = new MockAggregator(OWNER, 8, "ETH / USD", INITIAL_PRICE);
        vm.label(address(engine), "engine");
        vm.label(address(usdc), "usdc");
        vm.label(address(weth), "weth");
        vm.label(address(oracle), "oracle");
        vm.prank(OWNER);
        marketId = engine.createMarket(defaultParams(address(usdc), address(weth), address(oracle)));
    }

    /// @dev Tiers: 10% MM / 20% IM below $1M of collateral, 15% / 25% up to $10M, 25% / 35% above.
    function defaultTiers() internal pure returns (Tier[] memory t) {
        t = new Tier[](3);
        t[0] = Tier({minValue: 0, imBps: 2_000, mmBps: 1_000});
        t[1] = Tier({minValue: 1_000_000e6, imBps: 2_500, mmBps: 1_500});
        t[2] = Tier({minValue: 10_000_000e6, imBps: 3_500, mmBps: 2_500});
    }

    function defaultRateModel() internal pure returns (RateModel memory) {
        return RateModel({
            baseRatePerSecond: uint64(uint256(0.01e18) / YEAR),
            slope1PerSecond: uint64(uint256(0.04e18) / YEAR),
            slope2PerSecond: uint64(uint256(3e18) / YEAR),
            kink: 0.8e18
        });
    }

    function defaultParams(address loan, address coll, address feed) internal pure returns (MarketParams memory p) {
        p.loanToken = loan;
        p.collateralToken = coll;
        p.oracle = feed;
        p.maxOracleAge = 1 hours;
        p.tiers = defaultTiers();
        p.liquidationBonusBps = 500;
        p.protocolFeeBps = 2_000;
        p.closeFactorBps = 5_000;
        p.reserveFactorBps = 1_000;
        p.minDebt = 100e6;
        p.supplyCap = type(uint128).max;
        p.borrowCap = type(uint128).max;
        p.rateModel = defaultRateModel();
    }

    /* HELPERS */

    function _supply(address lender, uint256 assets) internal returns (uint256 shares) {
        usdc.mint(lender, assets);
        vm.startPrank(lender);
        usdc.approve(address(engine), assets);
        shares = engine.supply(marketId, assets, lender);
        vm.stopPrank();
    }

    function _open(address who, uint256 collateral, uint256 borrowAssets) internal returns (uint256 vaultId) {
        weth.mint(who, collateral);
        vm.startPrank(who);
        weth.approve(address(engine), collateral);
        vaultId = engine.openVault(marketId, collateral, borrowAssets);
        vm.stopPrank();
    }

    function _fundLiquidator(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.prank(who);
        usdc.approve(address(engine), type(uint256).max);
    }

    function _setPrice(int256 answer) internal {
        vm.prank(OWNER);
        oracle.setAnswer(answer);
    }

    /// @dev Today's timelocked risk parameters of `id`, to modify and pass to `_changeRisk`.
    function _riskOf(uint256 id) internal view returns (RiskUpdate memory u) {
        RiskParams memory r = engine.riskParams(id);
        u = RiskUpdate(
            r.maxOracleAge,
            r.liquidationBonusBps,
            r.protocolFeeBps,
            r.closeFactorBps,
            r.reserveFactorBps,
            r.minDebt,
            r.rateModel
        );
    }

    /// @dev Applies a risk change as the owner: at once when it only loosens, else proposes it, waits out the
    /// timelock (the clock moves RISK_TIMELOCK forward and every feed of the test is re-published at that time) and
    /// executes it.
    function _changeRisk(uint256 id, RiskUpdate memory u) internal {
        vm.prank(OWNER);
        uint64 at = engine.setRiskParams(id, u);
        if (at > block.timestamp) {
            vm.warp(at);
            _refreshFeeds();
            engine.executeRiskParams(id);
        }
    }

    /// @dev Re-publishes the market feed's latest answer at the current time (tests with more feeds override this).
    function _refreshFeeds() internal virtual {
        (, int256 answer,,,) = oracle.latestRoundData();
        _setPrice(answer);
    }

    function _state() internal view returns (MarketState memory) {
        return engine.marketState(marketId);
    }

    function _vault(uint256 vaultId) internal view returns (Vault memory) {
        return engine.vault(vaultId);
    }

    /// @dev Maps `x` into [min, max] (inclusive) without discarding fuzz runs.
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (max <= min) return min;
        uint256 size = max - min + 1;
        if (x >= min && x <= max) return x;
        return min + (x % size);
    }
}

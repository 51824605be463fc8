// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../test/utils/Vm.sol";
import {IsomarginEngine} from "../src/IsomarginEngine.sol";
import {IsomarginLens} from "../src/IsomarginLens.sol";
import {MarginGuard} from "../src/MarginGuard.sol";
import {MarketParams, Tier, RateModel} from "../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";
import {MockAggregator} from "../src/mocks/MockAggregator.sol";
import {MarketConfig} from "../src/interfaces/IIsomarginEngine.sol";
import {SwapLiquidator} from "../src/periphery/SwapLiquidator.sol";
import {IUniswapV2Factory, IUniswapV2Router} from "../src/periphery/interfaces/IUniswapV2.sol";
import {DeploymentWriter} from "./DeploymentWriter.sol";
import {UniswapV2Deployer} from "./UniswapV2Deployer.sol";

/// @title DeployLocal
/// @notice Deploys the engine, mock tokens (USDC 6 decimals; WETH and LINK 18 decimals), settable Chainlink-style
/// feeds and two markets (WETH/USDC, LINK/USDC) on a local chain, then writes the deployment file. With
/// UNISWAP_DEPTH it also deploys the capital-free liquidation periphery: Uniswap V2 (factory and Router02 from the npm
/// packages' artifacts), one pool per market seeded at the oracle price with UNISWAP_DEPTH whole loan tokens (and the
/// collateral worth as much) on each side, and a SwapLiquidator owned by the deployer.
/// @dev `forge script script/DeployLocal.s.sol --rpc-url http://127.0.0.1:8545 --broadcast --private-key <key>`
/// Environment: DEPLOYMENT_FILE (default deployments/local.json), GUARDIAN (default: the deployer), UNISWAP_DEPTH
/// (default 0: no Uniswap, no liquidator), LIQUIDATOR_OPERATOR (an address allowed to liquidate through the
/// SwapLiquidator besides its owner, e.g. the keeper's; default none).
contract DeployLocal is DeploymentWriter, UniswapV2Deployer {
    uint256 internal constant YEAR = 365 days;

    function run() external {
        string memory path = vm.envOr("DEPLOYMENT_FILE", string("deployments/local.json"));
        uint256 deployBlock = block.number;

        vm.startBroadcast();
        (MarginGuard guard, address weth, uint256[] memory ids) = _deployCore(msg.sender);
        uint256 depth = vm.envOr("UNISWAP_DEPTH", uint256(0));
        Periphery memory periphery;
        if (depth > 0) {
            periphery = _deployPeriphery(IsomarginLens(address(guard.lens())), msg.sender, weth, ids, depth);
        }
        vm.stopBroadcast();

        string[] memory names = new string[](2);
        names[0] = "WETH/USDC";
        names[1] = "LINK/USDC";
        _writeDeployment(path, guard, deployBlock, ids, names, periphery);
    }

    /// @dev The engine, its lens and guard, the mock tokens and feeds, and the two markets.
    function _deployCore(address deployer) internal returns (MarginGuard guard, address weth, uint256[] memory ids) {
        address guardian = vm.envOr("GUARDIAN", deployer);
        IsomarginEngine engine = new IsomarginEngine(deployer, guardian);
        IsomarginLens lens = new IsomarginLens(engine);
        guard = new MarginGuard(lens);
        MockERC20 usdc = new MockERC20("USD Coin", "USDC", 6);
        MockERC20 wethToken = new MockERC20("Wrapped Ether", "WETH", 18);
        MockERC20 link = new MockERC20("ChainLink Token", "LINK", 18);
        MockAggregator wethFeed = new MockAggregator(deployer, 8, "ETH / USD", 2_000e8);
        MockAggregator linkFeed = new MockAggregator(deployer, 8, "LINK / USD", 15e8);

        ids = new uint256[](2);
        ids[0] = engine.createMarket(_params(address(usdc), address(wethToken), address(wethFeed), 1_000));
        ids[1] = engine.createMarket(_params(address(usdc), address(link), address(linkFeed), 1_500));
        weth = address(wethToken);
    }

    /// @dev Uniswap V2, a pool per market at the oracle price with `depth` whole loan tokens a side (the liquidity
    /// tokens go to the deployer), and the SwapLiquidator with LIQUIDATOR_OPERATOR as its operator.
    function _deployPeriphery(IsomarginLens lens, address deployer, address weth, uint256[] memory ids, uint256 depth)
        internal
        returns (Periphery memory p)
    {
        (IUniswapV2Factory factory, IUniswapV2Router router) = _deployUniswapV2(deployer, weth);
        p.factory = address(factory);
        p.router = address(router);
        p.pairs = new address[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            MarketConfig memory c = lens.engine().marketConfig(ids[i]);
            p.pairs[i] = address(_seedPool(factory, MockERC20(c.loanToken), MockERC20(c.collateralToken),
                depth * 10 ** c.loanDecimals, lens.price(ids[i]), deployer));
        }
        SwapLiquidator liquidator = new SwapLiquidator(lens, router, deployer);
        address operator = vm.envOr("LIQUIDATOR_OPERATOR", address(0));
        if (operator != address(0)) liquidator.setOperator(operator, true);
        p.liquidator = address(liquidator);
    }

    /// @dev Margins grow with vault size: base tier, above $250k and above $2.5M of collateral.
    function _params(address loan, address coll, address feed, uint16 baseMm)
        internal
        pure
        returns (MarketParams memory p)
    {
        Tier[] memory tiers = new Tier[](3);
        tiers[0] = Tier({minValue: 0, imBps: baseMm * 2, mmBps: baseMm});
        tiers[1] = Tier({minValue: 250_000e6, imBps: baseMm * 2 + 500, mmBps: baseMm + 500});
        tiers[2] = Tier({minValue: 2_500_000e6, imBps: baseMm * 2 + 1_500, mmBps: baseMm + 1_500});
        p.loanToken = loan;
        p.collateralToken = coll;
        p.oracle = feed;
        p.maxOracleAge = 1 days;
        p.tiers = tiers;
        p.liquidationBonusBps = 500;
        p.protocolFeeBps = 2_000;
        p.closeFactorBps = 5_000;
        p.reserveFactorBps = 1_000;
        p.minDebt = 10e6;
        p.supplyCap = type(uint128).max;
        p.borrowCap = type(uint128).max;
        p.rateModel = RateModel({
            baseRatePerSecond: uint64(uint256(0.01e18) / YEAR),
            slope1PerSecond: uint64(uint256(0.04e18) / YEAR),
            slope2PerSecond: uint64(uint256(3e18) / YEAR),
            kink: 0.8e18
        });
    }
}

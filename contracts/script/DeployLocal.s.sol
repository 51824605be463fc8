// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../test/utils/Vm.sol";
import {IsomarginEngine} from "../src/IsomarginEngine.sol";
import {IsomarginLens} from "../src/IsomarginLens.sol";
import {MarginGuard} from "../src/MarginGuard.sol";
import {MarketParams, Tier, RateModel} from "../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";
import {MockAggregator} from "../src/mocks/MockAggregator.sol";
import {DeploymentWriter} from "./DeploymentWriter.sol";

/// @title DeployLocal
/// @notice Deploys the engine, mock tokens (USDC 6 decimals; WETH and LINK 18 decimals), settable Chainlink-style
/// feeds and two markets (WETH/USDC, LINK/USDC) on a local chain, then writes the deployment file.
/// @dev `forge script script/DeployLocal.s.sol --rpc-url http://127.0.0.1:8545 --broadcast --private-key <key>`
/// Environment: DEPLOYMENT_FILE (default deployments/local.json), GUARDIAN (default: the deployer).
contract DeployLocal is DeploymentWriter {
    uint256 internal constant YEAR = 365 days;

    function run() external {
        string memory path = vm.envOr("DEPLOYMENT_FILE", string("deployments/local.json"));
        uint256 deployBlock = block.number;

        vm.startBroadcast();
        address deployer = msg.sender;
        address guardian = vm.envOr("GUARDIAN", deployer);
        IsomarginEngine engine = new IsomarginEngine(deployer, guardian);
        IsomarginLens lens = new IsomarginLens(engine);
        MarginGuard guard = new MarginGuard(lens);
        MockERC20 usdc = new MockERC20("USD Coin", "USDC", 6);
        MockERC20 weth = new MockERC20("Wrapped Ether", "WETH", 18);
        MockERC20 link = new MockERC20("ChainLink Token", "LINK", 18);
        MockAggregator wethFeed = new MockAggregator(deployer, 8, "ETH / USD", 2_000e8);
        MockAggregator linkFeed = new MockAggregator(deployer, 8, "LINK / USD", 15e8);

        uint256[] memory ids = new uint256[](2);
        string[] memory names = new string[](2);
        ids[0] = engine.createMarket(_params(address(usdc), address(weth), address(wethFeed), 1_000));
        names[0] = "WETH/USDC";
        ids[1] = engine.createMarket(_params(address(usdc), address(link), address(linkFeed), 1_500));
        names[1] = "LINK/USDC";
        vm.stopBroadcast();

        _writeDeployment(path, guard, deployBlock, ids, names);
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

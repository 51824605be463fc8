// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../test/utils/Vm.sol";
import {IsomarginEngine} from "../src/IsomarginEngine.sol";
import {IsomarginLens} from "../src/IsomarginLens.sol";
import {MarginGuard} from "../src/MarginGuard.sol";
import {MarketConfig, MarketParams, Tier, RateModel} from "../src/interfaces/IIsomarginEngine.sol";
import {SwapLiquidator} from "../src/periphery/SwapLiquidator.sol";
import {IUniswapV2Factory, IUniswapV2Router} from "../src/periphery/interfaces/IUniswapV2.sol";
import {DeploymentWriter} from "./DeploymentWriter.sol";

/// @title Deploy
/// @notice Deploys the engine on a real chain and lists markets of existing tokens and Chainlink feeds read from a
/// config file (see script/config/example.json), then writes the deployment file.
/// @dev `DEPLOY_CONFIG=script/config/mainnet.json forge script script/Deploy.s.sol --rpc-url $RPC --broadcast
/// --account <keystore-name>`. Environment: DEPLOY_CONFIG (required), DEPLOYMENT_FILE (default
/// deployments/<chainId>.json). The broadcaster creates the markets, then hands ownership to `owner` with
/// Ownable2Step: `owner` must call `acceptOwnership()`.
/// Optional capital-free liquidation: with `uniswapRouter` (an existing Uniswap V2 Router02) in the config it also
/// deploys a SwapLiquidator selling through it, allows `liquidatorOperator` (the keeper's address, optional) and hands
/// it to `owner` the same way; the deployment file then lists it, the router, its factory and each market's pair
/// (markets without a pool are listed without one).
contract Deploy is DeploymentWriter {
    function run() external {
        string memory json = vm.readFile(vm.envString("DEPLOY_CONFIG"));
        string memory path = vm.envOr(
            "DEPLOYMENT_FILE", string.concat("deployments/", vm.toString(block.chainid), ".json")
        );
        address owner = vm.parseJsonAddress(json, ".owner");
        require(owner != address(0), "config .owner: must be the address that will own the engine, not zero");
        address guardian = vm.parseJsonAddress(json, ".guardian");
        string[] memory names = vm.parseJsonKeys(json, ".markets");
        uint256 deployBlock = block.number;

        vm.startBroadcast();
        IsomarginEngine engine = new IsomarginEngine(msg.sender, guardian);
        IsomarginLens lens = new IsomarginLens(engine);
        MarginGuard guard = new MarginGuard(lens);
        uint256[] memory ids = new uint256[](names.length);
        for (uint256 i; i < names.length; ++i) {
            ids[i] = engine.createMarket(_market(json, string.concat('.markets["', names[i], '"]')));
        }
        Periphery memory periphery;
        if (vm.keyExistsJson(json, ".uniswapRouter")) periphery = _liquidator(json, lens, ids, owner);
        if (owner != msg.sender) engine.transferOwnership(owner);
        vm.stopBroadcast();

        _writeDeployment(path, guard, deployBlock, ids, names, periphery);
    }

    function _liquidator(string memory json, IsomarginLens lens, uint256[] memory ids, address owner)
        internal
        returns (Periphery memory p)
    {
        IUniswapV2Router router = IUniswapV2Router(vm.parseJsonAddress(json, ".uniswapRouter"));
        p.router = address(router);
        p.factory = router.factory();
        p.pairs = new address[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            MarketConfig memory c = lens.engine().marketConfig(ids[i]);
            p.pairs[i] = IUniswapV2Factory(p.factory).getPair(c.loanToken, c.collateralToken);
        }
        SwapLiquidator liquidator = new SwapLiquidator(lens, router, msg.sender);
        if (vm.keyExistsJson(json, ".liquidatorOperator")) {
            liquidator.setOperator(vm.parseJsonAddress(json, ".liquidatorOperator"), true);
        }
        if (owner != msg.sender) liquidator.transferOwnership(owner);
        p.liquidator = address(liquidator);
    }

    function _market(string memory json, string memory key) internal pure returns (MarketParams memory p) {
        p.loanToken = vm.parseJsonAddress(json, string.concat(key, ".loanToken"));
        p.collateralToken = vm.parseJsonAddress(json, string.concat(key, ".collateralToken"));
        p.oracle = vm.parseJsonAddress(json, string.concat(key, ".oracle"));
        p.maxOracleAge = uint32(vm.parseJsonUint(json, string.concat(key, ".maxOracleAge")));
        uint256[] memory minValues = vm.parseJsonUintArray(json, string.concat(key, ".tiers.minValue"));
        uint256[] memory im = vm.parseJsonUintArray(json, string.concat(key, ".tiers.imBps"));
        uint256[] memory mm = vm.parseJsonUintArray(json, string.concat(key, ".tiers.mmBps"));
        require(minValues.length == im.length && im.length == mm.length, "tiers: arrays differ in length");
        p.tiers = new Tier[](minValues.length);
        for (uint256 j; j < minValues.length; ++j) {
            p.tiers[j] = Tier({minValue: uint128(minValues[j]), imBps: uint16(im[j]), mmBps: uint16(mm[j])});
        }
        p.liquidationBonusBps = uint16(vm.parseJsonUint(json, string.concat(key, ".liquidationBonusBps")));
        p.protocolFeeBps = uint16(vm.parseJsonUint(json, string.concat(key, ".protocolFeeBps")));
        p.closeFactorBps = uint16(vm.parseJsonUint(json, string.concat(key, ".closeFactorBps")));
        p.reserveFactorBps = uint16(vm.parseJsonUint(json, string.concat(key, ".reserveFactorBps")));
        p.minDebt = uint128(vm.parseJsonUint(json, string.concat(key, ".minDebt")));
        p.supplyCap = uint128(vm.parseJsonUint(json, string.concat(key, ".supplyCap")));
        p.borrowCap = uint128(vm.parseJsonUint(json, string.concat(key, ".borrowCap")));
        p.rateModel = RateModel({
            baseRatePerSecond: uint64(vm.parseJsonUint(json, string.concat(key, ".rateModel.baseRatePerSecond"))),
            slope1PerSecond: uint64(vm.parseJsonUint(json, string.concat(key, ".rateModel.slope1PerSecond"))),
            slope2PerSecond: uint64(vm.parseJsonUint(json, string.concat(key, ".rateModel.slope2PerSecond"))),
            kink: uint64(vm.parseJsonUint(json, string.concat(key, ".rateModel.kink")))
        });
    }
}

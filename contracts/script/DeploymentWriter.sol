// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../test/utils/Vm.sol";
import {IsomarginEngine} from "../src/IsomarginEngine.sol";
import {IsomarginLens} from "../src/IsomarginLens.sol";
import {MarginGuard} from "../src/MarginGuard.sol";
import {MarketConfig} from "../src/interfaces/IIsomarginEngine.sol";

/// @notice Writes the deployment file the keeper and indexer read:
/// `{"chainId", "engine", "lens", "guard", "deployBlock", "owner", "guardian", "markets": [{"id", "name", "loanToken",
/// "collateralToken", "oracle"}]}`.
abstract contract DeploymentWriter {
    function _writeDeployment(
        string memory path,
        MarginGuard guard,
        uint256 deployBlock,
        uint256[] memory marketIds,
        string[] memory names
    ) internal {
        IsomarginLens lens = IsomarginLens(address(guard.lens()));
        IsomarginEngine engine = IsomarginEngine(address(guard.engine()));
        string memory markets = "";
        for (uint256 i; i < marketIds.length; ++i) {
            MarketConfig memory c = engine.marketConfig(marketIds[i]);
            markets = string.concat(
                markets,
                i == 0 ? "" : ",",
                '{"id":',
                vm.toString(marketIds[i]),
                ',"name":"',
                names[i],
                '","loanToken":"',
                vm.toString(c.loanToken),
                '","collateralToken":"',
                vm.toString(c.collateralToken),
                '","oracle":"',
                vm.toString(c.oracle),
                '"}'
            );
        }
        string memory json = string.concat(
            '{"chainId":',
            vm.toString(block.chainid),
            ',"engine":"',
            vm.toString(address(engine)),
            '","lens":"',
            vm.toString(address(lens)),
            '","guard":"',
            vm.toString(address(guard)),
            '","deployBlock":',
            vm.toString(deployBlock),
            ',"owner":"',
            vm.toString(engine.owner()),
            '","guardian":"',
            vm.toString(engine.guardian()),
            '","markets":[',
            markets,
            "]}"
        );
        vm.writeFile(path, json);
    }
}

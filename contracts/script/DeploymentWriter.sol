// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../test/utils/Vm.sol";
import {IsomarginEngine} from "../src/IsomarginEngine.sol";
import {IsomarginLens} from "../src/IsomarginLens.sol";
import {MarginGuard} from "../src/MarginGuard.sol";
import {MarketConfig} from "../src/interfaces/IIsomarginEngine.sol";

/// @notice Writes the deployment file the keeper and indexer read:
/// `{"chainId", "engine", "lens", "guard", "deployBlock", "owner", "guardian", "markets": [{"id", "name", "loanToken",
/// "collateralToken", "oracle"}]}`, and, when the deployment has the capital-free liquidation periphery,
/// `"liquidator"` (SwapLiquidator), `"uniswap": {"factory", "router"}` and each market's Uniswap V2 `"pair"`.
abstract contract DeploymentWriter {
    /// @dev The optional periphery: zero addresses (and no pairs) leave the fields out.
    struct Periphery {
        address factory;
        address router;
        address liquidator;
        address[] pairs; // by market, as `marketIds`; a zero entry leaves that market's pair out
    }

    function _writeDeployment(
        string memory path,
        MarginGuard guard,
        uint256 deployBlock,
        uint256[] memory marketIds,
        string[] memory names
    ) internal {
        _writeDeployment(path, guard, deployBlock, marketIds, names, Periphery(address(0), address(0), address(0),
            new address[](0)));
    }

    function _writeDeployment(
        string memory path,
        MarginGuard guard,
        uint256 deployBlock,
        uint256[] memory marketIds,
        string[] memory names,
        Periphery memory periphery
    ) internal {
        IsomarginEngine engine = IsomarginEngine(address(guard.engine()));
        string memory markets = "";
        for (uint256 i; i < marketIds.length; ++i) {
            address pair = i < periphery.pairs.length ? periphery.pairs[i] : address(0);
            markets = string.concat(markets, i == 0 ? "" : ",", _market(engine, marketIds[i], names[i], pair));
        }
        string memory json = string.concat(
            '{"chainId":',
            vm.toString(block.chainid),
            ',"engine":"',
            vm.toString(address(engine)),
            '","lens":"',
            vm.toString(address(guard.lens())),
            '","guard":"',
            vm.toString(address(guard)),
            '","deployBlock":',
            vm.toString(deployBlock),
            ',"owner":"',
            vm.toString(engine.owner()),
            '","guardian":"',
            vm.toString(engine.guardian()),
            '"'
        );
        if (periphery.liquidator != address(0)) {
            json = string.concat(json, ',"liquidator":"', vm.toString(periphery.liquidator), '"');
        }
        if (periphery.router != address(0)) {
            json = string.concat(
                json,
                ',"uniswap":{"factory":"',
                vm.toString(periphery.factory),
                '","router":"',
                vm.toString(periphery.router),
                '"}'
            );
        }
        vm.writeFile(path, string.concat(json, ',"markets":[', markets, "]}"));
    }

    function _market(IsomarginEngine engine, uint256 id, string memory name, address pair)
        private
        view
        returns (string memory)
    {
        MarketConfig memory c = engine.marketConfig(id);
        string memory m = string.concat(
            '{"id":',
            vm.toString(id),
            ',"name":"',
            name,
            '","loanToken":"',
            vm.toString(c.loanToken),
            '","collateralToken":"',
            vm.toString(c.collateralToken),
            '","oracle":"',
            vm.toString(c.oracle),
            '"'
        );
        if (pair != address(0)) m = string.concat(m, ',"pair":"', vm.toString(pair), '"');
        return string.concat(m, "}");
    }
}

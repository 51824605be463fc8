// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../test/utils/Vm.sol";
import {IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router} from "../src/periphery/interfaces/IUniswapV2.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";

/// @notice Deploys Uniswap V2 (factory and Router02) from the compiled artifacts of the pinned npm packages
/// v2-core 1.0.1 and v2-periphery 1.1.0-beta.0 of the uniswap scope (Uniswap's sources are Solidity 0.5/0.6, so
/// they are not compiled here; the router's pair-address hash matches that factory's pair bytecode), and seeds pools
/// of mock tokens at a given price. Used by the local deploy script and the forge tests; reads the artifacts from
/// ../node_modules (foundry.toml grants read access to their build folders).
abstract contract UniswapV2Deployer {
    string internal constant V2_CORE = "../node_modules/@uniswap/v2-core/build/";
    string internal constant V2_PERIPHERY = "../node_modules/@uniswap/v2-periphery/build/";

    /// @dev The factory (fees off: `feeToSetter` may turn the protocol fee on) and a router over it; `weth` is the
    /// router's wrapped-native token (only its ETH entry points use it).
    function _deployUniswapV2(address feeToSetter, address weth)
        internal
        returns (IUniswapV2Factory factory, IUniswapV2Router router)
    {
        factory = IUniswapV2Factory(_create(abi.encodePacked(_artifactCode(string.concat(V2_CORE,
            "UniswapV2Factory.json")), abi.encode(feeToSetter))));
        router = IUniswapV2Router(_create(abi.encodePacked(_artifactCode(string.concat(V2_PERIPHERY,
            "UniswapV2Router02.json")), abi.encode(address(factory), weth))));
    }

    /// @dev Creates the `loan`/`collateral` pool when missing and adds `loanAmount` of the loan token with the
    /// collateral worth as much at `price` (loan base units per collateral base unit x 1e36, the engine's scale),
    /// minted to the pool; the liquidity tokens go to `lp`. Returns the pair.
    function _seedPool(
        IUniswapV2Factory factory,
        MockERC20 loan,
        MockERC20 collateral,
        uint256 loanAmount,
        uint256 price,
        address lp
    ) internal returns (IUniswapV2Pair pair) {
        address p = factory.getPair(address(loan), address(collateral));
        if (p == address(0)) p = factory.createPair(address(loan), address(collateral));
        pair = IUniswapV2Pair(p);
        uint256 collateralAmount = Math.mulDiv(loanAmount, 1e36, price);
        require(collateralAmount > 0, "seed: the loan amount buys no collateral unit at this price");
        loan.mint(p, loanAmount);
        collateral.mint(p, collateralAmount);
        pair.mint(lp);
    }

    function _artifactCode(string memory path) internal view returns (bytes memory) {
        // the artifacts hold "bytecode" twice (top level and under evm), which vm.getCode refuses
        return vm.parseBytes(vm.parseJsonString(vm.readFile(path), ".bytecode"));
    }

    function _create(bytes memory initCode) internal returns (address deployed) {
        assembly ("memory-safe") {
            deployed := create(0, add(initCode, 0x20), mload(initCode))
        }
        require(deployed != address(0), "uniswap v2: deployment from the artifact failed");
    }
}

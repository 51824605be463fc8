// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @notice The parts of Uniswap V2's factory the liquidator, its tests and the deploy scripts use. Uniswap's own
/// sources are Solidity 0.5/0.6: they are deployed from the compiled artifacts of the npm package v2-core.
interface IUniswapV2Factory {
    function getPair(address tokenA, address tokenB) external view returns (address pair);
    function createPair(address tokenA, address tokenB) external returns (address pair);
}

/// @notice The parts of a Uniswap V2 pair used here.
interface IUniswapV2Pair {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function mint(address to) external returns (uint256 liquidity);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
    function sync() external;
}

/// @notice The parts of Uniswap V2's Router02 (npm package v2-periphery) used here.
interface IUniswapV2Router {
    function factory() external view returns (address);
    function getAmountsOut(uint256 amountIn, address[] calldata path) external view returns (uint256[] memory amounts);
    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        address[] calldata path,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts);
}

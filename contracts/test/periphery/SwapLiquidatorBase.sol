// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {UniswapV2Deployer} from "../../script/UniswapV2Deployer.sol";
import {IUniswapV2Factory, IUniswapV2Pair, IUniswapV2Router} from "../../src/periphery/interfaces/IUniswapV2.sol";
import {SwapLiquidator} from "../../src/periphery/SwapLiquidator.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";

/// @notice The engine's test market (USDC 6 decimals / WETH 18 decimals at $2,000) with a real Uniswap V2 (factory,
/// Router02 and a WETH/USDC pair, deployed from the npm packages' artifacts) seeded at the oracle price, and a
/// SwapLiquidator owned by OWNER with KEEPER as its operator. The keeper and the liquidator hold no USDC.
abstract contract SwapLiquidatorBase is BaseTest, UniswapV2Deployer {
    address internal constant KEEPER = address(0x4EE9);
    address internal constant LP = address(0x1F);
    address internal constant ALICE = address(0xA1);
    address internal constant CAROL = address(0xC3);
    uint256 internal constant DEPTH = 50_000_000e6; // USDC on each side of the WETH/USDC pool
    uint256 internal constant SLIPPAGE_BPS = 100;

    IUniswapV2Factory internal factory;
    IUniswapV2Router internal router;
    IUniswapV2Pair internal pair;
    SwapLiquidator internal liq;

    function setUp() public virtual override {
        super.setUp();
        (factory, router) = _deployUniswapV2(OWNER, address(weth));
        pair = _seedPool(factory, usdc, weth, DEPTH, lens.price(marketId), LP);
        liq = new SwapLiquidator(lens, router, OWNER);
        vm.prank(OWNER);
        liq.setOperator(KEEPER, true);
        vm.label(address(liq), "liquidator");
        vm.label(address(pair), "pair");
        _supply(LENDER, 50_000_000e6);
    }

    /// @dev Publishes `answer` on the feed and moves the pool to the same price (as arbitrage would).
    function _crash(int256 answer) internal {
        _setPrice(answer);
        _pegPool(pair, usdc, weth, lens.price(marketId));
    }

    /// @dev Sets the pool's price to `price` (loan base units per collateral base unit x 1e36) by adding to the
    /// side that must grow and syncing: exact, and no trade.
    function _pegPool(IUniswapV2Pair p, MockERC20 loan, MockERC20 coll, uint256 price) internal {
        (uint256 rl, uint256 rc) = _reserves(p, address(loan));
        uint256 wantColl = Math.mulDiv(rl, 1e36, price);
        if (wantColl > rc) {
            coll.mint(address(p), wantColl - rc);
        } else {
            uint256 wantLoan = Math.mulDiv(rc, price, 1e36);
            if (wantLoan > rl) loan.mint(address(p), wantLoan - rl);
        }
        p.sync();
    }

    /// @dev The pool's reserves as (loan, collateral).
    function _reserves(IUniswapV2Pair p, address loan) internal view returns (uint256 rl, uint256 rc) {
        (uint112 r0, uint112 r1,) = p.getReserves();
        (rl, rc) = p.token0() == loan ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
    }

    /// @dev Sells `amount` of `tokenIn` into the pool for `who` (a sandwich's first leg, or a trader).
    function _dump(address who, MockERC20 tokenIn, MockERC20 tokenOut, uint256 amount) internal {
        tokenIn.mint(who, amount);
        address[] memory path = new address[](2);
        path[0] = address(tokenIn);
        path[1] = address(tokenOut);
        vm.startPrank(who);
        tokenIn.approve(address(router), amount);
        router.swapExactTokensForTokens(amount, 0, path, who, block.timestamp);
        vm.stopPrank();
    }

    /// @dev Uniswap V2's output for `amountIn` against reserves (0.3% fee), as the router computes it.
    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        uint256 inWithFee = amountIn * 997;
        return inWithFee * reserveOut / (reserveIn * 1000 + inWithFee);
    }
}

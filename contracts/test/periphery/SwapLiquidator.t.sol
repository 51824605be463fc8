// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {vm} from "../utils/Vm.sol";
import {SwapLiquidatorBase} from "./SwapLiquidatorBase.sol";
import {IIsomarginEngine} from "../../src/interfaces/IIsomarginEngine.sol";
import {IUniswapV2Pair, IUniswapV2Router} from "../../src/periphery/interfaces/IUniswapV2.sol";
import {SwapLiquidator} from "../../src/periphery/SwapLiquidator.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice SwapLiquidator on a real Uniswap V2 deployment: liquidations without any loan-token capital, the minimum
/// sale output against a shallow or manipulated pool, who may call what, batches, coarse decimals, and a fuzz over
/// pool depth, pool/oracle gap and slippage proving the contract never ends with less loan token than it started with.
contract SwapLiquidatorTest is SwapLiquidatorBase {
    uint256 internal vaultId;

    function setUp() public override {
        super.setUp();
        // 100 WETH at $2,000 with 150,000 USDC of debt: liquidatable below ~$1,666.7 (MM 10%)
        vaultId = _open(BORROWER, 100e18, 150_000e6);
    }

    /* CAPITAL-FREE LIQUIDATION */

    function test_liquidate_withZeroCapital_keepsTheSwapSurplus() public {
        _crash(1_600e8);
        vm.assertEq(usdc.balanceOf(KEEPER), 0);
        vm.assertEq(usdc.balanceOf(address(liq)), 0);
        uint256 debtBefore = lens.debtOf(vaultId);
        (uint256 rl, uint256 rc) = _reserves(pair, address(usdc));

        vm.prank(KEEPER);
        (uint256 repaid, uint256 seized, uint256 profit) =
            liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);

        // half the debt at the 50% close factor, 5% bonus, 20% of it as the protocol fee
        vm.assertEq(repaid, 75_000e6);
        vm.assertEq(seized, 49.21875e18);
        uint256 owed = repaid + repaid * 500 * 2_000 / 1e8;
        uint256 proceeds = _amountOut(seized, rc, rl);
        vm.assertEq(profit, proceeds - owed, "profit = swap output - repaid - fee");
        vm.assertGt(profit, 2_000e6);
        vm.assertEq(usdc.balanceOf(address(liq)), profit);
        vm.assertEq(weth.balanceOf(address(liq)), 0, "all the seized collateral sold");
        vm.assertEq(usdc.balanceOf(KEEPER), 0);
        vm.assertEq(lens.debtOf(vaultId), debtBefore - repaid);
        // no allowance left standing
        vm.assertEq(usdc.allowance(address(liq), address(engine)), 0);
        vm.assertEq(weth.allowance(address(liq), address(router)), 0);

        vm.prank(OWNER);
        liq.withdraw(usdc, OWNER, profit);
        vm.assertEq(usdc.balanceOf(OWNER), profit);
    }

    function test_liquidateBatch_withZeroCapital() public {
        uint256[] memory ids = new uint256[](6);
        for (uint256 i; i < 5; ++i) ids[i] = _open(CAROL, 1e18, 1_550e6); // liquidatable below ~$1,722
        ids[5] = _open(ALICE, 10e18, 1_000e6); // stays healthy: skipped by the engine
        _crash(1_700e8);
        vm.prank(KEEPER);
        (uint256 liquidated, uint256 repaid, uint256 seized, uint256 fee, uint256 profit) =
            liq.liquidateBatch(marketId, ids, SLIPPAGE_BPS, 0);
        vm.assertEq(liquidated, 5);
        vm.assertGt(repaid, 0);
        vm.assertGt(seized, 0);
        vm.assertEq(fee, Math.mulDiv(repaid / 5, 500 * 2_000, 1e8, Math.Rounding.Ceil) * 5);
        vm.assertGt(profit, 0);
        vm.assertEq(usdc.balanceOf(address(liq)), profit);
        vm.assertEq(weth.balanceOf(address(liq)), 0);
        for (uint256 i; i < 5; ++i) vm.assertLt(_vault(ids[i]).collateral, 1e18);
        vm.assertEq(_vault(ids[5]).collateral, 10e18);
    }

    function test_liquidateBatch_nothingLiquidatable_returnsZeroUnlessAProfitIsRequired() public {
        uint256[] memory ids = new uint256[](1);
        ids[0] = vaultId; // healthy at $2,000
        vm.prank(KEEPER);
        (uint256 liquidated,,,, uint256 profit) = liq.liquidateBatch(marketId, ids, SLIPPAGE_BPS, 0);
        vm.assertEq(liquidated, 0);
        vm.assertEq(profit, 0);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.ProfitBelowMinimum.selector, 0, 1));
        liq.liquidateBatch(marketId, ids, SLIPPAGE_BPS, 1);
    }

    function test_liquidate_revertsBelowTheCallersMinimumProfit() public {
        _crash(1_600e8);
        vm.prank(KEEPER);
        vm.expectRevert(); // ProfitBelowMinimum(profit, 1e12)
        liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 1_000_000e6);
        vm.assertEq(_vault(vaultId).collateral, 100e18);
    }

    /* THE MINIMUM OUTPUT */

    /// @dev A trader dumps WETH just before the liquidation (a sandwich's first leg): the pool pays ~3% under the
    /// oracle, past the 1% bound, so the liquidation reverts rather than sell cheap.
    function test_liquidate_revertsWhenThePoolWasPushedBelowTheOracle() public {
        _crash(1_600e8);
        _dump(address(0xBAD), weth, usdc, 380e18); // ~1.5% of the pool's WETH: price down ~3%
        uint256 seized = 49.21875e18;
        uint256 fair = Math.mulDiv(seized, lens.price(marketId), 1e36);
        uint256 minOut = Math.mulDiv(fair, 10_000 - SLIPPAGE_BPS, 10_000, Math.Rounding.Ceil);
        (uint256 rl, uint256 rc) = _reserves(pair, address(usdc));
        uint256 quoted = _amountOut(seized, rc, rl);
        vm.assertLt(quoted, minOut);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.SwapBelowMinimum.selector, quoted, minOut));
        liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.assertEq(_vault(vaultId).collateral, 100e18, "nothing happened");
        vm.assertEq(usdc.balanceOf(address(liq)), 0);
    }

    /// @dev A pool of 1,000 USDC cannot absorb a 78,750-dollar sale: reverts.
    function test_liquidate_revertsOnAShallowPool() public {
        (MockERC20 loan, MockERC20 coll, MockAggregator feed, uint256 m) = _newMarket(18, 2_000e8);
        IUniswapV2Pair shallow = _seedPool(factory, loan, coll, 1_000e6, lens.price(m), LP);
        uint256 id = _openIn(m, loan, coll, 100e18, 150_000e6);
        vm.prank(OWNER);
        feed.setAnswer(1_600e8);
        _pegPool(shallow, loan, coll, lens.price(m));
        vm.prank(KEEPER);
        vm.expectRevert(); // SwapBelowMinimum(quoted, minOut)
        liq.liquidate(id, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.assertEq(_vault(id).collateral, 100e18);
    }

    /// @dev Even at the largest slippage the sale must cover what is owed: a pool 8% under the oracle gives ~0.917 of
    /// the seized value, the bound alone would allow 0.9, but the engine is owed ~0.962 of it. Reverts.
    function test_liquidate_neverSellsForLessThanOwed_evenAtMaxSlippage() public {
        _crash(1_600e8);
        _pegPool(pair, usdc, weth, lens.price(marketId) * 92 / 100);
        uint256 maxSlippage = liq.MAX_SLIPPAGE_BPS();
        vm.prank(KEEPER);
        (bool ok, bytes memory ret) = address(liq).call(
            abi.encodeCall(SwapLiquidator.liquidate, (vaultId, type(uint256).max, 0, maxSlippage, 0))
        );
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), SwapLiquidator.SwapBelowMinimum.selector);
        (, uint256 minOut) = abi.decode(_args(ret), (uint256, uint256));
        vm.assertEq(minOut, 75_750e6, "the minimum is what the engine is owed");
    }

    function test_liquidate_revertsAboveTheMaximumSlippage() public {
        _crash(1_600e8);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.SlippageTooHigh.selector, 1_001, 1_000));
        liq.liquidate(vaultId, type(uint256).max, 0, 1_001, 0);
    }

    /// @dev A pool above the oracle price pays more: kept as profit.
    function test_liquidate_poolAboveOracle_keepsTheExtra() public {
        _setPrice(1_600e8); // the pool stays at $2,000
        vm.prank(KEEPER);
        (,, uint256 profit) = liq.liquidate(vaultId, type(uint256).max, 0, 0, 0);
        vm.assertGt(profit, 18_000e6);
    }

    /* ACCESS */

    function test_liquidate_revertsForNonOperator() public {
        _crash(1_600e8);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.NotOperator.selector, address(0xBAD)));
        liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        uint256[] memory ids = new uint256[](1);
        ids[0] = vaultId;
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.NotOperator.selector, address(0xBAD)));
        liq.liquidateBatch(marketId, ids, SLIPPAGE_BPS, 0);
    }

    function test_owner_mayLiquidate_andRevokedOperatorMayNot() public {
        _crash(1_600e8);
        vm.prank(OWNER);
        liq.setOperator(KEEPER, false);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.NotOperator.selector, KEEPER));
        liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.prank(OWNER);
        (,, uint256 profit) = liq.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.assertGt(profit, 0);
    }

    function test_callback_revertsUnlessTheEngineCalls() public {
        weth.mint(address(liq), 1e18); // something to sell, were the check missing
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.NotEngine.selector, address(0xBAD)));
        liq.onIsomarginLiquidation(marketId, 1e18, 0, abi.encode(uint256(1_000)));
    }

    function test_callback_revertsOutsideALiquidationItStarted() public {
        weth.mint(address(liq), 1e18);
        vm.prank(address(engine));
        vm.expectRevert(SwapLiquidator.NoLiquidationPending.selector);
        liq.onIsomarginLiquidation(marketId, 1e18, 0, abi.encode(uint256(1_000)));
        vm.assertEq(weth.balanceOf(address(liq)), 1e18);
    }

    /// @dev Someone liquidating through the engine with the liquidator as receiver: the engine calls back the caller,
    /// never the liquidator, and the liquidator's balance only grows by the collateral sent to it.
    function test_othersLiquidations_neverReachTheCallback() public {
        _crash(1_600e8);
        Rival rival = new Rival(engine, address(liq));
        usdc.mint(address(rival), 100_000e6);
        rival.go(vaultId);
        vm.assertTrue(rival.calledBack());
        vm.assertEq(usdc.balanceOf(address(liq)), 0);
        vm.assertGt(weth.balanceOf(address(liq)), 0);
    }

    function test_withdraw_onlyOwner() public {
        usdc.mint(address(liq), 5e6);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, KEEPER));
        liq.withdraw(usdc, KEEPER, 5e6);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, KEEPER));
        liq.setOperator(KEEPER, true);
        vm.prank(OWNER);
        vm.expectRevert(SwapLiquidator.ZeroAddress.selector);
        liq.withdraw(usdc, address(0), 5e6);
        vm.prank(OWNER);
        liq.withdraw(usdc, LP, 5e6);
        vm.assertEq(usdc.balanceOf(LP), 5e6);
    }

    /// @dev A hostile router (built into a second liquidator) tries to re-enter during the sale: both the entry points
    /// (reentrancy guard) and the callback (stage consumed, caller not the engine) refuse, and the whole liquidation
    /// reverts.
    function test_reentryFromTheSwap_isRefused() public {
        HostileRouter hostile = new HostileRouter(router);
        SwapLiquidator bad = new SwapLiquidator(lens, IUniswapV2Router(address(hostile)), OWNER);
        vm.startPrank(OWNER);
        bad.setOperator(KEEPER, true);
        bad.setOperator(address(hostile), true); // even as an operator
        vm.stopPrank();
        hostile.aim(bad, vaultId, marketId);
        _crash(1_600e8);

        hostile.setMode(1); // re-enter liquidate
        vm.prank(KEEPER);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        bad.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);

        hostile.setMode(2); // call the callback again
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(SwapLiquidator.NotEngine.selector, address(hostile)));
        bad.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);

        hostile.setMode(0); // behaves: works
        vm.prank(KEEPER);
        (,, uint256 profit) = bad.liquidate(vaultId, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.assertGt(profit, 0);
    }

    /* COARSE DECIMALS */

    /// @dev A 0-decimal collateral (one unit $880 after the drop) against a 6-decimal loan token, pool 10,000 bars.
    function test_liquidate_zeroDecimalCollateral() public {
        (MockERC20 loan, MockERC20 bar, MockAggregator feed, uint256 m) = _newMarket(0, 1_000e8);
        IUniswapV2Pair barPool = _seedPool(factory, loan, bar, 10_000_000e6, lens.price(m), LP);
        (, uint256 bars) = _reserves(barPool, address(loan));
        vm.assertEq(bars, 10_000);
        uint256 id = _openIn(m, loan, bar, 100, 80_000e6);
        vm.prank(OWNER);
        feed.setAnswer(880e8);
        _pegPool(barPool, loan, bar, lens.price(m));
        vm.prank(KEEPER);
        (uint256 repaid, uint256 seized, uint256 profit) = liq.liquidate(id, type(uint256).max, 0, SLIPPAGE_BPS, 0);
        vm.assertEq(seized, 47); // 40,000 x 1.05 / 880 = 47.7, rounded down to whole bars
        vm.assertEq(repaid, 39_390_476_190); // 47 x 880 / 1.05
        vm.assertGt(profit, 0);
        vm.assertEq(loan.balanceOf(address(liq)), profit);
        vm.assertEq(bar.balanceOf(address(liq)), 0);
    }

    /* FUZZ */

    /// @dev Whatever the pool's depth, its gap to the oracle and the slippage allowed, a liquidation through the
    /// contract either leaves it with more loan token than before (and nothing spent of what it already held) or
    /// reverts and changes nothing.
    function testFuzz_neverEndsWithLessLoanToken(uint256 depthSeed, uint256 gapSeed, uint256 slippageSeed, uint256 crashSeed)
        public
    {
        uint256 depth = 10 ** _bound(depthSeed, 3, 10) * 1e6; // 1,000 to 10 billion USDC a side
        uint256 gapBps = _bound(gapSeed, 8_000, 12_000); // pool price 80% to 120% of the oracle's
        uint256 slippage = _bound(slippageSeed, 0, 1_000);
        int256 answer = int256(_bound(crashSeed, 1_000, 1_660)) * 1e8; // liquidatable, partly or underwater

        (MockERC20 loan, MockERC20 coll, MockAggregator feed, uint256 m) = _newMarket(18, 2_000e8);
        IUniswapV2Pair p = _seedPool(factory, loan, coll, depth, lens.price(m), LP);
        uint256 id = _openIn(m, loan, coll, 100e18, 150_000e6);
        vm.prank(OWNER);
        feed.setAnswer(answer);
        _pegPool(p, loan, coll, lens.price(m) * gapBps / 10_000);
        loan.mint(address(liq), 1_000e6); // earlier profits: must never pay for a bad sale

        uint256 before = loan.balanceOf(address(liq));
        uint256 collateralBefore = _vault(id).collateral;
        vm.prank(KEEPER);
        (bool ok, bytes memory ret) = address(liq).call(
            abi.encodeCall(SwapLiquidator.liquidate, (id, type(uint256).max, 0, slippage, 0))
        );
        uint256 afterBalance = loan.balanceOf(address(liq));
        if (ok) {
            (,, uint256 profit) = abi.decode(ret, (uint256, uint256, uint256));
            vm.assertGe(afterBalance, before, "ended with less loan token");
            vm.assertEq(afterBalance - before, profit);
            vm.assertLt(_vault(id).collateral, collateralBefore);
        } else {
            vm.assertEq(afterBalance, before);
            vm.assertEq(_vault(id).collateral, collateralBefore);
        }
        vm.assertEq(coll.balanceOf(address(liq)), 0);
    }

    /* HELPERS */

    /// @dev A fresh market of the default parameters: new 6-decimal loan token, a collateral of `collDecimals` and
    /// an 8-decimal feed, funded by a lender.
    function _newMarket(uint8 collDecimals, int256 answer)
        internal
        returns (MockERC20 loan, MockERC20 coll, MockAggregator feed, uint256 m)
    {
        loan = new MockERC20("Loan", "LOAN", 6);
        coll = new MockERC20("Coll", "COLL", collDecimals);
        feed = new MockAggregator(OWNER, 8, "COLL / LOAN", answer);
        vm.prank(OWNER);
        m = engine.createMarket(defaultParams(address(loan), address(coll), address(feed)));
        loan.mint(LENDER, 10_000_000e6);
        vm.startPrank(LENDER);
        loan.approve(address(engine), 10_000_000e6);
        engine.supply(m, 10_000_000e6, LENDER);
        vm.stopPrank();
    }

    function _openIn(uint256 m, MockERC20, MockERC20 coll, uint256 collateral, uint256 borrow)
        internal
        returns (uint256 id)
    {
        coll.mint(BORROWER, collateral);
        vm.startPrank(BORROWER);
        coll.approve(address(engine), collateral);
        id = engine.openVault(m, collateral, borrow);
        vm.stopPrank();
    }

    /// @dev A custom error's arguments (the revert data past its selector).
    function _args(bytes memory ret) internal pure returns (bytes memory a) {
        a = new bytes(ret.length - 4);
        for (uint256 i; i < a.length; ++i) a[i] = ret[i + 4];
    }
}

/// @dev Liquidates through the engine itself with the SwapLiquidator as the receiver of the collateral.
contract Rival {
    IIsomarginEngine internal immutable engine;
    address internal immutable receiver;
    bool public calledBack;

    constructor(IIsomarginEngine engine_, address receiver_) {
        engine = engine_;
        receiver = receiver_;
    }

    function go(uint256 vaultId) external {
        address loan = engine.marketConfig(engine.vault(vaultId).marketId).loanToken;
        MockERC20(loan).approve(address(engine), type(uint256).max);
        engine.liquidate(vaultId, type(uint256).max, 0, receiver, hex"01");
    }

    function onIsomarginLiquidation(uint256, uint256, uint256, bytes calldata) external {
        calledBack = true;
    }
}

/// @dev A router that forwards to the real one and, on request, re-enters the liquidator first.
contract HostileRouter {
    IUniswapV2Router internal immutable real;
    SwapLiquidator internal target;
    uint256 internal vaultId;
    uint256 internal marketId;
    uint256 internal mode;

    constructor(IUniswapV2Router real_) {
        real = real_;
    }

    function aim(SwapLiquidator target_, uint256 vaultId_, uint256 marketId_) external {
        (target, vaultId, marketId) = (target_, vaultId_, marketId_);
    }

    function setMode(uint256 mode_) external {
        mode = mode_;
    }

    function factory() external view returns (address) {
        return real.factory();
    }

    function getAmountsOut(uint256 amountIn, address[] calldata path) external view returns (uint256[] memory) {
        return real.getAmountsOut(amountIn, path);
    }

    function swapExactTokensForTokens(uint256 amountIn, uint256 minOut, address[] calldata path, address to, uint256)
        external
        returns (uint256[] memory)
    {
        if (mode == 1) target.liquidate(vaultId, type(uint256).max, 0, 0, 0);
        if (mode == 2) target.onIsomarginLiquidation(marketId, amountIn, 0, abi.encode(uint256(1_000)));
        MockERC20(path[0]).transferFrom(msg.sender, address(this), amountIn);
        MockERC20(path[0]).approve(address(real), amountIn);
        return real.swapExactTokensForTokens(amountIn, minOut, path, to, block.timestamp);
    }
}

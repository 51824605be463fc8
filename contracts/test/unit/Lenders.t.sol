// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Lender entry points (supply, withdraw, redeem), the insurance fund, interest accrual, and their reverts.
contract LendersTest is UnitBase {
    function _err(bytes4 sel, uint256 a, uint256 b, uint256 c) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(sel, a, b, c);
    }

    /* SUPPLY */

    function test_supply_firstSupplyMintsVirtualRatio() public {
        uint256 shares = _supply(LENDER, 1_000e6);
        vm.assertEq(shares, 1_000e12); // 1e6 virtual shares per virtual asset
        vm.assertEq(engine.supplyShares(marketId, LENDER), 1_000e12);
        _assertState(1_000e6, 1_000e12, 0, 0, 0);
        vm.assertEq(usdc.balanceOf(address(engine)), 1_000e6);
    }

    function test_supply_onBehalfCreditsBeneficiary() public {
        _mintApprove(usdc, ALICE, 500e6);
        vm.prank(ALICE);
        engine.supply(marketId, 500e6, BOB);
        vm.assertEq(engine.supplyShares(marketId, BOB), 500e12);
        vm.assertEq(engine.supplyShares(marketId, ALICE), 0);
        vm.assertEq(usdc.balanceOf(ALICE), 0);
    }

    function test_supply_reverts() public {
        _mintApprove(usdc, ALICE, 1e6);
        vm.startPrank(ALICE);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.supply(marketId, 0, ALICE);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.supply(marketId, 1e6, address(0));
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 2));
        engine.supply(2, 1e6, ALICE);
        vm.stopPrank();
    }

    function test_supply_revertsWhenPaused() public {
        _pause(true);
        _mintApprove(usdc, ALICE, 1e6);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketPaused.selector, marketId));
        engine.supply(marketId, 1e6, ALICE);
    }

    function test_supply_capIsInclusive() public {
        vm.prank(OWNER);
        engine.setCaps(marketId, 1_000e6, type(uint128).max);
        _supply(LENDER, 600e6);
        _mintApprove(usdc, ALICE, 1_000e6);
        vm.startPrank(ALICE);
        vm.expectRevert(_err(IIsomarginEngine.SupplyCapExceeded.selector, marketId, 1_000e6 + 1, 1_000e6));
        engine.supply(marketId, 400e6 + 1, ALICE);
        engine.supply(marketId, 400e6, ALICE);
        vm.stopPrank();
        vm.assertEq(_state().totalSupplyAssets, 1_000e6);
    }

    /* SHARE ROUNDING AFTER INTEREST */

    /// @dev 1,000,000 supplied, 100,000 borrowed at a flat 1e9/s with a 10% reserve for 100,000 s:
    /// interest 10,000,000, reserve 1,000,000, so supply assets become 1,000,009e6 against 1e18 shares.
    function _accruedMarket() internal {
        _setRate(FLAT_RATE, 1_000);
        _supply(LENDER, 1_000_000e6);
        _open(BORROWER, 100e18, 100_000e6);
        vm.warp(block.timestamp + 100_000);
        engine.accrueInterest(marketId);
        _assertState(1_000_009e6, 1e18, 100_010e6, 100_000e12, 1e6);
    }

    function test_supplyWithdrawRedeem_roundAgainstLender() public {
        _accruedMarket();

        // supply: floor(1,000e6 x (1e18 + 1e6) / (1,000,009e6 + 1))
        uint256 aliceShares = _supply(ALICE, 1_000e6);
        vm.assertEq(aliceShares, 999_991_000_080_999);

        // withdraw: ceil(500e6 x (shares + 1e6) / (assets + 1))
        vm.prank(LENDER);
        uint256 burned = engine.withdraw(marketId, 500e6, CAROL);
        vm.assertEq(burned, 499_995_500_040_500);
        vm.assertEq(usdc.balanceOf(CAROL), 500e6);
        vm.assertEq(engine.supplyShares(marketId, LENDER), 1e18 - 499_995_500_040_500);

        // redeem: floor(shares x (assets + 1) / (shares + 1e6))
        vm.prank(LENDER);
        uint256 assets = engine.redeem(marketId, 123_456_789_000, CAROL);
        vm.assertEq(assets, 123_457);
        vm.assertEq(usdc.balanceOf(CAROL), 500e6 + 123_457);

        // ALICE gets back exactly what she put in (rounding lost her less than one unit).
        vm.prank(ALICE);
        vm.assertEq(engine.redeem(marketId, aliceShares, ALICE), 1_000e6);
        _assertState(1_000_508_876_543 - 1_000e6, 1_000_499_872_043_251_499 - aliceShares, 100_010e6, 100_000e12, 1e6);
    }

    function test_redeem_dustReverts() public {
        _accruedMarket();
        vm.prank(LENDER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector); // 1 share is worth 0 assets
        engine.redeem(marketId, 1, LENDER);
    }

    /* WITHDRAW / REDEEM REVERTS */

    function test_withdraw_revertsOnInsufficientShares() public {
        _supply(LENDER, 1_000_000e6);
        vm.prank(ALICE);
        // 1 asset costs ceil((1e18 + 1e6) / (1e12 + 1)) = 1e6 shares; ALICE has none.
        vm.expectRevert(_err(IIsomarginEngine.InsufficientShares.selector, marketId, 1e6, 0));
        engine.withdraw(marketId, 1, ALICE);
        vm.prank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientShares.selector, marketId, 1e18 + 1e6, 1e18));
        engine.withdraw(marketId, 1_000_000e6 + 1, LENDER);
    }

    function test_redeem_revertsOnInsufficientShares() public {
        _supply(LENDER, 1_000_000e6);
        vm.prank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientShares.selector, marketId, 1e18 + 1, 1e18));
        engine.redeem(marketId, 1e18 + 1, LENDER);
    }

    function test_withdraw_revertsOnInsufficientLiquidity() public {
        _supply(LENDER, 1_000_000e6);
        _open(BORROWER, 100e18, 100_000e6);
        vm.startPrank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 900_000e6 + 1, 900_000e6));
        engine.withdraw(marketId, 900_000e6 + 1, LENDER);
        engine.withdraw(marketId, 900_000e6, LENDER);
        vm.stopPrank();
        vm.assertEq(usdc.balanceOf(LENDER), 900_000e6);
        vm.assertEq(usdc.balanceOf(address(engine)), 0);
    }

    function test_redeem_revertsOnInsufficientLiquidity() public {
        _supply(LENDER, 1_000_000e6);
        _open(BORROWER, 100e18, 100_000e6);
        vm.prank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 1_000_000e6, 900_000e6));
        engine.redeem(marketId, 1e18, LENDER);
    }

    function test_withdrawAndRedeem_zeroAndAddressChecks() public {
        _supply(LENDER, 1_000e6);
        vm.startPrank(LENDER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.withdraw(marketId, 0, LENDER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.redeem(marketId, 0, LENDER);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.withdraw(marketId, 1e6, address(0));
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.redeem(marketId, 1e12, address(0));
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 4));
        engine.withdraw(4, 1e6, LENDER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 4));
        engine.redeem(4, 1e12, LENDER);
        vm.stopPrank();
    }

    function test_withdrawAndRedeem_workWhilePaused() public {
        _supply(LENDER, 1_000e6);
        _pause(true);
        vm.startPrank(LENDER);
        engine.withdraw(marketId, 400e6, LENDER);
        vm.assertEq(engine.redeem(marketId, 600e12, LENDER), 600e6);
        vm.stopPrank();
        vm.assertEq(usdc.balanceOf(LENDER), 1_000e6);
        _assertState(0, 0, 0, 0, 0);
    }

    /// @dev With a reserve factor, borrows grow faster than supply, so at full utilization totalBorrowAssets ends
    /// up above totalSupplyAssets. A lender withdrawal must then revert with InsufficientLiquidity (available 0).
    function test_withdraw_revertsWithInsufficientLiquidityWhenBorrowsExceedSupply() public {
        _supply(LENDER, 100_000e6);
        _open(BORROWER, 100e18, 100_000e6);
        vm.warp(block.timestamp + 1 hours);
        engine.accrueInterest(marketId);
        // rate at 100% utilization = 96,714,865,549/s: interest 34,817,351, reserve 3,481,735.
        _assertState(100_000e6 + 31_335_616, 100_000e12, 100_000e6 + 34_817_351, 100_000e12, 3_481_735);
        vm.prank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 1, 0));
        engine.withdraw(marketId, 1, LENDER);
    }

    /// @dev Same state as above: a new borrow must revert with InsufficientLiquidity (available 0), not a panic.
    function test_borrow_revertsWithInsufficientLiquidityWhenBorrowsExceedSupply() public {
        _supply(LENDER, 100_000e6);
        _open(BORROWER, 100e18, 100_000e6);
        uint256 other = _open(ALICE, 100e18, 0);
        vm.warp(block.timestamp + 1 hours);
        _setPrice(INITIAL_PRICE);
        vm.prank(ALICE);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 100e6, 0));
        engine.borrow(other, 100e6, ALICE);
    }

    /* INSURANCE AND INTEREST */

    function test_fundInsurance_addsToFundNotToLenders() public {
        _supply(LENDER, 1_000e6);
        _mintApprove(usdc, ALICE, 50e6);
        vm.prank(ALICE);
        engine.fundInsurance(marketId, 50e6);
        _assertState(1_000e6, 1_000e12, 0, 0, 50e6);
        vm.assertEq(usdc.balanceOf(address(engine)), 1_050e6);
        // The fund is not lender liquidity: the lender can take out only what was supplied.
        vm.prank(LENDER);
        vm.expectRevert(_err(IIsomarginEngine.InsufficientShares.selector, marketId, 1_001e12, 1_000e12));
        engine.withdraw(marketId, 1_001e6, LENDER);
    }

    function test_fundInsurance_reverts() public {
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.fundInsurance(marketId, 0);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 2));
        engine.fundInsurance(2, 1);
    }

    function test_accrueInterest_aboveKinkExact() public {
        _supply(LENDER, 100_000e6);
        _open(BORROWER, 100e18, 90_000e6);
        uint256 t = block.timestamp + 1 days;
        vm.warp(t);
        // u = 90%: rate = base + slope1 + slope2 x 0.1 / 0.2 = 49,150,177,573/s;
        // interest = 90,000e6 x rate x 86,400 / 1e18 = 382,191,780; reserve 10% = 38,219,178.
        MarketState memory e = lens.expectedMarketState(marketId);
        engine.accrueInterest(marketId);
        _assertState(100_000e6 + 382_191_780 - 38_219_178, 100_000e12, 90_000e6 + 382_191_780, 90_000e12, 38_219_178);
        MarketState memory s = _state();
        vm.assertEq(s.lastAccrual, t);
        vm.assertEq(e.totalBorrowAssets, s.totalBorrowAssets);
        vm.assertEq(e.totalSupplyAssets, s.totalSupplyAssets);
        vm.assertEq(e.insuranceFund, s.insuranceFund);
        vm.assertEq(e.lastAccrual, s.lastAccrual);
    }

    function test_accrueInterest_withoutBorrowsOnlyMovesClock() public {
        _supply(LENDER, 1_000e6);
        vm.warp(block.timestamp + 30 days);
        engine.accrueInterest(marketId);
        _assertState(1_000e6, 1_000e12, 0, 0, 0);
        vm.assertEq(_state().lastAccrual, block.timestamp);
    }

    function test_accrueInterest_revertsOnUnknownMarket() public {
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.MarketNotFound.selector, 0));
        engine.accrueInterest(0);
    }
}

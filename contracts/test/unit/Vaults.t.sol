// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {UnitBase} from "./UnitBase.sol";
import {IIsomarginEngine, Vault} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Vault entry points: open, deposit, withdraw, borrow, repay, close, operators, and their revert paths.
/// The market holds 2,000,000 USDC of supply; no time passes unless a test warps, so share prices are exactly 1e6
/// shares per asset and debt equals borrowed assets.
contract VaultsTest is UnitBase {
    uint256 internal constant SUPPLY = 2_000_000e6;

    function setUp() public override {
        super.setUp();
        _supply(LENDER, SUPPLY);
    }

    function _err(bytes4 sel, uint256 a) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(sel, a);
    }

    function _unauthorized(uint256 id, address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IIsomarginEngine.Unauthorized.selector, id, who);
    }

    function _closedVault() internal returns (uint256 id) {
        id = _open(BORROWER, 1e18, 0);
        vm.prank(BORROWER);
        engine.closeVault(id, BORROWER);
    }

    /// @dev Makes the feed stale (older than the 1 hour max age) without changing its answer.
    function _staleOracle() internal {
        vm.warp(block.timestamp + 1 hours + 1);
    }

    /* OPEN */

    function test_openVault_emptyVault() public {
        vm.prank(ALICE);
        uint256 id = engine.openVault(marketId, 0, 0);
        vm.assertEq(id, 1);
        vm.assertEq(engine.vaultCount(), 1);
        Vault memory v = _vault(id);
        vm.assertEq(v.owner, ALICE);
        vm.assertEq(v.marketId, marketId);
        vm.assertFalse(v.closed);
        _assertVault(id, 0, 0);
    }

    function test_openVault_withCollateralOnly() public {
        uint256 id = _open(BORROWER, 3e18, 0);
        _assertVault(id, 3e18, 0);
        vm.assertEq(weth.balanceOf(address(engine)), 3e18);
        vm.assertEq(weth.balanceOf(BORROWER), 0);
        vm.assertEq(_state().totalBorrowAssets, 0);
    }

    function test_openVault_withCollateralAndBorrow() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _assertVault(id, 10e18, 15_000e12);
        vm.assertEq(usdc.balanceOf(BORROWER), 15_000e6);
        vm.assertEq(lens.debtOf(id), 15_000e6);
        _assertState(SUPPLY, SUPPLY * 1e6, 15_000e6, 15_000e12, 0);
    }

    function test_openVault_idsIncrease() public {
        uint256 a = _open(ALICE, 1e18, 0);
        uint256 b = _open(BOB, 1e18, 0);
        vm.assertEq(b, a + 1);
        vm.assertEq(_vault(b).owner, BOB);
    }

    function test_openVault_revertsOnUnknownMarket() public {
        vm.prank(ALICE);
        vm.expectRevert(_err(IIsomarginEngine.MarketNotFound.selector, 2));
        engine.openVault(2, 0, 0);
    }

    function test_openVault_revertsWhenPaused() public {
        _pause(true);
        vm.prank(ALICE);
        vm.expectRevert(_err(IIsomarginEngine.MarketPaused.selector, marketId));
        engine.openVault(marketId, 0, 0);
    }

    function test_openVault_borrowWithoutCollateralReverts() public {
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, 1, 100e6, 0));
        engine.openVault(marketId, 0, 100e6);
    }

    function test_openVault_borrowBelowMinDebtReverts() public {
        weth.mint(ALICE, 1e18);
        vm.startPrank(ALICE);
        weth.approve(address(engine), 1e18);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, 1, 100e6 - 1, 100e6));
        engine.openVault(marketId, 1e18, 100e6 - 1);
        vm.stopPrank();
    }

    /* DEPOSIT */

    function test_depositCollateral_byAnyone() public {
        uint256 id = _open(BORROWER, 1e18, 0);
        _deposit(STRANGER, id, 2e18);
        _assertVault(id, 3e18, 0);
        vm.assertEq(weth.balanceOf(STRANGER), 0);
        vm.assertEq(weth.balanceOf(address(engine)), 3e18);
    }

    function test_depositCollateral_worksWhilePausedAndWithStalePrice() public {
        uint256 id = _open(BORROWER, 10e18, 10_000e6);
        _pause(true);
        _staleOracle();
        _deposit(BORROWER, id, 1e18);
        vm.assertEq(_vault(id).collateral, 11e18);
    }

    function test_depositCollateral_reverts() public {
        uint256 id = _open(BORROWER, 1e18, 0);
        vm.startPrank(BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.depositCollateral(id, 0);
        vm.expectRevert(_err(IIsomarginEngine.VaultNotFound.selector, 42));
        engine.depositCollateral(42, 1);
        vm.stopPrank();
        uint256 closed = _closedVault();
        vm.prank(BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultIsClosed.selector, closed));
        engine.depositCollateral(closed, 1);
    }

    /* WITHDRAW COLLATERAL */

    function test_withdrawCollateral_withoutDebtNeedsNoPrice() public {
        uint256 id = _open(BORROWER, 5e18, 0);
        _staleOracle();
        vm.prank(BORROWER);
        engine.withdrawCollateral(id, 5e18, CAROL);
        vm.assertEq(weth.balanceOf(CAROL), 5e18);
        _assertVault(id, 0, 0);
    }

    function test_withdrawCollateral_withDebtExactlyAtInitialMargin() public {
        // Debt 12,000: IM 20% needs V >= 15,000, i.e. 7.5 WETH, so 2.5 WETH is the most that can leave.
        uint256 id = _open(BORROWER, 10e18, 12_000e6);
        vm.startPrank(BORROWER);
        // One wei more: V = floor((7.5e18 - 1) x 2e-9) = 14,999.999999, maxDebt = V - ceil(20% V) = 11,999.999999.
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, 12_000e6, 11_999_999_999)
        );
        engine.withdrawCollateral(id, 2.5e18 + 1, BORROWER);
        engine.withdrawCollateral(id, 2.5e18, BORROWER);
        vm.stopPrank();
        _assertVault(id, 7.5e18, 12_000e12);
        vm.assertEq(weth.balanceOf(BORROWER), 2.5e18);
    }

    function test_withdrawCollateral_withDebtNeedsFreshPrice() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        uint256 updatedAt = block.timestamp;
        _staleOracle();
        vm.prank(BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, 1 hours));
        engine.withdrawCollateral(id, 1, BORROWER);
    }

    function test_withdrawCollateral_reverts() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(id, STRANGER));
        engine.withdrawCollateral(id, 1, STRANGER);

        vm.startPrank(BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.withdrawCollateral(id, 0, BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.withdrawCollateral(id, 1, address(0));
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientCollateral.selector, id, 10e18 + 1, 10e18));
        engine.withdrawCollateral(id, 10e18 + 1, BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultNotFound.selector, 77));
        engine.withdrawCollateral(77, 1, BORROWER);
        vm.stopPrank();

        uint256 closed = _closedVault();
        vm.prank(BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultIsClosed.selector, closed));
        engine.withdrawCollateral(closed, 1, BORROWER);
    }

    /// @dev v2: a pause stops withdrawals against debt (new risk) but not the exit of a debt-free vault (v1 paused
    /// both), and a debt-free vault's exit needs no price either.
    function test_withdrawCollateral_pausedAllowsDebtFreeVaultButNotAgainstDebt() public {
        uint256 free = _open(BORROWER, 10e18, 0);
        uint256 indebted = _open(ALICE, 10e18, 1_000e6);
        _pause(true);
        vm.prank(ALICE);
        vm.expectRevert(_err(IIsomarginEngine.MarketPaused.selector, marketId));
        engine.withdrawCollateral(indebted, 1, ALICE);
        vm.prank(BORROWER);
        engine.withdrawCollateral(free, 4e18, BORROWER);
        _staleOracle();
        vm.prank(BORROWER);
        engine.withdrawCollateral(free, 6e18, CAROL);
        vm.assertEq(weth.balanceOf(BORROWER), 4e18);
        vm.assertEq(weth.balanceOf(CAROL), 6e18);
        _assertVault(free, 0, 0);
        _assertVault(indebted, 10e18, 1_000e12);
        // Once the debt is repaid (repay is never paused), the vault can exit too.
        _repay(ALICE, indebted, type(uint256).max);
        vm.prank(ALICE);
        engine.withdrawCollateral(indebted, 10e18, ALICE);
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
    }

    /* BORROW */

    function test_borrow_exactlyAtInitialMarginTier0() public {
        uint256 id = _open(BORROWER, 10e18, 0); // V = 20,000: maxDebt = 20,000 - 20% = 16,000
        vm.startPrank(BORROWER);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, 16_000e6 + 1, 16_000e6)
        );
        engine.borrow(id, 16_000e6 + 1, BORROWER);
        uint256 shares = engine.borrow(id, 16_000e6, BORROWER);
        vm.stopPrank();
        vm.assertEq(shares, 16_000e12);
        vm.assertEq(lens.debtOf(id), 16_000e6);
        vm.assertEq(usdc.balanceOf(BORROWER), 16_000e6);
    }

    function test_borrow_exactlyAtInitialMarginAcrossTiers() public {
        // 1,000 WETH = $2M: requirement = 20% x 1M + 25% x 1M = 450,000, so maxDebt = 1,550,000.
        uint256 id = _open(BORROWER, 1_000e18, 0);
        vm.startPrank(BORROWER);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientMargin.selector, id, 1_550_000e6 + 1, 1_550_000e6)
        );
        engine.borrow(id, 1_550_000e6 + 1, BORROWER);
        engine.borrow(id, 1_550_000e6, BORROWER);
        vm.stopPrank();
        vm.assertEq(lens.debtOf(id), 1_550_000e6);
    }

    function test_borrow_toOtherReceiverAndInSteps() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        vm.prank(BORROWER);
        uint256 shares = engine.borrow(id, 500e6, CAROL);
        vm.assertEq(shares, 500e12);
        vm.assertEq(usdc.balanceOf(CAROL), 500e6);
        vm.assertEq(usdc.balanceOf(BORROWER), 1_000e6);
        _assertVault(id, 10e18, 1_500e12);
        _assertState(SUPPLY, SUPPLY * 1e6, 1_500e6, 1_500e12, 0);
    }

    function test_borrow_reverts() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(id, STRANGER));
        engine.borrow(id, 100e6, STRANGER);

        vm.startPrank(BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.borrow(id, 100e6, address(0));
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.borrow(id, 0, BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, id, 99e6, 100e6));
        engine.borrow(id, 99e6, BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultNotFound.selector, 5));
        engine.borrow(5, 100e6, BORROWER);
        vm.stopPrank();

        uint256 closed = _closedVault();
        vm.prank(BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultIsClosed.selector, closed));
        engine.borrow(closed, 100e6, BORROWER);
    }

    function test_borrow_minDebtAppliesToTotalDebtNotEachBorrow() public {
        uint256 id = _open(BORROWER, 10e18, 100e6);
        vm.prank(BORROWER);
        engine.borrow(id, 1, BORROWER); // a 1-unit top-up of a vault already above minDebt is fine
        vm.assertEq(lens.debtOf(id), 100e6 + 1);
    }

    function test_borrow_revertsWhenPaused() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        _pause(true);
        vm.prank(BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.MarketPaused.selector, marketId));
        engine.borrow(id, 100e6, BORROWER);
    }

    function test_borrow_revertsWithStalePrice() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        uint256 updatedAt = block.timestamp;
        _staleOracle();
        vm.prank(BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, 1 hours));
        engine.borrow(id, 100e6, BORROWER);
    }

    function test_borrow_revertsOnInsufficientLiquidity() public {
        uint256 a = _open(ALICE, 1_000e18, 1_500_000e6);
        uint256 b = _open(BOB, 1_000e18, 0);
        // 500,000 left: one unit more reverts, all of it succeeds.
        vm.startPrank(BOB);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientLiquidity.selector, marketId, 500_000e6 + 1, 500_000e6)
        );
        engine.borrow(b, 500_000e6 + 1, BOB);
        engine.borrow(b, 500_000e6, BOB);
        vm.stopPrank();
        vm.assertEq(_state().totalBorrowAssets, SUPPLY);
        vm.assertEq(lens.debtOf(a), 1_500_000e6);
    }

    function test_borrow_revertsOverBorrowCap() public {
        vm.prank(OWNER);
        engine.setCaps(marketId, type(uint128).max, 20_000e6);
        _open(ALICE, 10e18, 15_000e6);
        uint256 b = _open(BOB, 10e18, 0);
        vm.startPrank(BOB);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.BorrowCapExceeded.selector, marketId, 20_000e6 + 1, 20_000e6)
        );
        engine.borrow(b, 5_000e6 + 1, BOB);
        engine.borrow(b, 5_000e6, BOB); // exactly at the cap
        vm.stopPrank();
        vm.assertEq(_state().totalBorrowAssets, 20_000e6);
    }

    /* OPERATORS */

    function test_setOperator_grantsAndRevokes() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        vm.prank(BORROWER);
        engine.setOperator(CAROL, true);
        vm.assertTrue(engine.isOperator(BORROWER, CAROL));

        vm.startPrank(CAROL);
        engine.borrow(id, 1_000e6, CAROL);
        engine.withdrawCollateral(id, 1e18, CAROL);
        vm.stopPrank();
        vm.assertEq(usdc.balanceOf(CAROL), 1_000e6);
        vm.assertEq(weth.balanceOf(CAROL), 1e18);
        _assertVault(id, 9e18, 1_000e12);

        vm.prank(BORROWER);
        engine.setOperator(CAROL, false);
        vm.assertFalse(engine.isOperator(BORROWER, CAROL));
        vm.prank(CAROL);
        vm.expectRevert(_unauthorized(id, CAROL));
        engine.borrow(id, 1_000e6, CAROL);
    }

    function test_setOperator_isPerOwner() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        vm.prank(ALICE); // ALICE approving CAROL says nothing about BORROWER's vaults
        engine.setOperator(CAROL, true);
        vm.prank(CAROL);
        vm.expectRevert(_unauthorized(id, CAROL));
        engine.withdrawCollateral(id, 1, CAROL);
    }

    /* REPAY */

    function test_repay_partialWithInterestRoundsSharesDown() public {
        _setRate(FLAT_RATE, 0);
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        vm.warp(block.timestamp + 1 days);
        // Interest = 15,000e6 x 1e9 x 86,400 / 1e18 = 1,296,000.
        vm.assertEq(lens.debtOf(id), 15_001_296_000);
        (uint256 assets, uint256 shares) = _repay(BORROWER, id, 5_000e6);
        vm.assertEq(assets, 5_000e6);
        // floor(5,000e6 x (15,000e12 + 1e6) / (15,001,296,000 + 1))
        vm.assertEq(shares, 4_999_568_037_321_604);
        _assertVault(id, 10e18, 15_000e12 - 4_999_568_037_321_604);
        vm.assertEq(_state().totalBorrowAssets, 10_001_296_000);
        vm.assertEq(lens.debtOf(id), 10_001_296_000);
        vm.assertEq(usdc.balanceOf(address(engine)), SUPPLY - 15_000e6 + 5_000e6);
    }

    function test_repay_fullWithMaxPaysDebtExactly() public {
        _setRate(FLAT_RATE, 0);
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        vm.warp(block.timestamp + 1 days);
        _mintApprove(usdc, ALICE, 20_000e6);
        vm.prank(ALICE);
        (uint256 assets, uint256 shares) = engine.repay(id, type(uint256).max);
        vm.assertEq(assets, 15_001_296_000);
        vm.assertEq(shares, 15_000e12);
        vm.assertEq(usdc.balanceOf(ALICE), 20_000e6 - 15_001_296_000);
        _assertVault(id, 10e18, 0);
        vm.assertEq(lens.debtOf(id), 0);
        vm.assertEq(_state().totalBorrowAssets, 0);
        vm.assertEq(_state().totalBorrowShares, 0);
    }

    function test_repay_moreThanDebtRepaysOnlyDebt() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _mintApprove(usdc, ALICE, 5_000e6);
        vm.prank(ALICE);
        (uint256 assets,) = engine.repay(id, 5_000e6);
        vm.assertEq(assets, 1_000e6);
        vm.assertEq(usdc.balanceOf(ALICE), 4_000e6);
    }

    function test_repay_byThirdParty() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _repay(STRANGER, id, 5_000e6);
        vm.assertEq(usdc.balanceOf(STRANGER), 0);
        vm.assertEq(usdc.balanceOf(BORROWER), 15_000e6);
        vm.assertEq(lens.debtOf(id), 10_000e6);
    }

    function test_repay_revertsWhenLeavingDust() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _mintApprove(usdc, BORROWER, 15_000e6);
        vm.startPrank(BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, id, 100e6 - 1, 100e6));
        engine.repay(id, 14_900e6 + 1);
        engine.repay(id, 14_900e6); // leaves exactly minDebt
        vm.stopPrank();
        vm.assertEq(lens.debtOf(id), 100e6);
    }

    function test_repay_withoutDebtIsNoOp() public {
        uint256 id = _open(BORROWER, 1e18, 0);
        vm.prank(STRANGER); // no tokens, no approval: nothing is pulled
        (uint256 assets, uint256 shares) = engine.repay(id, 1_000e6);
        vm.assertEq(assets, 0);
        vm.assertEq(shares, 0);
    }

    function test_repay_reverts() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        vm.startPrank(BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.repay(id, 0);
        vm.expectRevert(_err(IIsomarginEngine.VaultNotFound.selector, 9));
        engine.repay(9, 1);
        vm.stopPrank();
        uint256 closed = _closedVault();
        vm.expectRevert(_err(IIsomarginEngine.VaultIsClosed.selector, closed));
        engine.repay(closed, 1);
    }

    function test_repay_worksWhilePausedAndWithStalePrice() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _pause(true);
        _staleOracle();
        _repay(BORROWER, id, type(uint256).max);
        vm.assertEq(_vault(id).debtShares, 0);
    }

    /* CLOSE */

    function test_closeVault_repaysDebtAndReturnsCollateral() public {
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        _mintApprove(usdc, BORROWER, 1_000e6); // now holds 16,000
        vm.prank(BORROWER);
        (uint256 repaid, uint256 collateral) = engine.closeVault(id, CAROL);
        vm.assertEq(repaid, 15_000e6);
        vm.assertEq(collateral, 10e18);
        vm.assertEq(usdc.balanceOf(BORROWER), 1_000e6);
        vm.assertEq(weth.balanceOf(CAROL), 10e18);
        Vault memory v = _vault(id);
        vm.assertTrue(v.closed);
        _assertVault(id, 0, 0);
        _assertState(SUPPLY, SUPPLY * 1e6, 0, 0, 0);
    }

    function test_closeVault_withoutDebt() public {
        uint256 id = _open(BORROWER, 4e18, 0);
        vm.prank(BORROWER);
        (uint256 repaid, uint256 collateral) = engine.closeVault(id, BORROWER);
        vm.assertEq(repaid, 0);
        vm.assertEq(collateral, 4e18);
        vm.assertEq(weth.balanceOf(BORROWER), 4e18);
    }

    function test_closeVault_byOperatorPaysFromOperator() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        vm.prank(BORROWER);
        engine.setOperator(CAROL, true);
        _mintApprove(usdc, CAROL, 1_000e6);
        vm.prank(CAROL);
        engine.closeVault(id, CAROL);
        vm.assertEq(usdc.balanceOf(CAROL), 0);
        vm.assertEq(usdc.balanceOf(BORROWER), 1_000e6);
        vm.assertEq(weth.balanceOf(CAROL), 10e18);
    }

    function test_closeVault_worksWhilePausedAndWithStalePrice() public {
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _pause(true);
        _staleOracle();
        uint256 debt = lens.debtOf(id); // interest accrued over the hour
        vm.assertGt(debt, 1_000e6);
        _mintApprove(usdc, BORROWER, debt - 1_000e6);
        vm.prank(BORROWER);
        (uint256 repaid,) = engine.closeVault(id, BORROWER);
        vm.assertEq(repaid, debt);
        vm.assertEq(usdc.balanceOf(BORROWER), 0);
        vm.assertTrue(_vault(id).closed);
        vm.assertEq(weth.balanceOf(BORROWER), 10e18);
    }

    function test_closeVault_reverts() public {
        uint256 id = _open(BORROWER, 10e18, 0);
        vm.prank(STRANGER);
        vm.expectRevert(_unauthorized(id, STRANGER));
        engine.closeVault(id, STRANGER);
        vm.startPrank(BORROWER);
        vm.expectRevert(IIsomarginEngine.ZeroAddress.selector);
        engine.closeVault(id, address(0));
        vm.expectRevert(_err(IIsomarginEngine.VaultNotFound.selector, 3));
        engine.closeVault(3, BORROWER);
        engine.closeVault(id, BORROWER);
        vm.expectRevert(_err(IIsomarginEngine.VaultIsClosed.selector, id));
        engine.closeVault(id, BORROWER);
        vm.stopPrank();
    }
}

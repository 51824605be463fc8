// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "../fuzz/FuzzBase.sol";
import {IIsomarginEngine, MarketState} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Dust amounts, the dust floor (minDebt), the first-depositor share-inflation attack and direct token
/// donations to the engine.
contract DustTest is FuzzBase {
    address internal constant ATTACKER = address(0xA77AC);
    uint256 internal constant MIN_DEBT = 100e6;

    function _belowMin(uint256 id, uint256 debt) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IIsomarginEngine.DebtBelowMinimum.selector, id, debt, MIN_DEBT);
    }

    /* DUST AMOUNTS */

    /// @dev 1 wei into an empty market buys the virtual ratio, 1e6 shares, which redeem for exactly 1 wei.
    function test_supplyOneWei_mintsVirtualRatioAndRedeemsIt() public {
        vm.assertEq(_supply(LENDER, 1), 1e6);
        vm.prank(LENDER);
        vm.assertEq(engine.redeem(marketId, 1e6, LENDER), 1);
        vm.assertEq(usdc.balanceOf(LENDER), 1);
        MarketState memory s = _state();
        vm.assertEq(s.totalSupplyAssets, 0);
        vm.assertEq(s.totalSupplyShares, 0);
    }

    /// @dev A share worth less than 1 wei redeems for nothing: ZeroAmount instead of burning it for 0.
    function test_redeemDustShares_revertsZeroAmount() public {
        _supply(LENDER, 1_000e6);
        vm.prank(LENDER);
        vm.expectRevert(IIsomarginEngine.ZeroAmount.selector);
        engine.redeem(marketId, 999_999, LENDER); // 999,999 / 1e6 of a wei
        vm.prank(LENDER);
        vm.assertEq(engine.withdraw(marketId, 1, LENDER), 1e6, "1 wei burns the ceil of its shares");
    }

    function test_collateralOneWei_depositAndWithdraw() public {
        uint256 id = _openEmpty(BORROWER, 0);
        weth.mint(BORROWER, 1);
        vm.startPrank(BORROWER);
        weth.approve(address(engine), 1);
        engine.depositCollateral(id, 1);
        vm.assertEq(_vault(id).collateral, 1);
        engine.withdrawCollateral(id, 1, BORROWER);
        vm.stopPrank();
        vm.assertEq(_vault(id).collateral, 0);
        vm.assertEq(weth.balanceOf(BORROWER), 1);
    }

    function testFuzz_borrowBelowMinDebt_reverts(uint256 assets) public {
        assets = _bound(assets, 1, MIN_DEBT - 1);
        _supply(LENDER, 1_000_000e6);
        uint256 id = _openEmpty(BORROWER, 10e18);
        vm.expectRevert(_belowMin(id, assets));
        _borrow(BORROWER, id, assets);
        // The same through openVault (the next vault id).
        weth.mint(BORROWER, 1e18);
        vm.startPrank(BORROWER);
        weth.approve(address(engine), 1e18);
        vm.expectRevert(_belowMin(id + 1, assets));
        engine.openVault(marketId, 1e18, assets);
        vm.stopPrank();
        // Exactly minDebt is allowed; after that, a 1-wei borrow is too.
        _borrow(BORROWER, id, MIN_DEBT);
        _borrow(BORROWER, id, 1);
        vm.assertEq(lens.debtOf(id), MIN_DEBT + 1);
    }

    /// @dev A repayment may clear the debt or leave at least minDebt, never a dust debt in between.
    function test_repayLeavingDust_reverts() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 10e18, 1_000e6);
        _fundLiquidator(BORROWER, 1_000e6);
        vm.startPrank(BORROWER);
        vm.expectRevert(_belowMin(id, MIN_DEBT - 1));
        engine.repay(id, 900e6 + 1);
        engine.repay(id, 900e6);
        vm.assertEq(lens.debtOf(id), MIN_DEBT);
        vm.expectRevert(_belowMin(id, MIN_DEBT - 1));
        engine.repay(id, 1);
        (uint256 repaid,) = engine.repay(id, type(uint256).max);
        vm.stopPrank();
        vm.assertEq(repaid, MIN_DEBT);
        vm.assertEq(_vault(id).debtShares, 0);
    }

    /// @dev Same with interest and other borrowers: the revert reports the exact dust the repayment would leave.
    function testFuzz_repayLeavingDust_revertsWithExactDebt(uint256 seed, uint256 borrowed, uint256 dt, uint256 left)
        public
    {
        _busyMarket(seed);
        MarketState memory s = _state();
        borrowed = _bound(borrowed, MIN_DEBT, (s.totalSupplyAssets - s.totalBorrowAssets) / 2);
        uint256 id = _open(BORROWER, 100_000e18, borrowed);
        vm.warp(block.timestamp + _bound(dt, 1, YEAR));
        engine.accrueInterest(marketId);

        s = _state();
        uint256 shares = _vault(id).debtShares;
        uint256 debt = _debtOf(shares, s);
        uint256 assets = debt - _bound(left, 1, MIN_DEBT - 1); // aims at a dust remainder
        uint256 burned = h.toSharesDown(assets, s.totalBorrowAssets, s.totalBorrowShares);
        uint256 rest = h.toAssetsUp(shares - burned, s.totalBorrowAssets - assets, s.totalBorrowShares - burned);
        vm.assertTrue(rest > 0 && rest < MIN_DEBT, "remainder is not dust");
        _fundLiquidator(BORROWER, assets);
        vm.prank(BORROWER);
        vm.expectRevert(_belowMin(id, rest));
        engine.repay(id, assets);
    }

    /// @dev A liquidator may not leave dust either: with the full-liquidation allowance (D - closeFactor x D <=
    /// minDebt) a partial cap that leaves 90 USDC reverts; the full repayment works.
    function test_liquidationLeavingDust_reverts() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 0.1e18, 150e6); // $200 of collateral
        _setPrice(1_600e8); // V = $160, max debt at MM $144 < $150; not past the bonus (157.5)
        _fundLiquidator(LIQUIDATOR, 1_000e6);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(_belowMin(id, 90e6));
        engine.liquidate(id, 60e6, 0, LIQUIDATOR, "");
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(id, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(repaid, 150e6);
        vm.assertEq(seized, 0.0984375e18); // 150 x 1.05 / 1600
        vm.assertEq(_vault(id).debtShares, 0);
    }

    /* FIRST-DEPOSITOR INFLATION */

    /// @dev The classic attack: 1 wei supply, then a huge donation by plain transfer. The engine's books ignore
    /// the donation, so the share price does not move and the victim keeps every wei.
    function test_inflationAttack_donationDoesNotMoveSharePrice() public {
        vm.assertEq(_supply(ATTACKER, 1), 1e6);
        usdc.mint(ATTACKER, 10_000_000e6);
        vm.prank(ATTACKER);
        usdc.transfer(address(engine), 10_000_000e6);

        uint256 victimShares = _supply(LENDER, 1_000e6);
        vm.assertEq(victimShares, 1_000e6 * 1e6, "victim got fewer shares than the untouched ratio");
        vm.prank(LENDER);
        vm.assertEq(engine.redeem(marketId, victimShares, LENDER), 1_000e6, "victim lost assets");
        vm.prank(ATTACKER);
        vm.assertEq(engine.redeem(marketId, 1e6, ATTACKER), 1, "attacker gained");
        // The donation stays in the engine, unclaimable by anyone through the books.
        vm.assertEq(usdc.balanceOf(address(engine)), 10_000_000e6);
        vm.assertEq(_state().totalSupplyAssets, 0);
    }

    /// @dev Any attacker deposit, any donation (loan token, collateral token, or into the insurance fund), any
    /// victim deposit: the victim's shares are worth their deposit within 1 wei, and the attacker gets back at
    /// most their own deposit.
    function testFuzz_inflationAttack_victimLosesAtMostOneWei(uint256 seed, uint256 donation, uint256 deposit) public {
        uint256 attackerIn = _bound(seed, 1, 1e6);
        donation = _bound(donation, 1, 1e15);
        deposit = _bound(deposit, 1, 1e15);
        _supply(ATTACKER, attackerIn);
        usdc.mint(ATTACKER, 2 * donation);
        weth.mint(ATTACKER, donation);
        vm.startPrank(ATTACKER);
        usdc.transfer(address(engine), donation);
        weth.transfer(address(engine), donation);
        usdc.approve(address(engine), donation);
        if (seed >> 128 & 1 == 1) engine.fundInsurance(marketId, donation); // the books' own donation path
        vm.stopPrank();

        uint256 shares = _supply(LENDER, deposit);
        MarketState memory s = _state();
        uint256 worth = h.toAssetsDown(shares, s.totalSupplyAssets, s.totalSupplyShares);
        vm.assertLe(worth, deposit);
        vm.assertGe(worth + 1, deposit, "victim lost more than 1 wei");
        uint256 attackerWorth =
            h.toAssetsDown(engine.supplyShares(marketId, ATTACKER), s.totalSupplyAssets, s.totalSupplyShares);
        vm.assertLe(attackerWorth, attackerIn, "attacker profited");
    }

    /* DONATIONS */

    /// @dev Tokens sent straight to the engine change no accounting, no debt, no health and no limits.
    function test_donation_changesNoAccountingOrHealth() public {
        _supply(LENDER, 1_000_000e6);
        uint256 id = _open(BORROWER, 10e18, 15_000e6);
        vm.warp(block.timestamp + 30 days);
        _setPrice(1_700e8);
        bytes32 before = _view(id);
        MarketState memory e = lens.expectedMarketState(marketId); // what withdraw sees after accruing
        uint256 liquidity = e.totalSupplyAssets - e.totalBorrowAssets;

        usdc.mint(ATTACKER, 5_000_000e6);
        weth.mint(ATTACKER, 1_000e18);
        vm.startPrank(ATTACKER);
        usdc.transfer(address(engine), 5_000_000e6);
        weth.transfer(address(engine), 1_000e18);
        vm.stopPrank();
        vm.assertTrue(_view(id) == before, "a donation changed the books or the vault");

        // Limits follow the books, not the balances.
        vm.prank(LENDER);
        vm.expectRevert(
            abi.encodeWithSelector(IIsomarginEngine.InsufficientLiquidity.selector, marketId, liquidity + 1, liquidity)
        );
        engine.withdraw(marketId, liquidity + 1, LENDER);
        vm.prank(BORROWER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.InsufficientCollateral.selector, id, 10e18 + 1, 10e18));
        engine.withdrawCollateral(id, 10e18 + 1, BORROWER);
        // Still liquidatable on its own collateral only.
        _setPrice(1_600e8);
        vm.assertTrue(lens.isLiquidatable(id));
    }

    function _view(uint256 id) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                engine.marketState(marketId),
                lens.expectedMarketState(marketId),
                engine.vault(id),
                lens.debtOf(id),
                lens.health(id),
                lens.isLiquidatable(id),
                lens.liquidationPrice(id),
                engine.supplyShares(marketId, LENDER)
            )
        );
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {UnitBase} from "../unit/UnitBase.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {MarketState, Vault} from "../../src/interfaces/IIsomarginEngine.sol";

/// @notice Calls topUpBatch with a gas limit and decodes its (possibly truncated) results as any Solidity caller.
contract BatchCaller {
    function run(MarginGuard g, uint256[] calldata ids, uint256 gasLimit)
        external
        returns (uint256[] memory a, uint256[] memory f)
    {
        (a, f) = g.topUpBatch{gas: gasLimit}(ids);
    }
}

/// @notice Third attack pass on MarginGuard, against b0fb4fd (the armed position, RiskRaisedSinceArmed, and the
/// BatchStopped truncation). `test_POC_*` PASS while the issue exists (each asserts the bad outcome; its comment
/// gives impact, severity and a fix); `test_FIXED_*` replay a fixed finding and assert the safe outcome;
/// `test_HELD_*` assert what resisted. Q1, Q2 and Q4 are fixed (the debt-shares bound, term updates never arm a
/// riskier position plus `setPolicyArmedAt`, `NoPosition`); Q3 is open. Ranked:
/// Q1 (high) progressive margin tiers: an operator scales the vault up at the armed collateral-per-share ratio,
///    which lowers health under the trigger, and drains the owner's wallet up to the daily cap every day (the P1
///    drain the commit closes, reopened with a flash loan);
/// Q2 (low-medium) setPolicy always re-arms at the vault's current state: an operator front-running the owner's
///    routine setPolicy (an expiry extension) gets a drawn-down position armed, and one wallet-funded top-up;
/// Q3 (low) a third party's small partial liquidation in the deep zone (value < debt x 1.05) lowers the
///    collateral per share: the guard is disarmed without any action of the owner, also after the price recovers;
/// Q4 (low) a policy armed on an empty vault (0, 0) makes the check vacuous until its first top-up; one armed on
///    a debt-free vault never fires once the owner borrows (informational: documented, but silent).
/// Fixture (UnitBase): USDC 6 dec, WETH 18 dec at $2,000; tiers MM/IM 10/20% below $1M, 15/25% to $10M, 25/35%
/// above; bonus 5%, close factor 50%, minDebt 100 USDC. ALICE's vault: 10 WETH / 14,000 USDC (health 1.2857).
contract GuardAttacks3Test is UnitBase {
    address internal constant KEEPER = address(0x4EE9);
    address internal constant BOT = address(0xB07);
    /// @dev Stands for any flash lender: the operator borrows WETH from it and returns it in the same transaction.
    address internal constant FLASH = address(0xF1A5);

    MarginGuard internal guard;
    uint256 internal aliceVault;

    function setUp() public override {
        super.setUp();
        guard = new MarginGuard(lens);
        vm.label(address(guard), "guard");
        _supply(LENDER, 10_000_000e6);
        aliceVault = _open(ALICE, 10e18, 14_000e6);
        vm.startPrank(ALICE);
        weth.approve(address(guard), type(uint256).max);
        usdc.approve(address(guard), type(uint256).max);
        vm.stopPrank();
    }

    /* HELPERS */

    function _policy(GuardMode mode, uint128 perTopUp, uint128 perDay) internal view returns (GuardPolicy memory) {
        return GuardPolicy({
            triggerHealth: 1.2e18,
            targetHealth: 1.4e18,
            mode: mode,
            feeBps: 100,
            expiry: uint40(block.timestamp + 30 days),
            maxPerTopUp: perTopUp,
            maxPerDay: perDay
        });
    }

    function _setPolicy(address who, uint256 id, GuardPolicy memory p) internal {
        vm.prank(who);
        guard.setPolicy(id, p);
    }

    function _tryTopUp(address who, uint256 id) internal returns (bytes4 sel) {
        vm.prank(who);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(guard.topUp, (id)));
        if (ok) return bytes4(0);
        sel = ret.length >= 4 ? bytes4(ret) : bytes4(0xffffffff);
    }

    function _warpPrice(uint256 dt, int256 answer) internal {
        vm.warp(block.timestamp + dt);
        _setPrice(answer);
    }

    /// @dev The IM headroom of a vault in the default market (tier 0 only): what its owner or operator may borrow.
    function _imHeadroom(uint256 id) internal view returns (uint256) {
        uint256 value = uint256(_vault(id).collateral) * lens.price(marketId) / 1e36;
        uint256 maxIm = value - Math.ceilDiv(value * 2_000, 10_000);
        uint256 debt = lens.debtOf(id);
        return maxIm > debt + 10 ? maxIm - debt - 10 : 0;
    }

    function _assertArmedIsVault(uint256 id) internal view {
        ArmedPosition memory a = guard.armedPosition(id);
        Vault memory v = _vault(id);
        vm.assertEq(a.collateral, v.collateral, "armed collateral = vault");
        vm.assertEq(a.debtShares, v.debtShares, "armed debt shares = vault");
    }

    /// @dev One drain cycle by the operator BOT, all in one transaction in practice: flash-borrow `flashWeth`,
    /// deposit it into the victim's vault and borrow in proportion (collateral per debt share kept at or above the
    /// armed position's), which moves the vault into the 15% and 25% maintenance tiers and its health under the
    /// trigger; run the top-up (the fee to BOT); repay the borrow and withdraw back down to the (new) armed ratio,
    /// which takes out almost all of what the guard put in; return the flash loan.
    function _drainCycle(uint256 id, uint256 flashWeth) internal returns (uint256 amount, uint256 fee) {
        ArmedPosition memory a = guard.armedPosition(id);
        Vault memory v = _vault(id);
        weth.mint(BOT, flashWeth); // the flash loan
        vm.startPrank(BOT);
        engine.depositCollateral(id, flashWeth);
        uint256 maxShares = (uint256(v.collateral) + flashWeth) * a.debtShares / a.collateral;
        MarketState memory s = lens.expectedMarketState(marketId);
        uint256 borrowAssets =
            (maxShares - v.debtShares) * (uint256(s.totalBorrowAssets) + 1) / (uint256(s.totalBorrowShares) + 1e6) - 1;
        engine.borrow(id, borrowAssets, BOT);
        vm.assertLt(lens.health(id), 1.2e18, "scaled at the armed ratio: under the trigger");
        (amount, fee) = guard.topUp(id);
        engine.repay(id, borrowAssets);
        Vault memory w = _vault(id);
        ArmedPosition memory b = guard.armedPosition(id);
        uint256 keep = Math.ceilDiv(uint256(b.collateral) * w.debtShares, b.debtShares);
        engine.withdrawCollateral(id, w.collateral - keep, BOT);
        weth.transfer(FLASH, flashWeth); // flash loan repaid
        vm.stopPrank();
    }

    /* ============================================================================================================ */
    /* Q1 (high): progressive tiers make collateral-per-share a poor proxy for health: the operator drain reopened   */
    /* ============================================================================================================ */

    /// @dev RiskRaisedSinceArmed assumes that a vault holding at least the armed collateral per debt share is at
    /// least as healthy as the armed position at the same price. Under the engine's progressive ("tax bracket")
    /// maintenance tiers that is false: scaling collateral AND debt up in proportion keeps the ratio but moves value
    /// into the 15% / 25% brackets, so health falls (ALICE's 1.2857 at $20k becomes 1.171 at $15M, still within IM).
    /// An engine operator ALICE approved (the exact attacker of the fixed P1) flash-borrows 7,490 WETH, deposits it,
    /// borrows USDC in proportion, calls topUp (collecting the 1% fee), repays, withdraws down to the new armed
    /// ratio (taking ~99.9% of the guard's deposit) and returns the loan. Every top-up re-arms at a ratio the next
    /// cycle keeps, so this repeats up to maxPerDay, every day: here 10 WETH of her wallet in two days, ~all of it
    /// to the operator, her vault unchanged, with no price move. Needs only a flash loan of collateral and enough
    /// market liquidity for the proportional borrow (the attacker can flash-supply that too).
    /// Impact: wallet drain up to maxPerDay per day by an operator (HIGH: the commit's stated purpose is defeated).
    /// Fix: refuse also when the debt shares grew since arming: `if (v.debtShares > a.debtShares || v.collateral *
    /// a.debtShares < a.collateral * v.debtShares) revert RiskRaisedSinceArmed` (maxDebt is concave with
    /// maxDebt(0) = 0, so a vault with no more shares and no less collateral per share is at least as healthy at any
    /// price), or compare healths directly: the vault's health now against the armed position's health now.
    /// FIXED: a vault is armed only while it holds no more debt shares as well (`_atLeastAsSafe`): the scaled-up
    /// position is refused before anything leaves her wallet.
    function test_FIXED_progressiveTiers_scalingAtTheArmedRatio_refusedRiskRaisedSinceArmed() public {
        _supply(LENDER, 12_000_000e6); // a deep market (or the attacker's own flash-supplied liquidity)
        weth.mint(ALICE, 20e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 1e18, 5e18));
        vm.prank(ALICE);
        engine.setOperator(BOT, true);
        vm.startPrank(BOT);
        weth.approve(address(engine), type(uint256).max);
        usdc.approve(address(engine), type(uint256).max);
        vm.stopPrank();
        uint256 wallet0 = weth.balanceOf(ALICE);

        ArmedPosition memory a = guard.armedPosition(aliceVault);
        Vault memory v = _vault(aliceVault);
        uint256 flashWeth = 7_490e18;
        weth.mint(BOT, flashWeth); // the flash loan
        vm.startPrank(BOT);
        engine.depositCollateral(aliceVault, flashWeth);
        uint256 maxShares = (uint256(v.collateral) + flashWeth) * a.debtShares / a.collateral;
        MarketState memory st = lens.expectedMarketState(marketId);
        uint256 borrowAssets = (maxShares - v.debtShares) * (uint256(st.totalBorrowAssets) + 1)
            / (uint256(st.totalBorrowShares) + 1e6) - 1;
        engine.borrow(aliceVault, borrowAssets, BOT);
        vm.stopPrank();
        Vault memory w = _vault(aliceVault);
        vm.assertGe(uint256(w.collateral) * a.debtShares, uint256(a.collateral) * w.debtShares, "the armed ratio kept");
        vm.assertLt(lens.health(aliceVault), 1.2e18, "scaled at the armed ratio: under the trigger");
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector, "more shares: refused");
        vm.assertEq(weth.balanceOf(ALICE), wallet0, "nothing left her wallet");
    }

    /* ============================================================================================================ */
    /* Q2 (low-medium): any setPolicy re-arms at the current state: an operator front-runs the owner's update        */
    /* ============================================================================================================ */

    /// @dev The owner re-arms "by setting the policy again", but every setPolicy re-arms, including one that only
    /// extends the expiry or changes a cap. An operator watching the mempool front-runs ALICE's routine expiry
    /// extension with a borrow to her IM (to itself: health 1.125 < 1.2); her setPolicy then arms the drawn-down
    /// position and the operator back-runs with topUp: 3,000 USDC (+30 fee to the operator) leave her wallet to
    /// refill the position it drew down. One cycle per setPolicy the owner sends (and the first setPolicy too).
    /// Severity low-medium (needs an owner transaction per cycle; the operator keeps what it borrowed).
    /// Fix: keep the armed record across a policy update unless the owner states the position to arm, e.g.
    /// `setPolicy(vaultId, policy, ArmedPosition expected)` reverting when the vault differs from `expected` (the
    /// position the owner saw), or a separate `rearm(vaultId, expected)`.
    /// FIXED: a later `setPolicy` moves the armed record only to a position at least as safe, and
    /// `setPolicyArmedAt` arms exactly the position the owner saw (reverting `PositionMoved` after a front-run).
    function test_FIXED_operatorFrontRunsOwnersPolicyUpdate_drawnDownPositionNotArmed() public {
        usdc.mint(ALICE, 50_000e6);
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 3_000e6, 10_000e6);
        p.expiry = uint40(block.timestamp + 1 days);
        _setPolicy(ALICE, aliceVault, p);
        vm.prank(ALICE);
        engine.setOperator(BOT, true);
        uint256 wallet0 = usdc.balanceOf(ALICE);
        Vault memory seen = _vault(aliceVault); // what her wallet shows her when she signs

        uint256 room = _imHeadroom(aliceVault);
        vm.prank(BOT);
        engine.borrow(aliceVault, room, BOT); // the front-run

        p.expiry = uint40(block.timestamp + 60 days); // her transaction: only the expiry changes
        _setPolicy(ALICE, aliceVault, p);
        vm.assertEq(guard.armedPosition(aliceVault).debtShares, seen.debtShares, "the record kept");
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector, "still disarmed");

        // the checked form: arms exactly what she saw, or nothing
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarginGuard.PositionMoved.selector, aliceVault, _vault(aliceVault).collateral, _vault(aliceVault).debtShares
            )
        );
        guard.setPolicyArmedAt(aliceVault, p, ArmedPosition({collateral: seen.collateral, debtShares: seen.debtShares}));
        vm.assertEq(usdc.balanceOf(ALICE), wallet0, "nothing left her wallet");
    }

    /* ============================================================================================================ */
    /* Q3 (low): a third party disarms the guard with a small partial liquidation in the deep zone                   */
    /* ============================================================================================================ */

    /// @dev The README says the guard stands down after the owner (or operator) borrows or withdraws. A liquidation
    /// is neither, but in the deep zone (value < debt x 1.05) the engine still allows a partial one capped by the
    /// liquidator's maxRepay, and it seizes 1.05 units of value per unit repaid, MORE collateral per debt share than
    /// the vault holds: the ratio falls under the armed one. At $1,450 (health 0.932) ALICE's 5-WETH cap saves the
    /// vault (to 1.39). Anyone liquidating 200 USDC of it first disarms the guard: the top-up reverts
    /// RiskRaisedSinceArmed, so a keeper transaction landing before the full liquidation no longer saves her, and
    /// after the price recovers to $1,700 (health 1.09, under the trigger) the guard still refuses until she
    /// notices and re-arms. Severity low (a liquidator able to go first could liquidate in full anyway; the harm is
    /// the lost race and the persistent, owner-invisible disarm).
    /// Fix: in `_requireArmedRisk`, accept a position reached by a liquidation (both collateral and debt shares fell
    /// and collateral per share fell by no more than the bonus allows: `v.c x a.s x (BPS + bonus) >= a.c x v.s x
    /// BPS` with `v.s < a.s`) - sound only together with Q1's `v.debtShares <= a.debtShares` - or at least have
    /// the keeper alert the owner on `Liquidated` of a guarded vault.
    function test_POC_thirdPartyPartialLiquidation_disarmsGuard() public {
        weth.mint(ALICE, 10e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 5e18, 5e18));
        _warpPrice(1, 1_450e8);
        vm.assertTrue(lens.isLiquidatable(aliceVault));

        uint256 snap = vm.snapshotState();
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), bytes4(0), "untouched, the guard saves her");
        vm.assertFalse(lens.isLiquidatable(aliceVault));
        vm.revertToState(snap);

        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        engine.liquidate(aliceVault, 200e6, 0, LIQUIDATOR, "");
        Vault memory v = _vault(aliceVault);
        ArmedPosition memory a = guard.armedPosition(aliceVault);
        vm.assertLt(uint256(v.collateral) * a.debtShares, uint256(a.collateral) * v.debtShares, "ratio fell");
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector, "disarmed");

        // the price recovers, the vault is still under its trigger: the guard stays down
        uint256 snap2 = vm.snapshotState();
        _warpPrice(1, 1_700e8);
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector, "still disarmed");
        vm.revertToState(snap2);

        vm.prank(LIQUIDATOR);
        (, uint256 seized) = engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(_vault(aliceVault).collateral, 0, "the rest is seized");
        vm.assertGt(seized, 9e18);
        vm.assertEq(weth.balanceOf(ALICE), 10e18, "her 10 WETH authorized to save it never moved");
    }

    /* ============================================================================================================ */
    /* Q4 (low / informational): degenerate armed positions                                                          */
    /* ============================================================================================================ */

    /// @dev (a) armed (0, 0): a policy set on an empty vault (openVault(m, 0, 0), then fund it: a natural UI order)
    /// makes `c x 0 < 0 x s` false for any state, so the first top-up is unchecked: the operator borrows to IM
    /// and has her wallet repay it (once: the top-up then re-arms). (b) armed (c, 0): a policy set before the first
    /// borrow never fires afterwards, even on a pure price drop (documented "borrow afterwards and it stands
    /// down", but the owner is unguarded from day one without being told). Severity low.
    /// Fix: refuse `setPolicy` on a vault without collateral or debt (InvalidPolicy), or treat `a.collateral == 0`
    /// as disarmed; surface (b) in the UI / PolicySet event.
    /// FIXED: `setPolicy` refuses a vault without collateral or without debt (`NoPosition`): there is no position
    /// to arm, and the owner is told at once rather than left unguarded.
    function test_FIXED_degenerateArmedPositions_refusedNoPosition() public {
        weth.mint(CAROL, 10e18);
        vm.startPrank(CAROL);
        uint256 v = engine.openVault(marketId, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.NoPosition.selector, v));
        guard.setPolicy(v, _policy(GuardMode.RepayDebt, 3_000e6, 10_000e6));
        weth.approve(address(engine), type(uint256).max);
        engine.depositCollateral(v, 10e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.NoPosition.selector, v)); // collateral, no debt
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 5e18, 5e18));
        engine.borrow(v, 14_000e6, CAROL);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 5e18, 5e18)); // a position: armed
        vm.stopPrank();
        vm.assertEq(guard.armedPosition(v).collateral, 10e18);
    }

    /* ============================================================================================================ */
    /* HELD                                                                                                         */
    /* ============================================================================================================ */

    /// @dev The re-arm (pre-state + amount, or pre-state shares - shares repaid) equals the engine's post-state in
    /// both modes, after weeks of interest (a non-round share price), with a repay the minDebt rule makes total,
    /// and after a mode switch; third-party deposits and repays and interest never disarm, and the guard still
    /// defends a price move afterwards.
    function test_HELD_rearmMatchesEngine_bothModes_interest_thirdParties() public {
        weth.mint(ALICE, 50e18);
        usdc.mint(ALICE, 50_000e6);
        _open(CAROL, 1_000e18, 1_000_000e6); // other borrowers: utilization, interest
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 2e18, 10e18));
        _deposit(STRANGER, aliceVault, 0.01e18);
        _repay(STRANGER, aliceVault, 10e6);
        _warpPrice(25 days, 1_850e8); // interest accrues, the price falls
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        _topUp(aliceVault);
        _assertArmedIsVault(aliceVault);

        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 3_000e6, 10_000e6)); // mode switch re-arms
        _assertArmedIsVault(aliceVault);
        _warpPrice(20 days, 1_500e8);
        _topUp(aliceVault);
        _assertArmedIsVault(aliceVault);

        // a repay the wallet affords in full where the rest would fall under minDebt: repaid entirely
        uint256 small = _open(BOB, 0.2e18, 120e6);
        usdc.mint(BOB, 1_000e6);
        vm.prank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 1_000e6, 1_000e6);
        (p.triggerHealth, p.targetHealth) = (type(uint64).max - 1, type(uint64).max);
        _setPolicy(BOB, small, p);
        _topUp(small);
        vm.assertEq(_vault(small).debtShares, 0, "all repaid");
        _assertArmedIsVault(small);
    }

    function _topUp(uint256 id) internal {
        vm.prank(KEEPER);
        (uint256 amount,) = guard.topUp(id);
        vm.assertGt(amount, 0);
    }

    /// @dev A partial liquidation in the normal zone (value >= debt x 1.05) removes less collateral per share than
    /// the vault holds: the ratio rises, the policy stays armed, and the guard defends what is left.
    function test_HELD_normalZonePartialLiquidation_keepsPolicyArmed() public {
        weth.mint(ALICE, 10e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 0.1e18, 0.8e18));
        _warpPrice(1, 1_530e8); // health 0.98, value / debt 1.09: partial; the 0.1 cap cannot save it
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.StillLiquidatable.selector);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertFalse(lens.isLiquidatable(aliceVault));
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        _topUp(aliceVault);
        _assertArmedIsVault(aliceVault);
    }

    /// @dev The ratio products: both factors are uint128, so each side is below 2^256. A vault with 2.4e38 wei of
    /// collateral (70% of uint128) and ~3e35 debt shares, tops up and re-arms without a panic (the engine's
    /// toUint128 bounds the collateral first, so `v.collateral += uint128(amount)` cannot wrap or overflow).
    function test_HELD_ratioProducts_hugeVault_noOverflow() public {
        vm.assertLt(uint256(type(uint128).max) * type(uint128).max, type(uint256).max);
        _supply(LENDER, 3e29);
        uint256 c = 2.4e38;
        weth.mint(CAROL, c + 1e38);
        vm.startPrank(CAROL);
        weth.approve(address(engine), type(uint256).max);
        weth.approve(address(guard), type(uint256).max);
        uint256 v = engine.openVault(marketId, c, 2.88e29);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 1e38, 1e38));
        vm.stopPrank();
        _warpPrice(1, 1_900e8);
        vm.assertLt(lens.health(v), 1.2e18);
        _topUp(v);
        _assertArmedIsVault(v);
        vm.assertGt(uint256(guard.armedPosition(v).collateral), 2.4e38);
    }

    /// @dev A closed vault cannot be re-opened (ids are never reused) and its policy cannot top it up.
    function test_HELD_closedVault_policyInert() public {
        weth.mint(ALICE, 10e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 1e18, 5e18));
        usdc.mint(ALICE, 1_000e6);
        vm.startPrank(ALICE);
        usdc.approve(address(engine), type(uint256).max);
        engine.closeVault(aliceVault, ALICE);
        vm.stopPrank();
        _warpPrice(1, 1_000e8);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.AboveTrigger.selector);
        vm.prank(STRANGER);
        vm.expectRevert();
        engine.depositCollateral(aliceVault, 1);
    }

    /// @dev The truncated results are ABI-correct: a Solidity caller decodes them (lengths 1 and 0), the raw
    /// returndata is exactly abi.encode of the truncated arrays (no stale words of the untried entries), the entry
    /// before the stop stands, and the one BatchStopped comes from the guard with the right index and length.
    function test_HELD_batchStopped_truncationAbiCorrect() public {
        weth.mint(ALICE, 10e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 1e18, 5e18));
        uint256 b = _open(BOB, 10e18, 14_000e6);
        weth.mint(BOB, 10e18);
        vm.startPrank(BOB);
        weth.approve(address(guard), type(uint256).max);
        guard.setPolicy(b, _policy(GuardMode.DepositCollateral, 1e18, 5e18));
        vm.stopPrank();
        _warpPrice(1, 1_850e8);
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (aliceVault, b, aliceVault);
        BatchCaller caller = new BatchCaller();

        uint256 snap = vm.snapshotState();
        vm.recordLogs();
        (uint256[] memory a, uint256[] memory f) = caller.run(guard, ids, 1_000_000);
        VmLog[] memory logs = vm.getRecordedLogs();
        vm.assertEq(a.length, 1, "stopped before entry 1");
        vm.assertEq(f.length, 1);
        vm.assertGt(a[0], 0, "entry 0 ran and stands");
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), a[0] + f[0]);
        vm.assertEq(guard.usedLast24h(b, GuardMode.DepositCollateral), 0, "entry 1 untried");
        uint256 stops;
        bytes32 topic = keccak256("BatchStopped(uint256,uint256,uint256)");
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length > 0 && logs[i].topics[0] == topic) {
                ++stops;
                vm.assertEq(logs[i].emitter, address(guard));
                (uint256 index, uint256 length,) = abi.decode(logs[i].data, (uint256, uint256, uint256));
                vm.assertEq(index, 1);
                vm.assertEq(length, 3);
            }
        }
        vm.assertEq(stops, 1);

        vm.revertToState(snap);
        vm.prank(KEEPER);
        (bool ok, bytes memory raw) = address(guard).call{gas: 1_000_000}(abi.encodeCall(guard.topUpBatch, (ids)));
        vm.assertTrue(ok);
        (uint256[] memory ra, uint256[] memory rf) = abi.decode(raw, (uint256[], uint256[]));
        vm.assertEq(raw.length, 6 * 32, "offsets, and two 1-element arrays");
        vm.assertEq(keccak256(raw), keccak256(abi.encode(ra, rf)), "canonical encoding");

        vm.revertToState(snap);
        (a, f) = caller.run(guard, ids, 700_000);
        vm.assertEq(a.length + f.length, 0, "stopped before entry 0: empty results");
    }
}

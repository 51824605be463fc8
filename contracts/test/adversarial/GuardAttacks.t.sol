// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {UnitBase} from "../unit/UnitBase.sol";
import {ReentrantToken, ReentrantLiquidator} from "./Attackers.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, GuardMode, GuardPolicy, StoredPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {IIsomarginEngine, RiskUpdate, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @dev Cheatcodes this file needs beyond test/utils/Vm.sol.
interface VmExtra {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

VmExtra constant vmx = VmExtra(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @notice An executor that tops a vault up and liquidates it in the same transaction.
contract TopUpThenLiquidate {
    function run(MarginGuard guard, IsomarginEngine engine, MockERC20 loan, uint256 vaultId)
        external
        returns (uint256 amount, uint256 fee, uint256 repaid, uint256 seized)
    {
        (amount, fee) = guard.topUp(vaultId);
        loan.approve(address(engine), type(uint256).max);
        (repaid, seized) = engine.liquidate(vaultId, type(uint256).max, 0, address(this), "");
    }
}

/// @notice A vault owner whose token hook (an ERC-777-style `tokensToSend`) burns nearly all the gas it is given.
contract GasBurnerOwner {
    function exec(address to, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    /// @dev Re-arms the hook (a real ERC-777 hook fires on every transfer), then spins until ~3k gas is left:
    /// the call succeeds, having used 63/64 of the gas its caller had.
    function burn() external {
        ReentrantToken(msg.sender).arm(address(this), abi.encodeCall(this.burn, ()), false);
        while (gasleft() > 3_000) {}
    }
}

/// @notice Attacks on MarginGuard. Findings 1-6 are fixed: each `test_FIXED_*` replays its attack and asserts the
/// safe outcome (F1 the rolling cap counts each mode's draws apart; F2 only the owner sets a policy; F3 a wallet
/// allowing less than 1/8 of what the caps allow is refused and uses no slot; F4 maxPerDay above 8 x maxPerTopUp
/// is refused; F5 a top-up leaving health < 1 reverts StillLiquidatable; F6 each batch entry gets TOP_UP_GAS and a
/// batch short of it stops there, BatchStopped). Tests still named `test_POC_*` are informational: they PASS while the
/// behaviour stands (F7 coarse-collateral fees, repay mode stuck at minDebt). Tests named `test_HELD_*` assert what
/// resisted the attack.
contract GuardAttacksTest is UnitBase {
    address internal constant ATTACKER = address(0xBAD);
    address internal constant KEEPER = address(0x4EE9);
    address internal constant BOT = address(0xB07);

    MarginGuard internal guard;
    uint256 internal aliceVault;

    function setUp() public override {
        super.setUp();
        guard = new MarginGuard(lens);
        vm.label(address(guard), "guard");
        _supply(LENDER, 10_000_000e6);
        // 10 WETH at $2,000 = $20,000, 14,000 USDC of debt: health = 18,000 / 14,000 = 1.2857
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

    /// @dev Runs `topUp` as `who` and returns the revert selector (0 on success).
    function _tryTopUp(address who, uint256 id) internal returns (bytes4 sel) {
        vm.prank(who);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(guard.topUp, (id)));
        if (ok) return bytes4(0);
        if (ret.length >= 4) sel = bytes4(ret);
        else sel = bytes4(0xffffffff);
    }

    function _topUp(address who, uint256 id) internal returns (uint256 amount, uint256 fee) {
        vm.prank(who);
        return guard.topUp(id);
    }

    /// @dev Moves the clock and republishes the price at the new time (the feed must stay fresh).
    function _warpPrice(uint256 dt, int256 answer) internal {
        vm.warp(block.timestamp + dt);
        _setPrice(answer);
    }

    /* ============================================================================================================ */
    /* FINDING 1 (medium, FIXED): the rolling cap sums draws of BOTH modes in their own token units                 */
    /* ============================================================================================================ */

    /// @dev Alice tops up in collateral mode (18-dec WETH, ~2.1e18 units), then switches the policy to repay mode
    /// with a 50,000 USDC (5e10 units) daily cap, e.g. because she sold her spare ETH for USDC. The ring used to
    /// count the WETH draw as 2.1e18 USDC units and refuse every repay for 24 hours (CapReached), and the vault was
    /// liquidated. Fixed: the ring records each draw's mode and a cap counts only its own mode's draws. The repay
    /// top-up runs to the target, a second one after the next drop too, and the vault is never liquidatable.
    function test_FIXED_modeSwitch_repayTopUpRunsAfterWethDraw_vaultSaved() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 5e18, 10e18));
        weth.mint(ALICE, 20e18);
        _warpPrice(1, 1_800e8); // health 1.157 < 1.2
        (uint256 amount, uint256 fee) = _topUp(KEEPER, aliceVault);
        vm.assertGt(amount, 2e18, "collateral top-up ran");
        vm.assertGe(lens.health(aliceVault), 1.4e18);

        // Alice now keeps USDC instead of WETH and switches to repay mode.
        vm.startPrank(ALICE);
        weth.transfer(address(0xdead), weth.balanceOf(ALICE));
        vm.stopPrank();
        usdc.mint(ALICE, 50_000e6);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 20_000e6, 50_000e6));

        _warpPrice(1 hours, 1_500e8); // health ~1.17 < trigger
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.RepayDebt), 0, "no USDC drawn yet");
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), amount + fee, "the WETH draw");
        uint256 usdcBefore = usdc.balanceOf(ALICE);
        (uint256 repaid, uint256 repayFee) = _topUp(KEEPER, aliceVault);
        vm.assertGt(repaid, 0, "repay refused");
        vm.assertGe(lens.health(aliceVault), 1.4e18, "target reached");
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.RepayDebt), repaid + repayFee);
        vm.assertEq(usdc.balanceOf(ALICE), usdcBefore - repaid - repayFee);

        // Two hours later the price falls further: the guard runs again and the vault cannot be liquidated.
        _warpPrice(2 hours, 1_250e8);
        if (lens.health(aliceVault) < 1.2e18) {
            (uint256 again,) = _topUp(KEEPER, aliceVault);
            vm.assertGt(again, 0, "second repay refused");
        }
        vm.assertGe(lens.health(aliceVault), 1.2e18);
        vm.assertFalse(lens.isLiquidatable(aliceVault), "liquidatable although the wallet could save it");
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, aliceVault));
        engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
    }

    /* ============================================================================================================ */
    /* FINDING 2 (medium, FIXED): an engine operator can turn the owner's guard allowance into wallet access        */
    /* ============================================================================================================ */

    /// @dev Alice approved the guard for WETH (unlimited, as wallets do) for her own policy, and approved BOT as an
    /// engine operator (to manage positions). BOT used to set its own policy on her vault (trigger ~18.4, target
    /// max, 1% fee, unlimited caps), execute it to pull her whole wallet into the vault (collecting the fee), and
    /// withdraw the collateral to itself. Fixed: setPolicy is the owner's alone. BOT's setPolicy (and
    /// setPolicyWithPermit) reverts Unauthorized, her modest policy stays, a top-up finds her vault above its
    /// trigger, and her wallet is untouched.
    function test_FIXED_operator_cannotTurnGuardAllowanceIntoWalletAccess() public {
        weth.mint(ALICE, 100e18);
        GuardPolicy memory own = _policy(GuardMode.DepositCollateral, 2e18, 4e18); // Alice's own, modest
        _setPolicy(ALICE, aliceVault, own);
        vm.prank(ALICE);
        engine.setOperator(BOT, true);

        GuardPolicy memory evil = GuardPolicy({
            triggerHealth: type(uint64).max - 1,
            targetHealth: type(uint64).max,
            mode: GuardMode.DepositCollateral,
            feeBps: 100,
            expiry: uint40(block.timestamp + 1),
            maxPerTopUp: type(uint128).max,
            maxPerDay: type(uint128).max
        });
        vm.startPrank(BOT);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, aliceVault, BOT));
        guard.setPolicy(aliceVault, evil);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, aliceVault, BOT));
        guard.setPolicyWithPermit(aliceVault, evil, 0, 0, 0, bytes32(0), bytes32(0));
        vm.stopPrank();
        vm.assertEq(keccak256(abi.encode(guard.policy(aliceVault).terms)), keccak256(abi.encode(own)), "her policy");
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.AboveTrigger.selector, "nothing to top up");

        vm.assertEq(weth.balanceOf(ALICE), 100e18, "Alice's wallet is untouched");
        vm.assertEq(weth.balanceOf(BOT), 0);
        vm.assertEq(_vault(aliceVault).collateral, 10e18);
    }

    /// @dev A policy an operator set used to stay live after the owner revoked the operator in the engine, and
    /// anyone kept pulling the owner's wallet into the vault. Fixed at the root: an operator cannot set a policy
    /// at all, approved or revoked (Unauthorized each time; no policy, so a top-up reverts NoPolicy and the wallet
    /// stays whole). An approved operator may still revoke the owner's policy (that only stops top-ups); once
    /// revoked in the engine, it cannot.
    function test_FIXED_operator_cannotSetAPolicyAtAll() public {
        weth.mint(ALICE, 100e18);
        vm.prank(ALICE);
        engine.setOperator(BOT, true);
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, 50e18, 100e18);
        p.triggerHealth = 3e18;
        p.targetHealth = 10e18;
        vm.prank(BOT);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, aliceVault, BOT));
        guard.setPolicy(aliceVault, p);
        vm.assertEq(guard.policy(aliceVault).owner, address(0), "no policy");
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.NoPolicy.selector);

        // The operator keeps the power to revoke Alice's own policy.
        _setPolicy(ALICE, aliceVault, p);
        vm.prank(BOT);
        guard.revokePolicy(aliceVault);
        vm.assertEq(guard.policy(aliceVault).owner, address(0), "revoked by the operator");

        // Revoked in the engine, BOT can neither set nor revoke.
        _setPolicy(ALICE, aliceVault, p);
        vm.prank(ALICE);
        engine.setOperator(BOT, false);
        vm.prank(BOT);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, aliceVault, BOT));
        guard.setPolicy(aliceVault, p);
        vm.prank(BOT);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, aliceVault, BOT));
        guard.revokePolicy(aliceVault);
        vm.assertEq(guard.policy(aliceVault).owner, ALICE, "Alice's policy stands");
        vm.assertEq(weth.balanceOf(ALICE), 100e18, "nothing moved from her wallet");
        vm.assertEq(weth.balanceOf(BOT), 0);
    }

    /* ============================================================================================================ */
    /* FINDING 3 (medium, FIXED): anyone burns the 8 daily slots with dust gifts; the guard is then dead for 24 hours */
    /* ============================================================================================================ */

    /// @dev Alice's vault falls under its trigger while her WETH wallet is empty (she keeps it on an exchange and
    /// sends it when alerted, or a first top-up just drained it). An attacker used to gift her 2 wei eight times,
    /// each time calling `topUp`: each moved 1 wei and took one of the MAX_TOP_UPS_PER_DAY slots, so her 50 WETH
    /// arrived to TooManyTopUps for 24 hours and the attacker liquidated her vault. Fixed: a top-up the wallet limits
    /// to less than 1/8 of what the caps allow toward the target reverts BalanceTooLow (or AllowanceTooLow) and
    /// uses no slot. The eight dust top-ups revert, her wallet keeps the dust, and when her funds arrive the guard
    /// tops the vault up and it survives the drop. To take a slot at all, a gift must move at least 1/8 of what she
    /// needs into her vault.
    function test_FIXED_dustGifts_revertWithoutUsingSlots_herTopUpRuns() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        _warpPrice(1, 1_800e8); // under the trigger; Alice's WETH wallet is empty
        vm.assertEq(weth.balanceOf(ALICE), 0);

        for (uint256 i; i < 8; ++i) {
            weth.mint(ATTACKER, 2);
            vm.prank(ATTACKER);
            weth.transfer(ALICE, 2);
            vm.prank(ATTACKER);
            vm.expectRevert(abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, aliceVault, 2 * (i + 1)));
            guard.topUp(aliceVault);
        }
        vm.assertEq(weth.balanceOf(ALICE), 16, "the dust stays in her wallet");
        vm.assertEq(_vault(aliceVault).collateral, 10e18);
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 0, "no draw recorded");

        // The least a gift must move to use a slot: 1/8 of what the caps allow toward the target, rounded up.
        uint256 least = Math.ceilDiv(lens.collateralToReach(aliceVault, 1.4e18), 8);
        vm.assertGt(least, 0.25e18);
        uint256 snap = vm.snapshotState();
        weth.mint(ALICE, least + least / 100 - 16); // with the dust: exactly the least and its 1% fee
        (uint256 gifted,) = _topUp(ATTACKER, aliceVault);
        vm.assertEq(gifted, least, "a slot costs the attacker 1/8 of her need, paid into her vault");
        vm.revertToState(snap);

        weth.mint(ALICE, 50e18); // her funds arrive
        (uint256 a,) = _topUp(KEEPER, aliceVault);
        vm.assertGt(a, 2e18);
        vm.assertGe(lens.health(aliceVault), 1.4e18);
        _warpPrice(6 hours, 1_500e8);
        vm.assertFalse(lens.isLiquidatable(aliceVault), "saved despite the attack");
        _fundLiquidator(ATTACKER, 100_000e6);
        vm.prank(ATTACKER);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, aliceVault));
        engine.liquidate(aliceVault, type(uint256).max, 0, ATTACKER, "");
    }

    /* ============================================================================================================ */
    /* FINDING 4 (low, FIXED): the count limit made maxPerDay unreachable; 8 capped top-ups in one block killed it   */
    /* ============================================================================================================ */

    /// @dev maxPerTopUp 0.25 WETH, maxPerDay 5 WETH used to be accepted, though 8 capped top-ups (the count limit)
    /// draw at most 2 WETH: an executor ran them in one block and a later drop the same day liquidated the vault
    /// with 3 WETH of daily budget stranded. Fixed: setPolicy rejects maxPerDay > 8 x maxPerTopUp (InvalidPolicy).
    /// A valid 8x policy (0.25 / 2 WETH) draws its whole daily cap in 8 top-ups; and caps sized for the crash (5 WETH
    /// a day in 8 x 0.625) lift the vault above its trigger with slots to spare, and through the same drop it is
    /// topped up again and never liquidatable.
    function test_FIXED_countLimit_unreachableDailyCapRejected_validCapFullyUsable() public {
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, 0.25e18, 5e18);
        p.triggerHealth = 1.3e18;
        p.targetHealth = 1.5e18;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(aliceVault, p);
        vm.assertEq(guard.policy(aliceVault).owner, address(0));

        p.maxPerDay = 2e18; // exactly 8 x 0.25
        _setPolicy(ALICE, aliceVault, p);
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_600e8); // health 1.03
        uint256 snap = vm.snapshotState();
        for (uint256 i; i < 8; ++i) {
            (uint256 a, uint256 f) = _topUp(KEEPER, aliceVault);
            vm.assertEq(a + f, 0.25e18, "a full per-top-up cap each time");
        }
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 2e18, "the whole daily cap used");
        vm.assertEq(weth.balanceOf(ALICE), 48e18);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.TooManyTopUps.selector);

        vm.revertToState(snap);
        (p.maxPerTopUp, p.maxPerDay) = (0.625e18, 5e18);
        _setPolicy(ALICE, aliceVault, p);
        uint256 n;
        for (; n < 8 && lens.health(aliceVault) < 1.3e18; ++n) {
            _topUp(KEEPER, aliceVault);
        }
        vm.assertGe(lens.health(aliceVault), 1.3e18, "above the trigger within the day's eight top-ups");
        vm.assertLt(n, 8, "with slots to spare");
        _warpPrice(3 hours, 1_250e8);
        for (; n < 8 && lens.health(aliceVault) < 1.3e18; ++n) {
            (uint256 a,) = _topUp(KEEPER, aliceVault);
            vm.assertGt(a, 0);
        }
        vm.assertLe(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 5e18);
        vm.assertFalse(lens.isLiquidatable(aliceVault), "survives the drop that liquidated it");
    }

    /* ============================================================================================================ */
    /* FINDING 5 (low, FIXED): a top-up that cannot save the vault fed the liquidator (top-up + liquidate in one tx) */
    /* ============================================================================================================ */

    /// @dev A gap to $1,400 leaves health 0.9 and value < debt x 1.05 (full liquidation). Alice's per-top-up cap
    /// (0.4 WETH) cannot restore health 1. An executor used to top up (1% fee) and liquidate in the same
    /// transaction, seizing the 0.4 WETH just taken from her wallet with the rest. Fixed: a top-up that leaves
    /// health < 1 reverts StillLiquidatable (with the health it would have left, here that of 10.396 WETH), so the
    /// executor's transaction reverts whole, and the liquidation alone leaves her wallet whole.
    function test_FIXED_hopelessTopUp_revertsStillLiquidatable_walletKept() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 0.4e18, 1e18));
        weth.mint(ALICE, 10e18);
        _warpPrice(1, 1_400e8);
        vm.assertTrue(lens.isLiquidatable(aliceVault));
        TopUpThenLiquidate ex = new TopUpThenLiquidate();
        _fundLiquidator(address(ex), 100_000e6);

        // What the cap moves at 1%: the largest amount whose amount + fee fits 0.4 WETH, and the health it leaves.
        uint256 amount = 0.4e18 * uint256(10_000) / 10_100;
        if (amount + 1 + (amount + 1) / 100 <= 0.4e18) ++amount;
        uint256 snap = vm.snapshotState();
        _deposit(BOB, aliceVault, amount);
        uint256 healthAfter = lens.health(aliceVault);
        vm.revertToState(snap);
        vm.assertLt(healthAfter, 1e18);
        vm.assertGt(healthAfter, lens.health(aliceVault));

        bytes memory err = abi.encodeWithSelector(IMarginGuard.StillLiquidatable.selector, aliceVault, healthAfter);
        vm.expectRevert(err);
        ex.run(guard, engine, usdc, aliceVault);
        vm.prank(KEEPER);
        vm.expectRevert(err);
        guard.topUp(aliceVault);
        vm.prank(KEEPER);
        (uint256[] memory amounts,) = guard.topUpBatch(_ids(aliceVault));
        vm.assertEq(amounts[0], 0, "a batch skips it");
        vm.assertEq(weth.balanceOf(ALICE), 10e18, "her wallet keeps its tokens");
        vm.assertEq(_vault(aliceVault).collateral, 10e18);
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 0);

        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        (, uint256 seized) = engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(seized, 10e18, "only the vault's own collateral is seized");
        vm.assertEq(weth.balanceOf(ALICE), 10e18, "she keeps her wallet");
    }

    /* ============================================================================================================ */
    /* FINDING 6 (low, FIXED): one gas-burning entry makes topUpBatch skip every later vault (63/64 rule)             */
    /* ============================================================================================================ */

    /// @dev A market whose collateral has sender hooks (ReentrantToken, ERC-777 style). The griefer owns guarded
    /// vaults; its hook burns all the gas it is given. In [griefer, alice] Alice's entry used to get 1/64 of the gas
    /// and be skipped silently, even in a 30M-gas block behind two griefer entries. Fixed: each entry is given
    /// exactly TOP_UP_GAS (750,000), and a batch with less than that (plus the 1/64 a call keeps) left for an entry
    /// reverts BatchGasTooLow instead of skipping it.
    uint256 internal gv;
    uint256 internal gv2;
    uint256 internal aliceV2;
    ReentrantToken internal greth; // the hooked collateral of the griefing market

    function _gasGriefSetup() internal {
        ReentrantToken reth = new ReentrantToken("RETH", 18);
        greth = reth;
        (uint256 m2, MockAggregator feed) = _seededMarket(address(reth));

        // Alice's second vault, in m2
        reth.mint(ALICE, 30e18);
        vm.startPrank(ALICE);
        reth.approve(address(engine), type(uint256).max);
        reth.approve(address(guard), type(uint256).max);
        aliceV2 = engine.openVault(m2, 10e18, 14_000e6);
        guard.setPolicy(aliceV2, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        vm.stopPrank();

        // The griefer's vault and policy
        GasBurnerOwner g = new GasBurnerOwner();
        reth.mint(address(g), 30e18);
        g.exec(address(reth), abi.encodeCall(reth.approve, (address(engine), type(uint256).max)));
        g.exec(address(reth), abi.encodeCall(reth.approve, (address(guard), type(uint256).max)));
        bytes memory ret = g.exec(address(engine), abi.encodeCall(engine.openVault, (m2, 10e18, 14_000e6)));
        gv = abi.decode(ret, (uint256));
        g.exec(address(guard), abi.encodeCall(guard.setPolicy, (gv, _policy(GuardMode.DepositCollateral, 10e18, 20e18))));
        ret = g.exec(address(engine), abi.encodeCall(engine.openVault, (m2, 10e18, 14_000e6)));
        gv2 = abi.decode(ret, (uint256));
        g.exec(address(guard), abi.encodeCall(guard.setPolicy, (gv2, _policy(GuardMode.DepositCollateral, 10e18, 20e18))));
        reth.arm(address(g), abi.encodeCall(GasBurnerOwner.burn, ()), false);

        vm.warp(block.timestamp + 1);
        vm.prank(OWNER);
        feed.setAnswer(1_800e8); // both under the trigger
    }

    /// @dev Runs `topUpBatch(ids)` as KEEPER with `gasLimit`; returns its outcome and the gas it used.
    function _batchGas(uint256[] memory ids, uint256 gasLimit) internal returns (bool ok, bytes memory out, uint256 used) {
        vm.prank(KEEPER);
        uint256 g0 = gasleft();
        (ok, out) = address(guard).call{gas: gasLimit}(abi.encodeCall(guard.topUpBatch, (ids)));
        used = g0 - gasleft();
    }

    /// @dev The griefer's entry burns its TOP_UP_GAS and no more (its top-up fails and is skipped), and Alice's
    /// entry after it is topped up exactly as alone: at 5M gas behind one griefer entry, and at 30M behind two. The
    /// keeper pays the entries' own gas and nothing more (about 744k for a griefer entry, 310k for Alice's).
    function test_FIXED_batch_gasBurnerCappedAtTopUpGas_othersToppedUp() public {
        _gasGriefSetup();
        uint256 stipend = guard.TOP_UP_GAS();
        vm.assertEq(stipend, 750_000);
        uint256 snap = vm.snapshotState();

        // The griefer's entry alone: it uses up its stipend (the hook spins until ~3k gas is left) and no more.
        (bool ok, bytes memory out, uint256 griefGas) = _batchGas(_ids(gv), 5_000_000);
        vm.assertTrue(ok);
        (uint256[] memory amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts[0], 0, "the griefer's top-up fails");
        vm.assertGt(griefGas, stipend - 20_000, "the hook burned the stipend");
        vm.assertLt(griefGas, stipend + 10_000, "at most TOP_UP_GAS and the batch's own overhead");
        vm.revertToState(snap);

        // Alice's entry alone, with the same budget.
        uint256 aliceGas;
        (ok, out, aliceGas) = _batchGas(_ids(aliceV2), 5_000_000);
        vm.assertTrue(ok);
        (uint256[] memory alone,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertGt(alone[0], 0);
        vm.assertGe(lens.health(aliceV2), 1.4e18, "Alice reached her target");
        uint256 aliceAfter = lens.health(aliceV2);
        vm.revertToState(snap);

        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (gv, aliceV2);
        uint256 batchGas;
        (ok, out, batchGas) = _batchGas(ids, 5_000_000);
        vm.assertTrue(ok);
        (amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts[0], 0);
        vm.assertEq(amounts[1], alone[0], "Alice topped up behind the griefer, as alone");
        vm.assertEq(lens.health(aliceV2), aliceAfter);
        vm.assertLe(batchGas, griefGas + aliceGas, "the keeper paid for the two entries' own gas only");
        vm.revertToState(snap);

        // Two griefer entries first, at 30M gas: Alice is still topped up.
        uint256[] memory ids3 = new uint256[](3);
        (ids3[0], ids3[1], ids3[2]) = (gv, gv2, aliceV2);
        (ok, out, batchGas) = _batchGas(ids3, 30_000_000);
        vm.assertTrue(ok);
        (amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts[0] + amounts[1], 0);
        vm.assertEq(amounts[2], alone[0], "Alice topped up behind two griefers");
        vm.assertEq(lens.health(aliceV2), aliceAfter);
        vm.assertLe(batchGas, 2 * griefGas + aliceGas);
    }

    /// @dev A batch sent with too little gas for its next entry stops there (BatchStopped(index, length, gasleft))
    /// rather than skipping it silently: [griefer, alice] at 1.3M gas leaves Alice's entry too little once the
    /// griefer's stipend is burned (index 1): results cover the griefer's entry only, nothing moved from her wallet;
    /// at under 771,904 the first entry already cannot be given its stipend (index 0, no results).
    function test_FIXED_batch_tooLittleGas_stopsNamingTheEntry() public {
        _gasGriefSetup();
        uint256 minLeft = guard.TOP_UP_GAS() + guard.TOP_UP_GAS() / 63 + 10_000;
        uint256 aliceBalance = greth.balanceOf(ALICE);
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (gv, aliceV2);
        vm.recordLogs();
        (bool ok, bytes memory out,) = _batchGas(ids, 1_300_000);
        vm.assertTrue(ok);
        (uint256[] memory amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts.length, 1, "Alice's entry reported as tried");
        (uint256 index, uint256 left) = _stoppedAt();
        vm.assertEq(index, 1);
        vm.assertLt(left, minLeft);
        vm.assertLt(lens.health(aliceV2), 1.2e18);
        vm.assertEq(greth.balanceOf(ALICE), aliceBalance, "nothing moved from her wallet");

        vm.recordLogs();
        (ok, out,) = _batchGas(_ids(aliceV2), minLeft - 1);
        vm.assertTrue(ok);
        (amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts.length, 0);
        (index, left) = _stoppedAt();
        vm.assertEq(index, 0);
        vm.assertLt(left, minLeft);
    }

    /// @dev Index and gas left of the one BatchStopped among the recorded logs.
    function _stoppedAt() internal returns (uint256 index, uint256 left) {
        VmLog[] memory logs = vm.getRecordedLogs();
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(guard) || logs[i].topics[0] != IMarginGuard.BatchStopped.selector) continue;
            (index,, left) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            ++found;
        }
        vm.assertEq(found, 1, "one BatchStopped");
    }

    /* ============================================================================================================ */
    /* FINDING 7 (low): fees round to zero on coarse collateral: no keeper incentive for 5-figure top-ups            */
    /* ============================================================================================================ */

    /// @dev 0-decimal collateral at $900 a bar: a 21-bar ($18,900) top-up pays 21 x 100 / 10,000 = 0 bars.
    /// Informational/low: a keeper that runs only for a fee never saves such vaults. (Stays passing unless the fee
    /// model changes.)
    function test_POC_coarseCollateral_feeRoundsToZero() public {
        MockERC20 gold = new MockERC20("Gold bar", "BAR", 0);
        MockAggregator feed = new MockAggregator(OWNER, 8, "BAR / USD", 1_000e8);
        vm.prank(OWNER);
        uint256 m = engine.createMarket(defaultParams(address(usdc), address(gold), address(feed)));
        usdc.mint(LENDER, 1_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(m, 1_000_000e6, LENDER);
        vm.stopPrank();
        gold.mint(ALICE, 200);
        vm.startPrank(ALICE);
        gold.approve(address(engine), type(uint256).max);
        gold.approve(address(guard), type(uint256).max);
        uint256 v = engine.openVault(m, 100, 70_000e6);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 100, 100));
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        vm.prank(OWNER);
        feed.setAnswer(900e8);
        (uint256 amount, uint256 fee) = _topUp(KEEPER, v);
        vm.assertGe(amount, 21, "21+ bars, $18,900+");
        vm.assertEq(fee, 0, "no fee at all");
    }

    /* ============================================================================================================ */
    /* INFORMATIONAL: repay mode under minDebt: stuck although the wallet holds 90% of the debt                     */
    /* ============================================================================================================ */

    /// @dev Debt 150 USDC, minDebt 100. The guard repays 50 (down to minDebt), then refuses: a partial repay below
    /// minDebt reverts in the engine and 90 USDC cannot repay 100. Now the refusal names the wallet (BalanceTooLow:
    /// the caps would allow the full 100, the balance limits the repay to nothing), where it was NothingToMove. An
    /// engine constraint, documented in `_respectMinDebt`, but the owner expects "as much as the wallet allows".
    function test_POC_repay_stuckAtMinDebt() public {
        uint256 v = _open(BOB, 0.1e18, 150e6); // $200, maxDebt 180, health 1.2
        vm.startPrank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        usdc.transfer(address(0xdead), 10e6); // 140 USDC left in the wallet
        vm.stopPrank();
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 1_000e6, 1_000e6);
        p.triggerHealth = 1.8e18;
        p.targetHealth = 2e18;
        _setPolicy(BOB, v, p);
        _warpPrice(1, 1_700e8); // maxDebt 153, health 1.02
        (uint256 amount,) = _topUp(KEEPER, v);
        vm.assertApproxEqAbs(lens.debtOf(v), 100e6, 1, "down to minDebt only");
        vm.assertGt(amount, 49e6);
        vm.assertLt(lens.health(v), 1.6e18);
        vm.assertGt(usdc.balanceOf(BOB), 89e6);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, v, usdc.balanceOf(BOB)));
        guard.topUp(v);
    }

    /* ============================================================================================================ */
    /* HELD: caps, ring, windows                                                                                    */
    /* ============================================================================================================ */

    /// @dev 8 capped top-ups at distinct times, the 9th refused 1 s before the oldest leaves the window and allowed
    /// exactly at it; revoke and re-set do not reset the window; then ~3 days of attempts at irregular intervals
    /// with a cap switch (count-bound, then sum-bound) wrap the ring many times: over every 24 h window the draws
    /// (measured from the owner's wallet) stay within maxPerDay and number at most 8.
    function test_HELD_ringExactWindowAndWraparound() public {
        // 8 x 0.01 = 0.08: the count binds in the first day
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, 0.01e18, 0.08e18);
        (p.triggerHealth, p.targetHealth, p.expiry) = (1.5e18, 1.6e18, uint40(block.timestamp + 90 days));
        _setPolicy(ALICE, aliceVault, p);
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_600e8);
        uint256 t0 = block.timestamp;
        uint256[] memory at = new uint256[](200);
        uint256[] memory took = new uint256[](200);
        uint256 n;
        for (uint256 i; i < 8; ++i) {
            uint256 w = weth.balanceOf(ALICE);
            _topUp(KEEPER, aliceVault);
            (at[n], took[n]) = (block.timestamp, w - weth.balanceOf(ALICE));
            ++n;
            _warpPrice(1 hours, 1_600e8);
        }
        vm.warp(t0 + 1 days - 1);
        _setPrice(1_600e8);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.TooManyTopUps.selector);
        vm.prank(ALICE);
        guard.revokePolicy(aliceVault);
        _setPolicy(ALICE, aliceVault, p);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.TooManyTopUps.selector, "re-set does not reset");
        vm.warp(t0 + 1 days);
        _setPrice(1_600e8);
        (p.maxPerTopUp, p.maxPerDay) = (0.15e18, 1e18); // now the sum binds before the count
        _setPolicy(ALICE, aliceVault, p);
        for (uint256 i; i < 100; ++i) {
            uint256 w = weth.balanceOf(ALICE);
            if (_tryTopUp(KEEPER, aliceVault) == bytes4(0)) {
                (at[n], took[n]) = (block.timestamp, w - weth.balanceOf(ALICE));
                ++n;
            }
            _warpPrice(i % 3 == 0 ? 13 minutes : 47 minutes + i, 1_600e8);
        }
        vm.assertLt(lens.health(aliceVault), 1.5e18, "stayed under the trigger throughout");
        vm.assertGt(n, 20);
        for (uint256 i; i < n; ++i) {
            uint256 sum;
            uint256 count;
            for (uint256 j; j <= i; ++j) {
                if (at[j] + 1 days > at[i]) {
                    sum += took[j];
                    ++count;
                }
            }
            vm.assertLe(sum, 1e18, "24 h sum within maxPerDay");
            vm.assertLe(count, 8, "at most 8 per 24 h");
        }
    }

    /// @dev The daily cap binds exactly, including the fee: the sum of draws within 24 h stays <= maxPerDay, and
    /// the fees stay <= 1% of what went into the vault.
    function test_HELD_dailyCapIncludesFee() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 0.3e18, 1e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_600e8);
        uint256 walletBefore = weth.balanceOf(ALICE);
        for (uint256 i; i < 8; ++i) {
            if (_tryTopUp(KEEPER, aliceVault) != bytes4(0)) break;
        }
        uint256 taken = walletBefore - weth.balanceOf(ALICE);
        uint256 fees = weth.balanceOf(KEEPER);
        vm.assertLe(taken, 1e18, "never more than maxPerDay, fee included");
        vm.assertGt(taken, 1e18 - 10, "the cap is used up to rounding");
        vm.assertEq(guard.usedLast24h(aliceVault, guard.policy(aliceVault).terms.mode), taken);
        vm.assertLe(fees * 10_000, (taken - fees) * 100, "fee <= 1% of what went into the vault");
        vm.assertLt(lens.health(aliceVault), 1.2e18, "still under the trigger: the cap bound");
    }

    /* HELD: access control and batch shapes */

    function test_HELD_topUpFor_onlySelf() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_800e8);
        vm.prank(ATTACKER);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(guard.topUpFor, (aliceVault, ATTACKER)));
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), IMarginGuard.Unauthorized.selector);
    }

    function test_HELD_setPolicy_strangerAndMissingVault() public {
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, 1e18, 1e18);
        vm.prank(STRANGER);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(guard.setPolicy, (aliceVault, p)));
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), IMarginGuard.Unauthorized.selector);
        vm.prank(STRANGER);
        (ok, ret) = address(guard).call(abi.encodeCall(guard.setPolicy, (999, p)));
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), IIsomarginEngine.VaultNotFound.selector);
        vm.assertEq(_tryTopUp(KEEPER, 999), IMarginGuard.NoPolicy.selector);
    }

    function test_HELD_batchDuplicatesAndSize() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_800e8);
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (aliceVault, aliceVault, 12345);
        vm.prank(KEEPER);
        (uint256[] memory a,) = guard.topUpBatch(ids);
        vm.assertGt(a[0], 0);
        vm.assertEq(a[1], 0, "duplicate skipped: above trigger");
        vm.assertEq(a[2], 0);
        uint256[] memory big = new uint256[](51);
        vm.prank(KEEPER);
        (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(guard.topUpBatch, (big)));
        vm.assertFalse(ok);
        vm.assertEq(bytes4(ret), IMarginGuard.BatchTooLarge.selector);
    }

    function test_HELD_closedVault_expired_revoked() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_800e8);
        uint256 snap = vm.snapshotState();
        vm.prank(ALICE);
        guard.revokePolicy(aliceVault);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.NoPolicy.selector);
        vm.revertToState(snap);
        vm.warp(block.timestamp + 31 days);
        _setPrice(1_800e8);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.PolicyExpired.selector);
        vm.revertToState(snap);
        usdc.mint(ALICE, 20_000e6);
        vm.startPrank(ALICE);
        usdc.approve(address(engine), type(uint256).max);
        engine.closeVault(aliceVault, ALICE);
        vm.stopPrank();
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.AboveTrigger.selector);
    }

    /* HELD: oracle, pause, debt repaid by someone else */

    function test_HELD_staleOracle_stopsTopUp_batchSkips() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_800e8);
        vm.warp(block.timestamp + 1 hours + 1);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IIsomarginEngine.OracleStale.selector);
        vm.prank(KEEPER);
        (uint256[] memory a,) = guard.topUpBatch(_ids(aliceVault));
        vm.assertEq(a[0], 0);
    }

    function test_HELD_pausedMarket_topUpStillRuns() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 10_000e6, 10_000e6));
        _warpPrice(1, 1_800e8);
        _pause(true);
        (uint256 amount,) = _topUp(KEEPER, aliceVault);
        vm.assertGt(amount, 0);
        vm.assertGe(lens.health(aliceVault), 1.4e18);
    }

    function test_HELD_debtRepaidByOtherFirst() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 10_000e6, 10_000e6));
        _warpPrice(1, 1_800e8);
        _repay(BOB, aliceVault, type(uint256).max);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.AboveTrigger.selector);
    }

    /// @dev Debt below a raised minDebt: the guard repays in part (the engine allows it, it only lowers risk) and
    /// reaches the target; no dust is left under the floor by a repay that started above it.
    function test_HELD_repay_debtBelowRaisedMinDebt() public {
        uint256 v = _open(BOB, 0.1e18, 150e6);
        vm.prank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        this.raiseMinDebtSelf(200e6);
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 1_000e6, 1_000e6);
        (p.triggerHealth, p.targetHealth) = (1.3e18, 1.6e18);
        _setPolicy(BOB, v, p);
        _warpPrice(1, 1_700e8);
        uint256 debtBefore = lens.debtOf(v);
        (uint256 amount,) = _topUp(KEEPER, v);
        vm.assertLt(amount, debtBefore, "a partial repay");
        vm.assertGe(lens.health(v), 1.6e18);
    }

    function raiseMinDebtSelf(uint128 minDebt) external {
        require(msg.sender == address(this));
        RiskUpdate memory u = _riskOf(marketId);
        u.minDebt = minDebt;
        _changeRisk(marketId, u);
    }

    /* HELD: re-entry through token hooks and the liquidation callback */

    /// @dev ReentrantToken as collateral: a hook fires on each transfer touching the guard (owner -> guard,
    /// guard -> engine) and tries topUp / setPolicy / revokePolicy / topUpFor; every one fails, the outer
    /// top-up completes normally.
    function test_HELD_tokenHook_reentry() public {
        ReentrantToken reth = new ReentrantToken("RETH", 18);
        (uint256 m2, MockAggregator feed) = _seededMarket(address(reth));
        reth.mint(ALICE, 60e18);
        vm.startPrank(ALICE);
        reth.approve(address(engine), type(uint256).max);
        reth.approve(address(guard), type(uint256).max);
        uint256 v1 = engine.openVault(m2, 10e18, 14_000e6);
        uint256 v2 = engine.openVault(m2, 10e18, 14_000e6);
        guard.setPolicy(v1, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        guard.setPolicy(v2, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        vm.prank(OWNER);
        feed.setAnswer(1_800e8);

        bytes[4] memory payloads = [
            abi.encodeCall(guard.topUp, (v2)),
            abi.encodeCall(guard.topUpFor, (v2, ATTACKER)),
            abi.encodeCall(guard.revokePolicy, (v1)),
            abi.encodeCall(guard.setPolicy, (v1, _policy(GuardMode.DepositCollateral, 100e18, 100e18)))
        ];
        for (uint256 i; i < payloads.length; ++i) {
            uint256 snap = vm.snapshotState();
            reth.arm(address(guard), payloads[i], false);
            (uint256 amount,) = _topUp(KEEPER, v1);
            vm.assertEq(reth.fired(), 1, "hook fired");
            vm.assertFalse(reth.lastOk(), "re-entry refused");
            vm.assertGt(amount, 0);
            vm.assertLt(lens.health(v2), 1.2e18, "v2 untouched");
            vm.assertEq(guard.policy(v1).terms.maxPerTopUp, 10e18, "policy untouched");
            vm.revertToState(snap);
        }
    }

    /// @dev A flash liquidator calls topUp from inside its liquidation callback: the engine's lock refuses the
    /// deposit, the top-up reverts, and a batch inside the callback skips it.
    function test_HELD_liquidationCallback_reentry() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 50e18);
        _warpPrice(1, 1_500e8);
        vm.assertTrue(lens.isLiquidatable(aliceVault));
        ReentrantLiquidator rl = new ReentrantLiquidator(address(engine));
        usdc.mint(address(rl), 100_000e6);
        rl.exec(address(usdc), abi.encodeCall(usdc.approve, (address(engine), type(uint256).max)));
        rl.arm(address(guard), abi.encodeCall(guard.topUp, (aliceVault)), false);
        uint256 wallet = weth.balanceOf(ALICE);
        rl.exec(address(engine), abi.encodeCall(engine.liquidate, (aliceVault, type(uint256).max, 0, address(rl), hex"01")));
        vm.assertEq(rl.fired(), 1);
        vm.assertFalse(rl.lastOk(), "top-up inside the callback refused");
        vm.assertEq(weth.balanceOf(ALICE), wallet, "nothing moved from the wallet");
    }

    /* HELD: permit front-running */

    function test_HELD_permitFrontRun() public {
        uint256 pk = 0xA11CE5;
        address carol = vm.addr(pk);
        uint256 v = _open(carol, 10e18, 14_000e6);
        bytes32 typehash = keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
        bytes32 structHash = keccak256(abi.encode(typehash, carol, address(guard), 5e18, weth.nonces(carol), block.timestamp + 1 days));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", weth.DOMAIN_SEPARATOR(), structHash));
        (uint8 pv, bytes32 r, bytes32 s) = vmx.sign(pk, digest);
        // front-runner submits the permit first
        vm.prank(ATTACKER);
        weth.permit(carol, address(guard), 5e18, block.timestamp + 1 days, pv, r, s);
        vm.prank(carol);
        guard.setPolicyWithPermit(v, _policy(GuardMode.DepositCollateral, 1e18, 2e18), 5e18, block.timestamp + 1 days, pv, r, s);
        vm.assertEq(guard.policy(v).owner, carol);
        vm.assertEq(weth.allowance(carol, address(guard)), 5e18);
    }

    /// @dev A feed answer for the fuzz: half near today's price ($10 to $3,000, where top-ups happen), half
    /// log-uniform over everything the oracle guard accepts (1 to 1e44).
    function _answer(uint256 seed) internal pure returns (uint256) {
        if (seed & 1 == 0) return _bound(seed >> 1, 10e8, 3_000e8);
        uint256 e = (seed >> 1) % 45;
        uint256 a = 10 ** e * (1 + (seed >> 16) % 9);
        return a > 1e44 ? 1e44 : a;
    }

    /* HELD: precision and robustness of the lens views (fuzz) */

    /// @dev With nothing binding, a collateral top-up reaches the target (any price the oracle guard accepts,
    /// any target up to uint64 max), moves no more than the lens asked, pays <= 1%, and only the owner pays.
    function testFuzz_HELD_depositReachesTarget(uint256 coll, uint256 debtFrac, uint256 answer, uint64 trigger, uint64 target)
        public
    {
        coll = _bound(coll, 1e15, 1e27);
        // 64% of the value at $2,000 (USDC units), at most $640k: within the initial margin in every tier
        uint256 maxIm = Math.min(Math.mulDiv(coll, 2_000 * 64, 100 * 1e12), 640_000e6);
        vm.assume(maxIm > 100e6);
        uint256 debt = _bound(debtFrac, 100e6, maxIm);
        _supply(LENDER, debt);
        uint256 v = _open(CAROL, coll, debt);
        trigger = uint64(_bound(trigger, 1e18 + 1, type(uint64).max - 1));
        target = uint64(_bound(target, uint256(trigger) + 1, type(uint64).max));
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, type(uint128).max, type(uint128).max);
        (p.triggerHealth, p.targetHealth) = (trigger, target);
        _setPolicy(CAROL, v, p);
        answer = _answer(answer);
        _warpPrice(1, int256(answer));
        uint256 h = lens.health(v);
        uint256 need = lens.collateralToReach(v, target); // must not revert
        lens.repayToReach(v, target);
        if (h >= trigger || need > 1e36) return;
        weth.mint(CAROL, need * 2);
        vm.prank(CAROL);
        weth.approve(address(guard), type(uint256).max);
        uint256 bobBefore = weth.balanceOf(BOB);
        (uint256 amount, uint256 fee) = _topUp(BOB, v);
        vm.assertEq(amount, need);
        vm.assertLe(fee * 10_000, amount * 100);
        vm.assertEq(weth.balanceOf(BOB) - bobBefore, fee);
        vm.assertGe(lens.health(v), target, "target reached");
    }

    /// @dev minDebt 0: tiny debts (from 1 unit), huge collateral, any accepted price, target up to uint64 max: the
    /// lens views never revert and a collateral top-up reaches the target.
    function testFuzz_HELD_tinyDebt_lensAndTopUp(uint256 coll, uint256 debtSeed, uint256 answer, uint64 target) public {
        this.zeroMinDebtSelf();
        coll = _bound(coll, 1e10, 1e30);
        uint256 maxIm = Math.min(Math.mulDiv(coll, 2_000 * 64, 100 * 1e12), 640_000e6);
        vm.assume(maxIm >= 3);
        maxIm -= 2; // the margin's per-tier rounding up
        uint256 debt = _bound(debtSeed, 1, maxIm);
        uint256 v = _open(CAROL, coll, debt);
        target = uint64(_bound(target, 1e18 + 2, type(uint64).max));
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, type(uint128).max, type(uint128).max);
        (p.triggerHealth, p.targetHealth) = (target - 1, target);
        _setPolicy(CAROL, v, p);
        answer = _answer(answer);
        _warpPrice(1, int256(answer));
        uint256 need = lens.collateralToReach(v, target);
        lens.repayToReach(v, target);
        lens.liquidationPrice(v);
        if (lens.health(v) >= target - 1 || need > 1e36) return;
        weth.mint(CAROL, need * 2 + 1);
        vm.prank(CAROL);
        weth.approve(address(guard), type(uint256).max);
        (uint256 amount,) = _topUp(BOB, v);
        vm.assertEq(amount, need);
        vm.assertGe(lens.health(v), target, "target reached");
    }

    function zeroMinDebtSelf() external {
        require(msg.sender == address(this));
        RiskUpdate memory u = _riskOf(marketId);
        u.minDebt = 0;
        _changeRisk(marketId, u);
    }

    /// @dev Same for repay mode (minDebt 100 USDC; the wallet always affords the whole debt).
    function testFuzz_HELD_repayReachesTarget(uint256 coll, uint256 debtFrac, uint256 answer, uint64 trigger, uint64 target)
        public
    {
        coll = _bound(coll, 1e15, 1e24);
        uint256 maxIm = Math.min(Math.mulDiv(coll, 2_000 * 64, 100 * 1e12), 640_000e6);
        vm.assume(maxIm > 100e6);
        uint256 debt = _bound(debtFrac, 100e6, maxIm);
        _supply(LENDER, debt);
        uint256 v = _open(CAROL, coll, debt);
        trigger = uint64(_bound(trigger, 1e18 + 1, type(uint64).max - 1));
        target = uint64(_bound(target, uint256(trigger) + 1, type(uint64).max));
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, type(uint128).max, type(uint128).max);
        (p.triggerHealth, p.targetHealth) = (trigger, target);
        _setPolicy(CAROL, v, p);
        answer = _answer(answer);
        _warpPrice(17 days, int256(answer)); // interest accrues: debt shares worth more than at opening
        uint256 h = lens.health(v);
        if (h >= trigger) return;
        usdc.mint(CAROL, lens.debtOf(v) * 2);
        vm.prank(CAROL);
        usdc.approve(address(guard), type(uint256).max);
        (uint256 amount, uint256 fee) = _topUp(BOB, v);
        vm.assertLe(fee * 10_000, amount * 100);
        vm.assertGe(lens.health(v), target, "target reached");
    }
}

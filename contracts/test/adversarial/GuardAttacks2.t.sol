// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {UnitBase} from "../unit/UnitBase.sol";
import {ReentrantToken} from "./Attackers.sol";
import {GasBurnerOwner} from "./GuardAttacks.t.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {IIsomarginEngine, MarketParams, RiskUpdate, Tier, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice An executor whose token hook (an ERC-777 `tokensReceived`, modelled by ReentrantToken calling the armed
/// target when it receives) liquidates the vault the moment the guard pays it its fee: after the owner's tokens
/// went into the vault and before the guard reads the health it checks against StillLiquidatable.
contract FeeHookLiquidator {
    MarginGuard internal immutable guard;
    IsomarginEngine internal immutable engine;
    uint256 public vaultId;
    uint256 public repaid;
    uint256 public seized;

    constructor(MarginGuard guard_, IsomarginEngine engine_, MockERC20 loan) {
        (guard, engine) = (guard_, engine_);
        loan.approve(address(engine_), type(uint256).max);
    }

    function run(uint256 id) external returns (uint256 amount, uint256 fee) {
        vaultId = id;
        return guard.topUp(id);
    }

    /// @dev The hook: the guard is locked, the engine is not.
    function onFee() external {
        (repaid, seized) = engine.liquidate(vaultId, type(uint256).max, 0, address(this), "");
    }
}

/// @notice A vault owner whose token hook (ERC-777 `tokensToSend`) records the gas its frame was given.
contract GasProbeOwner {
    uint256 public seen;

    function exec(address to, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    function probe() external {
        seen = gasleft();
        ReentrantToken(msg.sender).arm(address(this), abi.encodeCall(this.probe, ()), false);
    }
}

/// @notice A token that reverts with `bombSize` bytes of revert data on a transfer to `bombTo` (a returndata bomb
/// the guard's SafeERC20 bubbles up through `topUpFor`).
contract BombToken is MockERC20 {
    address public bombTo;
    uint256 public bombSize;

    constructor() MockERC20("BOMB", "BOMB", 18) {}

    function setBomb(address to, uint256 size) external {
        (bombTo, bombSize) = (to, size);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 size = bombSize;
        if (to == bombTo && size > 0) {
            assembly ("memory-safe") {
                revert(0, size)
            }
        }
        super._update(from, to, value);
    }
}

/// @notice Second round of attacks on MarginGuard, against the six fixes of dc8f7ed and their interplay.
/// `test_POC_*` PASS while the issue exists (each asserts the bad outcome; its comment gives impact and fix);
/// `test_HELD_*` assert what resisted. Ranked: P1 operator drives the owner's own policy (wallet drain, medium; FIXED: RiskRaisedSinceArmed);
/// P2 executor fee hook liquidates before the StillLiquidatable read (medium with hooked tokens); P3 per-top-up cap x
/// StillLiquidatable refuses a gap the daily cap covers (medium-low); P4 the 1/8 floor refuses a wallet that would
/// lift the vault above its trigger (design, low-medium); P5 slot burning where the per-top-up cap binds costs one
/// maxPerTopUp (low-medium); P6 a batch short of gas rolled back honest entries (low; FIXED: BatchStopped); minDebt zone floor
/// (informational). Not tested, informational: the `_affordable` rounding leaves 1-2 units of a daily cap that a
/// later top-up sweeps as a dust top-up (fee 0) taking a slot and a keeper transaction; and slots used in one mode
/// shrink the other mode's reachable daily cap after a switch (F4's stranding, owner-induced). Fixture (UnitBase): USDC 6 dec, WETH 18 dec at $2,000, MM 10% / IM 20% below
/// $1M, bonus 5%, close factor 50%, minDebt 100 USDC. ALICE's vault: 10 WETH / 14,000 USDC (health 1.2857).
contract GuardAttacks2Test is UnitBase {
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

    function _topUp(address who, uint256 id) internal returns (uint256 amount, uint256 fee) {
        vm.prank(who);
        return guard.topUp(id);
    }

    function _warpPrice(uint256 dt, int256 answer) internal {
        vm.warp(block.timestamp + dt);
        _setPrice(answer);
    }

    /// @dev The largest amount whose amount + 1% fee fits `budget` (the guard's `_affordable` at 100 bps).
    function _aff(uint256 budget) internal pure returns (uint256 a) {
        a = budget * 10_000 / 10_100;
        if (a + 1 + (a + 1) / 100 <= budget) ++a;
    }

    /// @dev A market on `coll` (18 decimals unless the token says otherwise) with its own feed at $2,000 and 1M
    /// USDC of liquidity.
    function _feedPrice(MockAggregator feed, int256 answer) internal {
        vm.prank(OWNER);
        feed.setAnswer(answer);
    }

    function _batchGas(uint256[] memory ids, uint256 gasLimit) internal returns (bool ok, bytes memory out, uint256 used) {
        vm.prank(KEEPER);
        uint256 g0 = gasleft();
        (ok, out) = address(guard).call{gas: gasLimit}(abi.encodeCall(guard.topUpBatch, (ids)));
        used = g0 - gasleft();
    }

    /// @dev The IM headroom of a vault in the default market: what its owner (or operator) may still borrow.
    function _imHeadroom(uint256 id) internal view returns (uint256) {
        uint256 value = uint256(_vault(id).collateral) * lens.price(marketId) / 1e36;
        uint256 maxIm = value - Math.ceilDiv(value * 2_000, 10_000);
        uint256 debt = lens.debtOf(id);
        return maxIm > debt + 10 ? maxIm - debt - 10 : 0;
    }

    /// @dev The collateral a vault in the default market may release down to its IM (less 1e12 wei of margin).
    function _imFreeCollateral(uint256 id) internal view returns (uint256) {
        uint256 debt = lens.debtOf(id);
        // value x 0.8 >= debt  <=>  collateral >= debt x 1e36 x 10 / (8 x price)
        uint256 least = Math.ceilDiv(debt * 1e36 * 10, 8 * lens.price(marketId)) + 1e12;
        uint256 c = _vault(id).collateral;
        return c > least ? c - least : 0;
    }

    /* ============================================================================================================ */
    /* P1 (medium): an engine operator still turns the owner's OWN policy into wallet access (F2's fix incomplete)  */
    /* ============================================================================================================ */

    /// @dev F2's fix keeps operators from SETTING a policy, on the ground that "a policy spends the owner's wallet,
    /// which an engine operator was never given". But an operator could still drive the owner's own policy: borrow
    /// the vault down to its initial margin (health 1.125 < the 1.2 trigger; `borrow` takes any receiver), run
    /// `topUp` (collecting the 1% fee) so the guard repays from ALICE's USDC wallet what it just borrowed to itself,
    /// and repeat up to maxPerDay every day (3 days drained 30,000 USDC to the operator). Fixed: a policy defends the
    /// position as armed (`armedPosition`: collateral and debt shares at `setPolicy`, and after each top-up); a vault
    /// holding less collateral per debt share reverts `RiskRaisedSinceArmed` until its owner sets the policy again.
    /// Here the first borrow already disarms it: nothing leaves her wallet, while a price drop is still defended.
    function test_FIXED_operator_borrowLoop_refusedRiskRaisedSinceArmed() public {
        usdc.mint(ALICE, 50_000e6);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 3_000e6, 10_000e6));
        vm.prank(ALICE);
        engine.setOperator(BOT, true);
        uint256 walletBefore = usdc.balanceOf(ALICE);

        uint256 room = _imHeadroom(aliceVault);
        vm.prank(BOT);
        engine.borrow(aliceVault, room, BOT); // the vault to its IM: health 1.125
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector);
        vm.assertEq(usdc.balanceOf(ALICE), walletBefore, "nothing left her wallet");

        // she re-arms the position as it now stands; a price drop below the trigger is defended, and the operator's
        // withdraw-after-top-up loop stops at once: the top-up re-armed the position at its post-state
        Vault memory cur = _vault(aliceVault);
        vm.prank(ALICE);
        guard.setPolicyArmedAt(
            aliceVault,
            _policy(GuardMode.RepayDebt, 3_000e6, 10_000e6),
            ArmedPosition({collateral: cur.collateral, debtShares: cur.debtShares})
        );
        _warpPrice(1, 1_900e8);
        (uint256 amount,) = _topUp(KEEPER, aliceVault);
        vm.assertGt(amount, 0, "a price drop is defended");
        vm.assertEq(guard.armedPosition(aliceVault).debtShares, _vault(aliceVault).debtShares, "re-armed after it");
        _warpPrice(1, 1_700e8);
        vm.prank(BOT);
        engine.borrow(aliceVault, 1e6, BOT);
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector);
        vm.assertEq(walletBefore - usdc.balanceOf(ALICE), amount + amount / 100, "one top-up, its fee");
    }

    /// @dev The same in deposit mode: an operator withdrawing collateral to itself (`withdrawCollateral` takes any
    /// receiver) could loop withdraw and top-up, moving her 5 WETH daily cap to itself. Fixed: the withdraw disarms
    /// the policy, and after a genuine top-up withdrawing its collateral again disarms it too.
    function test_FIXED_operator_withdrawLoop_refusedRiskRaisedSinceArmed() public {
        weth.mint(ALICE, 20e18);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 1e18, 5e18));
        vm.prank(ALICE);
        engine.setOperator(BOT, true);
        uint256 walletBefore = weth.balanceOf(ALICE);

        uint256 free = _imFreeCollateral(aliceVault);
        vm.prank(BOT);
        engine.withdrawCollateral(aliceVault, free, BOT);
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector);
        vm.assertEq(weth.balanceOf(ALICE), walletBefore, "nothing left her wallet");

        vm.startPrank(ALICE);
        weth.approve(address(engine), free);
        engine.depositCollateral(aliceVault, free); // she restores the armed position: the policy defends it again
        vm.stopPrank();
        _warpPrice(1, 1_850e8); // health 1.19, under the 1.2 trigger
        (uint256 amount,) = _topUp(KEEPER, aliceVault);
        vm.assertGt(amount, 0);
        vm.prank(BOT);
        engine.withdrawCollateral(aliceVault, amount, BOT);
        vm.assertLt(lens.health(aliceVault), 1.2e18);
        vm.assertEq(_tryTopUp(BOT, aliceVault), IMarginGuard.RiskRaisedSinceArmed.selector);
    }

    /* ============================================================================================================ */
    /* P2 (medium with hooked tokens): the executor liquidates inside its fee transfer, past StillLiquidatable (F5)  */
    /* ============================================================================================================ */

    /// @dev F5's check reads the health AFTER `safeTransferFrom(owner, executor, fee)`, which hands control to the
    /// executor when the mode's token calls a receive hook (ERC-777 `tokensReceived`; the token class F6 already
    /// defends against). Gap to $1,400 (health 0.9, value < debt x 1.05: a full liquidation). ALICE's 0.4 WETH cap
    /// cannot restore health 1, so `topUp` must revert StillLiquidatable, and does, with a plain executor. The hooked
    /// executor instead liquidates the vault inside the fee transfer: the collateral (her 0.396 top-up included) is
    /// seized, the rest of the debt written off, so the health the guard reads next is type(uint256).max, and the
    /// top-up "succeeds". She loses the top-up and its fee exactly as before F5's fix.
    /// FIXED: the guard checks the health before paying the fee, so the hook runs only when the vault is no longer
    /// liquidatable (and `liquidate` refuses it); here the whole top-up reverts and her wallet is untouched.
    function test_FIXED_executorFeeHook_cannotLiquidateInsideTopUp() public {
        ReentrantToken reth = new ReentrantToken("RETH", 18);
        (uint256 m, MockAggregator feed) = _seededMarket(address(reth));
        reth.mint(ALICE, 20e18);
        vm.startPrank(ALICE);
        reth.approve(address(engine), type(uint256).max);
        reth.approve(address(guard), type(uint256).max);
        uint256 v = engine.openVault(m, 10e18, 14_000e6);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 0.4e18, 1e18));
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        _feedPrice(feed, 1_400e8);
        vm.assertTrue(lens.isLiquidatable(v));
        uint256 wallet = reth.balanceOf(ALICE);

        // A plain executor: refused, as F5 intends.
        vm.assertEq(_tryTopUp(KEEPER, v), IMarginGuard.StillLiquidatable.selector);

        // The hooked executor is refused too now: the health is checked before the fee transfer hands it control.
        FeeHookLiquidator ex = new FeeHookLiquidator(guard, engine, usdc);
        usdc.mint(address(ex), 100_000e6);
        reth.arm(address(ex), abi.encodeCall(FeeHookLiquidator.onFee, ()), true);
        vm.expectRevert();
        ex.run(v);
        vm.assertEq(reth.balanceOf(ALICE), wallet, "her wallet is untouched");
        vm.assertEq(_vault(v).collateral, 10e18, "nothing was added to the vault");
        vm.assertEq(guard.usedLast24h(v, GuardMode.DepositCollateral), 0, "nothing counted against her cap");
    }

    /* ============================================================================================================ */
    /* P3 (medium-low): StillLiquidatable x maxPerTopUp: a gap the daily cap covers is refused, the vault liquidated */
    /* ============================================================================================================ */

    /// @dev F4's own test sizes caps "for the crash" as 8 x 0.625 WETH = 5 WETH a day. The price gaps from $2,000 to
    /// $1,450 in one oracle update (health 0.932). One capped top-up (0.619 WETH) leaves 0.990: StillLiquidatable.
    /// Two (1.238 WETH, a quarter of her daily cap; her wallet holds 10) would leave 1.047. But each top-up is
    /// judged alone, so the first is refused, hence every later one: `topUp` reverts, a batch listing the vault
    /// three times skips all three, and a contract calling topUp twice reverts on the first. The liquidator takes
    /// the whole vault (value 14,500 < 14,700 = debt x 1.05: a full liquidation). The smaller the per-top-up cap
    /// (what F4 pushes owners toward), the smaller the gap that kills the guard.
    /// Fix: when the per-top-up cap is what leaves the vault liquidatable, let one top-up use the daily remainder for
    /// what restores health 1 (or the target), counted as that many slots:
    ///   uint256 perTopUp = p.terms.maxPerTopUp;
    /// + if (lens.health(vaultId) < C.WAD) perTopUp = p.terms.maxPerDay - used;   // a rescue may use the day
    ///   uint256 capBudget = Math.min(p.terms.maxPerDay - used, perTopUp);
    ///   ... _record(vaultId, mode, taken) writes ceil(taken / maxPerTopUp) records (refuse if fewer slots are free)
    /// Risk: a single top-up can then take up to maxPerDay, which the owner authorized for the day anyway.
    function test_POC_perTopUpCap_refusesGapDailyCapCovers_vaultLiquidated() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 0.625e18, 5e18));
        weth.mint(ALICE, 10e18);
        _warpPrice(1, 1_450e8);
        vm.assertTrue(lens.isLiquidatable(aliceVault));

        uint256 one = _aff(0.625e18);
        uint256 snap = vm.snapshotState();
        _deposit(BOB, aliceVault, one);
        uint256 afterOne = lens.health(aliceVault);
        _deposit(BOB, aliceVault, one);
        uint256 afterTwo = lens.health(aliceVault);
        vm.revertToState(snap);
        vm.assertLt(afterOne, 1e18, "one capped top-up cannot save it");
        vm.assertGe(afterTwo, 1e18, "two would");
        vm.assertLe(2 * 0.625e18, uint256(5e18) / 4, "a quarter of her daily cap");

        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.StillLiquidatable.selector, aliceVault, afterOne));
        guard.topUp(aliceVault);
        uint256[] memory ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (aliceVault, aliceVault, aliceVault);
        vm.prank(KEEPER);
        (uint256[] memory amounts,) = guard.topUpBatch(ids);
        vm.assertEq(amounts[0] + amounts[1] + amounts[2], 0, "every entry refused");

        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        (, uint256 seized) = engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
        vm.assertEq(seized, 10e18, "the whole vault, with 10 WETH and 5 WETH/day authorized to save it");
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
    }

    /* ============================================================================================================ */
    /* P4 (design, low-medium): the 1/8 rule refuses a wallet that would lift the vault back above its trigger      */
    /* ============================================================================================================ */

    /// @dev The floor is 1/8 of what the caps allow toward the TARGET, so it grows with the target, not with the
    /// danger. ALICE: trigger 1.2, target 2.0, caps 10 / 20 WETH, 1 WETH in her wallet (10% of her collateral). At
    /// $1,700 (health 1.093) the target needs 8.30 WETH, the floor is 1.04 WETH, and her 1 WETH is refused
    /// (BalanceTooLow), though the 0.990 WETH it moves would lift the vault to 1.201, ABOVE its trigger. At $1,530 the
    /// unguarded vault is liquidatable (0.984) while the topped-up one would stand at 1.081; the liquidator takes the
    /// 5% bonus on half her debt (350 USDC) from her. With the default target 1.4 the same happens to a wallet of
    /// 0.34 WETH (floor 0.351), which would have kept her at 1.017.
    /// Better rule (keeping the ring): also accept any top-up that brings the vault back to its trigger, i.e.
    ///   floor = min(ceil(wanted / 8), need to the trigger)
    /// Its risk: near the trigger the need to the trigger is tiny, so a gift of that size takes a slot; but each
    /// such slot lifts the vault over the trigger, so a further slot needs a new dip below it (8 crossings a day, each
    /// a price move the gift must cover, instead of a fraction of the target gap). Measured against health 1 instead
    /// would be worse (zero above 1: dust again, see test_HELD_dustFloor_measuredToTargetNotTrigger). The rule that
    /// removes the trade-off is structural: replace the 8-slot ring by per-mode time buckets (e.g. 9 x 3 h, the sum
    /// over the current and the 8 previous buckets, a window of 24-27 h, never shorter than 24 h), with no count
    /// limit at all: no slot to burn, so no floor, and any wallet-limited top-up runs; maxPerDay <= 8 x maxPerTopUp
    /// can go too. Its risk: the daily cap refreshes up to 3 h late, and dust top-ups run (harmless, gas and events).
    function test_POC_oneEighthRule_refusesWalletThatWouldLiftAboveTrigger() public {
        GuardPolicy memory p = _policy(GuardMode.DepositCollateral, 10e18, 20e18);
        p.targetHealth = 2e18;
        _setPolicy(ALICE, aliceVault, p);
        weth.mint(ALICE, 1e18);
        _warpPrice(1, 1_700e8);
        uint256 need = lens.collateralToReach(aliceVault, 2e18);
        vm.assertGt(Math.ceilDiv(need, 8), 1.03e18, "the floor: 1/8 of the way to the target");
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, aliceVault, 1e18));
        guard.topUp(aliceVault);

        uint256 snap = vm.snapshotState();
        _deposit(BOB, aliceVault, _aff(1e18)); // what the guard would have moved
        vm.assertGt(lens.health(aliceVault), 1.2e18, "her wallet alone lifts it above the trigger");
        _setPrice(1_530e8);
        vm.assertFalse(lens.isLiquidatable(aliceVault), "and would have saved it");
        vm.revertToState(snap);

        _setPrice(1_530e8);
        vm.assertTrue(lens.isLiquidatable(aliceVault));
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        vm.prank(LIQUIDATOR);
        (uint256 repaid, uint256 seized) = engine.liquidate(aliceVault, type(uint256).max, 0, LIQUIDATOR, "");
        uint256 bonus = seized * 1_530e8 * 1e16 / 1e36 - repaid;
        vm.assertApproxEqAbs(bonus, 350e6, 1e6, "the liquidation bonus she pays");

        // target 1.4: a 0.34 WETH wallet is under its floor too, and would have kept her above 1 at $1,530
        vm.revertToState(snap);
        p.targetHealth = 1.4e18;
        _setPolicy(ALICE, aliceVault, p);
        vm.prank(ALICE);
        weth.transfer(address(0xdead), 0.66e18);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.BalanceTooLow.selector);
        _deposit(BOB, aliceVault, _aff(0.34e18));
        _setPrice(1_530e8);
        vm.assertFalse(lens.isLiquidatable(aliceVault));
    }

    /// @dev Why the floor must not be measured to the trigger (or to health 1): with the vault a hair under its
    /// trigger, 1/8 of the way to the trigger is ~0.0001 WETH ($0.18), a dust gift again, while today's floor (to the
    /// target) is 0.21 WETH. The current rule holds against near-trigger dust.
    function test_HELD_dustFloor_measuredToTargetNotTrigger() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        // health just under 1.2: 10 x P x 0.9 / 14,000 = 1.1999 at P = 1,866.51
        _warpPrice(1, 1_866.51e8);
        uint256 h = lens.health(aliceVault);
        vm.assertLt(h, 1.2e18);
        vm.assertGt(h, 1.1998e18);
        uint256 toTrigger = lens.collateralToReach(aliceVault, 1.2e18);
        uint256 toTarget = lens.collateralToReach(aliceVault, 1.4e18);
        vm.assertLt(Math.ceilDiv(toTrigger, 8), 0.00015e18, "a trigger-based floor: dust");
        vm.assertGt(Math.ceilDiv(toTarget, 8), 0.2e18, "the target-based floor");
        weth.mint(ATTACKER, 1e18);
        vm.prank(ATTACKER);
        weth.transfer(ALICE, 0.0002e18);
        vm.assertEq(_tryTopUp(ATTACKER, aliceVault), IMarginGuard.BalanceTooLow.selector, "dust still refused");
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 0);
    }

    /* ============================================================================================================ */
    /* P5 (low-medium): slot burning survives F3 where the per-top-up cap binds: 1 x maxPerTopUp buys the day     */
    /* ============================================================================================================ */

    /// @dev When the per-top-up cap binds (need > maxPerTopUp), `wanted` is the cap, so a slot costs 1/8 of ONE
    /// top-up's cap, and all 8 slots cost about one maxPerTopUp, whatever maxPerDay is. ALICE: caps 1 / 8 WETH, her
    /// WETH on an exchange (wallet empty) when the price gaps to $1,650 (health 1.061). The attacker gifts 8 x 0.125
    /// WETH, each time calling topUp itself (getting its 1% back): the vault gets ~1 WETH, stays under its trigger,
    /// and the ring is full. Her 50 WETH arrive: TooManyTopUps for 24 h, 7 WETH of authorized protection stranded.
    /// At $1,400 she is liquidatable with 11 WETH; with her 7 WETH more (18 WETH) she would be at 1.62. Net cost to the
    /// attacker: ~0.99 WETH, paid into her vault; worth it against a large vault with a small per-top-up cap.
    /// Fix: as in P4, per-mode time buckets without a count limit (no slots), or, keeping the ring, a floor that makes
    /// slot exhaustion imply budget exhaustion: floor = min(wanted, ceil((maxPerDay - used) / slotsLeft)) (burning
    /// the 8 slots then costs the whole daily cap, all of it into her vault; its risk: a stricter floor for a
    /// partially funded owner than today's, so the P4 trade-off worsens).
    function test_POC_slotBurn_capBound_eightSlotsForOnePerTopUpCap() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 1e18, 8e18));
        _warpPrice(1, 1_650e8);
        vm.assertLt(lens.health(aliceVault), 1.07e18);
        weth.mint(ATTACKER, 5e18);
        uint256 start = weth.balanceOf(ATTACKER);
        for (uint256 i; i < 8; ++i) {
            uint256 least = Math.ceilDiv(_aff(1e18), 8);
            uint256 gift = least + least / 100 + 1;
            vm.prank(ATTACKER);
            weth.transfer(ALICE, gift);
            (uint256 a,) = _topUp(ATTACKER, aliceVault);
            vm.assertGe(a, least);
            vm.assertLt(lens.health(aliceVault), 1.2e18, "still under the trigger");
        }
        uint256 cost = start - weth.balanceOf(ATTACKER);
        vm.assertLt(cost, 1.01e18, "eight slots for about one per-top-up cap");
        vm.assertLe(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), 1.02e18, "7 WETH of the cap unused");

        weth.mint(ALICE, 50e18); // her funds arrive
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.TooManyTopUps.selector);
        _warpPrice(20 hours, 1_400e8);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.TooManyTopUps.selector);
        vm.assertTrue(lens.isLiquidatable(aliceVault), "liquidatable, 50 WETH in her wallet");
        // with the 7 WETH her caps still allowed that day she would stand far above 1
        vm.assertGt(uint256(_vault(aliceVault).collateral + 7e18) * 1_400 * 9 / 10 / 14_000 / 1e12, 1.5e6);
    }

    /* ============================================================================================================ */
    /* P6 (low): a batch short of gas reverted, rolling back honest entries before it (FIXED: BatchStopped)        */
    /* ============================================================================================================ */

    uint256 internal gv1;
    uint256 internal gv2;
    uint256 internal gv3;
    uint256 internal av;
    ReentrantToken internal greth;
    GasBurnerOwner internal burner;

    /// @dev A hooked-collateral market: ALICE's vault `av` and three of a griefer whose hook can burn its stipend.
    function _hookedSetup() internal {
        greth = new ReentrantToken("RETH", 18);
        (uint256 m, MockAggregator feed) = _seededMarket(address(greth));
        greth.mint(ALICE, 30e18);
        vm.startPrank(ALICE);
        greth.approve(address(engine), type(uint256).max);
        greth.approve(address(guard), type(uint256).max);
        av = engine.openVault(m, 10e18, 14_000e6);
        guard.setPolicy(av, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        vm.stopPrank();
        burner = new GasBurnerOwner();
        greth.mint(address(burner), 100e18);
        burner.exec(address(greth), abi.encodeCall(greth.approve, (address(engine), type(uint256).max)));
        burner.exec(address(greth), abi.encodeCall(greth.approve, (address(guard), type(uint256).max)));
        uint256[3] memory ids;
        for (uint256 i; i < 3; ++i) {
            bytes memory ret = burner.exec(address(engine), abi.encodeCall(engine.openVault, (m, 10e18, 14_000e6)));
            ids[i] = abi.decode(ret, (uint256));
            burner.exec(
                address(guard), abi.encodeCall(guard.setPolicy, (ids[i], _policy(GuardMode.DepositCollateral, 10e18, 20e18)))
            );
        }
        (gv1, gv2, gv3) = (ids[0], ids[1], ids[2]);
        vm.warp(block.timestamp + 1);
        _feedPrice(feed, 1_800e8);
    }

    /// @dev The keeper simulates [alice, g1, g2, g3] (the griefer's hook unarmed: four ordinary top-ups) and sends it
    /// with its limit: the estimate plus ENTRY_RESERVE (800,000), or x1.25, whichever is more. The griefer
    /// front-runs by arming its hook: each of its entries now burns its 750,000 stipend and the third finds less
    /// than 771,904 left. The batch used to revert (`BatchGasTooLow`), ALICE's top-up (the first entry) with it.
    /// Fixed: the batch stops there (`BatchStopped(3, 4, left)`), her top-up stands, the results cover the 3
    /// entries tried and the one not tried is not reported as skipped.
    function test_FIXED_batchShortOfGas_keepsHonestFirstEntry() public {
        _hookedSetup();
        uint256[] memory ids = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (av, gv1, gv2, gv3);
        uint256 snap = vm.snapshotState();
        (bool ok, bytes memory out, uint256 estimate) = _batchGas(ids, 30_000_000);
        vm.assertTrue(ok);
        (uint256[] memory simulated,) = abi.decode(out, (uint256[], uint256[]));
        for (uint256 i; i < 4; ++i) vm.assertGt(simulated[i], 0, "all four simulate");
        vm.revertToState(snap);
        uint256 limit = Math.max(estimate * 5 / 4, estimate + 800_000);

        uint256 aliceWallet = greth.balanceOf(ALICE);
        greth.arm(address(burner), abi.encodeCall(GasBurnerOwner.burn, ()), false); // the front-run
        vm.recordLogs();
        (ok, out,) = _batchGas(ids, limit);
        vm.assertTrue(ok, "the batch stands");
        (uint256[] memory amounts,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(amounts.length, 3, "results for the entries tried");
        vm.assertGt(amounts[0], 0, "ALICE's top-up ran");
        vm.assertGe(lens.health(av), 1.4e18);
        vm.assertLt(greth.balanceOf(ALICE), aliceWallet);
        VmLog[] memory logs = vm.getRecordedLogs();
        bool stopped;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(guard) || logs[i].topics[0] != IMarginGuard.BatchStopped.selector) continue;
            (uint256 index, uint256 length,) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            vm.assertEq(index, 3);
            vm.assertEq(length, 4);
            stopped = true;
        }
        vm.assertTrue(stopped, "BatchStopped names where it stopped");
    }

    /* ============================================================================================================ */
    /* INFORMATIONAL: repay mode, the minDebt dead zone makes the 1/8 floor refuse a wallet 5x the need              */
    /* ============================================================================================================ */

    /// @dev Debt 110 USDC, minDebt 100, need to the target 20. The caps afford the whole debt, so `wanted` jumps to
    /// 110 (a repay into (10, 110) would leave dust under minDebt) and the floor to 14; her wallet (100 USDC, 5x the
    /// need) affords only the repay down to minDebt: 10 < 14, refused BalanceTooLow. Any repay of 10 would have run.
    /// Fix: measure the floor against the minDebt-respecting amount the wallet could reach (debt - minDebt) when the
    /// full repay is out of the wallet's reach: `wanted = min(wanted, debt - minDebt)` in that branch.
    function test_POC_repayMinDebtZone_floorRefusesWalletFiveTimesTheNeed() public {
        uint256 v = _open(BOB, 0.1e18, 110e6); // $200, maxDebt 180
        vm.startPrank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        usdc.transfer(address(0xdead), 10e6); // 100 USDC left
        vm.stopPrank();
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 1_000e6, 1_000e6);
        (p.triggerHealth, p.targetHealth) = (1.45e18, 1.6e18);
        _setPolicy(BOB, v, p);
        _warpPrice(1, 1_700e8); // maxDebt 153, health 1.39
        uint256 need = lens.repayToReach(v, 1.6e18);
        vm.assertLt(need, 20e6);
        vm.assertGe(usdc.balanceOf(BOB), 5 * need);
        vm.assertEq(_tryTopUp(KEEPER, v), IMarginGuard.BalanceTooLow.selector);
        uint256 snap = vm.snapshotState();
        _repay(CAROL, v, lens.debtOf(v) - 100e6); // what the wallet could have done
        vm.assertGt(lens.health(v), 1.45e18);
        vm.revertToState(snap);
    }

    /* ============================================================================================================ */
    /* HELD                                                                                                         */
    /* ============================================================================================================ */

    /// @dev Mode flip-flop, revoke and re-set: each mode's cap counts its own draws over the whole window (switching
    /// away and back does not forget them), the 8-slot count is shared, and a re-set never resets anything.
    function test_HELD_modeFlipFlop_revokeReset_capsPerModeCountShared() public {
        weth.mint(ALICE, 50e18);
        usdc.mint(ALICE, 100_000e6);
        GuardPolicy memory c = _policy(GuardMode.DepositCollateral, 0.5e18, 1e18);
        GuardPolicy memory r = _policy(GuardMode.RepayDebt, 1_000e6, 2_000e6);
        (c.triggerHealth, c.targetHealth, r.triggerHealth, r.targetHealth) = (3e18, 4e18, 3e18, 4e18);
        _warpPrice(1, 1_900e8); // health 1.22: every capped top-up keeps it above 1
        uint256 w0 = weth.balanceOf(ALICE);
        uint256 u0 = usdc.balanceOf(ALICE);
        uint256 n;
        for (uint256 i; i < 12; ++i) {
            _setPolicy(ALICE, aliceVault, i % 2 == 0 ? c : r);
            if (i % 3 == 2) {
                vm.prank(ALICE);
                guard.revokePolicy(aliceVault);
                _setPolicy(ALICE, aliceVault, i % 2 == 0 ? c : r);
            }
            if (_tryTopUp(KEEPER, aliceVault) == bytes4(0)) ++n;
            _warpPrice(10 minutes, 1_900e8);
        }
        vm.assertLe(w0 - weth.balanceOf(ALICE), 1e18, "collateral cap held across switches");
        vm.assertLe(u0 - usdc.balanceOf(ALICE), 2_000e6, "repay cap held across switches");
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.DepositCollateral), w0 - weth.balanceOf(ALICE));
        vm.assertEq(guard.usedLast24h(aliceVault, GuardMode.RepayDebt), u0 - usdc.balanceOf(ALICE));
        vm.assertLe(n, 8);
        // both caps used up: further flips move nothing
        _setPolicy(ALICE, aliceVault, c);
        vm.assertTrue(_tryTopUp(KEEPER, aliceVault) != bytes4(0));
        _setPolicy(ALICE, aliceVault, r);
        vm.assertTrue(_tryTopUp(KEEPER, aliceVault) != bytes4(0));
        vm.assertGe(w0 - weth.balanceOf(ALICE), 1e18 - 2, "the collateral cap was reached");
    }

    /// @dev The engine has no vault transfer (no ERC-721 surface, no owner setter): a policy cannot follow a vault
    /// to a new owner and back; `OwnerChanged` is unreachable today (defence in depth).
    function test_HELD_noVaultTransfer_ownerFixed() public {
        bytes[3] memory calls = [
            abi.encodeWithSignature("transferFrom(address,address,uint256)", ALICE, ATTACKER, aliceVault),
            abi.encodeWithSignature("safeTransferFrom(address,address,uint256)", ALICE, ATTACKER, aliceVault),
            abi.encodeWithSignature("transferVault(uint256,address)", aliceVault, ATTACKER)
        ];
        for (uint256 i; i < calls.length; ++i) {
            vm.prank(ALICE);
            (bool ok,) = address(engine).call(calls[i]);
            vm.assertFalse(ok);
        }
        vm.assertEq(_vault(aliceVault).owner, ALICE);
    }

    /// @dev Front-running a legitimate top-up with a gift to the owner, a direct deposit or repay into the vault, or
    /// a same-block top-up of the owner's other vault: none makes the wallet floor or StillLiquidatable trip where
    /// the top-up would have run. Gifts only raise the wallet; deposits and repays only lower the need (the vault ends
    /// above its trigger or the top-up still runs). Here at the edges: her wallet exactly at the floor, and a capped
    /// top-up that just restores health 1.
    function test_HELD_frontRuns_cannotTripFloorOrStillLiquidatable() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        _warpPrice(1, 1_700e8);
        uint256 least = Math.ceilDiv(lens.collateralToReach(aliceVault, 1.4e18), 8);
        weth.mint(ALICE, least + least / 100 + 1); // at the floor
        weth.mint(ATTACKER, 10e18);
        uint256 snap = vm.snapshotState();
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), bytes4(0), "runs at the floor");
        uint256[4] memory front = [uint256(1), 0.01e18, 0.5e18, 2e18];
        for (uint256 i; i < front.length; ++i) {
            vm.revertToState(snap);
            vm.prank(ATTACKER);
            weth.transfer(ALICE, front[i]);
            vm.assertEq(_tryTopUp(KEEPER, aliceVault), bytes4(0), "gift: still runs");
            vm.revertToState(snap);
            _deposit(ATTACKER, aliceVault, front[i]);
            bytes4 s = _tryTopUp(KEEPER, aliceVault);
            vm.assertTrue(s == bytes4(0) || s == IMarginGuard.AboveTrigger.selector, "deposit: runs or not needed");
            vm.revertToState(snap);
            _repay(ATTACKER, aliceVault, [uint256(1e6), 100e6, 1_000e6, 3_000e6][i]);
            s = _tryTopUp(KEEPER, aliceVault);
            vm.assertTrue(s == bytes4(0) || s == IMarginGuard.AboveTrigger.selector, "repay: runs or not needed");
        }

        // a cap that just restores health 1 from a gap: a deposit in front only helps
        vm.revertToState(snap);
        weth.mint(ALICE, 10e18);
        _setPrice(1_500e8); // health 0.964
        uint256 toOne = lens.collateralToReach(aliceVault, 1e18);
        uint128 cap = uint128(toOne + toOne / 100 + 2);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, cap, cap));
        uint256 snap2 = vm.snapshotState();
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), bytes4(0));
        vm.assertGe(lens.health(aliceVault), 1e18);
        vm.revertToState(snap2);
        _deposit(ATTACKER, aliceVault, 1e15);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), bytes4(0));
    }

    /// @dev Fuzzed top-ups in both modes with any caps, wallet, allowance and price: only the policy owner pays, the
    /// executor gets exactly the fee (<= 1% of what went in), nothing stays in the guard, caps hold, and a bystander
    /// who approved the guard is never touched.
    uint256 internal fzPerTopUp;
    uint256 internal fzPerDay;

    function testFuzz_HELD_onlyOwnerPays_feeAtMostOnePercent(
        bool repay,
        uint128 perTopUp,
        uint8 perDayMult,
        uint256 wallet,
        uint256 allowance,
        uint256 answer
    ) public {
        weth.mint(BOB, 100e18);
        usdc.mint(BOB, 100_000e6);
        vm.startPrank(BOB);
        weth.approve(address(guard), type(uint256).max);
        usdc.approve(address(guard), type(uint256).max);
        vm.stopPrank();
        MockERC20 t = repay ? usdc : weth;
        uint256 unit = repay ? 1e6 : 1e15;
        fzPerTopUp = _bound(perTopUp, 1, 20_000 * unit);
        fzPerDay = fzPerTopUp * _bound(perDayMult, 1, 8);
        t.mint(ALICE, _bound(wallet, 0, 30_000 * unit));
        vm.prank(ALICE);
        t.approve(address(guard), _bound(allowance, 0, 40_000 * unit));
        _setPolicy(
            ALICE,
            aliceVault,
            _policy(repay ? GuardMode.RepayDebt : GuardMode.DepositCollateral, uint128(fzPerTopUp), uint128(fzPerDay))
        );
        _warpPrice(1, int256(_bound(answer, 1_300e8, 1_990e8)));
        uint256 bobW = weth.balanceOf(BOB);
        uint256 bobU = usdc.balanceOf(BOB);
        uint256 taken;
        for (uint256 i; i < 3; ++i) {
            taken += _checkedTopUp(t);
        }
        vm.assertLe(taken, fzPerDay);
        vm.assertEq(weth.balanceOf(address(guard)) + usdc.balanceOf(address(guard)), 0, "nothing left in the guard");
        vm.assertEq(weth.balanceOf(BOB), bobW, "bystander untouched");
        vm.assertEq(usdc.balanceOf(BOB), bobU, "bystander untouched");
    }

    /// @dev One top-up by KEEPER with the fuzz's checks; returns what it took from the owner (0 if refused).
    function _checkedTopUp(MockERC20 t) internal returns (uint256) {
        uint256 a0 = t.balanceOf(ALICE);
        uint256 k0 = t.balanceOf(KEEPER);
        vm.prank(KEEPER);
        try guard.topUp(aliceVault) returns (uint256 amount, uint256 fee) {
            vm.assertEq(a0 - t.balanceOf(ALICE), amount + fee, "owner pays amount + fee");
            vm.assertEq(t.balanceOf(KEEPER) - k0, fee, "executor gets the fee only");
            vm.assertLe(fee * 10_000, amount * 100, "fee <= 1%");
            vm.assertLe(amount + fee, fzPerTopUp);
            vm.assertGe(lens.health(aliceVault), 1e18);
            return amount + fee;
        } catch {
            return 0;
        }
    }

    /// @dev A batch repeating a vault id runs each entry afresh: a capped vault is topped up up to 8 times in one
    /// transaction (maxPerTopUp is per call, not per block: as designed, the daily cap is what binds), the 9th+ entry
    /// is skipped, the daily cap and the count hold.
    function test_HELD_repeatedIdsInBatch_countAndDailyCapHold() public {
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 0.1e18, 0.8e18));
        weth.mint(ALICE, 10e18);
        _warpPrice(1, 1_600e8);
        uint256[] memory ids = new uint256[](12);
        for (uint256 i; i < 12; ++i) ids[i] = aliceVault;
        uint256 w = weth.balanceOf(ALICE);
        vm.prank(KEEPER);
        (uint256[] memory a, uint256[] memory f) = guard.topUpBatch(ids);
        uint256 ran;
        for (uint256 i; i < 12; ++i) {
            if (a[i] > 0) {
                ++ran;
                vm.assertLe(a[i] + f[i], 0.1e18);
            }
        }
        vm.assertEq(ran, 8);
        vm.assertEq(a[8] + a[9] + a[10] + a[11], 0);
        vm.assertLe(w - weth.balanceOf(ALICE), 0.8e18);
    }

    /// @dev EIP-150 around TOP_UP_GAS: at the least gas limit the batch accepts for one entry, the entry's frame is
    /// given exactly what it gets with 5M (the 1/63 margin and BATCH_STEP_GAS cover the call's own cost): a hook
    /// records the same gasleft() in both, and the top-up runs.
    function test_HELD_batchStipend_fullAtTheThreshold() public {
        ReentrantToken reth = new ReentrantToken("RETH", 18);
        (uint256 m, MockAggregator feed) = _seededMarket(address(reth));
        GasProbeOwner o = new GasProbeOwner();
        reth.mint(address(o), 30e18);
        o.exec(address(reth), abi.encodeCall(reth.approve, (address(engine), type(uint256).max)));
        o.exec(address(reth), abi.encodeCall(reth.approve, (address(guard), type(uint256).max)));
        uint256 v = abi.decode(o.exec(address(engine), abi.encodeCall(engine.openVault, (m, 10e18, 14_000e6))), (uint256));
        o.exec(address(guard), abi.encodeCall(guard.setPolicy, (v, _policy(GuardMode.DepositCollateral, 10e18, 20e18))));
        reth.arm(address(o), abi.encodeCall(GasProbeOwner.probe, ()), false);
        vm.warp(block.timestamp + 1);
        _feedPrice(feed, 1_800e8);
        uint256 snap = vm.snapshotState();
        _batchGas(_ids(v), 5_000_000); // warm-up
        vm.revertToState(snap);
        (bool ok, bytes memory out,) = _batchGas(_ids(v), 5_000_000);
        vm.assertTrue(ok);
        uint256 seenRich = o.seen();
        vm.assertGt(seenRich, 0);
        vm.revertToState(snap);

        // the least limit that passes the check
        uint256 lo = 700_000;
        uint256 hi = 1_000_000;
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            uint256 s = vm.snapshotState();
            (ok, out,) = _batchGas(_ids(v), mid);
            vm.revertToState(s);
            // short of the threshold the batch stops before its entry (BatchStopped, no results)
            if (ok) {
                (uint256[] memory tried,) = abi.decode(out, (uint256[], uint256[]));
                ok = tried.length == 1;
            }
            if (ok) hi = mid;
            else lo = mid;
        }
        (ok, out,) = _batchGas(_ids(v), hi);
        vm.assertTrue(ok);
        (uint256[] memory a,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertGt(a[0], 0, "the top-up ran at the threshold");
        vm.assertEq(o.seen(), seenRich, "its frame got the full TOP_UP_GAS");
    }

    /// @dev A returndata bomb: the collateral token reverts with 340 KB when the guard pulls the owner's tokens;
    /// SafeERC20 bubbles it out of `topUpFor`, but `catch {}` does not copy it, so the entry costs the batch its
    /// stipend and no more, and the next entry runs.
    function test_HELD_returndataBomb_costsAtMostTheStipend() public {
        BombToken bomb = new BombToken();
        (uint256 m, MockAggregator feed) = _seededMarket(address(bomb));
        address bomber = address(0xB0B0);
        bomb.mint(bomber, 30e18);
        vm.startPrank(bomber);
        bomb.approve(address(engine), type(uint256).max);
        bomb.approve(address(guard), type(uint256).max);
        uint256 v = engine.openVault(m, 10e18, 14_000e6);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        _feedPrice(feed, 1_800e8);
        _setPrice(1_800e8);
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.DepositCollateral, 10e18, 20e18));
        weth.mint(ALICE, 10e18);

        bomb.setBomb(address(guard), 340_000);
        (bool ok, bytes memory out) = address(guard).call{gas: 5_000_000}(abi.encodeCall(guard.topUp, (v)));
        vm.assertFalse(ok);
        vm.assertEq(out.length, 340_000, "topUp bubbles the bomb whole");
        uint256 used;
        (ok, out, used) = _batchGas(_ids(v), 5_000_000);
        vm.assertTrue(ok);
        (uint256[] memory a,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(a[0], 0, "the bomb entry is skipped");
        vm.assertGt(used, 600_000, "the entry paid for the bomb inside its stipend (~717k)");
        vm.assertLt(used, guard.TOP_UP_GAS() + 60_000, "the catch copied nothing (a copy would add ~250k)");

        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (v, aliceVault);
        (ok, out,) = _batchGas(ids, 5_000_000);
        vm.assertTrue(ok);
        (a,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertEq(a[0], 0);
        vm.assertGt(a[1], 0, "the next entry runs");
    }

    /// @dev The heaviest honest top-up the engine allows (4 tiers, the MAX_TIERS, every lens view walking them; a
    /// repay with its refund) stays far under TOP_UP_GAS even with its accounts cold.
    function test_HELD_topUpGas_maxTiers_underStipend() public {
        MarketParams memory p = defaultParams(address(usdc), address(weth), address(oracle));
        p.tiers = new Tier[](4);
        p.tiers[0] = Tier({minValue: 0, imBps: 2_000, mmBps: 1_000});
        p.tiers[1] = Tier({minValue: 10_000e6, imBps: 2_500, mmBps: 1_500});
        p.tiers[2] = Tier({minValue: 15_000e6, imBps: 3_000, mmBps: 2_000});
        p.tiers[3] = Tier({minValue: 18_000e6, imBps: 3_500, mmBps: 2_500});
        vm.prank(OWNER);
        uint256 m = engine.createMarket(p);
        usdc.mint(LENDER, 1_000_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), type(uint256).max);
        engine.supply(m, 1_000_000e6, LENDER);
        vm.stopPrank();
        weth.mint(CAROL, 20e18);
        usdc.mint(CAROL, 20_000e6);
        vm.startPrank(CAROL);
        weth.approve(address(engine), type(uint256).max);
        uint256 v = engine.openVault(m, 10e18, 13_000e6);
        usdc.approve(address(guard), type(uint256).max);
        weth.approve(address(guard), type(uint256).max);
        guard.setPolicy(v, _policy(GuardMode.RepayDebt, 20_000e6, 20_000e6));
        vm.stopPrank();
        _warpPrice(1, 1_700e8); // value 17,000 across all four tiers
        vm.assertLt(lens.health(v), 1.2e18);
        (bool ok, bytes memory out, uint256 used) = _batchGas(_ids(v), 5_000_000);
        vm.assertTrue(ok);
        (uint256[] memory a,) = abi.decode(out, (uint256[], uint256[]));
        vm.assertGt(a[0], 0);
        // ~ 40 cold accounts and slots at 2,500 each would add ~100k
        vm.assertLt(used + 100_000, guard.TOP_UP_GAS() * 2 / 3, "a third of the stipend to spare");
    }

    /// @dev Coarse tokens and the 1/8 floor: 0-decimal collateral (need 21 bars, floor ceil(21/8) = 3 bars): a
    /// 2-bar wallet is refused, a 3-bar one moves 3 bars (fee 0, rounded down in her favour); and a 1-bar need has a
    /// 1-bar floor (never 0). 6-decimal repay: the floor rounds up, a wallet one unit under it is refused, at it runs.
    function test_HELD_coarseDecimals_floorRoundsUp() public {
        MockERC20 gold = new MockERC20("Gold bar", "BAR", 0);
        (uint256 m, MockAggregator feed) = _seededMarket(address(gold));
        gold.mint(ALICE, 100);
        vm.startPrank(ALICE);
        gold.approve(address(engine), type(uint256).max);
        gold.approve(address(guard), type(uint256).max);
        uint256 v = engine.openVault(m, 100, 140_000e6);
        guard.setPolicy(v, _policy(GuardMode.DepositCollateral, 100, 100));
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        _feedPrice(feed, 1_800e8);
        uint256 need = lens.collateralToReach(v, 1.4e18);
        vm.assertEq(need, 21);
        gold.mint(ALICE, 2);
        vm.assertEq(_tryTopUp(KEEPER, v), IMarginGuard.BalanceTooLow.selector);
        gold.mint(ALICE, 1);
        (uint256 amount, uint256 fee) = _topUp(KEEPER, v);
        vm.assertEq(amount, 3);
        vm.assertEq(fee, 0);

        // 6-decimal repay: wallet one unit under the floor, then at it
        _setPolicy(ALICE, aliceVault, _policy(GuardMode.RepayDebt, 20_000e6, 20_000e6));
        _setPrice(1_800e8);
        uint256 least = Math.ceilDiv(lens.repayToReach(aliceVault, 1.4e18), 8);
        uint256 held = usdc.balanceOf(ALICE); // her borrowed USDC, out of the wallet
        vm.prank(ALICE);
        usdc.transfer(address(0xdead), held);
        uint256 atFloor = least + least / 100;
        while (_aff(atFloor) < least) ++atFloor;
        usdc.mint(ALICE, atFloor - 1);
        vm.assertEq(_tryTopUp(KEEPER, aliceVault), IMarginGuard.BalanceTooLow.selector);
        usdc.mint(ALICE, 1);
        (amount,) = _topUp(KEEPER, aliceVault);
        vm.assertEq(amount, least);
    }

    /// @dev Repay mode landing exactly on minDebt (the wallet cannot repay it all): with other borrowers and interest
    /// (a debt share worth a non-round amount), the repay of debt - minDebt never trips the engine's
    /// DebtBelowMinimum, whatever the share price.
    function testFuzz_HELD_repayToMinDebt_neverBelowFloor(uint256 otherDebt, uint256 elapsed, uint256 debtSeed) public {
        otherDebt = _bound(otherDebt, 100e6, 500_000e6);
        _open(CAROL, otherDebt * 1e12, otherDebt); // $2,000/WETH: health 3.6
        vm.warp(block.timestamp + _bound(elapsed, 1, 400 days));
        _setPrice(INITIAL_PRICE);
        uint256 debt = _bound(debtSeed, 120e6, 159e6); // under 114 the 1/8 floor refuses (see the minDebt-zone POC)
        uint256 v = _open(BOB, 0.1e18, debt);
        usdc.mint(BOB, 1_000e6);
        vm.prank(BOB);
        usdc.approve(address(guard), type(uint256).max);
        vm.warp(block.timestamp + _bound(elapsed >> 32, 1, 30 days));
        _setPrice(1_700e8);
        uint256 d = lens.debtOf(v);
        // keep the wallet under the whole debt but above the repay to minDebt
        uint256 keep = (d - 100e6) * 102 / 100 + 2;
        uint256 dump = usdc.balanceOf(BOB) - keep;
        vm.prank(BOB);
        usdc.transfer(address(0xdead), dump);
        GuardPolicy memory p = _policy(GuardMode.RepayDebt, 1_000e6, 1_000e6);
        (p.triggerHealth, p.targetHealth) = (type(uint64).max - 1, type(uint64).max); // needs the whole debt
        _setPolicy(BOB, v, p);
        if (lens.health(v) >= p.triggerHealth) return;
        (uint256 amount,) = _topUp(KEEPER, v);
        vm.assertEq(amount, d - 100e6);
        vm.assertGe(lens.debtOf(v), 100e6, "at or above minDebt");
    }
}

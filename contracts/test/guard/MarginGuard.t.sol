// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm, VmLog} from "../utils/Vm.sol";
import {GuardBase} from "./GuardBase.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy, StoredPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {IIsomarginEngine, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice MarginGuard, one behaviour per test: who may set a policy (the owner only, also with a permit) and
/// revoke one (the owner or an operator), which terms are valid (a daily cap of at most 8 per-top-up caps), when a
/// top-up runs, what it moves (the least reaching the target, or what the caps, allowance and balance allow, but
/// not less than 1/8 of what the caps allow, and not when the vault would stay liquidatable), the rolling 24-hour
/// cap (counted per mode, the 8-top-up ring over both), minDebt in repay mode, the oracle, the fee, events,
/// isolation of other wallets, batches (with their per-entry gas), and a vault saved from liquidation. Fixture: see
/// GuardBase (ALICE's vault, 10 WETH / 15,000 USDC; health 1.08 at $1,800).
contract MarginGuardTest is GuardBase {
    uint256 internal constant SIGNER_KEY = 0x5161e7;
    /// @dev keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")
    bytes32 internal constant PERMIT_TYPEHASH = 0x6e71edae12b1b97f4d1f60370fef10105fa2faae0126114a169c64845d6126c9;

    /// @dev $1,800: V = 18,000, max debt at MM 10% = 16,200, health 16,200 / 15,000 = 1.08 (below the 1.1 trigger).
    function _belowTrigger() internal {
        _setPrice(1_800e8);
        vm.assertEq(lens.health(vaultId), 1.08e18);
    }

    function _guardedDeposit(GuardPolicy memory p, uint256 balance, uint256 allowance) internal {
        _setPolicy(ALICE, vaultId, p);
        _fundWallet(weth, ALICE, balance, allowance);
        _belowTrigger();
    }

    function _err(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _assertSameTerms(GuardPolicy memory a, GuardPolicy memory b) internal pure {
        vm.assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(b)), "policy terms");
    }

    /// @dev The next call emits ALICE's PolicySet for `id` with terms `p`, arming `collateral` and `debtShares`.
    function _expectPolicySet(uint256 id, GuardPolicy memory p, uint128 collateral, uint128 debtShares) internal {
        vm.expectEmit(true, true, true, true, address(guard));
        emit IMarginGuard.PolicySet(
            id,
            ALICE,
            ALICE,
            p.mode,
            p.triggerHealth,
            p.targetHealth,
            p.feeBps,
            p.expiry,
            p.maxPerTopUp,
            p.maxPerDay,
            collateral,
            debtShares
        );
    }

    function _assertArmed(uint256 id, uint256 collateral, uint256 debtShares) internal view {
        ArmedPosition memory a = guard.armedPosition(id);
        vm.assertEq(a.collateral, collateral, "armed collateral");
        vm.assertEq(a.debtShares, debtShares, "armed debt shares");
    }

    /// @dev The vault's collateral and debt shares: what a policy set now arms, what a top-up leaves armed.
    function _position(uint256 id) internal view returns (uint128 collateral, uint128 debtShares) {
        Vault memory v = engine.vault(id);
        return (v.collateral, v.debtShares);
    }

    /* SET, REPLACE, REVOKE */

    function test_setPolicy_byOwner_storesTermsAndEmitsPolicySet() public {
        GuardPolicy memory p = _depositTerms();
        (uint128 c0, uint128 s0) = _position(vaultId);
        vm.assertGt(c0, 0);
        vm.assertGt(s0, 0);
        _expectPolicySet(vaultId, p, c0, s0);
        _setPolicy(ALICE, vaultId, p);
        StoredPolicy memory s = guard.policy(vaultId);
        vm.assertEq(s.owner, ALICE);
        _assertSameTerms(s.terms, p);
        _assertGuardEmpty();
    }

    /// @dev A policy spends the owner's wallet, which the engine's operator role never gave: an operator ALICE
    /// approved may not set one (it may still revoke one, see test_revokePolicy_byOwnerOrOperator_deletesItAndEmits).
    /// The policy ALICE then sets herself draws from her wallet only, never from the operator's.
    function test_setPolicy_byOperator_revertsUnauthorized() public {
        vm.prank(ALICE);
        engine.setOperator(OPERATOR, true);
        vm.assertTrue(engine.isOperator(ALICE, OPERATOR));
        GuardPolicy memory p = _repayTerms();
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, OPERATOR));
        guard.setPolicy(vaultId, p);
        vm.assertEq(guard.policy(vaultId).owner, address(0), "no policy stored");

        (uint128 c0, uint128 s0) = _position(vaultId);
        vm.assertGt(c0, 0);
        vm.assertGt(s0, 0);
        _expectPolicySet(vaultId, p, c0, s0);
        _setPolicy(ALICE, vaultId, p);
        vm.assertEq(guard.policy(vaultId).owner, ALICE);

        // The operator's own wallet, funded and approved, is never touched: the loan tokens come from ALICE.
        _fundWallet(usdc, OPERATOR, 50_000e6, type(uint256).max);
        vm.prank(ALICE);
        usdc.approve(address(guard), type(uint256).max);
        uint256 aliceBefore = usdc.balanceOf(ALICE);
        _belowTrigger();
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertGt(amount, 0);
        vm.assertEq(usdc.balanceOf(ALICE), aliceBefore - amount - fee);
        vm.assertEq(usdc.balanceOf(OPERATOR), 50_000e6);
        vm.assertEq(usdc.allowance(OPERATOR, address(guard)), type(uint256).max);
    }

    function test_setPolicy_byStrangerOrOthersOperator_reverts() public {
        GuardPolicy memory p = _depositTerms();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, STRANGER));
        guard.setPolicy(vaultId, p);
        // BOB's operator is not ALICE's.
        vm.prank(BOB);
        engine.setOperator(OPERATOR, true);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, OPERATOR));
        guard.setPolicy(vaultId, p);
        // An operator ALICE approved and then removed is a stranger again.
        vm.prank(ALICE);
        engine.setOperator(OPERATOR, true);
        vm.prank(ALICE);
        engine.setOperator(OPERATOR, false);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, OPERATOR));
        guard.setPolicy(vaultId, p);
        vm.assertEq(guard.policy(vaultId).owner, address(0));
    }

    function test_setPolicy_unknownVault_revertsVaultNotFound() public {
        GuardPolicy memory p = _depositTerms();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultNotFound.selector, 99));
        guard.setPolicy(99, p);
    }

    function test_setPolicy_replacesThePreviousPolicy() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        GuardPolicy memory q = _terms(GuardMode.RepayDebt, 1.3e18, 1.6e18, 7, 1_000e6, 3_000e6);
        _setPolicy(ALICE, vaultId, q);
        _assertSameTerms(guard.policy(vaultId).terms, q);
    }

    function test_setPolicy_rejectsTriggerNotAboveOne() public {
        GuardPolicy memory p = _depositTerms();
        p.triggerHealth = 1e18;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        p.triggerHealth = 0.9e18;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
    }

    function test_setPolicy_rejectsTargetNotAboveTrigger() public {
        GuardPolicy memory p = _depositTerms();
        p.targetHealth = p.triggerHealth;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        p.targetHealth = p.triggerHealth - 1;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
    }

    function test_setPolicy_rejectsZeroCaps() public {
        GuardPolicy memory p = _depositTerms();
        p.maxPerTopUp = 0;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        p = _depositTerms();
        p.maxPerDay = 0;
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
    }

    /// @dev A daily cap above MAX_TOP_UPS_PER_DAY per-top-up caps could never be drawn in a day (the ring refuses the
    /// ninth top-up): rejected, by one unit. Exactly eight per-top-up caps is accepted, and so is the largest
    /// policy (both caps at uint128 max: the product does not overflow).
    function test_setPolicy_rejectsDailyCapAboveEightPerTopUpCaps() public {
        vm.assertEq(guard.MAX_TOP_UPS_PER_DAY(), 8);
        GuardPolicy memory p = _depositTerms();
        (p.maxPerTopUp, p.maxPerDay) = (1e18, 8e18 + 1);
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        (p.maxPerTopUp, p.maxPerDay) = (1, 9);
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        vm.assertEq(guard.policy(vaultId).owner, address(0));

        (p.maxPerTopUp, p.maxPerDay) = (1e18, 8e18);
        _setPolicy(ALICE, vaultId, p);
        _assertSameTerms(guard.policy(vaultId).terms, p);
        (p.maxPerTopUp, p.maxPerDay) = (type(uint128).max, type(uint128).max);
        _setPolicy(ALICE, vaultId, p);
        _assertSameTerms(guard.policy(vaultId).terms, p);
    }

    function test_setPolicy_rejectsExpiryNotInTheFuture() public {
        GuardPolicy memory p = _depositTerms();
        p.expiry = uint40(block.timestamp);
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
        p.expiry = uint40(block.timestamp - 1);
        vm.prank(ALICE);
        vm.expectRevert(IMarginGuard.InvalidPolicy.selector);
        guard.setPolicy(vaultId, p);
    }

    function test_setPolicy_rejectsFeeAboveOnePercent() public {
        GuardPolicy memory p = _depositTerms();
        p.feeBps = 101;
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.FeeTooHigh.selector, 101, 100));
        guard.setPolicy(vaultId, p);
        p.feeBps = type(uint16).max;
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.FeeTooHigh.selector, type(uint16).max, 100));
        guard.setPolicy(vaultId, p);
        vm.assertEq(guard.MAX_FEE_BPS(), 100);
        p.feeBps = 100; // exactly the maximum is allowed
        _setPolicy(ALICE, vaultId, p);
        vm.assertEq(guard.policy(vaultId).terms.feeBps, 100);
    }

    /// @dev Every bound is strict only where documented: the smallest valid terms are accepted.
    function test_setPolicy_acceptsTheSmallestValidTerms() public {
        GuardPolicy memory p = _terms(GuardMode.DepositCollateral, 1e18 + 1, 1e18 + 2, 0, 1, 1);
        p.expiry = uint40(block.timestamp + 1);
        _setPolicy(ALICE, vaultId, p);
        _assertSameTerms(guard.policy(vaultId).terms, p);
    }

    function test_revokePolicy_byOwnerOrOperator_deletesItAndEmits() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        vm.expectEmit(true, true, false, true, address(guard));
        emit IMarginGuard.PolicyRevoked(vaultId, ALICE);
        vm.prank(ALICE);
        guard.revokePolicy(vaultId);
        vm.assertEq(guard.policy(vaultId).owner, address(0));
        vm.assertEq(guard.policy(vaultId).terms.maxPerDay, 0);

        vm.prank(ALICE);
        engine.setOperator(OPERATOR, true);
        _setPolicy(ALICE, vaultId, _depositTerms());
        vm.expectEmit(true, true, false, true, address(guard));
        emit IMarginGuard.PolicyRevoked(vaultId, OPERATOR);
        vm.prank(OPERATOR);
        guard.revokePolicy(vaultId);
        vm.assertEq(guard.policy(vaultId).owner, address(0));
    }

    function test_revokePolicy_byStranger_reverts() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, STRANGER));
        guard.revokePolicy(vaultId);
        vm.assertEq(guard.policy(vaultId).owner, ALICE);
    }

    function test_revokePolicy_takesEffectForTheNextTopUp() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        vm.prank(ALICE);
        guard.revokePolicy(vaultId);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.NoPolicy.selector, vaultId));
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
    }

    /* PERMIT */

    function _signPermit(MockERC20 token, uint256 key, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        address owner = vm.addr(key);
        bytes32 structHash =
            keccak256(abi.encode(PERMIT_TYPEHASH, owner, address(guard), value, token.nonces(owner), deadline));
        return vm.sign(key, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
    }

    function test_setPolicyWithPermit_signedPermit_grantsAllowanceAndSetsPolicy() public {
        address signer = vm.addr(SIGNER_KEY);
        uint256 id = _open(signer, 10e18, 15_000e6);
        weth.mint(signer, 5e18);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(weth, SIGNER_KEY, 3e18, deadline);
        GuardPolicy memory p = _depositTerms();

        vm.prank(signer);
        guard.setPolicyWithPermit(id, p, 3e18, deadline, v, r, s);
        vm.assertEq(weth.allowance(signer, address(guard)), 3e18);
        vm.assertEq(weth.nonces(signer), 1);
        vm.assertEq(guard.policy(id).owner, signer);
        _assertSameTerms(guard.policy(id).terms, p);

        // The permit is all the set-up a top-up needs.
        _setPrice(1_800e8);
        (uint256 amount, uint256 fee) = _topUp(id);
        vm.assertGe(lens.health(id), TARGET);
        vm.assertEq(weth.allowance(signer, address(guard)), 3e18 - amount - fee);
    }

    /// @dev Someone submits the signed permit first (front-running, or a relayer): the permit inside then fails,
    /// which must not block the policy, and the allowance the permit granted stands.
    function test_setPolicyWithPermit_frontRunPermit_stillSetsPolicy() public {
        address signer = vm.addr(SIGNER_KEY);
        uint256 id = _open(signer, 10e18, 15_000e6);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(usdc, SIGNER_KEY, 4_000e6, deadline);
        vm.prank(STRANGER);
        usdc.permit(signer, address(guard), 4_000e6, deadline, v, r, s);
        vm.assertEq(usdc.allowance(signer, address(guard)), 4_000e6);

        GuardPolicy memory p = _repayTerms();
        vm.prank(signer);
        guard.setPolicyWithPermit(id, p, 4_000e6, deadline, v, r, s);
        vm.assertEq(guard.policy(id).owner, signer);
        _assertSameTerms(guard.policy(id).terms, p);
        vm.assertEq(usdc.allowance(signer, address(guard)), 4_000e6);
        vm.assertEq(usdc.nonces(signer), 1);
    }

    /// @dev An operator may not set a policy with the owner's signed permit either: the call reverts whole, so the
    /// permit is not spent (no allowance, nonce unchanged) and no policy is stored.
    function test_setPolicyWithPermit_byOperator_revertsUnauthorized() public {
        address signer = vm.addr(SIGNER_KEY);
        uint256 id = _open(signer, 10e18, 15_000e6);
        vm.prank(signer);
        engine.setOperator(OPERATOR, true);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(weth, SIGNER_KEY, 1e18, deadline);
        GuardPolicy memory p = _depositTerms();
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, id, OPERATOR));
        guard.setPolicyWithPermit(id, p, 1e18, deadline, v, r, s);
        vm.assertEq(weth.allowance(signer, address(guard)), 0);
        vm.assertEq(weth.nonces(signer), 0);
        vm.assertEq(guard.policy(id).owner, address(0));
    }

    /// @dev A signature that is not the owner's is ignored: the policy is set, no allowance appears.
    function test_setPolicyWithPermit_foreignSignature_setsPolicyWithoutAllowance() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(weth, SIGNER_KEY, 1e18, deadline); // not ALICE's key
        vm.prank(ALICE);
        guard.setPolicyWithPermit(vaultId, _depositTerms(), 1e18, deadline, v, r, s);
        vm.assertEq(guard.policy(vaultId).owner, ALICE);
        vm.assertEq(weth.allowance(ALICE, address(guard)), 0);
    }

    function test_setPolicyWithPermit_byStranger_reverts() public {
        address signer = vm.addr(SIGNER_KEY);
        uint256 id = _open(signer, 10e18, 15_000e6);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(weth, SIGNER_KEY, 1e18, deadline);
        GuardPolicy memory p = _depositTerms();
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, id, STRANGER));
        guard.setPolicyWithPermit(id, p, 1e18, deadline, v, r, s);
        vm.assertEq(weth.allowance(signer, address(guard)), 0);
    }

    /* TRIGGER */

    function test_topUp_aboveTrigger_revertsAboveTrigger() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.AboveTrigger.selector, vaultId, 1.2e18, uint256(TRIGGER))
        );
    }

    /// @dev "Below the trigger" is strict: at exactly the trigger nothing runs, one WAD unit above it runs.
    function test_topUp_atExactlyTheTrigger_reverts() public {
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _setPolicy(ALICE, vaultId, _terms(GuardMode.DepositCollateral, 1.2e18, 1.3e18, FEE, 10e18, 10e18));
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.AboveTrigger.selector, vaultId, 1.2e18, 1.2e18)
        );
        _setPolicy(ALICE, vaultId, _terms(GuardMode.DepositCollateral, 1.2e18 + 1, 1.3e18, FEE, 10e18, 10e18));
        (uint256 amount,) = _topUp(vaultId);
        vm.assertGt(amount, 0);
        vm.assertGe(lens.health(vaultId), 1.3e18);
    }

    function test_topUp_vaultWithoutDebt_revertsAboveTrigger() public {
        uint256 id = _open(BOB, 1e18, 500e6);
        _setPolicy(BOB, id, _depositTerms());
        _repay(BOB, id, type(uint256).max); // repaid in full after arming: nothing to defend
        _fundWallet(weth, BOB, 1e18, type(uint256).max);
        _setPrice(1);
        _expectTopUpRevert(
            id, abi.encodeWithSelector(IMarginGuard.AboveTrigger.selector, id, type(uint256).max, uint256(TRIGGER))
        );
    }

    function test_setPolicy_vaultWithoutCollateralOrDebt_revertsNoPosition() public {
        uint256 id = _open(BOB, 1e18, 0);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.NoPosition.selector, id));
        guard.setPolicy(id, _depositTerms());
    }

    /* DEPOSIT MODE: THE LEAST COLLATERAL THAT REACHES THE TARGET */

    /// @dev Target 1.25 needs max debt 18,750 USDC, so V = 18,750 / 0.9 = 20,833.333334 (rounded up) and collateral
    /// 20,833.333334 / 1,800 = 11.574074074444444445 WETH (rounded up): 1.574074074444444445 WETH to deposit.
    /// Depositing one wei less does not reach the target.
    function test_topUp_deposit_reachesTargetWithTheLeastCollateral() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        uint256 needed = lens.collateralToReach(vaultId, TARGET);
        vm.assertEq(needed, 1_574_074_074_444_444_445);
        uint256 snap = vm.snapshotState();

        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, needed);
        vm.assertEq(fee, _feeOf(amount, FEE));
        vm.assertEq(_vault(vaultId).collateral, 10e18 + amount);
        vm.assertGe(lens.health(vaultId), TARGET);
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - amount - fee);
        vm.assertEq(weth.balanceOf(KEEPER), fee);
        vm.assertEq(lens.collateralToReach(vaultId, TARGET), 0);
        _assertGuardEmpty();

        vm.revertToState(snap);
        _deposit(BOB, vaultId, amount - 1);
        vm.assertLt(lens.health(vaultId), TARGET, "one wei less collateral reaches the target too: not the least");
    }

    /* THE ARMED POSITION: A POLICY DEFENDS THE VAULT AGAINST THE PRICE, NOT AGAINST ITS OWN WITHDRAWS AND BORROWS */

    function test_setPolicy_armsTheVaultAsItStands_revokeDisarms() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        vm.assertEq(guard.armedPosition(vaultId).collateral, 10e18);
        vm.assertEq(guard.armedPosition(vaultId).debtShares, _vault(vaultId).debtShares);
        vm.prank(ALICE);
        guard.revokePolicy(vaultId);
        vm.assertEq(guard.armedPosition(vaultId).collateral, 0);
        vm.assertEq(guard.armedPosition(vaultId).debtShares, 0);
    }

    /// @dev The owner's own borrow after arming lowers collateral per debt share: top-ups stop (the owner's wallet is
    /// not a refill for a position drawn down on purpose) until the owner sets the policy again.
    function test_topUp_borrowSinceArmed_revertsRiskRaisedSinceArmed_untilReArmed() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        uint256 shares = _vault(vaultId).debtShares;
        vm.prank(ALICE);
        engine.borrow(vaultId, 1_000e6, ALICE);
        _setPrice(1_800e8);
        vm.assertLt(lens.health(vaultId), TRIGGER);
        _expectTopUpRevert(
            vaultId,
            abi.encodeWithSelector(IMarginGuard.RiskRaisedSinceArmed.selector, vaultId, uint128(10e18), uint128(shares))
        );
        // a term update does not accept the drawn-down position, and its PolicySet says so (the old record)
        GuardPolicy memory p = _depositTerms();
        _expectPolicySet(vaultId, p, uint128(10e18), uint128(shares));
        _setPolicy(ALICE, vaultId, p);
        _expectTopUpRevert(
            vaultId,
            abi.encodeWithSelector(IMarginGuard.RiskRaisedSinceArmed.selector, vaultId, uint128(10e18), uint128(shares))
        );
        Vault memory v = _vault(vaultId);
        vm.assertGt(v.debtShares, shares);
        // re-arming names the position the owner sees, and the PolicySet carries it
        _expectPolicySet(vaultId, p, v.collateral, v.debtShares);
        vm.prank(ALICE);
        guard.setPolicyArmedAt(vaultId, p, ArmedPosition({collateral: v.collateral, debtShares: v.debtShares}));
        _assertArmed(vaultId, v.collateral, v.debtShares);
        (uint256 amount,) = _topUp(vaultId);
        vm.assertGt(amount, 0, "re-armed");
        vm.assertGe(lens.health(vaultId), TARGET);
    }

    /// @dev Neither interest nor a price move changes collateral per debt share, and a deposit or a repay raises it:
    /// the policy stays armed through all of them. A top-up re-arms the vault at its post-state.
    function test_topUp_interestPriceDepositAndRepay_keepThePolicyArmed_topUpReArms() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _deposit(BOB, vaultId, 1e15);
        _repay(BOB, vaultId, 1_000e6);
        _warpFresh(block.timestamp + 30 days);
        _setPrice(1_700e8);
        vm.assertLt(lens.health(vaultId), TRIGGER);
        (uint256 amount,) = _topUp(vaultId);
        vm.assertGt(amount, 0);
        vm.assertEq(guard.armedPosition(vaultId).collateral, _vault(vaultId).collateral, "re-armed at the post-state");
        vm.assertEq(guard.armedPosition(vaultId).debtShares, _vault(vaultId).debtShares);
    }

    /// @dev Withdrawing after a top-up disarms the policy: no loop of top-up and withdraw on one arming.
    function test_topUp_withdrawAfterATopUp_revertsRiskRaisedSinceArmed() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        (uint256 amount,) = _topUp(vaultId);
        vm.prank(ALICE);
        engine.withdrawCollateral(vaultId, 1e18, ALICE); // what the initial margin allows at $1,800
        _setPrice(1_700e8);
        vm.assertLt(lens.health(vaultId), TRIGGER);
        vm.prank(KEEPER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarginGuard.RiskRaisedSinceArmed.selector,
                vaultId,
                uint128(10e18 + amount),
                uint128(_vault(vaultId).debtShares)
            )
        );
        guard.topUp(vaultId);
    }

    /* REPAY MODE: THE TARGET, WITH ONE DEBT UNIT OF MARGIN */

    /// @dev Target 1.25 allows debt up to 16,200 / 1.25 = 12,960 USDC. The lens repays one unit more than the plain
    /// difference (2,040.000001 USDC), because a partial repay burns debt shares rounded down and can leave one
    /// unit more than `debt - repaid` when shares are not a whole number per unit. Here (no interest) shares are
    /// exact: the debt left is 12,959.999999 and health >= target; the plain difference would also have reached it
    /// and two units less would not, so the guard moves at most one unit over the minimum.
    function test_topUp_repay_reachesTargetWithinOneDebtUnit() public {
        _setPolicy(ALICE, vaultId, _repayTerms());
        vm.prank(ALICE);
        usdc.approve(address(guard), type(uint256).max); // ALICE still holds the 15,000 she borrowed
        _belowTrigger();
        uint256 debtAtTarget = uint256(16_200e6) * WAD / TARGET;
        vm.assertEq(debtAtTarget, 12_960e6);
        uint256 snap = vm.snapshotState();

        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, 15_000e6 - debtAtTarget + 1);
        vm.assertEq(fee, _feeOf(amount, FEE));
        vm.assertEq(lens.debtOf(vaultId), debtAtTarget - 1);
        vm.assertGe(lens.health(vaultId), TARGET);
        vm.assertEq(usdc.balanceOf(ALICE), 15_000e6 - amount - fee);
        vm.assertEq(usdc.balanceOf(KEEPER), fee);
        _assertGuardEmpty();

        vm.revertToState(snap);
        uint256 again = vm.snapshotState();
        _repay(BOB, vaultId, amount - 1);
        vm.assertEq(lens.health(vaultId), TARGET);
        vm.revertToState(again);
        _repay(BOB, vaultId, amount - 2);
        vm.assertLt(lens.health(vaultId), TARGET);
    }

    /* PARTIAL TOP-UPS */

    /// @dev A 0.5 WETH cap per top-up (fee 0.5%) moves the largest amount whose amount + fee fits 0.5 WETH.
    function test_topUp_perTopUpCapBinds_movesWhatTheCapAllows() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, FEE, 0.5e18, 4e18), 10e18, type(uint256).max);
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, _affordable(0.5e18, FEE));
        // 0.5e18 x 10,000 / 10,050 = 497,512,437,810,945,273.6; one unit more still fits with its fee rounded down
        vm.assertEq(amount, 497_512_437_810_945_274);
        vm.assertEq(amount + fee, 0.5e18);
        vm.assertEq(fee, _feeOf(amount, FEE));
        vm.assertLe(amount + fee, 0.5e18);
        vm.assertGt(amount + 1 + _feeOf(amount + 1, FEE), 0.5e18, "one more unit would still have fitted");
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), amount + fee);
        uint256 h = lens.health(vaultId);
        vm.assertGt(h, 1.08e18);
        vm.assertLt(h, TARGET);
        _assertGuardEmpty();
    }

    /// @dev 1 WETH per top-up, 1.5 WETH a day, fee 0: the second top-up of the day gets only the 0.5 WETH left.
    function test_topUp_dailyCapBinds_movesWhatIsLeftOfTheDay() public {
        GuardPolicy memory p = _terms(GuardMode.DepositCollateral, 1.4e18, 1.5e18, 0, 1e18, 1.5e18);
        _guardedDeposit(p, 10e18, type(uint256).max);
        (uint256 first,) = _topUp(vaultId);
        vm.assertEq(first, 1e18);
        (uint256 second, uint256 fee) = _topUp(vaultId);
        vm.assertEq(second, 0.5e18);
        vm.assertEq(fee, 0);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1.5e18);
        vm.assertEq(weth.balanceOf(ALICE), 8.5e18);
        vm.assertLt(lens.health(vaultId), 1.4e18);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 1.5e18, 1.5e18)
        );
    }

    function test_topUp_allowanceBinds_movesWhatTheAllowanceAllows() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 100, 100e18, 100e18), 10e18, 0.3e18);
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, _affordable(0.3e18, 100));
        vm.assertEq(fee, _feeOf(amount, 100));
        vm.assertLe(amount + fee, 0.3e18);
        vm.assertEq(weth.allowance(ALICE, address(guard)), 0.3e18 - amount - fee);
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - amount - fee);
        vm.assertLt(lens.health(vaultId), TARGET);
        _assertGuardEmpty();
    }

    function test_topUp_balanceBinds_movesWhatTheWalletHolds() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 100, 100e18, 100e18), 0.2e18, type(uint256).max);
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, _affordable(0.2e18, 100));
        vm.assertEq(fee, _feeOf(amount, 100));
        vm.assertEq(weth.balanceOf(ALICE), 0.2e18 - amount - fee);
        vm.assertLe(weth.balanceOf(ALICE), 1); // at most the rounding of the fee split is left
        vm.assertLt(lens.health(vaultId), TARGET);
        _assertGuardEmpty();
    }

    /* REVERTS */

    function test_topUp_withoutPolicy_revertsNoPolicy() public {
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _belowTrigger();
        _expectTopUpRevert(vaultId, _err(IMarginGuard.NoPolicy.selector, vaultId));
        _expectTopUpRevert(99, _err(IMarginGuard.NoPolicy.selector, 99));
    }

    function test_topUp_afterExpiry_revertsPolicyExpired() public {
        GuardPolicy memory p = _depositTerms();
        // keeps the vault below its trigger for a second top-up (a daily cap of at most 8 per-top-up caps)
        (p.maxPerTopUp, p.maxPerDay) = (0.01e18, 0.08e18);
        _guardedDeposit(p, 10e18, type(uint256).max);
        _warpFresh(p.expiry); // the policy still works at its expiry
        _topUp(vaultId);
        _warpFresh(uint256(p.expiry) + 1);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.PolicyExpired.selector, vaultId, uint256(p.expiry))
        );
    }

    function test_topUp_zeroAllowance_revertsAllowanceTooLow() public {
        _guardedDeposit(_depositTerms(), 10e18, 0);
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.AllowanceTooLow.selector, vaultId, 0));
    }

    /// @dev A budget of one unit (here the per-top-up cap; the day's cap is two) moves that unit: its 1% fee rounds
    /// to 0. The second top-up moves the day's last unit; the third finds the cap used.
    function test_topUp_budgetOfOneUnit_movesItWithoutFee() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 100, 1, 2), 10e18, type(uint256).max);
        for (uint256 i; i < 2; ++i) {
            (uint256 amount, uint256 fee) = _topUp(vaultId);
            vm.assertEq(amount, 1);
            vm.assertEq(fee, 0);
        }
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - 2);
        vm.assertEq(_vault(vaultId).collateral, 10e18 + 2);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 2);
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 2, 2));
    }

    /// @dev The wallet may limit a top-up to part of what the caps allow toward the target, but not to less than
    /// 1/MAX_TOP_UPS_PER_DAY of it: dust would spend one of the day's few slots. Here the caps allow the whole need
    /// (1.574074074444444445 WETH), so the least is 196,759,259,305,555,556 (need / 8 rounded up) and the wallet
    /// must allow it plus its 1% fee. One unit short (allowance, then balance; a 1-unit allowance too) reverts
    /// naming the binding limit, moves nothing and uses no cap; exactly the least runs.
    function test_topUp_walletBelowAnEighthOfWhatTheCapsAllow_revertsWithoutUsingASlot() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 100, 100e18, 100e18), 10e18, 1);
        uint256 least = Math.ceilDiv(lens.collateralToReach(vaultId, TARGET), guard.MAX_TOP_UPS_PER_DAY());
        vm.assertEq(least, 196_759_259_305_555_556);
        uint256 draw = least + _feeOf(least, 100);
        vm.assertEq(_affordable(draw, 100), least);
        vm.assertEq(_affordable(draw - 1, 100), least - 1);

        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.AllowanceTooLow.selector, vaultId, 1));
        vm.prank(ALICE);
        weth.approve(address(guard), draw - 1);
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.AllowanceTooLow.selector, vaultId, draw - 1));
        vm.prank(ALICE);
        weth.approve(address(guard), type(uint256).max);
        vm.prank(ALICE);
        weth.transfer(BOB, 10e18 - (draw - 1));
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, vaultId, draw - 1));
        vm.assertEq(weth.balanceOf(ALICE), draw - 1);
        vm.assertEq(_vault(vaultId).collateral, 10e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0);

        weth.mint(ALICE, 1);
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, least);
        vm.assertEq(fee, _feeOf(least, 100));
        vm.assertEq(weth.balanceOf(ALICE), 0);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), draw);
        vm.assertGt(lens.health(vaultId), 1.08e18);
        vm.assertLt(lens.health(vaultId), TARGET);
    }

    /// @dev At $1,600 the vault is liquidatable (max debt 14,400 over 15,000: health 0.96). A 0.1 WETH cap per
    /// top-up (fee 0) would bring it only to 10.1 x 1,440 / 15,000 = 0.9696: the money would be seized with the
    /// rest, so the top-up reverts StillLiquidatable with that health; ALICE's wallet keeps its tokens and no cap is
    /// used. With 0.5 WETH per top-up it reaches 10.5 x 1,440 / 15,000 = 1.008 and runs.
    function test_topUp_leavingTheVaultLiquidatable_revertsStillLiquidatable() public {
        _setPolicy(ALICE, vaultId, _terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 0, 0.1e18, 0.8e18));
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _setPrice(1_600e8);
        vm.assertEq(lens.health(vaultId), 0.96e18);
        vm.assertTrue(lens.isLiquidatable(vaultId));
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.StillLiquidatable.selector, vaultId, 0.9696e18)
        );
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
        vm.assertEq(_vault(vaultId).collateral, 10e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0);

        _setPolicy(ALICE, vaultId, _terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 0, 0.5e18, 4e18));
        (uint256 amount,) = _topUp(vaultId);
        vm.assertEq(amount, 0.5e18);
        vm.assertEq(lens.health(vaultId), 1.008e18);
        vm.assertFalse(lens.isLiquidatable(vaultId));
    }

    function test_topUp_emptyWallet_revertsBalanceTooLow() public {
        _guardedDeposit(_depositTerms(), 0, type(uint256).max);
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.BalanceTooLow.selector, vaultId, 0));
    }

    function test_topUp_capUsedUp_revertsCapReached() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 0, 0.1e18, 0.1e18), 10e18, type(uint256).max);
        _topUp(vaultId);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 0.1e18, 0.1e18)
        );
    }

    /// @dev Regression: the fee is rounded down, so the largest amount fitting a cap can be one unit above
    /// cap x 10,000 / (10,000 + fee). A 1,010,001 cap at 1% moves 1,000,001 + 10,000 (the whole cap); it used to move
    /// 1,000,000 + 10,000 and then, with 1 unit left that the formula could not spend, revert BalanceTooLow naming
    /// ALICE's full balance although the cap was the limit. Now the next top-up finds the cap used: CapReached.
    function test_topUp_largestAmountFittingTheCapAfterFeeRounding() public {
        _guardedDeposit(
            _terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 100, 1_010_001, 1_010_001), 10e18, type(uint256).max
        );
        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(amount, 1_000_001);
        vm.assertEq(fee, 10_000);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 1_010_001, 1_010_001)
        );
    }

    /// @dev Eight top-ups within 24 hours fill the ring; a ninth reverts until the first is 24 hours old (the count
    /// is checked before the cap: the day's cap of 8 x 0.01 is used up too).
    function test_topUp_ninthWithin24Hours_revertsTooManyTopUps() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, FEE, 0.01e18, 0.08e18), 10e18, type(uint256).max);
        uint256 t0 = block.timestamp;
        vm.assertEq(guard.MAX_TOP_UPS_PER_DAY(), 8);
        for (uint256 i; i < 8; ++i) {
            _warpFresh(t0 + i);
            _topUp(vaultId);
        }
        vm.assertLt(lens.health(vaultId), TRIGGER);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
        _warpFresh(t0 + 1 days - 1);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
        _warpFresh(t0 + 1 days);
        (uint256 amount,) = _topUp(vaultId);
        vm.assertGt(amount, 0);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
    }

    /// @dev At exactly minDebt only a full repay is allowed: when the day's cap cannot pay it, nothing can move.
    function test_topUp_repay_debtAtMinDebtAndFullRepayUnaffordable_revertsNothingToMove() public {
        uint256 id = _minDebtVault();
        // 950 a day: the first top-up repays 900 (down to minDebt), leaving 50 for the day.
        _setPolicy(ALICE, id, _terms(GuardMode.RepayDebt, 9e18, 10e18, 0, 950e6, 950e6));
        (uint256 amount,) = _topUp(id);
        vm.assertEq(amount, 900e6);
        vm.assertEq(lens.debtOf(id), 100e6);
        vm.assertLt(lens.health(id), 9e18);
        // Debt is exactly minDebt: only a full repay of 100 is allowed, and 50 is left in the day.
        _expectTopUpRevert(id, _err(IMarginGuard.NothingToMove.selector, id));
    }

    /* ROLLING 24-HOUR WINDOW */

    /// @dev 1 WETH per top-up, 2.5 WETH a day, fee 0, three top-ups at t0, t0 + 1h and t0 + 2h (1, 1, 0.5 WETH).
    /// The day's cap frees up as each top-up turns 24 hours old, exactly then and not a second before.
    function test_rollingWindow_freesTheCapExactly24HoursLater() public {
        GuardPolicy memory p = _terms(GuardMode.DepositCollateral, 1.4e18, 1.5e18, 0, 1e18, 2.5e18);
        _guardedDeposit(p, 10e18, type(uint256).max);
        uint256 t0 = block.timestamp;
        _topUp(vaultId);
        _warpFresh(t0 + 1 hours);
        _topUp(vaultId);
        _warpFresh(t0 + 2 hours);
        (uint256 third,) = _topUp(vaultId);
        vm.assertEq(third, 0.5e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 2.5e18);

        _warpFresh(t0 + 1 days - 1);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 2.5e18);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 2.5e18, 2.5e18)
        );

        _warpFresh(t0 + 1 days);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1.5e18);
        vm.assertLt(lens.health(vaultId), 1.4e18);
        (uint256 freed,) = _topUp(vaultId);
        vm.assertEq(freed, 1e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 2.5e18);

        // The t0 + 1h top-up leaves the window at t0 + 25h, the t0 + 2h one at t0 + 26h.
        _warpFresh(t0 + 1 days + 1 hours - 1);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 2.5e18);
        _warpFresh(t0 + 1 days + 1 hours);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1.5e18);
        _warpFresh(t0 + 1 days + 2 hours);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1e18);
        _warpFresh(t0 + 2 days);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0);
        vm.assertEq(weth.balanceOf(ALICE), 6.5e18);
    }

    /// @dev A cap is in its mode's token, so the rolling window counts each mode apart. After a deposit top-up (1
    /// WETH), a switch to repay mode finds no repay draw (usedLast24h in RepayDebt is 0, in DepositCollateral still
    /// 1 WETH) and the full repay cap runs; switching back within 24 hours counts the earlier deposit draw again (the
    /// deposit top-up gets the 0.5 WETH left of its day, then CapReached); each draw leaves 24 hours after it ran.
    function test_usedLast24h_countsEachModeApart() public {
        GuardPolicy memory dep = _terms(GuardMode.DepositCollateral, 1.4e18, 1.5e18, 0, 1e18, 1.5e18);
        GuardPolicy memory rep = _terms(GuardMode.RepayDebt, 1.4e18, 1.5e18, 0, 1_000e6, 1_500e6);
        _guardedDeposit(dep, 10e18, type(uint256).max);
        vm.prank(ALICE);
        usdc.approve(address(guard), type(uint256).max); // ALICE still holds the 15,000 she borrowed
        uint256 t0 = block.timestamp;
        (uint256 d1,) = _topUp(vaultId);
        vm.assertEq(d1, 1e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 0);

        _setPolicy(ALICE, vaultId, rep);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 0, "a WETH draw counted in USDC");
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1e18, "the deposit draw forgotten");
        _warpFresh(t0 + 1 hours);
        vm.assertLt(lens.health(vaultId), 1.4e18);
        (uint256 r1,) = _topUp(vaultId);
        vm.assertEq(r1, 1_000e6, "the full per-top-up repay cap");
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 1_000e6);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1e18);

        _setPolicy(ALICE, vaultId, dep);
        _warpFresh(t0 + 2 hours);
        vm.assertLt(lens.health(vaultId), 1.4e18);
        (uint256 d2,) = _topUp(vaultId);
        vm.assertEq(d2, 0.5e18, "the earlier deposit draw counts again");
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 1.5e18);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IMarginGuard.CapReached.selector, vaultId, 1.5e18, 1.5e18)
        );

        _warpFresh(t0 + 1 days);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0.5e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 1_000e6);
        _warpFresh(t0 + 1 days + 1 hours);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 0);
        vm.assertEq(usdc.balanceOf(ALICE), 15_000e6 - 1_000e6);
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - 1.5e18);
    }

    /// @dev The count limit is over top-ups of any mode: four deposits and four repays within 24 hours fill the
    /// ring, and a ninth, in either mode, reverts TooManyTopUps though neither mode's cap is used up. It runs once
    /// the first is 24 hours old.
    function test_topUp_ringCountsTopUpsOfBothModes() public {
        GuardPolicy memory dep = _terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 0, 0.01e18, 0.08e18);
        GuardPolicy memory rep = _terms(GuardMode.RepayDebt, TRIGGER, TARGET, 0, 10e6, 80e6);
        _guardedDeposit(dep, 10e18, type(uint256).max);
        vm.prank(ALICE);
        usdc.approve(address(guard), type(uint256).max);
        uint256 t0 = block.timestamp;
        for (uint256 i; i < 8; ++i) {
            if (i == 4) _setPolicy(ALICE, vaultId, rep);
            _warpFresh(t0 + i);
            _topUp(vaultId);
        }
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0.04e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.RepayDebt), 40e6);
        vm.assertLt(lens.health(vaultId), TRIGGER);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
        _setPolicy(ALICE, vaultId, dep);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
        _warpFresh(t0 + 1 days - 1);
        _expectTopUpRevert(vaultId, _err(IMarginGuard.TooManyTopUps.selector, vaultId));
        _warpFresh(t0 + 1 days);
        (uint256 amount,) = _topUp(vaultId);
        vm.assertEq(amount, 0.01e18);
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), 0.04e18, "one in, one out");
    }

    /* REPAY MODE AND minDebt */

    /// @dev ALICE's second vault: 0.7 WETH, 1,000 USDC; at $1,300 max debt is 819 (health 0.819). A target of 10
    /// allows 81.9 of debt, under the 100 minDebt: a partial repay to the target would revert in the engine.
    /// ALICE holds 10,000 USDC approved to the guard.
    function _minDebtVault() internal returns (uint256 id) {
        id = _open(ALICE, 0.7e18, 1_000e6);
        _fundWallet(usdc, ALICE, 10_000e6, type(uint256).max);
        _setPrice(1_300e8);
        vm.assertEq(lens.health(id), 0.819e18);
    }

    function test_topUp_repay_dustUnderMinDebt_repaysAllWhenAffordable() public {
        uint256 id = _minDebtVault();
        _setPolicy(ALICE, id, _terms(GuardMode.RepayDebt, 1.1e18, 10e18, FEE, 2_000e6, 2_000e6));
        vm.assertEq(lens.repayToReach(id, 10e18), 1_000e6 - 81_900_000 + 1);
        (uint256 amount, uint256 fee) = _topUp(id);
        vm.assertEq(amount, 1_000e6);
        vm.assertEq(fee, 5e6);
        vm.assertEq(_vault(id).debtShares, 0);
        vm.assertEq(lens.health(id), type(uint256).max);
        // ALICE also holds what both vaults borrowed (15,000 and 1,000).
        vm.assertEq(usdc.balanceOf(ALICE), 15_000e6 + 1_000e6 + 10_000e6 - 1_005e6);
        _assertGuardEmpty();
    }

    function test_topUp_repay_dustUnderMinDebt_repaysDownToExactlyMinDebtWhenNot() public {
        uint256 id = _minDebtVault();
        // 950 per top-up at 1%: 940.594059 affordable, less than the 1,000 of debt.
        _setPolicy(ALICE, id, _terms(GuardMode.RepayDebt, 1.1e18, 10e18, 100, 950e6, 2_000e6));
        (uint256 amount, uint256 fee) = _topUp(id);
        vm.assertEq(amount, 900e6);
        vm.assertEq(fee, 9e6);
        vm.assertEq(lens.debtOf(id), 100e6);
        vm.assertEq(lens.health(id), 8.19e18);
        vm.assertEq(guard.usedLast24h(id, GuardMode.RepayDebt), 909e6);
        _assertGuardEmpty();
    }

    /// @dev A partial repay that leaves at least minDebt is left alone.
    function test_topUp_repay_partialAboveMinDebt_isNotRounded() public {
        uint256 id = _minDebtVault();
        _setPolicy(ALICE, id, _terms(GuardMode.RepayDebt, 1.1e18, 10e18, 0, 300e6, 2_000e6));
        (uint256 amount,) = _topUp(id);
        vm.assertEq(amount, 300e6);
        vm.assertEq(lens.debtOf(id), 700e6);
    }

    /* ORACLE */

    function test_topUp_staleOracle_reverts() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + 1 hours + 1);
        _expectTopUpRevert(
            vaultId, abi.encodeWithSelector(IIsomarginEngine.OracleStale.selector, updatedAt, 1 hours)
        );
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
    }

    function test_topUpBatch_staleOracle_skipsThatVaultOnly() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        (uint256 m2, MockAggregator feed2) = _secondMarket(2_000e8);
        usdc.mint(LENDER, 100_000e6);
        vm.startPrank(LENDER);
        usdc.approve(address(engine), 100_000e6);
        engine.supply(m2, 100_000e6, LENDER);
        vm.stopPrank();
        weth.mint(BOB, 10e18);
        vm.startPrank(BOB);
        weth.approve(address(engine), 10e18);
        uint256 other = engine.openVault(m2, 10e18, 15_000e6);
        weth.approve(address(guard), type(uint256).max);
        guard.setPolicy(other, _depositTerms());
        vm.stopPrank();
        weth.mint(BOB, 10e18);

        vm.warp(block.timestamp + 1 hours + 1); // the first market's feed is now stale
        vm.prank(OWNER);
        feed2.setAnswer(1_800e8);
        uint256 needed = lens.collateralToReach(other, TARGET); // an hour of interest since the borrow
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (vaultId, other);
        vm.prank(KEEPER);
        (uint256[] memory amounts, uint256[] memory fees) = guard.topUpBatch(ids);
        vm.assertEq(amounts[0], 0);
        vm.assertEq(fees[0], 0);
        vm.assertEq(amounts[1], needed);
        vm.assertGe(lens.health(other), TARGET);
        vm.assertEq(fees[1], _feeOf(amounts[1], FEE));
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
        vm.assertEq(weth.balanceOf(KEEPER), fees[1]);
        _assertGuardEmpty();
    }

    /* FEES AND CAPS */

    /// @dev The fee goes to msg.sender (whoever calls), rounded down: amount x feeBps / 10,000.
    function test_topUp_paysTheCallerTheFeeRoundedDown() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, 37, 100e18, 100e18), 10e18, type(uint256).max);
        vm.prank(STRANGER);
        (uint256 amount, uint256 fee) = guard.topUp(vaultId);
        vm.assertEq(amount, 1_574_074_074_444_444_445);
        vm.assertEq(fee, 5_824_074_075_444_444); // 1,574,074,074,444,444,445 x 37 / 10,000 = ...444.4465, down
        vm.assertEq(fee, amount * 37 / 10_000);
        vm.assertEq(weth.balanceOf(STRANGER), fee);
        vm.assertEq(weth.balanceOf(KEEPER), 0);
    }

    /// @dev Both caps count the fee: usedLast24h is amount + fee, and what the wallet lost.
    function test_topUp_capsCountAmountPlusFee() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, 1.4e18, 1.5e18, 100, 1e18, 1.5e18), 10e18, type(uint256).max);
        (uint256 a1, uint256 f1) = _topUp(vaultId);
        vm.assertEq(a1 + f1, 1e18 - 1); // 990,099,009,900,990,099 + 9,900,990,099,009,900
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), a1 + f1);
        (uint256 a2, uint256 f2) = _topUp(vaultId);
        vm.assertLe(a1 + f1 + a2 + f2, 1.5e18);
        vm.assertEq(a2, _affordable(1.5e18 - a1 - f1, 100));
        vm.assertEq(guard.usedLast24h(vaultId, GuardMode.DepositCollateral), a1 + f1 + a2 + f2);
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - (a1 + f1 + a2 + f2));
    }

    /* EVENTS */

    function test_topUp_deposit_emitsToppedUpWithExactFields() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        uint256 amount = 1_574_074_074_444_444_445;
        uint256 fee = _feeOf(amount, FEE);
        // healthAfter: max debt of 11.574074074444444445 WETH at $1,800 over 15,000 of debt.
        uint256 snap = vm.snapshotState();
        _deposit(BOB, vaultId, amount);
        uint256 healthAfter = lens.health(vaultId);
        vm.revertToState(snap);

        // the armed position moves to the vault as the top-up leaves it: the amount deposited, the same debt
        (uint128 c0, uint128 s0) = _position(vaultId);
        vm.expectEmit(true, true, true, true, address(guard));
        emit IMarginGuard.ToppedUp(
            vaultId,
            ALICE,
            KEEPER,
            GuardMode.DepositCollateral,
            amount,
            fee,
            1.08e18,
            healthAfter,
            amount + fee,
            c0 + uint128(amount),
            s0
        );
        _topUp(vaultId);
        (uint128 c1, uint128 s1) = _position(vaultId);
        vm.assertEq(c1, c0 + amount);
        vm.assertEq(s1, s0);
        _assertArmed(vaultId, c1, s1);
    }

    function test_topUp_repay_emitsToppedUpWithExactFields() public {
        _setPolicy(ALICE, vaultId, _repayTerms());
        vm.prank(ALICE);
        usdc.approve(address(guard), type(uint256).max);
        _belowTrigger();
        uint256 amount = 2_040_000_001;
        uint256 fee = 10_200_000; // 2,040,000,001 x 50 / 10,000, rounded down
        uint256 healthAfter = uint256(16_200e6) * WAD / (12_960e6 - 1);

        // the armed position moves to the vault as the repayment leaves it: the engine's shares after the repay
        Vault memory before = _vault(vaultId);
        uint256 snap = vm.snapshotState();
        _topUp(vaultId);
        Vault memory after_ = _vault(vaultId);
        vm.revertToState(snap);
        vm.assertEq(after_.collateral, before.collateral);
        vm.assertLt(after_.debtShares, before.debtShares);

        vm.expectEmit(true, true, true, true, address(guard));
        emit IMarginGuard.ToppedUp(
            vaultId,
            ALICE,
            KEEPER,
            GuardMode.RepayDebt,
            amount,
            fee,
            1.08e18,
            healthAfter,
            amount + fee,
            after_.collateral,
            after_.debtShares
        );
        _topUp(vaultId);
        _assertArmed(vaultId, after_.collateral, after_.debtShares);
    }

    /// @dev usedLast24h in the event counts the earlier top-ups of the day.
    function test_topUp_eventCountsTheDaysEarlierTopUps() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, 1.4e18, 1.5e18, 0, 1e18, 8e18), 10e18, type(uint256).max);
        _topUp(vaultId);
        vm.warp(block.timestamp + 10 minutes);
        uint256 h = lens.health(vaultId);
        uint256 snap = vm.snapshotState();
        _deposit(BOB, vaultId, 1e18);
        uint256 healthAfter = lens.health(vaultId);
        vm.revertToState(snap);
        (uint128 c0, uint128 s0) = _position(vaultId);
        vm.expectEmit(true, true, true, true, address(guard));
        emit IMarginGuard.ToppedUp(
            vaultId, ALICE, KEEPER, GuardMode.DepositCollateral, 1e18, 0, h, healthAfter, 2e18, c0 + 1e18, s0
        );
        _topUp(vaultId);
    }

    /* ONLY THE POLICY OWNER'S TOKENS MOVE */

    function test_topUp_movesOnlyThePolicyOwnersTokens() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        // BOB has tokens and an allowance to the guard, and a guarded vault of his own that is healthy.
        _fundWallet(weth, BOB, 50e18, type(uint256).max);
        _fundWallet(usdc, BOB, 50_000e6, 7e18);
        uint256 bobVault = _open(BOB, 100e18, 1_000e6);
        _setPolicy(BOB, bobVault, _depositTerms());
        uint256 engineWeth = weth.balanceOf(address(engine));
        uint256 engineUsdc = usdc.balanceOf(address(engine));
        uint256 aliceUsdc = usdc.balanceOf(ALICE);

        (uint256 amount, uint256 fee) = _topUp(vaultId);
        vm.assertEq(weth.balanceOf(BOB), 50e18);
        vm.assertEq(weth.allowance(BOB, address(guard)), type(uint256).max);
        vm.assertEq(usdc.balanceOf(BOB), 50_000e6 + 1_000e6);
        vm.assertEq(usdc.allowance(BOB, address(guard)), 7e18);
        vm.assertEq(_vault(bobVault).collateral, 100e18);
        vm.assertEq(weth.balanceOf(ALICE), 10e18 - amount - fee);
        vm.assertEq(usdc.balanceOf(ALICE), aliceUsdc);
        vm.assertEq(weth.balanceOf(address(engine)), engineWeth + amount);
        vm.assertEq(usdc.balanceOf(address(engine)), engineUsdc);
        vm.assertEq(weth.balanceOf(KEEPER), fee);
        _assertGuardEmpty();
    }

    /* VAULT STATES AND ALLOWANCE */

    function test_topUp_closedVault_reverts() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        vm.startPrank(ALICE);
        usdc.approve(address(engine), type(uint256).max);
        engine.closeVault(vaultId, ALICE);
        vm.stopPrank();
        // A closed vault has no debt: its health is the maximum, above any trigger.
        _expectTopUpRevert(
            vaultId,
            abi.encodeWithSelector(IMarginGuard.AboveTrigger.selector, vaultId, type(uint256).max, uint256(TRIGGER))
        );
        vm.assertEq(weth.balanceOf(ALICE), 20e18);
    }

    function test_topUp_erc20AllowanceRevoked_stopsTopUps() public {
        _guardedDeposit(_terms(GuardMode.DepositCollateral, TRIGGER, TARGET, FEE, 0.01e18, 0.08e18), 10e18, type(uint256).max);
        _topUp(vaultId);
        vm.prank(ALICE);
        weth.approve(address(guard), 0);
        uint256 balance = weth.balanceOf(ALICE);
        _expectTopUpRevert(vaultId, abi.encodeWithSelector(IMarginGuard.AllowanceTooLow.selector, vaultId, 0));
        vm.assertEq(weth.balanceOf(ALICE), balance);
    }

    /* BATCH */

    function test_topUpBatch_skipsVaultsThatCannotBeToppedUp() public {
        uint256 unguarded = _open(BOB, 10e18, 15_000e6); // same health, no policy
        uint256 healthy = _open(CAROL, 20e18, 15_000e6); // health 2.16 at $1,800
        _setPolicy(CAROL, healthy, _depositTerms());
        _fundWallet(weth, CAROL, 10e18, type(uint256).max);
        uint256 broke = _open(STRANGER, 10e18, 15_000e6); // guarded, empty wallet
        _setPolicy(STRANGER, broke, _depositTerms());
        vm.prank(STRANGER);
        weth.approve(address(guard), type(uint256).max);
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);

        uint256[] memory ids = new uint256[](6);
        (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]) = (unguarded, healthy, 999, broke, vaultId, vaultId);
        vm.prank(KEEPER);
        (uint256[] memory amounts, uint256[] memory fees) = guard.topUpBatch(ids);
        vm.assertEq(amounts.length, 6);
        for (uint256 i; i < 6; ++i) {
            if (i == 4) continue;
            vm.assertEq(amounts[i], 0);
            vm.assertEq(fees[i], 0);
        }
        // The guarded vault is topped up once; its second entry is then above its trigger and skipped.
        vm.assertEq(amounts[4], 1_574_074_074_444_444_445);
        vm.assertEq(fees[4], _feeOf(amounts[4], FEE));
        vm.assertEq(weth.balanceOf(KEEPER), fees[4]);
        vm.assertEq(weth.balanceOf(CAROL), 10e18);
        _assertGuardEmpty();
    }

    function test_topUpBatch_moreThanMaxBatch_reverts() public {
        vm.assertEq(guard.MAX_BATCH(), 50);
        uint256[] memory ids = new uint256[](51);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.BatchTooLarge.selector, 51, 50));
        guard.topUpBatch(ids);
        // Exactly MAX_BATCH entries run (here all skipped: vault 0 does not exist).
        ids = new uint256[](50);
        vm.prank(KEEPER);
        (uint256[] memory amounts,) = guard.topUpBatch(ids);
        vm.assertEq(amounts.length, 50);
    }

    /// @dev Each batch entry is given TOP_UP_GAS (750,000); before each entry the batch checks that much is left
    /// (plus the 1/64 a call keeps and the loop's own 10,000) and otherwise stops there, emitting BatchStopped naming
    /// the entry, keeping the entries already run and returning results for those only (never a silent skip). A lone
    /// entry at 700,000 gas: stopped at 0, nothing moved; two guarded vaults at 1,000,000 gas: the first top-up
    /// (about 400,000) stands, the batch stops at index 1, BOB's wallet untouched.
    function test_topUpBatch_tooLittleGasForAnEntry_stopsThereKeepingTheEntriesRun() public {
        vm.assertEq(guard.TOP_UP_GAS(), 750_000);
        uint256 minLeft = 750_000 + uint256(750_000) / 63 + 10_000;
        uint256 other = _open(BOB, 10e18, 15_000e6);
        _setPolicy(BOB, other, _depositTerms());
        _fundWallet(weth, BOB, 10e18, type(uint256).max);
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);

        vm.recordLogs();
        vm.prank(KEEPER);
        (bool ok, bytes memory ret) = address(guard).call{gas: 700_000}(abi.encodeCall(guard.topUpBatch, (_ids(vaultId))));
        vm.assertTrue(ok);
        (uint256[] memory amounts,) = abi.decode(ret, (uint256[], uint256[]));
        vm.assertEq(amounts.length, 0, "results for an entry not tried");
        (uint256 index, uint256 length, uint256 left) = _batchStopped();
        vm.assertEq(index, 0);
        vm.assertEq(length, 1);
        vm.assertLt(left, minLeft);
        vm.assertEq(weth.balanceOf(ALICE), 10e18, "nothing moved");

        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (vaultId, other);
        vm.recordLogs();
        vm.prank(KEEPER);
        (ok, ret) = address(guard).call{gas: 1_000_000}(abi.encodeCall(guard.topUpBatch, (ids)));
        vm.assertTrue(ok, "a batch short of gas rolled back the entries before");
        (amounts,) = abi.decode(ret, (uint256[], uint256[]));
        vm.assertEq(amounts.length, 1, "results cover the entries tried");
        vm.assertGt(amounts[0], 0);
        (index, length, left) = _batchStopped();
        vm.assertEq(index, 1);
        vm.assertEq(length, 2);
        vm.assertLt(left, minLeft);
        vm.assertGe(lens.health(vaultId), TARGET, "the first entry stands");
        vm.assertEq(weth.balanceOf(BOB), 10e18, "the entry not tried moved nothing");

        vm.prank(KEEPER);
        (ok, ret) = address(guard).call{gas: 2_000_000}(abi.encodeCall(guard.topUpBatch, (_ids(other))));
        vm.assertTrue(ok, "enough gas for the rest");
        (amounts,) = abi.decode(ret, (uint256[], uint256[]));
        vm.assertGt(amounts[0], 0);
        vm.assertGe(lens.health(other), TARGET);
    }

    /// @dev The fields of the one BatchStopped among the recorded logs.
    function _batchStopped() internal returns (uint256 index, uint256 length, uint256 left) {
        VmLog[] memory logs = vm.getRecordedLogs();
        uint256 found;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(guard) || logs[i].topics[0] != IMarginGuard.BatchStopped.selector) continue;
            (index, length, left) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            ++found;
        }
        vm.assertEq(found, 1, "one BatchStopped");
    }

    function test_topUpFor_calledByAnOutsider_revertsUnauthorized() public {
        _guardedDeposit(_depositTerms(), 10e18, type(uint256).max);
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, KEEPER));
        guard.topUpFor(vaultId, KEEPER);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.Unauthorized.selector, vaultId, ALICE));
        guard.topUpFor(vaultId, ALICE);
        vm.assertEq(weth.balanceOf(ALICE), 10e18);
    }

    /* SAVED FROM LIQUIDATION */

    /// @dev At $1,650 the vault's max debt is 14,850 < 15,000: liquidatable. A top-up brings it to 1.25 first,
    /// after which the liquidation reverts VaultHealthy.
    function test_topUp_savesTheVaultFromLiquidation() public {
        _setPolicy(ALICE, vaultId, _depositTerms());
        _fundWallet(weth, ALICE, 10e18, type(uint256).max);
        _fundLiquidator(LIQUIDATOR, 100_000e6);
        _setPrice(1_650e8);
        vm.assertTrue(lens.isLiquidatable(vaultId));
        uint256 snap = vm.snapshotState();
        vm.prank(LIQUIDATOR);
        engine.liquidate(vaultId, type(uint256).max, 0, LIQUIDATOR, ""); // without the guard it goes
        vm.revertToState(snap);

        _topUp(vaultId);
        vm.assertFalse(lens.isLiquidatable(vaultId));
        vm.assertGe(lens.health(vaultId), TARGET);
        vm.prank(LIQUIDATOR);
        vm.expectRevert(abi.encodeWithSelector(IIsomarginEngine.VaultHealthy.selector, vaultId));
        engine.liquidate(vaultId, type(uint256).max, 0, LIQUIDATOR, "");
    }

    function test_constructor_readsEngineFromLens() public view {
        vm.assertEq(address(guard.lens()), address(lens));
        vm.assertEq(address(guard.engine()), address(engine));
    }
}

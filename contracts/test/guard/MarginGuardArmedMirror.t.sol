// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm, VmLog} from "../utils/Vm.sol";
import {GuardBase} from "./GuardBase.sol";
import {ReentrantToken} from "../adversarial/Attackers.sol";
import {IsomarginEngine} from "../../src/IsomarginEngine.sol";
import {MarginGuard} from "../../src/MarginGuard.sol";
import {IIsomarginEngine, Vault} from "../../src/interfaces/IIsomarginEngine.sol";
import {IMarginGuard, ArmedPosition, GuardMode, GuardPolicy} from "../../src/interfaces/IMarginGuard.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice An executor the vault owner also approved as an engine operator: it runs `topUp`, and the fee transfer's
/// hook (a hooked collateral token) hands it control after the guard recorded the armed position and before it
/// emitted `ToppedUp`; it borrows against the vault there.
contract HookedOperatorExecutor {
    MarginGuard internal immutable guard;
    IsomarginEngine internal immutable engine;
    uint256 internal vaultId;
    uint256 internal borrowAssets;

    constructor(MarginGuard guard_, IsomarginEngine engine_) {
        (guard, engine) = (guard_, engine_);
    }

    function run(uint256 id, uint256 assets) external returns (uint256 amount, uint256 fee) {
        (vaultId, borrowAssets) = (id, assets);
        return guard.topUp(id);
    }

    /// @dev The fee hook: the guard is locked, the engine is not.
    function onFee() external {
        engine.borrow(vaultId, borrowAssets, address(this));
    }
}

/// @notice The armed position as the indexer and the keeper know it: from the guard's logs alone. A Solidity mirror
/// follows every log exactly as `MirrorProjection` / `ChainEventApplier` do (PolicySet sets the policy and its armed
/// position from the event; ToppedUp, which needs an active mirrored policy, re-arms it at the event's position;
/// PolicyRevoked of an active policy zeroes it), and the vault positions from the engine's post-state events. After
/// every step of random sequences (policies set, re-armed, replaced with a permit, revoked by the owner or an
/// operator; deposits, withdraws and borrows by the owner and the operator, third-party repays, partial
/// liquidations, prices, interest, expiry; single top-ups and batches repeating a vault) the test checks:
///   - the mirrored armed position equals `armedPosition(vaultId)` and the mirrored policy's existence the guard's;
///   - each `ToppedUp` carries exactly the vault's post-state from the engine's own event before it;
///   - the mirrors' predicate (`GuardPolicyRow.defends` / keeper `GuardPolicy.live`: active, not expired, no more
///     debt shares, at least the collateral per share, with `>=`/`<=` as written there) is true exactly when a
///     top-up would get past the guard's armed check: a top-up reverts `RiskRaisedSinceArmed` iff it is false.
contract MarginGuardArmedMirrorTest is GuardBase {
    uint256 internal constant STEPS = 16;

    struct MirroredPolicy {
        bool active;
        uint40 expiry;
        uint128 collateral;
        uint128 debtShares;
    }

    struct Position {
        uint128 collateral;
        uint128 debtShares;
    }

    uint256 internal vault2;
    uint256[2] internal ids;
    mapping(uint256 vaultId => MirroredPolicy) internal mirror;
    mapping(uint256 vaultId => Position) internal positions;
    /// @dev Each ToppedUp must equal the vault's post-state in the mirror when it is read (false only in the hook test).
    bool internal strictPostState = true;
    uint256 internal toppedUpSeen;
    uint256 internal policySetSeen;
    uint256 internal disarmedSeen;

    function setUp() public override {
        super.setUp();
        vault2 = _open(ALICE, 10e18, 12_000e6);
        ids = [vaultId, vault2];
        for (uint256 i; i < 2; ++i) {
            Vault memory v = _vault(ids[i]);
            positions[ids[i]] = Position(v.collateral, v.debtShares);
        }
        _fundWallet(weth, ALICE, 1_000e18, type(uint256).max);
        _fundWallet(usdc, ALICE, 1_000_000e6, type(uint256).max);
        vm.startPrank(ALICE);
        weth.approve(address(engine), type(uint256).max);
        usdc.approve(address(engine), type(uint256).max);
        engine.setOperator(OPERATOR, true);
        vm.stopPrank();
        _mintApprove(usdc, STRANGER, 10_000_000e6);
        _fundLiquidator(LIQUIDATOR, 10_000_000e6);
    }

    /* THE MIRROR: LOGS ONLY */

    /// @dev Applies the logs recorded since the last call, in order, as the Java mirrors do. Forge's recorder also
    /// keeps the logs of calls that reverted (a receipt does not): `reverted` drops them all (a failed top-level
    /// call), and in a batch an engine vault event not followed by its vault's ToppedUp belongs to an entry that
    /// reverted (a successful entry's deposit or repay is the last vault event before its ToppedUp) and is dropped.
    function _follow(bool reverted, bool batch) internal {
        VmLog[] memory logs = vm.getRecordedLogs();
        if (reverted) return;
        for (uint256 i; i < logs.length; ++i) {
            VmLog memory l = logs[i];
            if (l.emitter == address(engine)) {
                if (!batch || !_isVaultEvent(l) || _toppedUpNext(logs, i)) _engineLog(l);
            } else if (l.emitter == address(guard)) {
                _guardLog(l);
            }
        }
    }

    function _follow() internal {
        _follow(false, false);
    }

    function _isVaultEvent(VmLog memory l) internal view returns (bool) {
        bytes32 t = l.topics[0];
        return l.emitter == address(engine)
            && (t == IIsomarginEngine.CollateralDeposited.selector
                || t == IIsomarginEngine.Repaid.selector
                || t == IIsomarginEngine.CollateralWithdrawn.selector
                || t == IIsomarginEngine.Borrowed.selector
                || t == IIsomarginEngine.Liquidated.selector
                || t == IIsomarginEngine.VaultClosed.selector);
    }

    /// @dev Whether the next vault event or guard ToppedUp after log `i` is the ToppedUp of log `i`'s vault.
    function _toppedUpNext(VmLog[] memory logs, uint256 i) internal view returns (bool) {
        for (uint256 j = i + 1; j < logs.length; ++j) {
            VmLog memory l = logs[j];
            if (l.emitter == address(guard) && l.topics[0] == IMarginGuard.ToppedUp.selector) {
                return l.topics[1] == logs[i].topics[1];
            }
            if (_isVaultEvent(l)) return false;
        }
        return false;
    }

    function _engineLog(VmLog memory l) internal {
        bytes32 t = l.topics[0];
        if (l.topics.length < 2) return;
        uint256 id = uint256(l.topics[1]);
        Position storage p = positions[id];
        if (t == IIsomarginEngine.CollateralDeposited.selector) {
            (, p.collateral) = abi.decode(l.data, (uint256, uint128));
        } else if (t == IIsomarginEngine.CollateralWithdrawn.selector) {
            (,, p.collateral) = abi.decode(l.data, (address, uint256, uint128));
        } else if (t == IIsomarginEngine.Borrowed.selector) {
            (,,, p.debtShares) = abi.decode(l.data, (address, uint256, uint256, uint128));
        } else if (t == IIsomarginEngine.Repaid.selector) {
            (,, p.debtShares) = abi.decode(l.data, (uint256, uint256, uint128));
        } else if (t == IIsomarginEngine.Liquidated.selector) {
            (,,,, p.collateral, p.debtShares) =
                abi.decode(l.data, (uint256, uint256, uint256, uint256, uint128, uint128));
        } else if (t == IIsomarginEngine.VaultClosed.selector) {
            p.collateral = 0;
        }
    }

    function _guardLog(VmLog memory l) internal {
        bytes32 t = l.topics[0];
        if (t == IMarginGuard.PolicySet.selector) {
            uint256 id = uint256(l.topics[1]);
            (,,,, uint40 expiry,,, uint128 c, uint128 s) =
                abi.decode(l.data, (GuardMode, uint64, uint64, uint16, uint40, uint128, uint128, uint128, uint128));
            mirror[id] = MirroredPolicy({active: true, expiry: expiry, collateral: c, debtShares: s});
            ++policySetSeen;
        } else if (t == IMarginGuard.ToppedUp.selector) {
            uint256 id = uint256(l.topics[1]);
            (,,,,,, uint128 c, uint128 s) =
                abi.decode(l.data, (GuardMode, uint256, uint256, uint256, uint256, uint256, uint128, uint128));
            MirroredPolicy storage m = mirror[id];
            vm.assertTrue(m.active, "ToppedUp without an active mirrored policy (the indexer would stop)");
            if (strictPostState) {
                vm.assertEq(c, positions[id].collateral, "ToppedUp armedCollateral is not the vault's post-state");
                vm.assertEq(s, positions[id].debtShares, "ToppedUp armedDebtShares is not the vault's post-state");
            }
            (m.collateral, m.debtShares) = (c, s);
            ++toppedUpSeen;
        } else if (t == IMarginGuard.PolicyRevoked.selector) {
            uint256 id = uint256(l.topics[1]);
            if (mirror[id].active) delete mirror[id];
        }
    }

    /// @dev GuardPolicyRow.defends / keeper GuardPolicy.live, minus the owner (vaults never change owner).
    function _mirrorDefends(uint256 id) internal view returns (bool) {
        MirroredPolicy memory m = mirror[id];
        Position memory v = positions[id];
        return m.active && block.timestamp <= m.expiry && v.debtShares <= m.debtShares
            && uint256(v.collateral) * m.debtShares >= uint256(m.collateral) * v.debtShares;
    }

    /// @dev The mirror against the chain, and its predicate against the guard's own armed check.
    function _check() internal {
        for (uint256 i; i < 2; ++i) {
            uint256 id = ids[i];
            Vault memory v = _vault(id);
            vm.assertEq(positions[id].collateral, v.collateral, "mirrored collateral");
            vm.assertEq(positions[id].debtShares, v.debtShares, "mirrored debt shares");
            ArmedPosition memory a = guard.armedPosition(id);
            vm.assertEq(mirror[id].collateral, a.collateral, "mirrored armed collateral != armedPosition");
            vm.assertEq(mirror[id].debtShares, a.debtShares, "mirrored armed debt shares != armedPosition");
            bool onChain = guard.policy(id).owner != address(0);
            vm.assertEq(mirror[id].active, onChain, "mirrored policy existence");
            if (!onChain || block.timestamp > guard.policy(id).terms.expiry) {
                vm.assertFalse(_mirrorDefends(id), "mirror defends a vault without a live policy");
                continue;
            }
            // With a live policy the guard's first refusal after the policy checks is the armed one.
            uint256 snap = vm.snapshotState();
            vm.prank(KEEPER);
            (bool ok, bytes memory ret) = address(guard).call(abi.encodeCall(IMarginGuard.topUp, (id)));
            vm.revertToState(snap);
            bool disarmed = !ok && ret.length >= 4 && bytes4(ret) == IMarginGuard.RiskRaisedSinceArmed.selector;
            if (disarmed) ++disarmedSeen;
            vm.assertEq(_mirrorDefends(id), !disarmed, "the mirrors' armed predicate disagrees with the guard");
        }
        vm.recordLogs(); // drop the probes' logs
        vm.getRecordedLogs();
    }

    /* RANDOM STEPS */

    function _terms(uint256 r) internal view returns (GuardPolicy memory p) {
        uint64 trigger = uint64(_bound(r, 1.02e18, 1.3e18));
        uint64 target = trigger + uint64(_bound(r >> 64, 0.02e18, 0.3e18));
        uint16 fee = uint16(_bound(r >> 128, 0, 100));
        uint256 perDayMul = _bound(r >> 140, 1, 8);
        if ((r >> 200) & 1 == 0) {
            uint128 per = uint128(_bound(r >> 150, 0.05e18, 5e18));
            p = _terms(GuardMode.DepositCollateral, trigger, target, fee, per, uint128(per * perDayMul));
        } else {
            uint128 per = uint128(_bound(r >> 150, 100e6, 10_000e6));
            p = _terms(GuardMode.RepayDebt, trigger, target, fee, per, uint128(per * perDayMul));
        }
    }

    function _try(address who, address to, bytes memory data) internal returns (bool ok) {
        vm.prank(who);
        (ok,) = to.call(data);
    }

    function _step(uint256 seed) internal {
        uint256 op = seed % 18;
        if (op >= 14) op = op < 16 ? 9 : 10; // top-ups weighted up
        uint256 r = uint256(keccak256(abi.encode(seed)));
        uint256 id = ids[(seed >> 8) & 1];
        address actor = (seed >> 9) & 1 == 0 ? ALICE : OPERATOR;
        bool ok = true;
        vm.recordLogs();
        if (op == 0) {
            ok = _try(ALICE, address(guard), abi.encodeCall(IMarginGuard.setPolicy, (id, _terms(r))));
        } else if (op == 1) {
            Vault memory v = _vault(id);
            ok = _try(
                ALICE,
                address(guard),
                abi.encodeCall(
                    IMarginGuard.setPolicyArmedAt, (id, _terms(r), ArmedPosition(v.collateral, v.debtShares))
                )
            );
        } else if (op == 2) {
            ok = _try(actor, address(guard), abi.encodeCall(IMarginGuard.revokePolicy, (id)));
        } else if (op == 3) {
            ok = _try(
                ALICE, address(engine), abi.encodeCall(IIsomarginEngine.depositCollateral, (id, _bound(r, 1, 3e18)))
            );
        } else if (op == 4) {
            ok = _try(
                actor,
                address(engine),
                abi.encodeCall(IIsomarginEngine.withdrawCollateral, (id, _bound(r, 1, 2e18), actor))
            );
        } else if (op == 5) {
            ok = _try(
                actor, address(engine), abi.encodeCall(IIsomarginEngine.borrow, (id, _bound(r, 1e6, 2_000e6), actor))
            );
        } else if (op == 6) {
            ok = _try(STRANGER, address(engine), abi.encodeCall(IIsomarginEngine.repay, (id, _bound(r, 1e6, 2_000e6))));
        } else if (op == 7) {
            _setPrice(int256(_bound(r, 1_450e8, 2_300e8)));
        } else if (op == 8) {
            _warpFresh(block.timestamp + _bound(r, 1, 3 days));
        } else if (op == 9) {
            ok = _try(KEEPER, address(guard), abi.encodeCall(IMarginGuard.topUp, (id)));
        } else if (op == 10) {
            uint256[] memory batch = new uint256[](4);
            (batch[0], batch[1], batch[2], batch[3]) = (id, id, ids[((seed >> 8) & 1) ^ 1], id);
            ok = _try(KEEPER, address(guard), abi.encodeCall(IMarginGuard.topUpBatch, (batch)));
        } else if (op == 11) {
            ok = _try(
                LIQUIDATOR,
                address(engine),
                abi.encodeCall(IIsomarginEngine.liquidate, (id, _bound(r, 1e6, 20_000e6), 0, LIQUIDATOR, ""))
            );
        } else if (op == 12) {
            ok = _try(
                ALICE,
                address(guard),
                abi.encodeCall(IMarginGuard.setPolicyWithPermit, (id, _terms(r), 0, 0, 0, bytes32(0), bytes32(0)))
            );
        } else if ((r & 3) == 0) {
            _warpFresh(block.timestamp + 31 days); // past any policy's expiry
        } else {
            _setPrice(int256(_bound(r, 1_300e8, 1_800e8))); // a drop
        }
        _follow(!ok, op == 10);
        _check();
    }

    /// forge-config: default.fuzz.runs = 128
    function testFuzz_mirrorFromLogsAlone_matchesArmedPositionAndTheGuardsCheck(uint256[STEPS] calldata seeds) public {
        vm.recordLogs();
        _setPolicy(ALICE, vaultId, _depositTerms()); // start guarded, one vault per mode
        _setPolicy(ALICE, vault2, _repayTerms());
        _setPrice(1_800e8); // vault 1 under its trigger (1.08), vault 2 at 1.35
        _follow();
        _check();
        for (uint256 i; i < STEPS; ++i) {
            _step(seeds[i]);
        }
    }

    /// @dev The same random sequences, many in one test, counting what they exercised (no path left unvisited).
    function test_mirrorFromLogsAlone_manySequences_coverEveryPath() public {
        uint256[4] memory seen; // ToppedUp logs, PolicySet logs, disarmed verdicts, sequences
        for (uint256 k; k < 32; ++k) {
            uint256 snap = vm.snapshotState();
            vm.recordLogs();
            _setPolicy(ALICE, vaultId, _depositTerms());
            _setPolicy(ALICE, vault2, _repayTerms());
            _setPrice(1_800e8);
            _follow();
            _check();
            for (uint256 i; i < STEPS; ++i) {
                _step(uint256(keccak256(abi.encode("armed mirror", k, i))));
            }
            (seen[0], seen[1], seen[2], seen[3]) =
            (seen[0] + toppedUpSeen, seen[1] + policySetSeen, seen[2] + disarmedSeen, seen[3] + 1);
            vm.revertToState(snap);
        }
        vm.assertGe(seen[0], 24, "top-ups followed");
        vm.assertGe(seen[1], 120, "PolicySets followed");
        vm.assertGe(seen[2], 90, "disarmed verdicts compared");
    }

    /// @dev A fixed sequence through every path, so the properties are shown to bite (each path taken at least once).
    function test_mirrorFromLogsAlone_everyPath() public {
        vm.recordLogs();
        _setPolicy(ALICE, vaultId, _depositTerms());
        _setPolicy(ALICE, vault2, _repayTerms());
        _follow();
        _check();
        // price down: both vaults under their triggers, a batch repeating vault 1 tops up each once (then above)
        vm.recordLogs();
        _setPrice(1_450e8); // vault 1 at 0.87 (liquidatable), vault 2 at 1.0875
        uint256[] memory batch = new uint256[](3);
        (batch[0], batch[1], batch[2]) = (vaultId, vault2, vaultId);
        vm.prank(KEEPER);
        (uint256[] memory amounts,) = guard.topUpBatch(batch);
        vm.assertGt(amounts[0], 0);
        vm.assertGt(amounts[1], 0);
        vm.assertEq(amounts[2], 0, "above the trigger after the first");
        _follow();
        _check();
        vm.assertEq(toppedUpSeen, 2);

        // the owner withdraws what the guard deposited: disarmed (mirror and guard)
        vm.recordLogs();
        vm.prank(ALICE);
        engine.withdrawCollateral(vaultId, 0.5e18, ALICE);
        _follow();
        _check();
        vm.assertFalse(_mirrorDefends(vaultId), "withdraw disarms");
        // a term update keeps the old record; setPolicyArmedAt re-arms
        vm.recordLogs();
        _setPolicy(ALICE, vaultId, _depositTerms());
        _follow();
        _check();
        vm.assertFalse(_mirrorDefends(vaultId));
        Vault memory v = _vault(vaultId);
        vm.recordLogs();
        vm.prank(ALICE);
        guard.setPolicyArmedAt(vaultId, _depositTerms(), ArmedPosition(v.collateral, v.debtShares));
        _follow();
        _check();
        vm.assertTrue(_mirrorDefends(vaultId));

        // the operator borrows against vault 2: disarmed; a stranger's repay of more than it does not re-arm
        // (more shares still, or fewer shares at a lower ratio, the predicate decides either way)
        vm.recordLogs();
        vm.prank(OPERATOR);
        engine.borrow(vault2, 500e6, OPERATOR);
        _follow();
        _check();
        vm.assertFalse(_mirrorDefends(vault2), "borrow disarms");
        vm.recordLogs();
        _repay(STRANGER, vault2, 600e6);
        _follow();
        _check();
        vm.assertTrue(_mirrorDefends(vault2), "fewer shares, same collateral: armed again");

        // interest changes the debt, not the shares: still armed
        vm.recordLogs();
        _warpFresh(block.timestamp + 20 days);
        _follow();
        _check();
        vm.assertTrue(_mirrorDefends(vault2));

        // revoke then set: a fresh arming at the position as it stands
        vm.recordLogs();
        vm.prank(OPERATOR);
        guard.revokePolicy(vault2);
        vm.prank(ALICE);
        engine.borrow(vault2, 300e6, ALICE);
        _setPolicy(ALICE, vault2, _repayTerms());
        _follow();
        _check();
        vm.assertTrue(_mirrorDefends(vault2), "revoke then set arms as it stands");

        // expiry: not defended by either, and a new policy keeps the record
        vm.recordLogs();
        _warpFresh(block.timestamp + 31 days);
        _follow();
        _check();
        vm.assertFalse(_mirrorDefends(vault2), "expired");
        vm.recordLogs();
        _setPolicy(ALICE, vault2, _repayTerms());
        _follow();
        _check();
        vm.assertTrue(_mirrorDefends(vault2));
        vm.assertGt(disarmedSeen, 0, "the guard's armed check was hit");
    }

    /* THE FEE HOOK: CONTROL BETWEEN THE RECORD AND THE EVENT */

    /// @dev A hooked collateral token hands the executor (also the owner's engine operator) control during the fee
    /// transfer, after `_arm` and before `ToppedUp`: it borrows there. The event's armed position is still exactly
    /// what the guard stored (the top-up's post-state, not the borrow's), the engine's Borrowed log comes before
    /// ToppedUp, and a mirror applying both in log order reaches the guard's verdict: disarmed.
    function test_feeHookBorrow_betweenArmAndEvent_emittedArmedIsStoredOne_mirrorSeesDisarmed() public {
        ReentrantToken reth = new ReentrantToken("RETH", 18);
        (uint256 m, MockAggregator feed) = _seededMarket(address(reth));
        HookedOperatorExecutor ex = new HookedOperatorExecutor(guard, engine);
        reth.mint(ALICE, 30e18);
        vm.startPrank(ALICE);
        reth.approve(address(engine), type(uint256).max);
        reth.approve(address(guard), type(uint256).max);
        engine.setOperator(address(ex), true);
        uint256 id = engine.openVault(m, 10e18, 15_000e6);
        vm.stopPrank();
        ids[0] = id; // follow this vault in place of vault 1
        Vault memory v0 = _vault(id);
        positions[id] = Position(v0.collateral, v0.debtShares);

        vm.recordLogs();
        _setPolicy(ALICE, id, _depositTerms());
        _follow();
        vm.prank(OWNER);
        feed.setAnswer(1_800e8); // health 1.08 < 1.1

        strictPostState = false; // the borrow's Borrowed log lands between the deposit and ToppedUp
        reth.arm(address(ex), abi.encodeCall(HookedOperatorExecutor.onFee, ()), true);
        vm.recordLogs();
        (uint256 amount, uint256 fee) = ex.run(id, 100e6);
        vm.assertGt(fee, 0, "the fee hook ran");
        VmLog[] memory logs = vm.getRecordedLogs();
        // find ToppedUp: its armed fields are the stored record, the deposit's post-state, not the vault after it
        uint128 ec;
        uint128 es;
        bool sawBorrowFirst;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == IIsomarginEngine.Borrowed.selector) {
                sawBorrowFirst = true;
            }
            if (logs[i].emitter == address(guard) && logs[i].topics[0] == IMarginGuard.ToppedUp.selector) {
                vm.assertTrue(sawBorrowFirst, "the hook's Borrowed precedes ToppedUp");
                (,,,,,, ec, es) = abi.decode(
                    logs[i].data, (GuardMode, uint256, uint256, uint256, uint256, uint256, uint128, uint128)
                );
            }
        }
        ArmedPosition memory a = guard.armedPosition(id);
        vm.assertEq(ec, a.collateral, "emitted armed collateral == stored");
        vm.assertEq(es, a.debtShares, "emitted armed debt shares == stored");
        vm.assertEq(ec, v0.collateral + amount, "armed at the deposit's post-state");
        vm.assertEq(es, v0.debtShares, "armed before the hook's borrow");
        vm.assertGt(_vault(id).debtShares, es, "the hook borrowed");

        // replay the logs through the mirror and compare verdicts with the guard
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine)) _engineLog(logs[i]);
            else if (logs[i].emitter == address(guard)) _guardLog(logs[i]);
        }
        vm.prank(OWNER);
        feed.setAnswer(1_500e8);
        vm.assertFalse(_mirrorDefends(id), "the mirror sees the hook's borrow as disarming");
        vm.prank(KEEPER);
        vm.expectRevert(abi.encodeWithSelector(IMarginGuard.RiskRaisedSinceArmed.selector, id, ec, es));
        guard.topUp(id);
    }
}

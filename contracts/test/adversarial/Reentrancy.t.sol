// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {vm} from "../utils/Vm.sol";
import {FuzzBase} from "../fuzz/FuzzBase.sol";
import {ReentrantToken, ReentrantLiquidator, ReentryRecorder} from "./Attackers.sol";
import {IIsomarginEngine} from "../../src/interfaces/IIsomarginEngine.sol";
import {MockAggregator} from "../../src/mocks/MockAggregator.sol";

/// @notice Re-entry through token transfer hooks (loan and collateral token) and through the liquidation callback:
/// every re-entry reverts with ReentrancyGuardReentrantCall, and when the attacker swallows that revert the outer
/// operation ends exactly as it would without the attack.
contract ReentrancyTest is FuzzBase {
    bytes internal REENTRANT = abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);

    ReentrantToken internal rusd;
    ReentrantToken internal reth;
    uint256 internal m2;
    uint256 internal healthyVault; // BORROWER's, healthy
    uint256 internal badVault; // OTHER's, liquidatable

    function setUp() public override {
        super.setUp();
        rusd = new ReentrantToken("RUSD", 6);
        reth = new ReentrantToken("RETH", 18);
        MockAggregator feed = new MockAggregator(OWNER, 8, "RETH / USD", INITIAL_PRICE);
        vm.prank(OWNER);
        m2 = engine.createMarket(defaultParams(address(rusd), address(reth), address(feed)));

        _fund(LENDER, 2_000_000e6, 0);
        vm.prank(LENDER);
        engine.supply(m2, 1_000_000e6, LENDER);
        _fund(BORROWER, 100_000e6, 200e18);
        _fund(OTHER, 0, 10e18);
        _fund(LIQUIDATOR, 100_000e6, 0);
        vm.prank(BORROWER);
        healthyVault = engine.openVault(m2, 100e18, 10_000e6);
        vm.prank(OTHER);
        badVault = engine.openVault(m2, 10e18, 15_000e6);
        vm.prank(OWNER);
        feed.setAnswer(1_600e8); // 10 WETH at $1,600 carry at most $14,400 < $15,000 of debt
        vm.assertTrue(lens.isLiquidatable(badVault) && !lens.isLiquidatable(healthyVault));
    }

    function _fund(address who, uint256 loan, uint256 coll) internal {
        rusd.mint(who, loan);
        reth.mint(who, coll);
        vm.startPrank(who);
        rusd.approve(address(engine), type(uint256).max);
        reth.approve(address(engine), type(uint256).max);
        vm.stopPrank();
    }

    /// @dev Every outer operation of the engine that moves a token, with the actor allowed to run it.
    function _outer(uint256 i) internal view returns (address actor, bytes memory call) {
        uint256[] memory ids = new uint256[](1);
        ids[0] = badVault;
        bytes[12] memory calls = [
            abi.encodeCall(IIsomarginEngine.supply, (m2, 1_000e6, LENDER)),
            abi.encodeCall(IIsomarginEngine.withdraw, (m2, 1_000e6, LENDER)),
            abi.encodeCall(IIsomarginEngine.redeem, (m2, 1e12, LENDER)),
            abi.encodeCall(IIsomarginEngine.fundInsurance, (m2, 1e6)),
            abi.encodeCall(IIsomarginEngine.repay, (healthyVault, 1_000e6)),
            abi.encodeCall(IIsomarginEngine.borrow, (healthyVault, 1_000e6, BORROWER)),
            abi.encodeCall(IIsomarginEngine.openVault, (m2, 1e18, 500e6)),
            abi.encodeCall(IIsomarginEngine.depositCollateral, (healthyVault, 1e18)),
            abi.encodeCall(IIsomarginEngine.withdrawCollateral, (healthyVault, 1e18, BORROWER)),
            abi.encodeCall(IIsomarginEngine.closeVault, (healthyVault, BORROWER)),
            abi.encodeCall(IIsomarginEngine.liquidate, (badVault, type(uint256).max, 0, LIQUIDATOR, "")),
            abi.encodeCall(IIsomarginEngine.liquidateBatch, (m2, ids, LIQUIDATOR, ""))
        ];
        actor = i < 4 ? LENDER : i < 10 ? BORROWER : LIQUIDATOR;
        call = calls[i];
    }

    /// @dev Every nonReentrant entry point, as an attacker `self` would call it from inside a hook.
    function _inner(uint256 i, address self, uint256 mId, uint256 vaultId, uint256 victim)
        internal
        pure
        returns (bytes memory)
    {
        uint256[] memory ids = new uint256[](1);
        ids[0] = victim;
        bytes[13] memory calls = [
            abi.encodeCall(IIsomarginEngine.liquidate, (victim, type(uint256).max, 0, self, "")),
            abi.encodeCall(IIsomarginEngine.liquidateBatch, (mId, ids, self, "")),
            abi.encodeCall(IIsomarginEngine.borrow, (vaultId, 1_000e6, self)),
            abi.encodeCall(IIsomarginEngine.withdrawCollateral, (vaultId, 1e18, self)),
            abi.encodeCall(IIsomarginEngine.withdraw, (mId, 1e6, self)),
            abi.encodeCall(IIsomarginEngine.redeem, (mId, 1e6, self)),
            abi.encodeCall(IIsomarginEngine.supply, (mId, 1, self)),
            abi.encodeCall(IIsomarginEngine.repay, (vaultId, 1)),
            abi.encodeCall(IIsomarginEngine.depositCollateral, (vaultId, 1)),
            abi.encodeCall(IIsomarginEngine.closeVault, (vaultId, self)),
            abi.encodeCall(IIsomarginEngine.openVault, (mId, 0, 0)),
            abi.encodeCall(IIsomarginEngine.fundInsurance, (mId, 1)),
            abi.encodeCall(IIsomarginEngine.accrueInterest, (mId))
        ];
        return calls[i];
    }

    /// @dev Everything an attack could change: market books, the vaults, every holder's balances and shares.
    function _digest() internal view returns (bytes32) {
        address[6] memory who = [LENDER, BORROWER, OTHER, LIQUIDATOR, address(rusd), address(reth)];
        bytes memory b = abi.encode(
            engine.marketState(m2),
            engine.vaultCount(),
            rusd.balanceOf(address(engine)),
            reth.balanceOf(address(engine))
        );
        for (uint256 i; i < who.length; ++i) {
            b = abi.encode(b, rusd.balanceOf(who[i]), reth.balanceOf(who[i]), engine.supplyShares(m2, who[i]));
        }
        for (uint256 id = 1; id <= engine.vaultCount(); ++id) {
            b = abi.encode(b, engine.vault(id));
        }
        return keccak256(b);
    }

    function _armBoth(bytes memory payload, bool bubble) internal {
        rusd.arm(address(engine), payload, bubble);
        reth.arm(address(engine), payload, bubble);
    }

    function _assertBlocked(ReentryRecorder r) internal view {
        if (r.fired() == 0) return;
        vm.assertFalse(r.lastOk(), "re-entry succeeded");
        vm.assertTrue(keccak256(r.lastReturn()) == keccak256(REENTRANT), "re-entry not stopped by the guard");
    }

    /// @dev Hook re-raises the guard's revert: every outer operation reverts with ReentrancyGuardReentrantCall.
    function test_tokenHookReentry_revertsOuterOperation() public {
        for (uint256 o; o < 12; ++o) {
            (address actor, bytes memory outer) = _outer(o);
            for (uint256 i; i < 13; ++i) {
                uint256 snap = vm.snapshotState();
                _armBoth(_inner(i, address(rusd), m2, healthyVault, badVault), true);
                vm.prank(actor);
                (bool ok, bytes memory ret) = address(engine).call(outer);
                vm.assertFalse(ok, "outer operation survived a bubbling re-entry");
                vm.assertTrue(keccak256(ret) == keccak256(REENTRANT), "outer reverted with another error");
                vm.revertToState(snap);
            }
        }
    }

    /// @dev Hook swallows the revert: the outer operation completes with exactly the state it has without attack.
    function test_tokenHookReentry_swallowed_changesNothing() public {
        for (uint256 o; o < 12; ++o) {
            (address actor, bytes memory outer) = _outer(o);
            uint256 snap = vm.snapshotState();
            vm.prank(actor);
            (bool ok,) = address(engine).call(outer);
            vm.assertTrue(ok, "outer operation fails without attack");
            bytes32 clean = _digest();
            vm.revertToState(snap);

            for (uint256 i; i < 13; ++i) {
                snap = vm.snapshotState();
                _armBoth(_inner(i, address(rusd), m2, healthyVault, badVault), false);
                vm.prank(actor);
                (ok,) = address(engine).call(outer);
                vm.assertTrue(ok, "outer operation failed under a swallowed re-entry");
                vm.assertGt(rusd.fired() + reth.fired(), 0, "no hook fired");
                _assertBlocked(rusd);
                _assertBlocked(reth);
                vm.assertTrue(_digest() == clean, "re-entry attempt changed the outcome");
                vm.revertToState(snap);
            }
        }
    }

    /* LIQUIDATION CALLBACK */

    /// @dev An attacker liquidator on the default market with its own vault and supply, so re-entries it is
    /// authorized for outside a liquidation (borrow, withdraw, close its vault) are tried too.
    function _attacker() internal returns (ReentrantLiquidator a, uint256 ownVault, uint256 victim) {
        a = new ReentrantLiquidator(address(engine));
        _supply(LENDER, 1_000_000e6);
        usdc.mint(address(a), 1_000_000e6);
        weth.mint(address(a), 100e18);
        a.exec(address(usdc), abi.encodeCall(usdc.approve, (address(engine), type(uint256).max)));
        a.exec(address(weth), abi.encodeCall(weth.approve, (address(engine), type(uint256).max)));
        a.exec(address(engine), abi.encodeCall(IIsomarginEngine.supply, (marketId, 100_000e6, address(a))));
        ownVault = abi.decode(
            a.exec(address(engine), abi.encodeCall(IIsomarginEngine.openVault, (marketId, 100e18, 10_000e6))), (uint256)
        );
        victim = _open(BORROWER, 10e18, 15_000e6);
        _setPrice(1_600e8);
    }

    function _liquidateCall(uint256 victim, bool batch, address a) internal view returns (bytes memory) {
        uint256[] memory ids = new uint256[](1);
        ids[0] = victim;
        return batch
            ? abi.encodeCall(IIsomarginEngine.liquidateBatch, (marketId, ids, a, "cb"))
            : abi.encodeCall(IIsomarginEngine.liquidate, (victim, type(uint256).max, 0, a, "cb"));
    }

    function test_liquidationCallbackReentry_bubbles_revertsLiquidation() public {
        (ReentrantLiquidator a, uint256 ownVault, uint256 victim) = _attacker();
        for (uint256 batch; batch < 2; ++batch) {
            for (uint256 i; i < 13; ++i) {
                uint256 snap = vm.snapshotState();
                a.arm(address(engine), _inner(i, address(a), marketId, ownVault, victim), true);
                vm.expectRevert(REENTRANT);
                a.exec(address(engine), _liquidateCall(victim, batch == 1, address(a)));
                vm.revertToState(snap);
            }
        }
    }

    function test_liquidationCallbackReentry_swallowed_changesNothing() public {
        (ReentrantLiquidator a, uint256 ownVault, uint256 victim) = _attacker();
        for (uint256 batch; batch < 2; ++batch) {
            uint256 snap = vm.snapshotState();
            a.exec(address(engine), _liquidateCall(victim, batch == 1, address(a)));
            (uint256 seized, uint256 owed) = (a.cbSeized(), a.cbOwed());
            vm.assertGt(seized, 0);
            bytes32 clean = _defaultDigest(address(a), ownVault, victim);
            vm.revertToState(snap);

            for (uint256 i; i < 13; ++i) {
                snap = vm.snapshotState();
                a.arm(address(engine), _inner(i, address(a), marketId, ownVault, victim), false);
                a.exec(address(engine), _liquidateCall(victim, batch == 1, address(a)));
                vm.assertEq(a.fired(), 1);
                _assertBlocked(a);
                // The callback ran after the collateral arrived and before the loan tokens were pulled.
                vm.assertEq(a.cbMarketId(), marketId);
                vm.assertEq(a.cbSeized(), seized);
                vm.assertEq(a.cbOwed(), owed);
                vm.assertTrue(
                    _defaultDigest(address(a), ownVault, victim) == clean, "callback re-entry changed the outcome"
                );
                vm.revertToState(snap);
            }
        }
    }

    function _defaultDigest(address a, uint256 ownVault, uint256 victim) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                engine.marketState(marketId),
                engine.vault(ownVault),
                engine.vault(victim),
                engine.vaultCount(),
                usdc.balanceOf(a),
                weth.balanceOf(a),
                usdc.balanceOf(address(engine)),
                weth.balanceOf(address(engine)),
                engine.supplyShares(marketId, a)
            )
        );
    }
}

package io.isomargin.keeper.book;

import static io.isomargin.abi.testing.Deployment.units;
import static io.isomargin.keeper.GuardPolicies.wad;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.keeper.GuardPolicies;
import io.isomargin.keeper.InProcessIndexer;
import io.isomargin.keeper.KeeperBookHarness;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.TopUpCandidate;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * The book's margin-guard policies on a real chain: followed from the guard's logs (set, replaced, revoked) and undone
 * by a reorg, loaded with a mirror snapshot from the guard's logs; and the detector's guarded vaults under their
 * trigger, with the lens's health. Vaults hold 10 WETH ($20,000): health {@code 18,000 / debt}.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class GuardPolicyBookTest {
    private static final BigInteger FIVE_WETH = units(5, 18);

    private AnvilChain chain;
    private Deployment d;
    private String snapshot;

    @BeforeEach
    void lender(AnvilChain chain, Deployment d) {
        this.chain = chain;
        this.d = d;
        snapshot = chain.snapshot();
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(1_000_000, 6));
    }

    @AfterEach
    void revert() {
        chain.revert(snapshot);
    }

    @Test
    void policiesAreFollowedFromTheGuardsLogsAndUndoneByAReorg() throws Exception {
        Credentials ownerA = chain.credentials(2);
        Credentials ownerB = chain.credentials(3);
        BigInteger a = d.openVault(ownerA, d.wethMarket(), units(10, 18), units(15_000, 6)); // health 1.2
        BigInteger b = d.openVault(ownerB, d.wethMarket(), units(10, 18), units(12_000, 6)); // health 1.5
        GuardPolicies.set(d, ownerA, a, "1.1", "1.25", FIVE_WETH, FIVE_WETH);
        GuardPolicies.set(d, ownerB, b, "1.3", "1.5", FIVE_WETH, FIVE_WETH);
        d.guardAs(ownerB).revokePolicy(b).send();
        GuardPolicies.set(d, ownerA, a, "1.15", "1.3", FIVE_WETH, FIVE_WETH); // replaced
        long wethMarket = d.wethMarket().longValueExact();

        try (KeeperBookHarness keeper = KeeperBookHarness.guardedFromChain(d).start()) {
            GuardPolicy p = keeper.book.policy(a.longValueExact());
            assertNotNull(p, "A's policy from the guard's logs");
            assertEquals(wad("1.15"), p.triggerHealth(), "the replacement, not the first policy");
            assertEquals(wad("1.3"), p.targetHealth());
            assertEquals(ownerA.getAddress().toLowerCase(), p.owner());
            assertEquals(GuardPolicy.Mode.DEPOSIT_COLLATERAL, p.mode());
            assertEquals(50, p.feeBps());
            assertEquals(FIVE_WETH, p.maxPerTopUp());
            assertNull(keeper.book.policy(b.longValueExact()), "B's policy was revoked");
            LiquidationCandidates c = keeper.detector.latest().get(wethMarket);
            assertEquals(1, c.guarded());
            assertEquals(List.of(), c.topUps(), "A at 1.2 is above its trigger");

            String fork = chain.snapshot();
            // the branch to be orphaned: B guarded again, A revoked, a crash
            GuardPolicies.set(d, ownerB, b, "1.3", "1.5", FIVE_WETH, FIVE_WETH);
            d.guardAs(ownerA).revokePolicy(a).send();
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L));
            keeper.catchUp();
            assertNull(keeper.book.policy(a.longValueExact()));
            assertNotNull(keeper.book.policy(b.longValueExact()));
            assertEquals(List.of(b.longValueExact()), ids(keeper.detector.latest().get(wethMarket)),
                    "B at 1.2 under its 1.3 trigger; A unguarded");

            chain.revert(fork);
            // the new branch: the same crash, no policy change
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L));
            for (int i = 0; i < 8; i++) chain.mine();
            long head = chain.blockNumber();
            keeper.await("the reorg undone and the new branch judged",
                    () -> keeper.follower.reorgs() == 1 && keeper.detector.judgedBlock() >= head);
            assertEquals(p, keeper.book.policy(a.longValueExact()), "A's policy restored by the rollback");
            assertNull(keeper.book.policy(b.longValueExact()), "B's re-set undone");
            LiquidationCandidates after = keeper.detector.latest().get(wethMarket);
            assertEquals(List.of(a.longValueExact()), ids(after));
            TopUpCandidate t = after.topUps().getFirst();
            assertEquals(healthAt(a, head), t.health(), "exact health, as the lens's");
            assertTrue(t.liquidatable(), "0.96: liquidatable");
        }
    }

    @Test
    void aMirrorSnapshotCarriesThePoliciesFromTheGuardsLogsThenFollowsLive(PostgresDatabase db) throws Exception {
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        BigInteger b = d.openVault(owner, d.wethMarket(), units(10, 18), units(12_000, 6));
        BigInteger closed = d.openVault(owner, d.wethMarket(), units(1, 18), units(200, 6)); // a position to guard
        GuardPolicies.set(d, owner, a, "1.1", "1.25", FIVE_WETH, FIVE_WETH);
        GuardPolicies.set(d, owner, b, "1.3", "1.5", FIVE_WETH, FIVE_WETH);
        d.guardAs(owner).revokePolicy(b).send();
        GuardPolicies.set(d, owner, closed, "1.1", "1.25", FIVE_WETH, FIVE_WETH);
        d.mintAndApprove(owner, d.usdc().getContractAddress(), units(300, 6)); // the debt and its interest
        d.engineAs(owner).closeVault(closed, owner.getAddress()).send();

        try (InProcessIndexer indexer = new InProcessIndexer(d, db).startAndCatchUp(d);
                KeeperBookHarness keeper = KeeperBookHarness.guardedFromMirror(d, InProcessIndexer.database(db))) {
            keeper.follower.start();
            assertEquals(indexer.runner.indexedBlock(), keeper.detector.judgedBlock(), "judged from the snapshot");
            assertEquals(0, keeper.book.journalSize(), "nothing was applied from the follower yet");
            assertNotNull(keeper.book.policy(a.longValueExact()), "A's policy with the snapshot");
            assertNull(keeper.book.policy(b.longValueExact()), "B's was revoked");
            assertNull(keeper.book.policy(closed.longValueExact()), "a closed vault's policy is not kept");
            assertEquals(1, keeper.detector.latest().get(d.wethMarket().longValueExact()).guarded());

            // live, from the follower
            GuardPolicies.set(d, owner, b, "1.6", "1.8", FIVE_WETH, FIVE_WETH);
            keeper.catchUp();
            assertEquals(wad("1.6"), keeper.book.policy(b.longValueExact()).triggerHealth());
            LiquidationCandidates c = keeper.detector.latest().get(d.wethMarket().longValueExact());
            assertEquals(2, c.guarded());
            assertEquals(List.of(b.longValueExact()), ids(c), "B at 1.5 under its new 1.6 trigger");
        }
    }

    /**
     * The armed position a policy defends, as the guard records it: from the PolicySet, moved by each ToppedUp, both
     * on the chain path and with a mirror snapshot (the guard's logs); a borrow since disarms the vault, which then
     * no longer counts as guarded.
     */
    @Test
    void theArmedPositionFollowsPolicySetAndToppedUpAndABorrowDisarms(PostgresDatabase db) throws Exception {
        Credentials owner = chain.credentials(2);
        Credentials executor = chain.credentials(5);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6)); // health 1.2
        GuardPolicies.set(d, owner, a, "1.3", "1.5", FIVE_WETH, FIVE_WETH); // under its trigger already
        d.mintAndApprove(owner, d.weth().getContractAddress(), FIVE_WETH);
        d.tokenAs(d.weth().getContractAddress(), owner).approve(d.guard().getContractAddress(), FIVE_WETH).send();
        d.guardAs(executor).topUp(a).send();
        var armed = d.guard().armedPosition(a).send();
        assertTrue(armed.collateral.compareTo(units(10, 18)) > 0, "the top-up moved the armed position");

        try (InProcessIndexer indexer = new InProcessIndexer(d, db).startAndCatchUp(d);
                KeeperBookHarness fromMirror = KeeperBookHarness.guardedFromMirror(d, InProcessIndexer.database(db));
                KeeperBookHarness fromChain = KeeperBookHarness.guardedFromChain(d).start()) {
            fromMirror.follower.start();
            for (KeeperBookHarness k : List.of(fromMirror, fromChain)) {
                GuardPolicy p = k.book.policy(a.longValueExact());
                assertEquals(armed.collateral, p.armedCollateral());
                assertEquals(armed.debtShares, p.armedDebtShares());
                assertTrue(p.armed(k.book.vault(a.longValueExact())));
                assertEquals(1, k.detector.latest().get(d.wethMarket().longValueExact()).guarded());
            }
            d.engineAs(owner).borrow(a, units(100, 6), owner.getAddress()).send();
            for (KeeperBookHarness k : List.of(fromMirror, fromChain)) {
                k.catchUp();
                assertTrue(!k.book.policy(a.longValueExact()).armed(k.book.vault(a.longValueExact())), "disarmed");
                assertEquals(0, k.detector.latest().get(d.wethMarket().longValueExact()).guarded());
            }
        }
    }

    private static List<Long> ids(LiquidationCandidates c) {
        return c.topUps().stream().map(TopUpCandidate::vaultId).toList();
    }

    private BigInteger healthAt(BigInteger vault, long block) throws Exception {
        var lens = d.lens();
        lens.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        try {
            return lens.health(vault).send();
        } finally {
            lens.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        }
    }
}

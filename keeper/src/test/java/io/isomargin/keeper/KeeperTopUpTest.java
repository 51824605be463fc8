package io.isomargin.keeper;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.CapturedLogs;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Margin-guard top-ups by {@code keeper run} (config file, real Anvil chain, the deployment's guard): a guarded vault
 * a price drop pushes under its trigger is topped up from its owner's wallet, not liquidated, even when the drop made
 * it liquidatable; one whose top-up cannot run (no allowance, no balance, a cap that leaves it liquidatable) is
 * counted by reason and liquidated; a revoked policy tops up nothing; {@code guard.enabled} turns it off, and a
 * deployment without a guard runs without top-ups.
 *
 * <p>Every vault here holds 10 WETH ($20,000 at the initial $2,000) in the WETH/USDC market (10% maintenance margin):
 * its health is {@code 18,000 / debt}; the crash takes WETH to $1,600 (health {@code 14,400 / debt}).
 */
@ExtendWith(AnvilExtension.class)
class KeeperTopUpTest {
    private static final Pattern OPS = Pattern.compile("status on (http://[0-9.]+:[0-9]+)");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final BigInteger CRASHED = Deployment.WETH_PRICE.multiply(BigInteger.valueOf(80))
            .divide(BigInteger.valueOf(100));

    @TempDir
    Path dir;

    private AnvilChain chain;
    private Deployment d;
    private String snapshot;
    private Credentials keeperKey;
    /** The hash of the block {@link #crash()} last landed in. */
    private String crashHash;
    /** Its number. */
    private long crashBlock = -1;

    @BeforeEach
    void lendersAndAFundedKeeper(AnvilChain chain, Deployment d) throws Exception {
        this.chain = chain;
        this.d = d;
        snapshot = chain.snapshot();
        keeperKey = chain.credentials(6);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(10_000_000, 6));
        d.tokenAs(d.usdc().getContractAddress(), keeperKey).mint(keeperKey.getAddress(), units(10_000_000, 6)).send();
    }

    @AfterEach
    void revert() {
        chain.revert(snapshot);
    }

    @Test
    void aGuardedVaultPushedUnderItsTriggerIsToppedUpNotLiquidated() throws Exception {
        // the batch gas limit's reserve follows the deployed guard's per-entry gas
        assertEquals(BigInteger.valueOf(io.isomargin.keeper.exec.TopUpExecutor.TOP_UP_GAS),
                d.guard().TOP_UP_GAS().send());
        // A: health 1.2, trigger 1.1; the crash takes it to 0.96, liquidatable at its pre-top-up collateral
        Credentials ownerA = chain.credentials(2);
        BigInteger a = d.openVault(ownerA, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(ownerA, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(ownerA, a, "1.1", "1.25", units(5, 18), units(5, 18));
        // B: health 1.5, trigger 1.3; the crash takes it to 1.2: under its trigger, not liquidatable
        Credentials ownerB = chain.credentials(3);
        BigInteger b = d.openVault(ownerB, d.wethMarket(), units(10, 18), units(12_000, 6));
        fund(ownerB, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(ownerB, b, "1.3", "1.5", units(5, 18), units(5, 18));
        // C: like A, unguarded: liquidated
        BigInteger c = d.openVault(chain.credentials(4), d.wethMarket(), units(10, 18), units(15_000, 6));

        try (Running k = run(config(deployment(), ""))) {
            await("both policies tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 2);
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_sent_total"), "nothing under its trigger yet");

            long crash = crash();
            assertTrue(liquidatableAt(a, crash), "A liquidatable at the crash");
            assertTrue(liquidatableAt(c, crash), "C liquidatable at the crash");
            assertFalse(liquidatableAt(b, crash), "B not liquidatable at the crash");

            await("both guarded vaults topped up", () -> toppedUp(crash).size() == 2);
            await("the unguarded vault liquidated", () -> !liquidatable(c));
            await("the top-ups counted", () -> metric(k, "isomargin_keeper_top_ups_saved_total") == 2);
            for (MarginGuard.ToppedUpEventResponse e : toppedUp(crash)) {
                assertEquals(keeperKey.getAddress(), e.executor, "the keeper ran the top-up");
                assertEquals(0, e.mode.signum(), "collateral deposited");
                assertTrue(e.fee.signum() > 0, "the keeper earned its fee");
                BigInteger target = wad(e.vaultId.equals(a) ? "1.25" : "1.5");
                assertTrue(e.healthAfter.compareTo(target) >= 0, "brought to its target: " + e.healthAfter);
            }
            assertEquals(List.of(c.longValueExact()), liquidatedSince(crash).stream().distinct().toList(),
                    "only the unguarded vault liquidated, none of the guarded ones");
            // the liquidation no top-up could change went first, not behind the top-ups' simulations
            long liquidationNonce = nonceOf(logs(d.engine().getContractAddress(),
                    EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT), crash).get(0));
            for (MarginGuard.ToppedUpEventResponse e : toppedUp(crash)) {
                assertTrue(nonceOf(e.log) > liquidationNonce, "top-up of vault " + e.vaultId + " sent before the "
                        + "unguarded vault's liquidation");
            }
            assertTrue(health(a).compareTo(wad("1.24")) > 0 && health(b).compareTo(wad("1.49")) > 0,
                    "both healthy (a little interest since)");

            assertEquals(2.0, metric(k, "isomargin_keeper_top_ups_sent_total"));
            assertEquals(2.0, metric(k, "isomargin_keeper_top_ups_total{market=\"" + d.wethMarket() + "\"}"));
            for (String reason : List.of("cap", "allowance", "balance", "expired", "disarmed", "other")) {
                assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"" + reason + "\"}"),
                        reason);
            }
            assertTrue(metric(k, "isomargin_keeper_net_profit{market=\"" + d.wethMarket() + "\"}") > 0);
            JsonObject market = statusMarket(k);
            assertEquals(2, market.getInteger("guarded"), market.encode());
            assertEquals(0, market.getInteger("belowTrigger"), "both above their trigger again: " + market.encode());
        }
    }

    @Test
    void aGuardedVaultWhoseOwnerGaveNoAllowanceOrHasNoBalanceIsCountedAndLiquidated() throws Exception {
        Credentials noAllowance = chain.credentials(2);
        BigInteger a = d.openVault(noAllowance, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(noAllowance, units(5, 18), BigInteger.ZERO);
        setPolicy(noAllowance, a, "1.1", "1.25", units(5, 18), units(5, 18));
        Credentials noBalance = chain.credentials(3);
        BigInteger b = d.openVault(noBalance, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(noBalance, BigInteger.ZERO, FullMath.UINT256_MAX);
        setPolicy(noBalance, b, "1.1", "1.25", units(5, 18), units(5, 18));

        try (Running k = run(config(deployment(), ""))) {
            await("both policies tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 2);
            long crash = crash();
            assertTrue(liquidatableAt(a, crash) && liquidatableAt(b, crash));

            await("both liquidated", () -> !liquidatable(a) && !liquidatable(b));
            await("the failures counted", () -> metric(k, "isomargin_keeper_top_ups_failed_total{reason="
                    + "\"allowance\"}") == 1 && metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"balance\"}")
                    == 1);
            assertEquals(List.of(a.longValueExact(), b.longValueExact()), liquidatedSince(crash).stream().distinct()
                    .sorted().toList(), "both liquidated by the keeper");
            assertEquals(List.of(), toppedUp(crash), "no top-up ran");
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_sent_total"));
            // still under their trigger after the liquidations, still failing for the same reasons: counted once
            k.mineAndWait(3);
            assertEquals(1.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"allowance\"}"));
            assertEquals(1.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"balance\"}"));
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"cap\"}"));
        }
    }

    @Test
    void guardedVaultsUnderTheirTriggerGoInOneBatchOnOneGasEstimateAndTheRefusedOneIsNamed() throws Exception {
        // six vaults of one owner, health 1.5, trigger 1.3: the crash takes them to 1.2, under their trigger but not
        // liquidatable; the owner's wallet covers all six
        Credentials owner = chain.credentials(2);
        List<BigInteger> guarded = new ArrayList<>();
        for (int i = 0; i < 6; i++) guarded.add(d.openVault(owner, d.wethMarket(), units(10, 18), units(12_000, 6)));
        fund(owner, units(30, 18), FullMath.UINT256_MAX);
        for (BigInteger v : guarded) setPolicy(owner, v, "1.3", "1.5", units(5, 18), units(5, 18));
        // R: the same, but its owner never approved the guard
        Credentials ownerR = chain.credentials(3);
        BigInteger r = d.openVault(ownerR, d.wethMarket(), units(10, 18), units(12_000, 6));
        fund(ownerR, units(5, 18), BigInteger.ZERO);
        setPolicy(ownerR, r, "1.3", "1.5", units(5, 18), units(5, 18));

        try (FaultProxy rpc = FaultProxy.start(chain.rpcUrl());
                Running k = run(config(deployment(), "", "", rpc.url()))) {
            await("the policies tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 7);
            int estimatesBefore = rpc.requestCount("eth_estimateGas");
            long crash = crash();

            await("the six topped up", () -> toppedUp(crash).size() == 6);
            await("the refusal counted", () -> metric(k, "isomargin_keeper_top_ups_failed_total{reason="
                    + "\"allowance\"}") == 1);
            List<MarginGuard.ToppedUpEventResponse> done = toppedUp(crash);
            assertEquals(guarded.stream().sorted().toList(), done.stream().map(e -> e.vaultId).sorted().toList());
            assertEquals(1, done.stream().map(e -> e.log.getTransactionHash()).distinct().count(),
                    "all six in one topUpBatch");
            // the gas of a top-up is estimated for one vault of the market and mode a block, not for each vault
            // (every call is an execution on the node that the next block's liquidations wait behind)
            int estimates = rpc.requestCount("eth_estimateGas") - estimatesBefore;
            assertTrue(estimates < guarded.size(), estimates + " gas estimates for " + guarded.size() + " vaults");
            assertEquals(List.of(), liquidatedSince(crash), "nothing liquidatable, nothing liquidated");
        }
    }

    @Test
    void aGuardedVaultThatCannotBeToppedUpDoesNotHoldBackOtherLiquidationsWithOneTransactionInFlight()
            throws Exception {
        // G: health 1.5, trigger 1.3; the crash takes it to 1.2, under its trigger but not liquidatable; its owner
        // never approved the guard, so every block's top-up is refused and sends nothing
        Credentials ownerG = chain.credentials(2);
        BigInteger g = d.openVault(ownerG, d.wethMarket(), units(10, 18), units(12_000, 6));
        fund(ownerG, units(5, 18), BigInteger.ZERO);
        setPolicy(ownerG, g, "1.3", "1.5", units(5, 18), units(5, 18));
        // C: unguarded, liquidatable after the crash
        BigInteger c = d.openVault(chain.credentials(4), d.wethMarket(), units(10, 18), units(15_000, 6));

        try (Running k = run(config(deployment(), "", "  max-in-flight: 1\n"))) {
            await("the policy tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 1);
            long crash = crash();
            assertTrue(liquidatableAt(c, crash) && !liquidatableAt(g, crash));

            // the one slot is kept for G's top-up first; when it sends nothing, C's liquidation takes the slot
            await("the unguarded vault liquidated", () -> !liquidatable(c));
            await("the refusal counted", () -> metric(k, "isomargin_keeper_top_ups_failed_total{reason="
                    + "\"allowance\"}") == 1);
            assertEquals(List.of(), toppedUp(crash), "no top-up ran");
            assertEquals(List.of(c.longValueExact()), liquidatedSince(crash).stream().distinct().toList());
        }
    }

    @Test
    void aTopUpThatWouldLeaveALiquidatableVaultLiquidatableDoesNotHoldOffItsLiquidation() throws Exception {
        // 0.1 WETH a top-up ($160 after the crash) cannot lift a vault at 0.96 to 1: the cap binds
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        BigInteger tenth = units(1, 17);
        setPolicy(owner, a, "1.1", "1.25", tenth, tenth);

        try (Running k = run(config(deployment(), ""))) {
            await("the policy tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 1);
            long crash = crash();
            assertTrue(liquidatableAt(a, crash));

            await("liquidated", () -> !liquidatable(a));
            await("the cap counted", () -> metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"cap\"}") >= 1);
            long firstLiquidation = firstLiquidationBlock(a, crash);
            for (MarginGuard.ToppedUpEventResponse e : toppedUp(crash)) {
                // liquidated back above 1 it is still under its trigger: a partial top-up may follow, never precede
                assertTrue(e.log.getBlockNumber().longValueExact() > firstLiquidation,
                        "a top-up before the liquidation, in #" + e.log.getBlockNumber());
            }
        }
    }

    /**
     * The block's top-ups are simulated after its first phase of liquidations, which on a slow node takes seconds; a
     * liquidatable guarded vault the guard refuses does not wait for them: its top-up is simulated alone beside the
     * first phase, the refusal counted, and it is liquidated before the top-up of another vault is sent.
     */
    @Test
    void aLiquidatableVaultTheGuardRefusesIsLiquidatedBeforeTheBlocksTopUpsGoOut() throws Exception {
        // A: liquidatable after the crash, and 0.1 WETH of cap cannot lift it to 1
        Credentials ownerA = chain.credentials(2);
        BigInteger a = d.openVault(ownerA, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(ownerA, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(ownerA, a, "1.1", "1.25", units(1, 17), units(1, 17));
        // B: under its trigger after the crash, not liquidatable: topped up
        Credentials ownerB = chain.credentials(3);
        BigInteger b = d.openVault(ownerB, d.wethMarket(), units(10, 18), units(12_000, 6));
        fund(ownerB, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(ownerB, b, "1.3", "1.5", units(5, 18), units(5, 18));

        try (Running k = run(config(deployment(), ""))) {
            await("both policies tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 2);
            long crash = crash();
            assertTrue(liquidatableAt(a, crash));
            assertFalse(liquidatableAt(b, crash));

            await("A liquidated", () -> !liquidatable(a));
            await("B topped up", () -> toppedUp(crash).stream().anyMatch(e -> e.vaultId.equals(b)));
            assertTrue(metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"cap\"}") >= 1, "A's cap counted");
            long liquidationNonce = nonceOf(logs(d.engine().getContractAddress(),
                    EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT), crash).get(0));
            for (MarginGuard.ToppedUpEventResponse e : toppedUp(crash)) {
                // liquidated back above 1, A is still under its trigger: a partial top-up of it may follow, too
                assertTrue(nonceOf(e.log) > liquidationNonce, "vault " + e.vaultId + "'s top-up sent before A's "
                        + "liquidation");
            }
        }
    }

    /**
     * A vault whose cap the guard found used up a block ago is not simulated again when it turns liquidatable: only
     * a new policy or the day's passing can lift a cap, so it is liquidated in the block's first phase, in the same
     * batch as an unguarded vault, rather than a phase behind.
     */
    @Test
    void aLiquidatableVaultWhoseCapIsKnownUsedUpGoesInTheFirstPhase() throws Exception {
        // A: under its trigger at 1,800 (health 1.08), topped up to its 0.1 WETH day cap, then refused for the cap
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(owner, a, "1.1", "1.25", units(1, 17), units(1, 17));
        // C: unguarded, liquidatable only after the crash
        BigInteger c = d.openVault(chain.credentials(4), d.wethMarket(), units(10, 18), units(15_000, 6));

        try (Running k = run(config(deployment(), ""))) {
            await("the policy tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 1);
            long dip = d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(90))
                    .divide(BigInteger.valueOf(100))).getBlockNumber().longValueExact();
            await("A topped up to its cap", () -> toppedUp(dip).size() == 1);
            await("the cap counted", () -> metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"cap\"}") == 1);

            long crash = crash();
            assertTrue(liquidatableAt(a, crash) && liquidatableAt(c, crash));
            await("both liquidated", () -> !liquidatable(a) && !liquidatable(c));
            Log first = logs(d.engine().getContractAddress(), EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT),
                    crash).get(0);
            List<Long> inFirst = new ArrayList<>();
            for (Log l : logs(d.engine().getContractAddress(), EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT),
                    crash)) {
                if (l.getTransactionHash().equals(first.getTransactionHash())) {
                    inFirst.add(IsomarginEngine.getLiquidatedEventFromLog(l).vaultId.longValueExact());
                }
            }
            assertEquals(List.of(a.longValueExact(), c.longValueExact()), inFirst.stream().distinct().sorted().toList(),
                    "A and C in the block's first liquidation");
            assertEquals(1.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"cap\"}"), "counted once");
        }
    }

    @Test
    void aVaultBorrowedAgainstSinceItsPolicyWasSetIsKnownDisarmedAndLiquidatedWithoutATopUp() throws Exception {
        // the guard defends the position as armed: 1,000 USDC borrowed after setPolicy disarms it until re-set. The
        // keeper knows from the PolicySet's armed position (and the ToppedUps since) and does not try a top-up.
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(14_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(owner, a, "1.1", "1.25", units(5, 18), units(5, 18));
        BigInteger b = d.openVault(owner, d.wethMarket(), units(10, 18), units(14_000, 6));
        setPolicy(owner, b, "1.1", "1.25", units(5, 18), units(5, 18));

        try (Running k = run(config(deployment(), ""))) {
            await("both policies tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 2);
            d.engineAs(owner).borrow(a, units(1_000, 6), owner.getAddress()).send();
            await("the borrow disarmed one", () -> metric(k, "isomargin_keeper_vaults_guarded") == 1);
            long crash = crash();
            assertTrue(liquidatableAt(a, crash));

            await("liquidated", () -> !liquidatable(a));
            await("the armed one topped up", () -> toppedUp(crash).size() == 1);
            assertEquals(b, toppedUp(crash).getFirst().vaultId, "only the armed vault");
            assertEquals(a.longValueExact(), liquidatedSince(crash).getFirst());
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"disarmed\"}"),
                    "never sent: the keeper knew");
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_failed_total{reason=\"other\"}"));
        }
    }

    @Test
    void aRevokedPolicyIsNotToppedUp() throws Exception {
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(owner, a, "1.1", "1.25", units(5, 18), units(5, 18));

        try (Running k = run(config(deployment(), ""))) {
            await("the policy tracked", () -> metric(k, "isomargin_keeper_vaults_guarded") == 1);
            d.guardAs(owner).revokePolicy(a).send();
            await("the revocation followed", () -> metric(k, "isomargin_keeper_vaults_guarded") == 0);

            long crash = crash();
            await("liquidated", () -> !liquidatable(a));
            assertEquals(List.of(), toppedUp(crash));
            assertEquals(a.longValueExact(), liquidatedSince(crash).getFirst());
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_sent_total"));
            assertEquals(0.0, metric(k, "isomargin_keeper_vaults_below_trigger"));
        }
    }

    @Test
    void aDryRunSaysWhatItWouldTopUpAndSendsNothing() throws Exception {
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(owner, a, "1.1", "1.25", units(5, 18), units(5, 18));

        try (CapturedLogs logs = CapturedLogs.start();
                Running k = run(config(deployment(), "dry-run: true\n"))) {
            long crash = crash();
            await("the top-up it would send", () -> logs.contains("dry-run: would top up market " + d.wethMarket()
                    + " vault(s) [" + a + "]"));
            k.mineAndWait(2);
            assertTrue(liquidatable(a), "neither topped up nor liquidated");
            assertEquals(List.of(), toppedUp(crash));
            assertEquals(List.of(), liquidatedSince(crash));
            assertFalse(logs.contains("dry-run: would liquidate market " + d.wethMarket() + " vault(s) [" + a + "]"),
                    "the vault a top-up would save is not one it would liquidate");
            assertEquals(0.0, metric(k, "isomargin_keeper_top_ups_sent_total"));
        }
    }

    @Test
    void guardEnabledFalseLiquidatesAGuardedVaultLikeAnyOther() throws Exception {
        Credentials owner = chain.credentials(2);
        BigInteger a = d.openVault(owner, d.wethMarket(), units(10, 18), units(15_000, 6));
        fund(owner, units(5, 18), FullMath.UINT256_MAX);
        setPolicy(owner, a, "1.1", "1.25", units(5, 18), units(5, 18));

        try (CapturedLogs logs = CapturedLogs.start();
                Running k = run(config(deployment(), "guard:\n  enabled: false\n"))) {
            assertTrue(logs.contains("top-ups are off (guard.enabled: false)"), logs.text());
            long crash = crash();
            await("liquidated", () -> !liquidatable(a));
            assertEquals(List.of(), toppedUp(crash));
            assertEquals(0.0, metric(k, "isomargin_keeper_vaults_guarded"), "no policy followed");
        }
    }

    @Test
    void aDeploymentFileWithoutAGuardRunsWithTopUpsOffAndSaysSoInOneLine() throws Exception {
        String file = Files.readString(deployment());
        Path old = Files.writeString(dir.resolve("no-guard.json"),
                file.replace("\"guard\": \"" + d.guard().getContractAddress() + "\", ", ""));
        assertFalse(Files.readString(old).contains("\"guard\""), "a deployment file from before the guard");
        BigInteger a = d.openVault(chain.credentials(2), d.wethMarket(), units(10, 18), units(15_000, 6));

        try (CapturedLogs logs = CapturedLogs.start(); Running k = run(config(old, ""))) {
            long crash = crash();
            await("liquidated as before", () -> !liquidatable(a));
            assertTrue(liquidatedSince(crash).contains(a.longValueExact()));
            List<String> lines = logs.text().lines().filter(l -> l.contains("margin guard")).toList();
            assertEquals(1, lines.size(), String.join("\n", lines));
            assertTrue(lines.getFirst().startsWith("margin guard: none in the deployment file")
                    && lines.getFirst().endsWith("top-ups are off"), lines.getFirst());
            assertEquals(0.0, metric(k, "isomargin_keeper_vaults_guarded"));
        }
    }

    /* HELPERS */

    /** Mints {@code weth} to {@code owner}'s wallet and approves the guard for {@code allowance}. */
    private void fund(Credentials owner, BigInteger weth, BigInteger allowance) throws Exception {
        var token = d.tokenAs(d.weth().getContractAddress(), owner);
        if (weth.signum() > 0) token.mint(owner.getAddress(), weth).send();
        token.approve(d.guard().getContractAddress(), allowance).send();
    }

    /** A deposit-collateral policy with a 0.5% fee, expiring in a day; healths as decimals ("1.1"). */
    private void setPolicy(Credentials owner, BigInteger vault, String trigger, String target, BigInteger maxPerTopUp,
            BigInteger maxPerDay) throws Exception {
        GuardPolicies.set(d, owner, vault, trigger, target, maxPerTopUp, maxPerDay);
    }

    private static BigInteger wad(String ratio) {
        return GuardPolicies.wad(ratio);
    }

    private Path deployment() throws Exception {
        return d.writeDeploymentFile(dir.resolve("deployment.json"));
    }

    private Path config(Path deployment, String more) throws Exception {
        return config(deployment, more, "");
    }

    /** @param gasMore more lines of the {@code gas} section, indented by two spaces */
    private Path config(Path deployment, String more, String gasMore) throws Exception {
        return config(deployment, more, gasMore, chain.rpcUrl());
    }

    /** @param rpcUrl the node the keeper talks to (the chain's, or a proxy in front of it) */
    private Path config(Path deployment, String more, String gasMore, String rpcUrl) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "keeper", ".yaml"), """
                deployment: %s
                rpc:
                  http-urls: [%s]
                  timeout: 2s
                follower:
                  poll-interval: 100ms
                key:
                  private-key-env: KEEPER_TEST_KEY
                gas:
                  max-fee-cap-gwei: 100
                  native-price-in-loan-token: 2000
                %shttp:
                  port: 0
                  max-silent-blocks: 30
                %s""".formatted(deployment, rpcUrl, gasMore, more));
    }

    private boolean liquidatable(BigInteger vault) {
        try {
            return d.lens().isLiquidatable(vault).send();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Moves WETH to {@link #CRASHED}; returns the block it landed in (and keeps its hash for {@link #liquidatableAt}).
     */
    private long crash() throws Exception {
        TransactionReceipt r = d.setPrice(d.wethMarket(), CRASHED);
        crashHash = r.getBlockHash();
        crashBlock = r.getBlockNumber().longValueExact();
        return crashBlock;
    }

    /**
     * Whether the lens found {@code vault} liquidatable in {@code block} (the crash block: pinned by its hash,
     * EIP-1898, not by its number, which the shared chain's snapshot reverts hand out again to every test of the
     * class).
     */
    private boolean liquidatableAt(BigInteger vault, long block) throws Exception {
        var lens = d.lens();
        Object at = block == crashBlock ? java.util.Map.of("blockHash", crashHash, "requireCanonical", true)
                : "0x" + Long.toHexString(block);
        Object answer = chain.rpc("eth_call", java.util.Map.of("to", lens.getContractAddress(),
                "data", lens.isLiquidatable(vault).encodeFunctionCall()), at);
        return new BigInteger(((String) answer).substring(2), 16).signum() != 0;
    }

    private BigInteger health(BigInteger vault) throws Exception {
        return d.lens().health(vault).send();
    }

    /** The guard's {@code ToppedUp} events from {@code fromBlock} on. */
    private List<MarginGuard.ToppedUpEventResponse> toppedUp(long fromBlock) {
        List<MarginGuard.ToppedUpEventResponse> out = new ArrayList<>();
        for (Log l : logs(d.guard().getContractAddress(), EventEncoder.encode(MarginGuard.TOPPEDUP_EVENT), fromBlock)) {
            out.add(MarginGuard.getToppedUpEventFromLog(l));
        }
        return out;
    }

    /** The vaults the keeper liquidated from {@code fromBlock} on, one entry per liquidation, in chain order. */
    private List<Long> liquidatedSince(long fromBlock) {
        List<Long> out = new ArrayList<>();
        for (Log l : logs(d.engine().getContractAddress(), EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT),
                fromBlock)) {
            var e = IsomarginEngine.getLiquidatedEventFromLog(l);
            if (e.liquidator.equalsIgnoreCase(keeperKey.getAddress())) out.add(e.vaultId.longValueExact());
        }
        return out;
    }

    private long nonceOf(Log l) {
        try {
            return chain.web3j().ethGetTransactionByHash(l.getTransactionHash()).send().getTransaction().orElseThrow()
                    .getNonce().longValueExact();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private long firstLiquidationBlock(BigInteger vault, long fromBlock) {
        for (Log l : logs(d.engine().getContractAddress(), EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT),
                fromBlock)) {
            if (IsomarginEngine.getLiquidatedEventFromLog(l).vaultId.equals(vault)) {
                return l.getBlockNumber().longValueExact();
            }
        }
        return fail("vault " + vault + " never liquidated");
    }

    private List<Log> logs(String address, String topic, long fromBlock) {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address);
        filter.addSingleTopic(topic);
        try {
            List<Log> out = new ArrayList<>();
            for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(filter).send().getLogs()) out.add((Log) r.get());
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The WETH/USDC market's entry of {@code /status}. */
    private JsonObject statusMarket(Running k) {
        JsonArray markets = new JsonObject(get(k.ops() + "/status").body()).getJsonArray("markets");
        for (Object o : markets) {
            JsonObject m = (JsonObject) o;
            if (m.getLong("marketId") == d.wethMarket().longValueExact()) return m;
        }
        return fail("no market " + d.wethMarket() + " in " + markets.encode());
    }

    /** A running {@code keeper run}: its ops URL; closing interrupts it and expects exit 0. */
    private record Running(String ops, AnvilChain chain, ByteArrayOutputStream out, Thread thread,
            CompletableFuture<Integer> exit) implements AutoCloseable {
        /** Mines {@code blocks} empty blocks and waits until the keeper has judged the last one. */
        void mineAndWait(int blocks) throws InterruptedException {
            for (int i = 0; i < blocks; i++) chain.mine();
            long head = chain.blockNumber();
            await("the keeper at #" + head, () -> new JsonObject(get(ops + "/health").body()).getLong("block")
                    >= head);
        }

        @Override
        public void close() throws Exception {
            thread.interrupt();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS), out.toString());
        }
    }

    private Running run(Path config) throws Exception {
        Map<String, String> env = Map.of("KEEPER_TEST_KEY",
                Numeric.toHexStringNoPrefixZeroPadded(keeperKey.getEcKeyPair().getPrivateKey(), 64));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        PrintStream print = new PrintStream(out, true);
        Thread thread = new Thread(() -> exit.complete(KeeperMain.commandLine(env, print, print, new KeeperRunner())
                .execute("run", "--config", config.toString())), "keeper-run");
        thread.start();
        await("the ops address printed", () -> OPS.matcher(out.toString()).find() || exit.isDone());
        Matcher m = OPS.matcher(out.toString());
        assertTrue(m.find(), out.toString());
        String ops = m.group(1);
        long head = chain.blockNumber();
        await("the keeper following at #" + head, () -> {
            HttpResponse<String> h = get(ops + "/health");
            return h.statusCode() == 200 && new JsonObject(h.body()).getLong("block") >= head;
        });
        return new Running(ops, chain, out, thread, exit);
    }

    private static double metric(Running k, String series) {
        String text = get(k.ops() + "/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static HttpResponse<String> get(String url) {
        try {
            return Http.get(url);
        } catch (Exception e) {
            throw new IllegalStateException(url + ": " + e.getMessage(), e);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
            Thread.sleep(100);
        }
    }
}

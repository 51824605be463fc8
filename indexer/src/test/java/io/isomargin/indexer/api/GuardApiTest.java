package io.isomargin.indexer.api;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.app.IndexerMetrics;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.projection.GuardWindow;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.testing.Guards;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.Scenario;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.tx.ReadonlyTransactionManager;

/**
 * The query API's margin-guard answers over a real mirror, each against the chain: a vault's policy with its rolling
 * cap (as the guard's {@code usedLast24h} at the mirror's block), its top-ups and policy history; {@code guarded} in
 * vault lists; {@code /guard/top-ups} with its filters and pages; and {@code /risk} with the guards' remaining
 * capacity against the chain moved to the shocked price and every guarded vault topped up there: the vaults the API
 * counts as saved are exactly the ones that are healthy again.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuardApiTest {
    private static final BigInteger WETH = BigInteger.TEN.pow(18);

    private AnvilChain chain;
    private Deployment d;
    private IndexerHarness indexer;
    private ApiServer api;
    private Deployment.Market m;
    private Credentials alice;
    private Credentials keeper;
    /** The market's vaults by role (see {@link #mirrorGuardedVaults}). */
    private final Map<String, BigInteger> vaults = new HashMap<>();
    private MarginGuard.ToppedUpEventResponse topUp;

    /**
     * A market without interest (so the chain can be moved to a shocked price and give the API's exact numbers) with
     * alice's vaults, 5 collateral tokens at $2,000 each unless said otherwise:
     * <ul>
     * <li>{@code topped}: 10 tokens against 14,000, guarded (deposit, trigger 1.3): topped up once, now healthy even at
     *     -20%; its daily cap is partly used;</li>
     * <li>{@code saved}: 7,400 of debt, guarded with 2 tokens of capacity: liquidatable at -20%, healthy after a top-up;
     *     </li>
     * <li>{@code short}: 7,600, guarded with 0.1 token of capacity: liquidatable at -20% even after it, so the guard refuses its top-up;</li>
     * <li>{@code unguarded}: 7,500, no policy;</li>
     * <li>{@code repaid}: 7,450, guarded by repaying up to 1,000 loan units: saved;</li>
     * <li>{@code expired}: 7,550, guarded with plenty of capacity but its policy expired;</li>
     * <li>{@code revoked}: 1,000, its policy set then revoked.</li>
     * </ul>
     */
    @BeforeAll
    void mirrorGuardedVaults(AnvilChain chain, Deployment d, PostgresDatabase db) throws Exception {
        this.chain = chain;
        this.d = d;
        alice = chain.credentials(2);
        keeper = chain.credentials(5);
        m = d.createMarket(6, 18, 8, Deployment.WETH_PRICE);
        var rates = new IsomarginEngine.RateModel(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO,
                WETH.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN));
        var p = Deployment.defaultParams(m.loan().getContractAddress(), m.collateral().getContractAddress(),
                m.feed().getContractAddress(), 6, 1_000);
        Scenario.send(d.engine().setRiskParams(m.id(), new IsomarginEngine.RiskUpdate(p.maxOracleAge,
                p.liquidationBonusBps, p.protocolFeeBps, p.closeFactorBps, p.reserveFactorBps, p.minDebt,
                rates))::send);
        d.fundAndSupply(chain.credentials(1), m.id(), units(1_000_000, 6));
        Guards.fund(d, alice, m.collateral().getContractAddress(), units(100, 18));
        Guards.fund(d, alice, m.loan().getContractAddress(), units(10_000, 6));
        long expiry = chain.latestTimestamp() + 10 * GuardWindow.DAY;

        vaults.put("topped", d.openVault(alice, m.id(), units(10, 18), units(14_000, 6)));
        Guards.setPolicy(d, alice, vaults.get("topped"), Guards.terms(Guards.DEPOSIT, 1_300, 1_500, 50, expiry, WETH,
                units(15, 17)));
        topUp = Guards.topUp(d, keeper, vaults.get("topped"));
        vaults.put("saved", d.openVault(alice, m.id(), units(5, 18), units(7_400, 6)));
        Guards.setPolicy(d, alice, vaults.get("saved"), Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0, expiry,
                units(2, 18), units(2, 18)));
        vaults.put("short", d.openVault(alice, m.id(), units(5, 18), units(7_600, 6)));
        Guards.setPolicy(d, alice, vaults.get("short"), Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0, expiry,
                units(1, 17), units(8, 17)));
        vaults.put("unguarded", d.openVault(alice, m.id(), units(5, 18), units(7_500, 6)));
        vaults.put("repaid", d.openVault(alice, m.id(), units(5, 18), units(7_450, 6)));
        Guards.setPolicy(d, alice, vaults.get("repaid"), Guards.terms(Guards.REPAY, 1_100, 1_300, 100, expiry,
                units(1_000, 6), units(1_000, 6)));
        vaults.put("expired", d.openVault(alice, m.id(), units(5, 18), units(7_550, 6)));
        Guards.setPolicy(d, alice, vaults.get("expired"), Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0,
                chain.latestTimestamp() + 60, units(5, 18), units(5, 18)));
        vaults.put("revoked", d.openVault(alice, m.id(), units(5, 18), units(1_000, 6)));
        Guards.setPolicy(d, alice, vaults.get("revoked"), Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0, expiry,
                WETH, WETH));
        Guards.revoke(d, alice, vaults.get("revoked"));
        chain.increaseTime(120); // the short policy expires
        indexer = IndexerHarness.create(d, db).startAndCatchUp(chain);
        api = ApiServer.start(indexer.vertx, new ApiServer.Options("127.0.0.1", 0, 5), new MirrorReader(indexer.pool),
                indexer.runner::status, IndexerMetrics.create(indexer.runner));
    }

    @AfterAll
    void stop() {
        if (api != null) api.close();
        if (indexer != null) indexer.close();
    }

    @Test
    void aVaultShowsItsPolicyWithTheRollingCapAsTheGuardCountsItAndItsTopUps() throws Exception {
        BigInteger id = vaults.get("topped");
        JsonObject v = getOk("/vaults/" + id);
        assertTrue(v.getBoolean("guarded"), v.encode());
        JsonObject guard = v.getJsonObject("guard");
        JsonObject policy = guard.getJsonObject("policy");
        assertEquals("deposit_collateral", policy.getString("mode"));
        assertEquals(m.collateral().getContractAddress().toLowerCase(), policy.getString("token"));
        assertEquals(alice.getAddress().toLowerCase(), policy.getString("owner"));
        assertEquals("1.3", policy.getString("triggerHealth"));
        assertEquals("1500000000000000000", policy.getString("targetHealthWad"));
        assertEquals(50, policy.getInteger("feeBps"));
        assertTrue(policy.getBoolean("live") && !policy.getBoolean("expired"), policy.encode());
        long block = v.getJsonObject("asOf").getLong("block");
        BigInteger used = pinnedGuard(block).usedLast24h(id,
                BigInteger.valueOf(GuardMode.of(policy.getString("mode")).ordinal())).send();
        assertEquals(topUp.usedLast24h, used);
        assertEquals(used.toString(), policy.getString("usedLast24h"));
        assertEquals(1, policy.getInteger("topUpsLast24h"));
        BigInteger remaining = units(15, 17).subtract(used);
        assertEquals(remaining.toString(), policy.getString("remainingDailyCap"));
        assertEquals(remaining.min(WETH).toString(), policy.getString("capacity"), "the daily cap binds");
        assertEquals(remaining.min(WETH).multiply(BigInteger.valueOf(10_000)).divide(BigInteger.valueOf(10_050))
                .toString(), policy.getString("capacityNet"));
        long toppedAt = Guards.time(chain, topUp.log.getBlockNumber().longValueExact());
        assertEquals(toppedAt + GuardWindow.DAY, policy.getLong("windowFreesAt"));

        assertEquals(1, guard.getLong("topUpCount"));
        JsonObject t = guard.getJsonArray("topUps").getJsonObject(0);
        assertEquals(topUp.log.getTransactionHash(), t.getString("txHash"));
        assertEquals(topUp.amount.toString(), t.getString("amount"));
        assertEquals(topUp.fee.toString(), t.getString("fee"));
        assertEquals(topUp.healthBefore.toString(), t.getString("healthBeforeWad"));
        assertEquals(topUp.healthAfter.toString(), t.getString("healthAfterWad"));
        assertEquals(keeper.getAddress().toLowerCase(), t.getString("executor"));
        assertEquals(toppedAt, t.getLong("timestamp"));
        assertEquals(topUp.amount.add(topUp.fee).toString(), t.getString("taken"));
        // the top-up re-armed the policy where it left the vault: the chain's armedPosition at the mirror's block
        assertEquals(List.of("topped_up", "set"), actions(guard));
        MarginGuard.ArmedPosition armed = pinnedGuard(block).armedPosition(id).send();
        assertEquals(armed.collateral.toString(), policy.getString("armedCollateral"));
        assertEquals(armed.debtShares.toString(), policy.getString("armedDebtShares"));
        assertEquals(v.getString("collateral"), policy.getString("armedCollateral"), "nothing moved it since");
        assertTrue(policy.getBoolean("armed"), policy.encode());
        JsonObject rearmed = guard.getJsonArray("policyHistory").getJsonObject(0);
        assertNull(rearmed.getValue("by"), "the top-up's executor is in its topUps entry");
        assertEquals(armed.collateral.toString(), rearmed.getString("armedCollateral"));
    }

    /**
     * A borrow since the policy armed the vault disarms it (the guard reverts {@code RiskRaisedSinceArmed}): the API
     * stops calling it guarded and the risk view stops counting on its capacity, until the owner arms it again at the
     * position it holds ({@code setPolicyArmedAt}).
     */
    @Test
    void aBorrowSinceArmingDisarmsTheGuardInTheApiAndTheRiskViewUntilReArmed() throws Exception {
        BigInteger id = vaults.get("saved");
        JsonObject before = getOk("/risk/" + m.id() + "?drop=20").getJsonObject("withGuards");
        assertEquals(4, before.getInteger("guardedVaults"), before.encode());
        assertEquals(2, before.getInteger("savedVaults"), before.encode());
        String snapshot = chain.snapshot();
        try {
            Scenario.send(d.engineAs(alice).borrow(id, units(10, 6), alice.getAddress())::send);
            indexer.catchUp(chain);
            JsonObject v = getOk("/vaults/" + id);
            assertFalse(v.getBoolean("guarded"), v.encode());
            JsonObject policy = v.getJsonObject("guard").getJsonObject("policy");
            assertTrue(policy.getBoolean("live") && !policy.getBoolean("armed"), policy.encode());
            MarginGuard.ArmedPosition armed = d.guard().armedPosition(id).send();
            assertEquals(armed.debtShares.toString(), policy.getString("armedDebtShares"));
            assertTrue(new BigInteger(v.getString("debtShares")).compareTo(armed.debtShares) > 0);
            JsonObject g = getOk("/risk/" + m.id() + "?drop=20").getJsonObject("withGuards");
            assertEquals(3, g.getInteger("guardedVaults"), g.encode());
            assertEquals(1, g.getInteger("savedVaults"), "only the repaid one: " + g.encode());
            assertEquals(before.getInteger("liquidatableVaults") + 1, g.getInteger("liquidatableVaults"), g.encode());
            boolean listed = getOk("/vaults?market=" + m.id()).getJsonArray("items").stream()
                    .map(o -> (JsonObject) o).filter(o -> o.getLong("id") == id.longValueExact())
                    .allMatch(o -> !o.getBoolean("guarded"));
            assertTrue(listed, "the list agrees");
            // the chain agrees: at the shocked price the guard refuses this vault
            String shocked = chain.snapshot();
            d.setPrice(m.id(), new BigInteger(getOk("/risk/" + m.id() + "?drop=20").getString("shockedPrice")));
            assertTrue(reverts(() -> d.guardAs(keeper).topUp(id).send()), "RiskRaisedSinceArmed");
            revertAndFollow(shocked);

            // re-armed at the position the owner sees: guarded again, and the PolicySet carried the new position
            IsomarginEngine.Vault now = d.engine().vault(id).send();
            Scenario.send(d.guardAs(alice).setPolicyArmedAt(id, Guards.terms(Guards.DEPOSIT, 1_100, 1_300, 0,
                    chain.latestTimestamp() + 10 * GuardWindow.DAY, units(2, 18), units(2, 18)),
                    new MarginGuard.ArmedPosition(now.collateral, now.debtShares))::send);
            indexer.catchUp(chain);
            JsonObject again = getOk("/vaults/" + id);
            assertTrue(again.getBoolean("guarded"), again.encode());
            JsonObject p2 = again.getJsonObject("guard").getJsonObject("policy");
            assertTrue(p2.getBoolean("armed"), p2.encode());
            assertEquals(now.debtShares.toString(), p2.getString("armedDebtShares"));
            assertEquals("replaced", actions(again.getJsonObject("guard")).getFirst());
            assertEquals(4, getOk("/risk/" + m.id() + "?drop=20").getJsonObject("withGuards")
                    .getInteger("guardedVaults"));
        } finally {
            revertAndFollow(snapshot);
        }
    }

    @Test
    void anExpiredPolicyIsShownButNotLiveAndARevokedOneOnlyInTheHistory() throws Exception {
        JsonObject expired = getOk("/vaults/" + vaults.get("expired"));
        assertFalse(expired.getBoolean("guarded"));
        JsonObject policy = expired.getJsonObject("guard").getJsonObject("policy");
        assertTrue(policy.getBoolean("expired") && !policy.getBoolean("live"), policy.encode());

        JsonObject revoked = getOk("/vaults/" + vaults.get("revoked"));
        assertFalse(revoked.getBoolean("guarded"));
        assertNull(revoked.getJsonObject("guard").getValue("policy"), revoked.encode());
        assertEquals(List.of("revoked", "set"), actions(revoked.getJsonObject("guard")));
        assertEquals(alice.getAddress().toLowerCase(), revoked.getJsonObject("guard").getJsonArray("policyHistory")
                .getJsonObject(0).getString("by"));

        JsonObject none = getOk("/vaults/" + vaults.get("unguarded"));
        assertFalse(none.getBoolean("guarded"));
        assertNull(none.getJsonObject("guard").getValue("policy"));
        assertEquals(0, none.getJsonObject("guard").getJsonArray("topUps").size());
        assertEquals(0, none.getJsonObject("guard").getLong("topUpCount"));
    }

    @Test
    void vaultListsMarkTheVaultsWithALivePolicy() throws Exception {
        List<Long> expected = List.of("topped", "saved", "short", "repaid").stream()
                .map(k -> vaults.get(k).longValueExact()).sorted().toList();
        for (String query : List.of("", "&sort=health")) {
            JsonArray items = getOk("/vaults?market=" + m.id() + query).getJsonArray("items");
            assertEquals(vaults.size(), items.size());
            List<Long> guarded = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                JsonObject v = items.getJsonObject(i);
                assertNotNull(v.getBoolean("guarded"), v.encode());
                if (v.getBoolean("guarded")) guarded.add(v.getLong("id"));
            }
            assertEquals(expected, guarded.stream().sorted().toList(), query);
        }
    }

    @Test
    void topUpsAreListedByVaultAndMarketInPages() throws Exception {
        MarginGuard.ToppedUpEventResponse second;
        String snapshot = chain.snapshot();
        try {
            d.setPrice(m.id(), BigInteger.valueOf(1_700_00000000L)); // below the trigger again
            second = Guards.topUp(d, keeper, vaults.get("topped"));
            indexer.catchUp(chain);
            JsonArray all = getOk("/guard/top-ups?market=" + m.id()).getJsonArray("items");
            assertEquals(List.of(topUp.log.getTransactionHash(), second.log.getTransactionHash()), txs(all));
            assertEquals(List.of(second.log.getTransactionHash(), topUp.log.getTransactionHash()),
                    txs(getOk("/guard/top-ups?vault=" + vaults.get("topped") + "&order=desc").getJsonArray("items")));
            JsonObject page = getOk("/guard/top-ups?market=" + m.id() + "&limit=1");
            assertEquals(List.of(topUp.log.getTransactionHash()), txs(page.getJsonArray("items")));
            JsonObject rest = getOk("/guard/top-ups?market=" + m.id() + "&limit=1&cursor=" + page.getString("nextCursor"));
            assertEquals(List.of(second.log.getTransactionHash()), txs(rest.getJsonArray("items")));
            assertNull(rest.getString("nextCursor"));
            assertEquals(second.usedLast24h.toString(), rest.getJsonArray("items").getJsonObject(0)
                    .getString("usedLast24h"));
            assertEquals(0, getOk("/guard/top-ups?vault=" + vaults.get("saved")).getJsonArray("items").size());
            assertEquals(0, getOk("/guard/top-ups?since=" + (second.log.getBlockNumber().longValueExact() + 1))
                    .getJsonArray("items").size());
            // the second top-up used the rest of the daily cap: nothing left for a third today
            JsonObject policy = getOk("/vaults/" + vaults.get("topped")).getJsonObject("guard")
                    .getJsonObject("policy");
            assertEquals(second.usedLast24h.toString(), policy.getString("usedLast24h"));
            assertEquals(units(15, 17).subtract(second.usedLast24h).max(BigInteger.ZERO).toString(),
                    policy.getString("remainingDailyCap"));
        } finally {
            revertAndFollow(snapshot);
        }
        assertError("/guard/top-ups?vault=x", "vault");
        assertError("/guard/top-ups?order=up", "order");
        assertError("/guard/top-ups?cursor=" + java.util.Base64.getUrlEncoder().encodeToString("l:1:2".getBytes()),
                "cursor");
        assertError("/guard/top-ups?owner=0x1", "owner");
    }

    /**
     * At -20% five vaults are liquidatable; with the guards, the saved and repaid ones are not. The chain moved to that
     * price, with every guarded vault topped up there by its policy (the expired one refuses), agrees vault by vault.
     */
    @Test
    void riskWithGuardsCountsExactlyTheVaultsATopUpAtTheShockedPriceSaves() throws Exception {
        JsonObject risk = getOk("/risk/" + m.id() + "?drop=20");
        assertEquals(5, risk.getInteger("liquidatableVaults"), risk.encode());
        JsonObject g = risk.getJsonObject("withGuards");
        assertEquals(4, g.getInteger("guardedVaults"), "topped, saved, short, repaid: " + g.encode());
        assertEquals(2, g.getInteger("savedVaults"), g.encode());
        assertEquals(3, g.getInteger("liquidatableVaults"), g.encode());
        JsonObject curve = getOk("/risk/" + m.id() + "/curve?max=20&step=10");
        assertEquals(risk.getJsonObject("withGuards"), curve.getJsonArray("points").getJsonObject(2)
                .getJsonObject("withGuards"));
        assertEquals(0, curve.getJsonArray("points").getJsonObject(0).getJsonObject("withGuards")
                .getInteger("savedVaults"), "nothing to save at today's price");

        String snapshot = chain.snapshot();
        try {
            d.setPrice(m.id(), new BigInteger(risk.getString("shockedPrice")));
            IsomarginLens lens = d.lens();
            Map<String, BigInteger> debtBefore = new HashMap<>();
            for (String k : vaults.keySet()) debtBefore.put(k, lens.debtOf(vaults.get(k)).send());
            for (String k : List.of("saved", "repaid")) Guards.topUp(d, keeper, vaults.get(k));
            assertTrue(reverts(() -> d.guardAs(keeper).topUp(vaults.get("expired")).send()), "the expired refuses");
            // 0.1 token cannot lift it to health 1: the guard refuses (StillLiquidatable), the owner keeps it
            assertTrue(reverts(() -> d.guardAs(keeper).topUp(vaults.get("short")).send()), "the short refuses");
            BigInteger debt = BigInteger.ZERO;
            BigInteger savedDebt = BigInteger.ZERO;
            BigInteger collateral = BigInteger.ZERO;
            List<String> liquidatable = new ArrayList<>();
            for (String k : List.of("topped", "saved", "short", "unguarded", "repaid", "expired", "revoked")) {
                BigInteger id = vaults.get(k);
                if (lens.isLiquidatable(id).send()) {
                    liquidatable.add(k);
                    debt = debt.add(debtBefore.get(k)); // deposits leave the debt; the repay saved its vault
                    collateral = collateral.add(d.engine().vault(id).send().collateral);
                } else if (List.of("saved", "repaid").contains(k)) {
                    savedDebt = savedDebt.add(debtBefore.get(k));
                }
            }
            assertEquals(List.of("short", "unguarded", "expired"), liquidatable);
            assertEquals(debt.toString(), g.getString("liquidatableDebt"));
            assertEquals(collateral.toString(), g.getString("liquidatableCollateral"), "short's own collateral");
            assertEquals(savedDebt.toString(), g.getString("savedDebt"));
        } finally {
            revertAndFollow(snapshot);
        }
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static boolean reverts(Call call) {
        try {
            call.run();
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    private static List<String> actions(JsonObject guard) {
        return guard.getJsonArray("policyHistory").stream().map(o -> ((JsonObject) o).getString("action")).toList();
    }

    private static List<String> txs(JsonArray items) {
        return items.stream().map(o -> ((JsonObject) o).getString("txHash")).toList();
    }

    /**
     * Reverts the chain to {@code snapshot} and waits until the mirror has rolled the orphaned blocks back (indexed
     * first, so that there is a reorg to roll back).
     */
    private void revertAndFollow(String snapshot) throws Exception {
        indexer.catchUp(chain);
        int reorgs = indexer.runner.reorgs();
        long orphanedHead = chain.blockNumber();
        chain.revert(snapshot);
        while (chain.blockNumber() <= orphanedHead) chain.mine();
        long head = chain.blockNumber();
        indexer.await("the revert to be rolled back", () -> indexer.runner.reorgs() > reorgs
                && indexer.runner.indexedBlock() >= head);
    }

    private MarginGuard pinnedGuard(long block) {
        String address = d.guard().getContractAddress();
        MarginGuard g = MarginGuard.load(address, chain.web3j(), new ReadonlyTransactionManager(chain.web3j(), address),
                chain.gasProvider());
        g.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        return g;
    }

    private void assertError(String path, String parameter) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(400, r.statusCode(), path + " -> " + r.body());
        assertEquals(parameter, new JsonObject(r.body()).getString("parameter"), r.body());
    }

    private JsonObject getOk(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(200, r.statusCode(), path + " -> " + r.body());
        return new JsonObject(r.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build());
    }
}

package io.isomargin.demo;

import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.MockERC20;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.web3j.protocol.Web3j;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * The margin guard's part of the demo's summary, read from the chain: guarded vaults, top-ups and their fees, the
 * guarded vaults the crash would have made liquidatable at their collateral and debt before it that ended healthy
 * ({@code guard_saved}), and the guarded vaults liquidated anyway, each of which must be one left short on purpose.
 *
 * @param fields the summary.json entries
 * @param ok     at least one vault saved and no guarded vault with wallet and caps to spare liquidated
 */
record GuardReport(Map<String, Object> fields, boolean ok) {

    /**
     * @param before collateral and debt of the crashed market's guarded vaults just before the crash, by vault
     * @param from   the first block to read events from (before the crash)
     */
    static GuardReport of(Web3j web3j, ChainProbe probe, DeploymentFile deployment,
            List<VaultPopulation.Guarded> guarded, Map<Long, BigInteger[]> before, long from, long lastStep, long end)
            throws Exception {
        Map<String, Object> f = new LinkedHashMap<>();
        if (!deployment.hasGuard()) return new GuardReport(f, true);
        Map<Long, VaultPopulation.Guarded> byId = new TreeMap<>();
        for (VaultPopulation.Guarded g : guarded) byId.put(g.vaultId(), g);

        List<MarginGuard.ToppedUpEventResponse> topUps = probe.topUps(from, end);
        Set<Long> toppedUp = new TreeSet<>();
        Map<String, BigInteger> feesByToken = new TreeMap<>();
        for (var t : topUps) {
            long v = t.vaultId.longValueExact();
            toppedUp.add(v);
            DeploymentFile.Market m = market(deployment, byId.get(v).marketId());
            feesByToken.merge(t.mode.signum() == 0 ? m.collateralToken() : m.loanToken(), t.fee, BigInteger::add);
        }
        Set<Long> liquidated = new TreeSet<>();
        for (IsomarginEngine.LiquidatedEventResponse l : probe.liquidations(from, end)) {
            if (byId.containsKey(l.vaultId.longValueExact())) liquidated.add(l.vaultId.longValueExact());
        }
        long crashedMarket = deployment.markets().getFirst().id().longValueExact();
        Set<Long> wouldBeLiquidatable = probe.liquidatableWith(crashedMarket, before, lastStep);
        Set<Long> liquidatableAtEnd = probe.liquidatableAt(byId.keySet(), end);
        Set<Long> saved = new TreeSet<>();
        for (long v : wouldBeLiquidatable) {
            if (toppedUp.contains(v) && !liquidated.contains(v) && !liquidatableAtEnd.contains(v)) saved.add(v);
        }
        Set<Long> liquidatedWithRoom = new TreeSet<>();
        for (long v : liquidated) if (!byId.get(v).starved()) liquidatedWithRoom.add(v);

        Map<String, String> fees = new TreeMap<>();
        for (var e : feesByToken.entrySet()) {
            MockERC20 token = MockERC20.load(e.getKey(), web3j, new ReadonlyTransactionManager(web3j, e.getKey()),
                    new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
            fees.put(token.symbol().send(), new BigDecimal(e.getValue(), token.decimals().send().intValueExact())
                    .stripTrailingZeros().toPlainString());
        }
        f.put("guarded_vaults", guarded.size());
        f.put("guarded_left_short", guarded.stream().filter(VaultPopulation.Guarded::starved).count());
        f.put("guard_top_ups", topUps.size());
        f.put("guard_topped_up_vaults", toppedUp.size());
        f.put("guard_would_be_liquidatable", wouldBeLiquidatable.size());
        f.put("guard_saved", saved.size());
        f.put("guarded_liquidated", liquidated.size());
        f.put("guarded_liquidated_with_room", liquidatedWithRoom.size());
        f.put("guard_fees", fees);
        return new GuardReport(f, saved.size() >= 1 && liquidatedWithRoom.isEmpty());
    }

    void print(PrintStream console) {
        if (fields.isEmpty()) return;
        console.printf(Locale.ROOT, "  margin guard               %,d guarded (%,d left short on purpose): %,d top-ups "
                + "of %,d vaults, fees %s%n", fields.get("guarded_vaults"), fields.get("guarded_left_short"),
                fields.get("guard_top_ups"), fields.get("guard_topped_up_vaults"), fields.get("guard_fees"));
        console.printf(Locale.ROOT, "                             saved %,d of the %,d the crash would have made "
                + "liquidatable; %,d liquidated (%,d of them with wallet and caps to spare)%n",
                fields.get("guard_saved"), fields.get("guard_would_be_liquidatable"), fields.get("guarded_liquidated"),
                fields.get("guarded_liquidated_with_room"));
        if (!ok) {
            console.println("demo: guard: " + ((Number) fields.get("guard_saved")).intValue() + " saved (at least 1 "
                    + "expected), " + fields.get("guarded_liquidated_with_room")
                    + " guarded vault(s) liquidated although the owner's wallet and caps had room (0 expected)");
        }
    }

    private static DeploymentFile.Market market(DeploymentFile deployment, long id) {
        return deployment.markets().stream().filter(m -> m.id().longValueExact() == id).findFirst().orElseThrow();
    }
}

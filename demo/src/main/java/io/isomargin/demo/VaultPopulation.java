package io.isomargin.demo;

import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.math.MarginMath;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Opens the demo's vaults: collateral worth $1k to $5M, log-uniform (about a third above the $250k tier, a few above
 * $2.5M), and debt at 30% to 99.5% of the initial-margin limit (seven in ten below 85%, the rest above), split over
 * the markets and several owners, many transactions per block.
 */
final class VaultPopulation {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    private static final long OPEN_GAS = 400_000;

    /** One vault to open. */
    record Plan(Credentials owner, long marketId, BigInteger collateral, BigInteger borrow) {}

    /**
     * A vault opted into the margin guard: its market, mode (0 deposit collateral, 1 repay debt) and whether its
     * owner's wallet (no allowance) or caps (a cap far below what a top-up needs) were left short on purpose.
     */
    record Guarded(long vaultId, long marketId, int mode, boolean starved) {}

    /** Guard policy of the demo: top up below health 1.10 back to 1.30, for a 0.5% fee. */
    static final BigInteger TRIGGER = new BigInteger("1100000000000000000");
    static final BigInteger TARGET = new BigInteger("1300000000000000000");
    static final BigInteger FEE_BPS = BigInteger.valueOf(50);

    /** A market as the population needs it. */
    private record MarketView(DeploymentFile.Market market, BigInteger price, List<BigInteger> minValues, int[] imBps,
            BigInteger minDebt, BigInteger loanUnit) {}

    private final Web3j web3j;
    private final long chainId;
    private final IsomarginEngine engine;
    private final IsomarginLens lens;
    private final DeploymentFile deployment;
    /** Each opened vault's plan, by vault id (filled by {@link #open}). */
    private final Map<Long, Plan> opened = new java.util.TreeMap<>();

    /** @param lens the deployment's IsomarginLens (the oracle price view) */
    VaultPopulation(Web3j web3j, long chainId, DeploymentFile deployment, String lens) {
        this.web3j = web3j;
        this.chainId = chainId;
        this.deployment = deployment;
        this.engine = IsomarginEngine.load(deployment.engine(), web3j, new ReadonlyTransactionManager(web3j,
                deployment.engine()), new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        this.lens = IsomarginLens.load(lens, web3j, new ReadonlyTransactionManager(web3j, lens),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
    }

    /** {@code n} vaults over the deployment's markets (60% in the first) and {@code owners}. */
    List<Plan> plan(int n, List<Credentials> owners, Random random) throws Exception {
        List<MarketView> markets = new ArrayList<>();
        for (DeploymentFile.Market m : deployment.markets()) markets.add(view(m));
        List<Plan> plans = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            MarketView m = markets.size() == 1 || random.nextDouble() < 0.6 ? markets.get(0)
                    : markets.get(1 + random.nextInt(markets.size() - 1));
            double dollars = Math.pow(10, 3 + random.nextDouble() * 3.7);
            // collateral units worth `dollars` loan tokens: dollars * loanUnit * 1e36 / price
            BigInteger collateral = new BigDecimal(dollars).multiply(new BigDecimal(m.loanUnit()))
                    .multiply(BigDecimal.TEN.pow(36)).divide(new BigDecimal(m.price()), 0, RoundingMode.DOWN)
                    .toBigIntegerExact();
            BigInteger limit = MarginMath.maxDebt(MarginMath.value(collateral, m.price()), m.minValues(), m.imBps());
            double share = random.nextDouble() < 0.7 ? 0.30 + random.nextDouble() * 0.55
                    : 0.85 + random.nextDouble() * 0.145;
            BigInteger borrow = new BigDecimal(limit).multiply(BigDecimal.valueOf(share)).toBigInteger()
                    .max(m.minDebt());
            plans.add(new Plan(owners.get(i % owners.size()), m.market().id().longValueExact(), collateral, borrow));
        }
        return plans;
    }

    /**
     * Funds a lender with enough loan tokens to cover every planned borrow twice and supplies them; mints and approves
     * each owner's collateral; opens the vaults, reporting progress; returns each opened vault's market, by vault id.
     */
    Map<Long, Long> open(List<Plan> plans, Credentials lender, IntConsumer progress) throws Exception {
        Map<Long, BigInteger> borrows = new LinkedHashMap<>();
        Map<Credentials, Map<String, BigInteger>> collateral = new LinkedHashMap<>();
        for (Plan p : plans) {
            borrows.merge(p.marketId(), p.borrow(), BigInteger::add);
            collateral.computeIfAbsent(p.owner(), k -> new LinkedHashMap<>())
                    .merge(market(p.marketId()).collateralToken(), p.collateral(), BigInteger::add);
        }
        TxBatch lend = new TxBatch(web3j, lender, chainId);
        for (var e : borrows.entrySet()) {
            String loan = market(e.getKey()).loanToken();
            BigInteger amount = e.getValue().multiply(BigInteger.TWO);
            lend.send(loan, token(loan).mint(lender.getAddress(), amount).encodeFunctionCall(), 100_000);
            lend.send(loan, token(loan).approve(deployment.engine(), MAX).encodeFunctionCall(), 100_000);
            lend.send(deployment.engine(), engine.supply(BigInteger.valueOf(e.getKey()), amount, lender.getAddress())
                    .encodeFunctionCall(), 300_000);
        }
        lend.await(Duration.ofMinutes(2));
        Map<Credentials, TxBatch> batches = new LinkedHashMap<>();
        for (var e : collateral.entrySet()) {
            TxBatch b = new TxBatch(web3j, e.getKey(), chainId);
            for (var t : e.getValue().entrySet()) {
                b.send(t.getKey(), token(t.getKey()).mint(e.getKey().getAddress(), t.getValue()).encodeFunctionCall(),
                        100_000);
                b.send(t.getKey(), token(t.getKey()).approve(deployment.engine(), MAX).encodeFunctionCall(), 100_000);
            }
            batches.put(e.getKey(), b);
        }
        for (TxBatch b : batches.values()) b.await(Duration.ofMinutes(2));

        Map<Long, Long> ids = new java.util.TreeMap<>();
        int chunk = 200; // about a block and a half of opens at a 30M gas limit
        for (int from = 0; from < plans.size(); from += chunk) {
            for (Plan p : plans.subList(from, Math.min(plans.size(), from + chunk))) {
                batches.get(p.owner()).send(deployment.engine(), engine.openVault(BigInteger.valueOf(p.marketId()),
                        p.collateral(), p.borrow()).encodeFunctionCall(), OPEN_GAS);
            }
            Map<Credentials, java.util.Iterator<Plan>> sent = new LinkedHashMap<>();
            for (Credentials owner : batches.keySet()) {
                sent.put(owner, plans.subList(from, Math.min(plans.size(), from + chunk)).stream()
                        .filter(p -> p.owner().equals(owner)).iterator());
            }
            for (var b : batches.entrySet()) { // receipts come back in the order each owner sent
                for (var r : b.getValue().await(Duration.ofMinutes(2))) {
                    for (var o : IsomarginEngine.getVaultOpenedEvents(r)) {
                        ids.put(o.vaultId.longValueExact(), o.marketId.longValueExact());
                        opened.put(o.vaultId.longValueExact(), sent.get(b.getKey()).next());
                    }
                }
            }
            progress.accept(ids.size());
        }
        return ids;
    }

    /**
     * Opts every third opened vault into the margin guard ({@link #TRIGGER} to {@link #TARGET}, two in three by
     * depositing collateral, one in three by repaying debt), and funds their owners' wallets with as much again as
     * each vault's collateral (or debt) with an allowance for the guard. On purpose, a few are left short: the
     * repay-mode vaults of {@code unfunded} (which never approves the guard for its loan token) and every twelfth
     * guarded vault, whose caps are 1% of its collateral (or debt). Returns the guarded vaults.
     */
    List<Guarded> guard(Credentials unfunded, long expiry) throws Exception {
        MarginGuard guard = MarginGuard.load(deployment.guard(), web3j, new ReadonlyTransactionManager(web3j,
                deployment.guard()), new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
        List<Guarded> guarded = new ArrayList<>();
        Map<Credentials, Map<String, BigInteger>> funding = new LinkedHashMap<>();
        Map<Credentials, TxBatch> batches = new LinkedHashMap<>();
        int index = 0;
        for (var e : opened.entrySet()) {
            if (index++ % 3 != 0) continue;
            Plan p = e.getValue();
            int g = guarded.size();
            int mode = g % 3 == 2 ? 1 : 0;
            boolean capStarved = g % 12 == 11;
            boolean noAllowance = mode == 1 && p.owner().equals(unfunded);
            boolean starved = capStarved || noAllowance;
            DeploymentFile.Market m = market(p.marketId());
            String token = mode == 0 ? m.collateralToken() : m.loanToken();
            BigInteger size = mode == 0 ? p.collateral() : p.borrow();
            BigInteger cap = capStarved ? size.divide(BigInteger.valueOf(100)).max(BigInteger.ONE) : size;
            if (!noAllowance) funding.computeIfAbsent(p.owner(), k -> new LinkedHashMap<>())
                    .merge(token, size, BigInteger::add);
            TxBatch b = batches.computeIfAbsent(p.owner(), k -> batch(k));
            b.send(deployment.guard(), guard.setPolicy(BigInteger.valueOf(e.getKey()), new MarginGuard.GuardPolicy(
                    TRIGGER, TARGET, BigInteger.valueOf(mode), FEE_BPS, BigInteger.valueOf(expiry), cap, cap))
                    .encodeFunctionCall(), 200_000);
            guarded.add(new Guarded(e.getKey(), p.marketId(), mode, starved));
            if (guarded.size() % 140 == 0) { // about a block of policies at a time, as the opens go
                for (TxBatch pending : batches.values()) pending.await(Duration.ofMinutes(2));
            }
        }
        for (var f : funding.entrySet()) {
            TxBatch b = batches.get(f.getKey());
            for (var t : f.getValue().entrySet()) {
                b.send(t.getKey(), token(t.getKey()).mint(f.getKey().getAddress(), t.getValue()).encodeFunctionCall(),
                        100_000);
                b.send(t.getKey(), token(t.getKey()).approve(deployment.guard(), MAX).encodeFunctionCall(), 100_000);
            }
        }
        for (TxBatch b : batches.values()) b.await(Duration.ofMinutes(2));
        return guarded;
    }

    /** The plan a vault was opened with. */
    Plan planOf(long vaultId) {
        return opened.get(vaultId);
    }

    private TxBatch batch(Credentials from) {
        try {
            return new TxBatch(web3j, from, chainId);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private MarketView view(DeploymentFile.Market m) throws Exception {
        BigInteger id = m.id();
        int tiers = engine.marketConfig(id).send().tierCount.intValueExact();
        List<BigInteger> minValues = new ArrayList<>();
        int[] im = new int[tiers];
        for (int i = 0; i < tiers; i++) {
            IsomarginEngine.TierState t = engine.tier(id, BigInteger.valueOf(i)).send();
            minValues.add(t.minValue);
            im[i] = t.imBps.intValueExact();
        }
        int decimals = token(m.loanToken()).decimals().send().intValueExact();
        return new MarketView(m, lens.price(id).send(), minValues, im, engine.riskParams(id).send().minDebt,
                BigInteger.TEN.pow(decimals));
    }

    private DeploymentFile.Market market(long id) {
        return deployment.markets().stream().filter(m -> m.id().longValueExact() == id).findFirst().orElseThrow();
    }

    private MockERC20 token(String address) {
        return MockERC20.load(address, web3j, new ReadonlyTransactionManager(web3j, address),
                new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO));
    }
}

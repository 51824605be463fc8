package io.isomargin.keeper.exec;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.keeper.Keeper;
import io.isomargin.keeper.KeeperBookHarness;
import io.isomargin.keeper.Population;
import io.isomargin.keeper.risk.RiskConfig;
import io.isomargin.keeper.send.FeePolicy;
import io.isomargin.keeper.send.TxSender;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Capital-free liquidation on a real Anvil chain with a real Uniswap V2 (factory, router and pools from the npm
 * artifacts): a keeper holding no loan token at all liquidates through the SwapLiquidator, each sale repaying the
 * engine inside its callback; a pool too shallow for a sale makes the keeper skip the vault (counted) and send
 * nothing, until the pool is deep enough.
 */
@ExtendWith(AnvilExtension.class)
class KeeperCapitalFreeTest {
    private static final BigInteger GWEI = BigInteger.TEN.pow(9);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int SLIPPAGE_BPS = 200;

    private AnvilChain chain;
    private Deployment plain;
    private Credentials keeperKey;
    private final Recorder recorder = new Recorder();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private String snapshot;

    @BeforeEach
    void marketWithLenders(AnvilChain chain, Deployment d) throws Exception {
        this.chain = chain;
        this.plain = d;
        snapshot = chain.snapshot(); // every test starts from the freshly deployed chain
        keeperKey = chain.credentials(6);
        d.fundAndSupply(chain.credentials(1), d.wethMarket(), units(50_000_000, 6));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
        chain.revert(snapshot);
    }

    @Test
    void aKeeperWithNoLoanTokenLiquidatesEveryLiquidatableVaultAfterACrashAndNoHealthyOne() throws Exception {
        // pools of $5B a side: the crash's whole sale moves them well under the 2% floor
        Deployment d = plain.withCapitalFree(5_000_000_000L, keeperKey.getAddress());
        String liquidator = d.capitalFree().liquidator().getContractAddress();
        List<BigInteger> vaults = Population.open(d, chain.credentials(2), d.wethMarket(), 30, new Random(11));
        assertEquals(BigInteger.ZERO, d.usdc().balanceOf(keeperKey.getAddress()).send(), "no loan token at all");
        Keeper keeper = start(d);
        assertEquals("capital-free", keeper.status().liquidationMode(), "/status names the mode");

        long crash = d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(83)).divide(
                BigInteger.valueOf(100))).getBlockNumber().longValueExact();
        d.pegPool(d.wethMarket()); // arbitrage brings the pool to the new price
        Set<Long> liquidatable = liquidatableAt(d, vaults, crash);
        assertTrue(liquidatable.size() >= 5 && liquidatable.size() < vaults.size(),
                "the crash should leave some vaults liquidatable and some healthy: " + liquidatable);

        await("no vault liquidatable", () -> liquidatableAt(d, vaults, chain.blockNumber()).isEmpty());
        await("nothing in flight", () -> keeper.sender().inFlight().isEmpty());
        assertEquals(liquidatable, liquidatedBy(d, liquidator, crash),
                "liquidated exactly the vaults the engine said were liquidatable, through the SwapLiquidator");
        assertTrue(recorder.kinds().contains(TxSender.Kind.MINED));
        assertFalse(recorder.kinds().contains(TxSender.Kind.REVERTED), "no reverted transaction");
        assertEquals(BigInteger.ZERO, d.usdc().balanceOf(keeperKey.getAddress()).send(), "still no loan token");
        assertEquals(BigInteger.ZERO, d.weth().balanceOf(keeperKey.getAddress()).send(), "no collateral either");
        BigInteger kept = d.usdc().balanceOf(liquidator).send();
        assertTrue(kept.signum() > 0, "the sales left a profit in the liquidator");
        assertEquals(BigInteger.ZERO, d.weth().balanceOf(liquidator).send(), "all seized collateral sold");
        // the realized profit is the sales' (proceeds - owed) less gas: at most what the liquidator kept
        assertTrue(recorder.profit().signum() > 0 && recorder.profit().compareTo(kept) < 0,
                "profit after gas " + recorder.profit() + ", kept " + kept);
        for (TxSender.Outcome o : recorder.outcomes) {
            if (o.kind() == TxSender.Kind.MINED) {
                assertTrue(o.tx().request().to().equalsIgnoreCase(liquidator), "sent to the SwapLiquidator");
            }
        }
        assertEquals(0, recorder.swapSkipped.get(), "a deep pool: nothing skipped");
    }

    @Test
    void aPoolTooShallowForTheSaleIsSkippedUntilItIsDeepEnough() throws Exception {
        // $50,000 a side: a $78,750 sale cannot clear the floor
        Deployment d = plain.withCapitalFree(50_000, keeperKey.getAddress());
        BigInteger vault = d.openVault(chain.credentials(2), d.wethMarket(), units(100, 18), units(150_000, 6));
        start(d);
        long crash = d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L)).getBlockNumber().longValueExact();
        d.pegPool(d.wethMarket());
        assertTrue(liquidatableAt(d, List.of(vault), crash).contains(vault.longValueExact()));
        await("the vault skipped for its sale", () -> recorder.swapSkipped.get() > 0);
        for (int i = 0; i < 3; i++) chain.mine(); // more blocks: still skipped, nothing sent
        await("skipped at later blocks too", () -> recorder.swapUnprofitableNow.get() == 1
                && recorder.swapSkipped.get() >= 2);
        assertTrue(recorder.sent.isEmpty(), "nothing sent for a sale that would lose: " + recorder.sent);
        assertTrue(d.lens().isLiquidatable(vault).send(), "still liquidatable");

        // liquidity arrives at the oracle price: the same vault now pays
        d.seedPool(d.wethMarket(), units(500_000_000, 6));
        await("liquidated once the pool is deep", () -> !liquidatedBy(d, d.capitalFree().liquidator()
                .getContractAddress(), crash).isEmpty());
        assertEquals(BigInteger.ZERO, d.usdc().balanceOf(keeperKey.getAddress()).send());
        await("nothing skipped at the latest block", () -> recorder.swapUnprofitableNow.get() == 0);
    }

    /**
     * A capital-free dry run simulates through the SwapLiquidator (the sale on the real pool) and says what it
     * would liquidate and earn, and sends nothing: no nonce used, every vault still liquidatable.
     */
    @Test
    void aCapitalFreeDryRunSaysWhatItWouldLiquidateAndSendsNothing() throws Exception {
        Deployment d = plain.withCapitalFree(5_000_000_000L, keeperKey.getAddress());
        List<BigInteger> vaults = Population.open(d, chain.credentials(2), d.wethMarket(), 12, new Random(4));
        long nonce = chain.web3j().ethGetTransactionCount(keeperKey.getAddress(),
                org.web3j.protocol.core.DefaultBlockParameterName.PENDING).send().getTransactionCount().longValueExact();
        start(d, true);
        long crash = d.setPrice(d.wethMarket(), Deployment.WETH_PRICE.multiply(BigInteger.valueOf(83)).divide(
                BigInteger.valueOf(100))).getBlockNumber().longValueExact();
        d.pegPool(d.wethMarket());
        Set<Long> liquidatable = liquidatableAt(d, vaults, crash);
        assertFalse(liquidatable.isEmpty());
        await("the dry run reported", () -> !recorder.dryRuns.isEmpty());
        chain.mine();
        chain.mine();
        Set<Long> reported = new TreeSet<>();
        recorder.dryRuns.forEach(reported::addAll);
        assertEquals(liquidatable, reported, "would liquidate exactly the liquidatable vaults");
        assertTrue(recorder.dryRunProfits.stream().allMatch(p -> p.signum() > 0), "each at a profit from the sale");
        assertEquals(nonce, chain.web3j().ethGetTransactionCount(keeperKey.getAddress(),
                org.web3j.protocol.core.DefaultBlockParameterName.PENDING).send().getTransactionCount().longValueExact(),
                "nothing sent");
        assertEquals(liquidatable, liquidatableAt(d, vaults, chain.blockNumber()), "all left liquidatable");
        assertTrue(recorder.sent.isEmpty());
    }

    /* HELPERS */

    private Keeper start(Deployment d) throws Exception {
        return start(d, false);
    }

    private Keeper start(Deployment d, boolean dryRun) throws Exception {
        RpcConfig rpcConfig = new RpcConfig(List.of(chain.rpcUrl()), Duration.ofSeconds(2), 3, Duration.ofMillis(10),
                Duration.ofMillis(50), 4, 50, Duration.ofMillis(300), 0);
        RpcClient rpc = RpcClient.connect(rpcConfig);
        closing.add(rpc);
        FollowerConfig follow = new FollowerConfig(rpcConfig, Optional.empty(), List.of(d.engine().getContractAddress()),
                List.of(), 0, 8, 1, 64, Duration.ofMillis(50), KeeperBookHarness.REORG_WINDOW);
        Map<Long, CapitalFreeRoute.Pool> pools = Map.of(
                d.wethMarket().longValueExact(), pool(d, d.wethMarket()),
                d.linkMarket().longValueExact(), pool(d, d.linkMarket()));
        CapitalFreeRoute route = new CapitalFreeRoute(d.capitalFree().liquidator().getContractAddress(), SLIPPAGE_BPS,
                pools);
        BigInteger cap = GWEI.multiply(BigInteger.valueOf(100));
        Keeper keeper = new Keeper(new Keeper.Parts(rpc, follow, KeeperBookHarness.scope(d), Optional.empty(),
                keeperKey, chain.chainId(), new FeePolicy(cap, GWEI, 200, 125), 3, 4,
                new LiquidationPlanner(10, 5_000_000, 310_000, 90_000),
                Map.of(d.wethMarket().longValueExact(), d.usdc().getContractAddress(),
                        d.linkMarket().longValueExact(), d.usdc().getContractAddress()),
                Map.of(d.wethMarket().longValueExact(), 6, d.linkMarket().longValueExact(), 6), new BigDecimal("2000"),
                BigDecimal.ZERO, dryRun, RiskConfig.defaults(), recorder, Map.of(), route));
        closing.add(keeper);
        keeper.start(WAIT);
        return keeper;
    }

    private static CapitalFreeRoute.Pool pool(Deployment d, BigInteger market) throws Exception {
        var pair = d.capitalFree().pair(market);
        return new CapitalFreeRoute.Pool(pair.getContractAddress(),
                pair.token0().send().equalsIgnoreCase(d.usdc().getContractAddress()));
    }

    private static Set<Long> liquidatableAt(Deployment d, List<BigInteger> vaults, long block) {
        IsomarginLens e = d.lens();
        e.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        try {
            Set<Long> out = new TreeSet<>();
            for (BigInteger v : vaults) if (e.isLiquidatable(v).send()) out.add(v.longValueExact());
            return out;
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        } finally {
            e.setDefaultBlockParameter(org.web3j.protocol.core.DefaultBlockParameterName.LATEST);
        }
    }

    private Set<Long> liquidatedBy(Deployment d, String liquidator, long fromBlock) {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                org.web3j.protocol.core.DefaultBlockParameterName.LATEST, d.engine().getContractAddress());
        filter.addSingleTopic(org.web3j.abi.EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT));
        Set<Long> out = new TreeSet<>();
        try {
            for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(filter).send().getLogs()) {
                var e = IsomarginEngine.getLiquidatedEventFromLog((Log) r.get());
                if (e.liquidator.equalsIgnoreCase(liquidator)) out.add(e.vaultId.longValueExact());
            }
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        return out;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
            Thread.sleep(50);
        }
    }

    /** Records what the executor reports. */
    private static final class Recorder implements ExecutionListener {
        final List<List<Long>> sent = new CopyOnWriteArrayList<>();
        final List<TxSender.Outcome> outcomes = new CopyOnWriteArrayList<>();
        final List<BigInteger> profits = new CopyOnWriteArrayList<>();
        final AtomicInteger swapSkipped = new AtomicInteger();
        final AtomicInteger swapUnprofitableNow = new AtomicInteger(-1);
        final List<List<Long>> dryRuns = new CopyOnWriteArrayList<>();
        final List<BigInteger> dryRunProfits = new CopyOnWriteArrayList<>();

        @Override
        public void dryRun(long marketId, List<Long> vaultIds, BigInteger expectedProfit) {
            dryRuns.add(vaultIds);
            dryRunProfits.add(expectedProfit);
        }

        @Override
        public void sent(long marketId, List<Long> vaultIds, BigInteger expectedProfit, TxSender.Pending tx) {
            sent.add(vaultIds);
        }

        @Override
        public void outcome(TxSender.Outcome outcome, long marketId, BigInteger gasCostWei, int liquidated, int lost,
                BigInteger profit) {
            outcomes.add(outcome);
            profits.add(profit);
        }

        @Override
        public void skippedSwap(long marketId, int vaults) {
            swapSkipped.addAndGet(vaults);
        }

        @Override
        public void swapUnprofitableNow(long marketId, int vaults) {
            if (marketId == 1) swapUnprofitableNow.set(vaults);
        }

        Set<TxSender.Kind> kinds() {
            Set<TxSender.Kind> k = new java.util.HashSet<>();
            outcomes.forEach(o -> k.add(o.kind()));
            return k;
        }

        BigInteger profit() {
            return profits.stream().reduce(BigInteger.ZERO, BigInteger::add);
        }
    }
}

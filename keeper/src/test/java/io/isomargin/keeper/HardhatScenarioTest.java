package io.isomargin.keeper;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.HardhatNode;
import io.isomargin.abi.testing.Http;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.indexer.verify.Verifier;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
 * The system on a Hardhat node instead of Anvil, as {@code make demo CHAIN=hardhat} runs it: interval mining, the
 * keeper process ({@code keeper run}: config file, book from the indexer's mirror, HTTP polling plus WebSocket
 * heads) and the real indexer. After a two-step price crash the keeper liquidates every liquidatable vault and no
 * healthy one, and the indexer's verify finds no mismatch at its cursor.
 */
@ExtendWith(PostgresExtension.class)
class HardhatScenarioTest {
    private static final Pattern OPS = Pattern.compile("status on (http://[0-9.]+:[0-9]+)");
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static HardhatNode chain;
    private static Deployment d;

    @TempDir
    Path dir;

    @BeforeAll
    static void hardhatWithQuarterSecondBlocks() {
        chain = HardhatNode.start(Duration.ofMillis(250));
        d = Deployment.deploy(chain);
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    @Test
    void theKeeperLiquidatesEveryLiquidatableVaultAndNoHealthyOneAndVerifyFindsNoMismatch(PostgresDatabase db)
            throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials key = chain.credentials(6);
        d.fundAndSupply(lender, d.wethMarket(), units(50_000_000, 6));
        d.fundAndSupply(lender, d.linkMarket(), units(10_000_000, 6));
        d.tokenAs(d.usdc().getContractAddress(), key).mint(key.getAddress(), units(20_000_000, 6)).send();
        Random random = new Random(5);
        List<BigInteger> vaults = new ArrayList<>(Population.open(d, chain.credentials(2), d.wethMarket(), 20, random));
        vaults.addAll(Population.open(d, chain.credentials(3), d.linkMarket(), 5, random)); // untouched: stay healthy

        try (InProcessIndexer indexer = new InProcessIndexer(d, db).startAndCatchUp(d)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread run = startKeeper(db, key, out, err, exit);
            Set<Long> liquidatable = new TreeSet<>();
            long crashFrom;
            try {
                await("the ops address printed", () -> OPS.matcher(out.toString()).find() || exit.isDone());
                Matcher m = OPS.matcher(out.toString());
                assertTrue(m.find(), out + " " + err);
                String ops = m.group(1);
                await("the keeper following", () -> status(ops + "/health") == 200);

                // ETH -12%, then -25%: each step's block is where vaults turn liquidatable
                TransactionReceipt first = d.setPrice(d.wethMarket(), percentOfWeth(88));
                crashFrom = first.getBlockNumber().longValueExact();
                liquidatable.addAll(liquidatableAt(crashFrom));
                TransactionReceipt second = d.setPrice(d.wethMarket(), percentOfWeth(75));
                liquidatable.addAll(liquidatableAt(second.getBlockNumber().longValueExact()));
                assertTrue(liquidatable.size() >= 5 && liquidatable.size() < vaults.size() - 5,
                        "the crash should leave some WETH vaults liquidatable and some healthy: " + liquidatable);

                await("no vault liquidatable", () -> liquidatableAt(chain.blockNumber()).isEmpty());
            } finally {
                run.interrupt();
            }
            assertEquals(0, exit.get(30, TimeUnit.SECONDS), out + " " + err);

            Map<Long, Long> liquidated = liquidatedBy(key.getAddress(), crashFrom); // vault -> first block
            assertEquals(liquidatable, liquidated.keySet(),
                    "the keeper liquidated exactly the vaults the engine said were liquidatable");
            for (Map.Entry<Long, Long> e : liquidated.entrySet()) {
                assertTrue(liquidatableAt(e.getKey(), e.getValue() - 1),
                        "vault " + e.getKey() + " was liquidatable in the block before its liquidation");
            }

            indexer.catchUp(d);
            try (Connection c = db.connect()) {
                Verifier.Report report = new Verifier(chain.web3j(), d.engine().getContractAddress())
                        .check(c, List.of(lender.getAddress(), key.getAddress()));
                assertEquals(List.of(), report.mismatches().stream().map(Verifier.Mismatch::line).toList());
                assertEquals(vaults.size(), report.vaults());
                assertTrue(report.block() >= liquidated.values().stream().mapToLong(Long::longValue).max()
                        .orElseThrow(), "verified at a block after the liquidations");
            }
        }
    }

    /* HELPERS */

    private Thread startKeeper(PostgresDatabase db, Credentials key, ByteArrayOutputStream out,
            ByteArrayOutputStream err, CompletableFuture<Integer> exit) throws Exception {
        Path config = Files.writeString(dir.resolve("keeper.yaml"), """
                deployment: %s
                rpc:
                  http-urls: [%s]
                  ws-url: %s
                database:
                  url: %s
                follower:
                  poll-interval: 100ms
                key:
                  private-key-env: KEEPER_TEST_KEY
                gas:
                  max-fee-cap-gwei: 100
                  native-price-in-loan-token: 2000
                http:
                  port: 0
                """.formatted(d.writeDeploymentFile(dir.resolve("deployment.json")), chain.rpcUrl(),
                chain.rpcUrl().replace("http://", "ws://"), db.postgresUrl().toUrlWithPassword()));
        Map<String, String> env = Map.of("KEEPER_TEST_KEY",
                Numeric.toHexStringNoPrefixZeroPadded(key.getEcKeyPair().getPrivateKey(), 64));
        Thread run = new Thread(() -> exit.complete(KeeperMain.commandLine(env, new PrintStream(out, true),
                new PrintStream(err, true), new KeeperRunner()).execute("run", "--config", config.toString())),
                "keeper-run");
        run.start();
        return run;
    }

    private static BigInteger percentOfWeth(int percent) {
        return Deployment.WETH_PRICE.multiply(BigInteger.valueOf(percent)).divide(BigInteger.valueOf(100));
    }

    /** The vaults of the test's engine liquidatable at {@code block}. */
    private static Set<Long> liquidatableAt(long block) {
        Set<Long> out = new TreeSet<>();
        try {
            long count = d.engine().vaultCount().send().longValueExact();
            for (long id = 1; id <= count; id++) if (liquidatableAt(id, block)) out.add(id);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static boolean liquidatableAt(long vault, long block) {
        IsomarginLens e = IsomarginLens.load(d.lens().getContractAddress(), chain.web3j(),
                chain.txManager(chain.credentials(0)), chain.gasProvider());
        e.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
        try {
            return e.isLiquidatable(BigInteger.valueOf(vault)).send();
        } catch (Exception ex) {
            throw new IllegalStateException("isLiquidatable(" + vault + ") at #" + block + ": " + ex.getMessage(), ex);
        }
    }

    /** Vault id to the first block the keeper liquidated it in, from the engine's {@code Liquidated} logs. */
    private static Map<Long, Long> liquidatedBy(String liquidator, long fromBlock) throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, d.engine().getContractAddress());
        filter.addSingleTopic(EventEncoder.encode(IsomarginEngine.LIQUIDATED_EVENT));
        Map<Long, Long> out = new TreeMap<>();
        for (EthLog.LogResult<?> r : chain.web3j().ethGetLogs(filter).send().getLogs()) {
            Log l = (Log) r.get();
            var e = IsomarginEngine.getLiquidatedEventFromLog(l);
            assertTrue(e.liquidator.equalsIgnoreCase(liquidator), "liquidated by someone else: " + e.liquidator);
            out.putIfAbsent(e.vaultId.longValueExact(), l.getBlockNumber().longValueExact());
        }
        return out;
    }

    private static int status(String url) {
        try {
            return Http.get(url).statusCode();
        } catch (Exception e) {
            return -1;
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

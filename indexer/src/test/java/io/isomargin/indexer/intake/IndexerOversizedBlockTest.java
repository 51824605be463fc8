package io.isomargin.indexer.intake;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.FaultProxy;
import io.isomargin.abi.testing.FaultProxy.Fault;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.abi.testing.PostgresExtension;
import io.isomargin.abi.testing.TestChain;
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;

/**
 * Blocks holding more engine and oracle logs than the provider answers in one {@code eth_getLogs}: the indexer reads
 * the chain through {@link FaultProxy} with {@link Fault#logLimit} (geth's "query returned more than N results" for
 * any answer over {@value #LIMIT} logs). A block over the limit only for both contracts together is fetched by
 * address; one over it for the engine alone is read from its receipts; during the backfill and again while following.
 * The mirror must end equal to the chain ({@link io.isomargin.indexer.verify.Verifier}, what {@code verify} runs) with every log mirrored once.
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerOversizedBlockTest {
    private static final int LIMIT = 8;

    @Test
    void blocksOverTheProvidersLogLimitAreIndexedWholeAndOnce(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        Credentials lender = scenario.lender;
        d.mintAndApprove(lender, d.usdc().getContractAddress(), units(10_000_000, 6));
        String engine = d.engine().getContractAddress();
        String feed = d.wethFeed().getContractAddress();

        long byAddress = chain.mineTogether(calls(d, lender, 3, 3));
        long byReceipts = chain.mineTogether(calls(d, lender, 12, 1));
        String counts = "engine " + logs(d, byAddress, List.of(engine)) + ", feed " + logs(d, byAddress, List.of(feed));
        assertTrue(logs(d, byAddress, List.of(engine, feed)) > LIMIT, "over the limit together: " + counts);
        assertTrue(logs(d, byAddress, List.of(engine)) <= LIMIT && logs(d, byAddress, List.of(feed)) <= LIMIT,
                "under it for each alone: " + counts);
        assertTrue(logs(d, byReceipts, List.of(engine)) > LIMIT, "over the limit for the engine alone");
        chain.mine();

        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                IndexerHarness indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d),
                        IndexerHarness.Options.of(d).withRpcUrl(proxy.url()))) {
            proxy.inject("eth_getLogs", Fault.logLimit(LIMIT), -1);
            indexer.runner.start();
            indexer.catchUp(chain); // the backfill
            // the deployment's market creations are over the limit for the engine alone too
            long overForOne = blocksOverTheLimitForOneContract(d, chain.blockNumber(), List.of(engine, feed));
            assertTrue(overForOne >= 1);
            assertEquals(overForOne, proxy.requestCount("eth_getBlockReceipts"), "each read from its receipts");

            long live = chain.mineTogether(calls(d, lender, 12, 1)); // and while following
            assertTrue(logs(d, live, List.of(engine)) > LIMIT);
            indexer.catchUp(chain);

            assertEquals(overForOne + 1, proxy.requestCount("eth_getBlockReceipts"));
            assertFalse(indexer.runner.done().isDone(), "the runner stopped");
            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            assertEquals(chain.blockNumber(), ChainLogCounts.assertEachLogMirroredOnce(d, db));
            System.out.println("IndexerOversizedBlockTest: blocks #" + byAddress + " (" + logs(d, byAddress,
                    List.of(engine, feed)) + " logs), #" + byReceipts + " (" + logs(d, byReceipts, List.of(engine, feed))
                    + "), #" + live + " (" + logs(d, live, List.of(engine, feed)) + ") over a limit of " + LIMIT + "; "
                    + proxy.requestCount("eth_getLogs") + " eth_getLogs, " + proxy.requestCount("eth_getBlockReceipts")
                    + " eth_getBlockReceipts");
        }
    }

    /** {@code supplies} supplies by {@code lender} and {@code prices} WETH price updates, for one block. */
    private static List<TestChain.Call> calls(Deployment d, Credentials lender, int supplies, int prices) {
        List<TestChain.Call> calls = new ArrayList<>();
        String engine = d.engine().getContractAddress();
        for (int i = 0; i < supplies; i++) {
            calls.add(new TestChain.Call(lender.getAddress(), engine, d.engine()
                    .supply(d.wethMarket(), units(10 + i, 6), lender.getAddress()).encodeFunctionCall()));
        }
        for (int i = 0; i < prices; i++) {
            calls.add(new TestChain.Call(d.deployer().getAddress(), d.wethFeed().getContractAddress(), d.wethFeed()
                    .setAnswer(Deployment.WETH_PRICE.add(BigInteger.valueOf(1_000_000L * (i + 1))))
                    .encodeFunctionCall()));
        }
        return calls;
    }

    /** How many blocks up to {@code head} hold more than {@link #LIMIT} logs of one of {@code contracts}. */
    private static long blocksOverTheLimitForOneContract(Deployment d, long head, List<String> contracts)
            throws Exception {
        long blocks = 0;
        for (long n = 0; n <= head; n++) {
            for (String contract : contracts) {
                if (logs(d, n, List.of(contract)) > LIMIT) {
                    blocks++;
                    break;
                }
            }
        }
        return blocks;
    }

    private static long logs(Deployment d, long block, List<String> addresses) throws Exception {
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        return d.chain().web3j().ethGetLogs(new EthFilter(at, at, addresses)).send().getLogs().size();
    }
}

package io.isomargin.indexer.intake;

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
import io.isomargin.indexer.testing.ChainLogCounts;
import io.isomargin.indexer.testing.EventLoad;
import io.isomargin.indexer.testing.IndexerHarness;
import io.isomargin.indexer.testing.MirrorComparison;
import io.isomargin.indexer.testing.Scenario;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The indexer reads the chain through {@link FaultProxy} while a chaos thread keeps injecting JSON-RPC errors, HTTP
 * 429 and 503, timeouts, truncated bodies and dropped connections into {@code eth_getLogs},
 * {@code eth_getBlockByNumber} and {@code eth_blockNumber} (one to three faulty calls of a method at a time, up to
 * beyond the RPC client's retries, then a few clean calls; small {@code eth_getLogs} ranges make many calls), first during the backfill, then while it follows new
 * blocks. It must ride them out by itself (the runner never stops) and end with a mirror equal to the chain and every
 * log mirrored once. Fault kinds come from a seeded {@link Random} ({@code -Dindexer.faults.seed=<seed>} replays the
 * kinds; their timing still varies).
 */
@ExtendWith({AnvilExtension.class, PostgresExtension.class})
class IndexerRpcFaultTest {
    private static final List<String> METHODS = List.of("eth_getLogs", "eth_getLogs", "eth_getBlockByNumber",
            "eth_blockNumber");

    @Test
    void rpcFaultsDuringBackfillAndLiveLoseAndDuplicateNothing(AnvilChain chain, Deployment d, PostgresDatabase db)
            throws Exception {
        long seed = Long.getLong("indexer.faults.seed", System.nanoTime());
        System.out.println("IndexerRpcFaultTest seed: " + seed);
        Random random = new Random(seed);
        Scenario scenario = new Scenario(d);
        scenario.firstHalf();
        EventLoad load = new EventLoad(d, new Random(seed + 1));
        load.blocks(80);

        try (FaultProxy proxy = FaultProxy.start(chain.rpcUrl());
                IndexerHarness indexer = IndexerHarness.create(d, db, IndexerHarness.meta(d), IndexerHarness.Options
                        .of(d).withRpcUrl(proxy.url()).withMaxRange(3).withRpcTimeout(Duration.ofMillis(400)))) {
            AtomicInteger injected = new AtomicInteger();
            int duringBackfill;
            Thread chaos = Thread.ofVirtual().name("rpc-chaos").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        // one rule at a time: 1..3 faulty calls of a method, then a few clean ones
                        String method = METHODS.get(random.nextInt(METHODS.size()));
                        int times = 1 + random.nextInt(3);
                        int consumed = proxy.requestCount(method) + times;
                        int clean = proxy.requestCount(null) + times + 2 + random.nextInt(6);
                        proxy.inject(method, fault(random), times);
                        injected.incrementAndGet();
                        while (proxy.requestCount(method) < consumed || proxy.requestCount(null) < clean) {
                            Thread.sleep(5);
                        }
                    }
                } catch (InterruptedException stop) {
                    // done
                }
            });
            try {
                indexer.runner.start();
                indexer.catchUp(chain); // the backfill, under faults
                long backfilled = indexer.runner.indexedBlock();
                duringBackfill = injected.get();
                scenario.secondHalf(); // live, under faults
                load.blocks(40);
                indexer.catchUp(chain);
                assertTrue(indexer.runner.indexedBlock() > backfilled);
            } finally {
                chaos.interrupt();
                chaos.join(5_000);
            }
            proxy.clearFaults();
            indexer.catchUp(chain);
            int live = injected.get() - duringBackfill;
            System.out.println("IndexerRpcFaultTest: " + duringBackfill + " fault rules during the backfill, " + live
                    + " live, " + proxy.requestCount(null) + " requests, " + indexer.runner.restarts() + " resume(s)");
            assertTrue(duringBackfill >= 3 && live >= 3, "too few faults: " + duringBackfill + " during the backfill, "
                    + live + " live");
            assertFalse(indexer.runner.done().isDone(), "the runner stopped");
            assertEquals(List.of(), MirrorComparison.differences(d, db, scenario.lenders()));
            assertEquals(chain.blockNumber(), ChainLogCounts.assertEachLogMirroredOnce(d, db));
        }
    }

    private static Fault fault(Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> Fault.jsonRpcError(-32000, "internal error");
            case 1 -> Fault.jsonRpcError(-32603, "header not found");
            case 2 -> Fault.httpStatus(429);
            case 3 -> Fault.httpStatus(503);
            case 4 -> Fault.timeout();
            case 5 -> Fault.truncatedBody();
            default -> Fault.dropConnection();
        };
    }
}

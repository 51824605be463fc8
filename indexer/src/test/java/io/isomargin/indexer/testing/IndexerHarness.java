package io.isomargin.indexer.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import io.isomargin.indexer.intake.IndexerRunner;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.Migrations;
import io.isomargin.indexer.store.MirrorPool;
import io.isomargin.indexer.store.MirrorStore;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** One indexer process for a test: its own Vert.x, pool, RPC client, store and runner over a test chain and
 * database. Closing it stops everything, as a killed process would, but leaves the database. */
public final class IndexerHarness implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(30);

    public final Vertx vertx;
    public final Pool pool;
    public final RpcClient rpc;
    public final MirrorStore store;
    public final IndexerRunner runner;

    private IndexerHarness(Vertx vertx, Pool pool, RpcClient rpc, MirrorStore store, IndexerRunner runner) {
        this.vertx = vertx;
        this.pool = pool;
        this.rpc = rpc;
        this.store = store;
        this.runner = runner;
    }

    /** Migrates the database and builds (does not start) an indexer for {@code d}'s engine. */
    public static IndexerHarness create(Deployment d, PostgresDatabase db) {
        return create(d, db, meta(d));
    }

    public static IndexerHarness create(Deployment d, PostgresDatabase db, IndexerMeta meta) {
        return create(d, db, meta, Options.of(d));
    }

    /**
     * How the test indexer reads the chain.
     *
     * @param rpcUrl      the node or a proxy in front of it
     * @param reorgWindow the follower's and the store's reorg window
     * @param maxRange    the largest {@code eth_getLogs} range
     * @param rpcTimeout  the timeout of one RPC request
     * @param maxResponseBytes the follower's byte budget per {@code eth_getLogs} answer
     */
    public record Options(String rpcUrl, int reorgWindow, int maxRange, Duration rpcTimeout, long maxResponseBytes) {
        /** The node itself, a window of 16, ranges up to 32 starting at 8, 2 s per request, the default budget. */
        public static Options of(Deployment d) {
            return new Options(d.chain().rpcUrl(), 16, 32, Duration.ofSeconds(2),
                    FollowerConfig.DEFAULT_MAX_RESPONSE_BYTES);
        }

        public Options withRpcUrl(String url) {
            return new Options(url, reorgWindow, maxRange, rpcTimeout, maxResponseBytes);
        }

        public Options withReorgWindow(int window) {
            return new Options(rpcUrl, window, maxRange, rpcTimeout, maxResponseBytes);
        }

        public Options withMaxRange(int range) {
            return new Options(rpcUrl, reorgWindow, range, rpcTimeout, maxResponseBytes);
        }

        public Options withRpcTimeout(Duration timeout) {
            return new Options(rpcUrl, reorgWindow, maxRange, timeout, maxResponseBytes);
        }

        public Options withMaxResponseBytes(long bytes) {
            return new Options(rpcUrl, reorgWindow, maxRange, rpcTimeout, bytes);
        }
    }

    public static IndexerHarness create(Deployment d, PostgresDatabase db, IndexerMeta meta, Options o) {
        Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
        Vertx vertx = Vertx.vertx();
        Pool pool = MirrorPool.create(db.postgresUrl(), vertx);
        RpcConfig rpcConfig = new RpcConfig(List.of(o.rpcUrl()), o.rpcTimeout(), 3,
                Duration.ofMillis(10), Duration.ofMillis(50), 4, 50, Duration.ofMillis(300), 0);
        RpcClient rpc = RpcClient.connect(rpcConfig);
        FollowerConfig follower = new FollowerConfig(rpcConfig, Optional.empty(), List.of(meta.engine()), List.of(), 0,
                Math.min(8, o.maxRange()), 1, o.maxRange(), Duration.ofMillis(50), o.reorgWindow(),
                o.maxResponseBytes());
        MirrorProjection projection = new MirrorProjection(meta.engine(), meta.guard(), new EventDecoder());
        MirrorStore store = new MirrorStore(pool, projection, o.reorgWindow());
        IndexerRunner runner = new IndexerRunner(rpc, follower, store, projection, meta,
                List.of(d.wethFeed().getContractAddress()), Duration.ofSeconds(20));
        return new IndexerHarness(vertx, pool, rpc, store, runner);
    }

    /** The deployment as the indexer follows it: the engine and the margin guard. */
    public static IndexerMeta meta(Deployment d) {
        long deployBlock = d.engine().getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact();
        return new IndexerMeta(d.chain().chainId(), d.engine().getContractAddress(), deployBlock, null,
                d.guard().getContractAddress());
    }

    /** Starts the runner and waits until it has committed the chain's current head. */
    public IndexerHarness startAndCatchUp(AnvilChain chain) {
        runner.start();
        return catchUp(chain);
    }

    /** Waits until the runner has committed the chain's current head (failing if it stopped). */
    public IndexerHarness catchUp(AnvilChain chain) {
        long head = chain.blockNumber();
        await("the indexer to commit #" + head, () -> runner.indexedBlock() >= head);
        return this;
    }

    public void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (runner.done().isCompletedExceptionally()) {
                runner.done().join(); // throws the failure
            }
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what + " (indexed #"
                        + runner.indexedBlock() + ", head #" + runner.head() + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    @Override
    public void close() {
        runner.close();
        rpc.close();
        pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                .join();
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
                .join();
    }
}

package io.isomargin.keeper;

import static org.junit.jupiter.api.Assertions.fail;

import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.abi.testing.TestChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.keeper.book.BookFollower;
import io.isomargin.keeper.book.BookScope;
import io.isomargin.keeper.book.MirrorSnapshotReader;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.risk.LiquidationDetector;
import io.isomargin.keeper.risk.RiskConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** The keeper's book and detector over a test chain, as the keeper process wires them. */
public final class KeeperBookHarness implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(60);
    public static final int REORG_WINDOW = 16;

    public final TestChain chain;
    public final RpcClient rpc;
    public final BookScope scope;
    public final PositionBook book = new PositionBook();
    public final LiquidationDetector detector;
    public final BookFollower follower;

    private KeeperBookHarness(Deployment d, Optional<MirrorSnapshotReader.Database> mirror, RiskConfig risk,
            BookScope scope) {
        this.chain = d.chain();
        RpcConfig rpcConfig = new RpcConfig(List.of(chain.rpcUrl()), Duration.ofSeconds(2), 3, Duration.ofMillis(10),
                Duration.ofMillis(50), 4, 50, Duration.ofMillis(300), 0);
        this.rpc = RpcClient.connect(rpcConfig);
        this.scope = scope;
        this.detector = new LiquidationDetector(book, risk, c -> { });
        book.listener(detector);
        FollowerConfig follow = new FollowerConfig(rpcConfig, Optional.empty(), List.of(scope.engine()), List.of(), 0,
                8, 1, 64, Duration.ofMillis(50), REORG_WINDOW);
        this.follower = new BookFollower(rpc, follow, scope, mirror.map(db -> new MirrorSnapshotReader(db, scope, rpc,
                Duration.ofSeconds(30))), book, detector);
    }

    /** Book from chain events alone. */
    public static KeeperBookHarness fromChain(Deployment d) {
        return new KeeperBookHarness(d, Optional.empty(), RiskConfig.defaults(), scope(d));
    }

    public static KeeperBookHarness fromChain(Deployment d, RiskConfig risk) {
        return new KeeperBookHarness(d, Optional.empty(), risk, scope(d));
    }

    /** Book from chain events alone, following the deployment's margin guard too. */
    public static KeeperBookHarness guardedFromChain(Deployment d) {
        return new KeeperBookHarness(d, Optional.empty(), RiskConfig.defaults(),
                scope(d).withGuard(d.guard().getContractAddress()));
    }

    /** Book loaded from the indexer's mirror, then following the chain. */
    public static KeeperBookHarness fromMirror(Deployment d, MirrorSnapshotReader.Database db) {
        return new KeeperBookHarness(d, Optional.of(db), RiskConfig.defaults(), scope(d));
    }

    /** Book loaded from the indexer's mirror (and the guard's policies from its logs), then following the chain. */
    public static KeeperBookHarness guardedFromMirror(Deployment d, MirrorSnapshotReader.Database db) {
        return new KeeperBookHarness(d, Optional.of(db), RiskConfig.defaults(),
                scope(d).withGuard(d.guard().getContractAddress()));
    }

    /** The two default markets of the test deployment. */
    public static BookScope scope(Deployment d) {
        long deployBlock = d.engine().getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact();
        return new BookScope(d.engine().getContractAddress(), deployBlock, Map.of(
                d.wethMarket().longValueExact(), d.wethFeed().getContractAddress(),
                d.linkMarket().longValueExact(), d.linkFeed().getContractAddress()));
    }

    public KeeperBookHarness start() throws Exception {
        follower.start();
        return catchUp();
    }

    /** Waits until the detector has judged the chain's current head. */
    public KeeperBookHarness catchUp() {
        long head = chain.blockNumber();
        await("the keeper to judge #" + head, () -> detector.judgedBlock() >= head);
        return this;
    }

    public void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (follower.done().isCompletedExceptionally()) follower.done().join();
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what + " (applied #"
                        + follower.appliedBlock() + ", judged #" + detector.judgedBlock() + ", head #"
                        + follower.head() + ")");
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
        follower.close();
        rpc.close();
    }
}

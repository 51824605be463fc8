package io.isomargin.indexer.app;

import io.isomargin.abi.cli.ServiceCli;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.abi.config.Redact;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.BlockRef;
import io.isomargin.abi.follower.ReorgTooDeepException;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcUnavailableException;
import io.isomargin.indexer.api.ApiServer;
import io.isomargin.indexer.intake.IndexerRunner;
import io.isomargin.indexer.projection.MirrorProjection;
import io.isomargin.indexer.store.IndexedCursor;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.MetaMismatchException;
import io.isomargin.indexer.store.Migrations;
import io.isomargin.indexer.store.MirrorPool;
import io.isomargin.indexer.store.MirrorReader;
import io.isomargin.indexer.store.MirrorStore;
import io.isomargin.indexer.verify.Verifier;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The indexer's command line: {@code indexer run --config <file>} mirrors the deployment into PostgreSQL until
 * interrupted; {@code indexer verify --config <file>} compares the mirror with the chain at the mirror's cursor;
 * {@code indexer rebuild --config <file> --from-block <N>} rolls the mirror back below block N (after a reorg deeper
 * than the window) so that the next {@code run} indexes from N again.
 *
 * <p>Exit codes ({@link ExitCode}; also in each command's {@code --help}): 0 success (verify: no mismatch), 1 verify
 * found mismatches or {@code run} failed while running, 2 bad configuration, deployment file or argument, or an
 * unreachable database, 3 no RPC endpoint answered at start, 4 the node, the deployment file and the database do not
 * describe one deployment (nothing written), 5 verify could not check, 6 {@code run} stopped on a reorg deeper than
 * the window (run {@code rebuild}).
 */
@Command(name = "indexer", mixinStandardHelpOptions = true,
        description = "Mirrors an Isomargin deployment into PostgreSQL and checks the mirror against the chain.")
public final class IndexerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(IndexerMain.class);
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;

    private IndexerMain(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = Map.copyOf(env);
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv(), System.out, System.err).execute(args));
    }

    /** The command line with its subcommands ({@link ServiceCli}), reading environment overrides from {@code env}. */
    public static CommandLine commandLine(Map<String, String> env, PrintStream out, PrintStream err) {
        IndexerMain main = new IndexerMain(env, out, err);
        return ServiceCli.commandLine("indexer", out, err, main, main.new Run(), main.new Verify(), main.new Rebuild());
    }

    @Override
    public Integer call() {
        return ServiceCli.usage(spec, out);
    }

    /** The {@code --config} option of every subcommand. */
    static final class ConfigOption {
        @Option(names = "--config", required = true, paramLabel = "<file>",
                description = "YAML config (see indexer/indexer.example.yaml); env ISOMARGIN_INDEXER_* overrides")
        Path file;
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Check the node and the database against the deployment file, migrate the schema, then "
                    + "follow the chain into the mirror until interrupted.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:stopped (interrupted or terminated)", "1:failed while running",
                    "2:bad configuration or deployment file, database unreachable, API port taken",
                    "3:no RPC endpoint answered at start",
                    "4:the node, the deployment file and the database do not describe one deployment (another chain"
                            + " id, no code at the engine or an oracle, deployment block past the head, a database"
                            + " of another chain or engine); nothing was written",
                    "6:stopped on a reorg deeper than follower.reorg-window: run `indexer rebuild`"})
    final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            IndexerConfig cfg = IndexerConfig.load(config.file, env);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            PostgresUrl db = cfg.database();
            RpcClient rpc = RpcClient.connect(cfg.rpcConfig());
            Vertx vertx = null;
            Pool pool = null;
            try {
                IndexerMeta meta = checkThenMigrate(cfg, deployment, rpc);
                vertx = Vertx.vertx();
                pool = MirrorPool.create(db, vertx);
                MirrorProjection projection = new MirrorProjection(meta.engine(), meta.guard(), new EventDecoder());
                MirrorStore store = new MirrorStore(pool, projection, cfg.reorgWindow());
                ensureMeta(store, meta, db);
                IndexerRunner runner = new IndexerRunner(rpc, cfg.followerConfig(meta.engine()), store, projection,
                        meta, deployment.oracles(), STORE_TIMEOUT);
                PrometheusMeterRegistry metrics = IndexerMetrics.create(runner);
                ApiServer api;
                try {
                    api = ApiServer.start(vertx, cfg.apiOptions(), new MirrorReader(pool), runner::status,
                            metrics);
                    runner.addCommitListener(api.events());
                } catch (IllegalStateException e) {
                    throw new StartupException("api.port: " + e.getMessage(), e);
                }
                try {
                    runner.start();
                } catch (RuntimeException e) {
                    api.close();
                    int code = e instanceof MetaMismatchException ? ExitCode.CHAIN_MISMATCH
                            : causedBy(e, RpcUnavailableException.class) ? ExitCode.NODE_UNREACHABLE : ExitCode.CONFIG;
                    throw new StartupException(code, "cannot start following " + Redact.urls(cfg.httpUrls()) + ": "
                            + Redact.scrub(e.getMessage(), cfg.httpUrls()), e);
                }
                out.println("indexer: mirroring engine " + meta.engine() + " on chain " + meta.chainId()
                        + "; query API on http://" + cfg.apiHost() + ":" + api.port() + ", dashboard on http://"
                        + cfg.apiHost() + ":" + api.port() + "/dashboard/");
                BackfillProgress progress = new BackfillProgress(out, runner::indexedBlock, runner::head,
                        runner::eventsIndexed, PROGRESS_INTERVAL).start();
                CountDownLatch stopped = new CountDownLatch(1);
                Thread hook = new Thread(() -> {
                    runner.close();
                    try {
                        stopped.await(STORE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "indexer-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    return awaitStop(runner);
                } finally {
                    progress.close();
                    api.close();
                    stopped.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running: it is what stopped us
                    }
                }
            } finally {
                close(rpc, pool, vertx);
            }
        }

        /** Blocks until the runner stops: 0 after a shutdown or an interrupt of this thread, 1 on a failure. */
        private int awaitStop(IndexerRunner runner) {
            try {
                try {
                    runner.done().get();
                } catch (InterruptedException e) {
                    log.info("interrupted: stopping after the batch in progress");
                    runner.close();
                    runner.done().get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    Thread.currentThread().interrupt();
                }
                log.info("indexer stopped at #{}", runner.indexedBlock());
                return 0;
            } catch (Exception e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                        ? e.getCause() : e;
                err.println("indexer: stopped on a failure at #" + runner.indexedBlock() + ": " + cause.getMessage());
                log.error("indexer failed", cause);
                return causedBy(cause, ReorgTooDeepException.class) ? ExitCode.REBUILD_NEEDED : ExitCode.FAILED;
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Compare the mirror with the engine's (and the margin guard's) views at the mirror's cursor "
                    + "block. RPC calls are retried on transient failures, each within verify.call-timeout.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:the mirror equals the chain", "1:mismatches found (each printed)",
                    "2:bad configuration or deployment file",
                    "4:the node or the database is not the deployment file's (another chain id, no code at the "
                            + "engine or an oracle, a database of another chain or engine)",
                    "5:could not check: the node or the database did not answer or failed (after retries), or "
                            + "nothing is mirrored yet"})
    final class Verify implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            IndexerConfig cfg = IndexerConfig.load(config.file, env);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            PostgresUrl db = cfg.database();
            RpcClient rpc = RpcClient.connect(cfg.verifyRpcConfig());
            StartChecks checks = new StartChecks(rpc, cfg.httpUrls(), deployment, cfg.deployment());
            try (Connection c = connect(db)) {
                Optional<IndexerMeta> stored = StartChecks.storedMeta(c);
                if (stored.isEmpty()) {
                    throw new StartupException(ExitCode.NOT_CHECKED, "could not check: the database " + db
                            + " holds no mirror yet (run `indexer run` first)", null);
                }
                StartChecks.Node node = checks.node();
                StartChecks.requireSameDeployment(stored, configuredMeta(deployment, node), db);
                return new Verifier(rpc, deployment.engine(), deployment.guard()).verify(c, out) == 0 ? ExitCode.OK
                        : ExitCode.FAILED;
            } catch (StartupException e) {
                if (e.exitCode() != ExitCode.NODE_UNREACHABLE && e.exitCode() != ExitCode.CONFIG) throw e;
                throw notChecked(e.getMessage(), e, cfg);
            } catch (SQLException | RuntimeException e) {
                throw notChecked(e.getMessage(), e, cfg);
            } finally {
                rpc.close();
            }
        }

        /** "Could not check", on one line, with any URL's credentials masked. */
        private StartupException notChecked(String why, Throwable cause, IndexerConfig cfg) {
            String line = Redact.scrub(why == null ? cause.toString() : why, cfg.httpUrls())
                    .replaceAll("\\s*\\R\\s*", " ").replaceFirst("^node unreachable at start: ", "node unreachable: ");
            return new StartupException(ExitCode.NOT_CHECKED, line.startsWith("could not check") ? line
                    : "could not check: " + line, cause);
        }
    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            description = {"Roll the mirror back to the block before --from-block (deleting every row and history "
                    + "entry from that block on, as a reorg inside the window does) and set the cursor there; the "
                    + "next `indexer run` indexes from --from-block again. The way back after a reorg deeper than "
                    + "follower.reorg-window: pick a block at or below the first one that changed (the deployment "
                    + "block re-indexes everything). Stop `indexer run` first.",
                    "Refused when a block hash the mirror keeps at or below the block before --from-block is not "
                            + "on the node's chain (the fork is lower)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:rolled back", "2:bad configuration, deployment file or --from-block, nothing mirrored "
                    + "yet, database unreachable", "3:no RPC endpoint answered at start",
                    "4:the node, the deployment file and the database do not describe one deployment, or the mirror "
                            + "below --from-block is not on the node's chain; nothing was written"})
    final class Rebuild implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--from-block", required = true, paramLabel = "<N>",
                description = "the first block to index again (at least the deployment block, at most the cursor)")
        long fromBlock;

        @Override
        public Integer call() throws Exception {
            IndexerConfig cfg = IndexerConfig.load(config.file, env);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            PostgresUrl db = cfg.database();
            RpcClient rpc = RpcClient.connect(cfg.rpcConfig());
            Vertx vertx = null;
            Pool pool = null;
            try {
                // everything is checked before anything is written, so a refused rebuild leaves the database as it was
                StartChecks checks = new StartChecks(rpc, cfg.httpUrls(), deployment, cfg.deployment());
                IndexerMeta meta = configuredMeta(deployment, checks.node());
                if (checkDatabase(db, meta).isEmpty()) {
                    throw new StartupException("nothing to roll back: the database " + db + " holds no mirror", null);
                }
                vertx = Vertx.vertx();
                pool = MirrorPool.create(db, vertx);
                MirrorStore store = new MirrorStore(pool, new MirrorProjection(meta.engine(), meta.guard(),
                        new EventDecoder()), cfg.reorgWindow());
                long cursor = await(store.loadCursor(), db).map(IndexedCursor::blockNumber)
                        .orElseThrow(() -> new StartupException("nothing to roll back: the database " + db
                                + " holds no indexed block yet", null));
                long first = Math.max(1, meta.deployBlock());
                if (fromBlock < first || fromBlock > cursor) {
                    throw new StartupException("--from-block " + fromBlock + " is outside the mirror: it holds #"
                            + meta.deployBlock() + "..#" + cursor + " (--from-block " + first
                            + " re-indexes everything)", null);
                }
                long keep = fromBlock - 1;
                for (Map.Entry<Long, String> known : await(store.knownHashesAtOrBelow(keep), db).entrySet()) {
                    BlockRef onChain = checks.header(known.getKey());
                    if (!onChain.hash().equals(known.getValue())) {
                        throw new StartupException(ExitCode.CHAIN_MISMATCH, "block #" + known.getKey()
                                + " of the mirror (" + known.getValue() + ") is not on the node's chain (which has "
                                + onChain.hash() + "): the fork is at or below #" + known.getKey()
                                + ", so rebuild with --from-block " + known.getKey() + " or lower", null);
                    }
                }
                migrate(db);
                ensureMeta(store, meta, db);
                BlockRef ancestor = checks.header(keep);
                await(store.rollbackTo(ancestor), db);
                out.println("indexer: mirror rolled back to #" + keep + " " + ancestor.hash() + " (blocks #"
                        + fromBlock + "..#" + cursor + " undone); `indexer run` indexes from #" + fromBlock);
                log.info("rebuild: mirror rolled back to {} (blocks #{}..#{} undone)", ancestor, fromBlock, cursor);
                return ExitCode.OK;
            } finally {
                close(rpc, pool, vertx);
            }
        }
    }

    /**
     * The checks before anything is written ({@link StartChecks}: the node, then the database's recorded deployment,
     * read only), then the schema migrations.
     *
     * @return the deployment the database mirrors from now on, with the node's genesis hash
     */
    private static IndexerMeta checkThenMigrate(IndexerConfig cfg, DeploymentFile deployment, RpcClient rpc) {
        StartChecks checks = new StartChecks(rpc, cfg.httpUrls(), deployment, cfg.deployment());
        IndexerMeta meta = configuredMeta(deployment, checks.node());
        checkDatabase(cfg.database(), meta);
        migrate(cfg.database());
        return meta;
    }

    /**
     * Reads the deployment the database records, without writing, and refuses one of another chain or engine than
     * {@code meta}.
     *
     * @return the recorded deployment, or empty when the database holds no mirror yet
     */
    private static Optional<IndexerMeta> checkDatabase(PostgresUrl db, IndexerMeta meta) {
        try (Connection c = connect(db)) {
            Optional<IndexerMeta> stored = StartChecks.storedMeta(c);
            StartChecks.requireSameDeployment(stored, meta, db);
            return stored;
        } catch (SQLException e) {
            throw new StartupException("cannot read the database " + db + ": " + e.getMessage(), e);
        }
    }

    private static IndexerMeta configuredMeta(DeploymentFile deployment, StartChecks.Node node) {
        return new IndexerMeta(deployment.chainId(), deployment.engine(), deployment.deployBlock(),
                node.genesisHash(), deployment.guard());
    }

    private static void migrate(PostgresUrl db) {
        try {
            int applied = Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
            log.info("schema migrated ({} migration(s) applied) on {}", applied, db);
        } catch (FlywayException e) {
            throw new StartupException("cannot migrate the database " + db + ": " + e.getMessage(), e);
        }
    }

    /** Records {@code meta} in the database (or checks it against the recorded one). */
    private static void ensureMeta(MirrorStore store, IndexerMeta meta, PostgresUrl db) {
        try {
            await(store.ensureMeta(meta), db);
        } catch (MetaMismatchException e) {
            throw new StartupException(ExitCode.CHAIN_MISMATCH, e.getMessage(), e);
        }
    }

    private static <T> T await(Future<T> f, PostgresUrl db) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof MetaMismatchException m) throw m;
            throw new StartupException("cannot use the database " + db + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new StartupException("cannot use the database " + db + ": no answer within " + STORE_TIMEOUT, e);
        }
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (type.isInstance(t)) return true;
        }
        return false;
    }

    private static void close(RpcClient rpc, Pool pool, Vertx vertx) {
        rpc.close();
        if (pool != null) {
            pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                    .exceptionally(t -> null).join();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                    .exceptionally(t -> null).join();
        }
    }

    private static Connection connect(PostgresUrl db) {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "60");
        try {
            return DriverManager.getConnection(db.jdbcUrl(), p);
        } catch (SQLException e) {
            throw new StartupException("cannot connect to the database " + db + ": " + e.getMessage(), e);
        }
    }
}

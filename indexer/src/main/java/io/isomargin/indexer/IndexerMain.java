package io.isomargin.indexer;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.config.Redact;
import io.isomargin.abi.events.EventDecoder;
import io.isomargin.abi.follower.RpcClient;
import io.isomargin.indexer.api.ApiServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The indexer's command line: {@code indexer run --config <file>} mirrors the deployment into PostgreSQL until
 * interrupted; {@code indexer verify --config <file>} compares the mirror with the chain at the mirror's cursor.
 *
 * <p>Exit codes: 0 success (verify: no mismatch), 1 verify found mismatches or the indexer failed while running,
 * 2 bad configuration, unreachable or foreign database, unreachable node or wrong chain.
 */
@Command(name = "indexer", mixinStandardHelpOptions = true,
        description = "Mirrors an Isomargin deployment into PostgreSQL and checks the mirror against the chain.")
public final class IndexerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(IndexerMain.class);
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

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

    /** The command line with its subcommands, reading environment overrides from {@code env}. */
    public static CommandLine commandLine(Map<String, String> env, PrintStream out, PrintStream err) {
        IndexerMain main = new IndexerMain(env, out, err);
        CommandLine cl = new CommandLine(main)
                .addSubcommand("run", main.new Run())
                .addSubcommand("verify", main.new Verify());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof ConfigException || ex instanceof StartupException) {
                err.println("indexer: " + ex.getMessage());
                return 2;
            }
            err.println("indexer: " + ex);
            log.error("indexer failed", ex);
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, out);
        return 2;
    }

    /** The {@code --config} option of every subcommand. */
    static final class ConfigOption {
        @Option(names = "--config", required = true, paramLabel = "<file>",
                description = "YAML config (see indexer/indexer.example.yaml); env ISOMARGIN_INDEXER_* overrides")
        Path file;
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Migrate the schema, then follow the chain into the mirror until interrupted.")
    final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            IndexerConfig cfg = IndexerConfig.load(config.file, env);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            IndexerMeta meta = new IndexerMeta(deployment.chainId(), deployment.engine(), deployment.deployBlock());
            DatabaseUrl db = cfg.database();
            try {
                int applied = Migrations.migrate(db.jdbcUrl(), db.user(), db.password());
                log.info("schema migrated ({} migration(s) applied) on {}", applied, db);
            } catch (FlywayException e) {
                throw new StartupException("cannot migrate the database " + db + ": " + e.getMessage(), e);
            }
            Vertx vertx = Vertx.vertx();
            Pool pool = db.pool(vertx);
            RpcClient rpc = RpcClient.connect(cfg.rpcConfig());
            try {
                MirrorProjection projection = new MirrorProjection(meta.engine(), new EventDecoder());
                MirrorStore store = new MirrorStore(pool, projection, cfg.reorgWindow());
                try {
                    await(store.ensureMeta(meta));
                } catch (MetaMismatchException e) {
                    throw new StartupException(e.getMessage(), e);
                } catch (RuntimeException e) {
                    throw new StartupException("cannot use the database " + db + ": " + e.getMessage(), e);
                }
                IndexerRunner runner = new IndexerRunner(rpc, cfg.followerConfig(meta.engine()), store, projection,
                        meta, deployment.oracles(), STORE_TIMEOUT);
                PrometheusMeterRegistry metrics = IndexerMetrics.create(runner);
                ApiServer api;
                try {
                    api = ApiServer.start(vertx, new ApiServer.Options(cfg.apiHost(), cfg.apiPort(),
                            cfg.apiMaxHealthyLag(), cfg.apiKeeperUrl()), new MirrorReader(pool), () -> new ApiServer.Status(
                                    runner.indexedBlock(), runner.head(), runner.reorgs(), runner.following()),
                            metrics);
                } catch (IllegalStateException e) {
                    throw new StartupException("api.port: " + e.getMessage(), e);
                }
                try {
                    runner.start();
                } catch (RuntimeException e) {
                    api.close();
                    throw new StartupException("cannot start following " + Redact.urls(cfg.httpUrls()) + ": "
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
                rpc.close();
                pool.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                        .exceptionally(t -> null).join();
                vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
                        .exceptionally(t -> null).join();
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
                return 1;
            }
        }

        private <T> T await(Future<T> f) {
            try {
                return f.toCompletionStage().toCompletableFuture().get(STORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("no answer within " + STORE_TIMEOUT, e);
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Compare the mirror with the engine's views at the mirror's cursor block; exit 1 on any "
                    + "mismatch.")
    final class Verify implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            IndexerConfig cfg = IndexerConfig.load(config.file, env);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            DatabaseUrl db = cfg.database();
            String url = cfg.httpUrls().getFirst();
            String shown = Redact.url(url);
            OkHttpClient http = new OkHttpClient.Builder().callTimeout(cfg.rpcTimeout()).build();
            Web3j web3j = Web3j.build(new HttpService(url, http));
            try (Connection c = connect(db)) {
                checkDeployment(c, db, deployment);
                long chainId;
                try {
                    chainId = web3j.ethChainId().send().getChainId().longValueExact();
                } catch (Exception e) {
                    throw new StartupException("cannot reach the node " + shown + ": "
                            + Redact.scrub(e.getMessage(), List.of(url)), e);
                }
                if (chainId != deployment.chainId()) {
                    throw new StartupException("the node " + shown + " serves chain " + chainId
                            + ", the deployment is on chain " + deployment.chainId(), null);
                }
                return new Verifier(web3j, deployment.engine()).verify(c, out) == 0 ? 0 : 1;
            } finally {
                web3j.shutdown();
            }
        }
    }

    private static Connection connect(DatabaseUrl db) {
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

    /** The database must mirror the deployment file's chain and engine. */
    private static void checkDeployment(Connection c, DatabaseUrl db, DeploymentFile deployment) {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT chain_id, engine FROM indexer_meta")) {
            if (!r.next()) {
                throw new StartupException("the database " + db + " has no mirror yet: run `indexer run` first", null);
            }
            IndexerMeta expected = new IndexerMeta(deployment.chainId(), deployment.engine(), deployment.deployBlock());
            if (r.getLong(1) != expected.chainId() || !Objects.equals(r.getString(2), expected.engine())) {
                throw new StartupException("the database " + db + " mirrors engine " + r.getString(2) + " on chain "
                        + r.getLong(1) + ", but the deployment file names engine " + expected.engine() + " on chain "
                        + expected.chainId(), null);
            }
        } catch (SQLException e) {
            throw new StartupException("cannot read the mirror in " + db + " (not migrated? run `indexer run` "
                    + "first): " + e.getMessage(), e);
        }
    }

}

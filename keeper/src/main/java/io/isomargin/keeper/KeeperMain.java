package io.isomargin.keeper;

import io.isomargin.abi.cli.ServiceCli;
import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.keeper.config.KeeperConfig;
import io.isomargin.keeper.config.KeyLoader;
import io.isomargin.keeper.ops.KeeperMetrics;
import io.isomargin.keeper.ops.KeeperStatus;
import io.isomargin.keeper.ops.StatusJson;
import io.isomargin.keeper.ops.StatusTable;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.web3j.crypto.Credentials;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The keeper's command line: {@code keeper run --config <file> [--dry-run]} liquidates unhealthy vaults until
 * interrupted; {@code keeper status --config <file>} asks the running keeper's {@code /status} and prints the
 * tracked vaults, the 10 closest to liquidation and the pending transactions.
 *
 * <p>Exit codes: 0 success, 1 the keeper failed while running or (status) no keeper answers, 2 bad configuration,
 * deployment file or key (the message names what is wrong; never the key or its password), 3 no RPC endpoint
 * answered at start (worth a restart by a supervisor; the message masks the URLs' credentials).
 */
@Command(name = "keeper", mixinStandardHelpOptions = true,
        description = "Finds unhealthy Isomargin vaults and liquidates them.")
public final class KeeperMain implements Callable<Integer> {
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final KeeperApp app;

    private KeeperMain(Map<String, String> env, PrintStream out, PrintStream err, KeeperApp app) {
        this.env = Map.copyOf(env);
        this.out = out;
        this.err = err;
        this.app = app;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv(), System.out, System.err, new KeeperRunner())
                .execute(args));
    }

    /**
     * The command line with its subcommands ({@link ServiceCli}: a bad key exits 2 like a bad setting, no node at
     * start 3).
     *
     * @param env environment overrides ({@code ISOMARGIN_KEEPER_*}) and the variable {@code key.private-key-env}
     *            names
     * @param app what {@code run} hands the validated configuration and key to
     */
    public static CommandLine commandLine(Map<String, String> env, PrintStream out, PrintStream err, KeeperApp app) {
        KeeperMain main = new KeeperMain(env, out, err, Objects.requireNonNull(app, "app"));
        return ServiceCli.commandLine("keeper", out, err, main, main.new Run(), main.new Status());
    }

    @Override
    public Integer call() {
        return ServiceCli.usage(spec, out);
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Follow the chain and liquidate unhealthy vaults until interrupted.",
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:stopped (interrupted or terminated)", "1:failed while running",
                    "2:bad configuration, deployment file or key", "3:no RPC endpoint answered at start"})
    final class Run implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "<file>",
                description = "YAML config (see keeper/keeper.example.yaml); env ISOMARGIN_KEEPER_* overrides")
        Path file;

        @Option(names = "--dry-run", description = "Do everything but send transactions (overrides dry-run in the "
                + "config)")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            KeeperConfig cfg = KeeperConfig.load(file, env);
            if (dryRun) cfg = cfg.withDryRun(true);
            DeploymentFile deployment = DeploymentFile.read(cfg.deployment());
            List<DeploymentFile.Market> markets = cfg.selectMarkets(deployment);
            Credentials key = new KeyLoader(env).load(cfg.key(), deployment.chainId());
            out.println("keeper: " + key.getAddress() + " keeping " + markets.size() + " market(s) "
                    + markets.stream().map(m -> m.id().toString()).toList() + " of engine " + deployment.engine()
                    + " on chain " + deployment.chainId() + (cfg.dryRun() ? " (DRY RUN: nothing is sent)" : ""));
            return app.run(cfg, deployment, key, new KeeperMetrics(), out);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print a running keeper's tracked vaults, the 10 closest to liquidation and its pending "
                    + "transactions (from its /status).")
    final class Status implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "<file>",
                description = "the running keeper's YAML config: its http.host and http.port are asked")
        Path file;

        @Option(names = "--url", paramLabel = "<url>",
                description = "the keeper's base URL instead, e.g. http://127.0.0.1:9090")
        String url;

        @Option(names = "--json", description = "print the keeper's /status JSON as it answered (exact raw amounts "
                + "beside the formatted ones) instead of tables")
        boolean json;

        @Override
        public Integer call() throws Exception {
            URI uri = statusUri();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(STATUS_TIMEOUT)
                    .build();
            HttpResponse<String> response;
            try {
                // the deadline is kept here too: the client's own request timeout was once seen not to fire
                response = http.sendAsync(HttpRequest.newBuilder(uri).timeout(STATUS_TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).get(STATUS_TIMEOUT.toMillis() + 1_000,
                                java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                        ? e.getCause() : e;
                err.println("keeper: no keeper answers at " + uri + " (" + reason(cause) + "): is `keeper run` "
                        + "running with this config?");
                return ServiceCli.FAILED;
            } finally {
                http.close();
            }
            if (response.statusCode() != 200) {
                err.println("keeper: " + uri + " answered HTTP " + response.statusCode() + ": " + response.body());
                return ServiceCli.FAILED;
            }
            KeeperStatus status;
            try {
                status = new StatusJson().read(response.body());
            } catch (IllegalArgumentException e) {
                err.println("keeper: " + uri + " did not answer a keeper status: " + e.getMessage());
                return ServiceCli.FAILED;
            }
            if (json) out.println(response.body());
            else StatusTable.print(status, out);
            return ServiceCli.OK;
        }

        private URI statusUri() {
            if (url != null) {
                String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
                try {
                    URI u = URI.create(base + "/status");
                    if (u.getHost() == null || !List.of("http", "https").contains(u.getScheme())) {
                        throw new IllegalArgumentException();
                    }
                    return u;
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("--url", url, "an http(s) URL like http://127.0.0.1:9090");
                }
            }
            if (file == null) {
                throw new ConfigException("--config", null, "give the keeper's config file (or --url)");
            }
            KeeperConfig cfg = KeeperConfig.load(file, env);
            if (cfg.http().port() == 0) {
                throw new ConfigException("http.port", "0", "a fixed port to ask: with 0 the keeper picked a free "
                        + "port at start (it printed it); pass --url http://host:port");
            }
            String host = cfg.http().host();
            if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) host = "127.0.0.1";
            if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
            return URI.create("http://" + host + ":" + cfg.http().port() + "/status");
        }
    }

    private static String reason(Throwable e) {
        if (e instanceof java.net.ConnectException) return "connection refused";
        if (e instanceof java.net.http.HttpTimeoutException || e instanceof java.util.concurrent.TimeoutException) {
            return "no answer within " + STATUS_TIMEOUT.toSeconds() + " s";
        }
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}

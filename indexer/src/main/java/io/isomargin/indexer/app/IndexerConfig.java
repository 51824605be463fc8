package io.isomargin.indexer.app;

import io.isomargin.abi.config.ConfigException;
import io.isomargin.abi.config.ConfigKeys;
import io.isomargin.abi.config.ConfigSource;
import io.isomargin.abi.config.PostgresUrl;
import io.isomargin.abi.follower.FollowerConfig;
import io.isomargin.abi.follower.RpcConfig;
import io.isomargin.indexer.api.ApiServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The indexer's configuration, read from a YAML file with environment overrides ({@value #ENV_PREFIX} + the key
 * upper-cased, dots and dashes as underscores; see {@link ConfigSource}). Example: {@code indexer/indexer.example.yaml}.
 *
 * @param deployment         the forge scripts' deployment JSON ({@code deployment}, required)
 * @param httpUrls           JSON-RPC endpoints in order of preference ({@code rpc.http-urls}, required)
 * @param wsUrl              a {@code ws(s)://} endpoint for new-head notifications ({@code rpc.ws-url})
 * @param rpcTimeout         the timeout of one RPC request ({@code rpc.timeout}, 100ms..5m, default 10s)
 * @param database           the mirror database ({@code database.url}, required; {@code DATABASE_URL} is used when
 *                           neither the file nor {@code ISOMARGIN_INDEXER_DATABASE_URL} sets it)
 * @param confirmations      blocks below the head before a block is indexed ({@code follower.confirmations}, 0..1000,
 *                           default 0; below the reorg window)
 * @param reorgWindow        recent block hashes kept and checked ({@code follower.reorg-window}, 1..10000, default 64)
 * @param maxRange           largest {@code eth_getLogs} block range ({@code follower.max-range}, 1..100000, default
 *                           2000)
 * @param pollInterval       how often the head is polled ({@code follower.poll-interval}, 50ms..5m, default 2s)
 * @param apiHost            the query API's interface ({@code api.host}, default 127.0.0.1)
 * @param apiPort            the query API's port ({@code api.port}, 0..65535, default 8080; 0 picks a free port)
 * @param apiMaxHealthyLag   {@code /health} is 200 while at most this many blocks behind the head
 *                           ({@code api.max-healthy-lag}, 0..100000, default 5)
 * @param apiKeeperUrl       the keeper's operator endpoint ({@code api.keeper-url}, optional, e.g.
 *                           {@code http://127.0.0.1:9090}): {@code /keeper/status} relays its {@code /status} so the
 *                           dashboard can show it
 * @param verifyCallTimeout  the timeout of one RPC request of {@code verify} ({@code verify.call-timeout}, 100ms..30m,
 *                           default 30s): its {@code eth_call}s read state at the mirror's block, which a node may take
 *                           long to serve when that block is old
 * @param apiMaxStalledBlocks {@code /health} is 503 ({@code stalled}) when no batch was committed for more than this
 *                           many observed block times while the head moved ({@code api.max-stalled-blocks}, 1..100000,
 *                           default 10)
 * @param apiMaxSilentBlocks {@code /health} is 503 ({@code node-silent}) when no endpoint answered a head poll for
 *                           more than this many observed block times ({@code api.max-silent-blocks}, 1..100000,
 *                           default 10)
 * @param initialRange       the first {@code eth_getLogs} range when the database holds no learned range yet
 *                           ({@code follower.initial-range}, 1..max-range, default 10 or max-range when lower); later
 *                           starts resume from the range the last run learned
 * @param maxResponseBytes   about the most bytes one {@code eth_getLogs} answer should hold
 *                           ({@code follower.max-response-size}, 64KiB..1GiB, default 8MiB)
 * @param apiCorsOrigins     the web origins a browser may call the API from ({@code api.cors-origins}, a list of
 *                           {@code scheme://host[:port]}, or {@code *} for any); empty (the default): no CORS headers
 */
public record IndexerConfig(Path deployment, List<String> httpUrls, Optional<String> wsUrl, Duration rpcTimeout,
        PostgresUrl database, int confirmations, int reorgWindow, int maxRange, Duration pollInterval,
        String apiHost, int apiPort, int apiMaxHealthyLag, Optional<String> apiKeeperUrl, Duration verifyCallTimeout,
        int apiMaxStalledBlocks, int apiMaxSilentBlocks, int initialRange, long maxResponseBytes,
        List<String> apiCorsOrigins) {

    /** The prefix of the environment variables that override the file. */
    public static final String ENV_PREFIX = "ISOMARGIN_INDEXER_";

    /** Every key the file and the environment may set. */
    public static final ConfigKeys KEYS = ConfigKeys.of("deployment",
            "rpc.http-urls", "rpc.ws-url", "rpc.timeout",
            "database.url",
            "follower.confirmations", "follower.reorg-window", "follower.max-range", "follower.poll-interval",
            "follower.initial-range", "follower.max-response-size",
            "api.host", "api.port", "api.max-healthy-lag", "api.keeper-url", "api.max-stalled-blocks",
            "api.max-silent-blocks", "api.cors-origins",
            "verify.call-timeout");

    private static final java.util.regex.Pattern CORS_ORIGIN = java.util.regex.Pattern.compile(
            "https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?");

    /** {@code verify.call-timeout} when not set. */
    public static final Duration DEFAULT_VERIFY_CALL_TIMEOUT = Duration.ofSeconds(30);

    public IndexerConfig {
        Objects.requireNonNull(deployment, "deployment");
        httpUrls = List.copyOf(httpUrls);
        Objects.requireNonNull(wsUrl, "wsUrl");
        Objects.requireNonNull(rpcTimeout, "rpcTimeout");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(apiHost, "apiHost");
        Objects.requireNonNull(apiKeeperUrl, "apiKeeperUrl");
        Objects.requireNonNull(verifyCallTimeout, "verifyCallTimeout");
        apiCorsOrigins = List.copyOf(apiCorsOrigins);
    }

    /** A configuration with the default {@code verify.call-timeout}, {@code api.max-stalled-blocks},
     * {@code api.max-silent-blocks}, {@code follower.initial-range} and {@code follower.max-response-size}. */
    public IndexerConfig(Path deployment, List<String> httpUrls, Optional<String> wsUrl, Duration rpcTimeout,
            PostgresUrl database, int confirmations, int reorgWindow, int maxRange, Duration pollInterval,
            String apiHost, int apiPort, int apiMaxHealthyLag, Optional<String> apiKeeperUrl) {
        this(deployment, httpUrls, wsUrl, rpcTimeout, database, confirmations, reorgWindow, maxRange, pollInterval,
                apiHost, apiPort, apiMaxHealthyLag, apiKeeperUrl, DEFAULT_VERIFY_CALL_TIMEOUT,
                ApiServer.Options.DEFAULT_MAX_STALLED_BLOCKS, ApiServer.Options.DEFAULT_MAX_SILENT_BLOCKS,
                Math.min(FollowerConfig.DEFAULT_INITIAL_RANGE, maxRange), FollowerConfig.DEFAULT_MAX_RESPONSE_BYTES,
                List.of());
    }

    /**
     * Reads {@code file} (null: environment only) with overrides from {@code env}.
     *
     * @throws ConfigException naming the first key that is missing, malformed, out of bounds or unknown
     */
    public static IndexerConfig load(Path file, Map<String, String> env) {
        ConfigSource c = ConfigSource.load(file, env, ENV_PREFIX, KEYS);
        Path deployment = Path.of(c.requiredString("deployment", "path to the deployment JSON the forge scripts write"));
        List<String> httpUrls = c.urls("rpc.http-urls", Set.of("http", "https"));
        Optional<String> wsUrl = c.url("rpc.ws-url", Set.of("ws", "wss"));
        Duration rpcTimeout = c.duration("rpc.timeout", Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofMinutes(5));
        Optional<String> dbUrl = c.optionalString("database.url");
        if (dbUrl.isEmpty()) {
            dbUrl = Optional.ofNullable(env.get("DATABASE_URL")).map(String::trim).filter(s -> !s.isEmpty());
        }
        PostgresUrl database = PostgresUrl.parse("database.url", dbUrl.orElseThrow(() -> new ConfigException(
                "database.url", null, "required: postgres://user:password@host:port/database (set it in the file, "
                        + c.envName("database.url") + " or DATABASE_URL)")));
        int reorgWindow = c.intValue("follower.reorg-window", 64, 1, 10_000);
        int confirmations = c.intValue("follower.confirmations", 0, 0, 1_000);
        if (confirmations >= reorgWindow) {
            throw new ConfigException("follower.confirmations", Integer.toString(confirmations),
                    "must be below follower.reorg-window (" + reorgWindow + ")");
        }
        int maxRange = c.intValue("follower.max-range", 2_000, 1, 100_000);
        int initialRange = c.intValue("follower.initial-range",
                Math.min(FollowerConfig.DEFAULT_INITIAL_RANGE, maxRange), 1, 100_000);
        if (initialRange > maxRange) {
            throw new ConfigException("follower.initial-range", Integer.toString(initialRange),
                    "must not be above follower.max-range (" + maxRange + ")");
        }
        long maxResponseBytes = c.byteSize("follower.max-response-size", FollowerConfig.DEFAULT_MAX_RESPONSE_BYTES,
                64L << 10, 1L << 30);
        Duration pollInterval = c.duration("follower.poll-interval", Duration.ofSeconds(2), Duration.ofMillis(50),
                Duration.ofMinutes(5));
        String apiHost = c.string("api.host", "127.0.0.1");
        if (apiHost.isBlank() || apiHost.chars().anyMatch(Character::isWhitespace)) {
            throw new ConfigException("api.host", apiHost, "must be a host name or IP address to listen on");
        }
        int apiPort = c.intValue("api.port", 8080, 0, 65_535);
        int apiMaxHealthyLag = c.intValue("api.max-healthy-lag", 5, 0, 100_000);
        Optional<String> apiKeeperUrl = c.url("api.keeper-url", Set.of("http", "https"))
                .map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
        int apiMaxStalledBlocks = c.intValue("api.max-stalled-blocks", ApiServer.Options.DEFAULT_MAX_STALLED_BLOCKS,
                1, 100_000);
        int apiMaxSilentBlocks = c.intValue("api.max-silent-blocks", ApiServer.Options.DEFAULT_MAX_SILENT_BLOCKS, 1,
                100_000);
        List<String> apiCorsOrigins = c.list("api.cors-origins");
        for (String origin : apiCorsOrigins) {
            if (!origin.equals("*") && !CORS_ORIGIN.matcher(origin).matches()) {
                throw new ConfigException("api.cors-origins", origin, "an origin like https://app.example.com or "
                        + "http://localhost:3000 (scheme, host and optional port, no path), or * for any");
            }
        }
        if (apiCorsOrigins.contains("*") && apiCorsOrigins.size() > 1) {
            throw new ConfigException("api.cors-origins", String.join(",", apiCorsOrigins), "* allows any origin: "
                    + "list origins or give * alone");
        }
        Duration verifyCallTimeout = c.duration("verify.call-timeout", DEFAULT_VERIFY_CALL_TIMEOUT,
                Duration.ofMillis(100), Duration.ofMinutes(30));
        c.rejectUnknownKeys();
        return new IndexerConfig(deployment, httpUrls, wsUrl, rpcTimeout, database, confirmations, reorgWindow,
                maxRange, pollInterval, apiHost, apiPort, apiMaxHealthyLag, apiKeeperUrl, verifyCallTimeout,
                apiMaxStalledBlocks, apiMaxSilentBlocks, initialRange, maxResponseBytes, apiCorsOrigins);
    }

    /** The query API's address and {@code /health} limits. */
    public ApiServer.Options apiOptions() {
        return new ApiServer.Options(apiHost, apiPort, apiMaxHealthyLag, apiKeeperUrl, apiMaxStalledBlocks,
                apiMaxSilentBlocks, apiCorsOrigins);
    }

    /** The RPC guards: production defaults with this config's endpoints and timeout. */
    public RpcConfig rpcConfig() {
        RpcConfig d = RpcConfig.defaults(httpUrls);
        return new RpcConfig(httpUrls, rpcTimeout, d.maxAttempts(), d.initialBackoff(), d.maxBackoff(),
                d.circuitWindow(), d.failureRatePercent(), d.circuitOpenDuration(), d.maxRequestsPerSecond());
    }

    /**
     * The RPC guards of {@code verify}: {@link #rpcConfig()} with {@code verify.call-timeout} per request, and a circuit
     * that opens only when all of the last calls failed: with retries, a flaky endpoint slows the check but does not
     * end it.
     */
    public RpcConfig verifyRpcConfig() {
        RpcConfig r = rpcConfig();
        return new RpcConfig(r.httpUrls(), verifyCallTimeout, r.maxAttempts(), r.initialBackoff(), r.maxBackoff(),
                r.circuitWindow(), 100, r.circuitOpenDuration(), r.maxRequestsPerSecond());
    }

    /** How to follow {@code engine} (the runner adds the oracles, and starts from the range it learned when the
     * database holds one). */
    public FollowerConfig followerConfig(String engine) {
        return new FollowerConfig(rpcConfig(), wsUrl, List.of(engine), List.of(), confirmations, initialRange, 1,
                maxRange, pollInterval, reorgWindow, maxResponseBytes);
    }
}

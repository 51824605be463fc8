package io.isomargin.bench;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The indexer's shaded jar run as an operator runs it ({@code java -jar ... run --config indexer/indexer.example.yaml}
 * with {@code ISOMARGIN_INDEXER_*} overrides for the chain, deployment file, database and API port; the JVM's default
 * heap sizing, as {@code bin/isomargin-indexer} leaves it), so the benchmarks measure what a user waits for and what
 * the process really holds, not an indexer built inside the benchmark's JVM. Closing it stops the process (SIGTERM,
 * then a kill); so does the benchmark's JVM exiting.
 */
public final class IndexerJar implements AutoCloseable {
    private static final Pattern INDEXED = Pattern.compile("\"indexedBlock\"\\s*:\\s*(\\d+)");
    /** Resolution of {@link #awaitIndexed}: the time to caught-up is late by at most this plus one /health call. */
    private static final long POLL_MS = 20;

    private final Process process;
    private final int apiPort;
    private final long launchedNanos;
    private final Path log;
    private final Thread killOnExit;

    private IndexerJar(Process process, int apiPort, long launchedNanos, Path log) {
        this.process = process;
        this.apiPort = apiPort;
        this.launchedNanos = launchedNanos;
        this.log = log;
        this.killOnExit = new Thread(process::destroy, "indexer-jar-stop");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * {@code indexer/target/isomargin-indexer-*-all.jar} (the newest if several), or an error naming the command that
     * builds it.
     */
    public static Path jar() throws IOException {
        Path dir = AnvilChain.repoRoot().resolve("indexer/target");
        Path newest = null;
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(dir, "isomargin-indexer-*-all.jar")) {
                for (Path p : jars) {
                    boolean newer = newest == null
                            || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0;
                    if (newer) newest = p;
                }
            }
        }
        if (newest == null) {
            throw new IllegalStateException(dir.resolve("isomargin-indexer-*-all.jar") + " not found: build it with "
                    + "./mvnw -B -ntp -pl indexer -am package -DskipTests (make bench-indexer and make bench do)");
        }
        return newest;
    }

    /**
     * Launches the jar against {@code d}'s deployment (written to {@code work}) on a chain at {@code httpUrl}
     * ({@code wsUrl} for new heads, none: polling only) with {@code db} (fresh: the jar migrates it), its API on a
     * free port and its output in {@code work/indexer.log}. {@code env} adds or overrides variables (e.g.
     * {@code ISOMARGIN_INDEXER_FOLLOWER_MAX_RANGE}). The launch time is taken just before the process starts.
     */
    public static IndexerJar start(Path work, Deployment d, PostgresDatabase db, String httpUrl,
            Optional<String> wsUrl, Map<String, String> env) throws IOException {
        Path root = AnvilChain.repoRoot();
        Path jar = jar();
        Path deployment = d.writeDeploymentFile(work.resolve("deployment-indexer.json"));
        int port = ProcessProbe.freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        // what bin/isomargin-java adds: known from JDK 23 on, refused by 21 and 22 (the child runs this JVM's binary)
        if (Runtime.version().feature() >= 23) cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.addAll(List.of("-jar", jar.toString(), "run", "--config", "indexer/indexer.example.yaml"));
        Path log = work.resolve("indexer.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> e = pb.environment();
        e.put("ISOMARGIN_INDEXER_DEPLOYMENT", deployment.toString());
        e.put("ISOMARGIN_INDEXER_RPC_HTTP_URLS", httpUrl);
        e.put("ISOMARGIN_INDEXER_RPC_WS_URL", wsUrl.orElse("")); // empty: no socket, polling only
        e.put("ISOMARGIN_INDEXER_DATABASE_URL", db.postgresUrl().toUrlWithPassword());
        e.put("ISOMARGIN_INDEXER_API_PORT", Integer.toString(port));
        e.putAll(env);
        long launched = System.nanoTime();
        return new IndexerJar(pb.start(), port, launched, log);
    }

    /**
     * Waits until the jar's committed cursor is at {@code block}, read from its {@code /health} ({@code indexedBlock}:
     * the runner's cursor, set once a batch's transaction has committed). That is the least intrusive reading: one
     * small answer from its API's event loop every {@value #POLL_MS} ms, no connection to its database and nothing in
     * its process. Returns the time since launch, in seconds; fails when the process exits or {@code limit} passes.
     */
    public double awaitIndexed(long block, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the indexer jar exited with " + process.exitValue() + "; see " + log);
            }
            String health = ProcessProbe.get(apiPort, "/health", true);
            Matcher m = health == null ? null : INDEXED.matcher(health);
            if (m != null && m.find() && Long.parseLong(m.group(1)) >= block) {
                return (System.nanoTime() - launchedNanos) / 1e9;
            }
            Thread.sleep(POLL_MS);
        }
        throw new IllegalStateException("the indexer jar did not reach #" + block + " within " + limit.toSeconds()
                + " s; see " + log);
    }

    /** The process's peak resident set so far ({@code VmHWM}), MB. */
    public long peakRssMb() {
        return ProcessProbe.peakRssMb(process.pid());
    }

    /** Its heap right after a full collection (null when jcmd or /metrics is unavailable). */
    public ProcessProbe.Heap heapAfterGc() throws InterruptedException {
        return ProcessProbe.heapAfterGc(process.pid(), apiPort);
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Stops the process: SIGTERM (its shutdown hook stops after the batch in progress), then a kill after 20 s. */
    @Override
    public void close() throws InterruptedException {
        ProcessProbe.stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException exiting) {
            // the JVM is exiting: the hook runs anyway
        }
    }
}

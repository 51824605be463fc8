package io.isomargin.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the benchmarks read from a service's JVM process from outside, as an operator could: its peak resident set
 * ({@code /proc}), its heap after a full collection (the live set, from its own Prometheus gauges) and its HTTP
 * endpoints; and stopping it as systemd does. Shared by the indexer benchmark's jar run and the keeper's end-to-end and
 * memory runs, so both measure the same way.
 */
public final class ProcessProbe {
    private static final Pattern HWM = Pattern.compile("VmHWM:\\s+(\\d+) kB");
    private static final Pattern HEAP_USED =
            Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} (\\S+)$");
    private static final Pattern HEAP_COMMITTED =
            Pattern.compile("(?m)^jvm_memory_committed_bytes\\{[^}]*area=\"heap\"[^}]*} (\\S+)$");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** A heap after a full collection: MB in use (the live set) and MB committed, summed over the heap's pools. */
    public record Heap(long usedMb, long committedMb) {}

    private ProcessProbe() {}

    /** The process's peak resident set ({@code VmHWM}) in MB so far; -1 when it cannot be read. */
    public static long peakRssMb(long pid) {
        try {
            Matcher m = HWM.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
            return m.find() ? Long.parseLong(m.group(1)) / 1024 : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The heap right after a full collection: {@code jcmd <pid> GC.run}, then the service's own
     * {@code jvm_memory_*_bytes{area="heap"}} gauges on {@code http://127.0.0.1:<port>/metrics}. Null (with a note on
     * stderr when jcmd is missing) when either is unavailable: the other figures stand without it.
     */
    public static Heap heapAfterGc(long pid, int port) throws InterruptedException {
        try {
            Process gc = jcmd(pid, "GC.run").start();
            gc.getInputStream().readAllBytes();
            if (gc.waitFor() != 0) return null;
        } catch (IOException e) {
            System.err.println("heap after GC not measured: " + e.getMessage());
            return null;
        }
        String metrics = get(port, "/metrics", false);
        if (metrics == null) return null;
        return new Heap(sumMb(HEAP_USED, metrics), sumMb(HEAP_COMMITTED, metrics));
    }

    /** {@code jcmd <pid> <command>}, the JDK's tool beside this JVM's {@code java}. */
    public static ProcessBuilder jcmd(long pid, String command) {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
        return new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true);
    }

    /**
     * The body of {@code http://127.0.0.1:<port><path>}: of a 200 answer, or of any answer when {@code anyStatus}
     * (the indexer's /health is 503 while it catches up); null when there is none.
     */
    public static String get(int port, String path, boolean anyStatus) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return anyStatus || r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** SIGTERM (the services' shutdown hooks close them after the batch in progress), then a kill after 20 s. */
    public static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    /** A TCP port free at the time of asking, for a service's HTTP endpoint. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long sumMb(Pattern gauge, String metrics) {
        double bytes = 0;
        for (Matcher m = gauge.matcher(metrics); m.find(); ) bytes += Double.parseDouble(m.group(1));
        return Math.round(bytes / (1024 * 1024));
    }
}

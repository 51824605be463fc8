package io.isomargin.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the indexer's CPU time goes during the backfill, from a JDK Flight Recorder file: every CPU sample
 * ({@code jdk.ExecutionSample}) taken inside the backfill's time window is charged to the library of the top frame
 * that is not the JDK's own (time in {@code java.math.BigInteger} called by web3j's decoder is web3j's), so the table
 * reads as "who spends the time". Covers the benchmark's JVM only: Anvil's and PostgreSQL's CPU are other processes.
 */
final class Profile {
    /** One library's share of the samples. */
    record Share(String library, long samples, double percent) {}

    /** Library names by class-name prefix, first match wins. */
    private static final List<Map.Entry<String, String>> LIBRARIES = List.of(
            Map.entry("org.web3j.", "web3j (RPC responses, ABI decoding)"),
            Map.entry("com.fasterxml.jackson.", "Jackson (JSON parsing)"),
            Map.entry("io.vertx.pgclient.", "Vert.x PostgreSQL client (encoding, protocol)"),
            Map.entry("io.vertx.sqlclient.", "Vert.x PostgreSQL client (encoding, protocol)"),
            Map.entry("io.netty.", "Netty (network I/O)"),
            Map.entry("io.vertx.", "Vert.x core"),
            Map.entry("okhttp3.", "OkHttp (JSON-RPC transport)"),
            Map.entry("okio.", "OkHttp (JSON-RPC transport)"),
            Map.entry("io.reactivex.", "RxJava (web3j's plumbing)"),
            Map.entry("io.isomargin.indexer.", "indexer (projection, batching, SQL)"),
            Map.entry("io.isomargin.abi.", "abi (follower, event decoding)"),
            Map.entry("io.isomargin.bench.", "benchmark harness"),
            Map.entry("ch.qos.logback.", "logging"),
            Map.entry("org.slf4j.", "logging"));

    private Profile() {}

    /** The shares of the samples between {@code fromMs} and {@code toMs} (epoch ms), by library, largest first. */
    static List<Share> byLibrary(Path jfr, long fromMs, long toMs) throws IOException {
        return shares(jfr, fromMs, toMs, Profile::library);
    }

    /** The same samples by method (the first frame outside the JDK, {@code Class.method}), largest first. */
    static List<Share> byMethod(Path jfr, long fromMs, long toMs) throws IOException {
        return shares(jfr, fromMs, toMs, Profile::method);
    }

    private static List<Share> shares(Path jfr, long fromMs, long toMs,
            java.util.function.Function<RecordedStackTrace, String> key) throws IOException {
        Instant from = Instant.ofEpochMilli(fromMs);
        Instant to = Instant.ofEpochMilli(toMs);
        Map<String, Long> counts = new HashMap<>();
        long total = 0;
        try (RecordingFile file = new RecordingFile(jfr)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
                if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) continue;
                counts.merge(key.apply(e.getStackTrace()), 1L, Long::sum);
                total++;
            }
        }
        List<Share> shares = new ArrayList<>();
        for (Map.Entry<String, Long> c : counts.entrySet()) {
            shares.add(new Share(c.getKey(), c.getValue(), 100.0 * c.getValue() / total));
        }
        shares.sort(Comparator.comparingLong(Share::samples).reversed());
        return shares;
    }

    private static String method(RecordedStackTrace stack) {
        RecordedFrame f = firstOutsideJdk(stack);
        if (f == null) return stack == null ? "(no stack)" : "JDK only";
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
    }

    private static RecordedFrame firstOutsideJdk(RecordedStackTrace stack) {
        if (stack == null) return null;
        for (RecordedFrame f : stack.getFrames()) {
            if (f.getMethod() == null || f.getMethod().getType() == null) continue;
            String type = f.getMethod().getType().getName();
            if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) return f;
        }
        return null;
    }

    private static String library(RecordedStackTrace stack) {
        if (stack == null) return "(no stack)";
        RecordedFrame f = firstOutsideJdk(stack);
        if (f != null) {
            String type = f.getMethod().getType().getName();
            for (Map.Entry<String, String> lib : LIBRARIES) {
                if (type.startsWith(lib.getKey())) return lib.getValue();
            }
            String[] parts = type.split("\\.");
            return parts.length > 2 ? parts[0] + "." + parts[1] : type;
        }
        return "JDK only (threads, I/O, GC support)";
    }
}

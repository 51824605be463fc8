package io.isomargin.indexer.api;

import io.isomargin.indexer.store.MirrorReader;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Puts an ISO 8601 UTC time ({@code 2025-01-31T12:00:05Z}) beside every block number and every time in seconds of
 * an answer, by field name, one rule for the whole API: {@code block} gets {@code time}, {@code <x>Block} gets
 * {@code <x>Time} (the block's time, from the mirror's {@code block_times}; null when the mirror has none), and a
 * time in seconds {@code <x>} gets {@code <x>Time} ({@code timestamp} gets {@code time}). Every existing field stays
 * as it is.
 */
final class BlockClock {
    /** Block-number fields and the time field each gets. */
    static final Map<String, String> BLOCK_FIELDS = Map.of("block", "time", "createdBlock", "createdTime",
            "updatedBlock", "updatedTime", "openedBlock", "openedTime", "proposedBlock", "proposedTime",
            "resolvedBlock", "resolvedTime", "setBlock", "setTime");
    /** Fields holding a time in seconds and the ISO field each gets. */
    static final Map<String, String> SECONDS_FIELDS = Map.of("timestamp", "time", "updatedAt", "updatedAtTime",
            "expiry", "expiryTime", "executableAt", "executableAtTime", "windowFreesAt", "windowFreesAtTime",
            "lastAccrual", "lastAccrualTime", "start", "startTime", "end", "endTime");

    private BlockClock() {}

    /** {@code answer} with the times added, the block times read in {@code snap} (one query). */
    static Future<JsonObject> stamp(MirrorReader.Snapshot snap, JsonObject answer) {
        Set<Long> blocks = new TreeSet<>();
        collect(answer, blocks);
        return snap.blockTimes(blocks).map(times -> {
            apply(answer, times);
            return answer;
        });
    }

    /** {@code seconds} as ISO 8601 UTC. */
    static String iso(long seconds) {
        return Instant.ofEpochSecond(seconds).toString();
    }

    private static void collect(Object json, Set<Long> blocks) {
        if (json instanceof JsonObject o) {
            for (String k : o.fieldNames()) {
                Object v = o.getValue(k);
                if (BLOCK_FIELDS.containsKey(k) && v instanceof Number n) blocks.add(n.longValue());
                else collect(v, blocks);
            }
        } else if (json instanceof JsonArray a) {
            for (Object v : a) collect(v, blocks);
        }
    }

    static void apply(Object json, Map<Long, Long> times) {
        if (json instanceof JsonObject o) {
            for (String k : List.copyOf(o.fieldNames())) {
                Object v = o.getValue(k);
                if (v instanceof JsonObject || v instanceof JsonArray) apply(v, times);
            }
            for (Map.Entry<String, String> f : BLOCK_FIELDS.entrySet()) {
                if (!o.containsKey(f.getKey()) || o.getValue(f.getKey()) instanceof JsonObject) continue;
                Object v = o.getValue(f.getKey());
                Long t = v instanceof Number n ? times.get(n.longValue()) : null;
                o.put(f.getValue(), t == null ? null : iso(t));
            }
            for (Map.Entry<String, String> f : SECONDS_FIELDS.entrySet()) {
                if (!o.containsKey(f.getKey())) continue;
                Object v = o.getValue(f.getKey());
                if (v instanceof Number n) o.put(f.getValue(), iso(n.longValue()));
                else if (v == null) o.put(f.getValue(), null);
            }
        } else if (json instanceof JsonArray a) {
            for (Object v : a) apply(v, times);
        }
    }
}

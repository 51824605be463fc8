package io.isomargin.bench;

import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.indexer.intake.IndexerRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live half of the benchmark: with the chain mining a block every second, one filler transaction goes out on each
 * new head while the indexer follows; every {@value #SAMPLE_MS} ms the head lag ({@code head - indexed block}) is
 * sampled, and for each block the time from when the sampler first saw it to when the indexer had committed it.
 */
final class LiveLoad {
    static final int SAMPLE_MS = 50;

    /**
     * @param blocks       blocks mined during the run
     * @param lagBlocks    head lag samples, in blocks
     * @param commitMillis per block: first seen to committed, in ms (at {@value #SAMPLE_MS} ms resolution)
     * @param firstBlock   the first block mined during the run
     * @param lastBlock    the last one
     */
    record Result(int blocks, Percentiles lagBlocks, Percentiles commitMillis, long firstBlock, long lastBlock) {}

    private LiveLoad() {}

    /** Runs for {@code duration}, calling {@code sendOne} on each new head, then waits for the indexer to catch up. */
    static Result run(AnvilChain chain, IndexerRunner runner, Runnable sendOne, Duration duration) {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long lastHead = chain.blockNumber();
        long firstBlock = lastHead + 1;
        Map<Long, Long> seen = new TreeMap<>();
        List<Long> lags = new ArrayList<>();
        List<Long> commits = new ArrayList<>();
        long catchUpDeadline = Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            boolean loading = now < end;
            long head = chain.blockNumber();
            for (long b = lastHead + 1; b <= head; b++) {
                seen.put(b, now);
            }
            if (head > lastHead && loading) {
                sendOne.run();
            }
            lastHead = Math.max(lastHead, head);
            long indexed = runner.indexedBlock();
            var done = seen.entrySet().iterator();
            while (done.hasNext()) {
                var e = done.next();
                if (e.getKey() > indexed) break;
                commits.add((now - e.getValue()) / 1_000_000);
                done.remove();
            }
            if (loading) {
                lags.add(Math.max(0, head - indexed));
            } else {
                if (catchUpDeadline == Long.MAX_VALUE) catchUpDeadline = now + Duration.ofSeconds(30).toNanos();
                if (indexed >= lastHead || now > catchUpDeadline) break;
            }
            if (runner.done().isDone()) {
                runner.done().join(); // throws the failure
                throw new IllegalStateException("the indexer stopped during the live run");
            }
            sleep(SAMPLE_MS);
        }
        return new Result((int) (lastHead - firstBlock + 1), new Percentiles(toArray(lags)),
                new Percentiles(toArray(commits)), firstBlock, lastHead);
    }

    private static long[] toArray(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

package io.isomargin.indexer.app;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Console progress of a backfill: every {@code interval} while the mirror is more than one block behind the head, a line
 * {@code backfill: #1200/#5000 (24.0%), 51,230 events, 48,100 events/s, ETA 0:07}; once caught up, one summary line
 * and then silence (live following logs per batch at debug level instead).
 */
final class BackfillProgress implements AutoCloseable {
    private static final Duration CHECK = Duration.ofMillis(200);
    private final PrintStream out;
    private final LongSupplier indexed;
    private final LongSupplier head;
    private final LongSupplier events;
    private final Duration interval;
    private final Thread thread;

    /**
     * @param out      where the lines go (the console)
     * @param indexed  the last committed block
     * @param head     the chain head (negative until known)
     * @param events   logs committed since start
     * @param interval time between lines
     */
    BackfillProgress(PrintStream out, LongSupplier indexed, LongSupplier head, LongSupplier events,
            Duration interval) {
        this.out = Objects.requireNonNull(out, "out");
        this.indexed = Objects.requireNonNull(indexed, "indexed");
        this.head = Objects.requireNonNull(head, "head");
        this.events = Objects.requireNonNull(events, "events");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.thread = Thread.ofVirtual().name("indexer-progress").unstarted(this::run);
    }

    /** Starts reporting in the background. */
    BackfillProgress start() {
        thread.start();
        return this;
    }

    @Override
    public void close() {
        thread.interrupt();
    }

    private void run() {
        long startNanos = System.nanoTime();
        long startBlock = indexed.getAsLong();
        long nextLine = startNanos + interval.toNanos();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                // checks often so the summary's time is close to when it caught up; prints every interval
                Thread.sleep(Math.min(CHECK.toMillis(), interval.toMillis()));
                long h = head.getAsLong();
                long i = indexed.getAsLong();
                if (h < 0) continue;
                long now = System.nanoTime();
                Duration elapsed = Duration.ofNanos(now - startNanos);
                if (h - i <= 1) {
                    out.println(done(startBlock, i, events.getAsLong(), elapsed));
                    return;
                }
                if (now >= nextLine) {
                    out.println(line(startBlock, i, h, events.getAsLong(), elapsed));
                    nextLine = now + interval.toNanos();
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One progress line: blocks done of the total since {@code startBlock}, events, rate and time left. */
    static String line(long startBlock, long indexed, long head, long events, Duration elapsed) {
        long total = Math.max(1, head - startBlock);
        long done = Math.max(0, indexed - startBlock);
        double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        double blocksPerSecond = done / seconds;
        String eta = blocksPerSecond <= 0 ? "unknown"
                : clock(Duration.ofSeconds((long) Math.ceil((head - indexed) / blocksPerSecond)));
        return String.format(Locale.ROOT, "backfill: #%d/#%d (%.1f%%), %,d events, %,.0f events/s, ETA %s", indexed,
                head, 100.0 * done / total, events, events / seconds, eta);
    }

    static String done(long startBlock, long indexed, long events, Duration elapsed) {
        double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        return String.format(Locale.ROOT, "backfill: caught up at #%d: %,d blocks, %,d events in %s (%,.0f events/s);"
                + " following the head", indexed, Math.max(0, indexed - startBlock), events, clock(elapsed),
                events / seconds);
    }

    private static String clock(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}

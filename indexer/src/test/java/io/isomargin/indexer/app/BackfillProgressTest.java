package io.isomargin.indexer.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BackfillProgressTest {

    @Test
    void aLineShowsBlocksDoneOfTheTotalTheEventRateAndTheTimeLeftAtTheBlockRateSoFar() {
        // 250 of 1,000 blocks in 10 s: 25 blocks/s, 750 blocks left -> 30 s
        assertEquals("backfill: #1250/#2000 (25.0%), 120,000 events, 12,000 events/s, ETA 0:30",
                BackfillProgress.line(1000, 1250, 2000, 120_000, Duration.ofSeconds(10)));
        assertEquals("backfill: #1000/#2000 (0.0%), 0 events, 0 events/s, ETA unknown",
                BackfillProgress.line(1000, 1000, 2000, 0, Duration.ofSeconds(3)));
    }

    @Test
    void itReportsWhileBehindAndStopsWithASummaryOnceCaughtUp() throws Exception {
        AtomicLong indexed = new AtomicLong(100);
        AtomicLong head = new AtomicLong(-1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (BackfillProgress p = new BackfillProgress(out, indexed::get, head::get, () -> 42,
                Duration.ofMillis(10)).start()) {
            Thread.sleep(50); // head unknown: nothing printed
            assertEquals("", bytes.toString(StandardCharsets.UTF_8));
            head.set(500);
            awaitLines(bytes, 1);
            indexed.set(500);
            awaitText(bytes, "caught up at #500");
            int length = bytes.size();
            Thread.sleep(50);
            assertEquals(length, bytes.size(), "silent once caught up");
        }
    }

    private static void awaitLines(ByteArrayOutputStream bytes, int lines) throws InterruptedException {
        for (int i = 0; i < 500 && bytes.toString(StandardCharsets.UTF_8).lines().count() < lines; i++) {
            Thread.sleep(10);
        }
        assertEquals(true, bytes.toString(StandardCharsets.UTF_8).lines().count() >= lines, bytes.toString());
    }

    private static void awaitText(ByteArrayOutputStream bytes, String text) throws InterruptedException {
        for (int i = 0; i < 500 && !bytes.toString(StandardCharsets.UTF_8).contains(text); i++) Thread.sleep(10);
        assertEquals(true, bytes.toString(StandardCharsets.UTF_8).contains(text), bytes.toString());
    }
}

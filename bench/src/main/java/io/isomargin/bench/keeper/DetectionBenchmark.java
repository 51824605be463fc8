package io.isomargin.bench.keeper;

import java.math.BigInteger;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the keeper's detection on one market of {@code vaults} vaults, at price ticks that leave about
 * {@code exposurePercent} % of them liquidatable (see {@link DetectionMarket}).
 * <ul>
 * <li>{@link #tickToConfirmed}: a new answer in a new block, then the detector's end-of-block judgement (the real
 * {@code LiquidationDetector.onBlock}: index suffix, exact health of every candidate, the market's result published)
 * - the time from a price tick to the confirmed list the executor receives;</li>
 * <li>{@link #indexLookup}: the index alone ({@code LiquidationDetector.indexCandidates}: binary search and copy of
 * the candidate ids), no exact confirmation.</li>
 * </ul>
 * Run by {@link KeeperDetectBench} ({@code make bench-keeper-detect}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DetectionBenchmark {
    private static final int ANSWERS = 1_024;

    @Param({"10000", "100000", "1000000"})
    public int vaults;

    @Param({"0.1", "1"})
    public double exposurePercent;

    private DetectionMarket market;
    private BigInteger[] answers;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        long t0 = System.nanoTime();
        market = new DetectionMarket(vaults, 1);
        answers = market.answersExposing(exposurePercent, ANSWERS, 2);
        long built = System.nanoTime() - t0;
        long examined = 0;
        long liquidatable = 0;
        int sample = 32;
        for (int i = 0; i < sample; i++) {
            liquidatable += market.tick(answers[i]);
            examined += market.lastExamined();
        }
        System.out.printf("%nscenario: %,d vaults (book + index built in %.1f s); a tick leaves on average %,d "
                + "liquidatable, %,d index candidates examined (%d ticks sampled)%n", vaults, built / 1e9,
                liquidatable / sample, examined / sample, sample);
    }

    @Benchmark
    public int tickToConfirmed() throws Exception {
        return market.tick(answers[next++ & (ANSWERS - 1)]);
    }

    @Benchmark
    public long[] indexLookup() {
        return market.detector.indexCandidates(DetectionMarket.MARKET, answers[next++ & (ANSWERS - 1)]);
    }
}

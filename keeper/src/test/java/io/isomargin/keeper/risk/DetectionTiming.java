package io.isomargin.keeper.risk;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import io.isomargin.keeper.book.BookSnapshot;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Prints how long detection takes for one market of 100,000 vaults (a standalone timing, not a test; the JMH
 * benchmark comes with the execution layer). Run from the repository root after {@code ./mvnw -pl keeper -am
 * test-compile}: see docs/benchmarks.md ("Keeper detection timing").
 */
public final class DetectionTiming {
    private static final int VAULTS = 100_000;
    private static final BigInteger E18 = BigInteger.TEN.pow(18);

    public static void main(String[] args) throws Exception {
        int vaults = args.length > 0 ? Integer.parseInt(args[0]) : VAULTS;
        Random random = new Random(1);
        long now = 1_800_000_000L;
        String oracle = "0x00000000000000000000000000000000000000aa";
        BigInteger unit = BigInteger.TEN.pow(6);
        BigInteger wad = E18;
        long year = 365L * 86_400;
        TrackedMarket market = new TrackedMarket(1, oracle, BigInteger.TEN.pow(16), List.of(
                new TierState(BigInteger.ZERO, 2_000, 1_000, 1_000),
                new TierState(unit.multiply(BigInteger.valueOf(250_000)), 2_500, 1_500, 1_500),
                new TierState(unit.multiply(BigInteger.valueOf(2_500_000)), 3_500, 2_500, 2_500)), 0, 0,
                new RateModel(wad.divide(BigInteger.valueOf(100 * year)), wad.divide(BigInteger.valueOf(25 * year)),
                        wad.multiply(BigInteger.valueOf(3)).divide(BigInteger.valueOf(year)),
                        wad.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN)),
                1_000, new LiquidationMath.Terms(500, 2_000, 5_000, unit.multiply(BigInteger.TEN)), 86_400,
                new MarketTotals(unit.multiply(BigInteger.valueOf(4_000_000_000L)), BigInteger.ZERO,
                        unit.multiply(BigInteger.valueOf(2_000_000_000L)),
                        unit.multiply(BigInteger.valueOf(2_000_000_000L)).multiply(BigInteger.valueOf(1_000_000)),
                        BigInteger.ZERO, now - 60), false);
        // vaults of $1k..$5M at 2,000 $/ETH, borrowing 50%..99.9% of their initial-margin limit (~flat 80% LTV)
        List<VaultPosition> list = new ArrayList<>(vaults);
        for (int i = 0; i < vaults; i++) {
            double dollars = Math.pow(10, 3 + random.nextDouble() * 3.7);
            BigInteger collateral = BigInteger.valueOf((long) (dollars / 2_000 * 1e9)).multiply(BigInteger.TEN.pow(9));
            double ltv = 0.8 * (0.5 + random.nextDouble() * 0.499);
            BigInteger shares = BigInteger.valueOf((long) (dollars * ltv * 1e6)).multiply(BigInteger.valueOf(1_000_000));
            list.add(new VaultPosition(i + 1, 1, "0x00000000000000000000000000000000000000bb", collateral, shares));
        }
        BigInteger p0 = BigInteger.valueOf(2_000_00000000L);
        PositionBook book = new PositionBook();
        LiquidationDetector detector = new LiquidationDetector(book, RiskConfig.defaults(), c -> { });
        book.listener(detector);
        book.reset(new BookSnapshot(1, List.of(), List.of(market), list,
                Map.of(oracle, new OraclePrice(p0, BigInteger.ONE, now))));

        long t0 = System.nanoTime();
        detector.onBlock(1, now); // builds the index
        System.out.printf("index build: %,d vaults in %.1f ms%n", vaults, (System.nanoTime() - t0) / 1e6);

        // one price tick -> the candidate ids (index query + copy), many times
        BigInteger[] ticks = new BigInteger[1_000];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = BigInteger.valueOf((long) ((1_750 + random.nextDouble() * 200) * 1e8));
        }
        long sink = 0;
        for (int round = 0; round < 3; round++) { // warm-up rounds, then the measured one
            long[] times = new long[ticks.length];
            long candidates = 0;
            for (int i = 0; i < ticks.length; i++) {
                long s = System.nanoTime();
                long[] ids = detector.indexCandidates(1, ticks[i]);
                times[i] = System.nanoTime() - s;
                candidates += ids.length;
                sink += ids.length == 0 ? 0 : ids[0];
            }
            if (round == 2) {
                java.util.Arrays.sort(times);
                System.out.printf("price tick -> candidate list (%,d vaults, %d ticks, mean %,d candidates): "
                        + "median %.1f us, p99 %.1f us, max %.1f us%n", vaults, ticks.length,
                        candidates / ticks.length, times[times.length / 2] / 1e3,
                        times[times.length * 99 / 100] / 1e3, times[times.length - 1] / 1e3);
            }
        }

        // a drop from p0 to p1: the slice of newly exposed vaults, and a full block judgement with exact confirmation
        LiquidationPriceIndex index = detector.index(1);
        for (double drop : new double[] {0.95, 0.9, 0.88}) {
            BigInteger p1 = BigInteger.valueOf((long) (2_000 * drop * 1e8));
            long s = System.nanoTime();
            int from = index.firstAbove(LiquidationDetector.floor(p1));
            int to = index.firstAbove(LiquidationDetector.floor(p0));
            long sliceNs = System.nanoTime() - s;
            book.at(2);
            book.putPrice(oracle, new OraclePrice(p1, BigInteger.TWO, now + 12));
            long j = System.nanoTime();
            detector.onBlock(2, now + 12);
            long judgeNs = System.nanoTime() - j;
            LiquidationCandidates c = detector.latest().get(1L);
            System.out.printf("drop to %.0f%%: %,d newly exposed (slice in %.1f us); block judged in %.2f ms: %,d "
                    + "candidates confirmed exactly, %,d liquidatable%n", drop * 100, to - from, sliceNs / 1e3,
                    judgeNs / 1e6, c.examined(), c.vaults().size());
        }
        if (sink == 42) System.out.println();
    }
}

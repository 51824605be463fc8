package io.isomargin.bench.keeper;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import io.isomargin.keeper.book.BookSnapshot;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.LiquidationDetector;
import io.isomargin.keeper.risk.MarketAtBlock;
import io.isomargin.keeper.risk.RiskConfig;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One market of {@code n} vaults in the keeper's real {@link PositionBook} with its real {@link LiquidationDetector}
 * (index built), as the detection benchmark uses it. The market is the local deployment's WETH/USDC shape (three
 * tiers, 10/15/25% maintenance, 5% bonus, 50% close factor, interest accruing); the vaults are worth $1k..$5M
 * (log-uniform) at $2,000 per ETH and borrow 50%..99.9% of their initial-margin limit, the population
 * {@code keeper/src/test/java/io/isomargin/keeper/risk/DetectionTiming.java} times as well.
 */
final class DetectionMarket {
    static final long MARKET = 1;
    static final String ORACLE = "0x00000000000000000000000000000000000000aa";
    static final long NOW = 1_800_000_000L;
    static final BigInteger OPENING_ANSWER = BigInteger.valueOf(2_000_00000000L);
    private static final BigInteger E18 = BigInteger.TEN.pow(18);

    final PositionBook book = new PositionBook();
    final LiquidationDetector detector;
    final TrackedMarket market;
    final List<VaultPosition> vaults;
    /** Every vault's exact liquidation price (feed answer at which health is 1), descending. */
    final long[] liquidationPricesDesc;
    private long block = 1;

    DetectionMarket(int n, long seed) {
        Random random = new Random(seed);
        BigInteger unit = BigInteger.TEN.pow(6);
        long year = 365L * 86_400;
        market = new TrackedMarket(MARKET, ORACLE, BigInteger.TEN.pow(16), List.of(
                new TierState(BigInteger.ZERO, 2_000, 1_000, 1_000),
                new TierState(unit.multiply(BigInteger.valueOf(250_000)), 2_500, 1_500, 1_500),
                new TierState(unit.multiply(BigInteger.valueOf(2_500_000)), 3_500, 2_500, 2_500)), 0, 0,
                new RateModel(E18.divide(BigInteger.valueOf(100 * year)), E18.divide(BigInteger.valueOf(25 * year)),
                        E18.multiply(BigInteger.valueOf(3)).divide(BigInteger.valueOf(year)),
                        E18.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN)),
                1_000, new LiquidationMath.Terms(500, 2_000, 5_000, unit.multiply(BigInteger.TEN)), 86_400,
                new MarketTotals(unit.multiply(BigInteger.valueOf(4_000_000_000L)), BigInteger.ZERO,
                        unit.multiply(BigInteger.valueOf(2_000_000_000L)),
                        unit.multiply(BigInteger.valueOf(2_000_000_000L)).multiply(BigInteger.valueOf(1_000_000)),
                        BigInteger.ZERO, NOW - 60), false);
        List<VaultPosition> list = new ArrayList<>(n);
        String owner = "0x00000000000000000000000000000000000000bb";
        for (int i = 0; i < n; i++) {
            double dollars = Math.pow(10, 3 + random.nextDouble() * 3.7);
            BigInteger collateral = BigInteger.valueOf((long) (dollars / 2_000 * 1e9)).multiply(BigInteger.TEN.pow(9));
            double ltv = 0.8 * (0.5 + random.nextDouble() * 0.499);
            BigInteger shares = BigInteger.valueOf((long) (dollars * ltv * 1e6)).multiply(BigInteger.valueOf(1_000_000));
            list.add(new VaultPosition(i + 1, MARKET, owner, collateral, shares));
        }
        vaults = list;
        detector = new LiquidationDetector(book, RiskConfig.defaults(), c -> { });
        book.listener(detector);
        book.reset(new BookSnapshot(0, List.of(), List.of(market), list,
                Map.of(ORACLE, new OraclePrice(OPENING_ANSWER, BigInteger.ONE, NOW))));
        try {
            detector.onBlock(block, NOW); // builds the index
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        MarketAtBlock at = new MarketAtBlock(market, new OraclePrice(OPENING_ANSWER, BigInteger.ONE, NOW), NOW);
        long[] prices = new long[n];
        for (int i = 0; i < n; i++) prices[i] = at.health(list.get(i)).liquidationPrice().longValueExact();
        Arrays.sort(prices);
        for (int i = 0; i < n / 2; i++) {
            long t = prices[i];
            prices[i] = prices[n - 1 - i];
            prices[n - 1 - i] = t;
        }
        liquidationPricesDesc = prices;
    }

    /**
     * {@code count} feed answers at which about {@code exposurePercent} % of the vaults are liquidatable (each answer
     * exposes a uniformly drawn share between half and one and a half times that), in random order.
     */
    BigInteger[] answersExposing(double exposurePercent, int count, long seed) {
        Random random = new Random(seed);
        int n = liquidationPricesDesc.length;
        BigInteger[] out = new BigInteger[count];
        for (int i = 0; i < count; i++) {
            double share = exposurePercent / 100 * (0.5 + random.nextDouble());
            int k = Math.min(n - 1, (int) Math.round(share * n));
            // liquidatable iff answer < liquidation price: at the k-th highest price, k vaults are
            out[i] = BigInteger.valueOf(liquidationPricesDesc[k]);
        }
        return out;
    }

    /**
     * One price tick as the keeper sees it: the feed's new answer lands in a new block, and the detector judges the
     * market at the end of that block (index suffix, then exact health of each candidate). Returns the confirmed
     * liquidatable vaults.
     */
    int tick(BigInteger answer) throws Exception {
        long b = ++block;
        book.at(b);
        book.putPrice(ORACLE, new OraclePrice(answer, BigInteger.valueOf(b), NOW));
        detector.onBlock(b, NOW); // same timestamp: the index's one-hour bound holds, as between real blocks
        book.forgetThrough(b - 1); // the reorg journal of a real keeper is bounded the same way
        return detector.latest().get(MARKET).vaults().size();
    }

    /** How many vaults the detector examined (index candidates) at the last tick. */
    int lastExamined() {
        return detector.latest().get(MARKET).examined();
    }
}

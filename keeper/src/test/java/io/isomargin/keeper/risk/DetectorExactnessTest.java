package io.isomargin.keeper.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.math.InterestMath;
import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.SharesMath;
import io.isomargin.abi.math.TierState;
import io.isomargin.keeper.book.BookSnapshot;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.PositionBook;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The detector's confirmed list against the exact health of every vault of the book (no index, no shortcut), block
 * after block, on a book of thousands of vaults many of which sit within a few units of their limit, while prices
 * move, time and interest pass the index's horizon, vaults change, close and reopen, and blocks are rolled back.
 */
class DetectorExactnessTest {
    private static final long MARKET = 1;
    private static final String ORACLE = "0x00000000000000000000000000000000000000aa";
    private static final BigInteger E6 = BigInteger.TEN.pow(6);
    private static final BigInteger E18 = BigInteger.TEN.pow(18);
    private static final long YEAR = 365L * 86_400;

    private final Random random = new Random(17);
    private int undecided; // vault-blocks the doubles left to the exact math

    @Test
    void theConfirmedListIsExactlyTheVaultsTheExactHealthFindsLiquidatableAtEveryBlock() {
        long now = 1_800_000_000L;
        TrackedMarket market = market(now);
        BigInteger answer = BigInteger.valueOf(2_000_00000000L); // each block's: $1,500 to $2,200
        List<VaultPosition> vaults = new ArrayList<>();
        for (int i = 1; i <= 3_000; i++) vaults.add(vault(i, market, answer, now));
        PositionBook book = new PositionBook();
        List<LiquidationCandidates> seen = new ArrayList<>();
        LiquidationDetector detector = new LiquidationDetector(book, RiskConfig.defaults(), seen::add);
        book.listener(detector);
        book.reset(new BookSnapshot(0, List.of(), List.of(market), vaults,
                Map.of(ORACLE, new OraclePrice(answer, BigInteger.ONE, now))));

        int liquidatable = 0;
        int judged = 0;
        long block = 0;
        for (int round = 0; round < 300; round++) {
            block++;
            book.at(block);
            if (round % 25 == 24) now += 600 + random.nextInt(3 * 3_600); // past the horizon now and then
            else now += 1 + random.nextInt(12);
            answer = BigInteger.valueOf((long) (2_000_00000000L * (0.75 + random.nextDouble() * 0.35)));
            book.putPrice(ORACLE, new OraclePrice(answer, BigInteger.valueOf(block), now));
            for (int k = random.nextInt(30); k > 0; k--) changeOneVault(book, answer, now);
            if (random.nextInt(5) == 0) { // a borrow elsewhere: the totals move (and accrue) at this block
                TrackedMarket m = book.market(MARKET);
                MarketTotals t = InterestMath.accrue(m.totals(), m.rateModel(),
                        m.reserveFactorBps(), now);
                BigInteger assets = E6.multiply(BigInteger.valueOf(random.nextInt(50_000)));
                book.putMarket(m.withTotals(t.withBorrow(t.totalBorrowAssets().add(assets),
                        t.totalBorrowShares().add(SharesMath.toSharesUp(assets, t.totalBorrowAssets(),
                                t.totalBorrowShares())))));
            }
            if (round % 40 == 39) { // a reorg drops this block's changes
                book.rollbackTo(block - 1);
                block--;
            }
            detect(detector, block, now);
            LiquidationCandidates c = detector.latest().get(MARKET);
            Set<Long> expected = exactlyLiquidatable(book, now);
            Set<Long> detected = new TreeSet<>(c.vaults().stream().map(LiquidatableVault::vaultId).toList());
            assertEquals(expected, detected, "round " + round + " at answer " + answer);
            for (LiquidatableVault v : c.vaults()) {
                assertTrue(v.debt().compareTo(v.maxDebt()) > 0, "vault " + v.vaultId());
                assertEquals(book.vault(v.vaultId()), v.position(), "the vault as the book holds it");
            }
            liquidatable += expected.size();
            judged += c.examined();
            book.forgetThrough(block - 5);
        }
        System.out.printf("detector vs exact: %,d liquidatable findings over 300 blocks, %,d candidates judged, %d "
                + "left to the exact math, %d index builds%n", liquidatable, judged, undecided, detector.rebuilds());
        assertTrue(undecided > 20, "too few vaults at their limit to exercise the exact path: " + undecided);
        assertTrue(liquidatable > 1_000, "too few liquidatable vaults to compare: " + liquidatable);
        assertTrue(detector.rebuilds() > 3, "the horizon should have rebuilt the index");
    }

    private static void detect(LiquidationDetector detector, long block, long now) {
        try {
            detector.onBlock(block, now);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Set<Long> exactlyLiquidatable(PositionBook book, long now) {
        MarketAtBlock at = new MarketAtBlock(book.market(MARKET), book.price(ORACLE), now);
        HealthBound bound = new HealthBound(at);
        Set<Long> out = new TreeSet<>();
        for (VaultPosition v : book.vaultsOf(MARKET)) {
            if (at.liquidatable(v)) out.add(v.id());
            if (bound.verdict(v.debtShares().doubleValue(), v.collateral().doubleValue()) == HealthBound.UNDECIDED) {
                undecided++;
            }
        }
        return out;
    }

    /** A deposit, a borrow, a repayment, an owner change (amounts and key unchanged), a close or a new vault. */
    private void changeOneVault(PositionBook book, BigInteger answer, long now) {
        List<VaultPosition> open = new ArrayList<>(book.vaultsOf(MARKET));
        VaultPosition v = open.get(random.nextInt(open.size()));
        switch (random.nextInt(6)) {
            case 0 -> book.putVault(v.withCollateral(v.collateral().add(E18.divide(BigInteger.valueOf(100)))));
            case 1 -> book.putVault(v.withDebtShares(v.debtShares().add(E6.multiply(E6))));
            case 2 -> book.putVault(v.withDebtShares(v.debtShares().shiftRight(1)));
            case 3 -> book.putVault(new VaultPosition(v.id(), MARKET, "0x" + "cc".repeat(20), v.collateral(),
                    v.debtShares()));
            case 4 -> book.removeVault(v.id());
            default -> book.putVault(vault(10_000 + random.nextInt(1_000_000), book.market(MARKET), answer, now));
        }
    }

    /**
     * A vault of $1k..$5M at {@code answer}: one in three within a few units of its limit at that moment, the others
     * from 50% to 110% of it.
     */
    private VaultPosition vault(long id, TrackedMarket market, BigInteger answer, long now) {
        MarketAtBlock at = new MarketAtBlock(market, new OraclePrice(answer, BigInteger.ONE, now), now);
        double dollars = Math.pow(10, 3 + random.nextDouble() * 3.7);
        BigInteger collateral = BigInteger.valueOf((long) (dollars / 2_000 * 1e9)).multiply(BigInteger.TEN.pow(9))
                .add(BigInteger.valueOf(random.nextInt(1_000_000_000)));
        BigInteger maxDebt = MarginMath.maxDebt(MarginMath.value(collateral, at.price()), at.margins().minValues(),
                at.margins().mmBps());
        BigInteger debt = random.nextInt(3) == 0 ? maxDebt.add(BigInteger.valueOf(random.nextInt(9) - 4))
                : new BigDecimal(maxDebt).multiply(BigDecimal.valueOf(0.5 + random.nextDouble()
                        * 0.6)).toBigInteger();
        MarketTotals t = at.accruedTotals();
        BigInteger shares = SharesMath.toSharesDown(debt.max(BigInteger.ONE), t.totalBorrowAssets(),
                t.totalBorrowShares());
        return new VaultPosition(id, MARKET, "0x" + "bb".repeat(20), collateral, shares);
    }

    /** The local WETH/USDC shape: three tiers, a maintenance ramp in progress, interest accruing. */
    private static TrackedMarket market(long now) {
        return new TrackedMarket(MARKET, ORACLE, BigInteger.TEN.pow(16), List.of(
                new TierState(BigInteger.ZERO, 2_000, 1_000, 1_200),
                new TierState(E6.multiply(BigInteger.valueOf(250_000)), 2_500, 1_500, 1_700),
                new TierState(E6.multiply(BigInteger.valueOf(2_500_000)), 3_500, 2_500, 2_700)), now - 3_600,
                now + 2 * 86_400,
                new RateModel(E18.divide(BigInteger.valueOf(100 * YEAR)), E18.divide(BigInteger.valueOf(25 * YEAR)),
                        E18.multiply(BigInteger.valueOf(3)).divide(BigInteger.valueOf(YEAR)),
                        E18.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN)),
                1_000, new LiquidationMath.Terms(500, 2_000, 5_000, E6.multiply(BigInteger.TEN)), 86_400,
                new MarketTotals(E6.multiply(BigInteger.valueOf(4_000_000_000L)), BigInteger.ZERO,
                        E6.multiply(BigInteger.valueOf(2_000_000_000L)),
                        E6.multiply(BigInteger.valueOf(2_000_000_000L)).multiply(E6), BigInteger.ZERO, now - 60),
                false);
    }
}

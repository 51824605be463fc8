package io.isomargin.keeper.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class LiquidationPriceIndexTest {

    @Test
    void candidatesAboveAnAnswerAreExactlyTheVaultsWithAHigherKeyThroughPutsMovesAndRemovals() {
        Random random = new Random(3);
        LiquidationPriceIndex index = new LiquidationPriceIndex();
        Map<Long, Double> expected = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            long id = random.nextInt(500);
            int op = random.nextInt(10);
            if (op < 6) {
                double key = random.nextInt(200); // many equal keys
                index.put(vault(id), key);
                expected.put(id, key);
            } else if (op < 8) {
                index.remove(id);
                expected.remove(id);
            } else {
                double answer = random.nextInt(210) - 5 + (random.nextBoolean() ? 0.5 : 0);
                Set<Long> got = new TreeSet<>();
                for (int i = index.firstAbove(answer); i < index.size(); i++) got.add(index.vaultAt(i));
                Set<Long> want = new TreeSet<>();
                expected.forEach((k, v) -> {
                    if (v > answer) want.add(k);
                });
                assertEquals(want, got, "step " + step + " answer " + answer);
            }
            assertEquals(expected.size(), index.size());
        }
        for (int i = 1; i < index.size(); i++) {
            assertEquals(true, index.keyAt(i - 1) <= index.keyAt(i), "sorted at " + i);
        }
    }

    @Test
    void replaceAllSortsAndAPriceDropExposesTheSliceBetweenTheTwoAnswers() {
        LiquidationPriceIndex index = new LiquidationPriceIndex();
        index.replaceAll(new VaultPosition[] {vault(1), vault(2), vault(3), vault(4), vault(5)},
                new double[] {50, 10, 40, 30, 20}, 5);
        int before = index.firstAbove(45); // answer 45: only vault 1 (key 50) is a candidate
        int after = index.firstAbove(25); // answer 25: keys 30, 40, 50
        Set<Long> exposed = new TreeSet<>();
        for (int i = after; i < before; i++) exposed.add(index.vaultAt(i));
        assertEquals(Set.of(3L, 4L), exposed);
        index.put(vault(2), 60);
        assertEquals(2L, index.vaultAt(index.size() - 1));
    }

    @Test
    void aVaultWhoseKeyStaysIsReplacedInPlaceWithItsNewAmounts() {
        LiquidationPriceIndex index = new LiquidationPriceIndex();
        index.put(vault(1), 10);
        index.put(vault(2), 20);
        VaultPosition changed = vault(1).withCollateral(BigInteger.valueOf(7)).withDebtShares(BigInteger.valueOf(3));
        index.put(changed, 10);
        assertEquals(2, index.size());
        assertSame(changed, index.positionAt(0));
        assertEquals(7.0, index.collateralAt(0));
        assertEquals(3.0, index.debtSharesAt(0));
    }

    private static VaultPosition vault(long id) {
        return new VaultPosition(id, 1, "0xbb", BigInteger.valueOf(id * 10), BigInteger.valueOf(id));
    }
}

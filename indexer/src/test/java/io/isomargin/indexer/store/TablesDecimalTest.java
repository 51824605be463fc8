package io.isomargin.indexer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The NUMERIC parameters' text is BigInteger's, for every size and at the limbs' and chunks' edges. */
class TablesDecimalTest {

    @Test
    void decimalTextIsBigIntegersText() {
        List<BigInteger> values = new ArrayList<>();
        for (int bits : new int[] {0, 1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 200, 256}) {
            BigInteger p = BigInteger.ONE.shiftLeft(bits);
            values.add(p);
            values.add(p.subtract(BigInteger.ONE).max(BigInteger.ZERO));
            values.add(p.add(BigInteger.ONE));
            values.add(p.negate());
        }
        for (int e = 0; e <= 40; e++) {
            BigInteger p = BigInteger.TEN.pow(e);
            values.add(p);
            values.add(p.subtract(BigInteger.ONE));
            values.add(p.add(BigInteger.ONE));
        }
        Random r = new Random(1);
        for (int i = 0; i < 20_000; i++) values.add(new BigInteger(1 + r.nextInt(140), r));
        for (BigInteger v : values) {
            assertEquals(v.toString(), Tables.decimal(v), v.toString(16));
            assertEquals(v.toString(), Tables.num(v).toString());
            assertEquals(v.toString(), Tables.numRepeated(v).toString());
        }
    }
}

package io.isomargin.keeper.book;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.indexer.projection.GuardPolicyRow;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The keeper's {@link GuardPolicy#armed} and the indexer's {@link GuardPolicyRow.Armed#defends} against a literal
 * port of the guard's {@code _atLeastAsSafe} (uint128 fields, uint256 products:
 * {@code v.debtShares <= a.debtShares && c * a.debtShares >= a.collateral * s}), on the boundaries where a {@code >}
 * for {@code >=}, a swapped field or a ratio compared the other way would differ (equal ratios, one unit either
 * side, zero armed shares after a full repay, the revoked record, uint128 extremes) and on random positions drawn
 * close to the armed one; and the armed fields taken from {@code PolicySet} and {@code ToppedUp} in the right order.
 */
class ArmedPredicateTest {
    private static final BigInteger U128 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger U256 = BigInteger.ONE.shiftLeft(256);

    /** MarginGuard._atLeastAsSafe, as written in Solidity. */
    private static boolean contract(BigInteger c, BigInteger s, BigInteger c0, BigInteger s0) {
        BigInteger lhs = c.multiply(s0);
        BigInteger rhs = c0.multiply(s);
        if (lhs.compareTo(U256) >= 0 || rhs.compareTo(U256) >= 0) throw new AssertionError("uint256 overflow");
        return s.compareTo(s0) <= 0 && lhs.compareTo(rhs) >= 0;
    }

    private static GuardPolicy policy(BigInteger c0, BigInteger s0) {
        return new GuardPolicy(7, "0x00000000000000000000000000000000000000a1", GuardPolicy.Mode.DEPOSIT_COLLATERAL,
                BigInteger.TEN, BigInteger.TEN, 0, Long.MAX_VALUE, BigInteger.ONE, BigInteger.ONE, c0, s0);
    }

    private static void agree(long c, long s, long c0, long s0) {
        agree(BigInteger.valueOf(c), BigInteger.valueOf(s), BigInteger.valueOf(c0), BigInteger.valueOf(s0));
    }

    private static void agree(BigInteger c, BigInteger s, BigInteger c0, BigInteger s0) {
        boolean expected = contract(c, s, c0, s0);
        String at = "vault (" + c + ", " + s + ") armed at (" + c0 + ", " + s0 + ")";
        VaultPosition v = new VaultPosition(7, 1, "0x00000000000000000000000000000000000000A1", c, s);
        assertEquals(expected, policy(c0, s0).armed(v), "keeper GuardPolicy.armed, " + at);
        assertEquals(expected, new GuardPolicyRow.Armed(c0, s0).defends(c, s), "indexer Armed.defends, " + at);
    }

    @Test
    void boundariesAgreeWithTheGuard() {
        agree(10, 15, 10, 15); // as armed
        agree(20, 30, 10, 15); // same ratio, more shares: refused
        agree(6, 9, 10, 15); // same ratio, fewer shares: equality of the products admits it
        agree(5, 9, 10, 15); // one unit less collateral per share
        agree(7, 9, 10, 15); // one unit more
        agree(10, 16, 10, 15); // one share more
        agree(1_000, 16, 10, 15); // one share more however much collateral
        agree(9, 15, 10, 15); // a withdraw
        agree(0, 0, 10, 15); // closed / fully liquidated: nothing at risk
        agree(3, 0, 10, 15); // debt-free
        agree(0, 1, 10, 15); // shares without collateral
        agree(10, 15, 10, 0); // armed after a full repay: any debt refuses
        agree(10, 0, 10, 0);
        agree(10, 15, 0, 0); // the revoked record
        agree(0, 0, 0, 0);
        agree(U128, U128, U128, U128);
        agree(U128.subtract(BigInteger.ONE), U128, U128, U128);
        agree(U128, U128.subtract(BigInteger.ONE), U128, U128);
        agree(U128, BigInteger.ONE, BigInteger.ONE, U128);
    }

    @Test
    void randomPositionsNearTheArmedOneAgreeWithTheGuard() {
        SplittableRandom rnd = new SplittableRandom(0x15a);
        for (int i = 0; i < 200_000; i++) {
            long s0 = 1 + rnd.nextLong(1_000);
            long c0 = rnd.nextLong(1_000);
            long s = Math.max(0, s0 + rnd.nextLong(-5, 6) - (rnd.nextBoolean() ? rnd.nextLong(s0 + 1) : 0));
            // around c0 * s / s0, where the products meet
            long c = Math.max(0, c0 * s / Math.max(1, s0) + rnd.nextLong(-2, 3));
            agree(c, s, c0, s0);
        }
        for (int i = 0; i < 20_000; i++) {
            BigInteger s0 = new BigInteger(128, new java.util.Random(rnd.nextLong()));
            BigInteger c0 = new BigInteger(128, new java.util.Random(rnd.nextLong()));
            BigInteger s = s0.signum() == 0 ? BigInteger.ZERO
                    : s0.subtract(BigInteger.valueOf(rnd.nextLong(-1, 3))).max(BigInteger.ZERO).min(U128);
            BigInteger c = s0.signum() == 0 ? c0 : c0.multiply(s).divide(s0)
                    .add(BigInteger.valueOf(rnd.nextLong(-1, 2))).max(BigInteger.ZERO).min(U128);
            agree(c, s, c0, s0);
        }
    }

    /** The events' fields in order: collateral first, debt shares second, and a top-up re-arms only its vault. */
    @Test
    void eventsArmCollateralThenDebtShares() {
        MarginGuard.PolicySetEventResponse set = new MarginGuard.PolicySetEventResponse();
        set.vaultId = BigInteger.valueOf(7);
        set.owner = "0x00000000000000000000000000000000000000a1";
        set.by = set.owner;
        set.mode = BigInteger.ZERO;
        set.triggerHealth = BigInteger.TEN;
        set.targetHealth = BigInteger.TWO.multiply(BigInteger.TEN);
        set.feeBps = BigInteger.ONE;
        set.expiry = BigInteger.valueOf(1_000);
        set.maxPerTopUp = BigInteger.ONE;
        set.maxPerDay = BigInteger.TWO;
        set.armedCollateral = BigInteger.valueOf(10_000);
        set.armedDebtShares = BigInteger.valueOf(15);
        GuardPolicy p = GuardPolicy.of(set);
        assertEquals(BigInteger.valueOf(10_000), p.armedCollateral());
        assertEquals(BigInteger.valueOf(15), p.armedDebtShares());

        MarginGuard.ToppedUpEventResponse up = new MarginGuard.ToppedUpEventResponse();
        up.vaultId = BigInteger.valueOf(7);
        up.armedCollateral = BigInteger.valueOf(12_000);
        up.armedDebtShares = BigInteger.valueOf(14);
        GuardPolicy q = p.rearmed(up);
        assertEquals(BigInteger.valueOf(12_000), q.armedCollateral());
        assertEquals(BigInteger.valueOf(14), q.armedDebtShares());
        List<Object> terms = new ArrayList<>(List.of(q.owner(), q.mode(), q.triggerHealth(), q.targetHealth(),
                q.feeBps(), q.expiry(), q.maxPerTopUp(), q.maxPerDay()));
        assertEquals(List.of(p.owner(), p.mode(), p.triggerHealth(), p.targetHealth(), p.feeBps(), p.expiry(),
                p.maxPerTopUp(), p.maxPerDay()), terms, "a top-up keeps the terms");
        // (12,000, 14) against the post-top-up vault: armed; one more share: not
        assertEquals(true, q.armed(new VaultPosition(7, 1, set.owner, BigInteger.valueOf(12_000),
                BigInteger.valueOf(14))));
        assertEquals(false, q.armed(new VaultPosition(7, 1, set.owner, BigInteger.valueOf(12_000),
                BigInteger.valueOf(15))));
    }
}

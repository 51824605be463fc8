package io.isomargin.keeper.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.abi.math.RateModel;
import io.isomargin.abi.math.TierState;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import io.isomargin.keeper.risk.LiquidatableVault;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.MarketAtBlock;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The planner's batches as the engine's {@code liquidateBatch} requires them: each vault at most once, ids strictly
 * increasing, and a vault that stays liquidatable after a partial liquidation taking its next round in a later batch.
 */
class LiquidationPlannerTest {
    static final BigInteger E6 = BigInteger.TEN.pow(6);
    static final BigInteger E18 = BigInteger.TEN.pow(18);
    static final long NOW = 1_000_000;
    static final GasPricing PRICING = GasPricing.of(new BigDecimal("2000"), 6);
    static final BigInteger FEE = BigInteger.valueOf(1_000_000_000L);

    /** A WETH/USDC-like market at $1,700 (10% maintenance below $250k), 5% bonus, 50% close factor. */
    static MarketAtBlock market(BigInteger totalBorrow) {
        TrackedMarket m = new TrackedMarket(1, "0x" + "aa".repeat(20), BigInteger.TEN.pow(16), List.of(
                new TierState(BigInteger.ZERO, 2_000, 1_000, 1_000),
                new TierState(E6.multiply(BigInteger.valueOf(250_000)), 2_500, 1_500, 1_500),
                new TierState(E6.multiply(BigInteger.valueOf(2_500_000)), 3_500, 2_500, 2_500)), 0, 0,
                new RateModel(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, E18.divide(BigInteger.TWO)), 1_000,
                new LiquidationMath.Terms(500, 2_000, 5_000, E6.multiply(BigInteger.TEN)), 86_400,
                new MarketTotals(E6.multiply(BigInteger.valueOf(100_000_000)), BigInteger.ZERO, totalBorrow,
                        totalBorrow.multiply(E6), BigInteger.ZERO, NOW), false);
        return new MarketAtBlock(m, new OraclePrice(BigInteger.valueOf(1_700_00000000L), BigInteger.ONE, NOW), NOW);
    }

    /** Vaults of 5 ETH with {@code 7,900 - 10 i} USDC of debt (93% of their value at $1,700), ids descending. */
    static LiquidationCandidates candidates(int n) {
        BigInteger total = BigInteger.ZERO;
        List<BigInteger> debts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            debts.add(E6.multiply(BigInteger.valueOf(7_900 - 10L * i)));
            total = total.add(debts.getLast());
        }
        MarketAtBlock at = market(total);
        List<LiquidatableVault> vaults = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            VaultPosition p = new VaultPosition(100 - i, 1, "0xbb", E18.multiply(BigInteger.valueOf(5)),
                    debts.get(i).multiply(E6));
            BigInteger debt = MarginMath.debt(p.debtShares(), at.accruedTotals());
            assertTrue(MarginMath.isLiquidatable(p.collateral(), debt, at.price(), at.margins()));
            vaults.add(new LiquidatableVault(p, debt, BigInteger.ZERO));
        }
        return new LiquidationCandidates(1, 10, NOW, null, at.price(), true, null, vaults, n, n, at);
    }

    @Test
    void aBatchListsEachVaultOnceInIncreasingOrderAndLaterRoundsGoToLaterBatches() {
        LiquidationPlanner planner = new LiquidationPlanner(10, 5_000_000, 130_000, 30_000);
        LiquidationCandidates c = candidates(4);
        BigInteger balance = E6.multiply(BigInteger.valueOf(1_000_000));
        Map<Long, Integer> done = new HashMap<>();
        List<List<Long>> batches = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            LiquidationPlanner.Plan plan = planner.plan(c, Set.of(), done, FEE, PRICING, balance);
            if (plan.vaults().isEmpty()) break;
            batches.add(plan.vaultIds());
            for (LiquidationPlanner.Planned p : plan.vaults()) {
                assertEquals(done.getOrDefault(p.vaultId(), 0) + 1, p.round());
                done.merge(p.vaultId(), 1, Integer::sum);
            }
        }
        // each 93% vault needs two rounds: 50% with a 5% bonus leaves it at ~90.1..90.75%, above the 90% limit
        assertEquals(List.of(List.of(97L, 98L, 99L, 100L), List.of(97L, 98L, 99L, 100L)), batches);
    }

    @Test
    void theSecondRoundIsQuotedOnTheStateTheFirstLeaves() {
        LiquidationCandidates c = candidates(1);
        MarketAtBlock m = c.market();
        LiquidatableVault v = c.vaults().getFirst();
        LiquidationPlanner.Planned first = LiquidationPlanner.nextRound(v, m, m.price(), 0);
        LiquidationPlanner.Planned second = LiquidationPlanner.nextRound(v, m, m.price(), 1);
        LiquidationMath.Quote q1 = LiquidationMath.quote(v.position().collateral(), v.position().debtShares(),
                m.accruedTotals(), m.price(), m.market().terms(), io.isomargin.abi.math.FullMath.UINT256_MAX);
        assertEquals(q1, first.quote());
        LiquidationMath.Quote q2 = LiquidationMath.quote(v.position().collateral().subtract(q1.seizedCollateral()),
                v.position().debtShares().subtract(q1.repaidShares()), LiquidationMath.after(m.accruedTotals(),
                        v.position().collateral(), v.position().debtShares(), q1), m.price(), m.market().terms(),
                io.isomargin.abi.math.FullMath.UINT256_MAX);
        assertEquals(q2, second.quote());
        assertNull(LiquidationPlanner.nextRound(v, m, m.price(), 2), "healthy after two rounds");
    }

    @Test
    void excludedVaultsAndTheBatchSizeAreRespected() {
        LiquidationPlanner planner = new LiquidationPlanner(2, 5_000_000, 130_000, 30_000);
        LiquidationCandidates c = candidates(4);
        LiquidationPlanner.Plan plan = planner.plan(c, Set.of(100L), FEE, PRICING,
                E6.multiply(BigInteger.valueOf(1_000_000)));
        assertEquals(2, plan.vaultIds().size());
        assertTrue(!plan.vaultIds().contains(100L));
        assertTrue(plan.vaultIds().get(0) < plan.vaultIds().get(1));
    }

    @Test
    void aPlanCannotListAVaultTwice() {
        LiquidationCandidates c = candidates(1);
        LiquidationPlanner.Planned p = LiquidationPlanner.nextRound(c.vaults().getFirst(), c.market(),
                c.market().price(), 0);
        assertThrows(IllegalArgumentException.class, () -> new LiquidationPlanner.Plan(1, 10, List.of(p, p), 0, 0));
    }
}

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
            vaults.add(new LiquidatableVault(p, at));
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

    /** A pool of {@code dollars} USDC a side at the market's oracle price. */
    static SaleModel pool(LiquidationCandidates c, long dollars, int slippageBps) {
        BigInteger loan = E6.multiply(BigInteger.valueOf(dollars));
        BigInteger coll = loan.multiply(BigInteger.TEN.pow(36)).divide(c.market().price());
        return new SaleModel(new CapitalFreeRoute("0x" + "cc".repeat(20), slippageBps, Map.of()), c.market().price(),
                loan, coll);
    }

    @Test
    void capitalFree_aDeepPoolQuotesEachVaultOnItsSaleAndTakesTheBatchsSale() {
        LiquidationPlanner planner = new LiquidationPlanner(10, 5_000_000, 320_000, 30_000);
        LiquidationCandidates c = candidates(4);
        SaleModel sale = pool(c, 1_000_000_000L, 100);
        BigInteger loanBefore = sale.loanReserve();
        LiquidationPlanner.Plan plan = planner.plan(c, Set.of(), Map.of(), FEE, PRICING, BigInteger.ZERO, sale);
        assertEquals(List.of(97L, 98L, 99L, 100L), plan.vaultIds(), "no capital needed");
        assertEquals(List.of(), plan.skippedSwap());
        BigInteger seized = plan.seized();
        BigInteger expected = CapitalFreeRoute.amountOut(seized, sale.collateralReserve().subtract(seized), loanBefore);
        assertEquals(expected, plan.saleProceeds(), "the batch's whole sale, by Uniswap's formula");
        assertEquals(loanBefore.subtract(expected), sale.loanReserve(), "taken into the pool for the next batch");
        for (LiquidationPlanner.Planned p : plan.vaults()) {
            // each vault's profit: what its collateral alone would fetch (on the pool before the batch) less the cost
            BigInteger alone = CapitalFreeRoute.amountOut(p.quote().seizedCollateral(),
                    sale.collateralReserve().subtract(seized), loanBefore);
            assertEquals(alone.subtract(p.cost()), p.grossProfit());
            assertTrue(p.grossProfit().signum() > 0 && p.grossProfit().compareTo(p.seizedValue().subtract(p.cost())) < 0,
                    "below the oracle-valued profit: the pool's fee and impact");
        }
    }

    @Test
    void capitalFree_aShallowPoolSkipsEveryVault() {
        LiquidationPlanner planner = new LiquidationPlanner(10, 5_000_000, 320_000, 30_000);
        LiquidationCandidates c = candidates(4);
        SaleModel sale = pool(c, 10_000, 100); // a $4,100 sale moves a $10,000 pool by ~40%
        LiquidationPlanner.Plan plan = planner.plan(c, Set.of(), Map.of(), FEE, PRICING, BigInteger.ZERO, sale);
        assertEquals(List.of(), plan.vaults());
        assertEquals(Set.of(97L, 98L, 99L, 100L), Set.copyOf(plan.skippedSwap()));
        assertNull(plan.saleProceeds());
        assertEquals(E6.multiply(BigInteger.valueOf(10_000)), sale.loanReserve(), "nothing taken into the pool");
    }

    @Test
    void capitalFree_aBatchWhoseWholeSaleWouldMissTheFloorDropsItsLargestSales() {
        LiquidationPlanner planner = new LiquidationPlanner(10, 5_000_000, 320_000, 30_000);
        LiquidationCandidates c = candidates(4);
        // each vault's ~$4,150 sale alone clears 1% under the oracle on $1.2M; all four together (~1.4%) do not
        SaleModel sale = pool(c, 1_200_000, 100);
        for (LiquidatableVault v : c.vaults()) {
            LiquidationPlanner.Planned p = LiquidationPlanner.nextRound(v, c.market(), c.market().price(), 0);
            assertTrue(sale.clears(p.quote().seizedCollateral(), p.cost()), "alone it clears");
        }
        LiquidationPlanner.Plan plan = planner.plan(c, Set.of(), Map.of(), FEE, PRICING, BigInteger.ZERO, sale);
        assertTrue(plan.vaults().size() >= 1 && plan.vaults().size() < 4, plan.vaultIds().toString());
        assertEquals(4 - plan.vaults().size(), plan.skippedSwap().size());
        // the largest sales went: every skipped vault seizes at least as much as every planned one
        BigInteger smallestSkipped = c.vaults().stream().filter(v -> plan.skippedSwap().contains(v.vaultId()))
                .map(v -> LiquidationPlanner.nextRound(v, c.market(), c.market().price(), 0).quote().seizedCollateral())
                .min(BigInteger::compareTo).orElseThrow();
        for (LiquidationPlanner.Planned p : plan.vaults()) {
            assertTrue(p.quote().seizedCollateral().compareTo(smallestSkipped) <= 0);
        }
    }

    @Test
    void capitalFree_theFloorIsTheContractsOwn() {
        CapitalFreeRoute route = new CapitalFreeRoute("0x" + "cc".repeat(20), 100, Map.of());
        // ceil(fair x 9,900 / 10,000), never under what is owed
        assertEquals(BigInteger.valueOf(9_900), route.minOut(BigInteger.valueOf(10_000), BigInteger.ONE));
        assertEquals(BigInteger.valueOf(9_901), route.minOut(BigInteger.valueOf(10_001), BigInteger.ONE));
        assertEquals(BigInteger.valueOf(9_950), route.minOut(BigInteger.valueOf(10_000), BigInteger.valueOf(9_950)));
        // Uniswap V2's getAmountOut: 1 WETH into 1,000 WETH / 2,000,000 USDC
        assertEquals(new BigInteger("1992013962"), CapitalFreeRoute.amountOut(E18, E18.multiply(BigInteger.valueOf(1_000)),
                E6.multiply(BigInteger.valueOf(2_000_000))));
    }

    @Test
    void aPlanCannotListAVaultTwice() {
        LiquidationCandidates c = candidates(1);
        LiquidationPlanner.Planned p = LiquidationPlanner.nextRound(c.vaults().getFirst(), c.market(),
                c.market().price(), 0);
        assertThrows(IllegalArgumentException.class, () -> new LiquidationPlanner.Plan(1, 10, List.of(p, p), 0, 0));
    }
}

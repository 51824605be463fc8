package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.RateModel;
import io.isomargin.abi.contracts.IsomarginEngine.RiskUpdate;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.math.Differential.CallResult;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tuples.generated.Tuple2;

/**
 * Differential test: the Java margin and liquidation math against the lens's views and the engine's liquidations on a
 * real Anvil chain, case by case. Five markets cover 6/18-decimal loan and collateral tokens, a 0-decimal collateral
 * and 8/18-decimal feeds; vaults span all three margin tiers at random leverage; interest accrues between opening
 * and checking; one market is in the middle of a maintenance-margin ramp; prices move over six orders of magnitude.
 * Every case compares debt, health, liquidatable, liquidation price and, where liquidatable, {@code liquidate} at the
 * engine's largest repayment and under a random cap (result, or {@code ZeroAmount} / {@code DebtBelowMinimum}),
 * {@code minSeized} at the expected seizure (passes) and one above it ({@code SeizedBelowMinimum}); per market and
 * price, a {@code liquidateBatch} of all its vaults in increasing order against the vault-by-vault Java mirror, and
 * the same ids out of order ({@code BatchNotSorted}). Then two markets tighten their risk parameters through the
 * timelock (propose, {@code evm_increaseTime}, execute) and are compared again under the new terms.
 */
@ExtendWith(AnvilExtension.class)
class MarginMathDifferentialTest {
    private static final BigInteger MAX = FullMath.UINT256_MAX;
    private static final double[] PRICE_FACTORS = {1.0, 0.97, 0.93, 0.9, 0.87, 0.83, 0.8, 0.7, 0.5, 0.25, 0.001, 8, 1000};
    private static final double[] AFTER_CHANGE_FACTORS = {0.93, 0.87, 0.8, 0.5};
    private static final int VAULTS_PER_MARKET = 30;

    private final Random random = new Random(20261122);
    private final Differential diff = new Differential();
    private int liquidationQuotes;
    private int noEffectQuotes;
    private int cappedQuotes;
    private int debtBelowMinimum;
    private int batches;
    private int riskChangeCases;

    private record MarketCase(BigInteger id, int loanDecimals, BigInteger initialAnswer, List<BigInteger> vaults) {}

    @Test
    void javaMathEqualsLensViewsAndEngineLiquidationsExactly(AnvilChain chain, Deployment d) throws Exception {
        Credentials borrower = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        List<MarketCase> markets = new ArrayList<>();
        // The last market's collateral has 0 decimals (a coarse unit worth $1,000), so some liquidations can seize
        // nothing and must revert ZeroAmount, and the repayment follows from whole seized units.
        int[][] decimals = {{6, 18, 8}, {18, 6, 8}, {6, 6, 8}, {18, 18, 18}, {6, 0, 8}};
        long[] wholePrices = {2_000, 30_000, 15, 2_000, 1_000};
        for (int m = 0; m < decimals.length; m++) {
            int loanDec = decimals[m][0];
            int collDec = decimals[m][1];
            int feedDec = decimals[m][2];
            BigInteger answer = Deployment.units(wholePrices[m], feedDec);
            Deployment.Market market = d.createMarket(loanDec, collDec, feedDec, answer);
            d.fundAndSupply(chain.credentials(1), market.id(), Deployment.units(2_000_000_000L, loanDec));
            d.mintAndApprove(liquidator, market.loan().getContractAddress(), Deployment.units(4_000_000_000L, loanDec));
            markets.add(new MarketCase(market.id(), loanDec, answer,
                    openVaults(d, borrower, market, collDec, wholePrices[m])));
        }
        // Interest accrues on every market; the first one is mid-way through a maintenance-margin ramp.
        rampMaintenanceMargins(d, markets.get(0).id(), 10 * 86_400L);
        chain.increaseTime(3 * 86_400L + random.nextInt(86_400));

        for (MarketCase market : markets) {
            for (double factor : PRICE_FACTORS) compareAt(chain, d, market, factor, liquidator);
        }

        // Tighten two markets' risk parameters through the timelock, then compare under the new terms.
        for (MarketCase market : List.of(markets.get(1), markets.get(4))) {
            tightenThroughTimelock(chain, d, market.id());
            int before = diff.cases;
            for (double factor : AFTER_CHANGE_FACTORS) compareAt(chain, d, market, factor, liquidator);
            riskChangeCases += diff.cases - before;
        }

        diff.print("margin differential");
        System.out.printf("liquidation quotes compared: %d (seize nothing: %d, under a random cap: %d, of which "
                + "DebtBelowMinimum: %d), batches: %d, cases after the timelocked change: %d%n", liquidationQuotes,
                noEffectQuotes, cappedQuotes, debtBelowMinimum, batches, riskChangeCases);
        assertTrue(diff.cases >= 1_000, "expected at least 1,000 cases, ran " + diff.cases);
        assertTrue(liquidationQuotes >= 100, "expected at least 100 liquidation quotes, compared " + liquidationQuotes);
        assertTrue(noEffectQuotes > 0, "the coarse market should have liquidations that seize nothing");
        assertTrue(riskChangeCases >= 100, "cases after the timelocked change: " + riskChangeCases);
        assertEquals(List.of(), diff.mismatches.stream().limit(20).toList());
    }

    /** Opens vaults from $50 to $20M of collateral value at 5%..99.9% of the initial-margin limit. */
    private List<BigInteger> openVaults(Deployment d, Credentials borrower, Deployment.Market market, int collDec,
            long wholePrice) throws Exception {
        ChainMarket view = ChainMarket.read(d.engine(), market.id());
        BigInteger price = d.lens().price(market.id()).send();
        MarginMath.Margins margins = view.margins(Long.MAX_VALUE);
        List<BigInteger> vaults = new ArrayList<>();
        BigInteger totalCollateral = BigInteger.ZERO;
        List<BigInteger[]> plans = new ArrayList<>();
        for (int i = 0; i < VAULTS_PER_MARKET; i++) {
            double dollars = Math.pow(10, 1.7 + random.nextDouble() * 5.6); // $50 .. $20M
            BigInteger collateral = new BigDecimal(dollars / wholePrice)
                    .multiply(new BigDecimal(BigInteger.TEN.pow(collDec))).toBigInteger().max(BigInteger.ONE);
            BigInteger value = MarginMath.value(collateral, price);
            BigInteger imLimit = MarginMath.maxDebt(value, margins.minValues(), margins.imBps());
            double leverage = i % 5 == 0 ? 0.999 : 0.05 + random.nextDouble() * 0.94;
            BigInteger borrow = new BigDecimal(imLimit).multiply(BigDecimal.valueOf(leverage)).toBigInteger();
            if (borrow.compareTo(view.terms().minDebt()) < 0) borrow = BigInteger.ZERO;
            plans.add(new BigInteger[] {collateral, borrow});
            totalCollateral = totalCollateral.add(collateral);
        }
        d.mintAndApprove(borrower, market.collateral().getContractAddress(), totalCollateral);
        IsomarginEngine asBorrower = d.engineAs(borrower);
        for (BigInteger[] plan : plans) {
            var receipt = asBorrower.openVault(market.id(), plan[0], plan[1]).send();
            vaults.add(IsomarginEngine.getVaultOpenedEvents(receipt).get(0).vaultId);
        }
        return vaults;
    }

    /** Raises every tier's maintenance margin by 3 points over {@code duration} seconds. */
    private static void rampMaintenanceMargins(Deployment d, BigInteger marketId, long duration) throws Exception {
        ChainMarket view = ChainMarket.read(d.engine(), marketId);
        List<BigInteger> im = new ArrayList<>();
        List<BigInteger> mm = new ArrayList<>();
        for (TierState t : view.tiers()) {
            im.add(BigInteger.valueOf(t.imBps()));
            mm.add(BigInteger.valueOf(t.mmToBps() + 300));
        }
        d.engine().setMarginTiers(marketId, im, mm, BigInteger.valueOf(duration)).send();
        for (TierState t : ChainMarket.read(d.engine(), marketId).tiers()) {
            assertTrue(t.rampEnd() - t.rampStart() == duration && t.mmToBps() > t.mmFromBps(), "ramping: " + t);
        }
    }

    /**
     * Proposes a change that tightens every liquidation and interest term, checks it is pending and not executable
     * before the delay, moves time past {@code RISK_TIMELOCK} and executes it; the execution's accrual at the old rate
     * model must equal the Java accrual, and the new terms must be in force.
     */
    private void tightenThroughTimelock(AnvilChain chain, Deployment d, BigInteger marketId) throws Exception {
        IsomarginEngine engine = d.engine();
        engine.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        RiskUpdate now = d.riskUpdate(marketId);
        RateModel m = now.rateModel;
        RiskUpdate tighter = new RiskUpdate(now.maxOracleAge, now.liquidationBonusBps.add(BigInteger.valueOf(200)),
                now.protocolFeeBps.add(BigInteger.valueOf(1_000)), now.closeFactorBps.add(BigInteger.valueOf(2_500)),
                now.reserveFactorBps.add(BigInteger.valueOf(1_000)), now.minDebt.multiply(BigInteger.TWO),
                new RateModel(m.baseRatePerSecond.multiply(BigInteger.TWO), m.slope1PerSecond.multiply(BigInteger.TWO),
                        m.slope2PerSecond, m.kink));
        TransactionReceipt proposed = engine.setRiskParams(marketId, tighter).send();
        var proposal = IsomarginEngine.getRiskParamsProposedEvents(proposed);
        diff.check("market " + marketId + " proposal event", proposal.size(), 1);
        long proposedAt = Differential.timestamp(chain, proposed.getBlockNumber().longValueExact());
        long timelock = engine.RISK_TIMELOCK().send().longValueExact();
        Tuple2<RiskUpdate, BigInteger> pending = engine.pendingRiskParams(marketId).send();
        diff.check("market " + marketId + " pending executableAt", pending.component2().longValueExact(),
                proposedAt + timelock);
        diff.check("market " + marketId + " pending update", List.of(pending.component1().protocolFeeBps,
                pending.component1().closeFactorBps, pending.component1().rateModel.slope1PerSecond),
                List.of(tighter.protocolFeeBps, tighter.closeFactorBps, tighter.rateModel.slope1PerSecond));
        diff.check("market " + marketId + " terms unchanged while pending",
                ChainMarket.read(engine, marketId).terms().closeFactorBps(), now.closeFactorBps.intValueExact());
        long block = chain.blockNumber();
        CallResult early = Differential.call(chain, engine.getContractAddress(), d.deployer().getAddress(),
                engine.executeRiskParams(marketId).encodeFunctionCall(), block, 0);
        diff.check("market " + marketId + " execute before the delay", early.error(),
                Differential.TIMELOCK_NOT_ELAPSED);

        ChainMarket old = ChainMarket.read(engine, marketId);
        chain.increaseTime(timelock);
        TransactionReceipt executed = d.engineAs(chain.credentials(5)).executeRiskParams(marketId).send();
        diff.check("market " + marketId + " RiskParamsExecuted",
                IsomarginEngine.getRiskParamsExecutedEvents(executed).size(), 1);
        long at = Differential.timestamp(chain, executed.getBlockNumber().longValueExact());
        var states = IsomarginEngine.getMarketStateUpdatedEvents(executed);
        diff.cases++;
        diff.check("market " + marketId + " state at execution (accrued at the old model)",
                ChainMarket.totals(states.getLast()), old.accrued(at));
        ChainMarket changed = ChainMarket.read(engine, marketId);
        diff.check("market " + marketId + " terms after execution", changed.terms(), new LiquidationMath.Terms(
                tighter.liquidationBonusBps.intValueExact(), tighter.protocolFeeBps.intValueExact(),
                tighter.closeFactorBps.intValueExact(), tighter.minDebt));
        diff.check("market " + marketId + " reserve factor after execution", changed.reserveFactorBps(),
                tighter.reserveFactorBps.intValueExact());
        diff.check("market " + marketId + " no pending change after execution",
                engine.pendingRiskParams(marketId).send().component2(), BigInteger.ZERO);
    }

    /** Sets the market's price to {@code factor} x its initial answer and compares every vault at that block. */
    private void compareAt(AnvilChain chain, Deployment d, MarketCase market, double factor, Credentials liquidator)
            throws Exception {
        BigInteger answer = new BigDecimal(market.initialAnswer()).multiply(BigDecimal.valueOf(factor))
                .toBigInteger().max(BigInteger.ONE);
        d.setPrice(market.id(), answer);
        long block = chain.blockNumber();
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        IsomarginEngine engine = d.engine();
        IsomarginLens lens = d.lens();
        engine.setDefaultBlockParameter(at);
        lens.setDefaultBlockParameter(at);
        try {
            compareMarket(chain, engine, lens, market, answer, liquidator, block);
        } finally {
            engine.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
            lens.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        }
    }

    private void compareMarket(AnvilChain chain, IsomarginEngine engine, IsomarginLens lens, MarketCase market,
            BigInteger answer, Credentials liquidator, long block) throws Exception {
        long now = Differential.timestamp(chain, block); // the block the views run at
        ChainMarket view = ChainMarket.read(engine, market.id());
        MarketTotals accrued = view.accrued(now);
        MarginMath.Margins margins = view.margins(now);
        String mkt = "market " + market.id() + " @" + block;
        diff.check(mkt + " expectedMarketState", ChainMarket.totals(lens.expectedMarketState(market.id()).send()),
                accrued);
        BigInteger price = MarginMath.scaledPrice(answer, view.priceScale());
        diff.check(mkt + " price", lens.price(market.id()).send(), price);

        // the batch, vault by vault in increasing id order, on totals each liquidation leaves
        MarketTotals batchTotals = accrued;
        int batchCount = 0;
        BigInteger batchRepaid = BigInteger.ZERO;
        BigInteger batchSeized = BigInteger.ZERO;
        BigInteger batchFee = BigInteger.ZERO;
        for (BigInteger id : market.vaults()) {
            diff.cases++;
            IsomarginEngine.Vault v = engine.vault(id).send();
            String where = "vault " + id + " (" + mkt + ", answer " + answer + ")";
            BigInteger debt = MarginMath.debt(v.debtShares, accrued);
            diff.check(where + " debtOf", lens.debtOf(id).send(), debt);
            diff.check(where + " health", lens.health(id).send(), MarginMath.health(v.collateral, debt, price, margins));
            boolean liquidatable = MarginMath.isLiquidatable(v.collateral, debt, price, margins);
            diff.check(where + " isLiquidatable", lens.isLiquidatable(id).send(), liquidatable);
            diff.check(where + " liquidationPrice", lens.liquidationPrice(id).send(),
                    MarginMath.liquidationPrice(v.collateral, debt, view.priceScale(), margins));
            if (liquidatable) {
                compareLiquidations(chain, engine, id, v, debt, accrued, price, view.terms(), liquidator, block,
                        where);
            } else {
                CallResult r = Differential.liquidate(chain, engine, id, MAX, BigInteger.ZERO,
                        liquidator.getAddress(), block);
                diff.check(where + " liquidate of a healthy vault", r.error(), Differential.VAULT_HEALTHY);
            }
            BigInteger batchDebt = MarginMath.debt(v.debtShares, batchTotals);
            if (MarginMath.isLiquidatable(v.collateral, batchDebt, price, margins)) {
                LiquidationMath.Quote q = LiquidationMath.quote(v.collateral, v.debtShares, batchTotals, price,
                        view.terms(), MAX);
                if (!q.noEffect()) {
                    batchCount++;
                    batchRepaid = batchRepaid.add(q.repaidAssets());
                    batchSeized = batchSeized.add(q.seizedCollateral());
                    batchFee = batchFee.add(q.protocolFee());
                    batchTotals = LiquidationMath.after(batchTotals, v.collateral, v.debtShares, q);
                }
            }
        }
        batches++;
        CallResult batch = Differential.liquidateBatch(chain, engine, market.id(), market.vaults(),
                liquidator.getAddress(), block);
        if (batch.reverted()) {
            diff.fail(mkt + " liquidateBatch reverted: " + batch.error());
        } else {
            diff.check(mkt + " liquidateBatch", batch.values(), List.of(BigInteger.valueOf(batchCount), batchRepaid,
                    batchSeized, batchFee));
        }
        List<BigInteger> unsorted = new ArrayList<>(market.vaults());
        java.util.Collections.swap(unsorted, 3, 4);
        diff.check(mkt + " liquidateBatch out of order", Differential.liquidateBatch(chain, engine, market.id(),
                unsorted, liquidator.getAddress(), block).error(), Differential.BATCH_NOT_SORTED);
    }

    /** liquidate at the engine's largest repayment, with minSeized at and above the expected seizure, and capped. */
    private void compareLiquidations(AnvilChain chain, IsomarginEngine engine, BigInteger id, IsomarginEngine.Vault v,
            BigInteger debt, MarketTotals accrued, BigInteger price, LiquidationMath.Terms terms,
            Credentials liquidator, long block, String where) throws Exception {
        String from = liquidator.getAddress();
        liquidationQuotes++;
        LiquidationMath.Quote q = LiquidationMath.quote(v.collateral, v.debtShares, accrued, price, terms, MAX);
        if (q.noEffect()) {
            noEffectQuotes++;
            diff.check(where + " liquidate reverts ZeroAmount",
                    Differential.liquidate(chain, engine, id, MAX, BigInteger.ZERO, from, block).error(),
                    Differential.ZERO_AMOUNT);
        } else {
            expect(where + " liquidate", Differential.liquidate(chain, engine, id, MAX, q.seizedCollateral(), from,
                    block), q);
            diff.check(where + " liquidate minSeized above the seizure", Differential.liquidate(chain, engine, id,
                    MAX, q.seizedCollateral().add(BigInteger.ONE), from, block).error(),
                    Differential.SEIZED_BELOW_MINIMUM);
            // the liquidator never pays more than the oracle value of what they receive
            if (q.repaidAssets().compareTo(MarginMath.value(q.seizedCollateral(), price)) > 0) {
                diff.fail(where + " repays " + q.repaidAssets() + " for collateral worth "
                        + MarginMath.value(q.seizedCollateral(), price));
            }
        }
        // a random cap, from 2% to 110% of the debt
        BigInteger cap = new BigDecimal(debt).multiply(BigDecimal.valueOf(0.02 + random.nextDouble() * 1.08))
                .toBigInteger().max(BigInteger.ONE);
        cappedQuotes++;
        CallResult capped = Differential.liquidate(chain, engine, id, cap, BigInteger.ZERO, from, block);
        LiquidationMath.Quote c;
        try {
            c = LiquidationMath.quote(v.collateral, v.debtShares, accrued, price, terms, cap);
        } catch (LiquidationMath.DebtBelowMinimumException e) {
            debtBelowMinimum++;
            diff.check(where + " liquidate capped at " + cap + " reverts DebtBelowMinimum", capped.error(),
                    Differential.DEBT_BELOW_MINIMUM);
            return;
        }
        if (c.noEffect()) {
            diff.check(where + " liquidate capped at " + cap + " reverts ZeroAmount", capped.error(),
                    Differential.ZERO_AMOUNT);
        } else {
            expect(where + " liquidate capped at " + cap, capped, c);
            if (c.repaidAssets().compareTo(cap) > 0) diff.fail(where + " repays above the cap " + cap);
        }
    }

    private void expect(String where, CallResult r, LiquidationMath.Quote q) {
        if (r.reverted()) {
            diff.fail(where + " reverted on chain: " + r.error());
            return;
        }
        diff.check(where + " (repaid, seized)", r.values(), List.of(q.repaidAssets(), q.seizedCollateral()));
    }
}

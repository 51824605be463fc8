package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.MarketConfig;
import io.isomargin.abi.contracts.IsomarginEngine.RiskParams;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;

/**
 * Differential test: the Java margin math against the engine's views on a real Anvil chain, case by case. Five
 * markets cover 6/18-decimal loan and collateral tokens, a 0-decimal collateral and 8/18-decimal feeds; vaults span all three margin tiers at
 * random leverage; interest accrues between opening and checking; one market is in the middle of a maintenance-margin
 * ramp; prices move over six orders of magnitude. Every case compares debt, health, liquidatable, liquidation price
 * and, where liquidatable, the liquidation's repayment and seized collateral (eth_call of {@code liquidate}).
 */
@ExtendWith(AnvilExtension.class)
class MarginMathDifferentialTest {
    private static final BigInteger MAX = FullMath.UINT256_MAX;
    private static final String ZERO_AMOUNT = Hash.sha3String("ZeroAmount()").substring(0, 10);
    private static final double[] PRICE_FACTORS = {1.0, 0.97, 0.93, 0.9, 0.87, 0.83, 0.8, 0.7, 0.5, 0.25, 0.001, 8, 1000};
    private static final int VAULTS_PER_MARKET = 30;

    private final Random random = new Random(20261122);
    private final List<String> mismatches = new ArrayList<>();
    private int cases;
    private int liquidationQuotes;
    private int noEffectQuotes;

    private record MarketCase(BigInteger id, int loanDecimals, BigInteger initialAnswer, List<BigInteger> vaults) {}

    @Test
    void javaMathEqualsEngineViewsExactly(AnvilChain chain, Deployment d) throws Exception {
        Credentials borrower = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        List<MarketCase> markets = new ArrayList<>();
        // The last market's collateral has 0 decimals (a coarse unit worth $1,000), so some liquidations can seize
        // nothing and must revert ZeroAmount.
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
                    openVaults(d, borrower, market, loanDec, collDec, wholePrices[m])));
        }
        // Interest accrues on every market; the first one is mid-way through a maintenance-margin ramp.
        rampMaintenanceMargins(d, markets.get(0).id(), 10 * 86_400L);
        chain.increaseTime(3 * 86_400L + random.nextInt(86_400));

        IsomarginEngine reader = d.engine();
        for (MarketCase market : markets) {
            for (double factor : PRICE_FACTORS) {
                BigInteger answer = new java.math.BigDecimal(market.initialAnswer())
                        .multiply(java.math.BigDecimal.valueOf(factor)).toBigInteger().max(BigInteger.ONE);
                d.setPrice(market.id(), answer);
                long block = chain.blockNumber();
                reader.setDefaultBlockParameter(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)));
                compareMarket(chain, reader, market, answer, liquidator, block);
            }
        }

        System.out.printf("differential cases: %d, mismatches: %d (liquidation quotes compared: %d, of which seize "
                + "nothing: %d)%n", cases, mismatches.size(), liquidationQuotes, noEffectQuotes);
        mismatches.stream().limit(20).forEach(System.out::println);
        assertTrue(cases >= 1_000, "expected at least 1,000 cases, ran " + cases);
        assertTrue(liquidationQuotes >= 100, "expected at least 100 liquidation quotes, compared " + liquidationQuotes);
        assertEquals(List.of(), mismatches.stream().limit(20).toList());
    }

    /** Opens vaults from $50 to $20M of collateral value at 5%..99.9% of the initial-margin limit. */
    private List<BigInteger> openVaults(Deployment d, Credentials borrower, Deployment.Market market, int loanDec,
            int collDec, long wholePrice) throws Exception {
        MarketView view = MarketView.read(d.engine(), market.id(), Long.MAX_VALUE);
        BigInteger price = view.price();
        List<BigInteger> vaults = new ArrayList<>();
        BigInteger minDebt = Deployment.units(10, loanDec);
        BigInteger totalCollateral = BigInteger.ZERO;
        List<BigInteger[]> plans = new ArrayList<>();
        for (int i = 0; i < VAULTS_PER_MARKET; i++) {
            double dollars = Math.pow(10, 1.7 + random.nextDouble() * 5.6); // $50 .. $20M
            BigInteger collateral = new java.math.BigDecimal(dollars / wholePrice)
                    .multiply(new java.math.BigDecimal(BigInteger.TEN.pow(collDec))).toBigInteger().max(BigInteger.ONE);
            BigInteger value = MarginMath.value(collateral, price);
            BigInteger imLimit = MarginMath.maxDebt(value, view.margins().minValues(), view.margins().imBps());
            double leverage = i % 5 == 0 ? 0.999 : 0.05 + random.nextDouble() * 0.94;
            BigInteger borrow = new java.math.BigDecimal(imLimit).multiply(java.math.BigDecimal.valueOf(leverage))
                    .toBigInteger();
            if (borrow.compareTo(minDebt) < 0) borrow = BigInteger.ZERO;
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
        MarketView view = MarketView.read(d.engine(), marketId, Long.MAX_VALUE);
        List<BigInteger> im = new ArrayList<>();
        List<BigInteger> mm = new ArrayList<>();
        for (TierState t : view.tiers()) {
            im.add(BigInteger.valueOf(t.imBps()));
            mm.add(BigInteger.valueOf(t.mmToBps() + 300));
        }
        d.engine().setMarginTiers(marketId, im, mm, BigInteger.valueOf(duration)).send();
    }

    private void compareMarket(AnvilChain chain, IsomarginEngine reader, MarketCase market, BigInteger answer,
            Credentials liquidator, long block) throws Exception {
        IsomarginEngine.MarketState expected = reader.expectedMarketState(market.id()).send();
        long now = chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false)
                .send().getBlock().getTimestamp().longValueExact(); // the block the views ran at
        MarketView view = MarketView.read(reader, market.id(), now);
        MarketTotals accrued = InterestMath.accrue(view.stored(), view.rateModel(), view.reserveFactorBps(), now);
        check("market " + market.id() + " expected state @" + block, MarketView.totals(expected), accrued);

        BigInteger price = MarginMath.scaledPrice(answer, view.priceScale());
        check("market " + market.id() + " price @" + block, reader.price(market.id()).send(), price);
        for (BigInteger id : market.vaults()) {
            cases++;
            IsomarginEngine.Vault v = reader.vault(id).send();
            String where = "vault " + id + " (market " + market.id() + ") @ block " + block + " answer " + answer;
            BigInteger debt = MarginMath.debt(v.debtShares, accrued);
            check(where + " debtOf", reader.debtOf(id).send(), debt);
            check(where + " health", reader.health(id).send(),
                    MarginMath.health(v.collateral, debt, price, view.margins()));
            boolean liquidatable = MarginMath.isLiquidatable(v.collateral, debt, price, view.margins());
            check(where + " isLiquidatable", reader.isLiquidatable(id).send(), liquidatable);
            check(where + " liquidationPrice", reader.liquidationPrice(id).send(),
                    MarginMath.liquidationPrice(v.collateral, debt, view.priceScale(), view.margins()));
            if (liquidatable) {
                LiquidationMath.Quote q = LiquidationMath.quote(v.collateral, v.debtShares, accrued, price,
                        view.terms(), MAX);
                compareLiquidation(chain, reader, id, liquidator, block, q, where);
            }
        }
    }

    private void compareLiquidation(AnvilChain chain, IsomarginEngine reader, BigInteger id, Credentials liquidator,
            long block, LiquidationMath.Quote q, String where) throws Exception {
        liquidationQuotes++;
        if (q.noEffect()) noEffectQuotes++;
        String data = reader.liquidate(id, MAX, liquidator.getAddress(), new byte[0]).encodeFunctionCall();
        EthCall call = chain.web3j().ethCall(
                Transaction.createEthCallTransaction(liquidator.getAddress(), reader.getContractAddress(), data),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(block))).send();
        if (q.noEffect()) {
            String error = call.hasError() && call.getError().getData() != null ? call.getError().getData().toString() : "";
            check(where + " liquidate reverts ZeroAmount", error.contains(ZERO_AMOUNT.substring(2)), true);
            return;
        }
        if (call.hasError() || call.isReverted()) {
            mismatches.add(where + " liquidate reverted on chain: "
                    + (call.hasError() ? call.getError().getMessage() : call.getRevertReason()));
            return;
        }
        @SuppressWarnings({"rawtypes", "unchecked"})
        List<Type> out = FunctionReturnDecoder.decode(call.getValue(),
                (List) List.of(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));
        check(where + " liquidate repaid", out.get(0).getValue(), q.repaidAssets());
        check(where + " liquidate seized", out.get(1).getValue(), q.seizedCollateral());
    }

    private void check(String what, Object onChain, Object java) {
        if (!onChain.equals(java)) mismatches.add(what + ": chain " + onChain + " java " + java);
    }

    /** What the Java math needs of one market, read through the bindings at the reader's block. */
    private record MarketView(BigInteger priceScale, List<TierState> tiers, MarginMath.Margins margins,
            MarketTotals stored, RateModel rateModel, int reserveFactorBps, LiquidationMath.Terms terms,
            BigInteger price) {
        static MarketView read(IsomarginEngine engine, BigInteger marketId, long now) throws Exception {
            MarketConfig config = engine.marketConfig(marketId).send();
            RiskParams risk = engine.riskParams(marketId).send();
            List<TierState> tiers = new ArrayList<>();
            for (int i = 0; i < config.tierCount.intValueExact(); i++) {
                IsomarginEngine.TierState t = engine.tier(marketId, BigInteger.valueOf(i)).send();
                tiers.add(new TierState(t.minValue, t.imBps.intValueExact(), t.mmFromBps.intValueExact(),
                        t.mmToBps.intValueExact()));
            }
            long at = now == Long.MAX_VALUE ? risk.rampEnd.longValueExact() : now;
            var margins = MarginMath.Margins.at(tiers, risk.rampStart.longValueExact(), risk.rampEnd.longValueExact(), at);
            var model = new RateModel(risk.rateModel.baseRatePerSecond, risk.rateModel.slope1PerSecond,
                    risk.rateModel.slope2PerSecond, risk.rateModel.kink);
            var terms = new LiquidationMath.Terms(risk.liquidationBonusBps.intValueExact(),
                    risk.protocolFeeBps.intValueExact(), risk.closeFactorBps.intValueExact(), risk.minDebt);
            return new MarketView(config.priceScale, tiers, margins, totals(engine.marketState(marketId).send()), model,
                    risk.reserveFactorBps.intValueExact(), terms, engine.price(marketId).send());
        }

        static MarketTotals totals(IsomarginEngine.MarketState s) {
            return new MarketTotals(s.totalSupplyAssets, s.totalSupplyShares, s.totalBorrowAssets, s.totalBorrowShares,
                    s.insuranceFund, s.lastAccrual.longValueExact());
        }
    }
}

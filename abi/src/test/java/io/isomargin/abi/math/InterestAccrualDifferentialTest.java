package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.RiskUpdate;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
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

/**
 * Differential test of interest accrual in quiet markets, where the interest of one accrual is below one loan unit and
 * only the carried remainder makes it add up: tiny debts (a few units of a 6-decimal token), a zero base rate at
 * near-zero utilization, an 18-decimal market for contrast; gaps from one second to a year between accruals; borrows,
 * partial and full repayments in between (a market whose debt falls to 0 drops its remainder). At every step the
 * Java accrual of the stored state must equal the lens's {@code expectedMarketState} at that block and the state the
 * next {@code accrueInterest} stores (its {@code MarketStateUpdated}), remainder and {@code lastAccrual} included.
 */
@ExtendWith(AnvilExtension.class)
class InterestAccrualDifferentialTest {
    private static final int STEPS = 70;
    private static final long[] GAPS = {1, 1, 2, 3, 5, 13, 60, 600, 3_600, 86_400, 30 * 86_400L, 365 * 86_400L};

    private final Random random = new Random(77);
    private final Differential diff = new Differential();
    private int remainderCarried;
    private int remainderDropped;
    private int quietAccruals;

    @Test
    void quietMarketsAccrueExactlyAsTheEngine(AnvilChain chain, Deployment d) throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        // a 6-decimal market with a zero base rate: debts of a few micro-units, near-zero utilization, a rate of a few
        // wei a second, sub-unit interest even over a year; minDebt lowered to one unit (a loosening change: applied
        // at once)
        Deployment.Market zeroBase = d.createMarket(6, 18, 8, Deployment.units(2_000, 8));
        RiskUpdate r = d.riskUpdate(zeroBase.id());
        d.changeRiskParams(zeroBase.id(), new RiskUpdate(r.maxOracleAge, r.liquidationBonusBps, r.protocolFeeBps,
                r.closeFactorBps, r.reserveFactorBps, BigInteger.ONE, new IsomarginEngine.RateModel(BigInteger.ZERO,
                        r.rateModel.slope1PerSecond, r.rateModel.slope2PerSecond, r.rateModel.kink)));
        d.fundAndSupply(lender, zeroBase.id(), Deployment.units(1_000, 6));
        // the default rate model with debts of a few whole tokens: a unit of interest every few minutes
        Deployment.Market tiny = d.createMarket(6, 18, 8, Deployment.units(2_000, 8));
        r = d.riskUpdate(tiny.id());
        d.changeRiskParams(tiny.id(), new RiskUpdate(r.maxOracleAge, r.liquidationBonusBps, r.protocolFeeBps,
                r.closeFactorBps, r.reserveFactorBps, BigInteger.ONE, r.rateModel));
        d.fundAndSupply(lender, tiny.id(), Deployment.units(1_000, 6));
        // an 18-decimal market with ordinary debt: every accrual carries a remainder below 1e18
        Deployment.Market wide = d.createMarket(18, 18, 8, Deployment.units(2_000, 8));
        d.fundAndSupply(lender, wide.id(), Deployment.units(1_000_000, 18));

        List<Deployment.Market> markets = List.of(zeroBase, tiny, wide);
        // the size of one debt change: micro-units, whole 6-decimal tokens, whole 18-decimal tokens
        List<BigInteger> units = List.of(BigInteger.ONE, BigInteger.TEN.pow(6), BigInteger.TEN.pow(18));
        List<List<BigInteger>> vaults = new ArrayList<>();
        for (Deployment.Market m : markets) vaults.add(new ArrayList<>());
        for (int step = 0; step < STEPS; step++) {
            long gap = GAPS[random.nextInt(GAPS.length)];
            chain.increaseTime(gap);
            for (int i = 0; i < markets.size(); i++) {
                Deployment.Market m = markets.get(i);
                keepPriceFresh(d, m);
                compareExpected(chain, d, m.id());
                compareAccrual(chain, d, m.id());
                act(d, borrower, m, units.get(i), vaults.get(i));
            }
        }
        diff.print("interest accrual differential");
        System.out.printf("accruals with interest below one unit: %d, remainder carried: %d, dropped with no debt: %d%n",
                quietAccruals, remainderCarried, remainderDropped);
        assertTrue(diff.cases >= 400, "cases: " + diff.cases);
        assertTrue(quietAccruals >= 20, "accruals that charged no whole unit: " + quietAccruals);
        assertTrue(remainderCarried >= 50, "accruals that carried a remainder: " + remainderCarried);
        assertTrue(remainderDropped >= 1, "a market whose debt fell to 0 should drop its remainder");
        assertEquals(List.of(), diff.mismatches.stream().limit(20).toList());
    }

    /** lens.expectedMarketState at the latest block against the Java accrual of the stored state to its time. */
    private void compareExpected(AnvilChain chain, Deployment d, BigInteger marketId) throws Exception {
        long block = chain.blockNumber();
        long now = Differential.timestamp(chain, block);
        IsomarginEngine engine = d.engine();
        IsomarginLens lens = d.lens();
        DefaultBlockParameter at = DefaultBlockParameter.valueOf(BigInteger.valueOf(block));
        engine.setDefaultBlockParameter(at);
        lens.setDefaultBlockParameter(at);
        try {
            ChainMarket view = ChainMarket.read(engine, marketId);
            diff.cases++;
            diff.check("market " + marketId + " expectedMarketState @" + block,
                    ChainMarket.totals(lens.expectedMarketState(marketId).send()), view.accrued(now));
        } finally {
            engine.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
            lens.setDefaultBlockParameter(DefaultBlockParameterName.LATEST);
        }
    }

    /** accrueInterest: the state it stores against the Java accrual of the state before, to its block's time. */
    private void compareAccrual(AnvilChain chain, Deployment d, BigInteger marketId) throws Exception {
        ChainMarket before = ChainMarket.read(d.engine(), marketId);
        TransactionReceipt receipt = d.engineAs(chain.credentials(4)).accrueInterest(marketId).send();
        long now = Differential.timestamp(chain, receipt.getBlockNumber().longValueExact());
        MarketTotals stored = ChainMarket.totals(IsomarginEngine.getMarketStateUpdatedEvents(receipt).getLast());
        MarketTotals java = before.accrued(now);
        diff.cases++;
        diff.check("market " + marketId + " accrueInterest @" + receipt.getBlockNumber(), stored, java);
        diff.check("market " + marketId + " stored after accrueInterest", ChainMarket.totals(
                d.engine().marketState(marketId).send()), java);
        MarketTotals s = before.stored();
        if (now > s.lastAccrual() && s.totalBorrowAssets().signum() > 0) {
            if (java.totalBorrowAssets().equals(s.totalBorrowAssets())) quietAccruals++;
            if (java.interestRemainder().signum() > 0) remainderCarried++;
        }
        if (s.interestRemainder().signum() > 0 && s.totalBorrowAssets().signum() == 0 && now > s.lastAccrual()) {
            remainderDropped++;
        }
    }

    /** A random change of the market's debt: open a tiny vault, borrow a little more, repay part, or repay all. */
    private void act(Deployment d, Credentials borrower, Deployment.Market m, BigInteger unit, List<BigInteger> vaults)
            throws Exception {
        BigInteger small = unit.multiply(BigInteger.valueOf(1 + random.nextInt(20)));
        IsomarginEngine asBorrower = d.engineAs(borrower);
        int action = random.nextInt(10);
        if (vaults.isEmpty() || action < 3) {
            BigInteger collateral = BigInteger.TEN.pow(18); // 1 WETH-like unit at $2,000
            vaults.add(d.openVault(borrower, m.id(), collateral, small.max(minDebt(d, m.id()))));
        } else if (action < 5) {
            asBorrower.borrow(vaults.get(random.nextInt(vaults.size())), small, borrower.getAddress()).send();
            // 1 collateral unit ($2,000) carries up to $1,600 at 20% initial margin: 20 tokens at a time never fails
        } else if (action < 7) {
            BigInteger v = vaults.get(random.nextInt(vaults.size()));
            BigInteger shares = d.engine().vault(v).send().debtShares;
            if (shares.signum() > 0) {
                d.mintAndApprove(borrower, m.loan().getContractAddress(), small);
                try {
                    asBorrower.repay(v, small).send(); // may leave less than minDebt: then it reverts, fine
                } catch (Exception ignored) {
                    // DebtBelowMinimum
                }
            }
        } else if (action < 9 || vaults.size() > 3) {
            // close every vault: the market's debt falls to 0 and its remainder must go with it
            for (BigInteger v : vaults) {
                d.mintAndApprove(borrower, m.loan().getContractAddress(), BigInteger.TEN.pow(30));
                asBorrower.closeVault(v, borrower.getAddress()).send();
            }
            vaults.clear();
        }
    }

    private static BigInteger minDebt(Deployment d, BigInteger marketId) throws Exception {
        return d.engine().riskParams(marketId).send().minDebt;
    }

    /** Borrowing needs a fresh price: republish the same answer after long gaps. */
    private static void keepPriceFresh(Deployment d, Deployment.Market m) throws Exception {
        d.setPrice(m.id(), m.feed().latestRoundData().send().component2());
    }
}

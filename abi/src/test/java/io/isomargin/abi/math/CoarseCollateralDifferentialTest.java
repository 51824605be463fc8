package io.isomargin.abi.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MockERC20;
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
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The coarse-collateral rule through the real engine: a market whose collateral has 0 decimals (one unit worth
 * $1,000), liquidated by real transactions after price drops. Each liquidatable vault is liquidated with
 * {@code liquidate(vault, cap, minSeized = the Java quote's seizure, ...)} (a random cap or none) and every figure
 * the engine emits and stores is compared with {@link LiquidationMath}: repaid assets and shares, whole units seized,
 * protocol fee, the vault's collateral and debt shares after, any bad debt written off, the market's totals, and the
 * tokens that moved. A repayment that would not buy one whole unit must revert {@code ZeroAmount}; and the liquidator
 * never pays more than the oracle value of the units received. Then a {@code liquidateBatch} of all the market's
 * vaults in increasing order is sent and compared vault by vault. Each price level starts from a snapshot.
 */
@ExtendWith(AnvilExtension.class)
class CoarseCollateralDifferentialTest {
    private static final BigInteger MAX = FullMath.UINT256_MAX;
    private static final double[] DROPS = {0.9, 0.85, 0.8, 0.7, 0.55, 0.4};
    private static final int VAULTS = 24;

    private final Random random = new Random(4242);
    private final Differential diff = new Differential();
    private int liquidations;
    private int zeroAmount;
    private int badDebts;
    private int batchLiquidations;

    @Test
    void liquidationsOfWholeUnitsMatchTheJavaMathOnTheRealEngine(AnvilChain chain, Deployment d) throws Exception {
        Credentials borrower = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        BigInteger answer = Deployment.units(1_000, 8);
        Deployment.Market market = d.createMarket(6, 0, 8, answer);
        d.fundAndSupply(chain.credentials(1), market.id(), Deployment.units(100_000_000L, 6));
        d.mintAndApprove(liquidator, market.loan().getContractAddress(), Deployment.units(1_000_000_000L, 6));
        d.mintAndApprove(borrower, market.collateral().getContractAddress(), BigInteger.valueOf(100_000));
        // a little insurance, so a write-off is partly covered
        d.mintAndApprove(chain.credentials(1), market.loan().getContractAddress(), Deployment.units(500, 6));
        d.engineAs(chain.credentials(1)).fundInsurance(market.id(), Deployment.units(500, 6)).send();

        // 1 to 40 units ($1,000 to $40,000) at 60%..99.9% of the initial-margin limit
        ChainMarket view = ChainMarket.read(d.engine(), market.id());
        BigInteger price = d.lens().price(market.id()).send();
        List<BigInteger> vaults = new ArrayList<>();
        for (int i = 0; i < VAULTS; i++) {
            BigInteger units = BigInteger.valueOf(1 + random.nextInt(i % 3 == 0 ? 3 : 40));
            BigInteger limit = MarginMath.maxDebt(MarginMath.value(units, price), view.margins(0).minValues(),
                    view.margins(0).imBps());
            BigInteger borrow = new BigDecimal(limit).multiply(BigDecimal.valueOf(i % 4 == 0 ? 0.999
                    : 0.6 + random.nextDouble() * 0.39)).toBigInteger().max(view.terms().minDebt());
            var receipt = d.engineAs(borrower).openVault(market.id(), units, borrow).send();
            vaults.add(IsomarginEngine.getVaultOpenedEvents(receipt).getFirst().vaultId);
        }
        chain.increaseTime(7 * 86_400L);

        for (double drop : DROPS) {
            String snapshot = chain.snapshot();
            BigInteger crashed = new BigDecimal(answer).multiply(BigDecimal.valueOf(drop)).toBigInteger();
            d.setPrice(market.id(), crashed);
            for (BigInteger id : vaults) liquidateOne(chain, d, market, id, liquidator, drop);
            chain.revert(snapshot);
            snapshot = chain.snapshot();
            d.setPrice(market.id(), crashed);
            batch(chain, d, market, vaults, liquidator, drop);
            chain.revert(snapshot);
        }

        diff.print("coarse collateral differential");
        System.out.printf("real liquidations: %d single (ZeroAmount: %d, bad debt: %d), %d in batches%n",
                liquidations, zeroAmount, badDebts, batchLiquidations);
        assertTrue(liquidations >= 40, "single liquidations sent: " + liquidations);
        assertTrue(zeroAmount >= 1, "a repayment that buys no whole unit should be seen");
        assertTrue(batchLiquidations >= 20, "liquidations in batches: " + batchLiquidations);
        assertEquals(List.of(), diff.mismatches.stream().limit(20).toList());
    }

    /** A real liquidate of one vault (if liquidatable) at a random cap, compared figure by figure. */
    private void liquidateOne(AnvilChain chain, Deployment d, Deployment.Market market, BigInteger id,
            Credentials liquidator, double drop) throws Exception {
        IsomarginEngine engine = d.engine();
        long at = Differential.timestamp(chain, chain.blockNumber()) + 1; // the next block's time, set below
        ChainMarket view = ChainMarket.read(engine, market.id());
        MarketTotals accrued = view.accrued(at);
        IsomarginEngine.Vault v = engine.vault(id).send();
        BigInteger price = d.lens().price(market.id()).send();
        BigInteger debt = MarginMath.debt(v.debtShares, accrued);
        if (!MarginMath.isLiquidatable(v.collateral, debt, price, view.margins(at))) return;
        String where = "vault " + id + " at " + drop + " of the price";
        // the engine's largest repayment, or a cap from 5% to 100% of the debt
        BigInteger cap = random.nextInt(3) == 0 ? MAX : new BigDecimal(debt)
                .multiply(BigDecimal.valueOf(0.05 + random.nextDouble() * 0.95)).toBigInteger().max(BigInteger.ONE);
        LiquidationMath.Quote q;
        try {
            q = LiquidationMath.quote(v.collateral, v.debtShares, accrued, price, view.terms(), cap);
        } catch (LiquidationMath.DebtBelowMinimumException e) {
            cap = MAX;
            q = LiquidationMath.quote(v.collateral, v.debtShares, accrued, price, view.terms(), cap);
        }
        diff.cases++;
        chain.setNextBlockTimestamp(at);
        if (q.noEffect()) {
            zeroAmount++;
            chain.mine(); // an empty block at `at`: the call runs on the same state at the same time
            CallResult r = Differential.liquidate(chain, engine, id, cap, BigInteger.ZERO, liquidator.getAddress(),
                    chain.blockNumber());
            diff.check(where + " cap " + cap + " reverts ZeroAmount", r.error(), Differential.ZERO_AMOUNT);
            return;
        }
        MockERC20 loan = d.tokenAs(market.loan().getContractAddress(), liquidator);
        MockERC20 coll = d.tokenAs(market.collateral().getContractAddress(), liquidator);
        BigInteger loanBefore = loan.balanceOf(liquidator.getAddress()).send();
        BigInteger collBefore = coll.balanceOf(liquidator.getAddress()).send();
        // minSeized is the liquidator's own expected seizure
        TransactionReceipt receipt = d.engineAs(liquidator).liquidate(id, cap, q.seizedCollateral(),
                liquidator.getAddress(), new byte[0]).send();
        liquidations++;
        diff.check(where + " block time", Differential.timestamp(chain, receipt.getBlockNumber().longValueExact()), at);
        var events = IsomarginEngine.getLiquidatedEvents(receipt);
        diff.check(where + " one Liquidated", events.size(), 1);
        var e = events.getFirst();
        IsomarginEngine.Vault after = engine.vault(id).send();
        boolean writtenOff = v.collateral.equals(q.seizedCollateral()) && !v.debtShares.equals(q.repaidShares());
        diff.check(where + " Liquidated", List.of(e.repaidAssets, e.repaidShares, e.seizedCollateral, e.protocolFee,
                e.collateralAfter, e.debtSharesAfter), List.of(q.repaidAssets(), q.repaidShares(),
                q.seizedCollateral(), q.protocolFee(), v.collateral.subtract(q.seizedCollateral()),
                writtenOff ? BigInteger.ZERO : v.debtShares.subtract(q.repaidShares())));
        diff.check(where + " vault after", List.of(after.collateral, after.debtShares),
                List.of(e.collateralAfter, e.debtSharesAfter));
        var bad = IsomarginEngine.getBadDebtRealizedEvents(receipt);
        diff.check(where + " bad debt", bad.isEmpty() ? List.of() : List.of(bad.getFirst().badDebtAssets,
                bad.getFirst().coveredByInsurance), writtenOff ? List.of(q.badDebt(), q.coveredByInsurance())
                        : List.of());
        if (writtenOff) badDebts++;
        diff.check(where + " market after", ChainMarket.totals(engine.marketState(market.id()).send()),
                LiquidationMath.after(accrued, v.collateral, v.debtShares, q));
        diff.check(where + " loan tokens paid", loanBefore.subtract(loan.balanceOf(liquidator.getAddress()).send()),
                q.repaidAssets().add(q.protocolFee()));
        diff.check(where + " units received", coll.balanceOf(liquidator.getAddress()).send().subtract(collBefore),
                q.seizedCollateral());
        if (q.repaidAssets().compareTo(MarginMath.value(q.seizedCollateral(), price)) > 0) {
            diff.fail(where + " repaid " + q.repaidAssets() + " for units worth "
                    + MarginMath.value(q.seizedCollateral(), price));
        }
        if (cap.compareTo(MAX) < 0 && q.repaidAssets().compareTo(cap) > 0) diff.fail(where + " repaid above the cap");
    }

    /** A real liquidateBatch of every vault (increasing ids) against the Java mirror, vault after vault. */
    private void batch(AnvilChain chain, Deployment d, Deployment.Market market, List<BigInteger> ids,
            Credentials liquidator, double drop) throws Exception {
        IsomarginEngine engine = d.engine();
        long at = Differential.timestamp(chain, chain.blockNumber()) + 1;
        ChainMarket view = ChainMarket.read(engine, market.id());
        BigInteger price = d.lens().price(market.id()).send();
        MarketTotals totals = view.accrued(at);
        MarginMath.Margins margins = view.margins(at);
        List<LiquidationMath.Quote> expected = new ArrayList<>();
        List<BigInteger> expectedIds = new ArrayList<>();
        for (BigInteger id : ids) {
            IsomarginEngine.Vault v = engine.vault(id).send();
            if (!MarginMath.isLiquidatable(v.collateral, MarginMath.debt(v.debtShares, totals), price, margins)) continue;
            LiquidationMath.Quote q = LiquidationMath.quote(v.collateral, v.debtShares, totals, price, view.terms(), MAX);
            if (q.noEffect()) continue;
            expected.add(q);
            expectedIds.add(id);
            totals = LiquidationMath.after(totals, v.collateral, v.debtShares, q);
        }
        chain.setNextBlockTimestamp(at);
        TransactionReceipt receipt = d.engineAs(liquidator).liquidateBatch(market.id(), ids, liquidator.getAddress(),
                new byte[0]).send();
        var events = IsomarginEngine.getLiquidatedEvents(receipt);
        diff.cases++;
        batchLiquidations += events.size();
        String where = "batch at " + drop + " of the price";
        diff.check(where + " vaults", events.stream().map(e -> e.vaultId).toList(), expectedIds);
        for (int i = 0; i < Math.min(events.size(), expected.size()); i++) {
            var e = events.get(i);
            LiquidationMath.Quote q = expected.get(i);
            diff.check(where + " vault " + e.vaultId, List.of(e.repaidAssets, e.repaidShares, e.seizedCollateral,
                    e.protocolFee), List.of(q.repaidAssets(), q.repaidShares(), q.seizedCollateral(), q.protocolFee()));
        }
        diff.check(where + " market after", ChainMarket.totals(engine.marketState(market.id()).send()), totals);
    }
}

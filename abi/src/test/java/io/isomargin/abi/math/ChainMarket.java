package io.isomargin.abi.math;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.MarketConfig;
import io.isomargin.abi.contracts.IsomarginEngine.RiskParams;
import io.isomargin.abi.contracts.IsomarginLens;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * What the Java math needs of one market, read through the engine's raw getters (bindings) at the engine binding's
 * default block: config, risk parameters, tiers with their ramp, stored totals. The differential tests compare what
 * the Java math makes of it with the lens's views and the engine's liquidations.
 */
record ChainMarket(BigInteger priceScale, List<TierState> tiers, MarketTotals stored, RateModel rateModel,
        int reserveFactorBps, LiquidationMath.Terms terms, long maxOracleAge) {

    static ChainMarket read(IsomarginEngine engine, BigInteger marketId) throws Exception {
        MarketConfig config = engine.marketConfig(marketId).send();
        RiskParams risk = engine.riskParams(marketId).send();
        List<TierState> tiers = new ArrayList<>();
        for (int i = 0; i < config.tierCount.intValueExact(); i++) {
            IsomarginEngine.TierState t = engine.tier(marketId, BigInteger.valueOf(i)).send();
            tiers.add(new TierState(t.minValue, t.imBps.intValueExact(), t.mmFromBps.intValueExact(),
                    t.mmToBps.intValueExact(), t.rampStart.longValueExact(), t.rampEnd.longValueExact()));
        }
        var model = new RateModel(risk.rateModel.baseRatePerSecond, risk.rateModel.slope1PerSecond,
                risk.rateModel.slope2PerSecond, risk.rateModel.kink);
        var terms = new LiquidationMath.Terms(risk.liquidationBonusBps.intValueExact(),
                risk.protocolFeeBps.intValueExact(), risk.closeFactorBps.intValueExact(), risk.minDebt);
        return new ChainMarket(config.priceScale, tiers, totals(engine.marketState(marketId).send()), model,
                risk.reserveFactorBps.intValueExact(), terms, risk.maxOracleAge.longValueExact());
    }

    /** The margins in force at {@code now} (each tier over its own ramp window). */
    MarginMath.Margins margins(long now) {
        return MarginMath.Margins.at(tiers, now);
    }

    /** The stored totals accrued to {@code now} by the Java mirror. */
    MarketTotals accrued(long now) {
        return InterestMath.accrue(stored, rateModel, reserveFactorBps, now);
    }

    static MarketTotals totals(IsomarginEngine.MarketState s) {
        return new MarketTotals(s.totalSupplyAssets, s.totalSupplyShares, s.totalBorrowAssets, s.totalBorrowShares,
                s.insuranceFund, s.lastAccrual.longValueExact(), s.interestRemainder);
    }

    static MarketTotals totals(IsomarginLens.MarketState s) {
        return new MarketTotals(s.totalSupplyAssets, s.totalSupplyShares, s.totalBorrowAssets, s.totalBorrowShares,
                s.insuranceFund, s.lastAccrual.longValueExact(), s.interestRemainder);
    }

    static MarketTotals totals(IsomarginEngine.MarketStateUpdatedEventResponse e) {
        return new MarketTotals(e.totalSupplyAssets, e.totalSupplyShares, e.totalBorrowAssets, e.totalBorrowShares,
                e.insuranceFund, e.lastAccrual.longValueExact(), e.interestRemainder);
    }
}

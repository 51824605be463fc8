package io.isomargin.keeper;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.testing.Deployment;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.web3j.crypto.Credentials;

/** Vaults of every size opened close to their initial-margin limit, so price moves put many around the threshold. */
public final class Population {
    private Population() {}

    /**
     * Opens {@code n} vaults in {@code marketId} for {@code owner}, with $1k..$5M of collateral value at the current
     * price and debt at 60%..99.9% of the initial-margin limit (a fifth at 99.9%).
     */
    public static List<BigInteger> open(Deployment d, Credentials owner, BigInteger marketId, int n, Random random)
            throws Exception {
        IsomarginEngine e = d.engine();
        IsomarginEngine.MarketConfig config = e.marketConfig(marketId).send();
        List<BigInteger> minValues = new ArrayList<>();
        int tiers = config.tierCount.intValueExact();
        int[] im = new int[tiers];
        for (int i = 0; i < tiers; i++) {
            IsomarginEngine.TierState t = e.tier(marketId, BigInteger.valueOf(i)).send();
            minValues.add(t.minValue);
            im[i] = t.imBps.intValueExact();
        }
        BigInteger price = d.lens().price(marketId).send();
        BigInteger unitPrice = price.divide(BigInteger.TEN.pow(36 - 18)); // loan units per 1e18 collateral units
        BigInteger minDebt = e.riskParams(marketId).send().minDebt;
        List<BigInteger[]> plans = new ArrayList<>();
        BigInteger total = BigInteger.ZERO;
        for (int i = 0; i < n; i++) {
            double dollars = Math.pow(10, 3 + random.nextDouble() * 3.7);
            BigInteger collateral = new BigDecimal(dollars * 1e6).multiply(new BigDecimal(BigInteger.TEN.pow(18)))
                    .divide(new BigDecimal(unitPrice), java.math.RoundingMode.DOWN).toBigInteger();
            BigInteger limit = MarginMath.maxDebt(MarginMath.value(collateral, price), minValues, im);
            double leverage = i % 5 == 0 ? 0.999 : 0.6 + random.nextDouble() * 0.39;
            BigInteger borrow = new BigDecimal(limit).multiply(BigDecimal.valueOf(leverage)).toBigInteger().max(minDebt);
            plans.add(new BigInteger[] {collateral, borrow});
            total = total.add(collateral);
        }
        d.mintAndApprove(owner, config.collateralToken, total);
        IsomarginEngine asOwner = d.engineAs(owner);
        List<BigInteger> ids = new ArrayList<>();
        for (BigInteger[] p : plans) {
            var receipt = asOwner.openVault(marketId, p[0], p[1]).send();
            ids.add(IsomarginEngine.getVaultOpenedEvents(receipt).get(0).vaultId);
        }
        return ids;
    }
}

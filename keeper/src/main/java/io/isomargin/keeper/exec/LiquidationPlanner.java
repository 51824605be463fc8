package io.isomargin.keeper.exec;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.keeper.risk.LiquidatableVault;
import io.isomargin.keeper.risk.LiquidationCandidates;
import io.isomargin.keeper.risk.MarketAtBlock;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Chooses what to liquidate in one market at one block, before any RPC: quotes every liquidatable vault with the
 * engine's exact liquidation math (the whole allowed repayment, as {@code liquidateBatch} does), values it as
 * {@code seized collateral at the oracle price - repaid - protocol fee - its share of gas}, drops the vaults that do
 * not pay for their own gas, and keeps the most profitable ones that fit the batch size, the gas budget and the
 * capital at hand. The executor then simulates the result and checks the whole batch's profit with a real gas
 * estimate.
 *
 * @param maxBatch       most vaults per transaction (the engine allows 100)
 * @param gasBudget      most gas per transaction
 * @param baseGas        gas of a batch transaction besides its vaults (intrinsic cost, settlement, events)
 * @param gasPerVault    marginal gas of one more vault in a batch
 */
public record LiquidationPlanner(int maxBatch, long gasBudget, long baseGas, long gasPerVault) {

    /** One vault in a plan, quoted at the candidates' block. */
    public record Planned(long vaultId, LiquidationMath.Quote quote, BigInteger seizedValue, BigInteger grossProfit) {
        /** Loan tokens the keeper pays: repaid debt plus the protocol fee. */
        public BigInteger cost() {
            return quote.repaidAssets().add(quote.protocolFee());
        }
    }

    /**
     * What to send for one market.
     *
     * @param skippedUnprofitable vaults left out because they do not pay for their gas
     * @param skippedCapital      vaults left out because the keeper's loan-token balance does not cover them
     */
    public record Plan(long marketId, long block, List<Planned> vaults, int skippedUnprofitable, int skippedCapital) {
        public Plan {
            vaults = List.copyOf(vaults);
        }

        public List<Long> vaultIds() {
            return vaults.stream().map(Planned::vaultId).toList();
        }

        /** Loan tokens the whole batch needs. */
        public BigInteger capital() {
            return vaults.stream().map(Planned::cost).reduce(BigInteger.ZERO, BigInteger::add);
        }

        /** Profit before gas. */
        public BigInteger grossProfit() {
            return vaults.stream().map(Planned::grossProfit).reduce(BigInteger.ZERO, BigInteger::add);
        }
    }

    public LiquidationPlanner {
        if (maxBatch < 1 || maxBatch > 100) throw new IllegalArgumentException("maxBatch must be 1..100");
        if (gasBudget < baseGas + gasPerVault) throw new IllegalArgumentException("gas budget below one vault");
    }

    /** Gas of a batch of {@code n} vaults by this model. */
    public long gasFor(int n) {
        return baseGas + gasPerVault * n;
    }

    /**
     * @param c            the detector's result for one market
     * @param exclude      vaults already in one of our transactions in flight
     * @param feePerGas    the expected price of gas (wei), for the per-vault cut
     * @param pricing      gas in the loan token
     * @param balance      the keeper's loan-token balance available for this market
     */
    public Plan plan(LiquidationCandidates c, Set<Long> exclude, BigInteger feePerGas, GasPricing pricing,
            BigInteger balance) {
        Objects.requireNonNull(c, "candidates");
        List<Planned> profitable = new ArrayList<>();
        int unprofitable = 0;
        if (!c.priceUsable() || c.vaults().isEmpty()) return new Plan(c.marketId(), c.block(), List.of(), 0, 0);
        MarketAtBlock m = c.market();
        BigInteger price = m.price();
        BigInteger ownGas = pricing.cost(BigInteger.valueOf(gasPerVault), feePerGas);
        for (LiquidatableVault v : c.vaults()) {
            if (exclude.contains(v.vaultId())) continue;
            LiquidationMath.Quote q = LiquidationMath.quote(v.position().collateral(), v.position().debtShares(),
                    m.accruedTotals(), price, m.market().terms(), UINT256_MAX);
            if (q.noEffect()) continue;
            BigInteger seizedValue = MarginMath.value(q.seizedCollateral(), price);
            BigInteger gross = seizedValue.subtract(q.repaidAssets()).subtract(q.protocolFee());
            if (gross.compareTo(ownGas) <= 0) {
                unprofitable++;
                continue;
            }
            profitable.add(new Planned(v.vaultId(), q, seizedValue, gross));
        }
        profitable.sort(Comparator.comparing(Planned::grossProfit).reversed()
                .thenComparingLong(Planned::vaultId));
        List<Planned> chosen = new ArrayList<>();
        int noCapital = 0;
        BigInteger left = balance;
        for (Planned p : profitable) {
            if (chosen.size() == maxBatch || gasFor(chosen.size() + 1) > gasBudget) break;
            if (p.cost().compareTo(left) > 0) {
                noCapital++;
                continue;
            }
            left = left.subtract(p.cost());
            chosen.add(p);
        }
        return new Plan(c.marketId(), c.block(), chosen, unprofitable, noCapital);
    }
}

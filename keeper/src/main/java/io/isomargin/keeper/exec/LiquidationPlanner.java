package io.isomargin.keeper.exec;

import static io.isomargin.abi.math.FullMath.UINT256_MAX;

import io.isomargin.abi.math.LiquidationMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
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

    /** Most liquidations of one vault in one batch (see {@link #plan}). */
    static final int MAX_ROUNDS = 8;

    /**
     * One vault in a plan, quoted at the candidates' block: {@code rounds} liquidations in a row (the batch lists
     * its id that many times), {@code quote} their sums.
     */
    public record Planned(long vaultId, int rounds, LiquidationMath.Quote quote, BigInteger seizedValue,
            BigInteger grossProfit) {
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

        /** The batch's ids: each vault as many times as it has rounds. */
        public List<Long> vaultIds() {
            List<Long> ids = new ArrayList<>();
            for (Planned p : vaults) for (int i = 0; i < p.rounds(); i++) ids.add(p.vaultId());
            return ids;
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
            Planned p = rounds(v, m, price);
            if (p == null) continue;
            if (p.grossProfit().compareTo(ownGas.multiply(BigInteger.valueOf(p.rounds()))) <= 0) {
                unprofitable++;
                continue;
            }
            profitable.add(p);
        }
        profitable.sort(Comparator.comparing(Planned::grossProfit).reversed()
                .thenComparingLong(Planned::vaultId));
        List<Planned> chosen = new ArrayList<>();
        int noCapital = 0;
        BigInteger left = balance;
        int liquidations = 0;
        for (Planned p : profitable) {
            if (liquidations + p.rounds() > maxBatch || gasFor(liquidations + p.rounds()) > gasBudget) continue;
            if (p.cost().compareTo(left) > 0) {
                noCapital++;
                continue;
            }
            left = left.subtract(p.cost());
            chosen.add(p);
            liquidations += p.rounds();
        }
        return new Plan(c.marketId(), c.block(), chosen, unprofitable, noCapital);
    }

    /**
     * The liquidations one vault takes in a row: with a close factor a vault between {@code 1 / (1 + bonus)} and the
     * maintenance limit stays liquidatable after a partial liquidation (each one seizes the bonus on top of what it
     * repays), and would otherwise need a block per round. Each round is quoted on the vault and totals the previous
     * one leaves, until it is healthy, emptied, or {@link #MAX_ROUNDS}; null when even the first has no effect.
     */
    private static Planned rounds(LiquidatableVault v, MarketAtBlock m, BigInteger price) {
        BigInteger collateral = v.position().collateral();
        BigInteger shares = v.position().debtShares();
        MarketTotals totals = m.accruedTotals();
        BigInteger repaid = BigInteger.ZERO;
        BigInteger repaidShares = BigInteger.ZERO;
        BigInteger seized = BigInteger.ZERO;
        BigInteger fee = BigInteger.ZERO;
        LiquidationMath.Quote last = null;
        int rounds = 0;
        while (rounds < MAX_ROUNDS && shares.signum() > 0
                && MarginMath.isLiquidatable(collateral, MarginMath.debt(shares, totals), price, m.margins())) {
            LiquidationMath.Quote q = LiquidationMath.quote(collateral, shares, totals, price, m.market().terms(),
                    UINT256_MAX);
            if (q.noEffect()) break;
            rounds++;
            last = q;
            repaid = repaid.add(q.repaidAssets());
            repaidShares = repaidShares.add(q.repaidShares());
            seized = seized.add(q.seizedCollateral());
            fee = fee.add(q.protocolFee());
            collateral = collateral.subtract(q.seizedCollateral());
            shares = collateral.signum() == 0 ? BigInteger.ZERO : shares.subtract(q.repaidShares());
            totals = new MarketTotals(totals.totalSupplyAssets(), totals.totalSupplyShares(),
                    totals.totalBorrowAssets().subtract(q.repaidAssets()).max(BigInteger.ZERO),
                    totals.totalBorrowShares().subtract(q.repaidShares()), totals.insuranceFund().add(q.protocolFee()),
                    totals.lastAccrual());
        }
        if (rounds == 0) return null;
        LiquidationMath.Quote sum = new LiquidationMath.Quote(repaid, repaidShares, seized, fee, last.badDebt(),
                last.coveredByInsurance(), false);
        BigInteger seizedValue = MarginMath.value(seized, price);
        return new Planned(v.vaultId(), rounds, sum, seizedValue, seizedValue.subtract(repaid).subtract(fee));
    }
}

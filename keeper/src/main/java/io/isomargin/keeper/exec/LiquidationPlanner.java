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
import java.util.Map;
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
 * <p>The engine liquidates a vault at most once per batch and wants the ids strictly increasing
 * ({@code BatchNotSorted} otherwise): a plan lists each vault once, in increasing id order. A vault that a partial
 * liquidation leaves liquidatable (a close factor below 100%: each round seizes the bonus on top of what it repays)
 * takes its next round in a later batch of the same block: the caller passes the rounds already planned for it
 * ({@code done}) and the planner quotes the next one on the vault and totals those rounds leave.
 *
 * @param maxBatch       most vaults per transaction (the engine allows 100)
 * @param gasBudget      most gas per transaction
 * @param baseGas        gas of a batch transaction besides its vaults (intrinsic cost, settlement, events)
 * @param gasPerVault    marginal gas of one more vault in a batch
 * @param clearBadDebt   keep a vault whose liquidation realizes bad debt even when it does not pay for its gas
 *                       ({@code liquidation.bad-debt-max-loss}; funded only: the executor bounds the loss per
 *                       transaction)
 */
public record LiquidationPlanner(int maxBatch, long gasBudget, long baseGas, long gasPerVault, boolean clearBadDebt) {

    /** Most liquidations of one vault in one block (rounds, each in its own batch; see {@link #plan}). */
    static final int MAX_ROUNDS = 8;

    /**
     * One vault in a plan, quoted at the candidates' block: its {@code round}-th liquidation in this block (1 for the
     * first; a later round is quoted on the state the earlier ones leave).
     */
    public record Planned(long vaultId, int round, LiquidationMath.Quote quote, BigInteger seizedValue,
            BigInteger grossProfit) {
        /** True when this liquidation realizes bad debt (it seizes the last collateral and debt is left). */
        public boolean realizesBadDebt() {
            return quote.badDebt().signum() > 0;
        }

        /** Loan tokens the keeper pays: repaid debt plus the protocol fee. */
        public BigInteger cost() {
            return quote.repaidAssets().add(quote.protocolFee());
        }
    }

    /**
     * What to send for one market: each vault at most once, in strictly increasing id order.
     *
     * @param skippedUnprofitable vaults left out because they do not pay for their gas
     * @param skippedCapital      vaults left out because the keeper's loan-token balance does not cover them
     * @param skippedSwap         capital-free: vaults left out because selling their collateral on the pool would lose
     *                            (under the slippage floor, or not covering what is owed plus their gas), alone or in
     *                            this batch
     * @param saleProceeds        capital-free: what the pool pays for the batch's seized collateral, on the pool the
     *                            earlier batches of the block leave; null when funded
     */
    public record Plan(long marketId, long block, List<Planned> vaults, int skippedUnprofitable, int skippedCapital,
            List<Long> skippedSwap, BigInteger saleProceeds) {
        public Plan {
            vaults = vaults.stream().sorted(Comparator.comparingLong(Planned::vaultId)).toList();
            for (int i = 1; i < vaults.size(); i++) {
                if (vaults.get(i).vaultId() == vaults.get(i - 1).vaultId()) {
                    throw new IllegalArgumentException("vault " + vaults.get(i).vaultId() + " twice in one batch");
                }
            }
            skippedSwap = List.copyOf(skippedSwap);
        }

        /** A funded plan. */
        public Plan(long marketId, long block, List<Planned> vaults, int skippedUnprofitable, int skippedCapital) {
            this(marketId, block, vaults, skippedUnprofitable, skippedCapital, List.of(), null);
        }

        /** Collateral the whole batch seizes. */
        public BigInteger seized() {
            return vaults.stream().map(v -> v.quote().seizedCollateral()).reduce(BigInteger.ZERO, BigInteger::add);
        }

        /** The batch's ids, strictly increasing. */
        public List<Long> vaultIds() {
            return vaults.stream().map(Planned::vaultId).toList();
        }

        /** Loan tokens the whole batch needs. */
        public BigInteger capital() {
            return vaults.stream().map(Planned::cost).reduce(BigInteger.ZERO, BigInteger::add);
        }

        /** True when a vault of the batch realizes bad debt (the executor may then accept a bounded loss). */
        public boolean realizesBadDebt() {
            return vaults.stream().anyMatch(Planned::realizesBadDebt);
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

    /** A planner that leaves out every vault that does not pay for its gas, bad debt or not. */
    public LiquidationPlanner(int maxBatch, long gasBudget, long baseGas, long gasPerVault) {
        this(maxBatch, gasBudget, baseGas, gasPerVault, false);
    }

    /** Gas of a batch of {@code n} vaults by this model. */
    public long gasFor(int n) {
        return baseGas + gasPerVault * n;
    }

    /** {@link #plan(LiquidationCandidates, Set, Map, BigInteger, GasPricing, BigInteger)} of first rounds only. */
    public Plan plan(LiquidationCandidates c, Set<Long> exclude, BigInteger feePerGas, GasPricing pricing,
            BigInteger balance) {
        return plan(c, exclude, Map.of(), feePerGas, pricing, balance);
    }

    /** A funded plan: {@link #plan(LiquidationCandidates, Set, Map, BigInteger, GasPricing, BigInteger, SaleModel)}. */
    public Plan plan(LiquidationCandidates c, Set<Long> exclude, Map<Long, Integer> done, BigInteger feePerGas,
            GasPricing pricing, BigInteger balance) {
        return plan(c, exclude, done, feePerGas, pricing, balance, null);
    }

    /**
     * @param c            the detector's result for one market
     * @param exclude      vaults already in one of our transactions in flight (of earlier blocks), or dropped
     * @param done         rounds of each vault already planned in earlier batches of this block: the plan takes the
     *                     next one
     * @param feePerGas    the expected price of gas (wei), for the per-vault cut
     * @param pricing      gas in the loan token
     * @param balance      the keeper's loan-token balance available for this market (ignored capital-free)
     * @param sale         capital-free: the market's pool as the block's earlier batches leave it; a vault's profit is
     *                     then what the pool pays for its collateral less what the engine is owed, a vault whose sale
     *                     would lose (under the floor, or not paying for its own share of gas) is left out
     *                     ({@link Plan#skippedSwap}), the batch's whole sale must pass the SwapLiquidator's floor (its
     *                     largest sales are left out until it does), and the chosen batch's sale is taken into
     *                     {@code sale}. Null: funded, profit at the oracle price.
     */
    public Plan plan(LiquidationCandidates c, Set<Long> exclude, Map<Long, Integer> done, BigInteger feePerGas,
            GasPricing pricing, BigInteger balance, SaleModel sale) {
        Objects.requireNonNull(c, "candidates");
        List<Planned> profitable = new ArrayList<>();
        List<Long> swapLoss = new ArrayList<>();
        int unprofitable = 0;
        if (!c.priceUsable() || c.vaults().isEmpty()) return new Plan(c.marketId(), c.block(), List.of(), 0, 0);
        MarketAtBlock m = c.market();
        BigInteger price = m.price();
        BigInteger ownGas = pricing.cost(BigInteger.valueOf(gasPerVault), feePerGas);
        for (LiquidatableVault v : c.vaults()) {
            if (exclude.contains(v.vaultId())) continue;
            Planned p = nextRound(v, m, price, done.getOrDefault(v.vaultId(), 0));
            if (p == null) continue;
            if (sale != null) {
                BigInteger seized = p.quote().seizedCollateral();
                if (!sale.clears(seized, p.cost())) {
                    swapLoss.add(v.vaultId());
                    continue;
                }
                p = new Planned(p.vaultId(), p.round(), p.quote(), p.seizedValue(),
                        sale.proceeds(seized).subtract(p.cost()));
                if (p.grossProfit().compareTo(ownGas) <= 0) {
                    swapLoss.add(v.vaultId());
                    continue;
                }
            } else if (p.grossProfit().compareTo(ownGas) <= 0 && !(clearBadDebt && p.realizesBadDebt())) {
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
        for (Planned p : profitable) {
            if (chosen.size() + 1 > maxBatch || gasFor(chosen.size() + 1) > gasBudget) continue;
            if (sale == null && p.cost().compareTo(left) > 0) { // capital-free: the sale pays, no balance needed
                noCapital++;
                continue;
            }
            left = left.subtract(p.cost());
            chosen.add(p);
        }
        if (sale == null) return new Plan(c.marketId(), c.block(), chosen, unprofitable, noCapital);
        // the batch sells all its collateral at once: drop its largest sales until the whole sale clears the floor
        // (the batch's gas is checked by the executor against the node's estimate, as for a funded batch)
        while (!chosen.isEmpty()) {
            BigInteger seized = BigInteger.ZERO;
            BigInteger owed = BigInteger.ZERO;
            for (Planned p : chosen) {
                seized = seized.add(p.quote().seizedCollateral());
                owed = owed.add(p.cost());
            }
            if (sale.clears(seized, owed)) break;
            Planned largest = chosen.stream().max(Comparator.comparing((Planned p) -> p.quote().seizedCollateral())
                    .thenComparingLong(Planned::vaultId)).orElseThrow();
            chosen.remove(largest);
            swapLoss.add(largest.vaultId());
        }
        if (chosen.isEmpty()) return new Plan(c.marketId(), c.block(), List.of(), 0, noCapital, swapLoss, null);
        Plan plan = new Plan(c.marketId(), c.block(), chosen, 0, noCapital, swapLoss, BigInteger.ZERO);
        return new Plan(plan.marketId(), plan.block(), plan.vaults(), 0, noCapital, swapLoss, sale.sell(plan.seized()));
    }

    /**
     * The vault's liquidation after {@code earlier} ones of this block: each round is quoted on the vault and totals
     * the previous one leaves (with a close factor a vault between {@code 1 / (1 + bonus)} and the maintenance limit
     * stays liquidatable after a partial liquidation). Null when the vault is healthy or emptied by then, when the
     * round would have no effect, or past {@link #MAX_ROUNDS}.
     */
    static Planned nextRound(LiquidatableVault v, MarketAtBlock m, BigInteger price, int earlier) {
        if (earlier >= MAX_ROUNDS) return null;
        BigInteger collateral = v.position().collateral();
        BigInteger shares = v.position().debtShares();
        MarketTotals totals = m.accruedTotals();
        for (int round = 0; ; round++) {
            if (shares.signum() == 0
                    || !MarginMath.isLiquidatable(collateral, MarginMath.debt(shares, totals), price, m.margins())) {
                return null;
            }
            LiquidationMath.Quote q = LiquidationMath.quote(collateral, shares, totals, price, m.market().terms(),
                    UINT256_MAX);
            if (q.noEffect()) return null;
            if (round == earlier) {
                BigInteger seizedValue = MarginMath.value(q.seizedCollateral(), price);
                return new Planned(v.vaultId(), round + 1, q, seizedValue,
                        seizedValue.subtract(q.repaidAssets()).subtract(q.protocolFee()));
            }
            totals = LiquidationMath.after(totals, collateral, shares, q);
            collateral = collateral.subtract(q.seizedCollateral());
            shares = collateral.signum() == 0 ? BigInteger.ZERO : shares.subtract(q.repaidShares());
        }
    }
}

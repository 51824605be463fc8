package io.isomargin.keeper.risk;

import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.math.InterestMath;
import io.isomargin.abi.math.MarginMath;
import io.isomargin.abi.math.MarketTotals;
import io.isomargin.keeper.book.OraclePrice;
import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;
import java.util.Objects;

/**
 * One market as the engine sees it inside a block with timestamp {@code now}: totals accrued to {@code now}, the
 * ramped maintenance margins in force, and the oracle's answer scaled as the lens's {@code price()}. Computed once
 * per market and block, then each vault's exact health is a few big-integer operations ({@code io.isomargin.abi.math},
 * the engine's rounding).
 */
public final class MarketAtBlock {
    private final TrackedMarket market;
    private final long now;
    private final MarketTotals accrued;
    private final MarginMath.Margins margins;
    private final OraclePrice oracle;
    private final BigInteger price;
    private final String priceProblem;

    /**
     * @param market a {@link TrackedMarket#complete() complete} market
     * @param oracle its feed's latest answer (null when unknown)
     * @param now    the block's timestamp
     */
    public MarketAtBlock(TrackedMarket market, OraclePrice oracle, long now) {
        this.market = Objects.requireNonNull(market, "market");
        if (!market.complete()) throw new IllegalArgumentException("market " + market.id() + " is not complete");
        this.now = now;
        MarketTotals t = market.totals();
        this.accrued = InterestMath.accrue(t, market.rateModel(), market.reserveFactorBps(),
                Math.max(now, t.lastAccrual()));
        this.margins = MarginMath.Margins.at(market.tiers(), now);
        this.oracle = oracle;
        BigInteger p = null;
        String problem = null;
        if (oracle == null) {
            problem = "no answer known";
        } else {
            try {
                p = MarginMath.scaledPrice(oracle.answer(), market.priceScale());
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
            }
            if (problem == null) problem = staleness(oracle, market.maxOracleAge(), now);
        }
        this.price = p;
        this.priceProblem = problem;
    }

    private static String staleness(OraclePrice o, long maxAge, long now) {
        if (o.updatedAt() == 0) return "oracle answer has no timestamp";
        if (o.updatedAt() > now) return "oracle answer is from the future (" + o.updatedAt() + " > " + now + ")";
        if (now - o.updatedAt() > maxAge) return "oracle answer is stale (updated " + o.updatedAt() + ", max age "
                + maxAge + " s, now " + now + ")";
        return null;
    }

    public TrackedMarket market() {
        return market;
    }

    public long now() {
        return now;
    }

    public MarketTotals accruedTotals() {
        return accrued;
    }

    public MarginMath.Margins margins() {
        return margins;
    }

    /** The feed's answer, or null when none is known. */
    public OraclePrice oracle() {
        return oracle;
    }

    /** Whether the engine would accept the oracle answer now (positive, not too large, timestamped, fresh). */
    public boolean priceUsable() {
        return priceProblem == null;
    }

    /** Why the engine would refuse the answer, or null when it would accept it. */
    public String priceProblem() {
        return priceProblem;
    }

    /** Whether the answer can be scaled at all (positive and not too large), even if stale. */
    public boolean hasPrice() {
        return price != null;
    }

    /** The engine's 1e36-scaled price; throws when the answer cannot be scaled. */
    public BigInteger price() {
        if (price == null) throw new IllegalStateException("market " + market.id() + ": " + priceProblem);
        return price;
    }

    public BigInteger debt(VaultPosition v) {
        return MarginMath.debt(v.debtShares(), accrued);
    }

    /** Exact: {@code debt > maxDebt} with debt rounded up and collateral value rounded down, as the engine. */
    public boolean liquidatable(VaultPosition v) {
        if (v.debtShares().signum() == 0) return false;
        return MarginMath.isLiquidatable(v.collateral(), debt(v), price(), margins);
    }

    /** The most debt the vault may carry at this block's price and margins (needs a scalable price). */
    public BigInteger maxDebt(VaultPosition v) {
        return MarginMath.maxDebt(MarginMath.value(v.collateral(), price()), margins.minValues(), margins.mmBps());
    }

    /** Everything the lens's views say about the vault at this block (needs a scalable price). */
    public VaultHealth health(VaultPosition v) {
        BigInteger debt = debt(v);
        BigInteger maxDebt = debt.signum() == 0 ? BigInteger.ZERO : maxDebt(v);
        BigInteger health = debt.signum() == 0 ? FullMath.UINT256_MAX
                : FullMath.mulDivDown(maxDebt, FullMath.WAD, debt);
        return new VaultHealth(v.id(), debt, maxDebt, health, debt.signum() > 0 && debt.compareTo(maxDebt) > 0,
                MarginMath.liquidationPrice(v.collateral(), debt, market.priceScale(), margins));
    }
}

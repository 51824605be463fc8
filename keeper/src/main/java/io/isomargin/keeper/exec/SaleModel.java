package io.isomargin.keeper.exec;

import io.isomargin.abi.math.MarginMath;
import java.math.BigInteger;
import java.util.Objects;

/**
 * One market's pool as the keeper's liquidations of one block will find it, for capital-free planning: starts from
 * the pair's reserves (read at the state the keeper simulates against) and takes each planned batch's sale in the
 * order the batches will be mined, so a later batch of the same block is quoted on the pool the earlier ones leave
 * (their simulations all run against the state before them). Not thread-safe: the executor's thread only.
 */
public final class SaleModel {
    private final CapitalFreeRoute route;
    private final BigInteger price;
    private BigInteger loanReserve;
    private BigInteger collateralReserve;

    /**
     * @param price the oracle price the engine and the SwapLiquidator use (loan base units per collateral base unit
     *              x 1e36)
     */
    public SaleModel(CapitalFreeRoute route, BigInteger price, BigInteger loanReserve, BigInteger collateralReserve) {
        this.route = Objects.requireNonNull(route, "route");
        this.price = Objects.requireNonNull(price, "price");
        this.loanReserve = Objects.requireNonNull(loanReserve, "loanReserve");
        this.collateralReserve = Objects.requireNonNull(collateralReserve, "collateralReserve");
    }

    /** Loan tokens the pool pays now for {@code seized} collateral (the router's {@code getAmountsOut}). */
    public BigInteger proceeds(BigInteger seized) {
        return CapitalFreeRoute.amountOut(seized, collateralReserve, loanReserve);
    }

    /**
     * Whether selling {@code seized} now passes the SwapLiquidator's floor when the engine is owed {@code owed}: the
     * sale would otherwise revert the liquidation.
     */
    public boolean clears(BigInteger seized, BigInteger owed) {
        return proceeds(seized).compareTo(route.minOut(MarginMath.value(seized, price), owed)) >= 0;
    }

    /** Takes the sale of {@code seized} into the pool (a planned batch); returns its proceeds. */
    public BigInteger sell(BigInteger seized) {
        BigInteger out = proceeds(seized);
        collateralReserve = collateralReserve.add(seized);
        loanReserve = loanReserve.subtract(out);
        return out;
    }

    public BigInteger loanReserve() {
        return loanReserve;
    }

    public BigInteger collateralReserve() {
        return collateralReserve;
    }
}

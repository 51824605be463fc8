package io.isomargin.abi.math;

import java.math.BigInteger;

/** A market's accounting as of {@code lastAccrual} (seconds), as the engine's {@code MarketState}. */
public record MarketTotals(BigInteger totalSupplyAssets, BigInteger totalSupplyShares, BigInteger totalBorrowAssets,
        BigInteger totalBorrowShares, BigInteger insuranceFund, long lastAccrual) {}

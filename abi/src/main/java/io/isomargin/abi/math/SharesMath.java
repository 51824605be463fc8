package io.isomargin.abi.math;

import static io.isomargin.abi.math.FullMath.mulDivDown;
import static io.isomargin.abi.math.FullMath.mulDivUp;

import java.math.BigInteger;

/** Asset/share conversions with 1e6 virtual shares and 1 virtual asset, as SharesMathLib. */
public final class SharesMath {
    public static final BigInteger VIRTUAL_SHARES = BigInteger.TEN.pow(6);
    public static final BigInteger VIRTUAL_ASSETS = BigInteger.ONE;

    private SharesMath() {}

    public static BigInteger toSharesDown(BigInteger assets, BigInteger totalAssets, BigInteger totalShares) {
        return mulDivDown(assets, totalShares.add(VIRTUAL_SHARES), totalAssets.add(VIRTUAL_ASSETS));
    }

    public static BigInteger toSharesUp(BigInteger assets, BigInteger totalAssets, BigInteger totalShares) {
        return mulDivUp(assets, totalShares.add(VIRTUAL_SHARES), totalAssets.add(VIRTUAL_ASSETS));
    }

    public static BigInteger toAssetsDown(BigInteger shares, BigInteger totalAssets, BigInteger totalShares) {
        return mulDivDown(shares, totalAssets.add(VIRTUAL_ASSETS), totalShares.add(VIRTUAL_SHARES));
    }

    public static BigInteger toAssetsUp(BigInteger shares, BigInteger totalAssets, BigInteger totalShares) {
        return mulDivUp(shares, totalAssets.add(VIRTUAL_ASSETS), totalShares.add(VIRTUAL_SHARES));
    }
}

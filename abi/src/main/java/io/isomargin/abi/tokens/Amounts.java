package io.isomargin.abi.tokens;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Exact decimal renderings of on-chain integers: no floating point anywhere, so a formatted amount is the raw one
 * with a decimal point moved, never rounded.
 */
public final class Amounts {
    /** The engine's price scale: {@code value = collateral * answer * priceScale / 1e36}. */
    private static final int PRICE_DECIMALS = 36;

    private Amounts() {}

    /**
     * {@code raw} base units as whole tokens of {@code decimals}: {@code 1234500000} with 6 decimals is
     * {@code "1234.5"}, {@code 1} with 18 is {@code "0.000000000000000001"}; trailing zeros after the point are
     * dropped, and the point with them ({@code "7900"}); no exponent, no grouping.
     */
    public static String format(BigInteger raw, int decimals) {
        if (decimals < 0) throw new IllegalArgumentException("negative decimals: " + decimals);
        return plain(new BigDecimal(raw, decimals));
    }

    /**
     * An oracle answer as the price of one whole collateral token in whole loan tokens, exactly as the engine values
     * collateral ({@code collateral * answer * priceScale / 1e36} loan base units): {@code answer * priceScale *
     * 10^collateralDecimals / 10^(36 + loanDecimals)}, a division by a power of ten and so exact.
     */
    public static String price(BigInteger answer, BigInteger priceScale, int loanDecimals, int collateralDecimals) {
        BigInteger scaled = answer.multiply(priceScale).multiply(BigInteger.TEN.pow(collateralDecimals));
        return plain(new BigDecimal(scaled, PRICE_DECIMALS + loanDecimals));
    }

    /** {@code "1234567.5"} with thousands separators: {@code "1,234,567.5"} (for tables; the API serves it plain). */
    public static String group(String plain) {
        int point = plain.indexOf('.');
        String whole = point < 0 ? plain : plain.substring(0, point);
        String sign = whole.startsWith("-") ? "-" : "";
        String digits = sign.isEmpty() ? whole : whole.substring(1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < digits.length(); i++) {
            if (i > 0 && (digits.length() - i) % 3 == 0) b.append(',');
            b.append(digits.charAt(i));
        }
        return sign + b + (point < 0 ? "" : plain.substring(point));
    }

    private static String plain(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return (s.scale() < 0 ? s.setScale(0) : s).toPlainString();
    }
}

package io.isomargin.abi.tokens;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A token's symbol and decimals as read from the chain ({@link TokenReader}). Immutable per address: read once.
 *
 * @param address  lower-case 0x address
 * @param symbol   what to call it: its {@code symbol()}, or {@link #shortAddress} when it has none ({@code source}
 *                 {@link Source#ADDRESS})
 * @param decimals its {@code decimals()}, or null when it does not answer one in 0..255 (its amounts then stay raw)
 * @param source   where {@code symbol} came from
 */
public record TokenMetadata(String address, String symbol, Integer decimals, Source source) {
    private static final Pattern ADDRESS = Pattern.compile("^0x[0-9a-f]{40}$");

    /** Where a symbol came from. */
    public enum Source {
        /** {@code symbol()} returned an ABI {@code string} (ERC-20). */
        STRING,
        /** {@code symbol()} returned a {@code bytes32} (early tokens such as MKR). */
        BYTES32,
        /** {@code symbol()} reverted, is missing or returned nothing readable: the symbol is the short address. */
        ADDRESS;

        /** The lower-case name, as stored and served. */
        public String column() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The source named {@code column} ({@link #column}). */
        public static Source of(String column) {
            return valueOf(column.toUpperCase(Locale.ROOT));
        }
    }

    public TokenMetadata {
        Objects.requireNonNull(address, "address");
        address = address.toLowerCase(Locale.ROOT);
        if (!ADDRESS.matcher(address).matches()) throw new IllegalArgumentException("not an address: " + address);
        Objects.requireNonNull(symbol, "symbol");
        Objects.requireNonNull(source, "source");
        if (decimals != null && (decimals < 0 || decimals > 255)) {
            throw new IllegalArgumentException("decimals out of 0..255: " + decimals);
        }
    }

    /** {@code 0xa0b8...eb48}: what a token without a readable symbol is called. */
    public static String shortAddress(String address) {
        String a = address.toLowerCase(Locale.ROOT);
        return a.substring(0, 6) + "..." + a.substring(a.length() - 4);
    }

    /** {@code raw} base units in whole tokens ({@link Amounts#format}); null when the decimals are unknown. */
    public String format(java.math.BigInteger raw) {
        return raw == null || decimals == null ? null : Amounts.format(raw, decimals);
    }

    /** A market's name: {@code WETH/USDC}, the collateral token first, as a pair is quoted. */
    public static String marketName(TokenMetadata collateral, TokenMetadata loan) {
        return collateral.symbol() + "/" + loan.symbol();
    }
}

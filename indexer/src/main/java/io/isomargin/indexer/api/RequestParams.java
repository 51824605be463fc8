package io.isomargin.indexer.api;

import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Typed, validated access to one request's path and query parameters; every failure names the parameter. */
final class RequestParams {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1_000;
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern UNSIGNED = Pattern.compile("[0-9]{1,18}");
    private static final Pattern HEALTH = Pattern.compile("[0-9]{1,78}");

    private final RoutingContext ctx;

    RequestParams(RoutingContext ctx) {
        this.ctx = ctx;
    }

    /** Refuses any query parameter not in {@code known}: a misspelt filter must not silently match everything. */
    RequestParams only(String... known) {
        List<String> allowed = List.of(known);
        for (String name : ctx.queryParams().names()) {
            if (!allowed.contains(name)) {
                throw ApiError.badParameter(name, String.join(",", ctx.queryParam(name)), allowed.isEmpty()
                        ? "absent: this endpoint takes no query parameters"
                        : "absent: this endpoint takes " + String.join(", ", allowed));
            }
        }
        return this;
    }

    /** A required path parameter that is an id (a non-negative integer). */
    long pathId(String name) {
        String v = ctx.pathParam(name);
        if (v == null || !UNSIGNED.matcher(v).matches()) {
            throw ApiError.badParameter(name, String.valueOf(v), "a non-negative integer id");
        }
        return Long.parseLong(v);
    }

    /** An optional non-negative integer query parameter, or null. */
    Long optionalId(String name) {
        String v = single(name);
        if (v == null) return null;
        if (!UNSIGNED.matcher(v).matches()) throw ApiError.badParameter(name, v, "a non-negative integer");
        return Long.parseLong(v);
    }

    /** An optional address, lower-cased, or null. */
    String optionalAddress(String name) {
        String v = single(name);
        if (v == null) return null;
        if (!ADDRESS.matcher(v).matches()) throw ApiError.badParameter(name, v, "a 0x-prefixed 20-byte hex address");
        return v.toLowerCase(Locale.ROOT);
    }

    /** An optional decimal in [min, max], or null. */
    BigDecimal optionalDecimal(String name, BigDecimal min, BigDecimal max) {
        String v = single(name);
        if (v == null) return null;
        BigDecimal d;
        try {
            d = new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, v, "a decimal number between " + min.toPlainString() + " and "
                    + max.toPlainString());
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw ApiError.badParameter(name, v, "between " + min.toPlainString() + " and " + max.toPlainString());
        }
        return d;
    }

    /** An optional percentage in [min, max] with at most 2 decimals, as basis points, else {@code fallbackBps}. */
    int percentBps(String name, BigDecimal min, BigDecimal max, int fallbackBps) {
        BigDecimal d = optionalDecimal(name, min, max);
        if (d == null) return fallbackBps;
        if (d.stripTrailingZeros().scale() > 2) {
            throw ApiError.badParameter(name, d.toPlainString(), "a percentage with at most 2 decimals");
        }
        return d.movePointRight(2).intValueExact();
    }

    /**
     * An optional comma-separated list of 1 to {@code maxCount} strictly increasing non-negative decimals, else
     * {@code fallback}.
     */
    List<BigDecimal> increasingDecimals(String name, int maxCount, List<BigDecimal> fallback) {
        String v = single(name);
        if (v == null) return fallback;
        String expected = "1 to " + maxCount + " comma-separated, strictly increasing non-negative decimals";
        String[] parts = v.split(",", -1);
        if (parts.length > maxCount) throw ApiError.badParameter(name, v, expected);
        List<BigDecimal> out = new ArrayList<>();
        for (String part : parts) {
            BigDecimal d;
            try {
                d = new BigDecimal(part.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badParameter(name, v, expected);
            }
            if (d.signum() < 0 || d.compareTo(new BigDecimal("1e40")) > 0
                    || (!out.isEmpty() && d.compareTo(out.getLast()) <= 0)) {
                throw ApiError.badParameter(name, v, expected);
            }
            out.add(d);
        }
        return List.copyOf(out);
    }

    /** One of {@code allowed} (case-sensitive), else {@code fallback} when absent. */
    String choice(String name, List<String> allowed, String fallback) {
        String v = single(name);
        if (v == null) return fallback;
        if (!allowed.contains(v)) throw ApiError.badParameter(name, v, "one of " + String.join(", ", allowed));
        return v;
    }

    /** {@code limit}: 1..{@value #MAX_LIMIT}, default {@value #DEFAULT_LIMIT}. */
    int limit() {
        String v = single("limit");
        if (v == null) return DEFAULT_LIMIT;
        if (!UNSIGNED.matcher(v).matches() || Long.parseLong(v) < 1 || Long.parseLong(v) > MAX_LIMIT) {
            throw ApiError.badParameter("limit", v, "an integer from 1 to " + MAX_LIMIT);
        }
        return Integer.parseInt(v);
    }

    /**
     * The position encoded in {@code cursor} (an opaque token from a previous page's {@code nextCursor}), as
     * {@code parts} non-negative integers; null when absent.
     */
    long[] cursor(String kind, int parts) {
        String v = single("cursor");
        if (v == null) return null;
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.US_ASCII);
            String[] fields = decoded.split(":", -1);
            if (fields.length != parts + 1 || !fields[0].equals(kind)) throw new IllegalArgumentException();
            long[] out = new long[parts];
            for (int i = 0; i < parts; i++) {
                if (!UNSIGNED.matcher(fields[i + 1]).matches()) throw new IllegalArgumentException();
                out[i] = Long.parseLong(fields[i + 1]);
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("cursor", v, "a nextCursor value returned by this endpoint");
        }
    }

    /** The position {@code /vaults?sort=health} continues after ({@code cursor}), or null when absent. */
    HealthOrder.Position healthCursor() {
        String v = single("cursor");
        if (v == null) return null;
        try {
            String[] fields = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.US_ASCII).split(":", -1);
            if (fields.length != 3 || !fields[0].equals("h") || !HEALTH.matcher(fields[1]).matches()
                    || !UNSIGNED.matcher(fields[2]).matches()) {
                throw new IllegalArgumentException();
            }
            return new HealthOrder.Position(new BigInteger(fields[1]), Long.parseLong(fields[2]));
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("cursor", v, "a nextCursor value returned by this endpoint with sort=health");
        }
    }

    static String encodeHealthCursor(HealthOrder.Position p) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("h:" + p.health() + ":" + p.vaultId())
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** The token {@link #cursor} decodes. */
    static String encodeCursor(String kind, long... parts) {
        StringBuilder s = new StringBuilder(kind);
        for (long p : parts) s.append(':').append(p);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** Converts a decimal ratio (1.05) to WAD, rounding down. */
    static BigInteger wad(BigDecimal ratio) {
        return ratio.movePointRight(18).toBigInteger();
    }

    private String single(String name) {
        List<String> all = ctx.queryParam(name);
        if (all.isEmpty()) return null;
        if (all.size() > 1) throw ApiError.badParameter(name, String.join(",", all), "given once");
        String v = all.getFirst().trim();
        if (v.isEmpty()) throw ApiError.badParameter(name, "", "non-empty when given");
        return v;
    }
}

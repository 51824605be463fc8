package io.isomargin.indexer.api;

import io.isomargin.abi.tokens.Amounts;
import io.isomargin.abi.tokens.TokenMetadata;
import io.isomargin.indexer.projection.GuardMode;
import io.isomargin.indexer.store.MirrorReader;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.Objects;

/**
 * What a person reads a market's figures in: its tokens' symbols and decimals and its price scale, so the API can put
 * a formatted decimal beside each exact raw amount ({@code debt: "7900000000"}, {@code debtFormatted: "7900"}) and a
 * name beside each market id ({@code WETH/USDC}).
 */
public record MarketLabel(long marketId, TokenMetadata loan, TokenMetadata collateral, BigInteger priceScale) {
    public MarketLabel {
        Objects.requireNonNull(loan, "loan");
        Objects.requireNonNull(collateral, "collateral");
        Objects.requireNonNull(priceScale, "priceScale");
    }

    /** The label of a market the mirror holds. */
    public static MarketLabel of(MirrorReader.MarketTokens t) {
        return new MarketLabel(t.marketId(), t.loan(), t.collateral(), t.priceScale());
    }

    /** {@code WETH/USDC}: collateral over loan token, as the pair is quoted. */
    public String name() {
        return TokenMetadata.marketName(collateral, loan);
    }

    /** The token a guard mode moves. */
    public TokenMetadata token(GuardMode mode) {
        return mode == GuardMode.DEPOSIT_COLLATERAL ? collateral : loan;
    }

    /** An oracle answer as whole loan tokens per whole collateral token; null without both tokens' decimals. */
    public String price(BigInteger answer) {
        if (answer == null || loan.decimals() == null || collateral.decimals() == null) return null;
        return Amounts.price(answer, priceScale, loan.decimals(), collateral.decimals());
    }

    /** For each of {@code fields} of {@code o} (raw decimal strings, or null), {@code <field>Formatted} in
     * {@code token}'s units beside it (null where the raw one is, or where the decimals are unknown). */
    static JsonObject amounts(JsonObject o, TokenMetadata token, String... fields) {
        for (String f : fields) {
            String raw = o.getString(f);
            o.put(f + "Formatted", raw == null ? null : token.format(new BigInteger(raw)));
        }
        return o;
    }

    /** {@link #amounts} in the loan token. */
    JsonObject loanAmounts(JsonObject o, String... fields) {
        return amounts(o, loan, fields);
    }

    /** {@link #amounts} in the collateral token. */
    JsonObject collateralAmounts(JsonObject o, String... fields) {
        return amounts(o, collateral, fields);
    }

    /** For each of {@code fields} of {@code o} (raw oracle answers, or null), {@code <field>Formatted} as a price
     * ({@link #price}). */
    JsonObject prices(JsonObject o, String... fields) {
        for (String f : fields) {
            String raw = o.getString(f);
            o.put(f + "Formatted", raw == null ? null : price(new BigInteger(raw)));
        }
        return o;
    }

    /** The JSON of one token: address, symbol, decimals (or null) and where the symbol came from. */
    static JsonObject token(TokenMetadata t) {
        return new JsonObject().put("address", t.address()).put("symbol", t.symbol()).put("decimals", t.decimals())
                .put("symbolSource", t.source().column());
    }
}

package io.isomargin.keeper.book;

import java.math.BigInteger;
import java.util.Objects;

/**
 * The latest answer of a Chainlink-style feed, as its {@code latestRoundData} would return it.
 *
 * @param answer    the raw answer in the feed's decimals (may be zero or negative: the engine then refuses it)
 * @param roundId   the round
 * @param updatedAt the answer's timestamp, seconds
 */
public record OraclePrice(BigInteger answer, BigInteger roundId, long updatedAt) {
    public OraclePrice {
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(roundId, "roundId");
    }
}

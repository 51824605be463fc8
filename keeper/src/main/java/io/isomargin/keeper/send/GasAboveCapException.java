package io.isomargin.keeper.send;

import java.math.BigInteger;

/** The network's fee is above the operator's cap: nothing is sent. */
public final class GasAboveCapException extends RuntimeException {
    public GasAboveCapException(BigInteger baseFee, BigInteger tip, BigInteger cap) {
        super("gas above the cap: base fee " + baseFee + " wei + tip " + tip + " wei exceeds gas.max-fee-cap " + cap
                + " wei; not sending");
    }
}

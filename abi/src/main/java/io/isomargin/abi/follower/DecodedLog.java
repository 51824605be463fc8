package io.isomargin.abi.follower;

import java.math.BigInteger;
import org.web3j.protocol.core.methods.response.Log;

/**
 * A {@link Log} whose block number, log index and transaction index are decoded once, when the follower receives it.
 *
 * <p>web3j's {@code Log} keeps them as hex strings and decodes on every getter call, and its decoder first tries
 * {@code Long.parseLong} on the {@code 0x} string, which throws (and fills a stack trace) every time: sorting and
 * projecting a large batch spent most of its time there.
 */
final class DecodedLog extends Log {
    private final BigInteger blockNumber;
    private final BigInteger logIndex;
    private final BigInteger transactionIndex;

    private DecodedLog(Log l) {
        super(l.isRemoved(), l.getLogIndexRaw(), l.getTransactionIndexRaw(), l.getTransactionHash(), l.getBlockHash(),
                l.getBlockNumberRaw(), l.getAddress(), l.getData(), l.getType(), l.getTopics());
        this.blockNumber = quantity(l.getBlockNumberRaw());
        this.logIndex = quantity(l.getLogIndexRaw());
        this.transactionIndex = quantity(l.getTransactionIndexRaw());
    }

    /** {@code l} itself when already decoded, else a decoded copy. */
    static DecodedLog of(Log l) {
        return l instanceof DecodedLog d ? d : new DecodedLog(l);
    }

    @Override
    public BigInteger getBlockNumber() {
        return blockNumber;
    }

    @Override
    public BigInteger getLogIndex() {
        return logIndex;
    }

    @Override
    public BigInteger getTransactionIndex() {
        return transactionIndex;
    }

    /** A JSON-RPC quantity ({@code 0x}-prefixed hex; plain decimal accepted too), or null when absent (pending). */
    private static BigInteger quantity(String raw) {
        if (raw == null) return null;
        if (raw.startsWith("0x") || raw.startsWith("0X")) {
            String digits = raw.substring(2);
            if (digits.isEmpty()) throw new IllegalArgumentException("empty JSON-RPC quantity: " + raw);
            return digits.length() <= 15 ? BigInteger.valueOf(Long.parseLong(digits, 16)) : new BigInteger(digits, 16);
        }
        return new BigInteger(raw);
    }
}

package io.isomargin.abi.follower;

import java.math.BigInteger;
import java.util.List;
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
    private final String blockTimestampRaw;
    private final Long blockTimestamp;

    private DecodedLog(Log l) {
        this(l.isRemoved(), l.getLogIndexRaw(), l.getTransactionIndexRaw(), l.getTransactionHash(), l.getBlockHash(),
                l.getBlockNumberRaw(), l.getAddress(), l.getData(), l.getType(), l.getTopics(), null, null);
    }

    /**
     * A log from its JSON fields (as {@link Log}'s constructor takes them). {@code previous}, when not null, is the
     * log read before it: a raw quantity that is the very string of {@code previous}'s reuses its decoded value.
     * {@code blockTimestamp} is the block's time the node sent with the log (raw), or null.
     */
    DecodedLog(boolean removed, String logIndex, String transactionIndex, String transactionHash, String blockHash,
            String blockNumber, String address, String data, String type, List<String> topics, String blockTimestamp,
            DecodedLog previous) {
        super(removed, logIndex, transactionIndex, transactionHash, blockHash, blockNumber, address, data, type,
                topics);
        boolean samePrevious = previous != null;
        this.blockNumber = samePrevious && blockNumber == previous.getBlockNumberRaw() ? previous.blockNumber
                : quantity(blockNumber);
        this.logIndex = quantity(logIndex);
        this.transactionIndex = samePrevious && transactionIndex == previous.getTransactionIndexRaw()
                ? previous.transactionIndex : quantity(transactionIndex);
        this.blockTimestampRaw = blockTimestamp;
        this.blockTimestamp = samePrevious && blockTimestamp != null && blockTimestamp == previous.blockTimestampRaw
                ? previous.blockTimestamp : seconds(blockTimestamp);
    }

    /** The time of the log's block in seconds, when the node sent it with the log; else null. */
    Long blockTimestamp() {
        return blockTimestamp;
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

    String blockTimestampRaw() {
        return blockTimestampRaw;
    }

    /** A block time the node added to a log, or null when it sent none or none that reads as a quantity: the time is
     * then read from the block's header, as from a node that never sends it. */
    private static Long seconds(String raw) {
        if (raw == null) return null;
        try {
            return quantity(raw).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /** A JSON-RPC quantity ({@code 0x}-prefixed hex; plain decimal accepted too), or null when absent (pending). */
    private static BigInteger quantity(String raw) {
        if (raw == null) return null;
        if (raw.startsWith("0x") || raw.startsWith("0X")) {
            int digits = raw.length() - 2;
            if (digits == 0) throw new IllegalArgumentException("empty JSON-RPC quantity: " + raw);
            return digits <= 15 ? BigInteger.valueOf(Long.parseLong(raw, 2, raw.length(), 16))
                    : new BigInteger(raw.substring(2), 16);
        }
        return new BigInteger(raw);
    }
}

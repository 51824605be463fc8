package io.isomargin.abi.follower;

import java.util.List;
import org.web3j.protocol.core.methods.response.Log;

/**
 * About how many bytes of JSON a node sent for a log in an {@code eth_getLogs} answer, computed from the parsed log:
 * every field a log object carries is a hex string (or {@code removed}, a boolean), so its length on the wire is the
 * sum of its values' lengths, their quotes and the key names. This is what a provider's response-size limit counts,
 * and what the follower's byte budget ({@link FollowerConfig#maxResponseBytes()}) is compared with.
 *
 * <p>Exact for the fields web3j keeps, compact JSON as nodes send it; fields a node adds that web3j drops (Anvil's and
 * newer geth's {@code blockTimestamp}, about 30 bytes) are not counted, and neither is the answer's envelope, so the
 * figure is a few percent under the body's length (tested against Anvil's). Measuring the HTTP body itself would need
 * a hook into web3j's transport shared by every call on the thread; the logs are at hand and enough for sizing.
 */
final class LogJsonSize {
    /** The keys of a log object web3j keeps; each costs its name, two quotes and a colon. */
    private static final List<String> KEYS = List.of("address", "topics", "data", "blockHash", "blockNumber",
            "transactionHash", "transactionIndex", "logIndex", "removed");
    /** Keys, the commas between them, the braces, and the comma before the next log in the array. */
    private static final int FIXED = KEYS.stream().mapToInt(k -> k.length() + 3).sum() + (KEYS.size() - 1) + 2 + 1;

    private LogJsonSize() {}

    /** The bytes of {@code l} as a node writes it in an answer. */
    static long of(Log l) {
        long n = FIXED + quoted(l.getAddress()) + quoted(l.getData()) + quoted(l.getBlockHash())
                + quoted(l.getBlockNumberRaw()) + quoted(l.getTransactionHash()) + quoted(l.getTransactionIndexRaw())
                + quoted(l.getLogIndexRaw()) + (l.isRemoved() ? 4 : 5);
        List<String> topics = l.getTopics();
        if (topics == null) return n + 4;
        n += 2 + Math.max(0, topics.size() - 1);
        for (String t : topics) n += quoted(t);
        return n;
    }

    /** The bytes of every log of {@code logs}. */
    static long of(List<Log> logs) {
        long n = 0;
        for (Log l : logs) n += of(l);
        return n;
    }

    private static int quoted(String value) {
        return value == null ? 4 : value.length() + 2;
    }
}

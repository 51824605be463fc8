package io.isomargin.abi.follower;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.Log;

/**
 * An {@code eth_getLogs} answer whose {@code result} is read token by token straight into {@link DecodedLog}s.
 *
 * <p>web3j's {@code EthLog} binds each log object to a {@code Log} bean property by property and the follower then
 * copied it into a {@link DecodedLog}: in a backfill that binding was the costliest step after the node itself. Here
 * the answer's envelope ({@code id}, {@code jsonrpc}, the JSON-RPC {@code error} object) is still bound by web3j's
 * mapper as for any call, so errors and their classification ({@link RpcErrorKind}) are unchanged; only the result
 * array is read by {@link Reader}. What it accepts matches web3j's binding: unknown keys (a node's
 * {@code blockTimestamp}) are skipped, a null field stays null, and a body that is cut off or not JSON fails the
 * call as an I/O error (transient). An entry of the array that is not a log object (a bare hash, as a filter of
 * {@code eth_newBlockFilter} would answer) is kept as {@link Result#nonLogEntry()} for the caller to refuse.
 *
 * <p>Consecutive logs mostly share their contract, transaction, block and first topic: a value equal to the previous
 * log's is that log's string again, not a new copy.
 */
final class EthLogsResponse extends Response<EthLogsResponse.Result> {

    /**
     * @param logs        the log objects of the answer, in the node's order
     * @param nonLogEntry the first entry that was not a log object, as JSON text; null when every entry was one
     */
    record Result(List<Log> logs, String nonLogEntry) {}

    @Override
    @JsonDeserialize(using = Reader.class)
    public void setResult(Result result) {
        super.setResult(result);
    }

    /** The logs of the answer; empty when the node answered {@code null}. */
    Result logs() {
        Result r = getResult();
        return r == null ? new Result(List.of(), null) : r;
    }

    /** Reads the {@code result} array of an {@code eth_getLogs} answer. */
    static final class Reader extends JsonDeserializer<Result> {
        @Override
        public Result deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (!p.isExpectedStartArrayToken()) {
                return (Result) ctx.handleUnexpectedToken(Result.class, p);
            }
            List<Log> logs = new ArrayList<>();
            String nonLog = null;
            DecodedLog previous = null;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t == JsonToken.START_OBJECT) {
                    previous = readLog(p, ctx, previous);
                    logs.add(previous);
                } else {
                    if (nonLog == null) nonLog = t == JsonToken.VALUE_STRING ? '"' + p.getText() + '"' : p.getText();
                    p.skipChildren();
                }
            }
            return new Result(logs, nonLog);
        }

        /** One log object, the parser on its {@code START_OBJECT}; {@code previous} lends its equal strings. */
        private static DecodedLog readLog(JsonParser p, DeserializationContext ctx, DecodedLog previous)
                throws IOException {
            boolean removed = false;
            String logIndex = null;
            String transactionIndex = null;
            String transactionHash = null;
            String blockHash = null;
            String blockNumber = null;
            String address = null;
            String data = null;
            String type = null;
            String blockTimestamp = null;
            List<String> topics = null;
            boolean hasPrevious = previous != null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "address" -> address = string(p, ctx, hasPrevious ? previous.getAddress() : null);
                    case "topics" -> topics = topics(p, ctx, hasPrevious ? previous.getTopics() : null);
                    case "data" -> data = string(p, ctx, null);
                    case "blockHash" -> blockHash = string(p, ctx, hasPrevious ? previous.getBlockHash() : null);
                    case "blockNumber" -> blockNumber = string(p, ctx,
                            hasPrevious ? previous.getBlockNumberRaw() : null);
                    case "transactionHash" -> transactionHash = string(p, ctx,
                            hasPrevious ? previous.getTransactionHash() : null);
                    case "transactionIndex" -> transactionIndex = string(p, ctx,
                            hasPrevious ? previous.getTransactionIndexRaw() : null);
                    case "logIndex" -> logIndex = string(p, ctx, null);
                    case "type" -> type = string(p, ctx, null);
                    case "blockTimestamp" -> blockTimestamp = string(p, ctx,
                            hasPrevious ? previous.blockTimestampRaw() : null);
                    case "removed" -> removed = p.currentToken() == JsonToken.VALUE_NULL ? false
                            : p.getValueAsBoolean();
                    default -> p.skipChildren();
                }
            }
            return new DecodedLog(removed, logIndex, transactionIndex, transactionHash, blockHash, blockNumber,
                    address, data, type, topics, blockTimestamp, previous);
        }

        private static List<String> topics(JsonParser p, DeserializationContext ctx, List<String> previous)
                throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) return null;
            if (t != JsonToken.START_ARRAY) {
                @SuppressWarnings("unchecked")
                List<String> none = (List<String>) ctx.handleUnexpectedToken(List.class, p);
                return none;
            }
            List<String> topics = new ArrayList<>(4);
            while (p.nextToken() != JsonToken.END_ARRAY) {
                int i = topics.size();
                topics.add(string(p, ctx, previous != null && i < previous.size() ? previous.get(i) : null));
            }
            return topics;
        }

        /** The current scalar as a string ({@code like}'s instance when equal to it), null for JSON null. */
        private static String string(JsonParser p, DeserializationContext ctx, String like) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_STRING) {
                return like != null && sameText(p, like) ? like : p.getText();
            }
            if (t == JsonToken.VALUE_NULL) return null;
            if (t.isScalarValue()) return p.getText();
            return (String) ctx.handleUnexpectedToken(String.class, p);
        }

        private static boolean sameText(JsonParser p, String s) throws IOException {
            int n = p.getTextLength();
            if (n != s.length()) return false;
            char[] chars = p.getTextCharacters();
            int offset = p.getTextOffset();
            for (int i = n - 1; i >= 0; i--) { // hashes and addresses differ at the end sooner than at "0x"
                if (chars[offset + i] != s.charAt(i)) return false;
            }
            return true;
        }
    }
}

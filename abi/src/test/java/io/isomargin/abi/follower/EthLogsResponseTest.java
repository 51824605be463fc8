package io.isomargin.abi.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.ObjectMapperFactory;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/** The streaming reader of {@code eth_getLogs} answers gives what web3j's binding gave, through web3j's own mapper. */
class EthLogsResponseTest {
    private static final ObjectMapper MAPPER = ObjectMapperFactory.getObjectMapper();
    private static final String TX = "0x" + "ab".repeat(32);
    private static final String BLOCK = "0x" + "cd".repeat(32);
    private static final String TOPIC = "0x" + "ef".repeat(32);

    private static String log(String logIndex, boolean removed, String extra) {
        return "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[\"" + TOPIC + "\",\"0x"
                + "0".repeat(63) + "1\"],\"data\":\"0x" + "0".repeat(62) + "2a\",\"blockHash\":\"" + BLOCK
                + "\",\"blockNumber\":\"0x1f\",\"blockTimestamp\":\"0x6650a1b2\",\"transactionHash\":\"" + TX
                + "\",\"transactionIndex\":\"0x0\",\"logIndex\":\"" + logIndex + "\",\"removed\":" + removed + extra
                + "}";
    }

    private static String answer(String result) {
        return "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":" + result + "}";
    }

    @Test
    void logsReadAsWeb3jBindsThem() throws IOException {
        String body = answer("[" + log("0x0", false, "") + "," + log("0x1", true, ",\"nested\":{\"a\":[1,2]}") + ","
                + log("0x2", false, "") + "]");
        List<Log> ours = MAPPER.readValue(body, EthLogsResponse.class).logs().logs();
        List<EthLog.LogResult> theirs = MAPPER.readValue(body, EthLog.class).getLogs();
        assertEquals(theirs.size(), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            Log expected = (Log) theirs.get(i).get();
            Log actual = ours.get(i);
            assertEquals(expected.toString(), actual.toString());
            assertEquals(expected.getBlockNumber(), actual.getBlockNumber());
            assertEquals(expected.getLogIndex(), actual.getLogIndex());
            assertEquals(expected.getTransactionIndex(), actual.getTransactionIndex());
            assertEquals(expected.isRemoved(), actual.isRemoved());
        }
        assertEquals(BigInteger.valueOf(31), ours.get(2).getBlockNumber());
        assertTrue(ours.get(1).isRemoved());
        assertSame(ours.get(0).getTransactionHash(), ours.get(2).getTransactionHash(), "equal strings shared");
        assertSame(ours.get(0).getTopics().get(0), ours.get(2).getTopics().get(0));
    }

    @Test
    void theBlockTimeANodeSendsWithALogIsKept() throws IOException {
        List<Log> logs = MAPPER.readValue(answer("[" + log("0x0", false, "") + "," + log("0x1", false, "")
                + "," + log("0x2", false, "").replace("0x6650a1b2", "soon") + "]"), EthLogsResponse.class).logs()
                .logs();
        assertEquals(OptionalLong.of(0x6650a1b2L), LogBatch.blockTimestamp(logs.get(0)));
        assertEquals(OptionalLong.of(0x6650a1b2L), LogBatch.blockTimestamp(logs.get(1)));
        assertEquals(OptionalLong.empty(), LogBatch.blockTimestamp(logs.get(2)), "unreadable: the header has it");
        assertEquals(OptionalLong.empty(), LogBatch.blockTimestamp(new Log()));
    }

    @Test
    void nullFieldsStayNull() throws IOException {
        String body = answer("[{\"address\":null,\"topics\":null,\"data\":\"0x\",\"blockHash\":null,"
                + "\"blockNumber\":null,\"transactionHash\":null,\"transactionIndex\":null,\"logIndex\":null,"
                + "\"removed\":false}]");
        Log l = MAPPER.readValue(body, EthLogsResponse.class).logs().logs().getFirst();
        assertNull(l.getAddress());
        assertNull(l.getTopics());
        assertNull(l.getBlockNumber());
        assertNull(l.getLogIndex());
        assertEquals("0x", l.getData());
    }

    @Test
    void aNonLogEntryIsKeptForTheCallerToRefuse() throws IOException {
        EthLogsResponse.Result r = MAPPER.readValue(answer("[" + log("0x0", false, "") + ",\"" + TX + "\"]"),
                EthLogsResponse.class).logs();
        assertEquals(1, r.logs().size());
        assertEquals("\"" + TX + "\"", r.nonLogEntry());
    }

    @Test
    void anErrorIsBoundAsForAnyCall() throws IOException {
        EthLogsResponse r = MAPPER.readValue("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32005,"
                + "\"message\":\"query returned more than 10000 results\"}}", EthLogsResponse.class);
        assertTrue(r.hasError());
        assertEquals(-32005, r.getError().getCode());
        assertEquals(RpcErrorKind.RANGE_TOO_LARGE, RpcErrorKind.of(r.getError()));
        assertEquals(List.of(), r.logs().logs());
        assertFalse(MAPPER.readValue(answer("[]"), EthLogsResponse.class).hasError());
    }

    @Test
    void aCutOffOrMalformedBodyFailsAsAnIoError() {
        String body = answer("[" + log("0x0", false, "") + "," + log("0x1", false, "") + "]");
        for (int cut : new int[] {body.length() - 3, body.indexOf("blockHash") + 20, 40}) {
            IOException e = assertThrows(IOException.class,
                    () -> MAPPER.readValue(body.substring(0, cut), EthLogsResponse.class));
            assertEquals(RpcErrorKind.TRANSIENT, RpcErrorKind.of(e));
        }
        assertThrows(IOException.class, () -> MAPPER.readValue(answer("{\"logs\":[]}"), EthLogsResponse.class));
        assertThrows(IOException.class, () -> MAPPER.readValue(answer("[{\"topics\":{}}]"), EthLogsResponse.class));
    }
}

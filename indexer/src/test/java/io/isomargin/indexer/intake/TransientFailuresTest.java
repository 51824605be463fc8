package io.isomargin.indexer.intake;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.follower.RpcException;
import io.isomargin.abi.follower.RpcUnavailableException;
import io.isomargin.indexer.store.IndexerMeta;
import io.isomargin.indexer.store.MetaMismatchException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class TransientFailuresTest {
    @Test
    void aServerGoingAwayOrBusyIsTransient() {
        assertTrue(TransientFailures.isTransient(new IllegalStateException("committing #1..#2 failed",
                new ConnectException("Connection refused"))));
        assertTrue(TransientFailures.isTransient(ClosedConnectionException.INSTANCE));
        assertTrue(TransientFailures.isTransient(new IllegalStateException("no answer", new TimeoutException())));
        for (String state : List.of("57P01", "57P03", "08006", "53300", "40001", "40P01")) {
            assertTrue(TransientFailures.isTransient(pg(state)), state);
        }
        assertTrue(TransientFailures.isTransient(new RpcUnavailableException("eth_getLogs", List.of("x: 429"), null)));
    }

    @Test
    void bugsConstraintViolationsAndForeignSchemasAreNot() {
        for (String state : List.of("23505", "23503", "42P01", "42703", "22003")) {
            assertFalse(TransientFailures.isTransient(pg(state)), state);
        }
        assertFalse(TransientFailures.isTransient(new IllegalStateException("batch does not follow the cursor")));
        assertFalse(TransientFailures.isTransient(new MetaMismatchException(new IndexerMeta(1, "0x" + "1".repeat(40),
                0), new IndexerMeta(1, "0x" + "2".repeat(40), 0))));
        assertFalse(TransientFailures.isTransient(new RpcException(RpcErrorKind.PERMANENT, "eth_call", "x", -32000,
                "execution reverted", null)));
    }

    private static PgException pg(String sqlState) {
        return new PgException("injected", "ERROR", sqlState, null);
    }
}

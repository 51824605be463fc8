package io.isomargin.indexer.intake;

import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.follower.RpcException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Tells the failures the indexer waits out (the database or the node is briefly unreachable, restarting, overloaded
 * or slow) from those it must stop on (a bug, a constraint violation, a database of another deployment, a reorg
 * deeper than the window). Looks through the whole cause chain.
 *
 * <p>Transient: I/O errors (connection refused, reset or closed, including the PostgreSQL client's
 * {@link ClosedConnectionException}), timeouts, PostgreSQL errors of class 08 (connection exception), 53 (insufficient
 * resources: too many connections, out of memory or disk), 57P01..57P03 (the server is shutting down, crashed or still
 * starting) and 40001/40P01 (serialization failure, deadlock: the transaction may simply be run again), and RPC
 * failures the RPC client classified as transient. Everything else is not.
 */
final class TransientFailures {
    private static final Set<String> TRANSIENT_SQL_STATES = Set.of("57P01", "57P02", "57P03", "40001", "40P01");
    private static final Set<String> TRANSIENT_SQL_CLASSES = Set.of("08", "53");

    private TransientFailures() {}

    /** Whether retrying the same work later can succeed. */
    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException db) {
                return transientSqlState(db.getSqlState());
            }
            if (t instanceof RpcException rpc) {
                return rpc.kind() == RpcErrorKind.TRANSIENT;
            }
            if (t instanceof IOException || t instanceof ClosedConnectionException || t instanceof TimeoutException
                    || t.getClass().getSimpleName().contains("TimeoutException")) {
                return true; // the last covers Vert.x's and Netty's own timeout exceptions
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static boolean transientSqlState(String state) {
        return state != null && state.length() == 5
                && (TRANSIENT_SQL_STATES.contains(state) || TRANSIENT_SQL_CLASSES.contains(state.substring(0, 2)));
    }
}

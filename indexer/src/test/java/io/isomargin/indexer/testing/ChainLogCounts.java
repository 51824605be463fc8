package io.isomargin.indexer.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.testing.Deployment;
import io.isomargin.abi.testing.PostgresDatabase;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Event;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;

/**
 * "Nothing duplicated, nothing lost" checked against the chain, not only through the mirror's unique constraints: the
 * number of rows in each history and fact table equals the number of the matching engine or oracle logs that
 * {@code eth_getLogs} returns up to the mirror's cursor (for prices: from the block that created the feed's market,
 * plus the one initial answer read at the creation).
 */
public final class ChainLogCounts {
    private static final List<Event> VAULT_EVENTS = List.of(IsomarginEngine.VAULTOPENED_EVENT,
            IsomarginEngine.COLLATERALDEPOSITED_EVENT, IsomarginEngine.COLLATERALWITHDRAWN_EVENT,
            IsomarginEngine.BORROWED_EVENT, IsomarginEngine.REPAID_EVENT, IsomarginEngine.VAULTCLOSED_EVENT,
            IsomarginEngine.LIQUIDATED_EVENT, IsomarginEngine.BADDEBTREALIZED_EVENT);
    private static final List<Event> LENDER_EVENTS = List.of(IsomarginEngine.SUPPLIED_EVENT,
            IsomarginEngine.WITHDRAWN_EVENT);

    private ChainLogCounts() {}

    /** Asserts one row per log in vault_history, lender_history, prices and liquidations; returns the cursor block. */
    public static long assertEachLogMirroredOnce(Deployment d, PostgresDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            long cursor = MirrorComparison.single(c, "SELECT block_number FROM cursor").longValueExact();
            List<String> engine = List.of(d.engine().getContractAddress());
            long vaultLogs = logs(d, 0, cursor, engine, VAULT_EVENTS);
            long lenderLogs = logs(d, 0, cursor, engine, LENDER_EVENTS);
            // a feed's answers count from its market's creation (earlier ones price nothing), plus the initial answer
            // the indexer reads at the creation (every test feed has one)
            long priceLogs = 0;
            try (ResultSet r = c.createStatement().executeQuery("SELECT oracle, created_block FROM markets")) {
                while (r.next()) {
                    priceLogs++;
                    priceLogs += logs(d, r.getLong(2), cursor, List.of(r.getString(1)),
                            List.of(MockAggregator.ANSWERUPDATED_EVENT));
                }
            }
            long liquidationLogs = logs(d, 0, cursor, engine, List.of(IsomarginEngine.LIQUIDATED_EVENT));
            assertEquals(vaultLogs, count(c, "vault_history"), "vault_history rows vs vault event logs to #" + cursor);
            assertEquals(lenderLogs, count(c, "lender_history"), "lender_history rows vs Supplied/Withdrawn logs");
            assertEquals(priceLogs, count(c, "prices"), "prices rows vs AnswerUpdated logs");
            assertEquals(liquidationLogs, count(c, "liquidations"), "liquidations rows vs Liquidated logs");
            return cursor;
        }
    }

    private static long logs(Deployment d, long fromBlock, long toBlock, List<String> addresses, List<Event> events)
            throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(toBlock)), addresses);
        filter.addOptionalTopics(events.stream().map(EventEncoder::encode).toArray(String[]::new));
        return d.chain().web3j().ethGetLogs(filter).send().getLogs().size();
    }

    private static long count(Connection c, String table) throws Exception {
        return MirrorComparison.single(c, "SELECT count(*) FROM " + table).longValueExact();
    }
}

package io.isomargin.keeper.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.keeper.send.TxSender;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

class KeeperMetricsTest {
    private final KeeperMetrics metrics = new KeeperMetrics();

    @Test
    void gaugesReadTheirSuppliersAtEachScrape() {
        assertEquals(0.0, value("isomargin_keeper_vaults_tracked"));
        long[] tracked = {1_234};
        metrics.vaultsTracked(() -> tracked[0]);
        metrics.liquidatable(() -> 17);
        metrics.inFlight(() -> 2);
        assertEquals(1_234.0, value("isomargin_keeper_vaults_tracked"));
        tracked[0] = 1_240;
        assertEquals(1_240.0, value("isomargin_keeper_vaults_tracked"));
        assertEquals(17.0, value("isomargin_keeper_vaults_liquidatable"));
        assertEquals(2.0, value("isomargin_keeper_transactions_in_flight"));
    }

    @Test
    void transactionsAndGasAreCounted() {
        metrics.sent();
        metrics.sent();
        metrics.mined(BigInteger.valueOf(300_000), BigInteger.valueOf(2_000_000_000L));
        metrics.reverted(BigInteger.valueOf(50_000), BigInteger.valueOf(3_000_000_000L));
        metrics.replaced();
        metrics.stuck();
        metrics.dropped();
        metrics.rpcError();
        assertEquals(2.0, value("isomargin_keeper_transactions_sent_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_mined_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_reverted_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_replaced_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_stuck_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_dropped_total"));
        assertEquals(1.0, value("isomargin_keeper_rpc_errors_total"));
        assertEquals(300_000 * 2e9 + 50_000 * 3e9, value("isomargin_keeper_gas_spent_wei_total"));
    }

    @Test
    void senderOutcomesMapToTheirCounters() {
        TransactionReceipt receipt = new TransactionReceipt();
        receipt.setGasUsed("0x" + Long.toHexString(200_000));
        receipt.setEffectiveGasPrice("0x" + Long.toHexString(1_500_000_000L));
        metrics.outcome(new TxSender.Outcome(TxSender.Kind.MINED, null, receipt, "mined"));
        metrics.outcome(new TxSender.Outcome(TxSender.Kind.REVERTED, null, receipt, "reverted"));
        metrics.outcome(new TxSender.Outcome(TxSender.Kind.REPLACED, null, null, "bumped"));
        metrics.outcome(new TxSender.Outcome(TxSender.Kind.STUCK_AT_CAP, null, null, "cap"));
        metrics.outcome(new TxSender.Outcome(TxSender.Kind.DROPPED, null, null, "gone"));
        assertEquals(1.0, value("isomargin_keeper_transactions_mined_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_reverted_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_replaced_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_stuck_total"));
        assertEquals(1.0, value("isomargin_keeper_transactions_dropped_total"));
        assertEquals(2 * 200_000 * 1.5e9, value("isomargin_keeper_gas_spent_wei_total"));
    }

    @Test
    void liquidationsAndProfitAreCountedPerMarket() {
        metrics.liquidated(1, 3);
        metrics.liquidated(2, 1);
        metrics.liquidated(1, 2);
        metrics.lost(4, 0);
        metrics.lost(1, 2);
        metrics.unprofitableNow(1, 2);
        metrics.unprofitableNow(1, 3);
        metrics.unprofitableNow(2, 1);
        metrics.unprofitableNow(2, 0);
        metrics.profit(1, BigInteger.valueOf(2_500_000));
        metrics.profit(1, BigInteger.valueOf(-100));
        metrics.profit(2, BigInteger.valueOf(7));
        metrics.profit(3, BigInteger.valueOf(-40));
        assertEquals(5.0, value("isomargin_keeper_liquidations_total{market=\"1\"}"));
        assertEquals(1.0, value("isomargin_keeper_liquidations_total{market=\"2\"}"));
        assertEquals(5.0, value("isomargin_keeper_liquidations_lost_total{to=\"others\"}"));
        assertEquals(2.0, value("isomargin_keeper_liquidations_lost_total{to=\"ours\"}"));
        assertEquals(3.0, value("isomargin_keeper_vaults_unprofitable{market=\"1\"}"), "a gauge: the latest block");
        assertEquals(0.0, value("isomargin_keeper_vaults_unprofitable{market=\"2\"}"));
        assertEquals(2_499_900.0, value("isomargin_keeper_net_profit{market=\"1\"}"), "signed: losses count");
        assertEquals(7.0, value("isomargin_keeper_net_profit{market=\"2\"}"));
        assertEquals(-40.0, value("isomargin_keeper_net_profit{market=\"3\"}"));
    }

    @Test
    void theJvmIsReported() {
        String text = metrics.scrape();
        assertTrue(text.contains("jvm_memory_used_bytes"), text);
        assertTrue(text.contains("process_uptime_seconds"), text);
    }

    /** The value of the sample {@code series} (name with its labels) in the scrape. */
    private double value(String series) {
        String text = metrics.scrape();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), series + " not in:\n" + text);
        return Double.parseDouble(m.group(1));
    }
}

package io.isomargin.indexer.testing;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** The guard tests' moves on the chain (funding an owner's wallet for its guard, policies and top-ups) and what the
 * mirror holds of them. */
public final class Guards {
    public static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    public static final BigInteger DEPOSIT = BigInteger.ZERO;
    public static final BigInteger REPAY = BigInteger.ONE;

    private Guards() {}

    /** Mints {@code amount} of {@code token} to {@code owner} and lets the guard pull any amount of it. */
    public static void fund(Deployment d, Credentials owner, String token, BigInteger amount) throws Exception {
        Scenario.send(d.tokenAs(token, owner).mint(owner.getAddress(), amount)::send);
        Scenario.send(d.tokenAs(token, owner).approve(d.guard().getContractAddress(), MAX)::send);
    }

    /** A policy: healths in thousandths (1300 is 1.3), caps in the mode's token units. */
    public static MarginGuard.GuardPolicy terms(BigInteger mode, long triggerMilli, long targetMilli, int feeBps, long expiry,
            BigInteger maxPerTopUp, BigInteger maxPerDay) {
        BigInteger milli = BigInteger.TEN.pow(15);
        return new MarginGuard.GuardPolicy(milli.multiply(BigInteger.valueOf(triggerMilli)),
                milli.multiply(BigInteger.valueOf(targetMilli)), mode, BigInteger.valueOf(feeBps),
                BigInteger.valueOf(expiry), maxPerTopUp, maxPerDay);
    }

    public static TransactionReceipt setPolicy(Deployment d, Credentials by, BigInteger vault, MarginGuard.GuardPolicy p)
            throws Exception {
        return Scenario.send(d.guardAs(by).setPolicy(vault, p)::send);
    }

    public static TransactionReceipt revoke(Deployment d, Credentials by, BigInteger vault) throws Exception {
        return Scenario.send(d.guardAs(by).revokePolicy(vault)::send);
    }

    /** Runs a top-up of {@code vault} as {@code executor}; returns its event. */
    public static MarginGuard.ToppedUpEventResponse topUp(Deployment d, Credentials executor, BigInteger vault)
            throws Exception {
        List<MarginGuard.ToppedUpEventResponse> events = MarginGuard.getToppedUpEvents(
                Scenario.send(d.guardAs(executor).topUp(vault)::send));
        if (events.size() != 1) throw new AssertionError("one ToppedUp expected, got " + events.size());
        return events.getFirst();
    }

    /** A mirrored top-up. */
    public record TopUp(long timestamp, String mode, BigInteger amount, BigInteger taken, BigInteger used) {}

    public static List<TopUp> topUps(Connection c, BigInteger vault) throws Exception {
        List<TopUp> out = new ArrayList<>();
        try (ResultSet r = c.createStatement().executeQuery("SELECT block_timestamp, mode, amount, taken,"
                + " used_last_24h FROM guard_top_ups WHERE vault_id = " + vault + " ORDER BY block_number, log_index")) {
            while (r.next()) {
                out.add(new TopUp(r.getLong(1), r.getString(2), r.getBigDecimal(3).toBigIntegerExact(),
                        r.getBigDecimal(4).toBigIntegerExact(), r.getBigDecimal(5).toBigIntegerExact()));
            }
        }
        return out;
    }

    public static List<String> actions(Connection c, BigInteger vault) throws Exception {
        List<String> out = new ArrayList<>();
        try (ResultSet r = c.createStatement().executeQuery("SELECT action FROM guard_policy_history WHERE vault_id = "
                + vault + " ORDER BY block_number, log_index")) {
            while (r.next()) out.add(r.getString(1));
        }
        return out;
    }

    public static String string(Connection c, String sql) throws Exception {
        try (ResultSet r = c.createStatement().executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    public static long time(AnvilChain chain, long block) throws Exception {
        return chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false)
                .send().getBlock().getTimestamp().longValueExact();
    }
}

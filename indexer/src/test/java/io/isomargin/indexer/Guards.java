package io.isomargin.indexer;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** The guard tests' moves on the chain: funding an owner's wallet for its guard, policies and top-ups. */
final class Guards {
    static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    static final BigInteger DEPOSIT = BigInteger.ZERO;
    static final BigInteger REPAY = BigInteger.ONE;

    private Guards() {}

    /** Mints {@code amount} of {@code token} to {@code owner} and lets the guard pull any amount of it. */
    static void fund(Deployment d, Credentials owner, String token, BigInteger amount) throws Exception {
        Scenario.send(d.tokenAs(token, owner).mint(owner.getAddress(), amount)::send);
        Scenario.send(d.tokenAs(token, owner).approve(d.guard().getContractAddress(), MAX)::send);
    }

    /** A policy: healths in thousandths (1300 is 1.3), caps in the mode's token units. */
    static MarginGuard.GuardPolicy terms(BigInteger mode, long triggerMilli, long targetMilli, int feeBps, long expiry,
            BigInteger maxPerTopUp, BigInteger maxPerDay) {
        BigInteger milli = BigInteger.TEN.pow(15);
        return new MarginGuard.GuardPolicy(milli.multiply(BigInteger.valueOf(triggerMilli)),
                milli.multiply(BigInteger.valueOf(targetMilli)), mode, BigInteger.valueOf(feeBps),
                BigInteger.valueOf(expiry), maxPerTopUp, maxPerDay);
    }

    static TransactionReceipt setPolicy(Deployment d, Credentials by, BigInteger vault, MarginGuard.GuardPolicy p)
            throws Exception {
        return Scenario.send(d.guardAs(by).setPolicy(vault, p)::send);
    }

    static TransactionReceipt revoke(Deployment d, Credentials by, BigInteger vault) throws Exception {
        return Scenario.send(d.guardAs(by).revokePolicy(vault)::send);
    }

    /** Runs a top-up of {@code vault} as {@code executor}; returns its event. */
    static MarginGuard.ToppedUpEventResponse topUp(Deployment d, Credentials executor, BigInteger vault)
            throws Exception {
        List<MarginGuard.ToppedUpEventResponse> events = MarginGuard.getToppedUpEvents(
                Scenario.send(d.guardAs(executor).topUp(vault)::send));
        if (events.size() != 1) throw new AssertionError("one ToppedUp expected, got " + events.size());
        return events.getFirst();
    }
}

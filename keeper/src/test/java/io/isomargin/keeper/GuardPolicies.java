package io.isomargin.keeper;

import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.testing.Deployment;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;

/** Margin-guard policies for tests: set through the deployment's guard as the vault's owner. */
public final class GuardPolicies {
    private GuardPolicies() {}

    /**
     * Sets a deposit-collateral policy with a 0.5% fee, expiring a day after the latest block, on {@code vault}.
     *
     * @param trigger a health as a decimal, e.g. {@code "1.1"}
     * @param target  likewise, above the trigger
     */
    public static void set(Deployment d, Credentials owner, BigInteger vault, String trigger, String target,
            BigInteger maxPerTopUp, BigInteger maxPerDay) throws Exception {
        long now = d.chain().web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock()
                .getTimestamp().longValueExact();
        d.guardAs(owner).setPolicy(vault, new MarginGuard.GuardPolicy(wad(trigger), wad(target), BigInteger.ZERO,
                BigInteger.valueOf(50), BigInteger.valueOf(now + 86_400), maxPerTopUp, maxPerDay)).send();
    }

    /** A decimal ratio as WAD ({@code "1.25"} is 1.25e18). */
    public static BigInteger wad(String ratio) {
        return new BigDecimal(ratio).movePointRight(18).toBigIntegerExact();
    }
}

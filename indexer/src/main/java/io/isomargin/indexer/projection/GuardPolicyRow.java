package io.isomargin.indexer.projection;

import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;

/**
 * A vault's margin-guard policy as mirrored in {@code guard_policies}: the terms of the last {@code PolicySet}, and
 * whether a {@code PolicyRevoked} deleted them since (the chain then has no policy: {@code policy(id)} has a zero
 * owner).
 *
 * @param owner        the vault owner the policy was set for (funds only ever move from it), lower-case
 * @param triggerHealth top-ups may run below this health (WAD)
 * @param targetHealth what a top-up brings the vault to (WAD)
 * @param feeBps       the executor's fee in bps of the amount moved
 * @param expiry       the policy stops working after this time (seconds)
 * @param maxPerTopUp  the most one top-up may take from the wallet (amount plus fee)
 * @param maxPerDay    the most the vault's top-ups may take in any 24 hours (amount plus fee)
 * @param armed        the position top-ups defend ({@code armedPosition(vaultId)}): as the last {@code PolicySet} or
 *                     {@code ToppedUp} left it; zero once revoked
 * @param setBy        who set the terms (the vault's owner: the guard refuses operators), lower-case
 * @param set          the {@code PolicySet} log
 * @param revokedBy    who revoked the policy (lower-case), or null while it is active
 * @param updatedBlock block of the last event that changed the row
 */
public record GuardPolicyRow(long vaultId, String owner, GuardMode mode, BigInteger triggerHealth,
        BigInteger targetHealth, int feeBps, long expiry, BigInteger maxPerTopUp, BigInteger maxPerDay, Armed armed,
        String setBy, RiskChangeRow.Position set, String revokedBy, long updatedBlock) {

    public GuardPolicyRow {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(triggerHealth, "triggerHealth");
        Objects.requireNonNull(targetHealth, "targetHealth");
        Objects.requireNonNull(maxPerTopUp, "maxPerTopUp");
        Objects.requireNonNull(maxPerDay, "maxPerDay");
        Objects.requireNonNull(armed, "armed");
        Objects.requireNonNull(setBy, "setBy");
        Objects.requireNonNull(set, "set");
    }

    /** False once revoked. */
    public boolean active() {
        return revokedBy == null;
    }

    /** {@code guard_policies.status}. */
    public String status() {
        return active() ? "active" : "revoked";
    }

    /**
     * Whether a top-up could run under this policy at {@code now} for a vault owned by {@code vaultOwner}: active, not
     * expired, and the vault still belongs to the owner it was set for (the guard refuses otherwise).
     */
    public boolean live(long now, String vaultOwner) {
        return active() && now <= expiry && owner.equals(vaultOwner.toLowerCase(Locale.ROOT));
    }

    /**
     * Whether the guard still defends a vault holding {@code collateral} and {@code debtShares}: live, and the position
     * at least as safe as the armed one ({@link Armed#defends}); otherwise a top-up reverts
     * {@code RiskRaisedSinceArmed} until the owner arms the vault again.
     */
    public boolean defends(long now, String vaultOwner, BigInteger collateral, BigInteger debtShares) {
        return live(now, vaultOwner) && armed.defends(collateral, debtShares);
    }

    /** The same terms, revoked by {@code by} at {@code block} (the guard deletes the armed position with them). */
    GuardPolicyRow revoked(String by, long block) {
        return new GuardPolicyRow(vaultId, owner, mode, triggerHealth, targetHealth, feeBps, expiry, maxPerTopUp,
                maxPerDay, Armed.NONE, setBy, set, Objects.requireNonNull(by, "by"), block);
    }

    /** The same terms, armed at the position a top-up left at {@code block}. */
    GuardPolicyRow rearmed(Armed at, long block) {
        return new GuardPolicyRow(vaultId, owner, mode, triggerHealth, targetHealth, feeBps, expiry, maxPerTopUp,
                maxPerDay, at, setBy, set, revokedBy, block);
    }

    /**
     * The position a policy defends, as the guard records it: a vault's collateral and debt shares.
     *
     * @param collateral collateral units
     * @param debtShares debt shares
     */
    public record Armed(BigInteger collateral, BigInteger debtShares) {
        /** No position: a revoked policy's. */
        public static final Armed NONE = new Armed(BigInteger.ZERO, BigInteger.ZERO);

        public Armed {
            Objects.requireNonNull(collateral, "collateral");
            Objects.requireNonNull(debtShares, "debtShares");
        }

        /**
         * The guard's {@code _atLeastAsSafe}: no more debt shares, and at least the collateral per share
         * ({@code c * s0 >= c0 * s}), so the position is at least as healthy at any price and interest.
         */
        public boolean defends(BigInteger c, BigInteger s) {
            return s.compareTo(debtShares) <= 0 && c.multiply(debtShares).compareTo(collateral.multiply(s)) >= 0;
        }
    }
}

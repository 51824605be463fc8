package io.isomargin.keeper.book;

import io.isomargin.abi.contracts.MarginGuard;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;

/**
 * A vault's margin-guard policy as the guard stores it ({@code MarginGuard.policy(vaultId)}): the owner it was set
 * for, whose wallet every top-up draws on, and the terms. Healths are WAD (1e18 is the liquidation threshold); the
 * caps are in the token the mode moves and count the executor's fee too.
 *
 * @param vaultId       the guarded vault
 * @param owner         the vault's owner when the policy was set, lower-case 0x address: the guard refuses to top up
 *                      ({@code OwnerChanged}) once the vault's owner is someone else
 * @param mode          what a top-up moves
 * @param triggerHealth top-ups run only while the vault's health is below this (above 1e18)
 * @param targetHealth  a top-up moves what brings the vault to this health, within the caps
 * @param feeBps        the executor's fee, in bps of the amount moved (at most 100)
 * @param expiry        the last timestamp (seconds) at which the policy works
 * @param maxPerTopUp   the most one top-up takes from the owner's wallet, fee included
 * @param maxPerDay     the most the vault's top-ups take in any 24 hours, fee included
 * @param armedCollateral the collateral of the position the policy defends ({@code armedPosition(vaultId)}), as the
 *                      last {@code PolicySet} or {@code ToppedUp} left it
 * @param armedDebtShares the debt shares of that position
 */
public record GuardPolicy(long vaultId, String owner, Mode mode, BigInteger triggerHealth, BigInteger targetHealth,
        int feeBps, long expiry, BigInteger maxPerTopUp, BigInteger maxPerDay, BigInteger armedCollateral,
        BigInteger armedDebtShares) {

    /** What a top-up does, as the guard's {@code GuardMode}. */
    public enum Mode {
        /** Deposits collateral tokens from the owner's wallet; the fee is paid in the collateral token. */
        DEPOSIT_COLLATERAL,
        /** Repays debt with loan tokens from the owner's wallet; the fee is paid in the loan token. */
        REPAY_DEBT;

        /** From the contract's enum value (0 or 1). */
        public static Mode of(BigInteger value) {
            return switch (value.intValueExact()) {
                case 0 -> DEPOSIT_COLLATERAL;
                case 1 -> REPAY_DEBT;
                default -> throw new IllegalArgumentException("unknown guard mode " + value);
            };
        }
    }

    public GuardPolicy {
        Objects.requireNonNull(owner, "owner");
        owner = owner.toLowerCase(Locale.ROOT);
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(triggerHealth, "triggerHealth");
        Objects.requireNonNull(targetHealth, "targetHealth");
        Objects.requireNonNull(maxPerTopUp, "maxPerTopUp");
        Objects.requireNonNull(maxPerDay, "maxPerDay");
        Objects.requireNonNull(armedCollateral, "armedCollateral");
        Objects.requireNonNull(armedDebtShares, "armedDebtShares");
    }

    /** The policy a {@code PolicySet} event set. */
    public static GuardPolicy of(MarginGuard.PolicySetEventResponse e) {
        return new GuardPolicy(e.vaultId.longValueExact(), e.owner, Mode.of(e.mode), e.triggerHealth, e.targetHealth,
                e.feeBps.intValueExact(), e.expiry.longValueExact(), e.maxPerTopUp, e.maxPerDay, e.armedCollateral,
                e.armedDebtShares);
    }

    /** The same terms, re-armed at the position a {@code ToppedUp} left. */
    public GuardPolicy rearmed(MarginGuard.ToppedUpEventResponse e) {
        if (e.vaultId.longValueExact() != vaultId) {
            throw new IllegalArgumentException("a top-up of vault " + e.vaultId + " cannot re-arm vault " + vaultId);
        }
        return new GuardPolicy(vaultId, owner, mode, triggerHealth, targetHealth, feeBps, expiry, maxPerTopUp,
                maxPerDay, e.armedCollateral, e.armedDebtShares);
    }

    /**
     * Whether the guard would act on it for {@code vault} at timestamp {@code now}: not expired, same owner, and the
     * vault armed, i.e. no riskier than the position the policy defends (the guard's {@code _atLeastAsSafe}: no more
     * debt shares, at least the collateral per share; otherwise a top-up reverts {@code RiskRaisedSinceArmed}).
     */
    public boolean live(VaultPosition vault, long now) {
        return vault != null && vault.id() == vaultId && now <= expiry && owner.equalsIgnoreCase(vault.owner())
                && armed(vault);
    }

    /** Whether {@code vault} is no riskier than the position the policy defends. */
    public boolean armed(VaultPosition vault) {
        return vault.debtShares().compareTo(armedDebtShares) <= 0
                && vault.collateral().multiply(armedDebtShares).compareTo(armedCollateral.multiply(vault.debtShares()))
                        >= 0;
    }

    /**
     * True when {@code other} has the same owner-set terms (owner, mode, healths, fee, expiry, caps): only a new
     * {@code PolicySet} changes them, while a top-up moves the armed position.
     */
    public boolean sameTerms(GuardPolicy other) {
        return vaultId == other.vaultId && owner.equals(other.owner) && mode == other.mode
                && triggerHealth.equals(other.triggerHealth) && targetHealth.equals(other.targetHealth)
                && feeBps == other.feeBps && expiry == other.expiry && maxPerTopUp.equals(other.maxPerTopUp)
                && maxPerDay.equals(other.maxPerDay);
    }
}

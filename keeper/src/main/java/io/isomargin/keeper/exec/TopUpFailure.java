package io.isomargin.keeper.exec;

import java.util.Locale;

/**
 * Why a guarded vault under its trigger could not be topped up, as the {@code reason} of
 * {@code isomargin_keeper_top_ups_failed_total}. Read from the guard's own revert at simulation, or, for a top-up that
 * runs but would leave a liquidatable vault liquidatable, from the limit that bound its amount.
 */
public enum TopUpFailure {
    /** The per-top-up or rolling 24-hour cap leaves too little ({@code CapReached}), or the day's top-ups are used up
     * ({@code TooManyTopUps}). */
    CAP,
    /** The owner's allowance to the guard is too low ({@code AllowanceTooLow}). */
    ALLOWANCE,
    /** The owner's wallet holds too little of the mode's token ({@code BalanceTooLow}). */
    BALANCE,
    /** The policy expired ({@code PolicyExpired}). */
    EXPIRED,
    /** The vault was withdrawn from or borrowed against since its policy was set or last topped up: the guard
     * defends the armed position only, until the owner sets the policy again ({@code RiskRaisedSinceArmed}). */
    DISARMED,
    /** Anything else: the vault's owner changed, nothing to move, an engine or oracle error, an unknown revert. */
    OTHER;

    /** The metric label: the name in lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.isomargin.indexer.projection;

/**
 * How a margin-guard policy tops a vault up (the contract's {@code GuardMode}); {@link #column()} is its value in
 * {@code guard_policies.mode}, {@code guard_top_ups.mode} and the API.
 */
public enum GuardMode {
    /** Deposits collateral tokens from the owner's wallet. */
    DEPOSIT_COLLATERAL("deposit_collateral"),
    /** Repays debt with loan tokens from the owner's wallet. */
    REPAY_DEBT("repay_debt");

    private final String column;

    GuardMode(String column) {
        this.column = column;
    }

    public String column() {
        return column;
    }

    /** The mode an event carries (the enum's ordinal in Solidity). */
    public static GuardMode ofEvent(java.math.BigInteger mode) {
        int i = mode.intValueExact();
        if (i < 0 || i >= values().length) throw new IllegalArgumentException("unknown guard mode " + mode);
        return values()[i];
    }

    /** The mode stored as {@code column}. */
    public static GuardMode of(String column) {
        for (GuardMode m : values()) {
            if (m.column.equals(column)) return m;
        }
        throw new IllegalArgumentException("unknown guard mode " + column);
    }
}

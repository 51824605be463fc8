package io.isomargin.keeper.book;

/**
 * Told of every change to a {@link PositionBook}, on the thread that makes it (the book's single writer), including
 * the changes a rollback makes. {@code null} stands for "absent".
 */
public interface BookListener {
    void marketChanged(TrackedMarket before, TrackedMarket after);

    void vaultChanged(VaultPosition before, VaultPosition after);

    void priceChanged(String oracle, OraclePrice before, OraclePrice after);

    /** A vault's margin-guard policy was set, replaced or revoked (nothing to do by default). */
    default void policyChanged(GuardPolicy before, GuardPolicy after) {}

    /** The whole book was replaced (loaded from a snapshot): forget everything derived from it. */
    void bookReset();
}

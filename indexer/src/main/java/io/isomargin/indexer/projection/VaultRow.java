package io.isomargin.indexer.projection;

import java.math.BigInteger;

/**
 * A vault as mirrored: the engine's {@code Vault} plus the blocks it was opened and last changed in.
 *
 * @param owner lower-case address
 */
public record VaultRow(long vaultId, long marketId, String owner, BigInteger collateral, BigInteger debtShares,
        boolean closed, long openedBlock, long updatedBlock) {

    /** A vault just opened: empty, at {@code block}. */
    public static VaultRow opened(long vaultId, long marketId, String owner, long block) {
        return new VaultRow(vaultId, marketId, owner, BigInteger.ZERO, BigInteger.ZERO, false, block, block);
    }

    VaultRow withCollateral(BigInteger value, long block) {
        return new VaultRow(vaultId, marketId, owner, value, debtShares, closed, openedBlock, block);
    }

    VaultRow withDebtShares(BigInteger value, long block) {
        return new VaultRow(vaultId, marketId, owner, collateral, value, closed, openedBlock, block);
    }

    VaultRow closedAt(long block) {
        return new VaultRow(vaultId, marketId, owner, BigInteger.ZERO, debtShares, true, openedBlock, block);
    }
}

package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;

/**
 * A vault the exact math found liquidatable at a block.
 *
 * @param position the vault's state at the end of that block
 * @param debt     its debt with interest to the block's timestamp
 * @param maxDebt  the most debt it may carry at the block's price (below {@code debt})
 */
public record LiquidatableVault(VaultPosition position, BigInteger debt, BigInteger maxDebt) {
    public long vaultId() {
        return position.id();
    }
}

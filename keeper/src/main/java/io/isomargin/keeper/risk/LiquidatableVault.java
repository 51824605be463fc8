package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;

/**
 * A vault the exact math found liquidatable at a block.
 *
 * @param position the vault's state at the end of that block
 * @param market   the market at that block, which its amounts are computed from
 */
public record LiquidatableVault(VaultPosition position, MarketAtBlock market) {
    public long vaultId() {
        return position.id();
    }

    /** Its debt with interest to the block's timestamp (exact; computed when asked, not kept). */
    public BigInteger debt() {
        return market.debt(position);
    }

    /** The most debt it may carry at the block's price (below {@link #debt()}; computed when asked, not kept). */
    public BigInteger maxDebt() {
        return market.maxDebt(position);
    }
}

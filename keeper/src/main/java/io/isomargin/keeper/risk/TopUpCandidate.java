package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.GuardPolicy;
import io.isomargin.keeper.book.VaultPosition;
import java.math.BigInteger;

/**
 * A guarded vault whose exact health at a block is below its policy's trigger: anyone may top it up from its owner's
 * wallet now, before (or, once liquidatable, instead of) a liquidation.
 *
 * @param position     the vault's state at the end of that block
 * @param policy       its live policy (not expired, set by the vault's owner)
 * @param health       its health at the block, WAD, rounded down as the lens's {@code health}
 * @param debt         its debt with interest to the block's timestamp
 * @param liquidatable whether it is liquidatable at the block (health below 1)
 */
public record TopUpCandidate(VaultPosition position, GuardPolicy policy, BigInteger health, BigInteger debt,
        boolean liquidatable) {
    public long vaultId() {
        return position.id();
    }
}

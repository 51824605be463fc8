package io.isomargin.keeper.book;

import java.math.BigInteger;
import java.util.Objects;

/**
 * One open vault as the engine stores it.
 *
 * @param id         the engine's vault id
 * @param marketId   its market
 * @param owner      its owner, lower-case 0x address
 * @param collateral collateral-token base units
 * @param debtShares borrow shares (debt in assets depends on the market's totals at a moment)
 */
public record VaultPosition(long id, long marketId, String owner, BigInteger collateral, BigInteger debtShares) {
    public VaultPosition {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(collateral, "collateral");
        Objects.requireNonNull(debtShares, "debtShares");
    }

    /** A vault just opened: nothing deposited, nothing borrowed. */
    public static VaultPosition opened(long id, long marketId, String owner) {
        return new VaultPosition(id, marketId, owner, BigInteger.ZERO, BigInteger.ZERO);
    }

    public VaultPosition withCollateral(BigInteger c) {
        return new VaultPosition(id, marketId, owner, c, debtShares);
    }

    public VaultPosition withDebtShares(BigInteger s) {
        return new VaultPosition(id, marketId, owner, collateral, s);
    }
}

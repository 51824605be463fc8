package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.VaultPosition;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * The detector's confirmed list as it is filled: the vaults in one array and the market they were judged at, each
 * {@link LiquidatableVault} made when read. A tick then allocates one reference per liquidatable vault, not a record,
 * an array list and a copy of it (a thousand liquidatable vaults were ~35 KB a tick). Filled by the detector only,
 * before it hands the list out; read-only from then on.
 */
final class ConfirmedVaults extends AbstractList<LiquidatableVault> implements RandomAccess {
    private final MarketAtBlock market;
    private VaultPosition[] vaults;
    private int size;

    /** @param capacity the most vaults it will hold (the candidates' count) */
    ConfirmedVaults(MarketAtBlock market, int capacity) {
        this.market = market;
        this.vaults = new VaultPosition[capacity];
    }

    void addVault(VaultPosition v) {
        if (size == vaults.length) vaults = Arrays.copyOf(vaults, Math.max(8, size * 2));
        vaults[size++] = v;
    }

    @Override
    public LiquidatableVault get(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return new LiquidatableVault(vaults[index], market);
    }

    @Override
    public int size() {
        return size;
    }
}

package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.VaultPosition;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Vaults sorted by a threshold key (an upper bound of the vault's liquidation price, as a double), in parallel
 * arrays: the key, the vault, and its debt shares and collateral as doubles for {@link HealthBound}. A price tick is a
 * binary search: the vaults that may be liquidatable at answer {@code a} are the suffix of keys above {@code a}, and
 * the vaults a drop from {@code p0} to {@code p1} newly exposes are the slice between the two positions. Reading a
 * suffix touches only these arrays, in order: no map lookup, no big-integer field, nothing allocated.
 *
 * <p>Updates (one vault's key changed) move the tail of the arrays by one slot ({@link System#arraycopy}); a vault
 * whose key stays is replaced in place. A whole market is reloaded with {@link #replaceAll}. Not thread-safe: owned by
 * the book's writer thread.
 */
final class LiquidationPriceIndex {
    private double[] keys = new double[16];
    private VaultPosition[] vaults = new VaultPosition[16];
    private double[] debtShares = new double[16];
    private double[] collateral = new double[16];
    private int size;
    private final Map<Long, Double> keyOf = new HashMap<>();

    int size() {
        return size;
    }

    long vaultAt(int i) {
        return vaults[i].id();
    }

    /** The vault at position {@code i}, as the book held it when its key was last set. */
    VaultPosition positionAt(int i) {
        return vaults[i];
    }

    /** Its debt shares, rounded to a double. */
    double debtSharesAt(int i) {
        return debtShares[i];
    }

    /** Its collateral, rounded to a double. */
    double collateralAt(int i) {
        return collateral[i];
    }

    double keyAt(int i) {
        return keys[i];
    }

    /**
     * The first position whose key is strictly above {@code answer} ({@link #size()} when none): positions
     * {@code [firstAbove(a), size())} are the candidates at answer {@code a}.
     */
    int firstAbove(double answer) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] > answer) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /** Sets (or moves) a vault's key; the vault's state replaces the one held before. */
    void put(VaultPosition v, double key) {
        Double old = keyOf.put(v.id(), key);
        if (old != null) {
            int at = positionOf(v.id(), old);
            if (old == key) {
                set(at, v, key);
                return;
            }
            removeAt(at);
        }
        int at = firstAbove(key); // after equal keys
        if (size == keys.length) grow(size * 2);
        System.arraycopy(keys, at, keys, at + 1, size - at);
        System.arraycopy(vaults, at, vaults, at + 1, size - at);
        System.arraycopy(debtShares, at, debtShares, at + 1, size - at);
        System.arraycopy(collateral, at, collateral, at + 1, size - at);
        set(at, v, key);
        size++;
    }

    /** Removes a vault (no-op when absent). */
    void remove(long id) {
        Double old = keyOf.remove(id);
        if (old != null) removeAt(positionOf(id, old));
    }

    boolean contains(long id) {
        return keyOf.containsKey(id);
    }

    /** Replaces the content with {@code n} (vault, key) pairs, in any order. */
    void replaceAll(VaultPosition[] newVaults, double[] newKeys, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(newKeys[a], newKeys[b]));
        keys = new double[Math.max(16, n + n / 4)];
        vaults = new VaultPosition[keys.length];
        debtShares = new double[keys.length];
        collateral = new double[keys.length];
        keyOf.clear();
        for (int i = 0; i < n; i++) {
            set(i, newVaults[order[i]], newKeys[order[i]]);
            keyOf.put(vaults[i].id(), keys[i]);
        }
        size = n;
    }

    void clear() {
        Arrays.fill(vaults, 0, size, null);
        size = 0;
        keyOf.clear();
    }

    private void set(int at, VaultPosition v, double key) {
        keys[at] = key;
        vaults[at] = v;
        debtShares[at] = v.debtShares().doubleValue();
        collateral[at] = v.collateral().doubleValue();
    }

    private void grow(int capacity) {
        keys = Arrays.copyOf(keys, capacity);
        vaults = Arrays.copyOf(vaults, capacity);
        debtShares = Arrays.copyOf(debtShares, capacity);
        collateral = Arrays.copyOf(collateral, capacity);
    }

    private int positionOf(long id, double key) {
        int i = firstAbove(Math.nextDown(key)); // first position with this key
        while (i < size && keys[i] == key) {
            if (vaults[i].id() == id) return i;
            i++;
        }
        throw new IllegalStateException("index lost vault " + id);
    }

    private void removeAt(int at) {
        System.arraycopy(keys, at + 1, keys, at, size - at - 1);
        System.arraycopy(vaults, at + 1, vaults, at, size - at - 1);
        System.arraycopy(debtShares, at + 1, debtShares, at, size - at - 1);
        System.arraycopy(collateral, at + 1, collateral, at, size - at - 1);
        size--;
        vaults[size] = null;
    }
}

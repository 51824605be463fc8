package io.isomargin.keeper.risk;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Vault ids sorted by a threshold key (an upper bound of the vault's liquidation price, as a double), in two
 * parallel primitive arrays. A price tick is a binary search: the vaults that may be liquidatable at answer
 * {@code a} are the suffix of keys above {@code a}, and the vaults a drop from {@code p0} to {@code p1} newly exposes
 * are the slice between the two positions; no vault is scanned and nothing is allocated.
 *
 * <p>Updates (one vault's key changed) move the tail of the arrays by one slot ({@link System#arraycopy}); a whole
 * market is reloaded with {@link #replaceAll}. Not thread-safe: owned by the book's writer thread.
 */
final class LiquidationPriceIndex {
    private double[] keys = new double[16];
    private long[] ids = new long[16];
    private int size;
    private final Map<Long, Double> keyOf = new HashMap<>();

    int size() {
        return size;
    }

    long vaultAt(int i) {
        return ids[i];
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

    /** Sets (or moves) a vault's key. */
    void put(long id, double key) {
        Double old = keyOf.put(id, key);
        if (old != null) {
            if (old == key) return;
            removeAt(positionOf(id, old));
        }
        int at = firstAbove(key); // after equal keys
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            ids = Arrays.copyOf(ids, size * 2);
        }
        System.arraycopy(keys, at, keys, at + 1, size - at);
        System.arraycopy(ids, at, ids, at + 1, size - at);
        keys[at] = key;
        ids[at] = id;
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

    /** Replaces the content with {@code n} (id, key) pairs, in any order. */
    void replaceAll(long[] newIds, double[] newKeys, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(newKeys[a], newKeys[b]));
        keys = new double[Math.max(16, n + n / 4)];
        ids = new long[keys.length];
        keyOf.clear();
        for (int i = 0; i < n; i++) {
            keys[i] = newKeys[order[i]];
            ids[i] = newIds[order[i]];
            keyOf.put(ids[i], keys[i]);
        }
        size = n;
    }

    void clear() {
        size = 0;
        keyOf.clear();
    }

    private int positionOf(long id, double key) {
        int i = firstAbove(Math.nextDown(key)); // first position with this key
        while (i < size && keys[i] == key) {
            if (ids[i] == id) return i;
            i++;
        }
        throw new IllegalStateException("index lost vault " + id);
    }

    private void removeAt(int at) {
        System.arraycopy(keys, at + 1, keys, at, size - at - 1);
        System.arraycopy(ids, at + 1, ids, at, size - at - 1);
        size--;
    }
}

package io.isomargin.abi.follower;

/**
 * The size of the next {@code eth_getLogs} range: halved when a provider refuses or chokes on a range, grown by half
 * again after each success, always within {@code min..max}. Not thread-safe: owned by the follower's thread.
 */
final class AdaptiveRange {
    private final int min;
    private final int max;
    private int current;

    AdaptiveRange(int initial, int min, int max) {
        if (min < 1 || max < min || initial < min || initial > max) {
            throw new IllegalArgumentException("range " + initial + " not within " + min + ".." + max);
        }
        this.min = min;
        this.max = max;
        this.current = initial;
    }

    int current() {
        return current;
    }

    /** Halves the range; returns false when it already was at the minimum. */
    boolean shrink() {
        if (current == min) {
            return false;
        }
        current = Math.max(min, current / 2);
        return true;
    }

    /** After a successful fetch of {@code fetched} blocks: grows by half (at least one block), but only when the
     * whole range was used, so a short tail range near the head does not inflate it. */
    void succeeded(int fetched) {
        if (fetched >= current) {
            current = (int) Math.min(max, current + Math.max(1L, current / 2L));
        }
    }

    /**
     * After a successful fetch of {@code fetched} blocks holding {@code logs} logs: above {@code logBudget} logs the
     * range shrinks in proportion, to about the blocks that hold the budget (never below the minimum); otherwise it
     * grows as {@link #succeeded(int)} does, but not past the blocks the budget would hold at this density.
     */
    void succeeded(int fetched, int logs, int logBudget) {
        if (logs > logBudget) {
            current = (int) Math.max(min, Math.min(current, (long) fetched * logBudget / logs));
            return;
        }
        int before = current;
        succeeded(fetched);
        if (logs > 0 && current > before) {
            long fits = Math.max((long) fetched * logBudget / logs, before);
            current = (int) Math.min(current, fits);
        }
    }
}

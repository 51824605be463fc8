package io.isomargin.abi.follower;

/**
 * The size of the next {@code eth_getLogs} range, sized by what the answers hold: halved when a provider refuses or
 * chokes on a range, fitted to a budget of logs and of bytes per answer at the density the last answer showed, grown
 * by half after each success while under it; always within {@code min..max}. Not thread-safe: owned by the follower's
 * thread.
 */
final class AdaptiveRange {
    private final int min;
    private final int max;
    private final int logBudget;
    private final long byteBudget;
    private int current;

    /**
     * @param logBudget  about the most logs one answer should hold
     * @param byteBudget about the most bytes of JSON one answer should hold (see {@link LogJsonSize})
     */
    AdaptiveRange(int initial, int min, int max, int logBudget, long byteBudget) {
        if (min < 1 || max < min || initial < min || initial > max) {
            throw new IllegalArgumentException("range " + initial + " not within " + min + ".." + max);
        }
        if (logBudget < 1 || byteBudget < 1) {
            throw new IllegalArgumentException("budgets must be positive: " + logBudget + " logs, " + byteBudget
                    + " bytes");
        }
        this.min = min;
        this.max = max;
        this.logBudget = logBudget;
        this.byteBudget = byteBudget;
        this.current = initial;
    }

    int current() {
        return current;
    }

    /**
     * After a range of {@code fetched} blocks was refused or failed: halves it (the range asked for, which near the
     * head is shorter than the current one: a one-block request timing out says nothing good of twelve); returns
     * false, leaving the range at most {@code fetched}, when that was already the minimum.
     */
    boolean shrink(int fetched) {
        int asked = Math.min(current, Math.max(min, fetched));
        if (asked == min) {
            current = min;
            return false;
        }
        current = Math.max(min, asked / 2);
        return true;
    }

    /**
     * After a successful fetch of {@code fetched} blocks holding {@code logs} logs in about {@code bytes} bytes: over
     * either budget the range shrinks in proportion, to about the blocks that hold it at this density (never below
     * the minimum); otherwise it grows by half (at least one block), but only when the whole range was used, so a
     * short tail range near the head does not inflate it, and not past the blocks the budgets would hold at this
     * density.
     */
    void succeeded(int fetched, int logs, long bytes) {
        succeeded(fetched, current, logs, bytes);
    }

    /**
     * As {@link #succeeded(int, int, long)} for a range sized when the range was {@code sizedAt} blocks (one fetched
     * ahead while the range grew since): it was used whole when {@code fetched >= sizedAt}.
     */
    void succeeded(int fetched, int sizedAt, int logs, long bytes) {
        long fits = fits(fetched, logs, bytes);
        if (fits < fetched) {
            current = (int) Math.max(min, Math.min(current, fits));
            return;
        }
        if (fetched >= sizedAt) {
            int before = current;
            long grown = Math.min(max, current + Math.max(1L, current / 2L));
            current = (int) Math.min(grown, Math.max(fits, before));
        }
    }

    /** How many blocks at the density of an answer of {@code fetched} blocks hold both budgets (max when empty). */
    private long fits(int fetched, int logs, long bytes) {
        long byLogs = logs <= 0 ? Long.MAX_VALUE : (long) fetched * logBudget / logs;
        long byBytes = bytes <= 0 ? Long.MAX_VALUE : (long) (fetched * ((double) byteBudget / bytes));
        return Math.min(byLogs, byBytes);
    }
}

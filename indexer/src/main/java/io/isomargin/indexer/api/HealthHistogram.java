package io.isomargin.indexer.api;

import io.isomargin.indexer.projection.VaultRow;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A market's open vaults with debt counted by health ({@code /markets/{id}/health-histogram}), with the engine's exact
 * math at the latest mirrored price. Edges {@code e1 < e2 < ... < en} make n + 1 buckets: health below e1, from e(i)
 * up to but not including e(i+1), and e(n) or more. Health below 1 is liquidatable.
 *
 * @param edges   the bucket edges (health ratios)
 * @param buckets n + 1 buckets, lowest health first
 */
record HealthHistogram(List<BigDecimal> edges, List<Bucket> buckets) {
    /** At most this many edges per request. */
    static final int MAX_EDGES = 50;
    static final List<BigDecimal> DEFAULT_EDGES = List.of(new BigDecimal("1"), new BigDecimal("1.05"),
            new BigDecimal("1.1"), new BigDecimal("1.25"), new BigDecimal("1.5"), new BigDecimal("2"),
            new BigDecimal("3"));

    /**
     * @param from  lower edge (inclusive), null for the first bucket
     * @param to    upper edge (exclusive), null for the last bucket
     * @param debt  their debt in loan-token base units, interest accrued
     */
    record Bucket(BigDecimal from, BigDecimal to, int vaults, BigInteger debt) {}

    HealthHistogram {
        edges = List.copyOf(edges);
        buckets = List.copyOf(buckets);
    }

    /** Counts {@code indebted} (the market's open vaults with debt) of the priced market {@code m}. */
    static HealthHistogram of(MarketSnapshot m, List<VaultRow> indebted, List<BigDecimal> edges) {
        List<BigInteger> wads = edges.stream().map(RequestParams::wad).toList();
        int[] counts = new int[edges.size() + 1];
        BigInteger[] debts = new BigInteger[edges.size() + 1];
        Arrays.fill(debts, BigInteger.ZERO);
        var totals = m.totals();
        var margins = m.margins();
        for (VaultRow v : indebted) {
            MarketSnapshot.Valuation val = m.value(v, m.price().answer(), totals, margins);
            int i = 0;
            while (i < wads.size() && val.health().compareTo(wads.get(i)) >= 0) i++;
            counts[i]++;
            debts[i] = debts[i].add(val.debt());
        }
        List<Bucket> buckets = new ArrayList<>(counts.length);
        for (int i = 0; i < counts.length; i++) {
            buckets.add(new Bucket(i == 0 ? null : edges.get(i - 1), i == edges.size() ? null : edges.get(i),
                    counts[i], debts[i]));
        }
        return new HealthHistogram(edges, buckets);
    }
}

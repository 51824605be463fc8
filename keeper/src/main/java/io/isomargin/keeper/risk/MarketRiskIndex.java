package io.isomargin.keeper.risk;

import io.isomargin.keeper.book.TrackedMarket;
import io.isomargin.keeper.book.VaultPosition;
import java.util.Collection;

/** The liquidation-price index of one market and the bound its keys were computed under. */
final class MarketRiskIndex {
    private final LiquidationPriceIndex index = new LiquidationPriceIndex();
    private ThresholdBound bound; // null: must be rebuilt before use

    LiquidationPriceIndex index() {
        return index;
    }

    /** Rebuilds the index unless its bound still covers {@code m} at {@code now}; true when it rebuilt. */
    boolean ensure(TrackedMarket m, Collection<VaultPosition> vaults, long now, RiskConfig config) {
        if (bound != null && bound.covers(m, now)) return false;
        bound = new ThresholdBound(m, now, config);
        VaultPosition[] indexed = new VaultPosition[vaults.size()];
        double[] keys = new double[vaults.size()];
        int n = 0;
        for (VaultPosition v : vaults) {
            double key = bound.key(v);
            if (Double.isNaN(key)) continue;
            indexed[n] = v;
            keys[n++] = key;
        }
        index.replaceAll(indexed, keys, n);
        return true;
    }

    void marketChanged(TrackedMarket after) {
        if (bound != null && !bound.sameShape(after)) bound = null;
    }

    void vaultChanged(VaultPosition after) {
        if (bound == null) return; // the next ensure rebuilds everything
        double key = bound.key(after);
        if (Double.isNaN(key)) index.remove(after.id());
        else index.put(after, key);
    }

    void vaultRemoved(long id) {
        index.remove(id);
    }
}

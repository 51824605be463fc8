package io.isomargin.indexer;

import java.util.Map;

/**
 * The mirror's current rows a batch's projection starts from.
 *
 * @param markets every market, by id (also how oracle logs find their markets)
 * @param vaults  at least every vault the batch's events touch that existed before the batch, by id
 * @param pendingRisk the pending ({@code proposed}) risk-parameter change of each market that has one, by market id
 */
public record MirrorState(Map<Long, MarketRow> markets, Map<Long, VaultRow> vaults,
        Map<Long, RiskChangeRow> pendingRisk) {
    public MirrorState {
        markets = Map.copyOf(markets);
        vaults = Map.copyOf(vaults);
        pendingRisk = Map.copyOf(pendingRisk);
    }

    /** Without pending risk changes. */
    public MirrorState(Map<Long, MarketRow> markets, Map<Long, VaultRow> vaults) {
        this(markets, vaults, Map.of());
    }
}

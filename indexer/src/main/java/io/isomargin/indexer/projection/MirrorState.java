package io.isomargin.indexer.projection;

import java.util.List;
import java.util.Map;

/**
 * The mirror's current rows a batch's projection starts from.
 *
 * @param markets every market, by id (also how oracle logs find their markets)
 * @param vaults  at least every vault the batch's events touch that existed before the batch, by id
 * @param pendingRisk the pending ({@code proposed}) risk-parameter change of each market that has one, by market id
 * @param policies    at least the guard policy row (active or revoked) of every vault the batch's guard events name
 *                    that has one, by vault id
 * @param recentTopUps at least the latest {@value GuardWindow#MAX_TOP_UPS_PER_DAY} top-ups of every vault the batch
 *                    tops up, by vault id (the ones its rolling cap may still count)
 */
public record MirrorState(Map<Long, MarketRow> markets, Map<Long, VaultRow> vaults,
        Map<Long, RiskChangeRow> pendingRisk, Map<Long, GuardPolicyRow> policies,
        Map<Long, List<TopUpRow>> recentTopUps) {
    public MirrorState {
        markets = Map.copyOf(markets);
        vaults = Map.copyOf(vaults);
        pendingRisk = Map.copyOf(pendingRisk);
        policies = Map.copyOf(policies);
        recentTopUps = Map.copyOf(recentTopUps);
    }

    /** Without guard policies and top-ups. */
    public MirrorState(Map<Long, MarketRow> markets, Map<Long, VaultRow> vaults,
            Map<Long, RiskChangeRow> pendingRisk) {
        this(markets, vaults, pendingRisk, Map.of(), Map.of());
    }

    /** Without pending risk changes. */
    public MirrorState(Map<Long, MarketRow> markets, Map<Long, VaultRow> vaults) {
        this(markets, vaults, Map.of());
    }
}

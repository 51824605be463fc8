package io.isomargin.indexer.projection;

import java.math.BigInteger;
import java.util.List;

/**
 * The row changes one {@link io.isomargin.abi.follower.LogBatch} makes to the mirror, in log order. Every history
 * entry carries the row's state after its event; the store upserts the last one per key into the current tables.
 */
public record MirrorChanges(
        List<VaultChange> vaults,
        List<MarketChange> markets,
        List<TierChange> tiers,
        List<LenderChange> lenders,
        List<OperatorChange> operators,
        List<PriceRow> prices,
        List<LiquidationRow> liquidations,
        List<InsuranceEvent> insuranceEvents,
        List<RiskChange> riskChanges,
        List<PolicyChange> policies,
        List<TopUpRow> topUps) {

    public MirrorChanges {
        vaults = List.copyOf(vaults);
        markets = List.copyOf(markets);
        tiers = List.copyOf(tiers);
        lenders = List.copyOf(lenders);
        operators = List.copyOf(operators);
        prices = List.copyOf(prices);
        liquidations = List.copyOf(liquidations);
        insuranceEvents = List.copyOf(insuranceEvents);
        riskChanges = List.copyOf(riskChanges);
        policies = List.copyOf(policies);
        topUps = List.copyOf(topUps);
    }

    /** Number of rows the changes write, history and facts counted once each. */
    public int size() {
        return vaults.size() + markets.size() + tiers.size() + lenders.size() + operators.size() + prices.size()
                + liquidations.size() + insuranceEvents.size() + riskChanges.size() + policies.size() + topUps.size();
    }

    /** A vault event: the vault before and after it. */
    public record VaultChange(EventRef at, BigInteger collateralBefore, BigInteger debtSharesBefore, VaultRow after) {}

    public record MarketChange(EventRef at, MarketRow after) {}

    public record TierChange(EventRef at, TierRow after) {}

    public record LenderChange(EventRef at, LenderRow after) {}

    public record OperatorChange(EventRef at, OperatorRow after) {}

    /** A risk-parameter change created or resolved by the event at {@code at}: the row after it. */
    public record RiskChange(EventRef at, RiskChangeRow after) {}

    /** A margin-guard policy set, replaced or revoked by the event at {@code at}: the row after it. */
    public record PolicyChange(EventRef at, Action action, GuardPolicyRow after) {
        /** What the event did; {@link #column()} is its value in {@code guard_policy_history.action}. */
        public enum Action {
            /** A {@code PolicySet} for a vault without an active policy. */
            SET("set"),
            /** A {@code PolicySet} over an active policy. */
            REPLACED("replaced"),
            /** A {@code PolicyRevoked} of an active policy. */
            REVOKED("revoked"),
            /** A {@code ToppedUp}: the same terms, re-armed at the position the top-up left. */
            TOPPED_UP("topped_up");

            private final String column;

            Action(String column) {
                this.column = column;
            }

            public String column() {
                return column;
            }

            /** The action stored as {@code column}. */
            public static Action of(String column) {
                for (Action a : values()) {
                    if (a.column.equals(column)) return a;
                }
                throw new IllegalArgumentException("unknown policy action " + column);
            }
        }
    }

    /** One tier of a market's margins (bps), as {@code TierSet} emits it. */
    public record TierRow(long marketId, int index, BigInteger minValue, int imBps, int mmFromBps, int mmToBps) {}

    /** A lender's supply shares in a market; {@code lender} lower-case. */
    public record LenderRow(long marketId, String lender, BigInteger shares, long updatedBlock) {}

    /** Whether {@code operator} may manage {@code owner}'s vaults. */
    public record OperatorRow(String owner, String operator, boolean approved, long updatedBlock) {}

    /** One {@code AnswerUpdated} of a market's oracle. */
    public record PriceRow(long marketId, long blockNumber, int logIndex, String txHash, BigInteger answer,
            BigInteger roundId, long updatedAt) {}

    /** One {@code Liquidated}, with the {@code BadDebtRealized} of the same vault and transaction (zeros if none). */
    public record LiquidationRow(EventRef at, long vaultId, long marketId, String liquidator, BigInteger repaidAssets,
            BigInteger repaidShares, BigInteger seizedCollateral, BigInteger protocolFee, BigInteger collateralAfter,
            BigInteger debtSharesAfter, BigInteger badDebt, BigInteger coveredByInsurance, BigInteger socialized) {}

    /** Money into or out of a market's insurance fund. */
    public record InsuranceEvent(EventRef at, long marketId, Kind kind, BigInteger amount, String account) {
        public enum Kind {
            FUNDED("funded"), PROTOCOL_FEE("protocol_fee"), BAD_DEBT_COVER("bad_debt_cover");

            private final String column;

            Kind(String column) {
                this.column = column;
            }

            /** The value stored in {@code insurance_events.kind}. */
            public String column() {
                return column;
            }
        }
    }
}

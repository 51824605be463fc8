package io.isomargin.indexer.projection;

import io.isomargin.indexer.projection.MarketRow.InterestParams;
import io.isomargin.indexer.projection.MarketRow.LiquidationParams;
import java.util.Objects;

/**
 * One change of a market's timelocked risk parameters (the engine's {@code RiskUpdate}), as mirrored in
 * {@code risk_changes}: a proposal ({@code RiskParamsProposed}) and what became of it, or a change that loosened every
 * field and so applied at once (no proposal: its {@code ...Updated} events alone).
 *
 * @param proposedBlock    block of the log that made the change (the proposal, or the {@code InterestParamsUpdated}
 *                         of an immediate change); with {@code proposedLogIndex} the row's key
 * @param proposedTx       its transaction (lower-case hex)
 * @param status           what became of it
 * @param executableAt     from when anyone may execute the proposal (seconds); null for {@link Status#APPLIED}
 * @param maxOracleAge     seconds
 * @param liquidation      bonus, protocol fee, close factor, minimum debt
 * @param interest         rate model and reserve factor
 * @param resolved         the log that ended the proposal (its execution, cancellation or the proposal replacing it);
 *                         null while pending and for immediate changes
 * @param executedBy       who executed it (lower-case), for {@link Status#EXECUTED}
 * @param updatedBlock     block of the last event that changed the row
 */
public record RiskChangeRow(long proposedBlock, int proposedLogIndex, String proposedTx, long marketId, Status status,
        Long executableAt, long maxOracleAge, LiquidationParams liquidation, InterestParams interest,
        Position resolved, String executedBy, long updatedBlock) {

    public RiskChangeRow {
        Objects.requireNonNull(proposedTx, "proposedTx");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(liquidation, "liquidation");
        Objects.requireNonNull(interest, "interest");
    }

    /** A log's coordinates. */
    public record Position(long block, int logIndex, String txHash) {}

    /** What became of a change; {@link #column()} is its value in {@code risk_changes.status}. */
    public enum Status {
        /** Pending: waits for its {@code executableAt}, then for anyone to execute it. At most one per market. */
        PROPOSED("proposed"),
        /** Applied by {@code executeRiskParams}. */
        EXECUTED("executed"),
        /** Dropped by {@code cancelRiskParams}. */
        CANCELLED("cancelled"),
        /** A later proposal took its place before it was executed. */
        REPLACED("replaced"),
        /** Loosened every field: applied at once by {@code setRiskParams}, never pending. */
        APPLIED("applied");

        private final String column;

        Status(String column) {
            this.column = column;
        }

        public String column() {
            return column;
        }

        /** The status stored as {@code column}. */
        public static Status of(String column) {
            for (Status s : values()) {
                if (s.column.equals(column)) return s;
            }
            throw new IllegalArgumentException("unknown risk change status " + column);
        }
    }

    /** This proposal, ended with {@code status} by the event at {@code at} ({@code executor}: who executed it). */
    RiskChangeRow resolved(Status status, Position at, String executor, long block) {
        return new RiskChangeRow(proposedBlock, proposedLogIndex, proposedTx, marketId, status, executableAt,
                maxOracleAge, liquidation, interest, at, executor, block);
    }
}

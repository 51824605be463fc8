-- Engine v2.
--
-- 1. MarketStateUpdated carries the market's interestRemainder (interest below one loan unit, in loan units x 1e18,
--    carried to the next accrual). Markets mirrored before this migration get 0 until their next MarketStateUpdated
--    (a v1 engine has no remainder).
-- 2. Risk parameters change through a timelock: RiskParamsProposed / RiskParamsExecuted / RiskParamsCancelled. Every
--    change is a row of risk_changes, keyed by the log that made it (the proposal, or for a change that loosened
--    every field and applied at once, its InterestParamsUpdated). Its status moves on with later events, so, like the
--    other current tables, it has a history table holding the row's post-state after each event that changed it,
--    and a rollback rebuilds it from the history that remains (see MirrorTables.rollbackScript).

ALTER TABLE markets ADD COLUMN interest_remainder numeric(78,0) NOT NULL DEFAULT 0;
ALTER TABLE market_history ADD COLUMN interest_remainder numeric(78,0) NOT NULL DEFAULT 0;

-- status: 'proposed' (pending; at most one per market), 'executed' (applied by executeRiskParams), 'cancelled'
-- (cancelRiskParams), 'replaced' (a later proposal took its place before it ran), 'applied' (loosened every field:
-- applied at once, never pending). executable_at is null for 'applied'. resolved_* name the log that ended a
-- proposal (the execution, cancellation or replacing proposal); executed_by is who executed it.
CREATE TABLE risk_changes (
    proposed_block        bigint  NOT NULL,
    proposed_log_index    integer NOT NULL,
    proposed_tx           text    NOT NULL,
    market_id             bigint  NOT NULL,
    status                text    NOT NULL
        CHECK (status IN ('proposed', 'executed', 'cancelled', 'replaced', 'applied')),
    executable_at         bigint,
    max_oracle_age        bigint  NOT NULL,
    liquidation_bonus_bps integer NOT NULL,
    protocol_fee_bps      integer NOT NULL,
    close_factor_bps      integer NOT NULL,
    reserve_factor_bps    integer NOT NULL,
    min_debt              numeric(78,0) NOT NULL,
    base_rate_per_second  numeric(78,0) NOT NULL,
    slope1_per_second     numeric(78,0) NOT NULL,
    slope2_per_second     numeric(78,0) NOT NULL,
    kink                  numeric(78,0) NOT NULL,
    resolved_block        bigint,
    resolved_log_index    integer,
    resolved_tx           text,
    executed_by           text,
    updated_block         bigint  NOT NULL,
    PRIMARY KEY (proposed_block, proposed_log_index)
);
CREATE INDEX risk_changes_market ON risk_changes (market_id, proposed_block DESC, proposed_log_index DESC);
CREATE INDEX risk_changes_pending ON risk_changes (market_id) WHERE status = 'proposed';

-- The risk_changes row after each event that changed it. One log can change two rows (a proposal replacing the
-- pending one), hence the row's key in the primary key.
CREATE TABLE risk_change_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    event        text    NOT NULL,
    LIKE risk_changes,
    PRIMARY KEY (block_number, log_index, proposed_block, proposed_log_index)
);
CREATE INDEX risk_change_history_key ON risk_change_history
    (proposed_block, proposed_log_index, block_number DESC, log_index DESC);

-- The margin guard (MarginGuard): owners' policies for pre-authorized top-ups from their wallets, and the top-ups.
--
-- 1. indexer_meta.guard: the guard this database follows with the engine (null: the deployment has none). A database
--    whose mirror was written without following the guard is refused when a guard is configured (its policies and
--    top-ups would be missing); see IndexerMeta.mismatch.
-- 2. cursor.block_timestamp: the time of the cursor block (null in rows written before this migration). The rolling
--    24-hour cap is counted back from it, so a guard deployment records it for every batch, also for final ranges
--    whose headers are not kept in blocks.
-- 3. guard_policies is a current table like vaults: the policy of each vault that ever had one ('active', or
--    'revoked' with the terms it had), and guard_policy_history holds its post-state after each PolicySet (action
--    'set', or 'replaced' when an active policy was overwritten) and PolicyRevoked ('revoked'). A rollback rebuilds it
--    from the history that remains. A PolicyRevoked for a vault without an active policy changes nothing and is not
--    mirrored.
-- 4. guard_top_ups is a fact table like liquidations: one row per ToppedUp with the event's post-state and the time of
--    its block. taken is what the top-up took from the owner's wallet as the guard's rolling cap counts it (amount plus
--    fee as computed before the engine took its part), derived exactly from the event's used_last_24h minus the
--    vault's earlier top-ups still inside the 24 hours before it. What the vault's top-ups used at time T is then the
--    sum of taken over its top-ups with block_timestamp > T - 86400, exactly the guard's usedLast24h view.

ALTER TABLE indexer_meta ADD COLUMN guard text CHECK (guard ~ '^0x[0-9a-f]{40}$');
ALTER TABLE cursor ADD COLUMN block_timestamp bigint;

-- mode: 'deposit_collateral' (collateral tokens from the wallet) or 'repay_debt' (loan tokens); healths are WAD;
-- caps count amount plus fee, in the token the mode moves. set_* name the PolicySet that set the terms;
-- revoked_by is who revoked them (status 'revoked').
CREATE TABLE guard_policies (
    vault_id       bigint  PRIMARY KEY,
    status         text    NOT NULL CHECK (status IN ('active', 'revoked')),
    owner          text    NOT NULL,
    mode           text    NOT NULL CHECK (mode IN ('deposit_collateral', 'repay_debt')),
    trigger_health numeric(78,0) NOT NULL,
    target_health  numeric(78,0) NOT NULL,
    fee_bps        integer NOT NULL,
    expiry         bigint  NOT NULL,
    max_per_top_up numeric(78,0) NOT NULL,
    max_per_day    numeric(78,0) NOT NULL,
    set_by         text    NOT NULL,
    set_block      bigint  NOT NULL,
    set_log_index  integer NOT NULL,
    set_tx         text    NOT NULL,
    revoked_by     text,
    updated_block  bigint  NOT NULL
);
CREATE INDEX guard_policies_active ON guard_policies (vault_id) WHERE status = 'active';

CREATE TABLE guard_policy_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    action       text    NOT NULL CHECK (action IN ('set', 'replaced', 'revoked')),
    LIKE guard_policies,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX guard_policy_history_key ON guard_policy_history (vault_id, block_number DESC, log_index DESC);

CREATE TABLE guard_top_ups (
    block_number    bigint  NOT NULL,
    log_index       integer NOT NULL,
    tx_hash         text    NOT NULL,
    block_timestamp bigint  NOT NULL,
    vault_id        bigint  NOT NULL,
    market_id       bigint  NOT NULL,
    owner           text    NOT NULL,
    executor        text    NOT NULL,
    mode            text    NOT NULL CHECK (mode IN ('deposit_collateral', 'repay_debt')),
    amount          numeric(78,0) NOT NULL,
    fee             numeric(78,0) NOT NULL,
    health_before   numeric(78,0) NOT NULL,
    health_after    numeric(78,0) NOT NULL,
    used_last_24h   numeric(78,0) NOT NULL,
    taken           numeric(78,0) NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX guard_top_ups_vault ON guard_top_ups (vault_id, block_number DESC, log_index DESC);
CREATE INDEX guard_top_ups_market ON guard_top_ups (market_id, block_number);
CREATE INDEX guard_top_ups_time ON guard_top_ups (block_timestamp);

-- The mirror of one IsomarginEngine deployment.
--
-- Conventions: uint256/uint128 amounts are numeric(78,0) (exact, any uint256); addresses are lower-case 0x text;
-- market and vault ids are counters and fit bigint; block timestamps and oracle/ramp times are bigint seconds.
--
-- Every "current" table (vaults, markets, market_tiers, lenders, operators) has a *_history table holding the
-- POST-state of the row after each event that changed it, keyed by (block_number, log_index). The current row is
-- always the latest history row of its key: a rollback deletes the history above the common ancestor and rebuilds the
-- affected current rows from the history that remains. Append-only facts (prices, liquidations, insurance_events) are
-- simply deleted above the ancestor.

-- Which chain and engine this database mirrors; the indexer refuses to run against another.
CREATE TABLE indexer_meta (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    chain_id     bigint  NOT NULL,
    engine       text    NOT NULL CHECK (engine ~ '^0x[0-9a-f]{40}$'),
    deploy_block bigint  NOT NULL CHECK (deploy_block >= 0)
);

-- The last block whose logs are committed. block_hash is null when that block was already final when indexed (the
-- follower fetches no header for final ranges).
CREATE TABLE cursor (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    block_number bigint  NOT NULL CHECK (block_number >= 0),
    block_hash   text
);

-- Headers of the recent, unfinalized blocks: handed back to the chain follower after a restart so a reorg that
-- happened while the indexer was down is still detected. Pruned below the reorg window.
CREATE TABLE blocks (
    number      bigint PRIMARY KEY,
    hash        text   NOT NULL,
    parent_hash text   NOT NULL,
    timestamp   bigint NOT NULL
);

-- Markets: config from MarketCreated, risk parameters from the *Updated / TierSet events (null until their first
-- event, which the engine emits in the creating transaction), state from MarketStateUpdated and PauseSet.
CREATE TABLE markets (
    market_id             bigint PRIMARY KEY,
    loan_token            text   NOT NULL,
    collateral_token      text   NOT NULL,
    oracle                text   NOT NULL,
    price_scale           numeric(78,0) NOT NULL,
    created_block         bigint NOT NULL,
    max_oracle_age        bigint,
    liquidation_bonus_bps integer,
    protocol_fee_bps      integer,
    close_factor_bps      integer,
    min_debt              numeric(78,0),
    base_rate_per_second  numeric(78,0),
    slope1_per_second     numeric(78,0),
    slope2_per_second     numeric(78,0),
    kink                  numeric(78,0),
    reserve_factor_bps    integer,
    supply_cap            numeric(78,0),
    borrow_cap            numeric(78,0),
    ramp_start            bigint,
    ramp_end              bigint,
    total_supply_assets   numeric(78,0) NOT NULL,
    total_supply_shares   numeric(78,0) NOT NULL,
    total_borrow_assets   numeric(78,0) NOT NULL,
    total_borrow_shares   numeric(78,0) NOT NULL,
    insurance_fund        numeric(78,0) NOT NULL,
    last_accrual          bigint NOT NULL,
    paused                boolean NOT NULL,
    updated_block         bigint NOT NULL
);
CREATE INDEX markets_oracle ON markets (oracle);

-- The market row after each event that changed it (same columns as markets).
CREATE TABLE market_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    event        text    NOT NULL,
    LIKE markets,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX market_history_key ON market_history (market_id, block_number DESC, log_index DESC);

-- One row per tier; the ramp window (ramp_start/ramp_end) is on markets.
CREATE TABLE market_tiers (
    market_id   bigint  NOT NULL,
    idx         integer NOT NULL,
    min_value   numeric(78,0) NOT NULL,
    im_bps      integer NOT NULL,
    mm_from_bps integer NOT NULL,
    mm_to_bps   integer NOT NULL,
    PRIMARY KEY (market_id, idx)
);

CREATE TABLE tier_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    LIKE market_tiers,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX tier_history_key ON tier_history (market_id, idx, block_number DESC, log_index DESC);

CREATE TABLE vaults (
    vault_id      bigint PRIMARY KEY,
    market_id     bigint NOT NULL,
    owner         text   NOT NULL,
    collateral    numeric(78,0) NOT NULL,
    debt_shares   numeric(78,0) NOT NULL,
    closed        boolean NOT NULL,
    opened_block  bigint NOT NULL,
    updated_block bigint NOT NULL
);
CREATE INDEX vaults_market ON vaults (market_id);
CREATE INDEX vaults_owner ON vaults (owner);

-- One row per vault-changing event. market_id, owner, closed and opened_block repeat the vault's post-state so a
-- rollback can rebuild the vault row from its latest history row alone.
CREATE TABLE vault_history (
    block_number        bigint  NOT NULL,
    log_index           integer NOT NULL,
    block_hash          text    NOT NULL,
    tx_hash             text    NOT NULL,
    event               text    NOT NULL,
    vault_id            bigint  NOT NULL,
    market_id           bigint  NOT NULL,
    owner               text    NOT NULL,
    collateral_before   numeric(78,0) NOT NULL,
    collateral_after    numeric(78,0) NOT NULL,
    debt_shares_before  numeric(78,0) NOT NULL,
    debt_shares_after   numeric(78,0) NOT NULL,
    closed              boolean NOT NULL,
    opened_block        bigint  NOT NULL,
    UNIQUE (block_number, log_index)
);
CREATE INDEX vault_history_vault ON vault_history (vault_id, block_number DESC, log_index DESC);

CREATE TABLE lenders (
    market_id     bigint NOT NULL,
    lender        text   NOT NULL,
    shares        numeric(78,0) NOT NULL,
    updated_block bigint NOT NULL,
    PRIMARY KEY (market_id, lender)
);
CREATE INDEX lenders_lender ON lenders (lender);

CREATE TABLE lender_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    event        text    NOT NULL,
    market_id    bigint  NOT NULL,
    lender       text    NOT NULL,
    shares_after numeric(78,0) NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX lender_history_key ON lender_history (market_id, lender, block_number DESC, log_index DESC);

-- Operator approvals (setOperator): who may manage whose vaults.
CREATE TABLE operators (
    owner         text    NOT NULL,
    operator      text    NOT NULL,
    approved      boolean NOT NULL,
    updated_block bigint  NOT NULL,
    PRIMARY KEY (owner, operator)
);

CREATE TABLE operator_history (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    owner        text    NOT NULL,
    operator     text    NOT NULL,
    approved     boolean NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX operator_history_key ON operator_history (owner, operator, block_number DESC, log_index DESC);

-- One row per AnswerUpdated of a market's oracle (a feed shared by two markets gives a row for each).
CREATE TABLE prices (
    market_id    bigint  NOT NULL,
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    answer       numeric(78,0) NOT NULL,
    round_id     numeric(78,0) NOT NULL,
    updated_at   bigint  NOT NULL,
    PRIMARY KEY (market_id, block_number, log_index)
);

-- One row per Liquidated event; the bad-debt columns come from the BadDebtRealized the engine emits just before it
-- in the same transaction (zero when none).
CREATE TABLE liquidations (
    block_number         bigint  NOT NULL,
    log_index            integer NOT NULL,
    tx_hash              text    NOT NULL,
    vault_id             bigint  NOT NULL,
    market_id            bigint  NOT NULL,
    liquidator           text    NOT NULL,
    repaid_assets        numeric(78,0) NOT NULL,
    repaid_shares        numeric(78,0) NOT NULL,
    seized_collateral    numeric(78,0) NOT NULL,
    protocol_fee         numeric(78,0) NOT NULL,
    collateral_after     numeric(78,0) NOT NULL,
    debt_shares_after    numeric(78,0) NOT NULL,
    bad_debt             numeric(78,0) NOT NULL,
    covered_by_insurance numeric(78,0) NOT NULL,
    socialized           numeric(78,0) NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX liquidations_market ON liquidations (market_id, block_number);
CREATE INDEX liquidations_vault ON liquidations (vault_id);

-- Money into and out of insurance funds: 'funded' (fundInsurance), 'protocol_fee' (a liquidation's fee),
-- 'bad_debt_cover' (paid out on BadDebtRealized). Interest reserves show in markets.insurance_fund only.
CREATE TABLE insurance_events (
    block_number bigint  NOT NULL,
    log_index    integer NOT NULL,
    tx_hash      text    NOT NULL,
    market_id    bigint  NOT NULL,
    kind         text    NOT NULL CHECK (kind IN ('funded', 'protocol_fee', 'bad_debt_cover')),
    amount       numeric(78,0) NOT NULL,
    account      text,
    PRIMARY KEY (block_number, log_index, kind)
);
CREATE INDEX insurance_events_market ON insurance_events (market_id, block_number);

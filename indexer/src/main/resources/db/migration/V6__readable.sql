-- What a person needs to read the mirror (issue 16): token symbols and decimals, and the time of every block that
-- holds a mirrored row.
--
-- 1. tokens: each market token's symbol() and decimals(), read once by eth_call when a market naming it is first seen
--    (and at start for the markets of a database from before this migration). Token metadata is immutable per
--    address, so a row is written outside any batch's transaction and never rolled back: a reorg that undoes a market
--    leaves its tokens' rows, which name nothing until a market names them again. symbol_source says where the symbol
--    came from: 'string' (ERC-20), 'bytes32' (early tokens such as MKR), or 'address' (symbol() reverted, is missing
--    or returned nothing readable: the symbol is the short address, 0xa0b8...eb48). decimals is null when the token
--    does not answer decimals() in 0..255 (its amounts are then served raw only).
-- 2. block_times: the time (seconds) of every block holding a mirrored log, and of the cursor's block, written in the
--    batch's transaction like the rows that name the block; a rollback deletes those above the common ancestor.
--    Filled here from what the mirror already holds (the kept headers, the top-ups' and the cursor's times); the
--    blocks of a database from before this migration that are still missing are read from the node at start.

CREATE TABLE tokens (
    address       text     PRIMARY KEY CHECK (address ~ '^0x[0-9a-f]{40}$'),
    symbol        text     NOT NULL,
    decimals      smallint CHECK (decimals BETWEEN 0 AND 255),
    symbol_source text     NOT NULL CHECK (symbol_source IN ('string', 'bytes32', 'address'))
);

CREATE TABLE block_times (
    number    bigint PRIMARY KEY,
    timestamp bigint NOT NULL
);

INSERT INTO block_times (number, timestamp) SELECT number, timestamp FROM blocks ON CONFLICT DO NOTHING;
INSERT INTO block_times (number, timestamp)
    SELECT DISTINCT ON (block_number) block_number, block_timestamp FROM guard_top_ups ON CONFLICT DO NOTHING;
INSERT INTO block_times (number, timestamp)
    SELECT block_number, block_timestamp FROM cursor WHERE block_timestamp IS NOT NULL ON CONFLICT DO NOTHING;

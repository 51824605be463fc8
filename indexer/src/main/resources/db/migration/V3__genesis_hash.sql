-- The hash of the chain's block 0, recorded at the first start after this migration: with the chain id and the engine
-- address it tells a database written against another chain of the same id (a dev chain started anew, where the same
-- deployer puts the engine at the same address) from this one. Null until recorded.
ALTER TABLE indexer_meta ADD COLUMN genesis_hash text CHECK (genesis_hash ~ '^0x[0-9a-f]{64}$');

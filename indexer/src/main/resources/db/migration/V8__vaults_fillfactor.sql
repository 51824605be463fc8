-- vaults is updated in place far more than it grows: every vault event of a batch upserts its vault's row. With
-- pages packed full (fillfactor 100) each new row version goes to another page, and every index of the table
-- (vaults_pkey, vaults_market, vaults_owner) gets a new entry for it. Leaving 30% of each page free lets PostgreSQL
-- keep the new version on the same page as a heap-only tuple (HOT), without index entries: the columns an upsert
-- changes (collateral, debt_shares, closed, updated_block) are in no index, and market_id and owner are written with
-- the values they had.
--
-- Applies to pages written from now on; a mirror migrated with rows keeps its full pages until they are rewritten
-- (VACUUM FULL, or a rebuild of the mirror).

ALTER TABLE vaults SET (fillfactor = 70);

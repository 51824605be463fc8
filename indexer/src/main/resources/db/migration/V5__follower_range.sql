-- The chain follower's eth_getLogs range (blocks) after the last committed batch: what the answers of this chain taught
-- it (logs and bytes per block). The next start resumes from it instead of follower.initial-range, so a restart on a
-- dense chain does not ask for a range its answers cannot hold again. Null until the first batch is committed; a
-- hint only (kept out of the batch's transaction): losing an update costs a few resized requests, never data.
ALTER TABLE indexer_meta ADD COLUMN follower_range integer CHECK (follower_range >= 1);

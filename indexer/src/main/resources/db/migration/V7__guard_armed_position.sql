-- The margin guard's armed position: the collateral and debt shares a policy defends (MarginGuard.armedPosition).
-- A top-up reverts RiskRaisedSinceArmed while the vault holds more debt shares or less collateral per share than
-- that, so a policy defends a vault only while it is "armed"; the risk view and the API need it to tell a guarded
-- vault from a disarmed one. PolicySet and ToppedUp carry it (armedCollateral, armedDebtShares), so it is mirrored
-- from logs like every other figure.
--
-- 1. guard_policies and guard_policy_history gain armed_collateral and armed_debt_shares: the record after each
--    event; zero for a revoked policy (the guard deletes it). Rows written before this migration (by an indexer of a
--    guard whose events did not carry it) read as zero, which defends no vault with debt.
-- 2. guard_policy_history.action gains 'topped_up': a top-up re-arms the vault at the position it left, so it
--    changes the policy row, and a rollback rebuilds that row from the history like every other change.

ALTER TABLE guard_policies ADD COLUMN armed_collateral numeric(78,0) NOT NULL DEFAULT 0,
                           ADD COLUMN armed_debt_shares numeric(78,0) NOT NULL DEFAULT 0;
ALTER TABLE guard_policy_history ADD COLUMN armed_collateral numeric(78,0) NOT NULL DEFAULT 0,
                                 ADD COLUMN armed_debt_shares numeric(78,0) NOT NULL DEFAULT 0;
ALTER TABLE guard_policies ALTER COLUMN armed_collateral DROP DEFAULT, ALTER COLUMN armed_debt_shares DROP DEFAULT;
ALTER TABLE guard_policy_history ALTER COLUMN armed_collateral DROP DEFAULT,
                                 ALTER COLUMN armed_debt_shares DROP DEFAULT;
ALTER TABLE guard_policy_history DROP CONSTRAINT guard_policy_history_action_check;
ALTER TABLE guard_policy_history ADD CONSTRAINT guard_policy_history_action_check
    CHECK (action IN ('set', 'replaced', 'revoked', 'topped_up'));

-- sigstack ledger schema, version 2 (PostgreSQL): the writer lease epoch (fencing token).
--
-- Taking a shard's writer lease increments lease_epoch (creating a placeholder tree_state row
-- with an empty checkpoint for a shard that has none yet); every integration compares it with
-- the epoch its batch was built under, in the same transaction and under the same row lock as
-- the size compare-and-swap, and refuses a batch from an older epoch. So a process whose lease
-- died (its session was cut) can no longer commit once another process has taken the lease.
-- Kept in step with migrations/sqlite/0002_lease_epoch.sql.

ALTER TABLE tree_state
    ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0 CHECK (lease_epoch >= 0);
COMMENT ON COLUMN tree_state.lease_epoch IS
    'Writer lease epoch: incremented by each process that takes the shard''s lease; a batch built under another epoch is refused (fencing). 0 = the lease was never taken.';
COMMENT ON COLUMN tree_state.checkpoint IS
    'The signed checkpoint (signed-note bytes) for size and root, written in the same transaction; empty only in the placeholder row a lease creates before the tree''s first batch.';

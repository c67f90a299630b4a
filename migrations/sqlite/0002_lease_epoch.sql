-- sigstack ledger schema, version 2 (SQLite): the writer lease epoch (fencing token).
--
-- Taking a shard's writer lease increments lease_epoch (creating a placeholder tree_state row
-- with an empty checkpoint for a shard that has none yet); every integration compares it with
-- the epoch its batch was built under, inside the same BEGIN IMMEDIATE transaction as the size
-- compare-and-swap, and refuses a batch from an older epoch. Kept in step with
-- migrations/postgres/0002_lease_epoch.sql.
--
-- tree_state.checkpoint is empty only in that placeholder row (the tree is not initialised).

-- Writer lease epoch: incremented by each process that takes the shard's lease; a batch built
-- under another epoch is refused (fencing). 0 = the lease was never taken.
ALTER TABLE tree_state
    ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0 CHECK (lease_epoch >= 0);

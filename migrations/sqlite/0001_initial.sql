-- sigstack ledger schema, version 1 (SQLite, the embedded default).
--
-- Applied by `sigstack migrate` (or at start-up for the embedded database) inside one
-- transaction; the migrator records the version in schema_version afterwards. The same
-- logical schema exists for PostgreSQL in migrations/postgres/0001_initial.sql, where every
-- column also carries a COMMENT ON COLUMN; keep the two in step.
--
-- Invariants the engine relies on:
--   * entries, search_index and full tiles (width 256) are written once and never change;
--   * a partial tile row is only ever extended: replaced by a row at least as wide that starts
--     with the same hashes (the engine refuses a batch that would narrow or change one);
--   * tree_state holds one row per shard and is the only row ever updated in place; every
--     integration runs under BEGIN IMMEDIATE and compares its size.
-- Integers are SQLite INTEGER (64-bit signed); byte strings are BLOB.

-- One row per applied migration; the highest version is the schema version checked at start-up.
CREATE TABLE schema_version (
    -- Migration number (the NNNN of migrations/sqlite/NNNN_*.sql).
    version     INTEGER NOT NULL PRIMARY KEY,
    -- When the migration was applied, seconds since the Unix epoch (database clock).
    applied_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
) STRICT;

-- The one strongly consistent row per tree: compare-and-swapped by every integration.
CREATE TABLE tree_state (
    -- Tree identifier (a Rekor shard / tree ID, or the CT log's tree).
    shard       INTEGER NOT NULL PRIMARY KEY,
    -- Number of entries integrated into the tree; never decreases.
    size        INTEGER NOT NULL CHECK (size >= 0),
    -- RFC 6962 root hash (32 bytes) of the tree at size.
    root        BLOB    NOT NULL CHECK (length(root) = 32),
    -- The signed checkpoint (signed-note bytes) for size and root, written in the same transaction.
    checkpoint  BLOB    NOT NULL,
    -- When the row was last written, seconds since the Unix epoch; informational only.
    updated_at  INTEGER NOT NULL
) STRICT;

-- Every entry of every tree, immutable once written; entries_dedup is the dedup index.
CREATE TABLE entries (
    -- Tree the entry belongs to (tree_state.shard).
    shard            INTEGER NOT NULL,
    -- Position of the entry in its tree (0-based leaf index).
    idx              INTEGER NOT NULL CHECK (idx >= 0),
    -- RFC 6962 leaf hash of body (SHA-256 of 0x00 || body); unique per tree.
    leaf_hash        BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    -- The canonical entry bytes, opaque to the ledger.
    body             BLOB    NOT NULL,
    -- Seconds since the Unix epoch at which the entry was sequenced.
    integrated_time  INTEGER NOT NULL,
    -- Opaque kind label set by the service, e.g. hashedrekord:0.0.1.
    kind             TEXT    NOT NULL,
    -- Bytes the service's stamper produced at sequencing time (a Rekor SET, a CT SCT).
    receipt          BLOB    NOT NULL,
    PRIMARY KEY (shard, idx),
    CONSTRAINT entries_dedup UNIQUE (shard, leaf_hash)
) STRICT;

-- One row per C2SP tlog tile: full tiles (width 256) never change; the partial tile of a level
-- is replaced in place by wider ones, and readers cut a row to the width they ask for.
CREATE TABLE tiles (
    -- Tree the tile belongs to (tree_state.shard).
    shard   INTEGER NOT NULL,
    -- Tile level L: the tile holds hashes of tree level 8*L.
    level   INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    -- Index of the tile along its level.
    idx     INTEGER NOT NULL CHECK (idx >= 0),
    -- Number of hashes in the row, 1..256; 256 means full and immutable.
    width   INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
    -- The tile's hashes concatenated, 32 bytes each, left to right.
    hashes  BLOB    NOT NULL CHECK (length(hashes) = 32 * width),
    PRIMARY KEY (shard, level, idx)
) STRICT;

-- Search keys of entries (e.g. sha256:<digest>), written with the entry and never changed.
CREATE TABLE search_index (
    -- Tree of the entry found under key.
    shard  INTEGER NOT NULL,
    -- Opaque search key chosen by the service.
    key    TEXT    NOT NULL,
    -- Index of an entry filed under key (entries.idx).
    idx    INTEGER NOT NULL,
    PRIMARY KEY (shard, key, idx)
) STRICT, WITHOUT ROWID;

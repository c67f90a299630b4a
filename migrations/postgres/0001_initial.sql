-- sigstack ledger schema, version 1 (PostgreSQL).
--
-- Applied by `sigstack migrate` inside one transaction; the migrator records the version in
-- schema_version afterwards. The same logical schema exists for SQLite in
-- migrations/sqlite/0001_initial.sql: keep the two in step.
--
-- Invariants the engine relies on:
--   * entries, search_index and full tiles (width 256) are written once and never change;
--   * a partial tile row is only ever extended: replaced by a row at least as wide that starts
--     with the same hashes (the engine refuses a batch that would narrow or change one);
--   * tree_state holds one row per shard and is the only row ever updated in place; every
--     integration locks it (SELECT ... FOR UPDATE) and compares its size.

CREATE TABLE schema_version (
    version     BIGINT      NOT NULL PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_version IS
    'One row per applied migration; the highest version is the schema version checked at start-up.';
COMMENT ON COLUMN schema_version.version IS
    'Migration number (the NNNN of migrations/postgres/NNNN_*.sql).';
COMMENT ON COLUMN schema_version.applied_at IS
    'When the migration was applied (database clock).';

CREATE TABLE tree_state (
    shard       BIGINT      NOT NULL PRIMARY KEY,
    size        BIGINT      NOT NULL CHECK (size >= 0),
    root        BYTEA       NOT NULL CHECK (length(root) = 32),
    checkpoint  BYTEA       NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE tree_state IS
    'The one strongly consistent row per tree: compare-and-swapped by every integration.';
COMMENT ON COLUMN tree_state.shard IS
    'Tree identifier (a Rekor shard / tree ID, or the CT log''s tree).';
COMMENT ON COLUMN tree_state.size IS
    'Number of entries integrated into the tree; never decreases.';
COMMENT ON COLUMN tree_state.root IS
    'RFC 6962 root hash (32 bytes) of the tree at size.';
COMMENT ON COLUMN tree_state.checkpoint IS
    'The signed checkpoint (signed-note bytes) for size and root, written in the same transaction.';
COMMENT ON COLUMN tree_state.updated_at IS
    'When the row was last written (database clock); informational only.';

CREATE TABLE entries (
    shard            BIGINT NOT NULL,
    idx              BIGINT NOT NULL CHECK (idx >= 0),
    leaf_hash        BYTEA  NOT NULL CHECK (length(leaf_hash) = 32),
    body             BYTEA  NOT NULL,
    integrated_time  BIGINT NOT NULL,
    kind             TEXT   NOT NULL,
    receipt          BYTEA  NOT NULL,
    PRIMARY KEY (shard, idx),
    CONSTRAINT entries_dedup UNIQUE (shard, leaf_hash)
);
COMMENT ON TABLE entries IS
    'Every entry of every tree, immutable once written; the entries_dedup constraint is the dedup index.';
COMMENT ON COLUMN entries.shard IS
    'Tree the entry belongs to (tree_state.shard).';
COMMENT ON COLUMN entries.idx IS
    'Position of the entry in its tree (0-based leaf index).';
COMMENT ON COLUMN entries.leaf_hash IS
    'RFC 6962 leaf hash of body (SHA-256 of 0x00 || body); unique per tree.';
COMMENT ON COLUMN entries.body IS
    'The canonical entry bytes, opaque to the ledger.';
COMMENT ON COLUMN entries.integrated_time IS
    'Seconds since the Unix epoch at which the entry was sequenced.';
COMMENT ON COLUMN entries.kind IS
    'Opaque kind label set by the service, e.g. hashedrekord:0.0.1.';
COMMENT ON COLUMN entries.receipt IS
    'Bytes the service''s stamper produced at sequencing time (a Rekor SET, a CT SCT).';

CREATE TABLE tiles (
    shard   BIGINT   NOT NULL,
    level   SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx     BIGINT   NOT NULL CHECK (idx >= 0),
    width   SMALLINT NOT NULL CHECK (width BETWEEN 1 AND 256),
    hashes  BYTEA    NOT NULL CHECK (length(hashes) = 32 * width),
    PRIMARY KEY (shard, level, idx)
);
-- Tile hashes are random bytes: compressing them only costs CPU.
ALTER TABLE tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE tiles IS
    'One row per C2SP tlog tile: full tiles (width 256) never change; the partial tile of a level is replaced in place by wider ones, and readers cut a row to the width they ask for.';
COMMENT ON COLUMN tiles.shard IS
    'Tree the tile belongs to (tree_state.shard).';
COMMENT ON COLUMN tiles.level IS
    'Tile level L: the tile holds hashes of tree level 8*L.';
COMMENT ON COLUMN tiles.idx IS
    'Index of the tile along its level.';
COMMENT ON COLUMN tiles.width IS
    'Number of hashes in the row, 1..256; 256 means full and immutable.';
COMMENT ON COLUMN tiles.hashes IS
    'The tile''s hashes concatenated, 32 bytes each, left to right.';

CREATE TABLE search_index (
    shard  BIGINT NOT NULL,
    key    TEXT   NOT NULL,
    idx    BIGINT NOT NULL,
    PRIMARY KEY (shard, key, idx)
);
COMMENT ON TABLE search_index IS
    'Search keys of entries (e.g. sha256:<digest>), written with the entry and never changed.';
COMMENT ON COLUMN search_index.shard IS
    'Tree of the entry found under key.';
COMMENT ON COLUMN search_index.key IS
    'Opaque search key chosen by the service.';
COMMENT ON COLUMN search_index.idx IS
    'Index of an entry filed under key (entries.idx).';

//! Schema migrations for the SQLite engine and the version check done at open.
//!
//! The migration files live in `migrations/sqlite/` at the workspace root and are compiled
//! into the binary, so an air-gapped install needs nothing beside the executable. Each
//! migration runs in its own `BEGIN IMMEDIATE` transaction together with the
//! `schema_version` row that records it: a crash leaves the schema at a whole version.

use sqlx::{Connection, SqliteConnection};

use crate::sql_common::engine;
use crate::store::StoreError;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 2;

/// Every migration, in order: `(version, SQL)`. Versions are consecutive from 1.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        include_str!("../../../../migrations/sqlite/0002_lease_epoch.sql"),
    ),
];

/// The schema version of the database behind `conn`: 0 when it was never migrated.
pub(crate) async fn current_version(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(engine("looking for the schema_version table"))?;
    if !has_table {
        return Ok(0);
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
        .fetch_one(&mut *conn)
        .await
        .map_err(engine("reading the schema version"))?;
    Ok(version.unwrap_or(0))
}

/// Fails with [`StoreError::SchemaVersion`] unless the database is at [`SCHEMA_VERSION`].
pub(crate) async fn check_version(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let found = current_version(conn).await?;
    if found == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(StoreError::SchemaVersion {
            expected: SCHEMA_VERSION,
            found,
        })
    }
}

/// Applies every migration the database lacks and returns the resulting version.
///
/// Refuses (with [`StoreError::SchemaVersion`]) a database newer than this build: it cannot
/// be downgraded, and writing to it could break the newer build's invariants.
pub(crate) async fn apply(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    for (version, sql) in MIGRATIONS {
        let mut tx = conn
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(engine("starting a migration"))?;
        let found = current_version(&mut tx).await?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaVersion {
                expected: SCHEMA_VERSION,
                found,
            });
        }
        if found >= *version {
            continue;
        }
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(engine("applying a schema migration"))?;
        sqlx::query("INSERT INTO schema_version (version) VALUES (?1)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(engine("recording the schema version"))?;
        tx.commit()
            .await
            .map_err(engine("committing a schema migration"))?;
    }
    current_version(conn).await
}

//! Schema migrations for the PostgreSQL engine and the version check done at connect.
//!
//! The migration files live in `migrations/postgres/` at the workspace root and are
//! compiled into the binary. All pending migrations run in one transaction with the
//! `schema_version` rows that record them (PostgreSQL DDL is transactional), under a
//! transaction-scoped advisory lock so two `sigstack migrate` runs cannot interleave.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::lock_key;
use crate::sql_common::engine;
use crate::store::StoreError;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 2;

/// Every migration, in order: `(version, SQL)`. Versions are consecutive from 1.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        include_str!("../../../../migrations/postgres/0002_lease_epoch.sql"),
    ),
];

/// The schema version of the database behind `conn`: 0 when it was never migrated.
pub(crate) async fn current_version(conn: &mut PgConnection) -> Result<i64, StoreError> {
    let has_table: bool = sqlx::query_scalar("SELECT to_regclass('schema_version') IS NOT NULL")
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
pub(crate) async fn check_version(conn: &mut PgConnection) -> Result<(), StoreError> {
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
pub(crate) async fn apply(options: &PgConnectOptions) -> Result<i64, StoreError> {
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(engine("connecting to PostgreSQL to migrate"))?;
    let mut tx = conn
        .begin()
        .await
        .map_err(engine("starting the migration"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock_key("sigstack-ledger migrate", 0))
        .execute(&mut *tx)
        .await
        .map_err(engine("taking the migration lock"))?;
    let found = current_version(&mut tx).await?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaVersion {
            expected: SCHEMA_VERSION,
            found,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > found) {
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(engine("applying a schema migration"))?;
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(engine("recording the schema version"))?;
    }
    tx.commit()
        .await
        .map_err(engine("committing the schema migration"))?;
    let version = current_version(&mut conn).await?;
    // Best effort: the server ends the session anyway when the socket closes.
    let _ = conn.close().await;
    Ok(version)
}

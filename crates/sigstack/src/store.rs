//! Which storage engine a database URL means, and how to open it.
//!
//! The ledger and the services are generic over [`Store`], so each engine gets its own
//! monomorphized copy of everything above it: no `dyn` on the hot path, and the engines can
//! keep their own lease and error types. The price is that code needing "some store" is
//! written once as a [`StoreTask`] and [`with_store`] instantiates it per engine.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use sigstack_ledger::postgres::PgStore;
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::store::Store;
use sigstack_ledger::ReplicaReads;

use crate::config::DatabaseUrl;

/// Work that runs against whichever engine the URL names.
pub trait StoreTask {
    /// What the task returns.
    type Output;

    /// Runs with the opened store.
    fn run<S: Store>(self, store: Arc<S>) -> impl Future<Output = Result<Self::Output>>;
}

/// How to treat a database that is not at this build's schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Create and upgrade SQLite files in place: the embedded default is nobody's to
    /// migrate by hand. PostgreSQL is never migrated implicitly (its schema belongs to the
    /// operator, who runs `sigstack migrate` as part of a deploy).
    MigrateSqlite,
    /// Refuse anything not already at this build's version.
    Require,
}

/// How long a process that reads from a replica waits for the primary before it serves
/// the replica's own head (see `sigstack_ledger::replica`).
const PRIMARY_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens the database `url` names and runs `task` on it, closing the store afterwards.
pub async fn with_store<T: StoreTask>(
    url: &DatabaseUrl,
    schema: Schema,
    task: T,
) -> Result<T::Output> {
    with_stores(url, None, schema, task).await
}

/// [`with_store`], with a hot-standby replica of a PostgreSQL `url` to read from while not
/// the writer. PostgreSQL always runs through [`ReplicaReads`] (a plain pass-through
/// without a replica), so the services are compiled for one PostgreSQL store type only.
pub async fn with_stores<T: StoreTask>(
    url: &DatabaseUrl,
    read_url: Option<&str>,
    schema: Schema,
    task: T,
) -> Result<T::Output> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let opened = match schema {
                Schema::MigrateSqlite => SqliteStore::open_and_migrate(path).await,
                Schema::Require => SqliteStore::open(path).await,
            };
            let store = Arc::new(opened.with_context(|| format!("opening {url}"))?);
            let out = task.run(Arc::clone(&store)).await;
            store.close().await;
            out
        }
        DatabaseUrl::Postgres(raw) => {
            let primary = PgStore::connect(raw)
                .await
                .with_context(|| format!("opening {url}"))?;
            let replica = match read_url {
                Some(read) => Some(Arc::new(PgStore::connect(read).await.with_context(
                    || {
                        format!(
                            "opening the read replica {}",
                            DatabaseUrl::Postgres(read.into())
                        )
                    },
                )?)),
                None => None,
            };
            let store = Arc::new(ReplicaReads::new(
                Arc::new(primary),
                replica,
                PRIMARY_TIMEOUT,
            ));
            let out = task.run(Arc::clone(&store)).await;
            store.primary().close().await;
            if let Some(replica) = store.replica() {
                replica.close().await;
            }
            out
        }
    }
}

/// Brings the database to this build's schema version; returns the version.
pub async fn migrate(url: &DatabaseUrl) -> Result<i64> {
    match url {
        DatabaseUrl::Sqlite(path) => SqliteStore::migrate(path).await,
        DatabaseUrl::Postgres(raw) => PgStore::migrate(raw).await,
    }
    .with_context(|| format!("migrating {url}"))
}

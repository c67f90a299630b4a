//! One harness per engine: a fresh, empty database per test, removed when the harness drops
//! (also when the test panics).
//!
//! PostgreSQL: the server at `SIGSTACK_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, trust authentication) must be running; the
//! tests fail, never skip, when it is not. Each test creates `sigstack_test_<unique>` and
//! drops it afterwards.

use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sigstack_ledger::postgres::PgStore;
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::store::{Store, StoreError};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor};

/// A unique name for this test's database or directory.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "sigstack_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What the shared suite needs from an engine.
pub trait Harness: Sized {
    type S: Store;
    /// A new database with nothing in it, not even the schema.
    fn new() -> impl Future<Output = Self>;
    /// Whatever the engine needs for an unmigrated database to exist at all.
    fn create_unmigrated(&self) -> impl Future<Output = ()>;
    /// `sigstack migrate`.
    fn migrate(&self) -> impl Future<Output = Result<i64, StoreError>>;
    /// Opens the database as a (new) process would; each call is a separate handle.
    fn open(&self) -> impl Future<Output = Result<Self::S, StoreError>>;
    /// Records `version` as applied, as a newer build would.
    fn set_schema_version(&self, version: i64) -> impl Future<Output = ()>;
}

/// A fresh harness, migrated, with a store opened on it.
pub async fn setup<H: Harness>() -> (H, H::S) {
    let harness = H::new().await;
    harness.migrate().await.unwrap();
    let store = harness.open().await.unwrap();
    (harness, store)
}

/// SQLite in a directory of its own under the system temp dir.
pub struct SqliteHarness {
    dir: PathBuf,
}

impl SqliteHarness {
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("ledger.db")
    }
}

impl Harness for SqliteHarness {
    type S = SqliteStore;

    async fn new() -> Self {
        let dir = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    async fn create_unmigrated(&self) {
        // A zero-length file is a valid, empty SQLite database.
        std::fs::write(self.db_path(), b"").unwrap();
    }

    async fn migrate(&self) -> Result<i64, StoreError> {
        SqliteStore::migrate(self.db_path()).await
    }

    async fn open(&self) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(self.db_path()).await
    }

    async fn set_schema_version(&self, version: i64) {
        let url = format!("sqlite://{}", self.db_path().display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
            .bind(version)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
}

impl Drop for SqliteHarness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server the PostgreSQL tests use, and the database to connect to for admin work.
fn admin_options() -> PgConnectOptions {
    let url = std::env::var("SIGSTACK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    PgConnectOptions::from_str(&url).expect("SIGSTACK_TEST_POSTGRES_URL is not a valid URL")
}

async fn admin_connection() -> sqlx::PgConnection {
    let options = admin_options();
    match sqlx::PgConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(err) => panic!(
            "PostgreSQL is unreachable at {}:{} (database {:?}, user {}): {err}. The storage \
             suite needs a running server (CI starts one); point SIGSTACK_TEST_POSTGRES_URL \
             at yours.",
            options.get_host(),
            options.get_port(),
            options.get_database(),
            options.get_username()
        ),
    }
}

/// A database of its own on the test server.
pub struct PgHarness {
    name: String,
    options: PgConnectOptions,
}

/// Connections per store in the tests: several tests run at once on one server.
const TEST_POOL_SIZE: u32 = 4;

impl Harness for PgHarness {
    type S = PgStore;

    async fn new() -> Self {
        let name = unique_name();
        let mut admin = admin_connection().await;
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
        admin.close().await.unwrap();
        let options = admin_options().database(&name);
        Self { name, options }
    }

    async fn create_unmigrated(&self) {}

    async fn migrate(&self) -> Result<i64, StoreError> {
        PgStore::migrate_with(self.options.clone()).await
    }

    async fn open(&self) -> Result<PgStore, StoreError> {
        PgStore::connect_with(self.options.clone(), TEST_POOL_SIZE).await
    }

    async fn set_schema_version(&self, version: i64) {
        let mut conn = sqlx::PgConnection::connect_with(&self.options)
            .await
            .unwrap();
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(version)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
}

impl Drop for PgHarness {
    fn drop(&mut self) {
        // Drop may run while a test panics, inside or outside a runtime: do the async
        // cleanup on a thread with a runtime of its own.
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut admin = admin_connection().await;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await
                    .unwrap();
                let _ = admin.close().await;
            });
        });
        let _ = cleanup.join();
    }
}

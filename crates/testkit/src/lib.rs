//! Test-only harnesses, used as a dev-dependency and never by shipped code.
//!
//! [`PgInstance`] is a private PostgreSQL server a test owns outright: its own data
//! directory, its own port, and nobody else's data in it, so the test may stop it, kill it,
//! cut its sessions or replicate it without disturbing the shared server other tests use.
//! Everything goes through the server's own command-line tools (`initdb`, `pg_ctl`,
//! `pg_basebackup`, `psql`), so the crate has no dependencies and no async runtime: each
//! call blocks until the tool is done.
#![forbid(unsafe_code)]

mod pg;

pub use pg::{PgError, PgInstance};

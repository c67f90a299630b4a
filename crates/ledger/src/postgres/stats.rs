//! Planner statistics that keep up with the log (issue 13).
//!
//! PostgreSQL plans a prepared statement from the statistics it has *when it plans*, and
//! sqlx keeps every statement prepared per connection for the connection's life: after five
//! executions the server may switch to one generic plan and reuse it until something
//! invalidates it, which is a schema change or an `ANALYZE` of a table it reads. A fresh log
//! starts empty, so its first plans are made for an empty table:
//!
//! - never analyzed, `shard = $1` is guessed to match 0.5% of rows (it matches all of them:
//!   most databases hold one or two shards), so a look-up "every row of the shard, filtered"
//!   looks cheaper than one index probe per key. The dedup look-up's cached plan was exactly
//!   that (`Bitmap Index Scan on entries_pkey (shard = $1)`, `Filter: leaf_hash = ANY($2)`),
//!   so every batch read the whole shard: 52 ms per batch at 6,600 entries, 89 ms on
//!   average over a 100k fill, and the write rate fell as the log grew;
//! - analyzed while small (autovacuum analyzes after about 50 rows), a sequential scan *is*
//!   the best plan for any statement, and stays cached while the table grows unless the
//!   statistics are refreshed. With autovacuum off, or lagging, they are not.
//!
//! The statements are written so that their plan is right without statistics (see the
//! look-ups in `mod.rs`), and the writer refreshes the statistics itself as the log grows:
//! each time a shard's size passes a power of two from [`FIRST_ANALYZE_AT`] on, it runs
//! `ANALYZE` on the tables the log grows, in the background. That re-plans every cached
//! statement on every connection with the table's real size and shape, costs
//! O(log n) `ANALYZE`s over a log's life (each reads a fixed sample of 30,000 rows), takes
//! no lock a reader or the writer waits on, and does not depend on how autovacuum is set.

use sqlx::PgPool;

/// The first size at which the writer analyzes: below it the tables are a few hundred
/// pages at most, and never-analyzed tables get the index plans the statements are written
/// for.
pub(crate) const FIRST_ANALYZE_AT: u64 = 1 << 10;

/// Whether growing a shard from `old` to `new` entries passes a size at which the
/// statistics are refreshed: a power of two at or above [`FIRST_ANALYZE_AT`] in
/// `old + 1 ..= new`.
pub(crate) fn passes_refresh_point(old: u64, new: u64) -> bool {
    if new <= old || new < FIRST_ANALYZE_AT {
        return false;
    }
    // The highest power of two <= new; it is passed iff it is > old (and big enough).
    let highest = 1u64 << (63 - new.leading_zeros());
    highest > old && highest >= FIRST_ANALYZE_AT
}

/// Refreshes the statistics of the tables a log grows, in the background and best effort:
/// a failure (e.g. a role that does not own the tables, where `ANALYZE` only warns) leaves
/// the previous statistics, which the statements are written to survive.
pub(crate) fn refresh_in_background(pool: &PgPool) {
    let pool = pool.clone();
    tokio::spawn(async move {
        let _ = sqlx::query("ANALYZE entries, search_index, tiles")
            .execute(&pool)
            .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_at_each_power_of_two_from_the_first() {
        assert!(!passes_refresh_point(0, 64));
        assert!(!passes_refresh_point(0, 1023));
        assert!(passes_refresh_point(1000, 1024));
        assert!(passes_refresh_point(0, 1024));
        assert!(!passes_refresh_point(1024, 1100));
        assert!(!passes_refresh_point(1100, 2047));
        assert!(passes_refresh_point(2047, 2048));
        assert!(passes_refresh_point(3000, 70_000));
        assert!(!passes_refresh_point(65_536, 131_071));
        assert!(passes_refresh_point(131_071, 131_072));
        assert!(!passes_refresh_point(5000, 5000));
        assert!(!passes_refresh_point(5000, 10));
        assert!(!passes_refresh_point(u64::MAX - 1, u64::MAX));
        assert!(passes_refresh_point((1 << 63) - 1, 1 << 63));
    }
}

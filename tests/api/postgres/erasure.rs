//! After an erasure on PostgreSQL nothing SQLite-only runs. The server cuts SQLite's WAL after
//! each erasure (and the scheduler after retention), so that older copies of erased pages leave
//! the file. On PostgreSQL that step has nothing to cut: it used to run `PRAGMA wal_checkpoint`
//! there, fail, and fail the scheduler's retention tick with it.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use crate::helpers::pg::FreshPg;

#[test]
fn cutting_the_wal_after_an_erasure_is_done_at_once_on_postgres() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cut = rt.block_on(db.truncate_wal());
    assert!(matches!(cut, Ok(true)), "{:?}", cut.err());
}

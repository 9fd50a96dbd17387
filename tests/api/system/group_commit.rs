//! Writes committed in groups, on both backends: on SQLite every write goes through the one
//! writer, on PostgreSQL participants' moves through their relay's lane (`Db::write_in`). A
//! move that fails, after writing or not, by its own error, the database's or a panic, is
//! undone alone, and the rest of its group commits.
//!
//! The PostgreSQL case needs `STAFET_TEST_PG_URL`; without it it fails, never skips. Both make
//! their own databases, so they run in the SQLite pass only (tests/sqlite_only.txt).

use stafet::db::{Db, DbOptions, Target};
use stafet::error::AppError;

use crate::helpers::groups::{Move, add, behind_a_holder, runtime, staff};
use crate::helpers::pg::FreshPg;

#[test]
fn a_move_failing_in_a_group_is_undone_alone_and_the_rest_commits_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        &Target::Sqlite(dir.path().join("groups.sqlite")),
        &DbOptions {
            synchronous: "NORMAL".into(),
            busy_timeout_ms: 1000,
            pool_size: 2,
            lanes: 2,
            bulk_pool_size: 1,
        },
    )
    .unwrap();
    undone_alone(&db);
}

#[test]
fn a_move_failing_in_a_group_is_undone_alone_and_the_rest_commits_on_postgres() {
    let pg = FreshPg::create();
    undone_alone(&pg.open(1));
}

/// Seven moves in one group: two succeed; a move failing after writing, one failing in the
/// database after a good insert and one panicking after writing are each undone alone (the
/// group runs again, a savepoint around each move, and the panic comes inside its savepoint);
/// one failing and one panicking before writing fail alone.
fn undone_alone(db: &Db) {
    let rt = runtime();
    let moves: Vec<(i64, Move<()>)> = vec![
        (1, Box::new(|c| add(c, "a@x.dk").map(drop))),
        // Writes, then fails: only its own row must go.
        (
            2,
            Box::new(|c| {
                add(c, "b@x.dk")?;
                Err(AppError::validation("changed my mind"))
            }),
        ),
        // Fails in the database (a repeated email) after one good insert (PostgreSQL takes no
        // more statements in that transaction after it).
        (
            3,
            Box::new(|c| {
                add(c, "c@x.dk")?;
                add(c, "a@x.dk").map(drop)
            }),
        ),
        // Panics after writing.
        (
            4,
            Box::new(|c| {
                add(c, "d@x.dk")?;
                panic!("a bug after writing")
            }),
        ),
        // Fails before writing anything (the usual refusal), and panics before writing.
        (5, Box::new(|_| Err(AppError::validation("no")))),
        (6, Box::new(|_| panic!("a bug"))),
        (7, Box::new(|c| add(c, "e@x.dk").map(drop))),
    ];
    let results = rt.block_on(behind_a_holder(db, 0, moves, || ()));
    let statuses: Vec<u16> = results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.status().as_u16(), |()| 200))
        .collect();
    assert_eq!(statuses, [200, 422, 409, 500, 422, 500, 200]);
    for (email, n) in [
        ("a@x.dk", 1),
        ("b@x.dk", 0),
        ("c@x.dk", 0),
        ("d@x.dk", 0),
        ("e@x.dk", 1),
    ] {
        assert_eq!(staff(&rt, db, email), n, "{email}");
    }
    rt.block_on(db.write_in(1, None, |c| add(c, "f@x.dk")))
        .expect("the writer goes on");
    assert_eq!(staff(&rt, db, "f@x.dk"), 1);
}

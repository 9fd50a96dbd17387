//! Committing writes in groups (`Db::write_in`: the SQLite writer, the PostgreSQL lanes): a way
//! to make several moves wait together, so they run as one group, and small moves to put in
//! it.

use std::future::Future;
use std::pin::Pin;

use diesel::prelude::*;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::{Db, DbConn, to_db};
use stafet::error::AppError;
use stafet::relay::StaffRole;

pub type Move<T> = Box<dyn FnMut(&mut DbConn) -> Result<T, AppError> + Send>;
type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Queues `moves` (relay, work) on `db`'s lanes in this order while a first move holds the
/// lane of relay `hold`, then lets it go: the moves of that lane wait together and run as one
/// group. `queued` runs once they are all queued, before the lane is let go.
pub async fn behind_a_holder<T: Send + 'static>(
    db: &Db,
    hold: i64,
    moves: Vec<(i64, Move<T>)>,
    queued: impl FnOnce(),
) -> Vec<Result<T, AppError>> {
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_in(hold, None, move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
                Ok(())
            })
            .await
        })
    };
    tokio::task::spawn_blocking(move || started_rx.recv())
        .await
        .unwrap()
        .unwrap();
    let mut pending: Vec<Pending<'_, T>> = moves
        .into_iter()
        .map(|(relay, mut work)| Box::pin(db.write_in(relay, None, move |c| work(c))) as _)
        .collect();
    // The first poll of a move queues it.
    for fut in &mut pending {
        std::future::poll_fn(|cx| {
            let _ = fut.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
    }
    queued();
    release_tx.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let mut out = Vec::new();
    for fut in pending {
        out.push(fut.await);
    }
    out
}

/// Inserts a staff user named `email`; the table's UNIQUE email lets a move fail on purpose.
pub fn add(c: &mut DbConn, email: &str) -> Result<i64, AppError> {
    let now = to_db(chrono::Utc::now());
    Ok(StaffUserRow::insert(c, email, StaffRole::Analyst, "x", now)?.id)
}

pub fn staff(rt: &tokio::runtime::Runtime, db: &Db, email: &'static str) -> i64 {
    rt.block_on(db.read(move |c| {
        Ok(staff_users::table
            .filter(staff_users::email.eq(email))
            .count()
            .get_result::<i64>(c)?)
    }))
    .unwrap()
}

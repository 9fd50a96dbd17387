//! What only PostgreSQL has, on databases these tests make themselves: the relay lock across
//! two servers and retried writes (`relay_lock`), live push across instances (`live_across`),
//! connections the server ends (`lost_connections`), erasure's SQLite-only step skipped
//! (`erasure`), links made by the statement that queues their email (`links`), moves
//! committed in groups per relay lane (`lanes`), and the plans of statements every move runs
//! (`plans`).

mod erasure;
mod lanes;
mod links;
mod live_across;
mod lost_connections;
mod plans;
mod relay_lock;

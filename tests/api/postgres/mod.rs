//! What only PostgreSQL has, on databases these tests make themselves: the relay lock across
//! two servers and retried writes (`relay_lock`), live push across instances (`live_across`),
//! connections the server ends (`lost_connections`), erasure's SQLite-only step skipped
//! (`erasure`), links made by the statement that queues their email (`links`), and moves
//! committed in groups per relay lane (`lanes`).

mod erasure;
mod lanes;
mod links;
mod live_across;
mod lost_connections;
mod relay_lock;

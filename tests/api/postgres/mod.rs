//! What only PostgreSQL has, on databases these tests make themselves: the relay lock across
//! two servers and retried writes (`relay_lock`), live push across instances (`live_across`).

mod live_across;
mod relay_lock;

//! Tests that run the real `stafet` binary as a child process: kill -9 mid-write, a full
//! disk, the command line, backups and restores, the database target, the two migration
//! trees, several instances on one PostgreSQL database, and writes committed in groups on
//! both backends (`group_commit`, which opens the databases in-process).

mod backup;
mod cli;
mod crash;
mod db_target;
mod failover;
mod full_disk;
mod group_commit;
mod multi_instance;
mod reset_totp;
mod schema_parity;

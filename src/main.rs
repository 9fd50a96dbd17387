//! The `stafet` command.

/// glibc's allocator was a tenth of the writer's and the HTTP workers' CPU under load (SQLite
/// and diesel allocate per statement, actix per request); mimalloc's thread-local free lists
/// cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    stafet::cli::main()
}

//! The `stafet` command.

fn main() -> std::process::ExitCode {
    stafet::cli::main()
}

//! The command line (SPEC §4): `serve`, `user add`, `demo`, `export`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::startup::Application;

/// Stafet: relay-style digital Q&A.
#[derive(Debug, Parser)]
#[command(name = "stafet", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        bind: Option<String>,
        /// SQLite database file.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Folder for .eml files when no SMTP server is configured.
        #[arg(long)]
        mail_dir: Option<PathBuf>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill the database with a realistic Danish demo relay.
    Demo {
        /// SQLite database file.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Folder for .eml files.
        #[arg(long)]
        mail_dir: Option<PathBuf>,
    },
    /// Export a relay's corpus (questions, answers, groups, rounds, themes).
    Export {
        /// The relay's id.
        #[arg(long)]
        relay: i64,
        /// csv, json or xlsx.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Pseudonyms only: leave out names and emails (for an analyst).
        #[arg(long)]
        pseudonyms: bool,
        /// SQLite database file.
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
    Xlsx,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff account; prints its password and API token.
    Add {
        /// Login email.
        #[arg(long)]
        email: String,
        /// admin, facilitator or analyst.
        #[arg(long, value_parser = ["admin", "facilitator", "analyst"])]
        role: String,
        /// SQLite database file.
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load()?;
    match cli.command {
        Command::Serve { bind, db, mail_dir } => {
            if let Some(b) = bind {
                settings.server.bind = b;
            }
            if let Some(d) = db {
                settings.database.path = d;
            }
            if let Some(m) = mail_dir {
                settings.email.mail_dir = m;
            }
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings.clone(), Clock::System).await?;
                tracing::info!(
                    port = app.port(),
                    db = %settings.database.path.display(),
                    mail_dir = %settings.email.mail_dir.display(),
                    "Stafet is serving"
                );
                app.run_until_stopped().await?;
                Ok(())
            })
        }
        Command::User {
            command: UserCommand::Add { email, role, db },
        } => {
            if let Some(d) = db {
                settings.database.path = d;
            }
            let (password, hash) = crate::ops::staff::new_password()?;
            let account = runtime()?.block_on(async move {
                let db = Db::open(&settings.database.path, &settings.db_options())?;
                let now = chrono::Utc::now();
                db.write(move |conn| {
                    crate::ops::staff::add_user(conn, &email, &role, &hash, password.clone(), now)
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
            })?;
            println!("password: {}", account.password);
            println!("token: {}", account.token);
            Ok(())
        }
        Command::Demo { db, mail_dir } => {
            if let Some(d) = db {
                settings.database.path = d;
            }
            if let Some(m) = mail_dir {
                settings.email.mail_dir = m;
            }
            let text = runtime()?.block_on(crate::demo::run(&settings))?;
            print!("{text}");
            Ok(())
        }
        Command::Export {
            relay,
            format,
            out,
            pseudonyms,
            db,
        } => {
            if let Some(d) = db {
                settings.database.path = d;
            }
            export(&settings, relay, format, out, pseudonyms)
        }
    }
}

/// `stafet export`: streams the corpus to a file or standard output, with a progress bar on a
/// terminal.
fn export(
    settings: &Settings,
    relay: i64,
    format: ExportFormat,
    out: Option<PathBuf>,
    pseudonyms: bool,
) -> anyhow::Result<()> {
    use std::io::Write as _;

    use diesel::Connection as _;

    use crate::export::{self, Format, Reader};

    // Opening through `Db` runs any pending migrations, so an old file exports too.
    drop(Db::open(&settings.database.path, &settings.db_options())?);
    let url = settings.database.path.to_string_lossy().into_owned();
    let mut conn = diesel::SqliteConnection::establish(&url)?;
    let exists: i64 = {
        use diesel::prelude::*;
        crate::db::schema::relays::table
            .filter(crate::db::schema::relays::id.eq(relay))
            .count()
            .get_result(&mut conn)?
    };
    anyhow::ensure!(exists == 1, "there is no relay {relay}");
    let total = crate::db::corpus::count(&mut conn, relay)?;
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} questions ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Small exports finish before a bar would be useful; a bar only draws on a terminal anyway.
    if total < 10_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let format = match format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Json => Format::Json,
        ExportFormat::Xlsx => Format::Xlsx,
    };
    let reader = if pseudonyms {
        Reader::Analyst
    } else {
        Reader::Named
    };
    let progress = |n: u64| bar.set_position(n);
    let rows = match &out {
        Some(path) => {
            let file = std::io::BufWriter::new(std::fs::File::create(path)?);
            export::write_corpus(&mut conn, relay, format, reader, file, progress)?
        }
        None => {
            let stdout = std::io::stdout().lock();
            let n = export::write_corpus(
                &mut conn,
                relay,
                format,
                reader,
                std::io::BufWriter::new(stdout),
                progress,
            )?;
            std::io::stdout().flush()?;
            n
        }
    };
    bar.finish_and_clear();
    if let Some(path) = out {
        eprintln!("{rows} questions written to {}", path.display());
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

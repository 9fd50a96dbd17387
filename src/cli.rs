//! The command line (SPEC §4): `serve`, `user add`, `demo`.

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
                    crate::ops::staff::add_user(conn, &email, &role, &hash, password, now)
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
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

//! The command line (SPEC §4): `serve`, `user add`, `user reset-totp`, `org add`, `demo`,
//! `export`, `backup`, `restore`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::db::corpus::CorpusRow;
use crate::db::relays::RelayRow;
use crate::error::AppError;
use crate::relay::StaffRole;
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
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
        /// Folder for .eml files when no SMTP server is configured.
        #[arg(long)]
        mail_dir: Option<PathBuf>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Fill the database with a realistic Danish demo relay.
    Demo {
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
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
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
    },
    /// Write a consistent copy of the database (also while a server runs), mode 0600.
    Backup {
        /// The backup file; replaced only once the new copy is whole.
        #[arg(long)]
        out: PathBuf,
        /// SQLite database file.
        #[arg(long)]
        db: Option<String>,
    },
    /// Put a backup back in place of the database (refused while a server has it open).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The database file to replace, or a new file to create.
        #[arg(long)]
        db: Option<String>,
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
        #[arg(long, value_parser = PossibleValuesParser::new(StaffRole::ALL.iter().map(|r| r.as_str())))]
        role: String,
        /// The organisation they join in that role (default: the default organisation).
        #[arg(long)]
        org: Option<i64>,
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
    },
    /// Turn off someone's two-factor sign-in when they lost their authenticator and recovery
    /// codes; ends their browser sessions. Their next sign-in needs only the password (or leads
    /// to enrolling again where their organisation requires it).
    ResetTotp {
        /// Their login email.
        #[arg(long)]
        email: String,
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation; prints its id.
    Add {
        /// Its name.
        #[arg(long)]
        name: String,
        /// The database: a SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: Option<String>,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    #[cfg(unix)]
    if let Err(e) = crate::telemetry::survive_file_size_limit() {
        tracing::warn!(error = %e, "cannot handle SIGXFSZ: a file-size limit would end the process");
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`: it panics when standard error cannot be written (a full disk).
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load()?;
    let mut use_db = |db: Option<String>| {
        if let Some(d) = db {
            settings.database.url = d;
        }
    };
    match cli.command {
        Command::Serve { bind, db, mail_dir } => {
            use_db(db);
            if let Some(b) = bind {
                settings.server.bind = b;
            }
            if let Some(m) = mail_dir {
                settings.email.mail_dir = m;
            }
            serve(settings)
        }
        Command::User { command } => match command {
            UserCommand::Add {
                email,
                role,
                org,
                db,
            } => {
                use_db(db);
                add_user(&settings, email, role, org)
            }
            UserCommand::ResetTotp { email, db } => {
                use_db(db);
                reset_totp(&settings, email)
            }
        },
        Command::Org {
            command: OrgCommand::Add { name, db },
        } => {
            use_db(db);
            let org = write(&settings, move |conn, now| {
                crate::ops::orgs::add(conn, &name, now)
            })?;
            println!("id: {}", org.id);
            Ok(())
        }
        Command::Demo { db, mail_dir } => {
            use_db(db);
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
            use_db(db);
            export(&settings, relay, format, out, pseudonyms)
        }
        Command::Backup { out, db } => {
            use_db(db);
            backup(&settings, &out)
        }
        Command::Restore { from, db } => {
            use_db(db);
            restore(&settings, &from)
        }
    }
}

/// `stafet serve`: refuses a configuration it cannot serve before listening.
fn serve(settings: Settings) -> anyhow::Result<()> {
    crate::startup::check_serve(&settings)?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone(), Clock::System).await?;
        tracing::info!(
            port = app.port(),
            db = %settings.database.target()?,
            mail_dir = %settings.email.mail_dir.display(),
            "Stafet is serving"
        );
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// One write transaction on the configured database, opened for it and closed after.
fn write<T: Send + 'static>(
    settings: &Settings,
    op: impl FnMut(&mut crate::db::DbConn, chrono::DateTime<chrono::Utc>) -> Result<T, AppError>
    + Send
    + 'static,
) -> anyhow::Result<T> {
    let db = Db::open(&settings.database.target()?, &settings.db_options())?;
    let now = chrono::Utc::now();
    let mut op = op;
    let done = runtime()?.block_on(db.write(move |conn| op(conn, now)));
    db.close();
    done.map_err(|e| anyhow::anyhow!("{e}"))
}

/// `stafet user add`: prints the password and the API token on stdout, for scripts.
fn add_user(
    settings: &Settings,
    email: String,
    role: String,
    org: Option<i64>,
) -> anyhow::Result<()> {
    let (password, hash) = crate::ops::staff::new_password()?;
    let account = write(settings, move |conn, now| {
        crate::ops::staff::add_user(conn, &email, &role, org, &hash, password.clone(), now)
    })?;
    println!("password: {}", account.password);
    println!("token: {}", account.token);
    // On stderr: stdout stays the two lines scripts read.
    eprintln!(
        "token expires: {} ({} days; make more, or revoke this one, on the console's \
         account page or with POST /api/auth/tokens)",
        account.token_expires_at.format("%Y-%m-%d %H:%M UTC"),
        crate::ops::account::CLI_TOKEN_DAYS,
    );
    Ok(())
}

/// `stafet user reset-totp`: see [`crate::ops::totp::reset`].
fn reset_totp(settings: &Settings, email: String) -> anyhow::Result<()> {
    let done = write(settings, move |conn, now| {
        crate::ops::totp::reset(conn, &email, now)
    })?;
    println!(
        "two-factor sign-in {}; {} browser session(s) ended",
        if done.was_on {
            "turned off"
        } else {
            "was not on"
        },
        done.sessions_ended
    );
    Ok(())
}

/// `stafet restore`: puts a backup in place of the SQLite file (refused while it is open).
fn restore(settings: &Settings, from: &std::path::Path) -> anyhow::Result<()> {
    let target = settings.database.sqlite_path()?;
    let done = crate::backup::restore::restore(from, &target, settings.database.busy_timeout_ms)?;
    println!(
        "{} {} from {} ({} bytes)",
        if done.replaced { "replaced" } else { "created" },
        done.path.display(),
        from.display(),
        done.bytes
    );
    Ok(())
}

/// `stafet backup`: a snapshot through a `Db` like the server's (same connection set-up and
/// busy timeout), closed before returning. A missing database is an error, not a new empty
/// one backed up.
fn backup(settings: &Settings, out: &std::path::Path) -> anyhow::Result<()> {
    let path = &settings.database.sqlite_path()?;
    anyhow::ensure!(path.is_file(), "there is no database at {}", path.display());
    if let (Ok(a), Ok(b)) = (out.canonicalize(), path.canonicalize()) {
        // Renamed over the live file, the copy would meet the server's write-ahead log.
        anyhow::ensure!(a != b, "--out {} is the database itself", out.display());
    }
    let db = Db::open(
        &crate::db::Target::Sqlite(path.clone()),
        &settings.db_options(),
    )?;
    let written = runtime()?.block_on(crate::backup::snapshot::write(&db, out));
    db.close();
    let written = written?;
    println!(
        "wrote {} ({} bytes) in {} ms",
        written.path.display(),
        written.bytes,
        written.took.as_millis()
    );
    Ok(())
}

/// `stafet export`: the corpus to a file or standard output, with a progress bar on a
/// terminal. It reads through a `Db` like the server's (same connection set-up and busy
/// timeout) and closes it before returning, so no thread of its own outlives the command.
fn export(
    settings: &Settings,
    relay: i64,
    format: ExportFormat,
    out: Option<PathBuf>,
    pseudonyms: bool,
) -> anyhow::Result<()> {
    use crate::export::{Format, Reader};

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
    // Opening through `Db` runs any pending migrations, so an old file exports too.
    let db = Db::open(&settings.database.target()?, &settings.db_options())?;
    let result = runtime()?.block_on(export_to(&db, relay, format, reader, out.as_deref()));
    db.close();
    let rows = result?;
    if let Some(path) = out {
        eprintln!("{rows} questions written to {}", path.display());
    }
    Ok(())
}

async fn export_to(
    db: &Db,
    relay: i64,
    format: crate::export::Format,
    reader: crate::export::Reader,
    out: Option<&std::path::Path>,
) -> anyhow::Result<u64> {
    use std::io::Write;

    let app_err = |e: crate::error::AppError| anyhow::anyhow!("{e}");
    let total = db
        .read(move |conn| {
            use diesel::OptionalExtension as _;
            let exists = RelayRow::find(conn, relay).optional()?.is_some();
            Ok(exists.then(|| CorpusRow::count(conn, relay)).transpose()?)
        })
        .await
        .map_err(app_err)?
        .ok_or_else(|| anyhow::anyhow!("there is no relay {relay}"))?;
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} questions ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Small exports finish before a bar would be useful; a bar only draws on a terminal anyway.
    if total < 10_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |n: u64| bar.set_position(n);
    let mut file = out.map(crate::export::file::Staged::new).transpose()?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let sink: &mut dyn Write = match &mut file {
        Some(file) => file,
        None => &mut stdout,
    };
    let send = |page: Vec<u8>| std::future::ready(sink.write_all(&page));
    let rows = crate::export::stream(db, relay, format, reader, send, progress)
        .await
        .map_err(app_err)?;
    sink.flush()?;
    if let Some(file) = file {
        file.commit()?;
    }
    bar.finish_and_clear();
    Ok(rows)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

//! Logging: a `tracing` subscriber, and request spans that name the route pattern, never the
//! path, so magic-link secrets in URLs are never written to a log.
//!
//! Logging never takes the server down: when standard output cannot be written (a full disk
//! under a redirected log, a file-size limit, a closed pipe) the line is dropped and counted,
//! and the count is written once lines go through again. tracing-subscriber's own writer
//! reports a failed write with `eprintln!`, which panics when standard error fails too.

use std::fs::File;
use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber (`RUST_LOG` filters; default `info`), writing to standard
/// output. Safe to call twice.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(LogOutput::stdout())
        .log_internal_errors(false)
        .try_init();
}

/// Log lines dropped so far because the output could not take them.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

static DROPPED: AtomicU64 = AtomicU64::new(0);
static REPORTED: AtomicU64 = AtomicU64::new(0);

/// Standard output, unbuffered: a line is written whole with one `write_all` or dropped.
/// (`std::io::stdout()` buffers, and would keep a refused line to retry before later ones.)
pub struct LogOutput {
    file: Option<File>,
}

impl LogOutput {
    /// Standard output; with none (closed), every line is dropped.
    pub fn stdout() -> Self {
        use std::os::fd::AsFd as _;
        let file = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(File::from);
        Self { file }
    }

    /// Writes `line`, or counts it as dropped.
    fn write_line(&self, line: &[u8]) {
        let Some(mut file) = self.file.as_ref() else {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if file.write_all(line).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let dropped = DROPPED.load(Ordering::Relaxed);
        let reported = REPORTED.swap(dropped, Ordering::Relaxed);
        if dropped > reported {
            let note = format!(
                "{} WARN {} log line(s) could not be written and were dropped\n",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                dropped - reported
            );
            let _ = file.write_all(note.as_bytes());
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogOutput {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

/// One event's writer; tracing-subscriber formats an event fully, then writes it at once.
pub struct LineWriter<'a>(&'a LogOutput);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_line(buf);
        // Never an error: the subscriber would report it on standard error, which is likely
        // on the same full disk.
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Keeps the process alive past a file-size limit (RLIMIT_FSIZE): SIGXFSZ's default action
/// kills a process that writes past it. Handled instead, the write fails with EFBIG and is
/// reported like a full disk. tokio keeps the handler for the life of the process.
#[cfg(unix)]
pub fn survive_file_size_limit() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let xfsz = SignalKind::from_raw(rustix::process::Signal::XFSZ.as_raw());
    rt.block_on(async { signal(xfsz).map(drop) })
}

/// Request spans with method, route pattern (`/p/{token}`) and status.
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        if let Ok(res) = outcome {
            span.record("status", res.status().as_u16());
        }
    }
}

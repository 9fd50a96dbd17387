//! The web pages (`/app`, `/console`, `/analysis`) and their assets under `/static/`. The files
//! live in `frontend/`: a debug build reads them from disk (edit and reload), a release build
//! carries them inside the binary, so a deployment is one file.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "frontend/"]
struct Assets;

/// Registers the pages and `/static/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/app", web::get().to(|r: HttpRequest| serve(r, "app.html")))
        .route(
            "/console",
            web::get().to(|r: HttpRequest| serve(r, "console.html")),
        )
        .route(
            "/analysis",
            web::get().to(|r: HttpRequest| serve(r, "analysis.html")),
        )
        .route(
            "/favicon.ico",
            web::get().to(|r: HttpRequest| serve(r, "favicon.svg")),
        )
        // A forgotten staff password: the email form, and the page the emailed link opens.
        .route(
            "/reset",
            web::get().to(|r: HttpRequest| serve(r, "reset.html")),
        )
        .route(
            "/reset/{token}",
            web::get().to(|r: HttpRequest| serve(r, "reset.html")),
        )
        .route(
            "/invite/{token}",
            web::get().to(|r: HttpRequest| serve(r, "invite.html")),
        )
        .route("/static/{path:.*}", web::get().to(asset));
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console"))
        .finish()
}

async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    serve(req, &path.into_inner()).await
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Serves one embedded file, revalidated by ETag on every use so a new release is picked up at
/// once while unchanged files cost a 304.
async fn serve(req: HttpRequest, path: &str) -> Result<HttpResponse, AppError> {
    let file = Assets::get(path).ok_or_else(|| AppError::not_found("file"))?;
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CONTENT_TYPE, content_type(path)))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(AppError::internal)?,
        ));
    Ok(if fresh {
        res.finish()
    } else {
        res.body(file.data.into_owned())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::Assets;
    use crate::relay::EventKind;

    /// Past these a script stops being one screen's worth of code one can read in a sitting.
    const MAX_LINES: usize = 400;
    const MAX_LINE_CHARS: usize = 100;

    fn asset(path: &str) -> String {
        let file = Assets::get(path).unwrap_or_else(|| panic!("frontend/{path} is missing"));
        String::from_utf8(file.data.into_owned()).expect("UTF-8")
    }

    #[test]
    fn every_script_module_is_short_and_has_short_lines() {
        let mut scripts = 0;
        let mut over = Vec::new();
        for path in Assets::iter().filter(|p| p.ends_with(".js")) {
            scripts += 1;
            let text = asset(&path);
            let lines = text.lines().count();
            if lines > MAX_LINES {
                over.push(format!("{path}: {lines} lines"));
            }
            for (i, line) in text.lines().enumerate() {
                let chars = line.chars().count();
                if chars > MAX_LINE_CHARS {
                    over.push(format!("{path}:{}: {chars} characters", i + 1));
                }
            }
        }
        assert!(scripts >= 3, "found only {scripts} scripts under frontend/");
        assert!(
            over.is_empty(),
            "over {MAX_LINES} lines or {MAX_LINE_CHARS} characters a line:\n{}",
            over.join("\n")
        );
    }

    /// Every event kind that goes to a relay's staff feed (see [`EventKind::for_staff`], which
    /// `ops::notify`'s tests hold to the places that append events).
    fn staff_event_kinds() -> BTreeSet<String> {
        EventKind::ALL
            .iter()
            .filter(|k| k.for_staff())
            .map(|k| k.as_str().to_string())
            .collect()
    }

    /// The text of `script` between `open` and the next `close`.
    fn between<'a>(script: &'a str, open: &str, close: &str) -> &'a str {
        script
            .split_once(open)
            .and_then(|(_, rest)| rest.split_once(close))
            .unwrap_or_else(|| panic!("no `{open}` … `{close}`"))
            .0
    }

    /// The keys of `export const NAME = {` … `};` in a script, one `key: 'label',` a line.
    fn object_keys(script: &str, name: &str) -> BTreeSet<String> {
        let body = between(script, &format!("export const {name} = {{"), "};");
        let keys: BTreeSet<String> = body
            .lines()
            .filter_map(|l| l.trim().split_once(':'))
            .map(|(k, _)| k.trim().to_string())
            .collect();
        assert!(!keys.is_empty(), "{name} is empty");
        keys
    }

    /// The strings in `export const NAME = new Set([` … `]);`.
    fn set_items(script: &str, name: &str) -> BTreeSet<String> {
        between(script, &format!("export const {name} = new Set(["), "]);")
            .split(',')
            .map(|s| s.trim().trim_matches('\'').to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn the_console_names_exactly_the_event_kinds_the_staff_feed_sends() {
        let labels_js = asset("js/console/labels.js");
        let labelled = object_keys(&labels_js, "EVENT_LABELS");
        let quiet = set_items(&labels_js, "QUIET_EVENTS");
        let sent = staff_event_kinds();
        assert!(
            labelled.is_disjoint(&quiet),
            "labelled and quiet: {:?}",
            labelled.intersection(&quiet).collect::<Vec<_>>()
        );
        let shown: BTreeSet<String> = labelled.union(&quiet).cloned().collect();
        assert_eq!(
            shown.difference(&sent).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "labels for kinds the staff feed never sends"
        );
        assert_eq!(
            sent.difference(&shown).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "kinds the staff feed sends without a label"
        );
    }
}

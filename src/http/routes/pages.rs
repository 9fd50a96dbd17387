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

//! The HTTP adapter: routes, request limits, error shapes and security headers.

pub mod body;
pub mod dto;
pub mod routes;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;

/// The Content-Security-Policy of every response: our own scripts and styles only, no inline
/// code, no framing, forms only to ourselves.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// A `{"message": …}` answer: what a person is told when the outcome must not be (a reset or
/// fresh link asked for an address that may have no account).
#[derive(Debug, serde::Serialize)]
pub struct Message {
    /// The sentence to show.
    pub message: &'static str,
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(json_config(body_limit))
        .app_data(
            web::PathConfig::default().error_handler(|_, _| AppError::not_found("resource").into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
        .service(web::scope("/api").configure(routes::configure_api))
        .configure(routes::recover::configure)
        .configure(routes::links::configure)
        .configure(routes::pages::configure)
        .default_service(web::to(not_found));
}

async fn not_found(_: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("route"))
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _| json_error(e).into())
}

/// Maps JSON body failures to the API's error shape and the fitting status.
pub fn json_error(e: JsonPayloadError) -> AppError {
    match e {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        }
        JsonPayloadError::ContentType => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonPayloadError::Deserialize(err) if err.is_data() => {
            AppError::validation(format!("invalid field: {err}"))
        }
        JsonPayloadError::Deserialize(err) => AppError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {err}"),
        ),
        other => AppError::bad_request("bad_request", other.to_string()),
    }
}

/// Maps a query string that does not parse to the API's 400.
pub fn query_error(e: QueryPayloadError) -> AppError {
    AppError::bad_request("bad_query", e.to_string())
}

/// Turns any error response that is not already JSON (actix's own 404/405/413 and the like)
/// into the API's JSON error shape, so no client ever sees a plain-text or HTML error from us.
pub fn json_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() {
        "internal error".to_string()
    } else {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    };
    let (req, _) = res.into_parts();
    let body: HttpResponse<BoxBody> = HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(serde_json::json!({"error": {"code": code, "message": message}}).to_string());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, body).map_into_right_body::<B>(),
    ))
}

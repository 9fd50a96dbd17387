//! Reading raw request bodies (CSV imports) with the same limit and error shape as JSON.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage as _, HttpRequest, mime, web};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Reads the whole body, refusing more than `limit` bytes with 413.
pub async fn read_limited(
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, AppError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("bad_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JSON body as `web::Json` would (content type, size limit, error shapes), but inside
/// the handler, after its authentication extractor has let the caller in. Actix polls a
/// handler's extractors together, so with a `web::Json` argument a caller without the right
/// role could get a validation error for the body (and learn the fields) instead of 401/403.
/// The size limit is the server's `body_limit_bytes`.
pub async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, AppError> {
    let limit = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map(|s| s.settings.server.body_limit_bytes)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))?;
    let is_json = matches!(
        req.mime_type(),
        Ok(Some(m)) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON)
    );
    if !is_json {
        return Err(crate::http::json_error(JsonPayloadError::ContentType));
    }
    let data = read_limited(payload, limit).await?;
    serde_json::from_slice(&data).map_err(|e| json_error(&e))
}

/// The API error for a JSON body that did not parse: 400 for broken syntax, 422 for wrong data.
pub fn json_error(e: &serde_json::Error) -> AppError {
    if e.is_data() {
        AppError::validation(format!("invalid field: {e}"))
    } else {
        AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    }
}

/// A body of one password, `{password}`: accepting an invitation, a new password after a reset,
/// turning two-factor sign-in off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The password as typed.
    pub password: String,
}

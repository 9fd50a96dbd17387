//! `GET /api/relays/{id}/report`: the printable report, `?compare=ID` for two relays; and
//! `GET /api/me/report`, the same page for a relay's participants when it shares its output.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::scope::{self, Need, Target};
use crate::auth::{ParticipantAuth, ReadRelay, Scoped};
use crate::error::AppError;
use crate::report;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    #[serde(default)]
    compare: Option<i64>,
}

/// The report's page with its own CSP.
fn page(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, report::csp()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// `GET /api/relays/{id}/report[?compare=ID]`
pub async fn relay_report(
    Scoped { user, path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q = web::Query::<ReportQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?;
    if let Some(other) = q.compare {
        scope::allow(&state, &user, Target::Relay(other), Need::Read).await?;
    }
    let now = state.clock.now();
    let html = report::for_staff(&state.db, id, q.compare, now).await?;
    Ok(page(html))
}

/// `GET /api/me/report`: the shared output of a closed relay, for its participants, when the
/// relay shares it. The page the analysts print, as the relay's anonymity allows: no names,
/// and no asker's group where the relay hides it.
pub async fn shared_report(
    me: ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let html = report::for_participants(&state.db, &me.relay, state.clock.now()).await?;
    Ok(page(html))
}

//! `GET /api/relays/{id}/report`: the printable report, `?compare=ID` for two relays.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::Staff;
use crate::db::DbConn;
use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::db::rounds::RoundRow;
use crate::error::AppError;
use crate::ops::analysis as ops;
use crate::report::{self, RelayData, View};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    #[serde(default)]
    compare: Option<i64>,
}

fn load(conn: &mut DbConn, id: i64) -> Result<RelayData, AppError> {
    let (relay, rows) = ops::load(conn, id)?;
    Ok(RelayData {
        rounds: RoundRow::for_relay(conn, id)?,
        people: ParticipantRow::for_relay(conn, id)?,
        groups: GroupRow::names(conn, id)?,
        themes: ops::themes_view(conn, id)?,
        relay,
        rows,
    })
}

/// `GET /api/relays/{id}/report[?compare=ID]`
pub async fn relay_report(
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let q = web::Query::<ReportQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?
        .into_inner();
    let id = path.into_inner();
    if q.compare == Some(id) {
        return Err(AppError::validation("compare the relay with another relay"));
    }
    let (first, second) = state
        .db
        .read_bulk(move |conn| {
            let first = load(conn, id)?;
            let second = q.compare.map(|c| load(conn, c)).transpose()?;
            Ok((first, second))
        })
        .await?;
    respond(&state, first, second, View::Staff).await
}

/// Renders the report off the async workers and sends it with its own CSP.
async fn respond(
    state: &AppState,
    first: RelayData,
    second: Option<RelayData>,
    view: View,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let html = state
        .db
        .compute_bulk(move || report::render(&first, second.as_ref(), view, now))
        .await?
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, report::csp()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// `GET /api/me/report`: the shared output of a closed relay, for its participants, when the
/// relay shares it. The page the analysts print, as the relay's anonymity allows: no names,
/// and no asker's group where the relay hides it.
pub async fn shared_report(
    me: crate::auth::ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if me.relay.state != crate::relay::RelayState::Closed {
        return Err(AppError::conflict(
            "not_closed",
            "the output is shared once the relay has closed",
        ));
    }
    if !me.relay.share_output {
        return Err(AppError::forbidden("this relay does not share its output"));
    }
    let id = me.relay.id;
    let data = state.db.read_bulk(move |conn| load(conn, id)).await?;
    respond(&state, data, None, View::Participants).await
}

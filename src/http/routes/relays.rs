//! Relays: create, list, read, edit, lifecycle, stats and the staff event feed.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{StaffFeedQuery, events_json};
use crate::auth::{ReadRelay, RunRelay, Scoped, Staff};
use crate::db::events::{self, EventRow};
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::db::staff::StaffUserRow;
use crate::error::{AppError, Found};
use crate::http::{body, dto};
use crate::ops::relays::{self as ops, CreateRelay, PatchRelay, Step};
use crate::ops::{orgs, stats};
use crate::state::AppState;

/// The relay `id` as staff see it.
pub(crate) async fn relay_response(state: &AppState, id: i64) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (row, rounds) = state
        .db
        .read(move |conn| {
            let row = RelayRow::find(conn, id).or_not_found("relay")?;
            Ok((row, RoundRow::for_relay(conn, id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(dto::relay(&row, &rounds, now)))
}

/// `POST /api/relays`
pub async fn create_relay(
    Staff(user, _): Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let uid = user.id;
    state
        .db
        .read(move |conn| orgs::may_create(conn, uid))
        .await?;
    let input: CreateRelay = body::json(&req, payload).await?;
    let input = input.with_privacy_defaults(&state.settings.privacy);
    let now = state.clock.now();
    let (row, rounds) = state
        .db
        .write(move |conn| ops::create_by(conn, &user, input.clone(), now))
        .await?;
    Ok(HttpResponse::Created().json(dto::relay(&row, &rounds, now)))
}

/// `GET /api/relays`: the relays the caller sees.
pub async fn list_relays(
    Staff(user, _): Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let list = state
        .db
        .read(move |conn| {
            let rows = orgs::visible_relays(conn, user.id)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let rounds = RoundRow::for_relay(conn, r.id)?;
                out.push((r, rounds));
            }
            Ok(out)
        })
        .await?;
    let body: Vec<_> = list
        .iter()
        .map(|(r, rounds)| dto::relay(r, rounds, now))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/relays/{id}`
pub async fn get_relay(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    relay_response(&state, id).await
}

/// `PATCH /api/relays/{id}`
pub async fn patch_relay(
    Scoped { user, path: id, .. }: RunRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: PatchRelay = body::json(&req, payload).await?;
    let now = state.clock.now();
    let (row, rounds) = state
        .db
        .write(move |conn| ops::patch_by(conn, &user, id, input.clone(), now))
        .await?;
    Ok(HttpResponse::Ok().json(dto::relay(&row, &rounds, now)))
}

/// `step` with relay `id` by `user` (a facilitator of it); answers the relay after.
async fn transition(
    state: &AppState,
    user: StaffUserRow,
    id: i64,
    step: Step,
) -> Result<HttpResponse, AppError> {
    state
        .write_with_now(move |conn, now| ops::step_by(conn, &user, id, step, now))
        .await?;
    relay_response(state, id).await
}

/// `POST /api/relays/{id}/schedule`
pub async fn schedule_relay(
    Scoped { user, path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    transition(&state, user, id, Step::Schedule).await
}

/// `POST /api/relays/{id}/open`
pub async fn open_relay(
    Scoped { user, path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    transition(&state, user, id, Step::Open).await
}

/// `POST /api/relays/{id}/close`
pub async fn close_relay(
    Scoped { user, path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    transition(&state, user, id, Step::Close).await
}

/// `GET /api/relays/{id}/stats`: participation, questions, batons and emails, per round and
/// group. Counts only, so analysts may read it too.
pub async fn relay_stats(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let body = state
        .db
        .read(move |conn| stats::relay_stats(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/relays/{id}/events?since=ID[&latest=N]`: the staff feed, a page at a time from
/// `since`, or its `latest` events.
pub async fn staff_events(
    Scoped { path: id, .. }: RunRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = web::Query::<StaffFeedQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?
        .into_inner();
    if let Some(n) = query.latest
        && !(1..=events::PAGE).contains(&n)
    {
        return Err(AppError::bad_request(
            "bad_query",
            format!("latest must be between 1 and {}", events::PAGE),
        ));
    }
    let rows = state
        .db
        .read(move |conn| {
            RelayRow::find(conn, id).or_not_found("relay")?;
            Ok(match query.latest {
                Some(n) => EventRow::latest_for_staff(conn, id, query.since, n)?,
                None => EventRow::for_staff(conn, id, query.since)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(events_json(rows)))
}

//! Themes: clustering, the analyst's edits (create, rename, merge, split, delete, move) and
//! assisted theming, each a call into [`crate::ops::themes`].

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::{ReadQuestion, ReadRelay, ReadTheme, Scoped};
use crate::error::AppError;
use crate::http::body;
use crate::ops::themes::{self, ClusterRequest};
use crate::state::AppState;

/// The relay's themes after an edit.
async fn themes_of(state: &AppState, relay_id: i64) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(themes::view(&state.db, relay_id).await?))
}

/// `POST /api/relays/{id}/themes/cluster`: finds themes among the questions the analyst has
/// not placed, replacing the previous run's unpinned themes.
pub async fn cluster_themes(
    Scoped { user, path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: ClusterRequest = body::json(&req, payload).await?;
    let now = state.clock.now();
    let view = themes::run_clustering(&state.db, &user, id, input, now).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/relays/{id}/themes`
pub async fn list_themes(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    themes_of(&state, id).await
}

/// `{label}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRequest {
    label: String,
}

/// The checked label of a `{label}` body.
async fn label_in(req: &HttpRequest, payload: web::Payload) -> Result<String, AppError> {
    let LabelRequest { label } = body::json(req, payload).await?;
    themes::label(&label)
}

/// `POST /api/relays/{id}/themes`: an empty theme of the analyst's own.
pub async fn create_theme(
    Scoped { path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let label = label_in(&req, payload).await?;
    let created = state
        .write_with_now(move |conn, now| themes::create(conn, id, &label, now))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// `PATCH /api/themes/{tid}` `{label}`
pub async fn rename_theme(
    Scoped { path: tid, .. }: ReadTheme,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let label = label_in(&req, payload).await?;
    let relay_id = state
        .write_with_now(move |conn, now| themes::rename(conn, tid, &label, now))
        .await?;
    themes_of(&state, relay_id).await
}

/// `POST /api/themes/{tid}/merge` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    into: i64,
}

/// `POST /api/themes/{tid}/merge` `{into}`: moves every question into `into` and removes this
/// theme.
pub async fn merge_theme(
    Scoped { path: tid, .. }: ReadTheme,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let MergeRequest { into } = body::json(&req, payload).await?;
    let relay_id = state
        .write_with_now(move |conn, now| themes::merge(conn, tid, into, now))
        .await?;
    themes_of(&state, relay_id).await
}

/// `POST /api/themes/{tid}/split` `{}`: divides a theme's questions into two themes by
/// clustering them (k = 2); both become the analyst's.
pub async fn split_theme(
    Scoped { path: tid, .. }: ReadTheme,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = themes::split(&state.db, tid, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `DELETE /api/themes/{tid}`: the theme goes; its questions become unplaced.
pub async fn delete_theme(
    Scoped { path: tid, .. }: ReadTheme,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    state
        .db
        .write(move |conn| themes::delete(conn, tid))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /api/questions/{qid}/theme` body: a theme id, or null to take the question out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    theme_id: Option<i64>,
}

/// `PUT /api/questions/{qid}/theme` `{theme_id | null}`: the analyst places a question. The
/// target theme becomes the analyst's (pinned), so the placement survives a re-run.
pub async fn place_question(
    Scoped { path: qid, .. }: ReadQuestion,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let PlaceRequest { theme_id } = body::json(&req, payload).await?;
    let placed = state
        .write_with_now(move |conn, now| themes::place(conn, qid, theme_id, now))
        .await?;
    Ok(HttpResponse::Ok().json(placed))
}

/// `GET /api/relays/{id}/themes/suggestions`: `[{question_id, theme_id, confidence}]` for every
/// unplaced question, most confident first.
pub async fn theme_suggestions(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let list = themes::suggestions(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(list))
}

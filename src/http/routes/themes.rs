//! Themes: clustering, the analyst's edits (create, rename, merge, split, delete, move) and
//! assisted theming. Every edit pins what it touches, so a re-run of the clustering keeps it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Staff;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::themes::{PlacementRow, ThemeRow};
use crate::db::to_db;
use crate::error::{AppError, Found};
use crate::http::body;
use crate::ops::analysis::{self as ops, ClusterText};
use crate::relay::text;
use crate::state::AppState;

async fn view(state: &AppState, relay_id: i64) -> Result<serde_json::Value, AppError> {
    state
        .db
        .read_bulk(move |conn| ops::themes_view(conn, relay_id))
        .await
}

fn label(s: &str) -> Result<String, AppError> {
    text::validate("label", s, (1, 120))
        .map_err(|_| AppError::validation("a theme's label is 1 to 120 characters"))
}

fn theme_of(conn: &mut crate::db::DbConn, id: i64) -> Result<ThemeRow, AppError> {
    ThemeRow::find(conn, id).or_not_found("theme")
}

/// `POST /api/relays/{id}/themes/cluster` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRequest {
    #[serde(default)]
    k: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    text: Option<String>,
}

/// `POST /api/relays/{id}/themes/cluster`: finds themes among the questions the analyst has
/// not placed, replacing the previous run's unpinned themes.
pub async fn cluster_themes(
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: ClusterRequest = body::json(&req, payload).await?;
    let text = match input.text.as_deref().unwrap_or("question") {
        "question" => ClusterText::Question,
        "question_answer" => ClusterText::QuestionAnswer,
        _ => {
            return Err(AppError::validation(
                "text must be question or question_answer",
            ));
        }
    };
    if input.k.is_some_and(|k| !(1..=50).contains(&k)) {
        return Err(AppError::validation("k must be between 1 and 50"));
    }
    let id = path.into_inner();
    let (relay, rows, pinned) = state
        .db
        .read_bulk(move |conn| {
            let (relay, rows) = ops::load(conn, id)?;
            let pinned: Vec<(i64, i64)> = PlacementRow::for_relay(conn, id)?
                .into_iter()
                .filter(|p| p.is_pinned)
                .map(|p| (p.question_id, p.theme_id))
                .collect();
            Ok((relay, rows, pinned))
        })
        .await?;
    let (k, seed) = (input.k, input.seed.unwrap_or(relay.settings().seed));
    let found = state
        .db
        .compute_bulk(move || ops::cluster(&relay, &rows, &pinned, k, seed, text))
        .await?;
    let now = state.clock.now();
    state
        .db
        .write(move |conn| ops::store_clusters(conn, id, &found, now))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, id).await?))
}

/// `GET /api/relays/{id}/themes`
pub async fn list_themes(
    _: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(view(&state, path.into_inner()).await?))
}

/// `{label}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRequest {
    label: String,
}

/// `POST /api/relays/{id}/themes`: an empty theme of the analyst's own.
pub async fn create_theme(
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: LabelRequest = body::json(&req, payload).await?;
    let label = label(&input.label)?;
    let id = path.into_inner();
    let now = to_db(state.clock.now());
    let row = state
        .db
        .write(move |conn| {
            RelayRow::find(conn, id).or_not_found("relay")?;
            Ok(ThemeRow::insert(conn, id, &label, &[], true, now)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": row.id, "relay_id": row.relay_id, "label": row.label,
        "label_words": [], "pinned": true, "size": 0, "members": [],
    })))
}

/// `PATCH /api/themes/{tid}` `{label}`
pub async fn rename_theme(
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: LabelRequest = body::json(&req, payload).await?;
    let label = label(&input.label)?;
    let tid = path.into_inner();
    let now = to_db(state.clock.now());
    let relay_id = state
        .db
        .write(move |conn| {
            let t = theme_of(conn, tid)?;
            ThemeRow::rename(conn, tid, &label, now)?;
            Ok(t.relay_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, relay_id).await?))
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
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let MergeRequest { into } = body::json(&req, payload).await?;
    let tid = path.into_inner();
    let now = to_db(state.clock.now());
    let relay_id = state
        .db
        .write(move |conn| {
            let from = theme_of(conn, tid)?;
            let to = theme_of(conn, into)?;
            if from.id == to.id {
                return Err(AppError::validation("a theme cannot be merged into itself"));
            }
            if from.relay_id != to.relay_id {
                return Err(AppError::validation(
                    "both themes must belong to the same relay",
                ));
            }
            ThemeRow::move_all(conn, from.id, to.id, now)?;
            ThemeRow::pin(conn, to.id, now)?;
            ThemeRow::delete(conn, from.id)?;
            Ok(to.relay_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, relay_id).await?))
}

/// `POST /api/themes/{tid}/split` `{}`: divides a theme's questions into two themes by
/// clustering them (k = 2); both become the analyst's.
pub async fn split_theme(
    _: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let tid = path.into_inner();
    let (theme, relay, rows) = state
        .db
        .read_bulk(move |conn| {
            let theme = theme_of(conn, tid)?;
            let (relay, rows) = ops::load(conn, theme.relay_id)?;
            let members: std::collections::HashSet<i64> =
                PlacementRow::for_relay(conn, theme.relay_id)?
                    .into_iter()
                    .filter(|p| p.theme_id == tid)
                    .map(|p| p.question_id)
                    .collect();
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|r| members.contains(&r.question_id))
                .collect();
            Ok((theme, relay, rows))
        })
        .await?;
    if rows.len() < 2 {
        return Err(AppError::validation(
            "a theme needs at least two questions to be split",
        ));
    }
    let seed = relay.settings().seed;
    let parts = state
        .db
        .compute_bulk(move || {
            ops::cluster(
                &relay,
                &rows,
                &[],
                Some(2),
                seed,
                ClusterText::QuestionAnswer,
            )
        })
        .await?;
    let now = to_db(state.clock.now());
    let relay_id = theme.relay_id;
    state
        .db
        .write(move |conn| {
            theme_of(conn, tid)?;
            ThemeRow::delete(conn, tid)?;
            for (i, part) in parts.iter().enumerate() {
                let name = format!("{} ({})", theme.label, i + 1);
                let row = ThemeRow::insert(conn, relay_id, &name, &part.words, true, now)?;
                for &(qid, score) in &part.members {
                    PlacementRow::place(conn, qid, Some(row.id), true, Some(score), now)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, relay_id).await?))
}

/// `DELETE /api/themes/{tid}`: the theme goes; its questions become unplaced.
pub async fn delete_theme(
    _: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let tid = path.into_inner();
    state
        .db
        .write(move |conn| {
            theme_of(conn, tid)?;
            Ok(ThemeRow::delete(conn, tid)?)
        })
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
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let PlaceRequest { theme_id } = body::json(&req, payload).await?;
    let qid = path.into_inner();
    let now = to_db(state.clock.now());
    state
        .db
        .write(move |conn| {
            let relay = QuestionRow::relay_of(conn, qid).or_not_found("question")?;
            if let Some(tid) = theme_id {
                let t = theme_of(conn, tid)?;
                if t.relay_id != relay {
                    return Err(AppError::validation("the theme belongs to another relay"));
                }
                ThemeRow::pin(conn, tid, now)?;
            }
            PlacementRow::place(conn, qid, theme_id, true, None, now)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "question_id": qid, "theme_id": theme_id })))
}

/// `GET /api/relays/{id}/themes/suggestions`: `[{question_id, theme_id, confidence}]` for every
/// unplaced question, most confident first.
pub async fn theme_suggestions(
    _: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (relay, rows, placed) = state
        .db
        .read_bulk(move |conn| {
            let (relay, rows) = ops::load(conn, id)?;
            let placed: Vec<(i64, i64)> = PlacementRow::for_relay(conn, id)?
                .into_iter()
                .map(|p| (p.question_id, p.theme_id))
                .collect();
            Ok((relay, rows, placed))
        })
        .await?;
    let list = state
        .db
        .compute_bulk(move || ops::suggestions(&relay, &rows, &placed))
        .await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|(q, t, c)| json!({ "question_id": q, "theme_id": t, "confidence": c }))
            .collect::<Vec<_>>(),
    ))
}

//! Analysis of a relay: word frequencies, distinctive words, the network and its drawing,
//! expected keywords, question forms (and the analyst's corrections), focus (and its word
//! lists) and group profiles. Staff of every role may read and correct them; participants
//! appear under pseudonyms except to facilitators.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::analysis::QuestionForm;
use crate::auth::scope::{self, Need, Target};
use crate::auth::{ReadQuestion, ReadRelay, Scoped, Staff};
use crate::error::AppError;
use crate::http::body;
use crate::ops::analysis::{self, Side, Source, depth};
use crate::ops::corpus::reader_of;
use crate::state::AppState;

fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, AppError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(crate::http::query_error)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsQuery {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    top: Option<usize>,
}

/// `GET /api/relays/{id}/words?group=&source=questions|answers|both&top=`
pub async fn relay_words(
    Scoped { path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q: WordsQuery = query(&req)?;
    let (source, top) = (Source::parse(q.source.as_deref())?, analysis::top(q.top)?);
    let view = analysis::relay_words(&state.db, id, q.group, source, top).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistinctiveQuery {
    a: String,
    b: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    top: Option<usize>,
}

/// `GET /api/analysis/distinctive?a=ID[:group]&b=ID[:group]&source=&top=`
pub async fn distinctive(
    Staff(user, _): Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q: DistinctiveQuery = query(&req)?;
    let (a, b) = Side::pair(&q.a, &q.b)?;
    // Each side on its own: one relay of the caller's must not open another's.
    for side in [&a, &b] {
        scope::allow(&state, &user, Target::Relay(side.relay_id), Need::Read).await?;
    }
    let (source, top) = (Source::parse(q.source.as_deref())?, analysis::top(q.top)?);
    let view = analysis::compare(&state.db, a, b, source, top).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/relays/{id}/network`: the group × group matrix, per-participant counts (names
/// only for facilitators) and the relay chains.
pub async fn relay_network(
    Scoped { path: id, role, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let reader = reader_of(role);
    let view = analysis::relay_network(&state.db, id, reader).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/relays/{id}/keywords`: the expected keywords found, the share found (relevance)
/// and the words that stood out unexpected.
pub async fn relay_keywords(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = depth::relay_keywords(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/relays/{id}/questions/forms`: `[{question_id, form, corrected}]`.
pub async fn relay_forms(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = depth::relay_forms(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/relays/{id}/forms`: form shares per group, round and theme.
pub async fn relay_form_shares(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = depth::relay_form_shares(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PUT /api/questions/{qid}/form` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormRequest {
    form: String,
}

/// `PUT /api/questions/{qid}/form` `{form}`: the analyst's correction of a question's form.
pub async fn correct_form(
    Scoped { path: qid, .. }: ReadQuestion,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: FormRequest = body::json(&req, payload).await?;
    let form = QuestionForm::parse(&input.form)
        .ok_or_else(|| AppError::validation("form must be open, closed or mixed"))?;
    let entry = state
        .write_with_now(move |conn, now| depth::correct_form(conn, qid, form, now))
        .await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// `GET /api/relays/{id}/focus`: inward, outward and neither shares per group and theme.
pub async fn relay_focus(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = depth::relay_focus(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PUT /api/relays/{id}/focus/lists` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FocusListsRequest {
    inward: Vec<String>,
    outward: Vec<String>,
}

/// `PUT /api/relays/{id}/focus/lists` `{inward, outward}`: the relay's own focus word lists;
/// answers the focus read with them.
pub async fn put_focus_lists(
    Scoped { path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: FocusListsRequest = body::json(&req, payload).await?;
    let lists = depth::focus_lists(&input.inward, &input.outward)?;
    store_focus_lists(&state, id, Some(lists)).await
}

/// `DELETE /api/relays/{id}/focus/lists`: back to the language's default lists.
pub async fn reset_focus_lists(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    store_focus_lists(&state, id, None).await
}

async fn store_focus_lists(
    state: &AppState,
    id: i64,
    lists: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    state
        .write_with_now(move |conn, now| depth::set_focus_lists(conn, id, lists.as_ref(), now))
        .await?;
    Ok(HttpResponse::Ok().json(depth::relay_focus(&state.db, id).await?))
}

/// `GET /api/relays/{id}/profiles`: the activity profile of every group.
pub async fn relay_profiles(
    Scoped { path: id, .. }: ReadRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let view = depth::relay_profiles(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SvgQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /api/relays/{id}/network/svg?lang=da|en`: the themed group network as SVG.
pub async fn relay_network_svg(
    Scoped { path: id, .. }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q: SvgQuery = query(&req)?;
    let lang = match q.lang.as_deref() {
        None | Some("en") => "en",
        Some("da") => "da",
        Some(_) => return Err(AppError::validation("lang must be da or en")),
    };
    let svg = analysis::relay_network_svg(&state.db, id, lang.into()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}

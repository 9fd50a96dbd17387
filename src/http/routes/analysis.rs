//! Read-only analysis of a relay: word frequencies, distinctive words, the network. Staff of
//! every role may read them; participants appear under pseudonyms except to facilitators.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::Staff;
use crate::auth::scope::{self, Need, Target};
use crate::error::AppError;
use crate::ops::analysis::{self, Side, Source};
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
    Staff(user, _): Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    scope::allow(&state, &user, Target::Relay(id), Need::Read).await?;
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
    Staff(user, _): Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let role = scope::allow(&state, &user, Target::Relay(id), Need::Read).await?;
    let reader = reader_of(role);
    let view = analysis::relay_network(&state.db, id, reader).await?;
    Ok(HttpResponse::Ok().json(view))
}

//! Read-only analysis of a relay: word frequencies, distinctive words, the network. Staff of
//! every role may read them; participants appear under pseudonyms except to facilitators.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::corpus::reader_of;
use crate::analysis::network::{self, Edge, Node};
use crate::auth::Staff;
use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};
use crate::export::Reader;
use crate::ops::analysis::{self as ops, Side, Source};
use crate::state::AppState;

fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, AppError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(crate::http::query_error)
}

fn top(n: Option<usize>) -> Result<usize, AppError> {
    match n.unwrap_or(20) {
        n @ 1..=500 => Ok(n),
        _ => Err(AppError::validation("top must be between 1 and 500")),
    }
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
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let q: WordsQuery = query(&req)?;
    let source = Source::parse(q.source.as_deref())?;
    let top = top(q.top)?;
    let id = path.into_inner();
    let (relay, rows) = state.db.read_bulk(move |conn| ops::load(conn, id)).await?;
    let group = q.group.filter(|g| !g.is_empty());
    if let Some(g) = &group
        && !rows
            .iter()
            .any(|r| &r.asker_group == g || &r.recipient_group == g)
    {
        let known = state
            .db
            .read_bulk(move |conn| Ok(GroupRow::names(conn, id)?))
            .await?;
        if !known.values().any(|k| k == g) {
            return Err(AppError::validation(format!(
                "relay {id} has no group named {g}"
            )));
        }
    }
    let body = state
        .db
        .compute_bulk(move || ops::words(&relay, &rows, group.as_deref(), source, top))
        .await?;
    Ok(HttpResponse::Ok().json(body))
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
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q: DistinctiveQuery = query(&req)?;
    let (a, b) = (Side::parse(&q.a)?, Side::parse(&q.b)?);
    if a == b {
        return Err(AppError::validation("compare two different sides"));
    }
    let source = Source::parse(q.source.as_deref())?;
    let top = top(q.top)?;
    let (ia, ib) = (a.relay_id, b.relay_id);
    let ((ra, rows_a), (rb, rows_b)) = state
        .db
        .read_bulk(move |conn| Ok((ops::load(conn, ia)?, ops::load(conn, ib)?)))
        .await?;
    let body = state
        .db
        .compute_bulk(move || ops::distinctive((&a, &ra, &rows_a), (&b, &rb, &rows_b), source, top))
        .await??;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/relays/{id}/network`: the group × group matrix, per-participant counts (names
/// only for facilitators) and the relay chains.
pub async fn relay_network(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let named = reader_of(&staff) == Reader::Named;
    let (people, groups, rows) = state
        .db
        .read_bulk(move |conn| {
            RelayRow::find(conn, id).or_not_found("relay")?;
            let people = ParticipantRow::for_relay(conn, id)?;
            let groups = GroupRow::names(conn, id)?;
            let (_, rows) = ops::load(conn, id)?;
            Ok((people, groups, rows))
        })
        .await?;
    let body = state.db.compute_bulk(move || {
        let by_pseudonym: std::collections::HashMap<&str, i64> =
            people.iter().map(|p| (p.pseudonym.as_str(), p.id)).collect();
        let nodes: Vec<Node> = people
            .iter()
            .map(|p| Node {
                id: p.id,
                pseudonym: p.pseudonym.clone(),
                group: groups.get(&p.group_id).cloned().unwrap_or_default(),
            })
            .collect();
        let edges: Vec<Edge> = rows
            .iter()
            .filter_map(|r| {
                Some(Edge {
                    question_id: r.question_id,
                    asker: *by_pseudonym.get(r.asker.as_str())?,
                    recipient: *by_pseudonym.get(r.recipient.as_str())?,
                    asked_at: r.asked_at.and_utc().timestamp(),
                    answered_at: r.answered_at.map(|t| t.and_utc().timestamp()),
                })
            })
            .collect();
        let net = network::network(&nodes, &edges);
        let node_of: std::collections::HashMap<i64, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
        let asker_of: std::collections::HashMap<i64, i64> =
            edges.iter().map(|e| (e.question_id, e.asker)).collect();
        let recipient_of: std::collections::HashMap<i64, i64> =
            edges.iter().map(|e| (e.question_id, e.recipient)).collect();
        let name_of: std::collections::HashMap<i64, &str> =
            people.iter().map(|p| (p.id, p.name.as_str())).collect();
        let step = |pid: i64| {
            let n = node_of.get(&pid);
            json!({ "pseudonym": n.map(|n| n.pseudonym.clone()), "group": n.map(|n| n.group.clone()) })
        };
        let top_chains: Vec<_> = net
            .chains
            .iter()
            .filter(|c| c.len() > 1)
            .take(5)
            .map(|c| {
                // The path of the baton: the first asker, then each recipient in turn.
                let mut path = vec![step(asker_of[&c[0]])];
                path.extend(c.iter().map(|q| step(recipient_of[q])));
                json!({ "length": c.len(), "questions": c, "path": path })
            })
            .collect();
        json!({
            "relay_id": id,
            "groups": net.groups,
            "matrix": net.matrix,
            "participants": net.participants.iter().map(|(n, c)| {
                let mut v = json!({
                    "pseudonym": n.pseudonym, "group": n.group,
                    "asked": c.asked, "received": c.received, "answered": c.answered,
                });
                if named {
                    v["name"] = json!(name_of.get(&n.id));
                }
                v
            }).collect::<Vec<_>>(),
            "chains": {
                "count": net.chains.len(),
                "longest": net.chains.first().map_or(0, Vec::len),
                "histogram": net.chain_histogram,
                "top": top_chains,
            },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

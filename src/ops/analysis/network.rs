//! The network of a relay, built once for the API and the report: who asked whom per group
//! and per participant, and the relay chains.

use std::collections::HashMap;

use crate::analysis::network::{self, Edge, Network, Node};
use crate::db::Db;
use crate::db::corpus::CorpusRow;
use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::error::AppError;
use crate::export::Reader;

use super::load;
use super::views::{Chain, ChainStep, Chains, NetworkView, ParticipantCounts};

/// How many chains the view lists.
const TOP_CHAINS: usize = 5;

/// `GET /api/relays/{id}/network`: loads the relay's people and corpus and builds its network;
/// names only for a [`Reader::Named`].
pub async fn relay_network(
    db: &Db,
    relay_id: i64,
    reader: Reader,
) -> Result<NetworkView, AppError> {
    let (people, groups, rows) = db
        .read_bulk(move |conn| {
            let (_, rows) = load(conn, relay_id)?;
            let people = ParticipantRow::for_relay(conn, relay_id)?;
            Ok((people, GroupRow::names(conn, relay_id)?, rows))
        })
        .await?;
    db.compute_bulk(move || build(relay_id, &people, &groups, &rows, reader))
        .await
}

/// The network of a relay's `people` (in `groups`, by id) and its corpus `rows`.
pub fn build(
    relay_id: i64,
    people: &[ParticipantRow],
    groups: &HashMap<i64, String>,
    rows: &[CorpusRow],
    reader: Reader,
) -> NetworkView {
    let nodes = nodes(people, groups);
    let edges = edges(people, rows);
    let net = network::network(&nodes, &edges);
    let names: Option<HashMap<i64, &str>> =
        (reader == Reader::Named).then(|| people.iter().map(|p| (p.id, p.name.as_str())).collect());
    NetworkView {
        relay_id,
        participants: participants(&net, names.as_ref()),
        chains: chains(&net, &nodes, &edges),
        groups: net.groups,
        matrix: net.matrix,
    }
}

fn nodes(people: &[ParticipantRow], groups: &HashMap<i64, String>) -> Vec<Node> {
    people
        .iter()
        .map(|p| Node {
            id: p.id,
            pseudonym: p.pseudonym.clone(),
            group: groups.get(&p.group_id).cloned().unwrap_or_default(),
        })
        .collect()
}

/// Each question as an edge from its asker to its recipient (the corpus names them by
/// pseudonym).
fn edges(people: &[ParticipantRow], rows: &[CorpusRow]) -> Vec<Edge> {
    let by_pseudonym: HashMap<&str, i64> = people
        .iter()
        .map(|p| (p.pseudonym.as_str(), p.id))
        .collect();
    rows.iter()
        .filter_map(|r| {
            Some(Edge {
                question_id: r.question_id,
                asker: *by_pseudonym.get(r.asker.as_str())?,
                recipient: *by_pseudonym.get(r.recipient.as_str())?,
                asked_at: r.asked_at.and_utc().timestamp(),
                answered_at: r.answered_at.map(|t| t.and_utc().timestamp()),
            })
        })
        .collect()
}

fn participants(net: &Network, names: Option<&HashMap<i64, &str>>) -> Vec<ParticipantCounts> {
    net.participants
        .iter()
        .map(|(n, c)| ParticipantCounts {
            pseudonym: n.pseudonym.clone(),
            group: n.group.clone(),
            name: names.and_then(|m| m.get(&n.id)).map(|s| s.to_string()),
            asked: c.asked,
            received: c.received,
            answered: c.answered,
        })
        .collect()
}

fn chains(net: &Network, nodes: &[Node], edges: &[Edge]) -> Chains {
    let node_of: HashMap<i64, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
    let edge_of: HashMap<i64, &Edge> = edges.iter().map(|e| (e.question_id, e)).collect();
    let step = |pid: i64| {
        let n = node_of.get(&pid);
        ChainStep {
            pseudonym: n.map(|n| n.pseudonym.clone()),
            group: n.map(|n| n.group.clone()),
        }
    };
    let top = net
        .chains
        .iter()
        .filter(|c| c.len() > 1)
        .take(TOP_CHAINS)
        .map(|c| {
            // The path of the baton: the first asker, then each recipient in turn.
            let mut path = vec![step(edge_of[&c[0]].asker)];
            path.extend(c.iter().map(|q| step(edge_of[q].recipient)));
            Chain {
                length: c.len(),
                questions: c.clone(),
                path,
            }
        })
        .collect();
    Chains {
        count: net.chains.len(),
        longest: net.chains.first().map_or(0, Vec::len),
        histogram: net.chain_histogram.clone(),
        top,
    }
}

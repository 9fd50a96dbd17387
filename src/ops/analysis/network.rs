//! The network of a relay, built once for the API and the report: who asked whom per group
//! and per participant, and the relay chains.

use std::collections::HashMap;

use crate::analysis::network::{self, Edge, Network, Node};
use crate::analysis::{NetworkSvgOptions, network_svg};
use crate::db::Db;
use crate::db::corpus::CorpusRow;
use crate::db::participants::ParticipantRow;
use crate::error::AppError;
use crate::export::Reader;

use super::material::Material;
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
    let m = db
        .read_bulk(move |conn| Material::load(conn, relay_id))
        .await?;
    db.compute_bulk(move || build(&m, reader)).await
}

/// The network of a relay's people and corpus, its group links labelled by theme.
pub fn build(m: &Material, reader: Reader) -> NetworkView {
    let nodes = nodes(&m.people, &m.groups);
    let edges = edges(&m.people, &m.rows);
    let net = network::network(&nodes, &edges);
    let names: Option<HashMap<i64, &str>> = (reader == Reader::Named)
        .then(|| m.people.iter().map(|p| (p.id, p.name.as_str())).collect());
    let theme_of: HashMap<i64, i64> = m
        .rows
        .iter()
        .filter_map(|r| Some((r.question_id, r.theme_id?)))
        .collect();
    NetworkView {
        relay_id: m.relay.id,
        links: network::group_links(&nodes, &edges, &theme_of, &m.themes),
        participants: participants(&net, names.as_ref()),
        chains: chains(&net, &nodes, &edges),
        groups: net.groups,
        matrix: net.matrix,
    }
}

/// The relay's participants as network nodes, with their group names.
pub fn nodes(people: &[ParticipantRow], groups: &HashMap<i64, String>) -> Vec<Node> {
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
pub fn edges(people: &[ParticipantRow], rows: &[CorpusRow]) -> Vec<Edge> {
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

/// The themed group network of `net` (built from `m`) drawn as SVG, its texts in `lang`.
pub fn svg(m: &Material, net: &NetworkView, lang: &str, id_prefix: &str) -> String {
    let options = if lang == "da" {
        NetworkSvgOptions {
            title: "Hvem spørger hvem om hvad".into(),
            description: "Spørgsmål mellem grupperne; hver pil har farven af det tema, der \
                          bærer flest af dens spørgsmål."
                .into(),
            no_theme: "uden tema".into(),
            questions: "spørgsmål".into(),
            id_prefix: id_prefix.into(),
        }
    } else {
        NetworkSvgOptions {
            id_prefix: id_prefix.into(),
            ..NetworkSvgOptions::default()
        }
    };
    network_svg(&net.groups, &net.links, &m.themes, &options)
}

/// `GET /api/relays/{id}/network/svg?lang=`: the themed group network as SVG.
pub async fn relay_network_svg(db: &Db, relay_id: i64, lang: String) -> Result<String, AppError> {
    let m = db
        .read_bulk(move |conn| Material::load(conn, relay_id))
        .await?;
    db.compute_bulk(move || svg(&m, &build(&m, Reader::Analyst), &lang, "network"))
        .await
}

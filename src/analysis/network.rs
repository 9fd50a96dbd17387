//! Who asked whom: the group × group matrix, per-participant counts, relay chains — how far a
//! baton travelled when each answer was followed by a question from the one who answered — and
//! the group links labelled by the theme that carries most of their questions (drawn by
//! [`super::network_svg`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::cluster::ThemeId;

/// One question as the network sees it. Times are comparable numbers (e.g. Unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The question.
    pub question_id: i64,
    /// Who asked.
    pub asker: i64,
    /// Who holds (or answered) it.
    pub recipient: i64,
    /// When it was asked.
    pub asked_at: i64,
    /// When it was answered, if it was.
    pub answered_at: Option<i64>,
}

/// A participant of the network, named by pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Participant id.
    pub id: i64,
    /// Stable pseudonym, e.g. `P017`.
    pub pseudonym: String,
    /// Group name.
    pub group: String,
}

/// Per-participant counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Questions asked.
    pub asked: u32,
    /// Questions received (held now or answered).
    pub received: u32,
    /// Questions answered.
    pub answered: u32,
}

/// The network of a relay.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Group names in order; rows and columns of `matrix`.
    pub groups: Vec<String>,
    /// `matrix[a][b]`: questions asked by group `a` of group `b`.
    pub matrix: Vec<Vec<u32>>,
    /// Counts per participant, in the order of the nodes given.
    pub participants: Vec<(Node, Counts)>,
    /// Every chain as its questions in order; longest first, then by first question.
    pub chains: Vec<Vec<i64>>,
    /// `histogram[len]`: how many chains have `len` questions.
    pub chain_histogram: BTreeMap<usize, usize>,
}

/// Builds the network. A question continues the chain of an answered question when its asker
/// is the one who answered, and it is the first question they asked after that answer (each
/// question continues at most one chain). Chains of one question count too: a baton that went
/// one step.
pub fn network(nodes: &[Node], edges: &[Edge]) -> Network {
    let mut groups: Vec<String> = nodes.iter().map(|n| n.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let group_index: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.as_str(), i))
        .collect();
    let node_group: HashMap<i64, usize> = nodes
        .iter()
        .map(|n| (n.id, group_index[n.group.as_str()]))
        .collect();

    let mut matrix = vec![vec![0u32; groups.len()]; groups.len()];
    let mut counts: HashMap<i64, Counts> = HashMap::new();
    for e in edges {
        if let (Some(&a), Some(&b)) = (node_group.get(&e.asker), node_group.get(&e.recipient)) {
            matrix[a][b] += 1;
        }
        counts.entry(e.asker).or_default().asked += 1;
        let r = counts.entry(e.recipient).or_default();
        r.received += 1;
        if e.answered_at.is_some() {
            r.answered += 1;
        }
    }
    let participants = nodes
        .iter()
        .map(|n| (n.clone(), counts.get(&n.id).cloned().unwrap_or_default()))
        .collect();

    let chains = chains(edges);
    let mut chain_histogram = BTreeMap::new();
    for c in &chains {
        *chain_histogram.entry(c.len()).or_insert(0) += 1;
    }
    Network {
        groups,
        matrix,
        participants,
        chains,
        chain_histogram,
    }
}

/// Questions on one link of the group network that belong to one theme (`theme_id: None` for
/// questions in no theme): an entry of [`GroupLink::split`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeCount {
    /// The theme, or `None` for questions in no theme.
    pub theme_id: Option<ThemeId>,
    /// The theme's label.
    pub theme_label: Option<String>,
    /// Questions of the link in this theme.
    pub count: u32,
}

/// Questions asked by one group of another (or of itself), labelled by the theme that carries
/// most of them: `{from, to, count, theme_id, theme_label, split}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupLink {
    /// The asking group.
    pub from: String,
    /// The receiving group.
    pub to: String,
    /// Questions on the link.
    pub count: u32,
    /// The theme with most of the link's questions (ties go to the theme listed first);
    /// `None` when none of them has a theme.
    pub theme_id: Option<ThemeId>,
    /// That theme's label.
    pub theme_label: Option<String>,
    /// Questions per theme, most first (ties in the themes' order), those in no theme last.
    pub split: Vec<ThemeCount>,
}

/// The links of the group network with their themes. `theme_of` maps a question to its theme;
/// `themes` lists every theme as `(id, label)` in the order to show them, and a theme missing
/// from it counts as no theme. Links come in the order of the sorted group names (from, then
/// to); a question whose asker or recipient is not among `nodes` is left out.
pub fn group_links(
    nodes: &[Node],
    edges: &[Edge],
    theme_of: &HashMap<i64, ThemeId>,
    themes: &[(ThemeId, String)],
) -> Vec<GroupLink> {
    let group_of: HashMap<i64, &str> = nodes.iter().map(|n| (n.id, n.group.as_str())).collect();
    let position: HashMap<ThemeId, usize> = themes
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (*t, i))
        .collect();
    // Per link, counts per theme position; `themes.len()` stands for no theme.
    let mut links: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    for e in edges {
        let (Some(&a), Some(&b)) = (group_of.get(&e.asker), group_of.get(&e.recipient)) else {
            continue;
        };
        let slot = theme_of
            .get(&e.question_id)
            .and_then(|t| position.get(t))
            .copied()
            .unwrap_or(themes.len());
        links
            .entry((a, b))
            .or_insert_with(|| vec![0; themes.len() + 1])[slot] += 1;
    }
    links
        .into_iter()
        .map(|((from, to), counts)| {
            let mut order: Vec<usize> = (0..themes.len()).filter(|&i| counts[i] > 0).collect();
            order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
            let top = order.first().map(|&i| &themes[i]);
            let mut split: Vec<ThemeCount> = order
                .iter()
                .map(|&i| ThemeCount {
                    theme_id: Some(themes[i].0),
                    theme_label: Some(themes[i].1.clone()),
                    count: counts[i],
                })
                .collect();
            if counts[themes.len()] > 0 {
                split.push(ThemeCount {
                    theme_id: None,
                    theme_label: None,
                    count: counts[themes.len()],
                });
            }
            GroupLink {
                from: from.to_owned(),
                to: to.to_owned(),
                count: counts.iter().sum(),
                theme_id: top.map(|t| t.0),
                theme_label: top.map(|t| t.1.clone()),
                split,
            }
        })
        .collect()
}

fn chains(edges: &[Edge]) -> Vec<Vec<i64>> {
    // Each participant's questions in the order they asked them.
    let mut asked_by: HashMap<i64, Vec<&Edge>> = HashMap::new();
    for e in edges {
        asked_by.entry(e.asker).or_default().push(e);
    }
    for list in asked_by.values_mut() {
        list.sort_by_key(|e| (e.asked_at, e.question_id));
    }
    // Answers in time order claim the answerer's next question after the answer.
    let mut answered: Vec<&Edge> = edges.iter().filter(|e| e.answered_at.is_some()).collect();
    answered.sort_by_key(|e| (e.answered_at, e.question_id));
    let mut next: HashMap<i64, i64> = HashMap::new();
    let mut has_prev: HashSet<i64> = HashSet::new();
    for e in answered {
        let at = e.answered_at.unwrap_or_default();
        let follow = asked_by.get(&e.recipient).and_then(|list| {
            list.iter()
                .find(|q| q.asked_at >= at && !has_prev.contains(&q.question_id))
        });
        if let Some(q) = follow {
            next.insert(e.question_id, q.question_id);
            has_prev.insert(q.question_id);
        }
    }
    let mut starts: Vec<&Edge> = edges
        .iter()
        .filter(|e| !has_prev.contains(&e.question_id))
        .collect();
    starts.sort_by_key(|e| e.question_id);
    let mut out: Vec<Vec<i64>> = starts
        .into_iter()
        .map(|s| {
            let mut chain = vec![s.question_id];
            let mut at = s.question_id;
            while let Some(&n) = next.get(&at) {
                chain.push(n);
                at = n;
            }
            chain
        })
        .collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

/// Nodes and edges written short, for the tests of this module and of [`super::profiles`].
#[cfg(test)]
pub(super) mod test_data {
    use super::{Edge, Node};

    /// Participant `id` of `group`, pseudonym `P{id}`.
    pub(in crate::analysis) fn node(id: i64, group: &str) -> Node {
        Node {
            id,
            pseudonym: format!("P{id:03}"),
            group: group.into(),
        }
    }

    /// Question `q` from `a` to `r`, asked at `asked`, maybe answered.
    pub(in crate::analysis) fn edge(
        q: i64,
        a: i64,
        r: i64,
        asked: i64,
        answered: Option<i64>,
    ) -> Edge {
        Edge {
            question_id: q,
            asker: a,
            recipient: r,
            asked_at: asked,
            answered_at: answered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_data::{edge, node};
    use super::*;

    #[test]
    fn the_matrix_and_counts_follow_the_questions() {
        let nodes = [node(1, "Kommune"), node(2, "Stat"), node(3, "Stat")];
        let edges = [
            edge(1, 1, 2, 0, Some(5)),
            edge(2, 2, 3, 6, None),
            edge(3, 3, 1, 7, Some(9)),
        ];
        let n = network(&nodes, &edges);
        assert_eq!(n.groups, ["Kommune", "Stat"]);
        assert_eq!(n.matrix, vec![vec![0, 1], vec![1, 1]]);
        let c = |i: usize| n.participants[i].1.clone();
        assert_eq!(
            c(0),
            Counts {
                asked: 1,
                received: 1,
                answered: 1
            }
        );
        assert_eq!(
            c(1),
            Counts {
                asked: 1,
                received: 1,
                answered: 1
            }
        );
        assert_eq!(
            c(2),
            Counts {
                asked: 1,
                received: 1,
                answered: 0
            }
        );
    }

    #[test]
    fn a_chain_follows_answer_then_the_answerers_next_question() {
        // 1 asks 2 (q1); 2 answers at 5 and asks 3 at 6 (q2); 3 answers at 8, asks 1 at 9 (q3).
        // q4: 1 asks 3 before anything was answered: a chain of its own.
        let nodes = [node(1, "A"), node(2, "B"), node(3, "A")];
        let edges = [
            edge(1, 1, 2, 0, Some(5)),
            edge(4, 1, 3, 1, None),
            edge(2, 2, 3, 6, Some(8)),
            edge(3, 3, 1, 9, None),
        ];
        let n = network(&nodes, &edges);
        assert_eq!(n.chains, vec![vec![1, 2, 3], vec![4]]);
        assert_eq!(n.chain_histogram, BTreeMap::from([(1, 1), (3, 1)]));
    }

    #[test]
    fn a_question_asked_before_the_answer_does_not_continue_it() {
        let nodes = [node(1, "A"), node(2, "B")];
        let edges = [edge(1, 1, 2, 0, Some(10)), edge(2, 2, 1, 5, None)];
        assert_eq!(network(&nodes, &edges).chains, vec![vec![1], vec![2]]);
    }

    #[test]
    fn links_carry_their_main_theme_and_split() {
        let nodes = [node(1, "Stat"), node(2, "Kommune"), node(3, "Kommune")];
        let edges = [
            edge(1, 1, 2, 0, None),
            edge(2, 1, 3, 0, None),
            edge(3, 1, 2, 0, None),
            edge(4, 1, 2, 0, None),
            edge(5, 2, 3, 0, None),
            edge(6, 2, 1, 0, None),
            edge(7, 2, 99, 0, None),
        ];
        let themes = vec![(10, "Borgere".to_string()), (20, "Styring".to_string())];
        // Stat → Kommune: two Styring, one Borgere, one in no theme; Kommune → Kommune: one
        // Borgere; Kommune → Stat: one in a theme that is not listed, so none.
        let theme_of = HashMap::from([(1, 20), (2, 10), (3, 20), (5, 10), (6, 77)]);
        let links = group_links(&nodes, &edges, &theme_of, &themes);
        let ends: Vec<(&str, &str, u32)> = links
            .iter()
            .map(|l| (l.from.as_str(), l.to.as_str(), l.count))
            .collect();
        assert_eq!(
            ends,
            [
                ("Kommune", "Kommune", 1),
                ("Kommune", "Stat", 1),
                ("Stat", "Kommune", 4)
            ]
        );
        let sk = &links[2];
        assert_eq!(sk.theme_id, Some(20));
        assert_eq!(sk.theme_label.as_deref(), Some("Styring"));
        let split: Vec<(Option<i64>, u32)> =
            sk.split.iter().map(|s| (s.theme_id, s.count)).collect();
        assert_eq!(split, [(Some(20), 2), (Some(10), 1), (None, 1)]);
        assert_eq!(links[1].theme_id, None);
        assert_eq!(
            links[1].split,
            [ThemeCount {
                theme_id: None,
                theme_label: None,
                count: 1
            }]
        );
        let json = serde_json::to_value(sk).unwrap();
        assert_eq!(json["theme_label"], "Styring");
        assert_eq!(json["split"][2]["theme_id"], serde_json::Value::Null);
        // The links add up to the matrix.
        let n = network(&nodes, &edges);
        let total: u32 = n.matrix.iter().flatten().sum();
        assert_eq!(links.iter().map(|l| l.count).sum::<u32>(), total);
    }

    #[test]
    fn ties_go_to_the_theme_listed_first() {
        let nodes = [node(1, "A"), node(2, "B")];
        let edges = [edge(1, 1, 2, 0, None), edge(2, 1, 2, 0, None)];
        let themes = vec![(5, "Fem".to_string()), (3, "Tre".to_string())];
        let theme_of = HashMap::from([(1, 3), (2, 5)]);
        let links = group_links(&nodes, &edges, &theme_of, &themes);
        assert_eq!(links[0].theme_id, Some(5));
    }

    #[test]
    fn two_answers_never_claim_the_same_next_question() {
        // 2 answers q1 and q2, then asks once: only the earlier answer continues.
        let nodes = [node(1, "A"), node(2, "B"), node(3, "A")];
        let edges = [
            edge(1, 1, 2, 0, Some(3)),
            edge(2, 3, 2, 1, Some(4)),
            edge(3, 2, 1, 5, None),
        ];
        let n = network(&nodes, &edges);
        assert_eq!(n.chains, vec![vec![1, 3], vec![2]]);
        let total: usize = n.chains.iter().map(Vec::len).sum();
        assert_eq!(total, edges.len(), "every question is in exactly one chain");
    }
}

//! Activity profile per group: how much its members asked, received and answered, how fast they
//! answered, whether the group drove the relay (proactive), followed it (reactive) or neither,
//! and how many of its members took part.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::network::{Edge, Node};

/// What kind of participant a group was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Asked clearly more than it answered.
    Proactive,
    /// Answered clearly more than it asked.
    Reactive,
    /// Asked and answered about as much.
    Balanced,
    /// Neither asked nor answered.
    Inactive,
}

/// What "clearly more" means.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileOptions {
    /// One side must be at least this many times the other.
    pub ratio: f64,
    /// And exceed it by at least this many questions, so 1 against 0 is no profile.
    pub min_difference: u64,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            ratio: 1.5,
            min_difference: 2,
        }
    }
}

/// One group's activity, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupProfile {
    /// Questions the group's members asked.
    pub asked: u64,
    /// Questions the group's members received (held now or answered).
    pub received: u64,
    /// Questions the group's members answered.
    pub answered: u64,
    /// `answered / received`; 0 when nothing was received.
    pub answered_share: f64,
    /// Median minutes from a question being asked to its answer, over the questions the group
    /// answered; `None` when it answered none.
    pub median_answer_minutes: Option<f64>,
    /// The group's profile.
    pub profile: Profile,
    /// Share of the group's members who asked or answered at least once; 0 for no members.
    pub participation: f64,
}

/// Classifies a group by how many questions it asked and answered.
pub fn classify_profile(asked: u64, answered: u64, options: &ProfileOptions) -> Profile {
    let clearly_more = |a: u64, b: u64| {
        a as f64 >= options.ratio * b as f64 && a.saturating_sub(b) >= options.min_difference
    };
    if asked == 0 && answered == 0 {
        Profile::Inactive
    } else if clearly_more(asked, answered) {
        Profile::Proactive
    } else if clearly_more(answered, asked) {
        Profile::Reactive
    } else {
        Profile::Balanced
    }
}

/// The median of `values` (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Profiles of every group of `nodes` (the relay's participants), keyed by group name, from its
/// questions `edges` with times in seconds. A question whose asker or recipient is not among
/// `nodes` counts only for the side that is; an answer dated before its question counts as
/// immediate.
pub fn group_profiles(
    nodes: &[Node],
    edges: &[Edge],
    options: &ProfileOptions,
) -> BTreeMap<String, GroupProfile> {
    let group_of: HashMap<i64, &str> = nodes.iter().map(|n| (n.id, n.group.as_str())).collect();
    let mut members: BTreeMap<&str, usize> = BTreeMap::new();
    for n in nodes {
        *members.entry(n.group.as_str()).or_default() += 1;
    }
    #[derive(Default)]
    struct Tally {
        asked: u64,
        received: u64,
        answered: u64,
        minutes: Vec<f64>,
    }
    let mut tally: HashMap<&str, Tally> = HashMap::new();
    let mut active: HashSet<i64> = HashSet::new();
    for e in edges {
        if let Some(g) = group_of.get(&e.asker) {
            tally.entry(g).or_default().asked += 1;
            active.insert(e.asker);
        }
        if let Some(g) = group_of.get(&e.recipient) {
            let t = tally.entry(g).or_default();
            t.received += 1;
            if let Some(at) = e.answered_at {
                t.answered += 1;
                t.minutes.push((at - e.asked_at).max(0) as f64 / 60.0);
                active.insert(e.recipient);
            }
        }
    }
    let mut participants: HashMap<&str, usize> = HashMap::new();
    for n in nodes {
        if active.contains(&n.id) {
            *participants.entry(n.group.as_str()).or_default() += 1;
        }
    }
    members
        .into_iter()
        .map(|(group, size)| {
            let t = tally.remove(group).unwrap_or_default();
            let share = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let took_part = participants.get(group).copied().unwrap_or(0);
            let profile = GroupProfile {
                asked: t.asked,
                received: t.received,
                answered: t.answered,
                answered_share: share(t.answered, t.received),
                median_answer_minutes: median(t.minutes),
                profile: classify_profile(t.asked, t.answered, options),
                participation: share(took_part as u64, size as u64),
            };
            (group.to_owned(), profile)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::network::test_data::{edge, node};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn profiles_by_hand() {
        // Topledere (1, 2, 3) ask four questions of Institutionsledere (4, 5), who answer three
        // of them after 10, 30 and 60 minutes and ask one back, unanswered. Frivillige (6) do
        // nothing.
        let nodes = [
            node(1, "Topledere"),
            node(2, "Topledere"),
            node(3, "Topledere"),
            node(4, "Institutionsledere"),
            node(5, "Institutionsledere"),
            node(6, "Frivillige"),
        ];
        let edges = [
            edge(1, 1, 4, 0, Some(600)),
            edge(2, 1, 4, 0, Some(1800)),
            edge(3, 2, 5, 0, Some(3600)),
            edge(4, 2, 5, 0, None),
            edge(5, 4, 1, 100, None),
        ];
        let p = group_profiles(&nodes, &edges, &ProfileOptions::default());
        assert_eq!(
            p["Topledere"],
            GroupProfile {
                asked: 4,
                received: 1,
                answered: 0,
                answered_share: 0.0,
                median_answer_minutes: None,
                profile: Profile::Proactive,
                participation: 2.0 / 3.0,
            }
        );
        assert_eq!(
            p["Institutionsledere"],
            GroupProfile {
                asked: 1,
                received: 4,
                answered: 3,
                answered_share: 0.75,
                median_answer_minutes: Some(30.0),
                profile: Profile::Reactive,
                participation: 1.0,
            }
        );
        assert_eq!(p["Frivillige"].profile, Profile::Inactive);
        assert_eq!(p["Frivillige"].participation, 0.0);
        let json = serde_json::to_value(&p["Topledere"]).unwrap();
        assert_eq!(json["profile"], "proactive");
        assert_eq!(json["median_answer_minutes"], serde_json::Value::Null);
    }

    #[test]
    fn clearly_more_needs_ratio_and_difference() {
        let o = ProfileOptions::default();
        assert_eq!(classify_profile(0, 0, &o), Profile::Inactive);
        assert_eq!(classify_profile(1, 0, &o), Profile::Balanced);
        assert_eq!(classify_profile(2, 0, &o), Profile::Proactive);
        assert_eq!(classify_profile(10, 7, &o), Profile::Balanced);
        assert_eq!(classify_profile(12, 8, &o), Profile::Proactive);
        assert_eq!(classify_profile(8, 12, &o), Profile::Reactive);
        assert_eq!(classify_profile(5, 5, &o), Profile::Balanced);
    }

    #[test]
    fn even_medians_and_early_answers() {
        let nodes = [node(1, "A"), node(2, "B")];
        let edges = [edge(1, 1, 2, 600, Some(0)), edge(2, 1, 2, 0, Some(1200))];
        let p = group_profiles(&nodes, &edges, &ProfileOptions::default());
        // 0 (answered "before" it was asked) and 20 minutes.
        assert_eq!(p["B"].median_answer_minutes, Some(10.0));
    }

    proptest! {
        #[test]
        fn shares_stay_in_range(
            groups in prop::collection::vec(0..3u8, 1..8),
            qs in prop::collection::vec((0..8usize, 0..8usize, 0..10_000i64, prop::option::of(0..10_000i64)), 0..40),
        ) {
            let nodes: Vec<Node> = groups.iter().enumerate()
                .map(|(i, g)| node(i as i64, &format!("G{g}"))).collect();
            let edges: Vec<Edge> = qs.iter().enumerate()
                .map(|(q, &(a, r, t, ans))| edge(q as i64, a as i64, r as i64, t, ans)).collect();
            let p = group_profiles(&nodes, &edges, &ProfileOptions::default());
            for g in p.values() {
                prop_assert!((0.0..=1.0).contains(&g.answered_share));
                prop_assert!((0.0..=1.0).contains(&g.participation));
                prop_assert!(g.answered <= g.received);
                prop_assert!(g.median_answer_minutes.is_none_or(|m| m >= 0.0));
                prop_assert_eq!(g.profile == Profile::Inactive, g.asked == 0 && g.answered == 0);
            }
        }
    }
}

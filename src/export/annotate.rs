//! What an export adds to each corpus row from the analysis: the question's form (the analyst's
//! correction over the classifier's), its focus, and the expected keywords it holds; and, for
//! the XLSX workbook, the per-group summaries of its second sheet, gathered row by row.

use std::collections::{BTreeMap, HashMap};

use crate::analysis::network::{Edge, Node};
use crate::analysis::{
    Focus, FocusCounts, FocusMatcher, FocusShares, FormShares, GroupProfile, KeywordMatcher,
    ProfileOptions, QuestionForm, classify_form, group_profiles,
};
use crate::db::DbConn;
use crate::db::corpus::CorpusRow;
use crate::db::focus_lists::FocusListRow;
use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::db::question_forms::FormCorrection;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};
use crate::ops::analysis::material::lexicon;
use crate::ops::analysis::{network_edges, network_nodes, tokenizer};

/// The analysis of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Notes {
    /// Open, closed or mixed.
    pub form: QuestionForm,
    /// Its inward and outward words.
    pub focus: FocusCounts,
    /// The expected keywords it holds, in the facilitator's order, joined by "; ".
    pub keywords: String,
}

/// The name of a focus in the export.
pub fn focus_name(f: Focus) -> &'static str {
    match f {
        Focus::Inward => "inward",
        Focus::Outward => "outward",
        Focus::Both => "both",
        Focus::Neither => "neither",
    }
}

/// Reads rows of one relay with its corrections, focus lists and keywords.
pub struct Annotator {
    corrections: HashMap<i64, QuestionForm>,
    focus: FocusMatcher,
    keywords: KeywordMatcher,
    people: Vec<ParticipantRow>,
    nodes: Vec<Node>,
}

impl Annotator {
    /// Loads what the rows of `relay_id` are read with (404 when there is no such relay).
    pub fn load(conn: &mut DbConn, relay_id: i64) -> Result<Annotator, AppError> {
        let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
        let tokenizer = tokenizer(&relay.language);
        let lists = FocusListRow::find(conn, relay_id)?;
        let people = ParticipantRow::for_relay(conn, relay_id)?;
        let groups = GroupRow::names(conn, relay_id)?;
        Ok(Annotator {
            corrections: FormCorrection::for_relay(conn, relay_id)?,
            focus: FocusMatcher::new(&lexicon(&relay, lists.as_ref()), &tokenizer),
            keywords: KeywordMatcher::new(&tokenizer, &relay.settings().keywords),
            nodes: network_nodes(&people, &groups),
            people,
        })
    }

    /// The analysis of `row`.
    pub fn notes(&self, row: &CorpusRow) -> Notes {
        Notes {
            form: self
                .corrections
                .get(&row.question_id)
                .copied()
                .unwrap_or_else(|| classify_form(&row.question)),
            focus: self.focus.count(&row.question),
            keywords: self.keywords.hits(&row.question).join("; "),
        }
    }
}

/// One group's line of the summary sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    /// The group.
    pub group: String,
    /// Its activity profile.
    pub profile: GroupProfile,
    /// The forms of its questions.
    pub forms: FormShares,
    /// The focus of its questions.
    pub focus: FocusShares,
}

/// The per-group summaries, gathered a page of rows at a time: each row keeps only its edge,
/// form and focus counts, not its texts.
#[derive(Debug, Default)]
pub struct Summary {
    edges: Vec<Edge>,
    forms: BTreeMap<String, Vec<QuestionForm>>,
    focus: BTreeMap<String, Vec<FocusCounts>>,
}

impl Summary {
    /// Adds a page of rows with their notes.
    pub fn add(&mut self, annotator: &Annotator, rows: &[CorpusRow], notes: &[Notes]) {
        self.edges.extend(network_edges(&annotator.people, rows));
        for (row, n) in rows.iter().zip(notes) {
            let g = &row.asker_group;
            self.forms.entry(g.clone()).or_default().push(n.form);
            self.focus.entry(g.clone()).or_default().push(n.focus);
        }
    }

    /// One summary per group of the relay, in name order.
    pub fn groups(mut self, annotator: &Annotator) -> Vec<GroupSummary> {
        group_profiles(&annotator.nodes, &self.edges, &ProfileOptions::default())
            .into_iter()
            .map(|(group, profile)| GroupSummary {
                forms: FormShares::of(self.forms.remove(&group).unwrap_or_default()),
                focus: FocusShares::of(self.focus.remove(&group).unwrap_or_default()),
                group,
                profile,
            })
            .collect()
    }
}

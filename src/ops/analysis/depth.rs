//! Question form, focus, expected keywords and group profiles of a relay as the API and the
//! report serve them, each built from one loaded [`Material`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::analysis::{
    self, FocusLexicon, FocusMatcher, FocusShares, FormEntry, FormShares, KeywordOptions,
    ProfileOptions, QuestionForm, Reference, focus_shares_by, form_shares_by, group_profiles,
    question_forms,
};
use crate::db::corpus::CorpusRow;
use crate::db::focus_lists::FocusListRow;
use crate::db::question_forms::FormCorrection;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::{Db, DbConn, to_db};
use crate::error::{AppError, Found};

use super::material::{self, Material};
use super::network::{edges, nodes};
use super::views::{FocusListsView, FocusView, FormSharesView, Keyed, KeywordsView, ProfilesView};
use super::{Source, documents, tokenizer};

/// Loads a relay's material on a bulk connection.
pub async fn material(db: &Db, relay_id: i64) -> Result<Material, AppError> {
    db.read_bulk(move |conn| Material::load(conn, relay_id))
        .await
}

/// `GET /api/relays/{id}/keywords`.
pub async fn relay_keywords(db: &Db, relay_id: i64) -> Result<KeywordsView, AppError> {
    let (m, reference) = db
        .read_bulk(move |conn| {
            let m = Material::load(conn, relay_id)?;
            let reference = material::reference(conn, &m.relay, &tokenizer(&m.relay.language))?;
            Ok((m, reference))
        })
        .await?;
    db.compute_bulk(move || keywords(&m, &reference.0, reference.1))
        .await
}

/// The keywords view of `m` against `reference` (named `reference_name`).
pub fn keywords(m: &Material, reference: &Reference, reference_name: &'static str) -> KeywordsView {
    let docs = documents(&m.rows, Source::Questions);
    let report = analysis::keywords(
        &tokenizer(&m.relay.language),
        &docs,
        &m.relay.settings().keywords,
        reference,
        &KeywordOptions::default(),
    );
    KeywordsView {
        keywords: report.keywords,
        reference: reference_name,
        relevance: report.relevance,
        unexpected: report.unexpected,
    }
}

/// Every question's form, the analyst's corrections laid over the classifier's.
pub fn forms(m: &Material) -> Vec<FormEntry> {
    let questions: Vec<(i64, &str)> = m
        .rows
        .iter()
        .map(|r| (r.question_id, r.question.as_str()))
        .collect();
    question_forms(&questions, &m.corrections)
}

/// `GET /api/relays/{id}/questions/forms`.
pub async fn relay_forms(db: &Db, relay_id: i64) -> Result<Vec<FormEntry>, AppError> {
    let m = material(db, relay_id).await?;
    db.compute_bulk(move || forms(&m)).await
}

/// `GET /api/relays/{id}/forms`.
pub async fn relay_form_shares(db: &Db, relay_id: i64) -> Result<FormSharesView, AppError> {
    let m = material(db, relay_id).await?;
    db.compute_bulk(move || form_shares(&m)).await
}

/// A row's round as `(number, name)`, or `None` outside rounds.
fn round_of(r: &CorpusRow) -> Option<(i64, Option<String>)> {
    r.round.map(|n| (i64::from(n), r.round_name.clone()))
}

/// Form shares of `m` per group, round and theme.
pub fn form_shares(m: &Material) -> FormSharesView {
    let entries = forms(m);
    let row_of: std::collections::HashMap<i64, &CorpusRow> =
        m.rows.iter().map(|r| (r.question_id, r)).collect();
    let groups = form_shares_by(&entries, |q| Some(row_of[&q].asker_group.clone()));
    // `None` sorts first in a BTreeMap; questions outside rounds and themes go last.
    let rounds = form_shares_by(&entries, |q| Some(round_of(row_of[&q])));
    let mut rounds: Vec<Keyed<FormShares>> = rounds
        .into_iter()
        .map(|(k, shares)| Keyed {
            id: k.as_ref().map(|k| k.0),
            label: k.and_then(|k| k.1),
            shares,
        })
        .collect();
    let outside = usize::from(rounds.first().is_some_and(|r| r.id.is_none()));
    rounds.rotate_left(outside);
    let by_theme = form_shares_by(&entries, |q| Some(row_of[&q].theme_id));
    FormSharesView {
        all: FormShares::of(entries.iter().map(|e| e.form)),
        groups,
        rounds,
        themes: per_theme(m, by_theme),
    }
}

/// Shares keyed by theme id in the themes' order, questions in no theme last.
fn per_theme<T: Clone>(m: &Material, by: BTreeMap<Option<i64>, T>) -> Vec<Keyed<T>> {
    let mut out: Vec<Keyed<T>> = m
        .themes
        .iter()
        .filter_map(|(id, label)| {
            Some(Keyed {
                id: Some(*id),
                label: Some(label.clone()),
                shares: by.get(&Some(*id))?.clone(),
            })
        })
        .collect();
    if let Some(s) = by.get(&None) {
        out.push(Keyed {
            id: None,
            label: None,
            shares: s.clone(),
        });
    }
    out
}

/// `GET /api/relays/{id}/focus`.
pub async fn relay_focus(db: &Db, relay_id: i64) -> Result<FocusView, AppError> {
    let m = material(db, relay_id).await?;
    db.compute_bulk(move || focus(&m)).await
}

/// `(key, question)` of every row of `m`.
fn keyed<K>(m: &Material, key: impl Fn(&CorpusRow) -> K) -> Vec<(K, &str)> {
    m.rows
        .iter()
        .map(|r| (key(r), r.question.as_str()))
        .collect()
}

/// Focus shares of `m` per group and theme, read with its lists in force.
pub fn focus(m: &Material) -> FocusView {
    let lexicon = m.lexicon();
    let matcher = FocusMatcher::new(&lexicon, &tokenizer(&m.relay.language));
    let by_theme = focus_shares_by(&matcher, &keyed(m, |r| r.theme_id));
    FocusView {
        all: focus_shares_by(&matcher, &keyed(m, |_| ()))
            .remove(&())
            .unwrap_or_default(),
        groups: focus_shares_by(&matcher, &keyed(m, |r| r.asker_group.clone())),
        lists: FocusListsView {
            custom: m.focus_lists.is_some(),
            inward: lexicon.inward,
            outward: lexicon.outward,
        },
        themes: per_theme::<FocusShares>(m, by_theme),
    }
}

/// `GET /api/relays/{id}/profiles`.
pub async fn relay_profiles(db: &Db, relay_id: i64) -> Result<ProfilesView, AppError> {
    let m = material(db, relay_id).await?;
    db.compute_bulk(move || profiles(&m)).await
}

/// The activity profile of every group of `m`.
pub fn profiles(m: &Material) -> ProfilesView {
    let nodes = nodes(&m.people, &m.groups);
    let edges = edges(&m.people, &m.rows);
    ProfilesView {
        groups: group_profiles(&nodes, &edges, &ProfileOptions::default()),
    }
}

/// The analyst corrects a question's form; the correction stands over every later reading.
pub fn correct_form(
    conn: &mut DbConn,
    question_id: i64,
    form: QuestionForm,
    now: DateTime<Utc>,
) -> Result<FormEntry, AppError> {
    QuestionRow::find(conn, question_id).or_not_found("question")?;
    FormCorrection::set(conn, question_id, form, to_db(now))?;
    Ok(FormEntry {
        question_id,
        form,
        corrected: true,
    })
}

/// Most entries in one focus list, and characters in one entry.
const MAX_ENTRIES: usize = 500;
const MAX_ENTRY: usize = 100;

/// Checks focus lists as the analyst sent them and returns them one entry per line.
pub fn focus_lists(inward: &[String], outward: &[String]) -> Result<(String, String), AppError> {
    let check = |l: &[String]| {
        let lines: Vec<&str> = l
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .collect();
        if lines.len() > MAX_ENTRIES
            || lines
                .iter()
                .any(|e| e.chars().count() > MAX_ENTRY || e.contains(['\n', '\r']))
        {
            return Err(AppError::validation(format!(
                "a focus list has at most {MAX_ENTRIES} entries of at most {MAX_ENTRY} \
                 characters, one line each"
            )));
        }
        Ok(lines.join("\n"))
    };
    Ok((check(inward)?, check(outward)?))
}

/// Stores a relay's focus lists (`None`: back to the language's defaults); returns the lists
/// now in force.
pub fn set_focus_lists(
    conn: &mut DbConn,
    relay_id: i64,
    lists: Option<&(String, String)>,
    now: DateTime<Utc>,
) -> Result<FocusLexicon, AppError> {
    let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    match lists {
        Some((inward, outward)) => FocusListRow::set(conn, relay_id, inward, outward, to_db(now))?,
        None => FocusListRow::reset(conn, relay_id)?,
    }
    Ok(material::lexicon(
        &relay,
        FocusListRow::find(conn, relay_id)?.as_ref(),
    ))
}

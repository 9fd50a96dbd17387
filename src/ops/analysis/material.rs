//! Everything the deeper analyses of a relay read (form, focus, keywords, profiles, the themed
//! network), loaded once on a bulk connection so the API routes and the report share it.

use std::collections::HashMap;

use crate::analysis::{FocusLexicon, QuestionForm, Reference, Tokenizer};
use crate::db::DbConn;
use crate::db::corpus::{CorpusRow, reference_page};
use crate::db::focus_lists::FocusListRow;
use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::db::question_forms::FormCorrection;
use crate::db::relays::RelayRow;
use crate::db::themes::ThemeRow;
use crate::error::AppError;

use super::{language, load};

/// Reference texts read per query.
const REFERENCE_PAGE: i64 = 5000;

/// Most texts of other relays in a reference: the newest. Word frequencies settle long before
/// this, and a platform of a million questions would otherwise be read and stemmed whole on
/// every keywords page and report.
const REFERENCE_TEXTS: usize = 50_000;

/// A relay with its corpus, people, themes and the analyst's corrections and word lists.
#[derive(Debug, Clone)]
pub struct Material {
    /// The relay.
    pub relay: RelayRow,
    /// Its corpus, in question order.
    pub rows: Vec<CorpusRow>,
    /// Its participants.
    pub people: Vec<ParticipantRow>,
    /// Its groups' names by id.
    pub groups: HashMap<i64, String>,
    /// Its themes as `(id, label)`, in creation order.
    pub themes: Vec<(i64, String)>,
    /// The analyst's corrections of question forms.
    pub corrections: HashMap<i64, QuestionForm>,
    /// The analyst's focus lists, when edited.
    pub focus_lists: Option<FocusListRow>,
}

impl Material {
    /// Loads a relay's material (404 when there is no such relay).
    pub fn load(conn: &mut DbConn, relay_id: i64) -> Result<Material, AppError> {
        let (relay, rows) = load(conn, relay_id)?;
        Ok(Material {
            relay,
            rows,
            people: ParticipantRow::for_relay(conn, relay_id)?,
            groups: GroupRow::names(conn, relay_id)?,
            themes: ThemeRow::for_relay(conn, relay_id)?
                .into_iter()
                .map(|t| (t.id, t.label))
                .collect(),
            corrections: FormCorrection::for_relay(conn, relay_id)?,
            focus_lists: FocusListRow::find(conn, relay_id)?,
        })
    }

    /// The focus lists in force: the analyst's, or the relay language's defaults.
    pub fn lexicon(&self) -> FocusLexicon {
        lexicon(&self.relay, self.focus_lists.as_ref())
    }
}

/// The focus lists in force for `relay`: `edited`, or its language's defaults.
pub fn lexicon(relay: &RelayRow, edited: Option<&FocusListRow>) -> FocusLexicon {
    match edited {
        Some(l) => FocusLexicon::from_lines(&l.inward, &l.outward),
        None => FocusLexicon::default_for(language(&relay.language)),
    }
}

/// What a relay's unexpected words are measured against: the questions of the platform's other
/// relays in its language (the newest [`REFERENCE_TEXTS`]), or, when there are none, general
/// word frequencies of the language.
/// Returns the reference and its name in the API (`relays` or `general`).
pub fn reference(
    conn: &mut DbConn,
    relay: &RelayRow,
    tokenizer: &Tokenizer,
) -> Result<(Reference, &'static str), AppError> {
    let mut reference = Reference::from_texts::<&str>(tokenizer, &[]);
    let (mut before, mut read) = (i64::MAX, 0);
    while read < REFERENCE_TEXTS {
        let page = reference_page(conn, relay.id, &relay.language, before, REFERENCE_PAGE)?;
        let Some((last, _)) = page.last() else { break };
        before = *last;
        read += page.len();
        for (_, text) in &page {
            reference.add(tokenizer, text);
        }
        if (page.len() as i64) < REFERENCE_PAGE {
            break;
        }
    }
    if reference.total() > 0.0 {
        Ok((reference, "relays"))
    } else {
        let general = Reference::general(language(&relay.language), tokenizer);
        Ok((general, "general"))
    }
}

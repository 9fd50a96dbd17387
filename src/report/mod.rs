//! The printable relay report: one self-contained HTML page (inline CSS allowed by a hash in
//! its own Content-Security-Policy, charts as SVG, no requests at all) with the cake per group,
//! top words per group, distinctive words, the network matrix and the starred questions with
//! their answers; or two relays side by side. Participants appear by group only, and in the
//! participants' copy not even by group where the relay hides the asker's group ([`View`]).
//! It renders from the same views the analysis API answers with.

mod bars;
mod cake;
mod depth;
mod section;

use std::sync::LazyLock;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, context};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::analysis::Reference;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::db::{Db, DbConn};
use crate::error::AppError;
use crate::ops::analysis::material::{self, Material};
use crate::ops::analysis::{self, Side, Source};
use crate::ops::themes::{self, views::ThemesView};
use crate::relay::RelayState;

const CSS: &str = include_str!("report.css");
const TEMPLATE: &str = include_str!("report.html");
const COLORS: [&str; 12] = [
    "#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d",
    "#4d7c0f", "#1e40af", "#9a3412", "#6d28d9",
];
const UNPLACED: &str = "#b8bec8";

/// How many words each side shows when two relays are compared.
const DISTINCT_RELAY_WORDS: usize = 10;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // unwrap: the template is compiled into the binary and covered by the report tests.
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    env
});

/// The Content-Security-Policy of the report: nothing but its own inline style.
pub fn csp() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'"
    )
}

/// Everything the report shows of one relay.
pub struct RelayData {
    /// The relay, its corpus, people, themes and the analyst's corrections and lists.
    pub m: Material,
    /// Its rounds.
    pub rounds: Vec<RoundRow>,
    /// The themes as the themes API shows them.
    pub themes: ThemesView,
    /// What its unexpected words are measured against, and its name.
    pub reference: (Reference, &'static str),
}

impl RelayData {
    /// Reads what the report shows of a relay (404 when there is none).
    pub fn load(conn: &mut DbConn, relay_id: i64) -> Result<Self, AppError> {
        let m = Material::load(conn, relay_id)?;
        let tokenizer = analysis::tokenizer(&m.relay.language);
        Ok(Self {
            rounds: RoundRow::for_relay(conn, relay_id)?,
            themes: themes::themes_view(conn, relay_id)?,
            reference: material::reference(conn, &m.relay, &tokenizer)?,
            m,
        })
    }
}

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Facilitators and analysts: everything, groups included.
    Staff,
    /// The relay's participants (the shared output): it honours the relay's anonymity, so
    /// with `show_asker_group` off nothing ties a question to its asker's group.
    Participants,
}

/// The staff's report of a relay, or of two side by side with `compare`.
pub async fn for_staff(
    db: &Db,
    relay_id: i64,
    compare: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if compare == Some(relay_id) {
        return Err(AppError::validation("compare the relay with another relay"));
    }
    let (first, second) = db
        .read_bulk(move |conn| {
            let first = RelayData::load(conn, relay_id)?;
            let second = compare.map(|c| RelayData::load(conn, c)).transpose()?;
            Ok((first, second))
        })
        .await?;
    render_bulk(db, first, second, View::Staff, now).await
}

/// The shared output of `relay` for its participants: once the relay has closed, and only
/// when it shares its output.
pub async fn for_participants(
    db: &Db,
    relay: &RelayRow,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if relay.state != RelayState::Closed {
        return Err(AppError::conflict(
            "not_closed",
            "the output is shared once the relay has closed",
        ));
    }
    if !relay.share_output {
        return Err(AppError::forbidden("this relay does not share its output"));
    }
    let id = relay.id;
    let data = db.read_bulk(move |conn| RelayData::load(conn, id)).await?;
    render_bulk(db, data, None, View::Participants, now).await
}

/// Renders in a bulk slot, off the async workers.
async fn render_bulk(
    db: &Db,
    first: RelayData,
    second: Option<RelayData>,
    view: View,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    db.compute_bulk(move || render(&first, second.as_ref(), view, now))
        .await?
        .map_err(AppError::internal)
}

fn strings(lang: &str) -> Value {
    let mut t = base_strings(lang);
    if let (Some(t), Value::Object(more)) = (t.as_object_mut(), depth_strings(lang)) {
        t.extend(more);
    }
    t
}

/// The words of the deeper analyses' sections.
fn depth_strings(lang: &str) -> Value {
    if lang == "da" {
        serde_json::json!({
            "forms": "Spørgsmålenes form pr. gruppe", "forms_theme": "Spørgsmålenes form pr. tema", "forms_round": "Spørgsmålenes form pr. runde",
            "open": "Åbne", "closed": "Lukkede", "mixed": "Blandede", "count": "Antal", "group": "Gruppe", "theme": "Tema",
            "corrected": "Rettet af analytikeren", "focus": "Fokus: indad eller udad pr. gruppe", "focus_theme": "Fokus pr. tema",
            "inward": "Indad", "outward": "Udad", "neither": "Ingen af delene",
            "profiles": "Aktivitet pr. gruppe", "asked": "Spurgt", "received": "Modtaget", "answered_n": "Besvaret",
            "answered_share": "Andel besvaret", "median": "Median svartid (min.)", "profile": "Profil", "participation": "Deltagelse",
            "graph": "Hvem spørger hvem om hvad", "keywords": "Forventede nøgleord", "keyword": "Nøgleord", "total": "I alt",
            "relevance": "Relevans (andel fundet)", "unexpected": "Ord, der skilte sig ud uden at være forventet", "no_keywords": "Der er ikke angivet forventede nøgleord.",
        })
    } else {
        serde_json::json!({
            "forms": "Question form per group", "forms_theme": "Question form per theme", "forms_round": "Question form per round",
            "open": "Open", "closed": "Closed", "mixed": "Mixed", "count": "Count", "group": "Group", "theme": "Theme",
            "corrected": "Corrected by the analyst", "focus": "Focus: inward or outward per group", "focus_theme": "Focus per theme",
            "inward": "Inward", "outward": "Outward", "neither": "Neither",
            "profiles": "Activity per group", "asked": "Asked", "received": "Received", "answered_n": "Answered",
            "answered_share": "Share answered", "median": "Median time to answer (min)", "profile": "Profile", "participation": "Participation",
            "graph": "Who asks whom about what", "keywords": "Expected keywords", "keyword": "Keyword", "total": "Total",
            "relevance": "Relevance (share found)", "unexpected": "Words that stood out unexpected", "no_keywords": "No expected keywords were listed.",
        })
    }
}

fn base_strings(lang: &str) -> Value {
    if lang == "da" {
        serde_json::json!({
            "made": "Rapport dannet", "participants": "deltagere", "questions": "spørgsmål",
            "answered": "besvaret", "longest_chain": "led i den længste stafetkæde",
            "cake": "Temaer pr. gruppe", "no_themes": "Spørgsmålene er endnu ikke inddelt i temaer.",
            "words": "Hyppigste ord i spørgsmålene pr. gruppe", "distinct": "Ord, der skiller grupperne",
            "distinct_relays": "Ord, der skiller stafetterne", "network": "Hvem spurgte hvem (spørgerens gruppe → modtagerens)",
            "from_to": "Fra \\ til", "starred": "Udvalgte spørgsmål og svar", "no_starred": "Ingen spørgsmål er udvalgt endnu.",
            "distinct_note": "Vægtet log-odds med informativ Dirichlet-prior (Monroe, Colaresi & Quinn 2008); z-værdi.",
            "cake_all": "Temaer", "words_all": "Hyppigste ord i spørgsmålene",
            "groups_hidden": "Stafetten viser ikke spørgernes grupper, så tallene gælder alle deltagere under ét.",
        })
    } else {
        serde_json::json!({
            "made": "Report made", "participants": "participants", "questions": "questions",
            "answered": "answered", "longest_chain": "steps in the longest relay chain",
            "cake": "Themes per group", "no_themes": "The questions have not been grouped into themes yet.",
            "words": "Most frequent words in the questions per group", "distinct": "Words that set the groups apart",
            "distinct_relays": "Words that set the relays apart", "network": "Who asked whom (asker's group → recipient's)",
            "from_to": "From \\ to", "starred": "Selected questions and answers", "no_starred": "No questions have been selected yet.",
            "distinct_note": "Weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008); z-score.",
            "cake_all": "Themes", "words_all": "Most frequent words in the questions",
            "groups_hidden": "This relay does not show the askers' groups, so the figures cover all participants together.",
        })
    }
}

/// Renders the report of one relay, or of two side by side, for `view`.
pub fn render(
    first: &RelayData,
    second: Option<&RelayData>,
    view: View,
    now: DateTime<Utc>,
) -> Result<String, minijinja::Error> {
    let lang = first.m.relay.language.as_str();
    let mut relays = vec![section::relay_section(first, lang, view, "network-1")];
    let mut title = first.m.relay.title.clone();
    let mut distinct_relays = None;
    if let Some(other) = second {
        relays.push(section::relay_section(other, lang, view, "network-2"));
        title = format!("{} · {}", first.m.relay.title, other.m.relay.title);
        distinct_relays = analysis::distinctive(
            (
                &Side::relay(first.m.relay.id),
                &first.m.relay,
                &first.m.rows,
            ),
            (
                &Side::relay(other.m.relay.id),
                &other.m.relay,
                &other.m.rows,
            ),
            Source::Questions,
            DISTINCT_RELAY_WORDS,
        )
        .ok()
        .map(|v| bars::distinct_bars(&v, first.m.relay.title.clone(), other.m.relay.title.clone()));
    }
    ENV.get_template("report.html")?.render(context! {
        lang,
        title,
        css => CSS,
        t => strings(lang),
        generated => now.format("%Y-%m-%d %H:%M UTC").to_string(),
        relays,
        distinct_relays,
    })
}

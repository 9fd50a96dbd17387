//! Creating, editing and moving relays through their lifecycle.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use super::{notify, orgs};
use crate::db::events::Audience;
use crate::db::orgs::OrgRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::{NewRelay, RelayOf, RelayRow};
use crate::db::rounds::RoundRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::email::render::EmailKind;
use crate::email::{format_time, rounds_for_email};
use crate::error::{AppError, Found};
use crate::relay::lifecycle::{self, Transition};
use crate::relay::{
    EventKind, QuestionStatus, RecipientChoice, RelaySettings, RelayState, Retention, Round,
    RuleViolation, batons, retention, rounds, text,
};

/// A round as given in a request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// Display name.
    pub name: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Optional sub-topic.
    #[serde(default)]
    pub prompt: Option<String>,
}

impl From<RoundInput> for Round {
    /// Cleans the texts as every bounded text is (`rounds::validate` checks their bounds).
    fn from(r: RoundInput) -> Self {
        Round {
            name: text::clean(&r.name),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            prompt: r.prompt.map(|p| text::clean(&p)).filter(|p| !p.is_empty()),
        }
    }
}

/// Settings as given in a request: any subset, applied over the current (or default) ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub recipient_choice: Option<RecipientChoice>,
    pub cross_group: Option<bool>,
    pub max_inbox: Option<u32>,
    pub batons_per_round: Option<u32>,
    pub max_batons: Option<u32>,
    pub asker_anonymous: Option<bool>,
    pub show_asker_group: Option<bool>,
    pub reminder_after_hours: Option<u32>,
    pub reroute_after_hours: Option<u32>,
    pub share_output: Option<bool>,
    pub seed: Option<u64>,
    pub retention_days: Option<u32>,
    pub retention: Option<Retention>,
    pub keywords: Option<Vec<String>>,
}

impl SettingsPatch {
    /// Whether the patch touches pairing rules (only editable before opening).
    fn touches_structure(&self) -> bool {
        self.recipient_choice.is_some()
            || self.cross_group.is_some()
            || self.max_inbox.is_some()
            || self.batons_per_round.is_some()
            || self.max_batons.is_some()
            || self.asker_anonymous.is_some()
            || self.show_asker_group.is_some()
            || self.seed.is_some()
    }

    fn touches_deadlines(&self) -> bool {
        self.reminder_after_hours.is_some() || self.reroute_after_hours.is_some()
    }

    /// `base` with this patch applied.
    pub fn apply(&self, base: &RelaySettings) -> RelaySettings {
        RelaySettings {
            recipient_choice: self.recipient_choice.unwrap_or(base.recipient_choice),
            cross_group: self.cross_group.unwrap_or(base.cross_group),
            max_inbox: self.max_inbox.unwrap_or(base.max_inbox),
            batons_per_round: self.batons_per_round.unwrap_or(base.batons_per_round),
            max_batons: self.max_batons.unwrap_or(base.max_batons),
            asker_anonymous: self.asker_anonymous.unwrap_or(base.asker_anonymous),
            show_asker_group: self.show_asker_group.unwrap_or(base.show_asker_group),
            reminder_after_hours: self
                .reminder_after_hours
                .unwrap_or(base.reminder_after_hours),
            reroute_after_hours: self.reroute_after_hours.unwrap_or(base.reroute_after_hours),
            share_output: self.share_output.unwrap_or(base.share_output),
            seed: self.seed.unwrap_or(base.seed),
            retention_days: self.retention_days.unwrap_or(base.retention_days),
            retention: self.retention.unwrap_or(base.retention),
            keywords: match &self.keywords {
                Some(k) => crate::analysis::parse_keywords(&k.join("\n")),
                None => base.keywords.clone(),
            },
        }
    }
}

/// `POST /api/relays` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRelay {
    pub title: String,
    pub topic: String,
    pub purpose: String,
    pub language: String,
    pub timezone: String,
    /// Start of round 1; optional when `rounds` are given (then it must match them).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub rounds: Option<Vec<RoundInput>>,
    #[serde(default)]
    pub settings: Option<SettingsPatch>,
    // The privacy notice; what is left out comes from `[privacy]` in the configuration.
    /// Data controller named in the privacy notice.
    #[serde(default)]
    pub controller: Option<String>,
    /// Where participants turn about their data.
    #[serde(default)]
    pub privacy_contact: Option<String>,
    /// The privacy notice.
    #[serde(default)]
    pub privacy_text: Option<String>,
    /// Its organisation: required of a person who may create relays in several; the default
    /// organisation when the CLI or the demo creates one without.
    #[serde(default)]
    pub org_id: Option<i64>,
}

impl CreateRelay {
    /// This request with what it leaves out of the privacy notice and retention taken from
    /// the configuration's `[privacy]` defaults (the notice in the relay's language).
    pub fn with_privacy_defaults(mut self, d: &crate::config::PrivacySettings) -> Self {
        self.controller.get_or_insert_with(|| d.controller.clone());
        self.privacy_contact
            .get_or_insert_with(|| d.contact.clone());
        let text = d.text(&self.language).trim().to_string();
        self.privacy_text.get_or_insert(text);
        let settings = self.settings.get_or_insert_with(SettingsPatch::default);
        settings.retention_days.get_or_insert(d.retention_days);
        settings.retention.get_or_insert(d.retention);
        self
    }
}

/// Writes the privacy notice's fields that are given into `row`, checked.
fn apply_privacy(
    row: &mut RelayRow,
    controller: Option<String>,
    contact: Option<String>,
    notice: Option<String>,
) -> Result<(), AppError> {
    if let Some(v) = controller {
        row.controller = check_text("controller", &v, 0, 500)?;
    }
    if let Some(v) = contact {
        row.privacy_contact = check_text("privacy_contact", &v, 0, 500)?;
    }
    if let Some(v) = notice {
        row.privacy_text = check_text("privacy_text", &v, 0, 20_000)?;
    }
    Ok(())
}

/// `PATCH /api/relays/{id}` body: any subset.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRelay {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub purpose: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    /// Moves all rounds so round 1 starts here.
    pub starts_at: Option<DateTime<Utc>>,
    pub rounds: Option<Vec<RoundInput>>,
    pub settings: Option<SettingsPatch>,
    // The privacy notice may be corrected in every state.
    /// Data controller named in the privacy notice.
    #[serde(default)]
    pub controller: Option<String>,
    /// Where participants turn about their data.
    #[serde(default)]
    pub privacy_contact: Option<String>,
    /// The privacy notice.
    #[serde(default)]
    pub privacy_text: Option<String>,
}

fn check_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, AppError> {
    text::validate(field, value, (min, max)).map_err(|v| AppError::validation(v.to_string()))
}

fn check_language(language: &str) -> Result<String, AppError> {
    match language {
        "da" | "en" => Ok(language.to_string()),
        _ => Err(AppError::validation("language must be \"da\" or \"en\"")),
    }
}

fn check_timezone(tz: &str) -> Result<String, AppError> {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| tz.to_string())
        .map_err(|_| {
            AppError::validation(format!(
                "unknown time zone {tz:?} (use e.g. Europe/Copenhagen)"
            ))
        })
}

fn check_settings(s: &RelaySettings) -> Result<(), AppError> {
    let fail = |m: &str| Err(AppError::validation(m.to_string()));
    if !(1..=50).contains(&s.max_inbox) {
        return fail("max_inbox must be between 1 and 50");
    }
    if !(1..=50).contains(&s.max_batons) {
        return fail("max_batons must be between 1 and 50");
    }
    if s.batons_per_round < 1 || s.batons_per_round > s.max_batons {
        return fail("batons_per_round must be at least 1 and at most max_batons");
    }
    if s.reminder_after_hours > 24 * 60 || s.reroute_after_hours > 24 * 60 {
        return fail("reminder_after_hours and reroute_after_hours must be at most 1440");
    }
    if s.retention_days > retention::MAX_DAYS {
        return fail("retention_days must be at most 3650");
    }
    if s.keywords.len() > 100 || s.keywords.iter().any(|k| k.chars().count() > 100) {
        return fail("keywords: at most 100, each at most 100 characters");
    }
    Ok(())
}

fn rounds_from_input(
    starts_at: Option<DateTime<Utc>>,
    input: Option<Vec<RoundInput>>,
    language: &str,
) -> Result<Vec<Round>, AppError> {
    if let Some(start) = starts_at {
        rounds::check_date("starts_at", start)?;
    }
    let rounds: Vec<Round> = match (input, starts_at) {
        (Some(rs), start) => {
            let rs: Vec<Round> = rs.into_iter().map(Round::from).collect();
            if let (Some(first), Some(start)) = (rs.first(), start)
                && first.starts_at != start
            {
                return Err(AppError::validation(
                    "starts_at must equal the start of round 1",
                ));
            }
            rs
        }
        (None, Some(start)) => rounds::default_rounds(start, language)?,
        (None, None) => return Err(AppError::validation("give starts_at or rounds")),
    };
    rounds::validate(&rounds)?;
    Ok(rounds)
}

/// Creates a draft relay with its rounds.
pub fn create(
    conn: &mut DbConn,
    input: CreateRelay,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<RoundRow>), AppError> {
    let title = check_text("title", &input.title, 1, 200)?;
    let topic = check_text("topic", &input.topic, 1, 200)?;
    let purpose = check_text("purpose", &input.purpose, 0, 20_000)?;
    let language = check_language(&input.language)?;
    let timezone = check_timezone(&input.timezone)?;
    let mut settings = input.settings.unwrap_or_default();
    if settings.seed.is_none() {
        // A random seed, stored, so the relay's draws are reproducible from then on.
        settings.seed = Some(rand::random::<u64>() >> 1);
    }
    let settings = settings.apply(&RelaySettings::default());
    check_settings(&settings)?;
    let rounds = rounds_from_input(input.starts_at, input.rounds, &language)?;
    let org_id = match input.org_id {
        Some(id) => id,
        None => {
            OrgRow::default_org(conn)?
                .ok_or_else(|| {
                    AppError::validation("no organisation: add one with `stafet org add`")
                })?
                .id
        }
    };
    let mut row = RelayRow::insert(
        conn,
        NewRelay {
            title,
            topic,
            purpose,
            language,
            timezone,
            state: RelayState::Draft,
            recipient_choice: RecipientChoice::default(),
            cross_group: false,
            max_inbox: 0,
            batons_per_round: 0,
            max_batons: 0,
            asker_anonymous: true,
            show_asker_group: true,
            reminder_after_hours: 0,
            reroute_after_hours: 0,
            share_output: false,
            seed: 0,
            keywords: String::new(),
            created_by,
            created_at: to_db(now),
            updated_at: to_db(now),
            controller: String::new(),
            privacy_contact: String::new(),
            privacy_text: String::new(),
            org_id: Some(org_id),
        },
    )?;
    apply_privacy(
        &mut row,
        input.controller,
        input.privacy_contact,
        input.privacy_text,
    )?;
    row.set_settings(&settings);
    row.save(conn)?;
    let round_rows = RoundRow::replace(conn, row.id, &rounds)?;
    Ok((row, round_rows))
}

/// Applies a patch, within what the relay's state allows.
pub fn patch(
    conn: &mut DbConn,
    id: i64,
    input: PatchRelay,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<RoundRow>), AppError> {
    RelayRow::lock(conn, RelayOf::Relay(id))?;
    let mut row = RelayRow::find(conn, id).or_not_found("relay")?;
    let mut round_rows = RoundRow::for_relay(conn, id)?;
    let can = lifecycle::editable(row.state);
    let refuse = |what: &str| wrong_state(what, row.state);
    let texts = input.title.is_some() || input.topic.is_some() || input.purpose.is_some();
    if texts && !can.texts {
        return Err(refuse("the texts"));
    }
    let structure =
        input.language.is_some() || input.timezone.is_some() || input.starts_at.is_some();
    if structure && !can.structure {
        return Err(refuse("language, time zone and start"));
    }
    if let Some(s) = &input.settings {
        if s.touches_structure() && !can.structure {
            return Err(refuse("the pairing rules"));
        }
        if s.touches_deadlines() && !can.deadlines {
            return Err(refuse("the deadlines"));
        }
    }
    if let Some(v) = input.title {
        row.title = check_text("title", &v, 1, 200)?;
    }
    if let Some(v) = input.topic {
        row.topic = check_text("topic", &v, 1, 200)?;
    }
    if let Some(v) = input.purpose {
        row.purpose = check_text("purpose", &v, 0, 20_000)?;
    }
    if let Some(v) = input.language {
        row.language = check_language(&v)?;
    }
    if let Some(v) = input.timezone {
        row.timezone = check_timezone(&v)?;
    }
    apply_privacy(
        &mut row,
        input.controller,
        input.privacy_contact,
        input.privacy_text,
    )?;
    if let Some(s) = input.settings {
        let merged = s.apply(&row.settings());
        check_settings(&merged)?;
        row.set_settings(&merged);
    }
    if input.rounds.is_some() || input.starts_at.is_some() {
        patch_rounds(conn, &row, &round_rows, input.rounds, input.starts_at)?;
        round_rows = RoundRow::for_relay(conn, id)?;
    }
    row.updated_at = to_db(now);
    row.save(conn)?;
    Ok((row, round_rows))
}

/// The 409 for a change the relay's state does not allow.
fn wrong_state(what: &str, state: RelayState) -> AppError {
    AppError::conflict(
        "wrong_state",
        format!(
            "{what} cannot be changed while the relay is {}",
            state.as_str()
        ),
    )
}

/// A patch's new rounds or new start (`row` already has the patch's language), as far as the
/// relay's state allows: all of it before the relay opens, only names and prompts while open.
fn patch_rounds(
    conn: &mut DbConn,
    row: &RelayRow,
    round_rows: &[RoundRow],
    rounds: Option<Vec<RoundInput>>,
    starts_at: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    let can = lifecycle::editable(row.state);
    let current: Vec<Round> = round_rows.iter().map(RoundRow::to_round).collect();
    match (rounds, starts_at) {
        (Some(new), start) if can.structure => {
            let new = rounds_from_input(start, Some(new), &row.language)?;
            RoundRow::replace(conn, row.id, &new)?;
        }
        (Some(new), _) if can.texts => {
            // While open only names and prompts change; the times are what participants planned by.
            let same_times = new.len() == current.len()
                && new
                    .iter()
                    .zip(&current)
                    .all(|(n, c)| n.starts_at == c.starts_at && n.ends_at == c.ends_at);
            if !same_times {
                return Err(wrong_state("round times", row.state));
            }
            let renamed: Vec<Round> = new.into_iter().map(Round::from).collect();
            rounds::validate(&renamed)?;
            for (round_row, r) in round_rows.iter().zip(&renamed) {
                RoundRow::set_prompt(conn, round_row.id, r.prompt.as_deref())?;
            }
        }
        (Some(_), _) => return Err(wrong_state("rounds", row.state)),
        (None, Some(start)) => {
            rounds::check_date("starts_at", start)?;
            let shifted = rounds::shift_to_start(&current, start)?;
            rounds::validate(&shifted)?;
            RoundRow::retime(conn, round_rows, &shifted)?;
        }
        (None, None) => {}
    }
    Ok(())
}

fn active_participants(conn: &mut DbConn, relay_id: i64) -> Result<Vec<ParticipantRow>, AppError> {
    Ok(ParticipantRow::for_relay(conn, relay_id)?
        .into_iter()
        .filter(|p| !p.is_suspended)
        .collect())
}

fn ensure_enough_participants(conn: &mut DbConn, relay_id: i64) -> Result<(), AppError> {
    if active_participants(conn, relay_id)?.len() < 2 {
        return Err(AppError::conflict(
            "too_few_participants",
            "a relay needs at least two active participants",
        ));
    }
    Ok(())
}

/// The invitation email's context for a relay.
pub fn invitation_params(relay: &RelayRow, rounds: &[RoundRow]) -> serde_json::Value {
    json!({
        "purpose": relay.purpose,
        "starts_at": rounds.first().map(|r| format_time(from_db(r.starts_at), &relay.timezone, &relay.language)),
        "rounds": rounds_for_email(rounds, &relay.timezone, &relay.language),
        "batons_per_round": relay.batons_per_round,
    })
}

/// Queues the invitation of one participant.
pub fn invite(
    conn: &mut DbConn,
    relay: &RelayRow,
    rounds: &[RoundRow],
    p: &ParticipantRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    notify::email(
        conn,
        relay,
        p,
        EmailKind::Invitation,
        format!("invitation:{}", p.id),
        invitation_params(relay, rounds),
        now,
    )
}

/// Draft → scheduled: invitations go out; the clock opens the relay at round 1.
pub fn schedule(conn: &mut DbConn, id: i64, now: DateTime<Utc>) -> Result<RelayRow, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(id))?;
    let mut relay = RelayRow::find(conn, id).or_not_found("relay")?;
    let next = lifecycle::next_state(relay.state, Transition::Schedule)?;
    ensure_enough_participants(conn, id)?;
    let rounds = RoundRow::for_relay(conn, id)?;
    relay.state = next;
    relay.scheduled_at = Some(to_db(now));
    relay.updated_at = to_db(now);
    relay.save(conn)?;
    for p in active_participants(conn, id)? {
        invite(conn, &relay, &rounds, &p, now)?;
    }
    let starts = rounds.first().map(|r| from_db(r.starts_at));
    notify::event(
        conn,
        id,
        Audience::Staff,
        EventKind::RelayScheduled,
        json!({ "starts_at": starts }),
        now,
    )?;
    Ok(relay)
}

/// Opens a draft or scheduled relay now: rounds shift so round 1 starts now.
pub fn open_now(conn: &mut DbConn, id: i64, now: DateTime<Utc>) -> Result<RelayRow, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(id))?;
    let relay = RelayRow::find(conn, id).or_not_found("relay")?;
    lifecycle::next_state(relay.state, Transition::Open)?;
    ensure_enough_participants(conn, id)?;
    let rows = RoundRow::for_relay(conn, id)?;
    let current: Vec<Round> = rows.iter().map(RoundRow::to_round).collect();
    RoundRow::retime(conn, &rows, &rounds::shift_to_start(&current, now)?)?;
    open(conn, relay, now)
}

/// Opens the relay and starts round 1: batons for everyone, the opening email with each link.
pub fn open(
    conn: &mut DbConn,
    mut relay: RelayRow,
    now: DateTime<Utc>,
) -> Result<RelayRow, AppError> {
    let next = lifecycle::next_state(relay.state, Transition::Open)?;
    relay.state = next;
    relay.opened_at = Some(to_db(now));
    relay.rounds_started = 1;
    relay.updated_at = to_db(now);
    relay.save(conn)?;
    let rounds = RoundRow::for_relay(conn, relay.id)?;
    let settings = relay.settings();
    for p in active_participants(conn, relay.id)? {
        let batons = batons::after_round_start(p.batons.max(0) as u32, &settings);
        ParticipantRow::set_batons(conn, p.id, batons)?;
        welcome(conn, &relay, &rounds, &p, batons, now)?;
    }
    notify::event(
        conn,
        relay.id,
        Audience::Staff,
        EventKind::RelayOpened,
        json!({}),
        now,
    )?;
    Ok(relay)
}

/// Tells one participant the relay is open: event and opening email.
pub fn welcome(
    conn: &mut DbConn,
    relay: &RelayRow,
    rounds: &[RoundRow],
    p: &ParticipantRow,
    batons: u32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let idx = (relay.rounds_started.max(1) - 1) as usize;
    let round = rounds.get(idx);
    notify::event(
        conn,
        relay.id,
        Audience::Participant(p.id),
        EventKind::RelayOpened,
        json!({ "round": round.map(|r| r.position + 1), "batons": batons }),
        now,
    )?;
    notify::email(
        conn,
        relay,
        p,
        EmailKind::Opening,
        format!("opening:{}", p.id),
        opening_params(relay, rounds, batons),
        now,
    )
}

/// The opening email's context: the purpose, the current round and the baton count.
pub fn opening_params(relay: &RelayRow, rounds: &[RoundRow], batons: u32) -> serde_json::Value {
    let idx = (relay.rounds_started.max(1) - 1) as usize;
    let round = rounds.get(idx);
    json!({
        "purpose": relay.purpose,
        "round_name": round.map(|r| r.name.clone()),
        "round_prompt": round.and_then(|r| r.prompt.clone()),
        "round_ends_at": round.map(|r| format_time(from_db(r.ends_at), &relay.timezone, &relay.language)),
        "ends_at": rounds.last().map(|r| format_time(from_db(r.ends_at), &relay.timezone, &relay.language)),
        "batons": batons,
    })
}

/// Starts round `index` (0-based, after the first): batons topped up, everyone told.
pub fn start_round(
    conn: &mut DbConn,
    mut relay: RelayRow,
    index: usize,
    now: DateTime<Utc>,
) -> Result<RelayRow, AppError> {
    lifecycle::ensure_open(relay.state, "starting a round")?;
    let rounds = RoundRow::for_relay(conn, relay.id)?;
    let Some(round) = rounds.get(index).cloned() else {
        return Err(RuleViolation::Invalid(format!("no round {}", index + 1)).into());
    };
    relay.rounds_started = relay.rounds_started.max(index as i32 + 1);
    relay.updated_at = to_db(now);
    relay.save(conn)?;
    let settings = relay.settings();
    let pending = QuestionRow::counts_per_participant(conn, relay.id)?;
    for p in active_participants(conn, relay.id)? {
        let before = p.batons.max(0) as u32;
        let batons = batons::after_round_start(before, &settings);
        ParticipantRow::set_batons(conn, p.id, batons)?;
        notify::event(
            conn,
            relay.id,
            Audience::Participant(p.id),
            EventKind::RoundStarted,
            json!({ "round": index + 1, "name": round.name, "prompt": round.prompt, "batons": batons }),
            now,
        )?;
        notify::email(
            conn,
            &relay,
            &p,
            EmailKind::RoundStarted,
            format!("round_started:{}:{}", round.id, p.id),
            json!({
                "round_name": round.name,
                "round_prompt": round.prompt,
                "round_ends_at": format_time(from_db(round.ends_at), &relay.timezone, &relay.language),
                "batons": batons,
                "pending_count": pending.get(&p.id).map_or(0, |c| c.3),
            }),
            now,
        )?;
    }
    notify::event(
        conn,
        relay.id,
        Audience::Staff,
        EventKind::RoundStarted,
        json!({ "round": index + 1, "name": round.name }),
        now,
    )?;
    Ok(relay)
}

/// Closes the relay: pending questions expire, everyone gets the closing email.
pub fn close(conn: &mut DbConn, id: i64, now: DateTime<Utc>) -> Result<RelayRow, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(id))?;
    let mut relay = RelayRow::find(conn, id).or_not_found("relay")?;
    let next = lifecycle::next_state(relay.state, Transition::Close)?;
    let was_open = relay.state == RelayState::Open;
    relay.state = next;
    relay.closed_at = Some(to_db(now));
    relay.updated_at = to_db(now);
    relay.save(conn)?;
    let expired = QuestionRow::expire_pending(conn, id, to_db(now))?;
    let questions = QuestionRow::for_relay(conn, id)?;
    let answered = questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Answered)
        .count();
    let people = ParticipantRow::for_relay(conn, id)?;
    for p in people.iter().filter(|p| !p.is_suspended) {
        notify::event(
            conn,
            id,
            Audience::Participant(p.id),
            EventKind::RelayClosed,
            json!({}),
            now,
        )?;
        // A relay called off before it opened sends no thank-you for taking part.
        if was_open {
            notify::email(
                conn,
                &relay,
                p,
                EmailKind::Closing,
                format!("closing:{}", p.id),
                json!({
                    "share_output": relay.share_output,
                    "question_count": questions.len(),
                    "answer_count": answered,
                    "participant_count": people.len(),
                }),
                now,
            )?;
        }
    }
    notify::event(
        conn,
        id,
        Audience::Staff,
        EventKind::RelayClosed,
        json!({ "expired_questions": expired }),
        now,
    )?;
    Ok(relay)
}

/// Staff member `by` creates a relay in an organisation they run (`input.org_id`, or their
/// only one), written to the audit log.
pub fn create_by(
    conn: &mut DbConn,
    by: &StaffUserRow,
    mut input: CreateRelay,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<RoundRow>), AppError> {
    input.org_id = Some(orgs::for_new_relay(conn, by.id, input.org_id)?);
    let (row, rounds) = create(conn, input, Some(by.id), now)?;
    audit::record(
        conn,
        Entry::new(AuditAction::RelayCreated).by(by).relay(&row),
        now,
    )?;
    Ok((row, rounds))
}

/// Staff member `by` edits relay `id` ([`patch`]), written to the audit log.
pub fn patch_by(
    conn: &mut DbConn,
    by: &StaffUserRow,
    id: i64,
    input: PatchRelay,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<RoundRow>), AppError> {
    let (row, rounds) = patch(conn, id, input, now)?;
    audit::record(
        conn,
        Entry::new(AuditAction::RelayChanged).by(by).relay(&row),
        now,
    )?;
    Ok((row, rounds))
}

/// A lifecycle step a facilitator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// [`schedule`]
    Schedule,
    /// [`open_now`]
    Open,
    /// [`close`]
    Close,
}

/// Staff member `by` takes `step` with relay `id`, written to the audit log.
pub fn step_by(
    conn: &mut DbConn,
    by: &StaffUserRow,
    id: i64,
    step: Step,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (row, action) = match step {
        Step::Schedule => (schedule(conn, id, now)?, AuditAction::RelayScheduled),
        Step::Open => (open_now(conn, id, now)?, AuditAction::RelayOpened),
        Step::Close => (close(conn, id, now)?, AuditAction::RelayClosed),
    };
    audit::record(conn, Entry::new(action).by(by).relay(&row), now)
}

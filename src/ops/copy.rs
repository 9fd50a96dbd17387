//! Relay templates: a relay copied into a new draft, so the same relay can run for the next
//! team without typing it again.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::audit::{self, AuditAction, Entry};

use crate::db::groups::GroupRow;
use crate::db::participants::{NewParticipant, ParticipantRow};
use crate::db::relays::{NewRelay, RelayRow};
use crate::db::rounds::RoundRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, to_db};
use crate::error::{AppError, Found};
use crate::relay::{RelayState, Round, rounds, text};

/// `POST /api/relays/{id}/copy` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    /// The copy's title.
    pub title: String,
    /// Whether the participant list comes along (names, addresses, groups, titles).
    #[serde(default)]
    pub with_participants: bool,
}

/// Copies relay `id` into a new draft: texts, privacy notice, settings and retention, rounds
/// with their names and prompts, groups, and with `with_participants` its participants (not
/// those already erased) under fresh pseudonyms. No questions, credentials, emails or events
/// come along. Round 1 starts when the original's did if that is still ahead, else the same
/// weekday and time whole weeks later ([`rounds::next_weekly_start`]); every round keeps its
/// length and gap. Written to the audit log as a relay `by` created.
pub fn copy_relay(
    conn: &mut DbConn,
    id: i64,
    input: CopyRequest,
    by: &StaffUserRow,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<RoundRow>), AppError> {
    let title = text::validate("title", &input.title, (1, 200))
        .map_err(|v| AppError::validation(v.to_string()))?;
    let source = RelayRow::find(conn, id).or_not_found("relay")?;
    let old_rounds: Vec<Round> = RoundRow::for_relay(conn, id)?
        .iter()
        .map(RoundRow::to_round)
        .collect();
    let new_rounds = match old_rounds.first() {
        Some(first) => {
            let start = rounds::next_weekly_start(first.starts_at, now);
            rounds::shift_to_start(&old_rounds, start)?
        }
        None => Vec::new(),
    };
    rounds::validate(&new_rounds)?;
    let mut copy = RelayRow::insert(
        conn,
        NewRelay {
            title,
            topic: source.topic.clone(),
            purpose: source.purpose.clone(),
            language: source.language.clone(),
            timezone: source.timezone.clone(),
            state: RelayState::Draft,
            recipient_choice: source.recipient_choice,
            cross_group: source.cross_group,
            max_inbox: source.max_inbox,
            batons_per_round: source.batons_per_round,
            max_batons: source.max_batons,
            asker_anonymous: source.asker_anonymous,
            show_asker_group: source.show_asker_group,
            reminder_after_hours: source.reminder_after_hours,
            reroute_after_hours: source.reroute_after_hours,
            share_output: source.share_output,
            seed: source.seed,
            created_by: Some(by.id),
            created_at: to_db(now),
            updated_at: to_db(now),
            controller: source.controller.clone(),
            privacy_contact: source.privacy_contact.clone(),
            privacy_text: source.privacy_text.clone(),
            keywords: source.keywords.clone(),
            org_id: source.org_id,
        },
    )?;
    copy.set_settings(&source.settings());
    copy.save(conn)?;
    let round_rows = RoundRow::replace(conn, copy.id, &new_rounds)?;
    let groups = GroupRow::names(conn, id)?;
    let mut names: Vec<&String> = groups.values().collect();
    names.sort();
    for name in names {
        GroupRow::id_for(conn, copy.id, name)?;
    }
    if input.with_participants {
        for p in ParticipantRow::for_relay(conn, id)? {
            if p.erased_at.is_some() {
                continue;
            }
            let group = groups.get(&p.group_id).cloned().unwrap_or_default();
            let group_id = GroupRow::id_for(conn, copy.id, &group)?;
            let pseudonym = ParticipantRow::next_pseudonym(conn, copy.id)?;
            ParticipantRow::insert(
                conn,
                NewParticipant {
                    relay_id: copy.id,
                    group_id,
                    name: p.name,
                    email: p.email,
                    title: p.title,
                    organisation: p.organisation,
                    pseudonym,
                    batons: 0,
                    created_at: to_db(now),
                    updated_at: to_db(now),
                },
            )?;
        }
    }
    let entry = Entry::new(AuditAction::RelayCreated)
        .by(by)
        .relay(&copy)
        .detail(json!({ "copied_from": id }));
    audit::record(conn, entry, now)?;
    Ok((copy, round_rows))
}

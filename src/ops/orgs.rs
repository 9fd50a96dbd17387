//! Organisations and their members: creating them, which organisation a new relay goes in,
//! roles, removals (an organisation keeps an admin) and analysts' relay grants.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use crate::auth::scope::{self, Need};
use crate::db::audit::AuditRow;
use crate::db::from_db;
use crate::db::memberships::Membership;
use crate::db::orgs::OrgRow;
use crate::db::relay_analysts::RelayAnalyst;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, to_db};
use crate::error::{AppError, Found};
use crate::relay::StaffRole;

/// Creates an organisation (`stafet org add`).
pub fn add(conn: &mut DbConn, name: &str, now: DateTime<Utc>) -> Result<OrgRow, AppError> {
    let name = crate::relay::text::clean(name);
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::validation(
            "an organisation's name has 1 to 200 characters",
        ));
    }
    Ok(OrgRow::insert(conn, &name, to_db(now))?)
}

/// The organisation a new relay goes in: the one asked for, or the only one where the person
/// may create relays (`candidates`); with several and none asked for, they must say which.
pub fn pick(candidates: &[i64], asked: Option<i64>) -> Result<i64, AppError> {
    match (asked, candidates) {
        (Some(org), _) => Ok(org),
        (None, [only]) => Ok(*only),
        (None, []) => Err(AppError::forbidden("facilitators only")),
        (None, _) => Err(AppError::validation(
            "org_id is required: you can create relays in several organisations",
        )),
    }
}

/// The organisations where `user_id` may create and run relays.
pub fn running(conn: &mut DbConn, user_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(OrgRow::of_user(conn, user_id)?
        .into_iter()
        .filter(|(_, role)| role.runs_relays())
        .map(|(o, _)| o.id)
        .collect())
}

/// 403 unless `user_id` may create relays in some organisation (checked before a request's
/// body is read, so an analyst learns nothing about its validation).
pub fn may_create(conn: &mut DbConn, user_id: i64) -> Result<(), AppError> {
    if running(conn, user_id)?.is_empty() {
        return Err(AppError::forbidden("facilitators only"));
    }
    Ok(())
}

/// The organisation `user_id` creates a relay in (see [`pick`]); 404 for one they are not in,
/// 403 where they are an analyst.
pub fn for_new_relay(conn: &mut DbConn, user_id: i64, asked: Option<i64>) -> Result<i64, AppError> {
    let org = pick(&running(conn, user_id)?, asked)?;
    scope::org_role(conn, user_id, org, Need::Run)?;
    Ok(org)
}

/// The relays `user_id` sees: every relay of the organisations where they run relays, and
/// the relays granted to them as an analyst.
pub fn visible_relays(conn: &mut DbConn, user_id: i64) -> Result<Vec<RelayRow>, AppError> {
    let running = running(conn, user_id)?;
    let granted = RelayAnalyst::relays_of(conn, user_id)?;
    Ok(RelayRow::visible(conn, &running, &granted)?)
}

/// An analyst's grant of a relay.
#[derive(Debug, Clone, Serialize)]
pub struct Granted {
    /// The relay.
    pub relay_id: i64,
    /// The analyst.
    pub user_id: i64,
}

/// Grants analyst `user_id` relay `relay_id`; they must be a member of the relay's
/// organisation.
pub fn grant_analyst(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Granted, AppError> {
    scope::relay_role(conn, by.id, relay_id, Need::Run)?;
    let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    let org = relay.org_id.unwrap_or_default();
    if Membership::role(conn, org, user_id)?.is_none() {
        return Err(AppError::validation(
            "user_id must be a member of the relay's organisation",
        ));
    }
    RelayAnalyst::grant(conn, relay_id, user_id, to_db(now))?;
    let entry = Entry::new(AuditAction::AnalystGranted)
        .by(by)
        .relay(&relay)
        .target("user", user_id);
    audit::record(conn, entry, now)?;
    Ok(Granted { relay_id, user_id })
}

/// A member of an organisation as its admins list them.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// Their address.
    pub email: String,
    /// Their role.
    pub role: StaffRole,
    /// When they joined.
    pub since: DateTime<Utc>,
    /// Whether their account is suspended.
    pub suspended: bool,
    /// The account.
    pub user_id: i64,
}

/// Every member of `org_id`, by email.
pub fn members(conn: &mut DbConn, org_id: i64) -> Result<Vec<MemberView>, AppError> {
    Ok(Membership::members(conn, org_id)?
        .into_iter()
        .map(|m| MemberView {
            email: m.email,
            role: m.role,
            since: from_db(m.since),
            suspended: m.is_suspended,
            user_id: m.user_id,
        })
        .collect())
}

/// A member's role, as set.
#[derive(Debug, Clone, Serialize)]
pub struct RoleSet {
    /// The role.
    pub role: StaffRole,
    /// The member.
    pub user_id: i64,
}

/// Admin `by` changes member `user_id`'s role in `org_id`; the organisation keeps at least one
/// admin.
pub fn change_role(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    user_id: i64,
    role: StaffRole,
    now: DateTime<Utc>,
) -> Result<RoleSet, AppError> {
    scope::org_role(conn, by.id, org_id, Need::Admin)?;
    let Some(old) = Membership::role(conn, org_id, user_id)? else {
        return Err(AppError::not_found("member"));
    };
    if old == StaffRole::Admin && role != StaffRole::Admin {
        keeps_an_admin(conn, org_id)?;
    }
    Membership::set(conn, org_id, user_id, role, to_db(now))?;
    let entry = Entry::new(AuditAction::RoleChanged)
        .by(by)
        .org(org_id)
        .target("user", user_id)
        .detail(json!({ "from": old, "to": role }));
    audit::record(conn, entry, now)?;
    Ok(RoleSet { role, user_id })
}

/// Admin `by` removes member `user_id` from `org_id`, with their grants of its relays; the
/// organisation keeps at least one admin.
pub fn remove_member(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    scope::org_role(conn, by.id, org_id, Need::Admin)?;
    let Some(old) = Membership::role(conn, org_id, user_id)? else {
        return Err(AppError::not_found("member"));
    };
    if old == StaffRole::Admin {
        keeps_an_admin(conn, org_id)?;
    }
    Membership::remove(conn, org_id, user_id)?;
    RelayAnalyst::revoke_in_org(conn, org_id, user_id)?;
    let entry = Entry::new(AuditAction::MemberRemoved)
        .by(by)
        .org(org_id)
        .target("user", user_id)
        .detail(json!({ "role": old }));
    audit::record(conn, entry, now)
}

/// 409 unless `org_id` has an admin besides the one about to go.
fn keeps_an_admin(conn: &mut DbConn, org_id: i64) -> Result<(), AppError> {
    if Membership::admins(conn, org_id)? <= 1 {
        return Err(AppError::conflict(
            "last_admin",
            "an organisation keeps at least one admin: make someone else admin first",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_relay_goes_in_the_only_organisation_or_the_one_named() {
        assert_eq!(pick(&[3], None).unwrap(), 3);
        assert_eq!(pick(&[3, 4], Some(4)).unwrap(), 4);
        assert_eq!(pick(&[], Some(9)).unwrap(), 9);
        assert_eq!(pick(&[3, 4], None).unwrap_err().status().as_u16(), 422);
        assert_eq!(pick(&[], None).unwrap_err().status().as_u16(), 403);
    }
}

/// `GET /api/orgs/{oid}/audit?since=RFC3339&kind=ACTION&format=json|csv`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// Which rows of an organisation's audit log a reader asks for.
#[derive(Debug, Clone, Copy)]
pub struct AuditFilter {
    since: Option<DateTime<Utc>>,
    kind: Option<AuditAction>,
}

impl AuditQuery {
    /// The rows asked for, and whether as CSV (else JSON); 422 for an unknown kind or format.
    pub fn read(self) -> Result<(AuditFilter, bool), AppError> {
        let kind = match self.kind.as_deref() {
            None | Some("") => None,
            Some(k) => Some(AuditAction::parse(k).ok_or_else(|| {
                AppError::validation(format!("kind must be one of {}", audit_kinds()))
            })?),
        };
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => return Err(AppError::validation("format must be json or csv")),
        };
        Ok((
            AuditFilter {
                since: self.since,
                kind,
            },
            csv,
        ))
    }
}

fn audit_kinds() -> String {
    AuditAction::ALL
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `org_id`'s audit log, oldest first, at most [`crate::db::audit::PAGE`] rows from the
/// filter's `since`.
pub fn audit_log(
    conn: &mut DbConn,
    org_id: i64,
    filter: AuditFilter,
) -> Result<Vec<AuditRow>, AppError> {
    let since = filter.since.map(to_db);
    let kind = filter.kind.map(AuditAction::as_str);
    Ok(AuditRow::for_org(conn, org_id, since, kind)?)
}

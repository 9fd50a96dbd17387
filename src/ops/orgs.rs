//! Organisations and their members: creating them, which organisation a new relay goes in,
//! roles, removals (an organisation keeps an admin) and analysts' relay grants.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use crate::auth::scope::{self, Need};
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

/// Grants analyst `user_id` relay `relay_id`; they must be a member of the relay's
/// organisation.
pub fn grant_analyst(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
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
    audit::record(conn, entry, now)
}

/// Changes member `user_id`'s role in `org_id`; the organisation keeps at least one admin.
pub fn change_role(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    user_id: i64,
    role: StaffRole,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
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
    audit::record(conn, entry, now)
}

/// Removes member `user_id` from `org_id`, with their grants of its relays; the organisation
/// keeps at least one admin.
pub fn remove_member(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
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

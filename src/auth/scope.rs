//! Who may see which relay: the one authorisation decision of every staff route, the staff
//! websocket, the exports and the report.
//!
//! A staff member's role comes from their membership of the relay's organisation. Admins and
//! facilitators see every relay of their organisations; analysts only the relays granted to
//! them. Anything else answers 404 exactly like something that does not exist, so nobody
//! learns which relays other organisations have.

use diesel::OptionalExtension as _;

use crate::db::DbConn;
use crate::db::memberships::Membership;
use crate::db::questions::QuestionRow;
use crate::db::relay_analysts::RelayAnalyst;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::db::themes::ThemeRow;
use crate::error::AppError;
use crate::relay::StaffRole;
use crate::state::AppState;

/// What a route asks of the caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading the relay's corpus, analyses and counts: any role that sees the relay.
    Read,
    /// Setting up and running it: facilitators and admins.
    Run,
    /// Managing the organisation: admins.
    Admin,
}

/// The decision for one caller and one relay (or organisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, in this role.
    Allow(StaffRole),
    /// Seen, but the role may not do this (403).
    Forbidden,
    /// Not theirs to know of (404, as if it did not exist).
    Hidden,
}

/// The rule: `role` is the caller's role in the organisation (none: not a member), `granted`
/// whether the relay was granted to them as an analyst (always true for organisation routes).
pub fn decide(role: Option<StaffRole>, granted: bool, need: Need) -> Decision {
    let Some(role) = role else {
        return Decision::Hidden;
    };
    if role == StaffRole::Analyst && !granted {
        return Decision::Hidden;
    }
    let enough = match need {
        Need::Read => true,
        Need::Run => role.runs_relays(),
        Need::Admin => role == StaffRole::Admin,
    };
    if enough {
        Decision::Allow(role)
    } else {
        Decision::Forbidden
    }
}

impl Decision {
    /// The role, or the error that answers the request; `what` names what a 404 did not find.
    pub fn into_result(self, what: &str) -> Result<StaffRole, AppError> {
        match self {
            Self::Allow(role) => Ok(role),
            Self::Forbidden => Err(AppError::forbidden(match what {
                "organisation" => "organisation admins only",
                _ => "facilitators only",
            })),
            Self::Hidden => Err(AppError::not_found(what)),
        }
    }
}

/// `user_id`'s decision for relay `relay_id` (hidden when there is no such relay).
pub fn relay_decision(
    conn: &mut DbConn,
    user_id: i64,
    relay_id: i64,
    need: Need,
) -> Result<Decision, AppError> {
    let Some(relay) = RelayRow::find(conn, relay_id).optional()? else {
        return Ok(Decision::Hidden);
    };
    let Some(org_id) = relay.org_id else {
        return Ok(Decision::Hidden);
    };
    let role = Membership::role(conn, org_id, user_id)?;
    let granted = match role {
        Some(StaffRole::Analyst) => RelayAnalyst::granted(conn, relay_id, user_id)?,
        _ => true,
    };
    Ok(decide(role, granted, need))
}

/// `user_id`'s role for relay `relay_id`, or the 404/403 that answers them.
pub fn relay_role(
    conn: &mut DbConn,
    user_id: i64,
    relay_id: i64,
    need: Need,
) -> Result<StaffRole, AppError> {
    relay_decision(conn, user_id, relay_id, need)?.into_result("relay")
}

/// `user_id`'s role in organisation `org_id`, or the 404/403 that answers them.
pub fn org_role(
    conn: &mut DbConn,
    user_id: i64,
    org_id: i64,
    need: Need,
) -> Result<StaffRole, AppError> {
    decide(Membership::role(conn, org_id, user_id)?, true, need).into_result("organisation")
}

/// Something a staff route names, each belonging to one relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A relay.
    Relay(i64),
    /// A question of a relay.
    Question(i64),
    /// A theme of a relay.
    Theme(i64),
}

impl Target {
    /// What a 404 for it says was not found.
    fn name(self) -> &'static str {
        match self {
            Self::Relay(_) => "relay",
            Self::Question(_) => "question",
            Self::Theme(_) => "theme",
        }
    }

    /// Its relay, if it exists.
    fn relay(self, conn: &mut DbConn) -> Result<Option<i64>, AppError> {
        Ok(match self {
            Self::Relay(id) => Some(id),
            Self::Question(id) => QuestionRow::relay_of(conn, id).optional()?,
            Self::Theme(id) => ThemeRow::find(conn, id).optional()?.map(|t| t.relay_id),
        })
    }
}

/// The caller's role for `target`, or the answer that refuses them: 404 (the same as for a
/// target that does not exist) when it is outside what they see, 403 when they see it but
/// their role may not do what `need` says.
pub async fn allow(
    state: &AppState,
    user: &StaffUserRow,
    target: Target,
    need: Need,
) -> Result<StaffRole, AppError> {
    let uid = user.id;
    state
        .db
        .read(move |conn| {
            let decision = match target.relay(conn)? {
                Some(relay_id) => relay_decision(conn, uid, relay_id, need)?,
                None => Decision::Hidden,
            };
            decision.into_result(target.name())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use StaffRole::*;

    #[test]
    fn members_see_their_organisation_and_analysts_only_their_grants() {
        assert_eq!(decide(None, true, Need::Read), Decision::Hidden);
        assert_eq!(decide(Some(Analyst), false, Need::Read), Decision::Hidden);
        assert_eq!(decide(Some(Analyst), false, Need::Run), Decision::Hidden);
        assert_eq!(
            decide(Some(Analyst), true, Need::Read),
            Decision::Allow(Analyst)
        );
        assert_eq!(decide(Some(Analyst), true, Need::Run), Decision::Forbidden);
        for role in [Facilitator, Admin] {
            assert_eq!(decide(Some(role), false, Need::Run), Decision::Allow(role));
        }
        assert_eq!(
            decide(Some(Facilitator), true, Need::Admin),
            Decision::Forbidden
        );
        assert_eq!(
            decide(Some(Admin), true, Need::Admin),
            Decision::Allow(Admin)
        );
    }

    #[test]
    fn a_hidden_relay_answers_like_a_missing_one() {
        let hidden = Decision::Hidden.into_result("relay").unwrap_err();
        let missing = AppError::not_found("relay");
        assert_eq!(hidden.status(), missing.status());
        assert_eq!(format!("{hidden:?}"), format!("{missing:?}"));
    }
}

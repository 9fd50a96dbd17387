//! Organisations: who may call what (the authorisation matrix), members and roles, analysts'
//! grants, invitations and the audit log (`access`).

mod access;

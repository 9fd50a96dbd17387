//! Organisations (issue 14): who may call what (`matrix`), which relays each person sees
//! (`visibility`), members and roles (`members`), the audit log (`audit`) and invitations
//! (`invitations`); `world` is the fixture of two organisations they share.

mod audit;
mod invitations;
mod matrix;
mod members;
mod visibility;
mod world;

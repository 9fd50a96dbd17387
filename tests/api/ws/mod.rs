//! The websocket: delivery, replay with `since` and isolation (`delivery`), who may open it
//! (`auth`), and sockets closed when their credential ends (`revocation`).

mod auth;
mod delivery;
mod revocation;

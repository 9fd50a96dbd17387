//! Route handlers, one file per resource.

pub mod auth;
pub mod links;
pub mod me;
pub mod participants;
pub mod questions;
pub mod relays;

use actix_web::web;
use serde::Deserialize;

/// Everything under `/api`.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .route("/login", web::post().to(auth::login))
            .route("/logout", web::post().to(auth::logout)),
    )
    .service(
        web::scope("/relays")
            .route("", web::post().to(relays::create_relay))
            .route("", web::get().to(relays::list_relays))
            .route("/{id}", web::get().to(relays::get_relay))
            .route("/{id}", web::patch().to(relays::patch_relay))
            .route("/{id}/schedule", web::post().to(relays::schedule_relay))
            .route("/{id}/open", web::post().to(relays::open_relay))
            .route("/{id}/close", web::post().to(relays::close_relay))
            .route("/{id}/stats", web::get().to(relays::relay_stats))
            .route("/{id}/events", web::get().to(relays::staff_events))
            .route(
                "/{id}/participants",
                web::post().to(participants::import_participants),
            )
            .route(
                "/{id}/participants",
                web::get().to(participants::list_participants),
            )
            .route(
                "/{id}/participants/{pid}/suspend",
                web::post().to(participants::suspend_participant),
            )
            .route(
                "/{id}/participants/{pid}/unsuspend",
                web::post().to(participants::unsuspend_participant),
            )
            .route(
                "/{id}/participants/{pid}/resend-email",
                web::post().to(participants::resend_email),
            ),
    )
    .route(
        "/questions/{qid}/reroute",
        web::post().to(questions::reroute_question),
    )
    .service(
        web::scope("/me")
            .route("", web::get().to(me::get_me))
            .route("/questions", web::post().to(me::ask_question))
            .route(
                "/questions/{qid}/answer",
                web::post().to(me::answer_question),
            )
            .route("/events", web::get().to(me::my_events)),
    );
}

/// `?since=ID` of the event feeds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinceQuery {
    /// Last event id the client has seen (0 or absent: from the start).
    #[serde(default)]
    pub since: i64,
}

/// Events as the API returns them: `{id, type, created_at, data}`.
pub fn events_json(rows: Vec<crate::db::models::EventRow>) -> serde_json::Value {
    serde_json::Value::Array(
        rows.into_iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "type": e.kind,
                    "created_at": crate::db::from_db(e.created_at),
                    "data": serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default(),
                })
            })
            .collect(),
    )
}

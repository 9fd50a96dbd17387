//! Route handlers, one file per resource.

pub mod account;
pub mod analysis;
pub mod auth;
pub mod corpus;
pub mod invitations;
pub mod links;
pub mod me;
pub mod orgs;
pub mod pages;
pub mod participants;
pub mod privacy;
pub mod questions;
pub mod recover;
pub mod relays;
pub mod report;
pub mod themes;
pub mod totp;

use actix_web::{HttpRequest, web};
use serde::Deserialize;

/// Everything under `/api`. Each path is one resource holding all its methods, so a known path
/// asked with another method answers 405 (not 404, as separate per-method routes would).
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .service(web::resource("/login").route(web::post().to(auth::login)))
            .service(web::resource("/logout").route(web::post().to(auth::logout)))
            .service(web::resource("/me").route(web::get().to(auth::whoami)))
            .service(web::resource("/password").route(web::post().to(account::change_password)))
            .service(
                web::resource("/totp")
                    .route(web::post().to(totp::enrol))
                    .route(web::delete().to(totp::disable)),
            )
            .service(web::resource("/reset").route(web::post().to(account::request_reset)))
            .service(web::resource("/reset/{token}").route(web::post().to(account::reset_password)))
            .service(
                web::resource("/tokens")
                    .route(web::post().to(account::create_token))
                    .route(web::get().to(account::list_tokens)),
            )
            .service(web::resource("/tokens/{tid}").route(web::delete().to(account::revoke_token)))
            .service(web::resource("/sessions").route(web::get().to(account::list_sessions)))
            .service(
                web::resource("/sessions/{sid}").route(web::delete().to(account::revoke_session)),
            )
            .service(
                web::resource("/invitations/{token}").route(web::post().to(invitations::accept)),
            ),
    )
    .service(
        web::scope("/relays")
            .service(
                web::resource("")
                    .route(web::post().to(relays::create_relay))
                    .route(web::get().to(relays::list_relays)),
            )
            .service(
                web::resource("/{id}")
                    .route(web::get().to(relays::get_relay))
                    .route(web::patch().to(relays::patch_relay)),
            )
            .service(web::resource("/{id}/schedule").route(web::post().to(relays::schedule_relay)))
            .service(web::resource("/{id}/open").route(web::post().to(relays::open_relay)))
            .service(web::resource("/{id}/close").route(web::post().to(relays::close_relay)))
            .service(web::resource("/{id}/stats").route(web::get().to(relays::relay_stats)))
            .service(
                web::resource("/{id}/erase-now").route(web::post().to(privacy::erase_relay_now)),
            )
            .service(web::resource("/{id}/copy").route(web::post().to(privacy::copy)))
            .service(
                web::resource("/{id}/participants/{pid}/erase")
                    .route(web::post().to(privacy::erase_participant)),
            )
            .service(web::resource("/{id}/events").route(web::get().to(relays::staff_events)))
            .service(
                web::resource("/{id}/participants")
                    .route(web::post().to(participants::import_participants))
                    .route(web::get().to(participants::list_participants)),
            )
            .service(web::resource("/{id}/analysts").route(web::post().to(orgs::grant_analyst)))
            .service(web::resource("/{id}/corpus").route(web::get().to(corpus::export_corpus)))
            .service(web::resource("/{id}/words").route(web::get().to(analysis::relay_words)))
            .service(web::resource("/{id}/network").route(web::get().to(analysis::relay_network)))
            .service(
                web::resource("/{id}/network/svg")
                    .route(web::get().to(analysis::relay_network_svg)),
            )
            .service(web::resource("/{id}/keywords").route(web::get().to(analysis::relay_keywords)))
            .service(
                web::resource("/{id}/questions/forms").route(web::get().to(analysis::relay_forms)),
            )
            .service(web::resource("/{id}/forms").route(web::get().to(analysis::relay_form_shares)))
            .service(web::resource("/{id}/focus").route(web::get().to(analysis::relay_focus)))
            .service(
                web::resource("/{id}/focus/lists")
                    .route(web::put().to(analysis::put_focus_lists))
                    .route(web::delete().to(analysis::reset_focus_lists)),
            )
            .service(web::resource("/{id}/profiles").route(web::get().to(analysis::relay_profiles)))
            .service(web::resource("/{id}/report").route(web::get().to(report::relay_report)))
            .service(
                web::resource("/{id}/themes")
                    .route(web::get().to(themes::list_themes))
                    .route(web::post().to(themes::create_theme)),
            )
            .service(
                web::resource("/{id}/themes/cluster").route(web::post().to(themes::cluster_themes)),
            )
            .service(
                web::resource("/{id}/themes/suggestions")
                    .route(web::get().to(themes::theme_suggestions)),
            )
            .service(
                web::resource("/{id}/questions/pending")
                    .route(web::get().to(questions::pending_questions)),
            )
            .service(
                web::resource("/{id}/participants/{pid}/suspend")
                    .route(web::post().to(participants::suspend_participant)),
            )
            .service(
                web::resource("/{id}/participants/{pid}/unsuspend")
                    .route(web::post().to(participants::unsuspend_participant)),
            )
            .service(
                web::resource("/{id}/participants/{pid}/resend-email")
                    .route(web::post().to(participants::resend_email)),
            ),
    )
    .service(
        web::resource("/questions/{qid}/reroute")
            .route(web::post().to(questions::reroute_question)),
    )
    .service(web::resource("/questions/{qid}/star").route(web::put().to(corpus::star_question)))
    .service(web::resource("/questions/{qid}/theme").route(web::put().to(themes::place_question)))
    .service(web::resource("/questions/{qid}/form").route(web::put().to(analysis::correct_form)))
    .service(
        web::scope("/themes")
            .service(
                web::resource("/{tid}")
                    .route(web::patch().to(themes::rename_theme))
                    .route(web::delete().to(themes::delete_theme)),
            )
            .service(web::resource("/{tid}/merge").route(web::post().to(themes::merge_theme)))
            .service(web::resource("/{tid}/split").route(web::post().to(themes::split_theme))),
    )
    .service(web::resource("/analysis/distinctive").route(web::get().to(analysis::distinctive)))
    .service(
        web::scope("/orgs")
            .service(web::resource("").route(web::get().to(orgs::my_orgs)))
            .service(web::resource("/{oid}").route(web::patch().to(totp::patch_org)))
            .service(web::resource("/{oid}/members").route(web::get().to(orgs::members)))
            .service(
                web::resource("/{oid}/members/{uid}")
                    .route(web::patch().to(orgs::change_role))
                    .route(web::delete().to(orgs::remove_member)),
            )
            .service(web::resource("/{oid}/invitations").route(web::post().to(invitations::invite)))
            .service(web::resource("/{oid}/audit").route(web::get().to(orgs::audit_log))),
    )
    .service(
        web::scope("/me")
            .service(web::resource("").route(web::get().to(me::get_me)))
            .service(web::resource("/questions").route(web::post().to(me::ask_question)))
            .service(
                web::resource("/questions/{qid}/answer").route(web::post().to(me::answer_question)),
            )
            .service(web::resource("/events").route(web::get().to(me::my_events)))
            .service(web::resource("/data").route(web::get().to(me::download_my_data)))
            .service(web::resource("/report").route(web::get().to(report::shared_report))),
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

/// `?since=ID&latest=N` of the staff feed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffFeedQuery {
    /// Last event id the client has seen (0 or absent: from the start).
    #[serde(default)]
    pub since: i64,
    /// Only the most recent this many events (a dashboard's activity list), oldest first.
    pub latest: Option<i64>,
}

/// The `?since=` of a feed, read inside the handler after authentication (see
/// [`crate::http::body::json`] for why not as a `web::Query` argument).
pub fn since(req: &HttpRequest) -> Result<i64, crate::error::AppError> {
    web::Query::<SinceQuery>::from_query(req.query_string())
        .map(|q| q.since)
        .map_err(crate::http::query_error)
}

/// Events as the API returns them, each as [`crate::ops::views::EventView`].
pub fn events_json(rows: Vec<crate::db::events::EventRow>) -> crate::ops::views::EventList {
    crate::ops::views::EventList(rows)
}

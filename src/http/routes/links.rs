//! Magic links: `GET /p/{token}` shows a "Continue" page and changes nothing (mail scanners
//! fetch links before people do); its button POSTs to `/p/{token}`, which starts the
//! participant's browser session and redirects to `/app`. Only the Continue page itself may
//! send that POST: one from another site is refused (it would sign the browser in as the
//! attacker's participant), and the session goes into the participant cookie, leaving a staff
//! session in the same browser alone.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::HtmlEscape;

use crate::auth::extractors::{Principal, client_ip, resolve};
use crate::auth::{SessionKind, csrf, tokens};
use crate::error::AppError;
use crate::ops;
use crate::state::AppState;

/// Registers the link routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/p/{token}")
            .route(web::get().to(show_link))
            .route(web::post().to(redeem_link)),
    );
}

/// A minimal page in the relay's language; every dynamic text is escaped. Its referrer policy
/// is `same-origin` (the only requests it makes are to us): under `no-referrer` a browser
/// without `Sec-Fetch-Site` would post the Continue form with `Origin: null`, which
/// [`csrf::refuse_cross_site`] must take for another site.
pub(crate) fn page(status: StatusCode, lang: &str, title: &str, body_html: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"same-origin\">\
<title>{title}</title><link rel=\"stylesheet\" href=\"/static/stafet.css\"></head>\
<body><main class=\"card\">{body_html}</main></body></html>",
            title = HtmlEscape(title),
        ))
}

fn error_page(e: &AppError) -> HttpResponse {
    let (title, text) = match e.code() {
        "suspended" => (
            "Adgang sat på pause · Access paused",
            "Din deltagelse er sat på pause af arrangøren. Kontakt dem, hvis du vil være med igen.<br>\
             Your participation has been paused by the organiser; contact them to take part again.",
        ),
        "link_expired" => (
            "Stafetten er slut · The relay has ended",
            "Stafetten er afsluttet, og linket virker ikke længere.<br>\
             This relay has ended and its link no longer works.",
        ),
        "rate_limited" => (
            "For mange forsøg · Too many attempts",
            "Vent et minut, og prøv igen.<br>Wait a minute and try again.",
        ),
        "cross_site" => (
            "Åbn linket fra din email · Open the link from your email",
            "Stafetten kan kun åbnes fra linket i din email, ikke fra en anden hjemmeside.<br>\
             The relay opens only from the link in your email, not from another website.",
        ),
        _ => (
            "Linket virker ikke · This link does not work",
            "Linket er ugyldigt. Brug det nyeste link fra din email, eller kontakt arrangøren.<br>\
             The link is not valid. Use the latest link in your email, or contact the organiser.",
        ),
    };
    // Every link that does not work offers a fresh one (only open and scheduled relays send
    // one: after the end there is nothing to send).
    let recover = "<p><a href=\"/p/recover\">Få et nyt link · Get a new link</a></p>";
    page(
        e.status(),
        "da",
        title,
        &format!("<h1>{}</h1><p>{text}</p>{recover}", HtmlEscape(title)),
    )
}

async fn participant_of_link(
    req: &HttpRequest,
    state: &AppState,
    token: String,
) -> Result<
    (
        crate::db::participants::ParticipantRow,
        crate::db::relays::RelayRow,
    ),
    AppError,
> {
    state.limits.link(client_ip(req))?;
    if !tokens::well_formed(&token) {
        return Err(AppError::unauthorized("invalid link"));
    }
    match resolve(state, token).await? {
        Principal::Participant {
            participant, relay, ..
        } => Ok((participant, relay)),
        Principal::Staff { .. } => Err(AppError::unauthorized("invalid link")),
    }
}

/// `GET /p/{token}`: the Continue page. Reads, never writes.
pub async fn show_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let token = path.into_inner();
    let (participant, relay) = match participant_of_link(&req, &state, token.clone()).await {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    let (greeting, button, intro) = if relay.language == "da" {
        (
            "Velkommen",
            "Fortsæt til stafetten",
            "Tryk på knappen for at åbne din stafet.",
        )
    } else {
        (
            "Welcome",
            "Continue to the relay",
            "Press the button to open your relay.",
        )
    };
    let body = format!(
        "<h1>{}</h1><p>{}, {}.</p><p>{}</p>\
<form method=\"post\" action=\"/p/{}\"><button type=\"submit\">{}</button></form>{}",
        HtmlEscape(&relay.title),
        greeting,
        HtmlEscape(&participant.name),
        intro,
        HtmlEscape(&token),
        button,
        privacy_notice(&relay),
    );
    page(StatusCode::OK, &relay.language, &relay.title, &body)
}

/// The privacy notice's heading, its two labels and its retention sentence, in the relay's
/// language.
fn notice_labels(
    relay: &crate::db::relays::RelayRow,
) -> (&'static str, &'static str, &'static str, String) {
    let days = relay.retention_days;
    if relay.language == "da" {
        (
            "Om dine oplysninger",
            "Dataansvarlig",
            "Kontakt",
            format!("Dine personoplysninger slettes {days} dage efter, at stafetten er slut."),
        )
    } else {
        (
            "About your information",
            "Data controller",
            "Contact",
            format!("Your personal data is erased {days} days after the relay ends."),
        )
    }
}

/// The relay's privacy notice as a section of the Continue page (`#privacy`, where the
/// invitation email links): shown to whoever holds a link of the relay, before they write
/// anything. Each blank-line-separated part of the text is a paragraph; all of it is escaped.
fn privacy_notice(relay: &crate::db::relays::RelayRow) -> String {
    let (heading, controller, contact, retention) = notice_labels(relay);
    let mut html = format!("<section id=\"privacy\" class=\"privacy\"><h2>{heading}</h2>");
    for part in relay.privacy_text.split("\n\n").map(str::trim) {
        if !part.is_empty() {
            html.push_str(&format!("<p>{}</p>", HtmlEscape(part)));
        }
    }
    html.push_str(&format!("<p>{}</p>", HtmlEscape(&retention)));
    for (label, value) in [
        (controller, &relay.controller),
        (contact, &relay.privacy_contact),
    ] {
        if !value.trim().is_empty() {
            html.push_str(&format!("<p>{label}: {}</p>", HtmlEscape(value)));
        }
    }
    html.push_str("</section>");
    html
}

/// `POST /p/{token}`: starts the participant's browser session and goes to `/app`.
pub async fn redeem_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let secret = match start_session(&req, &state, path.into_inner()).await {
        Ok(secret) => secret,
        Err(e) => return error_page(&e),
    };
    // Participant sessions live as long as the link does; the cookie is kept for 30 days.
    let [session, csrf_cookie] =
        SessionKind::Participant.cookies_for(&secret, 24 * 30, state.settings.server.cookie_secure);
    HttpResponse::SeeOther()
        .cookie(session)
        .cookie(csrf_cookie)
        .insert_header((LOCATION, "/app"))
        .finish()
}

/// A new browser session for the participant of link `token`, unless another site sent the
/// request or the link does not work; its secret.
async fn start_session(
    req: &HttpRequest,
    state: &AppState,
    token: String,
) -> Result<String, AppError> {
    csrf::refuse_cross_site(req)?;
    let (participant, _) = participant_of_link(req, state, token).await?;
    state
        .write_with_now(move |conn, now| ops::me::start_session(conn, participant.id, now))
        .await
}

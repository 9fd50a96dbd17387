//! The lost-link page (SPEC §4): `GET /p/recover` shows an email form; `POST /p/recover`
//! `{email}` (a form or JSON) emails a fresh link for each open or scheduled relay the address
//! takes part in. The answer is the same whether or not the address is known; requests are rate
//! limited per address and per client. The page speaks Danish, or English to a browser whose
//! first language is not a Scandinavian one (a relay's language is unknown before the address
//! is).

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::links::page;
use crate::auth::csrf;
use crate::auth::extractors::client_ip;
use crate::error::AppError;
use crate::http::{Message, body};
use crate::ops::participants::plausible_email;
use crate::ops::recover;
use crate::state::AppState;

/// Registers the page; before `/p/{token}`, which would take `recover` for a token.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/p/recover")
            .route(web::get().to(show_form))
            .route(web::post().to(request_links)),
    );
}

/// `POST /p/recover` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    email: String,
}

/// Whether the page should speak Danish to a browser sending `accept_language`: its first
/// language is Danish, Norwegian or Swedish, or it names none.
pub fn speaks_danish(accept_language: Option<&str>) -> bool {
    let first = accept_language
        .and_then(|h| h.split(',').next())
        .map(|tag| {
            tag.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    first.is_empty()
        || first == "*"
        || ["da", "nb", "nn", "no", "sv"]
            .iter()
            .any(|l| first == *l || first.starts_with(&format!("{l}-")))
}

fn danish(req: &HttpRequest) -> bool {
    speaks_danish(
        req.headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn form_page(status: StatusCode, da: bool, note: &str) -> HttpResponse {
    let (lang, title, intro, label, button) = if da {
        (
            "da",
            "Få et nyt link",
            "Skriv den emailadresse, du blev inviteret med. Vi sender et nyt link til hver \
             stafet, du er med i, som er åben eller planlagt.",
            "Emailadresse",
            "Send mig et nyt link",
        )
    } else {
        (
            "en",
            "Get a new link",
            "Enter the email address you were invited with. We will send a new link for each \
             open or scheduled relay you take part in.",
            "Email address",
            "Send me a new link",
        )
    };
    let body = format!(
        "<h1>{title}</h1>{note}<p>{intro}</p>\
<form method=\"post\" action=\"/p/recover\"><label>{label} \
<input type=\"email\" name=\"email\" required autocomplete=\"email\"></label> \
<button type=\"submit\">{button}</button></form>"
    );
    page(status, lang, title, &body)
}

/// `GET /p/recover`: the email form.
pub async fn show_form(req: HttpRequest) -> HttpResponse {
    form_page(StatusCode::OK, danish(&req), "")
}

/// What the asker is told, known address or not.
const SENT: &str = "If the address takes part in an open or scheduled relay, a new link is on \
its way to it. Older links stop working a day later.";

/// `POST /p/recover` `{email}`: 202 with the same answer whether or not the address is known.
/// A form gets a page back, JSON gets JSON.
pub async fn request_links(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let da = danish(&req);
    match recover_links(&req, payload, &state, is_form).await {
        Ok(()) if is_form => {
            let note = if da {
                "Hvis adressen er med i en åben eller planlagt stafet, er et nyt link på vej til \
                 den. Ældre links holder op med at virke et døgn senere."
            } else {
                SENT
            };
            form_page(
                StatusCode::ACCEPTED,
                da,
                &format!("<p class=\"notice\" role=\"status\">{note}</p>"),
            )
        }
        Ok(()) => HttpResponse::Accepted().json(Message { message: SENT }),
        Err(e) if is_form => {
            let note = format!(
                "<p class=\"error\" role=\"alert\">{}</p>",
                form_error(&e, da)
            );
            form_page(e.status(), da, &note)
        }
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// What the form page says went wrong (never a 5xx's cause).
fn form_error(e: &AppError, da: bool) -> &'static str {
    match (e.code(), da) {
        ("rate_limited", true) => "For mange forsøg. Vent lidt, og prøv igen.",
        ("rate_limited", false) => "Too many attempts. Wait a while and try again.",
        ("validation_failed", true) => "Skriv en gyldig emailadresse.",
        ("validation_failed", false) => "Enter a valid email address.",
        (_, true) => "Det lykkedes ikke. Prøv igen om lidt.",
        (_, false) => "That did not work. Try again in a moment.",
    }
}

async fn recover_links(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    is_form: bool,
) -> Result<(), AppError> {
    csrf::refuse_cross_site(req)?;
    let RecoverRequest { email } = if is_form {
        web::Form::<RecoverRequest>::from_request(req, &mut payload.into_inner())
            .await
            .map_err(|e| AppError::validation(format!("invalid form: {e}")))?
            .into_inner()
    } else {
        body::json(req, payload).await?
    };
    let email = email.trim().to_lowercase();
    if !plausible_email(&email) {
        return Err(AppError::validation("enter a valid email address"));
    }
    state.limits.recover(&email, client_ip(req))?;
    state
        .write_with_now(move |conn, now| recover::send_fresh_links(conn, &email, now))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::speaks_danish;

    #[test]
    fn the_page_speaks_danish_unless_the_browser_prefers_another_language() {
        assert!(speaks_danish(None));
        assert!(speaks_danish(Some("da-DK,da;q=0.9,en;q=0.8")));
        assert!(speaks_danish(Some("nb")));
        assert!(speaks_danish(Some("*")));
        assert!(!speaks_danish(Some("en-GB,en;q=0.9,da;q=0.5")));
        assert!(!speaks_danish(Some("de")));
        assert!(!speaks_danish(Some("dan")));
    }
}

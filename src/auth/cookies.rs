//! The browser's session cookies. Staff and participants each have their own pair (the
//! `HttpOnly` session secret and the CSRF token the page's scripts read), so one browser can be
//! signed in as both: a facilitator who tries a participant link stays signed in as staff.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use super::csrf;

/// Which of the two browser sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A staff user's session, from `POST /api/auth/login`.
    Staff,
    /// A participant's session, from redeeming a magic link.
    Participant,
}

impl SessionKind {
    /// Name of the cookie holding the session secret.
    pub fn cookie(self) -> &'static str {
        match self {
            Self::Staff => "stafet_staff",
            Self::Participant => "stafet_participant",
        }
    }

    /// Name of the cookie handing the session's CSRF token to the page's scripts.
    pub fn csrf_cookie(self) -> &'static str {
        match self {
            Self::Staff => "stafet_staff_csrf",
            Self::Participant => "stafet_participant_csrf",
        }
    }

    /// The session secret this kind's cookie presents, if any.
    pub fn secret_in(self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.cookie()).map(|c| c.value().to_string())
    }

    /// The session and CSRF cookies for `secret`, kept for `max_age_hours`.
    pub fn cookies_for(
        self,
        secret: &str,
        max_age_hours: i64,
        secure: bool,
    ) -> [Cookie<'static>; 2] {
        let session = build(self.cookie(), secret.to_string(), secure)
            .http_only(true)
            .max_age(CookieDuration::hours(max_age_hours))
            .finish();
        // Not HttpOnly: the page's scripts read it to send the X-CSRF-Token header.
        let token = build(self.csrf_cookie(), csrf::token_for(secret), secure)
            .max_age(CookieDuration::hours(max_age_hours))
            .finish();
        [session, token]
    }

    /// Cookies that make the browser forget this kind's session (the other kind stays).
    pub fn removal(self) -> [Cookie<'static>; 2] {
        [self.cookie(), self.csrf_cookie()].map(|name| {
            let mut gone = build(name, String::new(), false).finish();
            gone.make_removal();
            gone
        })
    }
}

fn build(
    name: &'static str,
    value: String,
    secure: bool,
) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(secure)
        .same_site(SameSite::Strict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_kinds_use_four_distinct_cookie_names() {
        let names = [
            SessionKind::Staff.cookie(),
            SessionKind::Staff.csrf_cookie(),
            SessionKind::Participant.cookie(),
            SessionKind::Participant.csrf_cookie(),
        ];
        for (i, a) in names.iter().enumerate() {
            assert!(names[i + 1..].iter().all(|b| a != b), "{a}");
        }
    }

    #[test]
    fn the_session_cookie_is_http_only_and_strict_and_the_token_is_readable() {
        let [session, token] = SessionKind::Participant.cookies_for("secret", 2, true);
        assert_eq!(session.name(), "stafet_participant");
        assert_eq!(session.value(), "secret");
        assert_eq!(session.http_only(), Some(true));
        assert_eq!(session.same_site(), Some(SameSite::Strict));
        assert_eq!(session.path(), Some("/"));
        assert_eq!(session.secure(), Some(true));
        assert_eq!(token.name(), "stafet_participant_csrf");
        assert_eq!(token.value(), csrf::token_for("secret"));
        assert_ne!(token.http_only(), Some(true));
        let [gone, gone_token] = SessionKind::Staff.removal();
        assert_eq!((gone.name(), gone.value()), ("stafet_staff", ""));
        assert_eq!(gone.max_age(), Some(CookieDuration::ZERO));
        assert_eq!(gone_token.name(), "stafet_staff_csrf");
    }
}

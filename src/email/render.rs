//! Email rendering: turns an [`EmailKind`], a language and a JSON context into a subject line,
//! a plain-text body and an HTML body (SPEC §2.5).
//!
//! The templates live in `templates/` and are compiled into the binary, so a fresh install needs
//! no template folder. Layout: `templates/{da,en}/{kind}.subject.txt`, `{kind}.txt` and
//! `{kind}.html`; the HTML bodies extend `{da,en}/layout.html`, which extends the shared
//! `base.html`. Only `.html` templates are auto-escaped. Participant-written text goes through the
//! `nl2br` filter in HTML, which escapes before it turns line breaks into `<br>`.
//!
//! Context keys are documented on [`render`]. A missing optional key is falsy and prints nothing;
//! a missing required key is a [`RenderError::Template`], so a caller bug shows up as a failed
//! email with a reason instead of a letter that says "Kære ".

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

/// The emails of SPEC §2.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// Sent when the relay is scheduled: purpose, start time and rounds.
    Invitation,
    /// Sent when the relay opens (or to a participant added while it is open).
    Opening,
    /// Sent to the recipient of a question.
    QuestionReceived,
    /// Sent to the asker when their question is answered.
    AnswerReceived,
    /// Sent to a participant whose questions wait for an answer.
    Reminder,
    /// Sent to the old recipient of a question that was passed on to someone else.
    QuestionWithdrawn,
    /// Sent at the start of every round after the first.
    RoundStarted,
    /// Sent to every participant when the relay closes.
    Closing,
    /// Sent to a staff member who asked to reset a forgotten password: a single-use link.
    PasswordReset,
    /// Sent to a person an organisation's admin invites to join it as staff.
    StaffInvitation,
}

impl EmailKind {
    /// Every kind, in the order of a relay's life.
    pub const ALL: [EmailKind; 10] = [
        EmailKind::Invitation,
        EmailKind::Opening,
        EmailKind::QuestionReceived,
        EmailKind::AnswerReceived,
        EmailKind::Reminder,
        EmailKind::QuestionWithdrawn,
        EmailKind::RoundStarted,
        EmailKind::Closing,
        EmailKind::PasswordReset,
        EmailKind::StaffInvitation,
    ];

    /// The snake_case name, as stored in the outbox and used in template file names.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Invitation => "invitation",
            EmailKind::Opening => "opening",
            EmailKind::QuestionReceived => "question_received",
            EmailKind::AnswerReceived => "answer_received",
            EmailKind::Reminder => "reminder",
            EmailKind::QuestionWithdrawn => "question_withdrawn",
            EmailKind::RoundStarted => "round_started",
            EmailKind::Closing => "closing",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::StaffInvitation => "staff_invitation",
        }
    }

    /// Where the link in this kind of email leads, before its secret: a participant's magic
    /// link, the page that sets a new staff password, or the page that accepts an invitation.
    pub fn link_path(self) -> &'static str {
        match self {
            EmailKind::PasswordReset => "/reset/",
            EmailKind::StaffInvitation => "/invite/",
            _ => "/p/",
        }
    }

    /// Whether the email goes to a relay's participant; the others (a password reset, an
    /// invitation to join an organisation) go to staff.
    pub fn to_participant(self) -> bool {
        !matches!(self, EmailKind::PasswordReset | EmailKind::StaffInvitation)
    }

    /// The kind named `s` (the inverse of [`EmailKind::as_str`]), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// A rendered email: subject line, plain-text body, HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, trimmed, whitespace collapsed.
    pub subject: String,
    /// Plain-text body; participant text appears verbatim with its line breaks.
    pub text: String,
    /// HTML body; everything from the context is escaped.
    pub html: String,
}

/// Why an email could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The language is neither `da` nor `en`.
    #[error("unsupported language {0}")]
    Language(String),
    /// A template failed, most often because a required context key is missing.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

/// The languages that have a full set of templates.
const LANGUAGES: [&str; 2] = ["da", "en"];

/// Pairs a template's name with its source, embedded from `templates/<name>`.
macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!("templates/", $name)))
    };
}

/// Every template, by the name the others refer to it with.
const TEMPLATES: &[(&str, &str)] = &[
    template!("base.html"),
    template!("macros.html"),
    template!("da/layout.html"),
    template!("da/words.txt"),
    template!("da/signoff.txt"),
    template!("da/footer.txt"),
    template!("da/invitation.subject.txt"),
    template!("da/invitation.txt"),
    template!("da/invitation.html"),
    template!("da/opening.subject.txt"),
    template!("da/opening.txt"),
    template!("da/opening.html"),
    template!("da/question_received.subject.txt"),
    template!("da/question_received.txt"),
    template!("da/question_received.html"),
    template!("da/answer_received.subject.txt"),
    template!("da/answer_received.txt"),
    template!("da/answer_received.html"),
    template!("da/reminder.subject.txt"),
    template!("da/reminder.txt"),
    template!("da/reminder.html"),
    template!("da/question_withdrawn.subject.txt"),
    template!("da/question_withdrawn.txt"),
    template!("da/question_withdrawn.html"),
    template!("da/round_started.subject.txt"),
    template!("da/round_started.txt"),
    template!("da/round_started.html"),
    template!("da/closing.subject.txt"),
    template!("da/closing.txt"),
    template!("da/closing.html"),
    template!("da/password_reset.subject.txt"),
    template!("da/password_reset.txt"),
    template!("da/password_reset.html"),
    template!("da/staff_invitation.subject.txt"),
    template!("da/staff_invitation.txt"),
    template!("da/staff_invitation.html"),
    template!("en/layout.html"),
    template!("en/words.txt"),
    template!("en/signoff.txt"),
    template!("en/footer.txt"),
    template!("en/invitation.subject.txt"),
    template!("en/invitation.txt"),
    template!("en/invitation.html"),
    template!("en/opening.subject.txt"),
    template!("en/opening.txt"),
    template!("en/opening.html"),
    template!("en/question_received.subject.txt"),
    template!("en/question_received.txt"),
    template!("en/question_received.html"),
    template!("en/answer_received.subject.txt"),
    template!("en/answer_received.txt"),
    template!("en/answer_received.html"),
    template!("en/reminder.subject.txt"),
    template!("en/reminder.txt"),
    template!("en/reminder.html"),
    template!("en/question_withdrawn.subject.txt"),
    template!("en/question_withdrawn.txt"),
    template!("en/question_withdrawn.html"),
    template!("en/round_started.subject.txt"),
    template!("en/round_started.txt"),
    template!("en/round_started.html"),
    template!("en/closing.subject.txt"),
    template!("en/closing.txt"),
    template!("en/closing.html"),
    template!("en/password_reset.subject.txt"),
    template!("en/password_reset.txt"),
    template!("en/password_reset.html"),
    template!("en/staff_invitation.subject.txt"),
    template!("en/staff_invitation.txt"),
    template!("en/staff_invitation.html"),
];

/// The template environment, built once: compiling ~60 templates per email would be waste.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(build_environment);

fn build_environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Semi-strict: an absent optional key is falsy in `{% if %}`, while printing an absent key
    // fails, which catches a caller that forgot a required one.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // Lets `{% if %}` lines vanish from plain-text bodies instead of leaving blank lines.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // Only HTML bodies are escaped; subjects and text bodies must show `<` and `&` as written.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            // A JSON null is an absent optional value: print nothing rather than "none".
            Ok(())
        } else if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
            // minijinja's own HTML escaping also turns `/` into `&#x2f;`, which makes every
            // link unreadable in the HTML source and in tests; `/` needs no escaping in HTML.
            out.write_str(&escape_html(&value.to_string()))?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("nl2br", nl2br);
    for (name, source) in TEMPLATES {
        // The templates are compiled into the binary and every one is rendered by the tests, so
        // a syntax error cannot reach a release build.
        if let Err(err) = env.add_template(name, source) {
            panic!("embedded email template {name} does not compile: {err:#}");
        }
    }
    env
}

/// Escapes `text` for HTML and turns its line breaks into `<br>`, so that a participant's text
/// keeps its shape but can never be read as markup.
fn nl2br(text: &str) -> Value {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    Value::from_safe_string(escape_html(&normalised).replace('\n', "<br>\n"))
}

/// Escapes the five characters that could end a text node or an attribute value.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders `kind` in `language` ("da" or "en") with `ctx` (a JSON object).
///
/// Keys (strings unless said; `?` marks optional keys, which may be absent or null):
/// - every kind: `relay_title`, `relay_topic`, `participant_name` (the recipient), `link` (the
///   recipient's personal magic link), `organiser?`;
/// - `invitation`: `purpose`, `starts_at`, `rounds` (array of `{name, starts_at, ends_at,
///   prompt?}`), `batons_per_round` (integer);
/// - `opening`: `purpose`, `round_name`, `round_prompt?`, `round_ends_at`, `batons` (integer),
///   `ends_at`;
/// - `question_received`: `question_text`, `asker_group?`, `rerouted` (bool), `answer_by?`;
/// - `answer_received`: `question_text`, `answer_text`, `recipient_name`, `batons` (integer);
/// - `reminder`: `question_count` (integer), `oldest_received_at`, `question_text`;
/// - `question_withdrawn`: `question_text`;
/// - `round_started`: `round_name`, `round_prompt?`, `round_ends_at`, `batons`, `pending_count`
///   (integers);
/// - `closing`: `share_output` (bool), `question_count`, `answer_count`, `participant_count`
///   (integers);
/// - `password_reset`: `participant_name` is the staff member's email and `relay_title` the
///   platform's name; `link` sets a new password.
///
/// Dates and times arrive already formatted in the relay's time zone and language. Nothing that
/// identifies an asker may be put in the context of a recipient's email; the templates only ever
/// show `asker_group`.
pub fn render(
    kind: EmailKind,
    language: &str,
    ctx: &serde_json::Value,
) -> Result<Rendered, RenderError> {
    if !LANGUAGES.contains(&language) {
        return Err(RenderError::Language(language.to_owned()));
    }
    let name = kind.as_str();
    let base = Value::from_serialize(ctx);

    let subject = ENV
        .get_template(&format!("{language}/{name}.subject.txt"))?
        .render(&base)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");

    let text = ENV
        .get_template(&format!("{language}/{name}.txt"))?
        .render(&base)?;
    let text = format!("{}\n", text.trim());

    // The HTML `<title>` repeats the subject, escaped there like everything else.
    let html_ctx = context! { subject => &subject, ..base };
    let html = ENV
        .get_template(&format!("{language}/{name}.html"))?
        .render(html_ctx)?;
    let html = format!("{}\n", html.trim());

    Ok(Rendered {
        subject,
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use super::*;

    const LINK: &str = "https://stafet.example.dk/p/tok3n";

    /// A context with every key any kind reads, optional ones included.
    fn full_context() -> Json {
        json!({
            "relay_title": "Ledelse til gavn for borgerne",
            "relay_topic": "ledelse til gavn for borgerne",
            "participant_name": "Anne Holm",
            "link": LINK,
            "organiser": "Ledelseskommissionen",
            "purpose": "Vi vil gerne høre jeres spørgsmål.\nOg jeres svar.",
            "starts_at": "mandag 7. december 2026 kl. 09.00",
            "ends_at": "fredag 11. december 2026 kl. 09.00",
            "rounds": [
                {"name": "Dag 1", "starts_at": "mandag 7. december kl. 09.00",
                 "ends_at": "tirsdag 8. december kl. 09.00", "prompt": "Borgernes møde med os"},
                {"name": "Dag 2", "starts_at": "tirsdag 8. december kl. 09.00",
                 "ends_at": "onsdag 9. december kl. 09.00"}
            ],
            "batons_per_round": 1,
            "round_name": "Dag 2",
            "round_prompt": "Samarbejde på tværs",
            "round_ends_at": "onsdag 9. december 2026 kl. 09.00",
            "batons": 2,
            "question_text": "Hvordan giver du dine ledere rum til at lede?",
            "answer_text": "Ved at holde fast i få mål.\nOg ved at lytte.",
            "asker_group": "Kommuner",
            "rerouted": true,
            "answer_by": "tirsdag 8. december 2026 kl. 21.00",
            "recipient_name": "Jens Berg",
            "question_count": 3,
            "oldest_received_at": "mandag 7. december 2026 kl. 10.15",
            "pending_count": 1,
            "share_output": true,
            "answer_count": 2,
            "participant_count": 120,
            "role": "facilitator",
            "expires_at": "torsdag 10. december 2026 kl. 09.00"
        })
    }

    /// `full_context` without the keys that may be absent.
    fn minimal_context() -> Json {
        let mut ctx = full_context();
        let map = ctx.as_object_mut().unwrap();
        for key in ["organiser", "round_prompt", "asker_group", "answer_by"] {
            map.remove(key);
        }
        map["rounds"] = json!([{"name": "Dag 1", "starts_at": "a", "ends_at": "b"}]);
        ctx
    }

    fn render_all(ctx: &Json) -> Vec<(EmailKind, &'static str, Rendered)> {
        let mut all = Vec::new();
        for language in LANGUAGES {
            for kind in EmailKind::ALL {
                let rendered = render(kind, language, ctx)
                    .unwrap_or_else(|e| panic!("{kind:?} in {language}: {e:#}"));
                all.push((kind, language, rendered));
            }
        }
        all
    }

    #[test]
    fn kind_names_round_trip_and_match_serde() {
        for kind in EmailKind::ALL {
            assert_eq!(EmailKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(EmailKind::parse("Opening"), None);
    }

    #[test]
    fn every_kind_renders_in_both_languages_with_the_link() {
        // Arrange
        let ctx = full_context();

        // Act
        let all = render_all(&ctx);

        // Assert
        for (kind, language, email) in all {
            let what = format!("{kind:?} in {language}");
            assert!(!email.subject.is_empty(), "{what}: empty subject");
            assert!(!email.subject.contains('\n'), "{what}: subject spans lines");
            assert_eq!(email.subject, email.subject.trim(), "{what}");
            assert!(email.text.contains(LINK), "{what}: no link in text");
            assert!(email.html.contains(&format!("href=\"{LINK}\"")), "{what}");
            assert!(email.html.contains("Anne Holm"), "{what}: no name");
            assert!(email.text.contains("Ledelseskommissionen"), "{what}");
            assert!(email.html.starts_with("<!DOCTYPE html>"), "{what}");
            assert!(
                email.html.contains(&format!("<html lang=\"{language}\">")),
                "{what}"
            );
            assert!(!email.text.contains("\n\n\n"), "{what}: stray blank lines");
        }
    }

    #[test]
    fn absent_optional_keys_print_nothing() {
        // Arrange: absent keys, and the same keys as JSON null
        let absent = minimal_context();
        let mut null = full_context();
        for key in ["organiser", "round_prompt", "asker_group", "answer_by"] {
            null[key] = Json::Null;
        }

        for ctx in [absent, null] {
            // Act
            let all = render_all(&ctx);

            // Assert
            for (kind, language, email) in all {
                for part in [&email.subject, &email.text, &email.html] {
                    // The button's CSS legitimately says "none".
                    let lower = part.to_lowercase().replace("text-decoration:none", "");
                    for word in ["none", "null", "undefined"] {
                        assert!(!lower.contains(word), "{kind:?} {language}: {word}\n{part}");
                    }
                    assert!(
                        !part.contains("Ledelseskommissionen"),
                        "{kind:?} {language}"
                    );
                }
                assert!(
                    !email.text.contains("\n\n\n"),
                    "{kind:?} {language}: blank lines"
                );
            }
        }
    }

    #[test]
    fn a_missing_required_key_is_an_error() {
        let mut ctx = full_context();
        ctx.as_object_mut().unwrap().remove("participant_name");

        let result = render(EmailKind::Opening, "da", &ctx);

        assert!(
            matches!(result, Err(RenderError::Template(_))),
            "{result:?}"
        );
    }

    #[test]
    fn participant_text_is_escaped_in_html_and_verbatim_in_text() {
        // Arrange
        let evil = "<script>alert(1)</script>";
        let mut ctx = full_context();
        ctx["question_text"] = json!(format!("Første linje {evil}\nAnden & sidste linje"));
        ctx["answer_text"] = json!(format!("Svar {evil}\r\nmed to linjer"));

        for language in LANGUAGES {
            // Act
            let question = render(EmailKind::QuestionReceived, language, &ctx).unwrap();
            let answer = render(EmailKind::AnswerReceived, language, &ctx).unwrap();

            // Assert
            for email in [&question, &answer] {
                assert!(!email.html.contains("<script>"), "{}", email.html);
                assert!(
                    email
                        .html
                        .contains("Første linje &lt;script&gt;alert(1)&lt;/script&gt;<br>"),
                    "{}",
                    email.html
                );
                assert!(email.html.contains("<br>\nAnden &amp; sidste linje"));
                assert!(
                    email
                        .text
                        .contains(&format!("Første linje {evil}\nAnden & sidste linje"))
                );
            }
            assert!(answer.html.contains("Svar &lt;script&gt;"));
            assert!(answer.html.contains("<br>\nmed to linjer"));
            assert!(
                answer
                    .text
                    .contains(&format!("Svar {evil}\r\nmed to linjer"))
            );
        }
    }

    #[test]
    fn context_values_are_escaped_in_html_but_not_in_subjects() {
        let mut ctx = full_context();
        ctx["relay_title"] = json!("Drift & <udvikling>");

        let email = render(EmailKind::Opening, "da", &ctx).unwrap();

        assert!(email.subject.contains("Drift & <udvikling>"));
        assert!(email.text.contains("Drift & <udvikling>"));
        assert!(email.html.contains("Drift &amp; &lt;udvikling&gt;"));
        assert!(!email.html.contains("<udvikling>"));
    }

    #[test]
    fn asker_group_is_shown_only_when_present() {
        let with_group = full_context();
        let mut without_group = full_context();
        without_group.as_object_mut().unwrap().remove("asker_group");

        for language in LANGUAGES {
            let shown = render(EmailKind::QuestionReceived, language, &with_group).unwrap();
            let hidden = render(EmailKind::QuestionReceived, language, &without_group).unwrap();

            assert!(shown.text.contains("Kommuner"));
            assert!(shown.html.contains("Kommuner"));
            let group_word = if language == "da" { "gruppen" } else { "group" };
            assert!(!hidden.text.contains(group_word), "{}", hidden.text);
            assert!(!hidden.html.contains(group_word));
        }
    }

    #[test]
    fn rerouted_and_deadline_sentences_follow_the_context() {
        let mut ctx = minimal_context();
        ctx["rerouted"] = json!(false);

        let plain = render(EmailKind::QuestionReceived, "da", &ctx).unwrap();
        ctx["rerouted"] = json!(true);
        ctx["answer_by"] = json!("tirsdag kl. 21.00");
        let rerouted = render(EmailKind::QuestionReceived, "da", &ctx).unwrap();

        assert!(!plain.text.contains("givet videre"));
        assert!(!plain.text.contains("senest"));
        assert!(rerouted.text.contains("givet videre til dig"));
        assert!(rerouted.text.contains("senest tirsdag kl. 21.00"));
    }

    #[test]
    fn counts_are_worded_in_singular_and_plural() {
        let mut ctx = full_context();
        ctx["question_count"] = json!(1);
        ctx["batons"] = json!(1);
        let da_one = render(EmailKind::Reminder, "da", &ctx).unwrap();
        let en_one = render(EmailKind::AnswerReceived, "en", &ctx).unwrap();
        ctx["question_count"] = json!(3);
        ctx["batons"] = json!(0);
        let da_many = render(EmailKind::Reminder, "da", &ctx).unwrap();
        let en_none = render(EmailKind::AnswerReceived, "en", &ctx).unwrap();

        assert_eq!(
            da_one.subject,
            "Påmindelse: Et spørgsmål venter på dit svar"
        );
        assert_eq!(
            da_many.subject,
            "Påmindelse: 3 spørgsmål venter på dit svar"
        );
        assert!(en_one.text.contains("You now hold one baton"));
        assert!(en_none.text.contains("You hold no batons"));
    }

    #[test]
    fn closing_points_to_the_shared_output_only_when_shared() {
        let mut ctx = full_context();
        let shared = render(EmailKind::Closing, "da", &ctx).unwrap();
        ctx["share_output"] = json!(false);
        let private = render(EmailKind::Closing, "da", &ctx).unwrap();

        assert!(shared.text.contains("Resultatet af stafetten"));
        assert!(!private.text.contains("Resultatet af stafetten"));
        assert!(private.text.contains(LINK));
    }

    #[test]
    fn an_unknown_language_is_refused() {
        let result = render(EmailKind::Invitation, "sv", &full_context());

        assert!(matches!(result, Err(RenderError::Language(ref l)) if l == "sv"));
    }
}

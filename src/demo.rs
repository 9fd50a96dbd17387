//! `stafet demo`: a realistic Danish relay to look at, with a facilitator account, two groups,
//! participants, and a first round of questions and answers already passed on.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::analysis::fixtures;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::{Db, to_db};
use crate::email::worker::{Mailer, deliver_due};
use crate::ops;
use crate::ops::participants::ImportRow;
use crate::ops::relays::{CreateRelay, SettingsPatch};
use crate::relay::StaffRole;

const PEOPLE: [(&str, &str, &str, &str); 10] = [
    (
        "Mette Kjær",
        "Kommunaldirektører",
        "Kommunaldirektør",
        "Vesthavn Kommune",
    ),
    (
        "Lars Bech",
        "Kommunaldirektører",
        "Kommunaldirektør",
        "Skovbjerg Kommune",
    ),
    (
        "Anne Holm",
        "Kommunaldirektører",
        "Kommunaldirektør",
        "Fjordby Kommune",
    ),
    (
        "Jens Ravn",
        "Kommunaldirektører",
        "Kommunaldirektør",
        "Lyngå Kommune",
    ),
    (
        "Sofie Dahl",
        "Kommunaldirektører",
        "Kommunaldirektør",
        "Østerlund Kommune",
    ),
    (
        "Peter Krogh",
        "Direktører i staten",
        "Direktør",
        "Styrelsen for Borgerservice",
    ),
    (
        "Hanne Lund",
        "Direktører i staten",
        "Departementschef",
        "Ministeriet for Velfærd",
    ),
    (
        "Morten Friis",
        "Direktører i staten",
        "Direktør",
        "Styrelsen for Data og Digitalisering",
    ),
    (
        "Karen Storm",
        "Direktører i staten",
        "Direktør",
        "Styrelsen for Arbejdsmiljø",
    ),
    (
        "Thomas Vinter",
        "Direktører i staten",
        "Afdelingschef",
        "Ministeriet for Uddannelse",
    ),
];

const EXCHANGES: [(&str, &str); 5] = [
    (
        "Hvordan sikrer du, at dine ledere får rum til at lede, når styringen oppefra bliver ved med at vokse?",
        "Vi har skåret en tredjedel af de faste rapporteringer væk og aftalt, at lederne selv vælger to mål, de følger tæt. Det har givet tid til at være til stede i driften.",
    ),
    (
        "Hvad har du konkret gjort for at gøre borgernes oplevelse til målestokken for god ledelse i din organisation?",
        "Vi starter hvert ledermøde med en konkret borgersag. Det flytter samtalen fra budgetter til, hvad der faktisk skaber værdi for borgeren.",
    ),
    (
        "Hvordan taler du med dine medarbejdere om faglighed, når ressourcerne bliver mindre år for år?",
        "Jeg er ærlig om prioriteringerne og inviterer fagfolkene med til at vælge, hvad vi holder op med. Det giver ejerskab, også når det gør ondt.",
    ),
    (
        "Hvor går grænsen mellem politisk styring og administrativ ledelse, når en sag pludselig bliver mediesag?",
        "Grænsen går ved fagligheden: politikerne vælger retningen, men vi står fast på, hvad der er fagligt forsvarligt, også når pressen ringer.",
    ),
    (
        "Hvad kan den offentlige sektor lære af det private om ledelse, og hvad skal vi ikke kopiere?",
        "Vi kan lære fokus og hurtige beslutninger. Men vi skal ikke kopiere tanken om, at alt kan måles i kroner, for vores bundlinje er borgernes tillid.",
    ),
];

/// Answers per fixture topic, in the voice of the leaders who answer.
const ANSWERS: [&[&str]; 5] = [
    &[
        "Vi inviterer borgerne ind, før beslutningen er taget, ikke bagefter. Det tager længere tid, men vi træffer bedre beslutninger.",
        "Vi ringer til ti borgere hver måned og spørger, hvad der gjorde en forskel. Det er den bedste styringsinformation, vi har.",
        "Borgerpaneler har lært os, at det, vi troede var vigtigt, ofte ikke er det, borgerne savner.",
    ],
    &[
        "Vi har fjernet en tredjedel af afrapporteringerne og beholdt dem, som lederne faktisk bruger.",
        "Jeg oversætter de politiske mål til to eller tre ting, der giver mening i driften, og lader resten ligge.",
        "Tillidsbaseret styring virker, når vi er enige om, hvad der skal måles, og hvad der ikke skal.",
    ],
    &[
        "Vi rekrutterer på faglig stolthed og giver nye ledere en erfaren makker det første år.",
        "Arbejdsmiljøet bliver bedre, når medarbejderne selv er med til at prioritere opgaverne.",
        "Vi holder på de dygtige ved at give dem ansvar tidligt og tid til faglig udvikling.",
    ],
    &[
        "Vi prøver ny teknologi i det små sammen med medarbejderne, før vi ruller den ud.",
        "Digitalisering skal frigøre tid til borgerne; ellers stopper vi projektet.",
        "Vi har en fast regel: ingen ny løsning uden at de medarbejdere, der skal bruge den, har testet den.",
    ],
    &[
        "Samarbejdet på tværs holder, når vi deler data og har en fælles målsætning om borgeren.",
        "Vi mødes med regionen og kommunerne hver måned om de samme borgere, ikke om strukturer.",
        "Det, der virker, er personlige relationer mellem lederne, før der opstår en krise.",
    ],
];

/// Creates the demo and returns what to print: the staff login and a few participant links.
pub async fn run(settings: &Settings) -> anyhow::Result<String> {
    let db = Db::open(&settings.database.target()?, &settings.db_options())?;
    let out = fill(&db, settings).await;
    db.close();
    out
}

/// Turns an operation's error into the CLI's.
fn cli_err(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn fill(db: &Db, settings: &Settings) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let stamp = now.format("%Y%m%d%H%M%S").to_string();
    let account = add_facilitator(db, &stamp, now).await?;
    let relay = open_relay(db, settings, account.user.id, &stamp, now).await?;
    let people = db
        .read(move |conn| Ok(ParticipantRow::for_relay(conn, relay.id)?))
        .await
        .map_err(cli_err)?;
    pass_around(db, &people, now).await?;
    ask_corpus(db, &people, now).await?;

    let mailer = Mailer::from_settings(&settings.email, settings.base_url())?;
    deliver_due(db, &Clock::System, &mailer).await?;
    summary(db, settings, &relay, &account, &people, now).await
}

/// A facilitator account of its own for this demo, so running the demo twice never collides.
async fn add_facilitator(
    db: &Db,
    stamp: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ops::staff::NewAccount> {
    let (password, hash) = ops::staff::new_password()?;
    let email = format!("facilitator-{stamp}@demo.stafet.dk");
    db.write(move |conn| {
        ops::staff::add_user(
            conn,
            &email,
            StaffRole::Facilitator.as_str(),
            None,
            &hash,
            password.clone(),
            now,
        )
    })
    .await
    .map_err(cli_err)
}

/// The Danish demo relay with its participants, open from now.
async fn open_relay(
    db: &Db,
    settings: &Settings,
    creator: i64,
    stamp: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<RelayRow> {
    let input = CreateRelay {
        title: "Ledelse til gavn for borgerne".into(),
        topic: "Offentlig ledelse".into(),
        purpose: "I fire dage udfordrer vi hinanden med de spørgsmål, vi sjældent får stillet: \
Hvordan skaber vi ledelse, der gør en forskel for borgerne? Du stiller et spørgsmål til en \
kollega, svarer på det spørgsmål, du får, og sender stafetten videre. Spørgsmålene er anonyme."
            .into(),
        language: "da".into(),
        timezone: "Europe/Copenhagen".into(),
        starts_at: Some(now),
        rounds: None,
        // Enough batons and inbox room for the corpus below to pass through in one go.
        settings: Some(SettingsPatch {
            batons_per_round: Some(8),
            max_batons: Some(10),
            max_inbox: Some(8),
            ..SettingsPatch::default()
        }),
        controller: None,
        privacy_contact: None,
        privacy_text: None,
        org_id: None,
    }
    .with_privacy_defaults(&settings.privacy);
    let (relay, _) = db
        .write(move |conn| ops::relays::create(conn, input.clone(), Some(creator), now))
        .await
        .map_err(cli_err)?;
    let relay_id = relay.id;
    let rows: Vec<ImportRow> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, group, title, org))| ImportRow {
            name: (*name).into(),
            email: format!("deltager{}-{stamp}@demo.stafet.dk", i + 1),
            group: (*group).into(),
            title: Some((*title).into()),
            organisation: Some((*org).into()),
        })
        .collect();
    db.write(move |conn| ops::participants::import(conn, relay_id, rows.clone(), now))
        .await
        .map_err(cli_err)?;
    db.write(move |conn| ops::relays::open_now(conn, relay_id, now))
        .await
        .map_err(cli_err)?;
    Ok(relay)
}

/// Passes the relay on a few times: each asker asks, the recipient answers (and so gets a
/// baton).
async fn pass_around(db: &Db, people: &[ParticipantRow], now: DateTime<Utc>) -> anyhow::Result<()> {
    for (i, (question, answer)) in EXCHANGES.iter().enumerate() {
        let asker = people[i * 2 % people.len()].id;
        let ops::questions::Asked {
            question: q,
            recipient,
            ..
        } = db
            .write(move |conn| ops::questions::ask(conn, asker, question, None, now))
            .await
            .map_err(cli_err)?;
        if i < 4 {
            let rid = recipient.id;
            db.write(move |conn| ops::questions::answer(conn, rid, q.id, answer, now))
                .await
                .map_err(cli_err)?;
        }
    }
    Ok(())
}

/// A corpus worth analysing: questions in five topics (from the analysis fixtures), two in
/// three answered. A question nobody can take any more is skipped, as in a real relay.
async fn ask_corpus(db: &Db, people: &[ParticipantRow], now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut asked = 0;
    for (i, (topic, question)) in fixtures::QUESTIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 2)
    {
        let asker = people[(i * 7 + 3) % people.len()].id;
        let Ok(ops::questions::Asked {
            question: q,
            recipient,
            ..
        }) = db
            .write(move |conn| ops::questions::ask(conn, asker, question, None, now))
            .await
        else {
            continue;
        };
        asked += 1;
        if asked % 3 != 0 {
            let rid = recipient.id;
            let answer = ANSWERS[*topic][asked % ANSWERS[*topic].len()];
            db.write(move |conn| ops::questions::answer(conn, rid, q.id, answer, now))
                .await
                .map_err(cli_err)?;
        }
    }
    Ok(())
}

/// What the command prints: the relay, the staff login and links for the first participants.
async fn summary(
    db: &Db,
    settings: &Settings,
    relay: &RelayRow,
    account: &ops::staff::NewAccount,
    people: &[ParticipantRow],
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    writeln!(out, "Demo relay {} \"{}\" is open.", relay.id, relay.title)?;
    writeln!(out, "Staff login: {}", account.user.email)?;
    writeln!(out, "password: {}", account.password)?;
    writeln!(out, "token: {}", account.token)?;
    writeln!(out, "Participant links:")?;
    for p in people.iter().take(3) {
        let pid = p.id;
        let secret = db
            .write(move |conn| {
                Ok(Credential::issue(
                    conn,
                    CredentialKind::ParticipantLink,
                    None,
                    Some(pid),
                    to_db(now),
                    None,
                )?
                .token)
            })
            .await
            .map_err(cli_err)?;
        writeln!(
            out,
            "  {} ({}): {}/p/{secret}",
            p.name,
            p.organisation.as_deref().unwrap_or(""),
            settings.base_url()
        )?;
    }
    writeln!(
        out,
        "Emails written to {}",
        settings.email.mail_dir.display()
    )?;
    Ok(out)
}

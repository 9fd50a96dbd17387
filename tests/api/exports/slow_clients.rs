//! Downloads to clients that stop reading hold no database connection: with eight corpus
//! exports stalled at once, participants still ask and answer, and staff still sign in, at
//! normal speed, and each stalled export still finishes whole once its client reads again.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::corpus;
use crate::helpers::{Person, Res, TestApp, spawn_app};

/// Questions in the exported corpus, and the length of each one's text: about 7 MB of JSON,
/// far more than a stalled socket's buffers hold.
const ROWS: usize = 3000;
const TEXT_CHARS: usize = 1900;

/// The slowest a participant's or staff member's request may be (generous: a debug build on a
/// loaded two-core machine; before the fix they failed after the pool's 10 s wait).
const BOUND: Duration = Duration::from_secs(2);

/// A client that asks for `path`, reads the response head, then reads nothing more; its
/// receive buffer is small, so the server's sending stalls soon.
fn stalled_download(app: &TestApp, path: &str) -> TcpStream {
    let addr: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        app.token
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    stream
}

/// Reads the rest of a chunked body to its end.
fn read_chunked(stream: TcpStream) -> Vec<u8> {
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut chunk = vec![0u8; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Runs `request`, checking it took less than [`BOUND`] and was no server error.
fn timed(what: &str, slowest: &mut Duration, request: impl FnOnce() -> Res) -> Res {
    let start = Instant::now();
    let res = request();
    let took = start.elapsed();
    *slowest = (*slowest).max(took);
    assert!(res.status < 500, "{what}: {} {}", res.status, res.text);
    assert!(
        took < BOUND,
        "{what} took {took:?} beside stalled downloads"
    );
    res
}

fn ask(app: &TestApp, p: &Person, slowest: &mut Duration) -> (i64, i64) {
    let res = timed("asking", slowest, || {
        app.post(
            "/api/me/questions",
            Some(&p.token),
            &json!({ "text": format!("Hvad lærte du af {}?", p.name) }),
        )
    });
    assert_eq!(res.status, 201, "{}", res.text);
    (
        res.body["id"].as_i64().unwrap(),
        res.body["recipient"]["id"].as_i64().unwrap(),
    )
}

#[test]
fn eight_stalled_exports_leave_participants_and_staff_at_normal_speed() {
    let app = spawn_app();
    let big = corpus::relay_with(&app, ROWS, TEXT_CHARS);
    let (_, people) = app.open_relay(6, json!({}));

    let formats = ["json", "csv", "json", "csv", "json", "csv", "xlsx", "json"];
    let stalled: Vec<(&str, TcpStream)> = formats
        .iter()
        .map(|f| {
            let path = format!("/api/relays/{big}/corpus?format={f}");
            (*f, stalled_download(&app, &path))
        })
        .collect();
    // Let the exports run into their clients' full buffers.
    std::thread::sleep(Duration::from_secs(2));

    let mut slowest = Duration::ZERO;
    for round in 0..2 {
        let asked: Vec<(i64, i64)> = people.iter().map(|p| ask(&app, p, &mut slowest)).collect();
        for (qid, rid) in asked {
            let who = people.iter().find(|p| p.id == rid).unwrap();
            let res = timed("reading the inbox", &mut slowest, || {
                app.get("/api/me", Some(&who.token))
            });
            assert_eq!(res.status, 200, "{}", res.text);
            let res = timed("answering", &mut slowest, || {
                app.post(
                    &format!("/api/me/questions/{qid}/answer"),
                    Some(&who.token),
                    &json!({ "text": format!("Svar i runde {round}.") }),
                )
            });
            assert_eq!(res.status, 201, "{}", res.text);
        }
        let res = timed("a staff login", &mut slowest, || {
            app.post(
                "/api/auth/login",
                None,
                &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
            )
        });
        assert_eq!(res.status, 200, "{}", res.text);
        let res = timed("the facilitator's relay list", &mut slowest, || {
            app.get("/api/relays", Some(&app.token))
        });
        assert_eq!(res.status, 200, "{}", res.text);
    }
    eprintln!("slowest interactive request beside 8 stalled exports: {slowest:?}");

    // The stalled exports were only waiting: each finishes whole once read.
    let json_rows = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap();
    for (format, stream) in stalled {
        let body = read_chunked(stream);
        match format {
            "json" => assert_eq!(json_rows(&body).as_array().unwrap().len(), ROWS),
            "csv" => {
                let rows = csv::Reader::from_reader(body.as_slice()).records().count();
                assert_eq!(rows, ROWS);
            }
            _ => assert!(body.starts_with(b"PK"), "an XLSX (zip) file"),
        }
    }
}

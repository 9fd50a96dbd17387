//! A minimal SMTP server for tests: enough of RFC 5321 for lettre to deliver to it, keeping
//! every message it accepts (or refusing them all, as `mode` says).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// How the test server answers the DATA command.
#[derive(Clone, Debug)]
pub enum Mode {
    Accept,
    Reject(String),
}

/// A minimal SMTP server: enough of RFC 5321 for lettre to deliver to it.
#[derive(Clone)]
pub struct SmtpServer {
    pub received: Arc<Mutex<Vec<String>>>,
    pub mode: Arc<Mutex<Mode>>,
}

impl SmtpServer {
    pub fn start(listener: TcpListener) -> Self {
        let server = SmtpServer {
            received: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Accept)),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.session(stream));
            }
        });
        server
    }

    fn session(&self, stream: TcpStream) {
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let _ = out.write_all(b"220 test.local ESMTP\r\n");
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                b"250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if cmd.starts_with("MAIL")
                || cmd.starts_with("RCPT")
                || cmd.starts_with("RSET")
                || cmd.starts_with("NOOP")
            {
                b"250 OK\r\n"
            } else if cmd.starts_with("DATA") {
                let mode = self.mode.lock().unwrap().clone();
                if let Mode::Reject(reason) = mode {
                    let _ = out.write_all(format!("{reason}\r\n").as_bytes());
                    continue;
                }
                let _ = out.write_all(b"354 go ahead\r\n");
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 {
                        return;
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    data.push_str(
                        l.strip_prefix('.')
                            .filter(|_| l.starts_with(".."))
                            .unwrap_or(&l),
                    );
                }
                self.received.lock().unwrap().push(data);
                b"250 2.0.0 queued\r\n"
            } else if cmd.starts_with("QUIT") {
                let _ = out.write_all(b"221 bye\r\n");
                return;
            } else {
                b"502 not implemented\r\n"
            };
            let _ = out.write_all(reply);
        }
    }

    pub fn messages(&self) -> Vec<Parsed> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|raw| parse(raw))
            .collect()
    }
}

pub struct Parsed {
    pub raw: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
}

/// The first address an email is sent to ("" if none).
pub fn first_to(msg: &mail_parser::Message<'_>) -> String {
    msg.to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_string()
}

pub fn parse(raw: &str) -> Parsed {
    let msg = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    Parsed {
        raw: raw.to_string(),
        to: first_to(&msg),
        subject: msg.subject().unwrap_or("").to_string(),
        message_id: msg.message_id().unwrap_or("").to_string(),
        text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
    }
}

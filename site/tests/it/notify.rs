//! Notifications end to end on loopback: a real SMTP server (aiosmtpd, delivering to a
//! Maildir) receives the code and the event mails; forged, stale, replayed and over-rate
//! requests are refused and send nothing.

use std::path::PathBuf;

use rv::notify::Token;
use rv_testbed::mail::SmtpSink;

use crate::{Running, request, scratch, site_with};

/// `rv-site` with its own database and the SMTP sink.
fn notify_site(tag: &str, extra: &[&str]) -> (Running, String, SmtpSink, PathBuf) {
    let dir = scratch(tag);
    let smtp = SmtpSink::start(&dir);
    let (site, addr) = site_with("http://127.0.0.1:9", &dir.join("site.db"), &smtp.url, extra);
    (site, addr, smtp, dir)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// Registers `email` through the code mail; the token.
fn register(addr: &str, smtp: &SmtpSink, email: &str) -> Token {
    let before = smtp.messages().len();
    let (code, _, body) = request(
        addr,
        "POST",
        "/api/notify/register",
        &[],
        &format!(r#"{{"email":"{email}"}}"#),
    );
    assert_eq!(code, 202, "{body}");
    let subjects = smtp.subjects();
    assert_eq!(subjects.len(), before + 1, "one code mail");
    let sent = subjects[before]
        .rsplit(' ')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(sent.len(), 6, "{subjects:?}");
    let wrong = if sent == "000000" { "000001" } else { "000000" };
    let (code, _, body) = request(
        addr,
        "POST",
        "/api/notify/register",
        &[],
        &format!(r#"{{"email":"{email}","code":"{wrong}"}}"#),
    );
    assert_eq!(code, 401, "a wrong code: {body}");
    let (code, _, body) = request(
        addr,
        "POST",
        "/api/notify/register",
        &[],
        &format!(r#"{{"email":"{email}","code":"{sent}"}}"#),
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["url"], "https://rv.example/api/notify");
    Token::parse(v["token"].as_str().unwrap()).unwrap()
}

fn event_body(event: &str, job: u32) -> String {
    format!(
        r#"{{"request":"r-1795891053-01fadc0b","job_id":"{job}","job_name":"train-01fadc0b-s1","event":"{event}","node":"a6000-01","segment":1,"code":null,"time":{}}}"#,
        now()
    )
}

/// The headers of a request signed with `token` at `ts`.
fn signed(token: &Token, ts: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-Rv-Key", token.id().to_owned()),
        ("X-Rv-Timestamp", ts.to_string()),
        ("X-Rv-Signature", token.sign(ts, body.as_bytes())),
    ]
}

fn post(addr: &str, path: &str, headers: &[(&str, String)], body: &str) -> u16 {
    request(addr, "POST", path, headers, body).0
}

#[test]
fn a_registered_address_gets_a_mail_per_event_and_its_history() {
    let (_site, addr, smtp, dir) = notify_site("notify-flow", &[]);
    let token = register(&addr, &smtp, "ada@example.org");
    for (i, event) in ["STARTED", "COMPLETED"].iter().enumerate() {
        let body = event_body(event, 4242);
        let (code, _, reply) = request(
            &addr,
            "POST",
            "/api/notify",
            &signed(&token, now() + i64::try_from(i).unwrap(), &body),
            &body,
        );
        assert_eq!(code, 202, "{reply}");
    }
    let messages = smtp.decoded();
    let started = &messages[messages.len() - 2];
    assert!(started.contains("To: ada@example.org"), "{started}");
    assert!(
        started.contains("Subject: [rv] train-01fadc0b-s1 4242: STARTED"),
        "{started}"
    );
    assert!(started.contains("multipart/alternative"), "plain and HTML");
    assert!(started.contains("text/plain") && started.contains("text/html"));
    assert!(started.contains("rv logs 4242"));
    assert!(started.contains("a6000-01"));

    let body = r#"{"limit":5}"#;
    let (code, _, reply) = request(
        &addr,
        "POST",
        "/api/notify/history",
        &signed(&token, now(), body),
        body,
    );
    assert_eq!(code, 200, "{reply}");
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
    let events: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["COMPLETED", "STARTED"], "newest first");
    assert!(v["events"][0]["delivered"].as_bool().unwrap());

    // Off: the key no longer signs anything.
    assert_eq!(
        post(&addr, "/api/notify/off", &signed(&token, now(), "{}"), "{}"),
        200
    );
    let body = event_body("FAILED", 4243);
    assert_eq!(
        post(&addr, "/api/notify", &signed(&token, now(), &body), &body),
        401
    );
    assert_eq!(
        smtp.messages().len(),
        messages.len(),
        "nothing sent after off"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn forged_stale_replayed_and_over_rate_requests_are_refused_and_send_nothing() {
    let (_site, addr, smtp, dir) = notify_site("notify-refused", &["--rate-key", "4"]);
    let token = register(&addr, &smtp, "bob@example.org");
    let mails = smtp.messages().len();
    let body = event_body("STARTED", 7);
    let ts = now();
    // Unsigned, forged (another secret for the same id), unknown key, altered body.
    assert_eq!(post(&addr, "/api/notify", &[], &body), 401, "unsigned");
    let forged = Token::issue(b"not the service key", token.id());
    assert_eq!(
        post(&addr, "/api/notify", &signed(&forged, ts, &body), &body),
        401,
        "forged"
    );
    let stranger = Token::issue(b"k", "00000000deadbeef");
    assert_eq!(
        post(&addr, "/api/notify", &signed(&stranger, ts, &body), &body),
        401,
        "unknown key"
    );
    let altered = body.replace("STARTED", "FAILED");
    assert_eq!(
        post(&addr, "/api/notify", &signed(&token, ts, &body), &altered),
        401,
        "altered body"
    );
    // Stale: rightly signed, 601 s old (or early).
    for skew in [-601, 601] {
        assert_eq!(
            post(
                &addr,
                "/api/notify",
                &signed(&token, ts + skew, &body),
                &body
            ),
            401,
            "stale by {skew} s"
        );
    }
    assert_eq!(smtp.messages().len(), mails, "nothing sent so far");
    // A good one, then its replay.
    let headers = signed(&token, ts, &body);
    assert_eq!(post(&addr, "/api/notify", &headers, &body), 202);
    assert_eq!(post(&addr, "/api/notify", &headers, &body), 409, "replay");
    assert_eq!(smtp.messages().len(), mails + 1, "one mail for both");
    // Over the key's rate (4 a minute: one used above, the replay counted too).
    let codes: Vec<u16> = (1..=4)
        .map(|i| {
            let body = event_body("COMPLETED", 100 + i);
            post(
                &addr,
                "/api/notify",
                &signed(&token, ts + i64::from(i), &body),
                &body,
            )
        })
        .collect();
    assert!(codes.contains(&429), "{codes:?}");
    let accepted = codes.iter().filter(|&&c| c == 202).count();
    assert_eq!(smtp.messages().len(), mails + 1 + accepted, "{codes:?}");
    // Garbage never gets past 4xx.
    for (headers, body) in [
        (
            vec![
                ("X-Rv-Key", "x".repeat(5000)),
                ("X-Rv-Timestamp", "1".into()),
                ("X-Rv-Signature", "sha256=00".into()),
            ],
            "{}".to_owned(),
        ),
        (signed(&token, ts, "not json"), "not json".to_owned()),
    ] {
        let code = post(&addr, "/api/notify", &headers, &body);
        assert!((400..500).contains(&code), "{code}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn one_address_cannot_flood_the_site() {
    let (_site, addr, smtp, dir) = notify_site("notify-ip", &["--rate-ip", "5"]);
    let codes: Vec<u16> = (0..8)
        .map(|_| post(&addr, "/api/notify", &[], "{}"))
        .collect();
    assert_eq!(&codes[..5], &[401; 5], "{codes:?}");
    assert_eq!(&codes[5..], &[429; 3], "{codes:?}");
    let (code, _, body) = request(
        &addr,
        "POST",
        "/api/notify/register",
        &[],
        r#"{"email":"eve@example.org"}"#,
    );
    assert_eq!(code, 429, "registration shares the limit: {body}");
    assert!(smtp.messages().is_empty());
    assert_eq!(
        post(
            &addr,
            "/api/notify/register",
            &[],
            r#"{"email":"not an address"}"#
        ),
        429
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_registrations_are_one_line_errors() {
    let (_site, addr, smtp, dir) = notify_site("notify-bad", &[]);
    for body in ["", "{", r#"{"email":"no-at-sign"}"#, r#"{"email":42}"#] {
        let (code, _, reply) = request(&addr, "POST", "/api/notify/register", &[], body);
        assert_eq!(code, 400, "{body:?}: {reply}");
        let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
        assert!(!v["error"].as_str().unwrap().contains('\n'), "{reply}");
    }
    let (code, _, _) = request(
        &addr,
        "POST",
        "/api/notify/register",
        &[],
        r#"{"email":"c@example.org","code":"123456"}"#,
    );
    assert_eq!(code, 401, "a code never sent");
    assert!(smtp.messages().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

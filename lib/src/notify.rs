//! Job-event notifications: the token a notification service issues, the signature every
//! event carries, and the checks the service makes. Jobs sign with `curl` and a Python
//! one-liner (see `script`); `rv notify` and the site use these functions.
//!
//! A token is `rvt_<id>.<secret>`. The id is public (it travels in the `X-Rv-Key` header);
//! the whole token is the HMAC-SHA256 key. The service keeps only ids: the secret is an HMAC
//! of the id under the service's own key, so a stolen database holds no tokens.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::util::{hex, unhex};

/// The events a job (or `rv notify test`) may send.
pub const EVENTS: &[&str] = &[
    "STARTED",
    "COMPLETED",
    "FAILED",
    "RESUBMITTED",
    "TIMEOUT",
    "CANCELLED",
    "LEASE_EXPIRED",
    "TEST",
];

/// How far a request's timestamp may be from the service's clock, in seconds.
pub const MAX_SKEW_SECS: i64 = 600;

/// The header with the token's public id.
pub const HEADER_KEY: &str = "x-rv-key";
/// The header with the request's time (epoch seconds).
pub const HEADER_TIMESTAMP: &str = "x-rv-timestamp";
/// The header with `sha256=<hex HMAC of "<timestamp>.<body>">`.
pub const HEADER_SIGNATURE: &str = "x-rv-signature";

/// The prefix of every token.
const PREFIX: &str = "rvt_";

/// A job event, as the job script sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The request the job serves.
    pub request: String,
    /// The Slurm job id.
    pub job_id: String,
    /// The job's name.
    pub job_name: String,
    /// One of [`EVENTS`].
    pub event: String,
    /// The node it runs on.
    pub node: String,
    /// The checkpoint segment (1 for a plain job).
    pub segment: u32,
    /// The exit code, when it ended.
    pub code: Option<i32>,
    /// When it happened (epoch seconds, the node's clock).
    pub time: i64,
}

/// Why an event or token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// Not `rvt_<id>.<secret>`.
    #[error("not an rv notification token")]
    BadToken,
    /// The body is not an event.
    #[error("bad event: {0}")]
    BadEvent(String),
}

/// A parsed token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    text: String,
    id_len: usize,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({}.…)", self.id())
    }
}

impl Token {
    /// Reads `rvt_<id>.<secret>` (ids and secrets are lowercase hex).
    pub fn parse(text: &str) -> Result<Token, NotifyError> {
        let rest = text.strip_prefix(PREFIX).ok_or(NotifyError::BadToken)?;
        let (id, secret) = rest.split_once('.').ok_or(NotifyError::BadToken)?;
        let hex =
            |s: &str| !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid_id(id) || !hex(secret) || secret.len() != 64 {
            return Err(NotifyError::BadToken);
        }
        Ok(Token {
            text: text.to_owned(),
            id_len: id.len(),
        })
    }

    /// The token a service with `service_key` issues for `id`.
    pub fn issue(service_key: &[u8], id: &str) -> Token {
        let secret = hex(&hmac(service_key, id.as_bytes()));
        Token {
            text: format!("{PREFIX}{id}.{secret}"),
            id_len: id.len(),
        }
    }

    /// The public id.
    pub fn id(&self) -> &str {
        &self.text[PREFIX.len()..PREFIX.len() + self.id_len]
    }

    /// The whole token: a secret.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The `X-Rv-Signature` value for `body` sent at `timestamp`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        format!(
            "sha256={}",
            hex(&hmac(self.text.as_bytes(), &signed_bytes(timestamp, body)))
        )
    }

    /// Whether `signature` is this token's for `body` at `timestamp` (in constant time).
    pub fn verify(&self, timestamp: i64, body: &[u8], signature: &str) -> bool {
        let Some(digest) = signature.strip_prefix("sha256=").and_then(unhex) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(self.text.as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(&signed_bytes(timestamp, body));
        mac.verify_slice(&digest).is_ok()
    }
}

/// Whether `id` can be a token id: 8 to 64 lowercase hex digits.
pub fn valid_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Seconds since the Unix epoch on this machine's clock: what a signature's timestamp is,
/// and what the service checks it against (0 for a clock set before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether a request made at `timestamp` is fresh at `now`.
pub fn fresh(timestamp: i64, now: i64) -> bool {
    (now - timestamp).abs() <= MAX_SKEW_SECS
}

/// Reads and checks an event body.
pub fn parse_event(body: &[u8]) -> Result<Event, NotifyError> {
    let event: Event =
        serde_json::from_slice(body).map_err(|e| NotifyError::BadEvent(e.to_string()))?;
    if !EVENTS.contains(&event.event.as_str()) {
        return Err(NotifyError::BadEvent(format!(
            "event {:?} is not one of {}",
            event.event,
            EVENTS.join(", ")
        )));
    }
    let long = [
        ("request", &event.request),
        ("job_id", &event.job_id),
        ("job_name", &event.job_name),
        ("node", &event.node),
    ]
    .into_iter()
    .find(|(_, v)| v.len() > 200 || v.chars().any(char::is_control));
    if let Some((field, _)) = long {
        return Err(NotifyError::BadEvent(format!(
            "{field} is longer than 200 characters or holds control characters"
        )));
    }
    Ok(event)
}

fn signed_bytes(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{timestamp}.").into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// One history row: time, event, job, node, and whether the mail went out.
pub fn history_line(e: &serde_json::Value) -> String {
    let ev = &e["event"];
    let s = |v: &serde_json::Value| {
        v.as_str()
            .filter(|x| !x.is_empty())
            .unwrap_or("-")
            .to_owned()
    };
    format!(
        "{}  {:<11} {} ({})  {}{}",
        crate::slurm::time::format_utc(e["received"].as_i64().unwrap_or(0)),
        s(&ev["event"]),
        s(&ev["job_name"]),
        s(&ev["job_id"]),
        s(&ev["node"]),
        if e["delivered"] == true {
            ""
        } else {
            "  (not delivered)"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn token() -> Token {
        Token::issue(b"service key", "0123456789abcdef")
    }

    #[test]
    fn tokens_round_trip_and_keep_their_id() {
        let t = token();
        assert!(t.expose().starts_with("rvt_0123456789abcdef."));
        assert_eq!(Token::parse(t.expose()), Ok(t.clone()));
        assert_eq!(t.id(), "0123456789abcdef");
        assert!(
            !format!("{t:?}").contains(&t.expose()[25..]),
            "Debug hides the secret"
        );
        // The service derives the same token from the id alone; another key does not.
        assert_eq!(Token::issue(b"service key", t.id()), t);
        assert_ne!(Token::issue(b"other key", t.id()), t);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let secret = "a".repeat(64);
        for bad in [
            "",
            "rvt_",
            "rvt_0123456789abcdef",
            &format!("rvx_0123456789abcdef.{secret}"),
            &format!("rvt_0123.{secret}"),
            &format!("rvt_0123456789ABCDEF.{secret}"),
            "rvt_0123456789abcdef.abc",
            &format!("rvt_0123456789abcdef.{secret}g"),
        ] {
            assert_eq!(Token::parse(bad), Err(NotifyError::BadToken), "{bad}");
        }
    }

    #[test]
    fn signatures_match_what_the_job_script_computes() {
        // The same HMAC the job's python one-liner computes over "<ts>.<body>".
        let t = Token::parse(&format!("rvt_0123456789abcdef.{}", "0".repeat(64))).unwrap();
        let sig = t.sign(1_795_891_055, b"{}");
        let expected = std::process::Command::new("python3")
            .args(["-c", "import hashlib, hmac, sys; print('sha256=' + hmac.new(sys.argv[1].encode(), b'1795891055.{}', hashlib.sha256).hexdigest())", t.expose()])
            .output()
            .unwrap();
        assert_eq!(sig, String::from_utf8_lossy(&expected.stdout).trim());
        assert!(t.verify(1_795_891_055, b"{}", &sig));
    }

    #[test]
    fn forged_or_altered_requests_fail() {
        let t = token();
        let sig = t.sign(100, b"body");
        assert!(t.verify(100, b"body", &sig));
        assert!(!t.verify(101, b"body", &sig), "another timestamp");
        assert!(!t.verify(100, b"bodY", &sig), "another body");
        assert!(!t.verify(100, b"body", &sig.replace("sha256=", "")));
        assert!(!t.verify(100, b"body", "sha256=zz"));
        let other = Token::issue(b"service key", "fedcba9876543210");
        assert!(!other.verify(100, b"body", &sig), "another token");
    }

    #[test]
    fn freshness_is_ten_minutes_either_way() {
        assert!(fresh(1000, 1000 + 600));
        assert!(!fresh(1000, 1000 + 601));
        assert!(fresh(1000 + 600, 1000));
        assert!(!fresh(1000 + 601, 1000));
    }

    #[test]
    fn events_are_checked() {
        let good = br#"{"request":"r-1-ab","job_id":"12","job_name":"t-ab-s1","event":"STARTED","node":"a6000-01","segment":1,"code":null,"time":5}"#;
        assert_eq!(parse_event(good).unwrap().event, "STARTED");
        let other = String::from_utf8_lossy(good).replace("STARTED", "EXPLODED");
        assert!(
            parse_event(other.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("EXPLODED")
        );
        let nl = String::from_utf8_lossy(good).replace("t-ab-s1", "t\\nab");
        assert!(
            parse_event(nl.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("job_name")
        );
        assert!(parse_event(b"{").is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in ".{0,200}", b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Token::parse(&s);
            let _ = parse_event(&b);
            let _ = token().verify(0, &b, &s);
        }
    }
}

//! The notification service, from the laptop: register (a code mailed to you), send a
//! test, read the history, revoke the token; every call after registration signed.

use crate::notify::{self, Event, HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, Token};
use crate::secrets::Store;
use crate::util::{hex, random};
use serde_json::json;

/// The stored URL and token, when set up.
#[derive(Debug)]
pub struct Registered {
    /// The service.
    pub url: String,
    /// The token jobs sign their events with.
    pub token: Token,
}

/// The URL and token `rv notify setup` stored, when it has.
pub fn registered(store: &Store) -> Option<Registered> {
    let pairs = store.pairs();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Some(Registered {
        url: get("RV_NOTIFY_URL")?,
        token: Token::parse(&get("RV_NOTIFY_TOKEN")?).ok()?,
    })
}

/// An HTTP client for the service (rustls with ring, rv's user agent, a 30 s limit).
pub fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("rv/", env!("CARGO_PKG_VERSION")))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))
}

/// Reads the service's answer: its JSON, or its `error` as the message.
pub async fn answer(resp: reqwest::Response, url: &str) -> Result<serde_json::Value, String> {
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(v);
    }
    Err(format!(
        "{url}: HTTP {}: {}",
        status.as_u16(),
        v["error"].as_str().unwrap_or("no reason given")
    ))
}

/// Registers `email` at `site`: mails a code (asked with `ask_code` unless given), trades
/// it for a token, and sends a test event unless `test` is false. The report keeps the
/// token for the caller to store.
pub async fn setup(
    client: &reqwest::Client,
    site: &str,
    email: &str,
    code: Option<&str>,
    ask_code: impl FnOnce() -> Result<String, String>,
    test: bool,
) -> Result<serde_json::Value, String> {
    let url = format!("{site}/api/notify/register");
    let send = |body: serde_json::Value| {
        let url = url.clone();
        async move {
            let resp = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            answer(resp, &url).await
        }
    };
    let code = match code {
        Some(c) => c.to_owned(),
        None => {
            send(json!({ "email": email })).await?;
            eprintln!("rv notify: a code was mailed to {email}");
            ask_code()?
        }
    };
    let mut issued = send(json!({ "email": email, "code": code })).await?;
    let registered = Registered {
        url: issued["url"]
            .as_str()
            .ok_or_else(|| format!("{url}: the answer has no \"url\""))?
            .to_owned(),
        token: issued["token"]
            .as_str()
            .and_then(|t| Token::parse(t).ok())
            .ok_or_else(|| format!("{url}: the answer has no valid \"token\""))?,
    };
    let tested = if test {
        match send_test(client, &registered).await {
            Ok(()) => "sent",
            Err(e) => {
                eprintln!("rv notify: warning: the test mail failed: {e}");
                "failed"
            }
        }
    } else {
        "skipped"
    };
    issued["test"] = json!(tested);
    Ok(issued)
}

/// Posts `body` (an object) signed with the token to the notify URL plus `path`.
pub async fn signed_post(
    client: &reqwest::Client,
    r: &Registered,
    path: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let url = format!("{}{path}", r.url);
    // A nonce, so two requests alike in the same second are not taken for a replay.
    let mut body = body.clone();
    body["nonce"] = json!(hex(
        &random::<8>().map_err(|e| format!("random source: {e}"))?
    ));
    let body = body.to_string();
    let ts = notify::now();
    let resp = client
        .post(&url)
        .header("content-type", "application/json")
        .header(HEADER_KEY, r.token.id())
        .header(HEADER_TIMESTAMP, ts.to_string())
        .header(HEADER_SIGNATURE, r.token.sign(ts, body.as_bytes()))
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    answer(resp, &url).await
}

/// Sends a signed test event.
pub async fn send_test(client: &reqwest::Client, r: &Registered) -> Result<(), String> {
    let event = Event {
        request: "-".into(),
        job_id: "test".into(),
        job_name: "rv-notify-test".into(),
        event: "TEST".into(),
        node: String::new(),
        segment: 1,
        code: None,
        time: notify::now(),
    };
    let body = serde_json::to_value(&event).map_err(|e| e.to_string())?;
    signed_post(client, r, "", &body).await.map(|_| ())
}

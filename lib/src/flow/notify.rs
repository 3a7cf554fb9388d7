//! The notification service, from the laptop: register (a code mailed to you), send a
//! test, read the history, revoke the token; every call after registration signed.

use crate::error::Error;
use crate::notify::{self, Event, HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, Token};
use crate::secrets::{self, Store};
use crate::session::Session;
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

/// What `rv notify` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Register an address (given, from the config, or asked for) at a service (given, from
    /// the config, `RV_SITE_URL`, or rv's site) with the mailed code (given or asked for),
    /// and send a test mail when `test`.
    Setup {
        /// The address.
        email: Option<String>,
        /// The service.
        url: Option<String>,
        /// The mailed code.
        code: Option<String>,
        /// Whether to send a test mail.
        test: bool,
    },
    /// Send a test mail.
    Test,
    /// The latest `limit` events.
    History {
        /// How many.
        limit: u32,
    },
    /// Revoke the token and forget it.
    Off,
}

/// A question for the user: what is asked and the flag that would have answered it; the
/// answer, or why there is none.
pub type Ask = fn(&str, &str) -> Result<String, String>;

/// Does `call` against the service and keeps the secret store in step (a new token and URL
/// stored, or both forgotten): the service's report, which may hold the token (never print
/// it).
pub fn perform(ctx: &Session, call: &Call, ask: Ask) -> Result<serde_json::Value, Error> {
    let (key, mut store) = secrets::open_store(&ctx.state)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::internal)?;
    let client = http_client().map_err(Error::internal)?;
    let report = runtime.block_on(act(call, &ctx.config.notifications, &store, &client, ask))?;
    let changed = match call {
        Call::Setup { .. } => {
            let token = report["token"].as_str().unwrap_or_default();
            let url = report["url"].as_str().unwrap_or_default();
            store
                .set("RV_NOTIFY_URL", url, false)
                .and_then(|()| store.set("RV_NOTIFY_TOKEN", token, true))
                .is_ok()
        }
        Call::Off => store.remove("RV_NOTIFY_TOKEN") | store.remove("RV_NOTIFY_URL"),
        _ => false,
    };
    if changed {
        store.save(&ctx.state, &key)?;
    }
    Ok(report)
}

/// Talks to the service for `call`: the report, or why not.
async fn act(
    call: &Call,
    config: &crate::config::Notifications,
    store: &Store,
    client: &reqwest::Client,
    ask: Ask,
) -> Result<serde_json::Value, Error> {
    let Call::Setup {
        email,
        url,
        code,
        test,
    } = call
    else {
        let registered = registered(store)
            .ok_or_else(|| Error::usage("notifications are not set up: run `rv notify setup`"))?;
        let result = match call {
            Call::Test => send_test(client, &registered)
                .await
                .map(|()| json!({ "test": "sent" })),
            Call::History { limit } => {
                signed_post(client, &registered, "/history", &json!({ "limit": limit })).await
            }
            _ => signed_post(client, &registered, "/off", &json!({})).await,
        };
        return match (result, call) {
            // Off: forget the token even when the service already had (401).
            (Err(e), Call::Off) if e.contains("HTTP 401") => {
                eprintln!("rv notify: warning: {e}; forgetting the token here");
                Ok(json!({ "status": "off", "email": null }))
            }
            (result, _) => result.map_err(Error::cluster),
        };
    };
    let site = url
        .clone()
        .or(config.url.clone())
        .or_else(|| std::env::var("RV_SITE_URL").ok())
        .unwrap_or_else(|| crate::upgrade::SITE.to_owned());
    let email = email
        .clone()
        .or(config.email.clone())
        .map_or_else(|| ask("Email address", "--email"), Ok)
        .map_err(Error::usage)?;
    let report = setup(
        client,
        site.trim_end_matches('/'),
        &email,
        code.as_deref(),
        || ask("Code", "--code"),
        *test,
    )
    .await
    .map_err(Error::cluster)?;
    // A token this one replaces is revoked, so no forgotten key stays valid.
    if let Some(old) = registered(store) {
        if let Err(e) = signed_post(client, &old, "/off", &json!({})).await {
            eprintln!("rv notify: warning: the previous token was not revoked: {e}");
        }
    }
    Ok(report)
}

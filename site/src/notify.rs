//! The notification API: registration by emailed code, signed job events that become
//! emails, the history, and switching off.
//!
//! Every signed request is a [`Signed`] extractor, whose checks run in this order: the
//! per-IP rate limit (429), the headers (401), an active key (401), the signature (401), the
//! timestamp within 10 minutes (401), the per-key rate limit (429), and a signature never
//! seen before (409).
//! Nothing is sent or stored for a refused request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use rv::notify::{self, HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP};

use crate::Site;
use crate::mail;
use crate::store::StoreError;

/// A token bucket per key (IP address or key id): `per_minute` requests at once, refilled
/// evenly over a minute. Buckets idle for a minute are full again and are dropped, so memory
/// is bounded by one minute's distinct callers.
#[derive(Debug)]
pub struct Limiter {
    per_minute: f64,
    buckets: Mutex<Buckets>,
}

#[derive(Debug, Default)]
struct Buckets {
    /// Tokens left and when they were counted, per key.
    by_key: HashMap<String, (f64, f64)>,
    swept: f64,
}

impl Limiter {
    /// At most `per_minute` requests per key and minute.
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute: f64::from(per_minute),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// Counts a request of `key` at `now` (seconds); `false` when it is over the limit.
    pub fn allow(&self, key: &str, now: f64) -> bool {
        let mut b = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now - b.swept > 60.0 {
            b.by_key.retain(|_, (_, at)| now - *at < 60.0);
            b.swept = now;
        }
        let rate = self.per_minute / 60.0;
        let (tokens, at) = b
            .by_key
            .entry(key.to_owned())
            .or_insert((self.per_minute, now));
        *tokens = (*tokens + (now - *at).max(0.0) * rate).min(self.per_minute);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A refusal: a status and a one-line reason, as `{"error": …}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn err(status: StatusCode, why: impl Into<String>) -> ApiError {
    ApiError(status, why.into())
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match e {
            StoreError::TooManyCodes | StoreError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            StoreError::NoCode | StoreError::WrongCode => StatusCode::UNAUTHORIZED,
            StoreError::Sql(_) | StoreError::Random(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

/// Seconds since the epoch, with fractions, for the rate limits.
fn clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The caller's address: the peer, or the last `X-Forwarded-For` hop behind a proxy.
fn client(site: &Site, peer: SocketAddr, headers: &HeaderMap) -> String {
    if site.behind_proxy {
        if let Some(hop) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
        {
            return hop.trim().to_owned();
        }
    }
    peer.ip().to_string()
}

/// The per-IP rate limit every API request passes first.
fn limit_ip(site: &Site, ip: &str) -> Result<(), ApiError> {
    if site.ip_limit.allow(ip, clock()) {
        Ok(())
    } else {
        Err(err(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests from your address",
        ))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A signed request that passed every check (see the module's doc): the key's id, its
/// address and the body that was signed.
pub struct Signed {
    key_id: String,
    email: String,
    body: Bytes,
}

impl FromRequest<Arc<Site>> for Signed {
    type Rejection = ApiError;

    async fn from_request(req: Request, site: &Arc<Site>) -> Result<Self, ApiError> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| err(StatusCode::INTERNAL_SERVER_ERROR, "no peer address"))?;
        let ip = client(site, peer, req.headers());
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, site)
            .await
            .map_err(|e| err(e.status(), e.body_text()))?;
        let (key_id, email) = authenticate(site, &ip, &headers, &body)?;
        Ok(Signed {
            key_id,
            email,
            body,
        })
    }
}

/// The checks of a signed request, in the module doc's order; the key's id and address.
fn authenticate(
    site: &Site,
    ip: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, String), ApiError> {
    let now = notify::now();
    limit_ip(site, ip)?;
    let unsigned = || {
        err(
            StatusCode::UNAUTHORIZED,
            "unsigned: X-Rv-Key, X-Rv-Timestamp and X-Rv-Signature are required",
        )
    };
    let id = header(headers, HEADER_KEY).ok_or_else(unsigned)?;
    let timestamp: i64 = header(headers, HEADER_TIMESTAMP)
        .and_then(|t| t.parse().ok())
        .ok_or_else(unsigned)?;
    let signature = header(headers, HEADER_SIGNATURE).ok_or_else(unsigned)?;
    let forged = || err(StatusCode::UNAUTHORIZED, "bad signature or unknown key");
    if !notify::valid_id(id) {
        return Err(forged());
    }
    let (token, email) = site.store.key(id)?.ok_or_else(forged)?;
    if !token.verify(timestamp, body, signature) {
        return Err(forged());
    }
    if !notify::fresh(timestamp, now) {
        return Err(err(
            StatusCode::UNAUTHORIZED,
            "stale: the timestamp is more than 10 minutes from the server's clock",
        ));
    }
    if !site.key_limit.allow(id, clock()) {
        return Err(err(
            StatusCode::TOO_MANY_REQUESTS,
            "too many events for this key",
        ));
    }
    if !site.store.first_sighting(signature, now)? {
        return Err(err(
            StatusCode::CONFLICT,
            "replayed: this request was already received",
        ));
    }
    Ok((id.to_owned(), email))
}

type Shared = State<Arc<Site>>;
type Peer = ConnectInfo<SocketAddr>;

/// `POST /api/notify/register`: `{"email"}` mails a code; `{"email", "code"}` returns a new
/// token `{"token", "url"}`.
pub async fn register(
    State(site): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    limit_ip(&site, &client(&site, peer, &headers))?;
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| err(StatusCode::BAD_REQUEST, format!("not JSON: {e}")))?;
    let email = v["email"]
        .as_str()
        .filter(|e| e.len() <= 254 && e.parse::<lettre::Address>().is_ok())
        .ok_or_else(|| err(StatusCode::BAD_REQUEST, "email: not an email address"))?
        .to_ascii_lowercase();
    match v["code"].as_str() {
        None => {
            let code = site.store.new_code(&email, notify::now())?;
            site.mailer
                .send(&email, mail::code_mail(&code, &site.public_url))
                .await
                .map_err(|e| err(StatusCode::BAD_GATEWAY, e))?;
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({ "status": "code sent", "email": email })),
            )
                .into_response())
        }
        Some(code) => {
            let token = site.store.confirm(&email, code.trim(), notify::now())?;
            Ok(Json(json!({
                "token": token.expose(),
                "url": format!("{}/api/notify", site.public_url),
                "email": email,
            }))
            .into_response())
        }
    }
}

/// `POST /api/notify`: a signed job event, mailed to the key's address.
pub async fn event(State(site): Shared, caller: Signed) -> Result<Response, ApiError> {
    let event = notify::parse_event(&caller.body)
        .map_err(|e| err(StatusCode::BAD_REQUEST, e.to_string()))?;
    // Stored as read (unknown fields such as a client's nonce dropped), so the history has
    // one shape.
    let stored = serde_json::to_string(&event).unwrap_or_default();
    let n = site.store.record(&caller.key_id, &stored, notify::now())?;
    site.mailer
        .send(&caller.email, mail::event_mail(&event, &site.public_url))
        .await
        .map_err(|e| err(StatusCode::BAD_GATEWAY, e))?;
    site.store.delivered(n)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "sent" }))).into_response())
}

/// `POST /api/notify/history` (signed, `{"limit": N}`): the latest events of the address.
pub async fn history(State(site): Shared, caller: Signed) -> Result<Response, ApiError> {
    let limit = serde_json::from_slice::<serde_json::Value>(&caller.body)
        .ok()
        .and_then(|v| v["limit"].as_u64())
        .unwrap_or(20)
        .min(200);
    let events = site
        .store
        .history(&caller.email, u32::try_from(limit).unwrap_or(200))?;
    Ok(Json(json!({ "email": caller.email, "events": events })).into_response())
}

/// `POST /api/notify/off` (signed): revokes the calling key.
pub async fn off(State(site): Shared, caller: Signed) -> Result<Response, ApiError> {
    site.store.revoke(&caller.key_id, notify::now())?;
    Ok(Json(json!({ "status": "off", "email": caller.email })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_allow_a_burst_then_refill_evenly() {
        let l = Limiter::new(2);
        assert!(l.allow("a", 1000.0));
        assert!(l.allow("a", 1000.1));
        assert!(!l.allow("a", 1000.2), "the burst is spent");
        assert!(l.allow("b", 1000.2), "another key has its own bucket");
        assert!(
            !l.allow("a", 1020.0),
            "a third of a minute refills 2/3 of a request"
        );
        assert!(l.allow("a", 1031.0), "half a minute refills one");
        assert!(!l.allow("a", 1031.5));
        // Idle buckets are dropped at the next sweep.
        assert!(l.allow("c", 1200.0));
        assert_eq!(l.buckets.lock().unwrap().by_key.len(), 1);
    }
}

//! `rv-site`: rv's web service — the landing page, the docs (rendered from `docs/`),
//! `install.sh`, the release version and download API, job-event notifications by email, and
//! a health check.
//!
//! Configuration comes from flags or the environment, each with a default: `--listen`
//! (`RV_SITE_LISTEN`, 127.0.0.1:8080), `--public-url` (`RV_SITE_PUBLIC_URL`, the URL people
//! reach the site at), `--github-api` (`RV_SITE_GITHUB_API`, <https://api.github.com>),
//! `--repo` (`RV_SITE_REPO`, rv-hpc/rv), `--db` (`RV_SITE_DB`, `rv-site.db`: `SQLite`),
//! `--smtp` (`RV_SITE_SMTP`, `smtp://127.0.0.1:25`; put credentials in the variable, not on the
//! command line), `--mail-from` (`RV_SITE_MAIL_FROM`), `--rate-ip` and `--rate-key`
//! (`RV_SITE_RATE_IP` 60, `RV_SITE_RATE_KEY` 30: requests per minute), `--behind-proxy`
//! (take the client's address from `X-Forwarded-For`). `RV_SITE_TOKEN_SECRET` sets the key
//! tokens are derived from (default: one made on first start and kept in the database).
//! On start it prints `listening on http://ADDR`.

mod docs;
mod mail;
mod notify;
mod pages;
mod releases;
mod store;

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use docs::escape;
use pages::page;
use releases::Releases;
use store::Store;

/// The repository's installer, served as is.
const INSTALL_SH: &str = include_str!("../../install.sh");

/// What the handlers share.
#[derive(Debug)]
struct Site {
    public_url: String,
    releases: Releases,
    store: Store,
    mailer: mail::Mailer,
    ip_limit: notify::Limiter,
    key_limit: notify::Limiter,
    behind_proxy: bool,
}

type Shared = State<Arc<Site>>;

/// A flag's value, else the environment's, else `default`.
fn setting(args: &[String], flag: &str, var: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        eprintln!(
            "usage: rv-site [--listen ADDR] [--public-url URL] [--github-api URL] [--repo OWNER/NAME]\n\
             \x20              [--db FILE] [--smtp URL] [--mail-from ADDR] [--rate-ip N] [--rate-key N] [--behind-proxy]"
        );
        return Ok(());
    }
    let listen = setting(&args, "--listen", "RV_SITE_LISTEN", "127.0.0.1:8080");
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let public_url = setting(
        &args,
        "--public-url",
        "RV_SITE_PUBLIC_URL",
        &format!("http://{addr}"),
    );
    let db = setting(&args, "--db", "RV_SITE_DB", "rv-site.db");
    let secret = std::env::var("RV_SITE_TOKEN_SECRET")
        .ok()
        .filter(|v| !v.is_empty());
    let rate = |flag: &str, var: &str, default: &str| -> anyhow::Result<u32> {
        let v = setting(&args, flag, var, default);
        v.parse()
            .with_context(|| format!("{flag}: {v:?} is not a number of requests per minute"))
    };
    let site = Site {
        store: Store::open(std::path::Path::new(&db), secret.as_deref())
            .with_context(|| format!("--db {db}"))?,
        mailer: mail::Mailer::new(
            &setting(&args, "--smtp", "RV_SITE_SMTP", "smtp://127.0.0.1:25"),
            &setting(
                &args,
                "--mail-from",
                "RV_SITE_MAIL_FROM",
                "rv <notifications@rivanna.dev>",
            ),
        )?,
        ip_limit: notify::Limiter::new(rate("--rate-ip", "RV_SITE_RATE_IP", "60")?),
        key_limit: notify::Limiter::new(rate("--rate-key", "RV_SITE_RATE_KEY", "30")?),
        behind_proxy: args.iter().any(|a| a == "--behind-proxy"),
        public_url: public_url.trim_end_matches('/').to_owned(),
        releases: Releases::new(
            &setting(
                &args,
                "--github-api",
                "RV_SITE_GITHUB_API",
                "https://api.github.com",
            ),
            &setting(&args, "--repo", "RV_SITE_REPO", "rv-hpc/rv"),
        )?,
    };
    let app = router(Arc::new(site));
    // The one line on stdout: how a supervisor or a test finds the address.
    {
        use std::io::Write;
        let mut out = std::io::stdout();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}

fn router(site: Arc<Site>) -> Router {
    Router::new()
        .route("/", get(landing))
        .route("/docs", get(docs_index))
        .route("/docs/{page}", get(doc_page))
        .route("/docs/search", get(search))
        .route(
            "/docs/search.json",
            get(|| async { axum::Json(pages::search_index()) }),
        )
        .route(
            "/assets/session.svg",
            get(|| async { svg(pages::SESSION_SVG) }),
        )
        .route(
            "/assets/time-to-gpu.svg",
            get(|| async { svg(pages::CHART_SVG) }),
        )
        .route(
            "/assets/site.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    pages::SCRIPT,
                )
            }),
        )
        .route("/llms.txt", get(llms))
        .route("/install.sh", get(install_sh))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/cli/version", get(version))
        .route("/api/downloads/cli/{version}/{asset}", get(download))
        .route("/api/notify", post(notify::event))
        .route("/api/notify/register", post(notify::register))
        .route("/api/notify/history", post(notify::history))
        .route("/api/notify/off", post(notify::off))
        .fallback(|| async { not_found("no such page") })
        .with_state(site)
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            &format!(
                "<h1>Not found</h1><p>{}. Perhaps one of these:</p>{}<p><a href=\"/\">rv's home page</a></p>",
                escape(what),
                docs_list()
            ),
        ),
    )
        .into_response()
}

/// Every docs page as a list of links with their summaries.
fn docs_list() -> String {
    let mut list = String::from("<ul>");
    for (name, text) in docs::PAGES {
        list.push_str(&format!(
            "<li><a href=\"/docs/{name}\">{}</a> — {}</li>",
            escape(docs::title(text)),
            escape(&docs::summary(text))
        ));
    }
    list.push_str("</ul>");
    list
}

/// An SVG image.
fn svg(body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], body)
}

/// `/docs/search?q=`: the search box without JavaScript.
async fn search(Query(q): Query<std::collections::HashMap<String, String>>) -> Html<String> {
    pages::search_page(q.get("q").map_or("", String::as_str))
}

async fn landing(State(site): Shared) -> Html<String> {
    page(
        "rv: GPUs on a Slurm cluster",
        &pages::landing(&site.public_url),
    )
}

async fn docs_index() -> Html<String> {
    pages::docs_page(
        "rv docs",
        None,
        &format!("<h1>Documentation</h1>{}", docs_list()),
    )
}

async fn doc_page(Path(name): Path<String>) -> Response {
    if let Some(raw) = name.strip_suffix(".md") {
        return match docs::page(raw) {
            Some(text) => (
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                text,
            )
                .into_response(),
            None => not_found("no such page"),
        };
    }
    match docs::page(&name) {
        Some(text) => pages::docs_page(
            &format!("{} — rv", docs::title(text)),
            Some(&name),
            &docs::render(text),
        )
        .into_response(),
        None => not_found("no such page"),
    }
}

async fn llms(State(site): Shared) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        docs::llms_txt(&site.public_url),
    )
}

async fn install_sh() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        INSTALL_SH,
    )
}

async fn version(State(site): Shared) -> Response {
    match site.releases.release(None).await {
        Ok(Some(r)) => match r["tag_name"].as_str().and_then(releases::version_of_tag) {
            Some(v) => axum::Json(serde_json::json!({ "version": v })).into_response(),
            None => (
                StatusCode::BAD_GATEWAY,
                "the latest release has no cli-v tag",
            )
                .into_response(),
        },
        Ok(None) => (StatusCode::NOT_FOUND, "no release yet").into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, format!("GitHub: {e}")).into_response(),
    }
}

async fn download(State(site): Shared, Path((version, asset)): Path<(String, String)>) -> Response {
    if !releases::known_asset(&asset) {
        return not_found("no such asset");
    }
    let wanted = match version.as_str() {
        "latest" => None,
        v if releases::valid_version(v) => Some(v),
        _ => return not_found("no such version"),
    };
    match site.releases.release(wanted).await {
        Ok(Some(r)) => match releases::asset_url(&r, &asset) {
            Some(url) => Redirect::temporary(&url).into_response(),
            None => not_found("that release has no such asset"),
        },
        Ok(None) => not_found("no such version"),
        Err(e) => (StatusCode::BAD_GATEWAY, format!("GitHub: {e}")).into_response(),
    }
}

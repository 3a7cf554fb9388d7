//! Every page of the site in headless Chromium (driven through chromedriver's `WebDriver`
//! API), on a desktop (1280 px) and a phone (390 px): it loads with the right status, logs
//! no console or network error, its links work, every image loads and has alt text, nothing
//! is wider than the window, and its screenshot, saved to disk, is not blank. The docs'
//! search box finds pages as you type.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{Running, fake_github, get, scratch, site};

/// Chromium's flags for a sandbox without a network: no background connections.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A `WebDriver` session in a chromedriver of its own; both end on drop.
struct Browser {
    _driver: Running,
    port: u16,
    session: String,
}

/// What one page showed.
#[derive(Debug)]
struct Visit {
    status: u64,
    links: Vec<String>,
    text: usize,
    errors: Vec<String>,
    screenshot: PathBuf,
    /// Images without alt text, and images that did not load (their sources).
    no_alt: Vec<String>,
    broken: Vec<String>,
    /// How much wider than the window the page is, in CSS pixels.
    overflow: i64,
}

impl Browser {
    fn start() -> Browser {
        let port = rv_testbed::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; scripts/install-deps installs it)");
        let driver = Running(child);
        let t0 = Instant::now();
        while call(port, "GET", "/status", None)["value"]["ready"] != true {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": CHROMIUM_ARGS},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let created = call(port, "POST", "/session", Some(&caps));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Browser {
            _driver: driver,
            port,
            session,
        }
    }

    fn session(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        call(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )["value"]
            .clone()
    }

    /// Sizes the window to `width` × `height` CSS pixels.
    fn resize(&self, width: u32, height: u32) {
        self.session(
            "POST",
            "/window/rect",
            Some(&json!({"width": width, "height": height})),
        );
    }

    /// Runs `script` in the page; what it returns.
    fn run(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            Some(&json!({"args": [], "script": script})),
        )
    }

    /// Loads `url`, reads its status, links, text, images, width and errors, and saves a
    /// screenshot to `shot`.
    fn visit(&self, url: &str, shot: &Path) -> Visit {
        // Drain the log of earlier pages.
        self.session("POST", "/se/log", Some(&json!({"type": "browser"})));
        self.session("POST", "/url", Some(&json!({ "url": url })));
        // Images decode after the load event: wait for them (a broken one settles too).
        self.session(
            "POST",
            "/execute/async",
            Some(&json!({"args": [], "script":
                "const done = arguments[0];\
                 Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(() => done(1))"})),
        );
        let facts = self.run(
            "const n = performance.getEntriesByType('navigation')[0];\
             const imgs = [...document.images];\
             return [n ? n.responseStatus : 0, [...document.links].map(a => a.href), document.body.innerText.length,\
                     imgs.filter(i => !i.alt.trim()).map(i => i.src),\
                     imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),\
                     document.documentElement.scrollWidth - window.innerWidth]",
        );
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|l| l.as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let errors = self
            .session("POST", "/se/log", Some(&json!({"type": "browser"})))
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect();
        let png = base64::engine::general_purpose::STANDARD
            .decode(self.session("GET", "/screenshot", None).as_str().unwrap())
            .unwrap();
        std::fs::write(shot, png).unwrap();
        Visit {
            status: facts[0].as_u64().unwrap_or(0),
            links: facts[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_owned())
                .collect(),
            text: usize::try_from(facts[2].as_u64().unwrap_or(0)).unwrap(),
            errors,
            screenshot: shot.to_owned(),
            no_alt: strings(&facts[3]),
            broken: strings(&facts[4]),
            overflow: facts[5].as_i64().unwrap_or(0),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        call(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

/// One `WebDriver` call over HTTP/1.1 (chromedriver refuses 1.0); the JSON answer.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return Value::Null;
    };
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // chromedriver keeps the connection open: read what Content-Length says.
    let mut raw = Vec::new();
    let mut chunk = vec![0u8; 65536];
    let body = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse::<usize>().ok());
            if length.is_some_and(|n| raw.len() >= end + 4 + n) {
                break raw[end + 4..end + 4 + length.unwrap_or(0)].to_vec();
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return Value::Null,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    };
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

/// The share of a screenshot's pixels that differ from its most common colour.
fn ink(png_path: &Path) -> f64 {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(step).collect();
    let mut counts = std::collections::HashMap::new();
    for p in &pixels {
        *counts.entry(&p[..3]).or_insert(0usize) += 1;
    }
    let background = counts.values().max().copied().unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let share = (pixels.len() - background) as f64 / pixels.len().max(1) as f64;
    share
}

/// What is wrong with a visit, if anything: (status, errors, blank, links).
fn problems(v: &Visit, want_status: u64) -> Vec<String> {
    let mut out = Vec::new();
    if v.status != want_status {
        out.push(format!("status {} (wanted {want_status})", v.status));
    }
    // A page that answers 404 on purpose logs its own status; nothing else may show.
    let own = format!("the server responded with a status of {want_status}");
    out.extend(
        v.errors
            .iter()
            .filter(|e| want_status == 200 || !e.contains(&own))
            .map(|e| format!("console: {e}")),
    );
    out.extend(
        v.no_alt
            .iter()
            .map(|i| format!("image without alt text: {i}")),
    );
    out.extend(v.broken.iter().map(|i| format!("image did not load: {i}")));
    if v.overflow > 0 {
        out.push(format!("{} px wider than the window", v.overflow));
    }
    let ink = ink(&v.screenshot);
    if ink < 0.005 || v.text < 20 {
        out.push(format!(
            "blank: {:.2} % of the screenshot is not background, {} characters of text",
            ink * 100.0,
            v.text
        ));
    }
    out
}

#[test]
fn every_page_renders_in_chromium_without_errors_and_its_links_work() {
    let dir = scratch("browser");
    let (_gh, github) = fake_github(&dir);
    let (_site, addr) = site(&github);
    let browser = Browser::start();
    let mut pages: Vec<(String, u64)> = vec![
        ("/".into(), 200),
        ("/docs".into(), 200),
        ("/docs/no-such-page".into(), 404),
    ];
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    for entry in std::fs::read_dir(&docs).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().replace(".md", "");
        pages.push((format!("/docs/{name}"), 200));
    }
    pages.push(("/docs/search?q=checkpoint".into(), 200));
    let origin = format!("http://{addr}");
    let mut checked = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for ((path, want), (width, height)) in pages
        .iter()
        .flat_map(|p| [(p, (1280, 900)), (p, (390, 844))])
    {
        browser.resize(width, height);
        let name = match path.trim_matches('/') {
            "" => "home".to_owned(),
            p => p.replace(['/', '?', '='], "_"),
        };
        let shot = dir.join(format!("{name}-{width}.png"));
        let visit = browser.visit(&format!("{origin}{path}"), &shot);
        failures.extend(
            problems(&visit, *want)
                .into_iter()
                .map(|p| format!("{path} at {width} px: {p}")),
        );
        for link in &visit.links {
            let Some(local) = link.strip_prefix(&origin) else {
                continue; // GitHub and the like: no network here.
            };
            let local = local.split('#').next().unwrap_or("/").to_owned();
            if checked.insert(local.clone()) {
                let code = get(&addr, if local.is_empty() { "/" } else { &local }).0;
                if !(200..400).contains(&code) {
                    failures.push(format!("{path}: link {local} answers {code}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        checked.contains("/llms.txt") && checked.contains("/docs/getting-started"),
        "links were followed: {checked:?}"
    );
    // The screenshots stay in target/ to look at.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site-screenshots");
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&keep).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "png") {
            std::fs::copy(entry.path(), keep.join(entry.file_name())).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_page_check_sees_console_errors_and_blank_pages() {
    let dir = scratch("browser-self");
    let browser = Browser::start();
    let broken = browser.visit(
        "data:text/html,<h1>Hello there, this has text</h1><script>console.error('boom')</script>",
        &dir.join("broken.png"),
    );
    let found = problems(&broken, 0);
    assert!(found.iter().any(|p| p.contains("boom")), "{found:?}");
    let blank = browser.visit("data:text/html,<html></html>", &dir.join("blank.png"));
    let found = problems(&blank, 0);
    assert!(found.iter().any(|p| p.starts_with("blank")), "{found:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_home_page_shows_its_session_and_chart_and_the_docs_search_finds_as_you_type() {
    let dir = scratch("browser-search");
    let (_gh, github) = fake_github(&dir);
    let (_site, addr) = site(&github);
    let browser = Browser::start();
    let home = browser.visit(&format!("http://{addr}/"), &dir.join("home.png"));
    assert!(
        problems(&home, 200).is_empty(),
        "{:?}",
        problems(&home, 200)
    );
    let shown = browser.run(
        "return [...document.images].filter(i => i.complete && i.naturalWidth > 0).map(i => new URL(i.src).pathname)",
    );
    for want in ["/assets/session.svg", "/assets/time-to-gpu.svg"] {
        assert!(
            shown.as_array().unwrap().iter().any(|s| s == want),
            "{want} shown: {shown}"
        );
    }
    // With JavaScript the copy button shows itself.
    let copy = browser.run("return !document.querySelector('button.copy').hidden");
    assert_eq!(copy, Value::Bool(true));

    let page = browser.visit(
        &format!("http://{addr}/docs/getting-started"),
        &dir.join("docs.png"),
    );
    assert!(
        problems(&page, 200).is_empty(),
        "{:?}",
        problems(&page, 200)
    );
    browser.run(
        "const box = document.getElementById('search');\
         box.value = 'checkpoint';\
         box.dispatchEvent(new Event('input'));",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let found = loop {
        let found = browser.run(
            "return [...document.querySelectorAll('#results a')].map(a => new URL(a.href).pathname)",
        );
        if found.as_array().is_some_and(|f| !f.is_empty()) || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/docs/allocator"),
        "the search for checkpoint lists the allocator page: {found}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

//! `rv-site` as a process: pages, docs, install.sh, the release API against a local server
//! shaped like GitHub's, notifications through a real SMTP server, and every page in headless
//! Chromium.

mod browser;
mod notify;
mod pages;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running process, killed on drop.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address a child printed on its first line (`listening on http://ADDR`, or a port).
pub(crate) fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim().to_owned()
}

/// A GitHub API stand-in: `repos/rv-hpc/rv/releases/{latest,tags/cli-v0.2.0}`.
pub(crate) fn fake_github(dir: &Path) -> (Running, String) {
    let releases = dir.join("repos/rv-hpc/rv/releases");
    std::fs::create_dir_all(releases.join("tags")).unwrap();
    let release = serde_json::json!({
        "tag_name": "cli-v0.2.0",
        "assets": [
            {"name": "rv-linux-x86_64", "browser_download_url": "https://github.com/rv-hpc/rv/releases/download/cli-v0.2.0/rv-linux-x86_64"},
            {"name": "SHA256SUMS", "browser_download_url": "https://github.com/rv-hpc/rv/releases/download/cli-v0.2.0/SHA256SUMS"}
        ]
    });
    std::fs::write(releases.join("latest"), release.to_string()).unwrap();
    std::fs::write(releases.join("tags/cli-v0.2.0"), release.to_string()).unwrap();
    let mut child = Command::new("python3")
        .args(["-c", "import functools, http.server, sys\nh = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\nh.log_message = lambda *a: None\ns = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\nprint(s.server_address[1], flush=True)\ns.serve_forever()"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let port = first_line(&mut child);
    (Running(child), format!("http://127.0.0.1:{port}"))
}

pub(crate) fn site(github: &str) -> (Running, String) {
    site_with(github, Path::new(":memory:"), "smtp://127.0.0.1:9", &[])
}

/// The site with its database at `db`, mailing through `smtp`, with `extra` flags.
pub(crate) fn site_with(github: &str, db: &Path, smtp: &str, extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rv-site"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--github-api",
            github,
            "--public-url",
            "https://rv.example",
            "--smtp",
            smtp,
        ])
        .arg("--db")
        .arg(db)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    let addr = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    (Running(child), addr)
}

/// A GET: status, headers (lower-case names), body.
pub(crate) fn get(addr: &str, path: &str) -> (u16, String, String) {
    request(addr, "GET", path, &[], "")
}

/// A request with `headers` and `body`: status, headers (lower-case names), body.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

pub(crate) fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rv-site-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

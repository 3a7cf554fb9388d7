//! `rv-site` as a process: pages, docs, install.sh, and the release API against a local
//! server shaped like GitHub's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running process, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address a child printed on its first line (`listening on http://ADDR`, or a port).
fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim().to_owned()
}

/// A GitHub API stand-in: `repos/rv-hpc/rv/releases/{latest,tags/cli-v0.2.0}`.
fn fake_github(dir: &Path) -> (Running, String) {
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

fn site(github: &str) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rv-site"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--github-api",
            github,
            "--public-url",
            "https://rv.example",
        ])
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
fn get(addr: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
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

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rv-site-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn pages_docs_and_install_script() {
    let dir = scratch("pages");
    let (_gh, github) = fake_github(&dir);
    let (_site, addr) = site(&github);
    let (code, _, body) = get(&addr, "/");
    assert_eq!(code, 200);
    assert!(
        body.contains("curl -fsSL https://rv.example/install.sh | sh"),
        "{body}"
    );
    assert!(!body.contains("<script"), "no scripts");
    let (code, _, index) = get(&addr, "/docs");
    assert_eq!(code, 200);
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    for entry in std::fs::read_dir(&docs).unwrap().flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".md")
            .to_owned();
        assert!(
            index.contains(&format!("href=\"/docs/{name}\"")),
            "{name} is in the index"
        );
        let (code, _, html) = get(&addr, &format!("/docs/{name}"));
        assert_eq!(code, 200, "{name}");
        assert!(html.contains("<h1>"), "{name} renders");
        let (code, head, raw) = get(&addr, &format!("/docs/{name}.md"));
        assert_eq!(code, 200);
        assert!(head.contains("text/markdown"));
        assert_eq!(
            raw,
            std::fs::read_to_string(entry.path()).unwrap(),
            "{name}.md is the source"
        );
    }
    let (_, _, llms) = get(&addr, "/llms.txt");
    assert!(
        llms.contains("https://rv.example/docs/getting-started.md"),
        "{llms}"
    );
    let (code, head, script) = get(&addr, "/install.sh");
    assert_eq!(code, 200);
    assert!(head.contains("text/plain"));
    let repo_script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../install.sh"))
            .unwrap();
    assert_eq!(script, repo_script);
    assert_eq!(get(&addr, "/healthz").0, 200);
    assert_eq!(get(&addr, "/docs/nope").0, 404);
    assert_eq!(get(&addr, "/docs/..%2Finstall").0, 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn versions_and_downloads_come_from_github() {
    let dir = scratch("releases");
    let (_gh, github) = fake_github(&dir);
    let (_site, addr) = site(&github);
    let (code, _, body) = get(&addr, "/api/cli/version");
    assert_eq!(code, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["version"],
        "0.2.0"
    );
    for path in [
        "/api/downloads/cli/latest/rv-linux-x86_64",
        "/api/downloads/cli/0.2.0/SHA256SUMS",
    ] {
        let (code, head, _) = get(&addr, path);
        assert_eq!(code, 307, "{path}");
        assert!(
            head.contains("location: https://github.com/rv-hpc/rv/releases/download/cli-v0.2.0/"),
            "{head}"
        );
    }
    assert_eq!(
        get(&addr, "/api/downloads/cli/latest/rv-windows-x86_64").0,
        404,
        "unknown platform"
    );
    assert_eq!(
        get(&addr, "/api/downloads/cli/9.9.9/rv-linux-x86_64").0,
        404,
        "unknown version"
    );
    assert_eq!(
        get(&addr, "/api/downloads/cli/0.2.0/rv-macos-aarch64").0,
        404,
        "not in that release"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

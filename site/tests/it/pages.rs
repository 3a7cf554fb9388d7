//! Pages, docs, install.sh and the release API.

use std::path::Path;

use crate::{fake_github, get, scratch, site};

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
    // One script, the site's own, deferred: the pages work without it.
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    assert!(body.contains("<script src=\"/assets/site.js\" defer></script>"));
    for (asset, kind) in [
        ("/assets/site.js", "text/javascript"),
        ("/assets/session.svg", "image/svg+xml"),
        ("/assets/time-to-gpu.svg", "image/svg+xml"),
        ("/docs/search.json", "application/json"),
    ] {
        let (code, head, _) = get(&addr, asset);
        assert_eq!(code, 200, "{asset}");
        assert!(head.contains(kind), "{asset}: {head}");
    }
    // The search box without JavaScript: a page of results.
    let (code, _, found) = get(&addr, "/docs/search?q=checkpoint");
    assert_eq!(code, 200);
    assert!(found.contains("href=\"/docs/allocator\""), "{found}");
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

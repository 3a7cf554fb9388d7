//! `man/` and `completions/` are what the clap definitions generate; regenerate with
//! `RV_BLESS=1 cargo nextest run -p rv-lib manual`.

use std::path::Path;

fn check(dir: &str, files: &[(String, Vec<u8>)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let bless = std::env::var_os("RV_BLESS").is_some();
    if bless {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut stale = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
            stale.push(name.clone());
        }
    }
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    present.retain(|p| !files.iter().any(|(n, _)| n == p));
    assert!(
        stale.is_empty() && present.is_empty(),
        "{} is stale (changed: {stale:?}, not generated: {present:?}); run `RV_BLESS=1 cargo nextest run -p rv-lib manual`",
        dir.display()
    );
}

#[test]
fn man_pages_are_current() {
    check("man", &rv::manual::man_pages());
}

#[test]
fn completions_are_current() {
    check("completions", &rv::cli::completions());
}

#[test]
fn man_pages_render_and_document_exit_codes() {
    let pages = rv::manual::man_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "rv.1",
        "rv-up.1",
        "rv-probe.1",
        "rv-plan.1",
        "rv-submit.1",
        "rv-watch.1",
        "rv-attach.1",
        "rv-sync.1",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for (name, page) in &pages {
        let text = String::from_utf8_lossy(page);
        assert!(
            text.contains("ENVIRONMENT") && text.contains("RV_SSH_HOST"),
            "{name}"
        );
        if [
            "rv-up.1",
            "rv-probe.1",
            "rv-plan.1",
            "rv-submit.1",
            "rv-watch.1",
            "rv-attach.1",
        ]
        .contains(&name.as_str())
        {
            assert!(
                text.contains("Exit codes"),
                "{name} documents its exit codes"
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("rv-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("rv-up.1");
    std::fs::write(
        &page,
        &pages.iter().find(|(n, _)| n == "rv-up.1").unwrap().1,
    )
    .unwrap();
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .expect("man is installed (scripts/install-deps)");
    // Without a terminal, man overstrikes bold text (`N\x08N`): keep the last of each pair.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\x08' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(
        out.status.success() && text.contains("--dry-run") && text.contains("NAME"),
        "{text}"
    );
}

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
    check("completions", &rv::manual::completions());
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

#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions/rv.bash");
    let script = format!(
        "source {}; COMP_WORDS=(rv u); COMP_CWORD=1; _rv rv u rv; echo \"${{COMPREPLY[*]}}\"; \
         COMP_WORDS=(rv up --dr); COMP_CWORD=2; _rv rv --dr up; echo \"${{COMPREPLY[*]}}\"",
        file.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.split(' ').any(|w| w == "up")),
        "{text}"
    );
    assert!(
        lines.get(1).is_some_and(|l| l.contains("--dry-run")),
        "{text}"
    );
}

/// Types `keys` (each after a pause) into an interactive zsh on a pseudo-terminal that loads
/// rv's completions; returns the screen text without escape sequences.
fn zsh_session(keys: &[&str]) -> String {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("rv-zsh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let completions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    std::fs::write(
        dir.join(".zshrc"),
        format!(
            "fpath=({} $fpath)\nautoload -U compinit && compinit -u -d {}/.zcompdump\nPS1='> '\n",
            completions.display(),
            dir.display()
        ),
    )
    .unwrap();
    let mut term = std::process::Command::new("script")
        .args(["-qfec", "stty rows 40 cols 120; zsh -i", "/dev/null"])
        .env("ZDOTDIR", &dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) and zsh are installed (scripts/install-deps)");
    let mut input = term.stdin.take().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for k in keys {
        input.write_all(k.as_bytes()).unwrap();
        input.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1200));
    }
    input.write_all(b"\x03exit\r").unwrap();
    drop(input);
    let out = term.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let raw = String::from_utf8_lossy(&out.stdout);
    // Drop CSI sequences (colours, cursor moves).
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            text.push(c);
        }
    }
    text
}

#[test]
fn zsh_completion_in_a_terminal_lists_subcommands_and_completes_flags() {
    let screen = zsh_session(&["rv st\t\t", "\x03", "rv status --js\t"]);
    assert!(
        screen.contains("status  -- Connection, balance"),
        "{screen}"
    );
    assert!(screen.contains("stop    -- Cancel a job"), "{screen}");
    assert!(screen.contains("rv status --json"), "{screen}");
}

//! Shell completions: the scripts in `completions/` ask `rv` itself at each <Tab>; bash and
//! zsh complete subcommands and flags, and job arguments complete from recent requests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::RV;
use rv::records::{Request, Submission};
use rv::submit::Recorded;

fn completions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions")
}

/// `PATH` with the built `rv` first, as an installed rv would be.
fn path() -> String {
    format!(
        "{}:{}",
        Path::new(RV).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A state directory holding one recorded request with two jobs.
fn state_with_a_request(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rv-compl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let request: Request = serde_json::from_value(serde_json::json!({
        "id": "r-1795887680-7f3a", "name": "train", "gpus": 1, "gpu_type": null,
        "vram_gb": null, "time": 3600, "nodes": null, "cpus": null, "mem_mb": null,
        "partitions": [], "account": null, "constraint": null, "exclude": [],
        "command": null, "ray": false
    }))
    .unwrap();
    let submission = |strategy: &str, job_id| Submission {
        request: request.id.clone(),
        strategy: strategy.into(),
        job_id: Some(job_id),
        error: None,
    };
    let recorded = Recorded {
        host: "rv-cluster".into(),
        request: request.clone(),
        strategies: vec![],
        scratch: "/scratch/rvtest".into(),
        submissions: vec![submission("s1", 9_531_337), submission("s2", 9_531_338)],
        lease: None,
    };
    let state = rv::state::StateDir::open(&dir).unwrap();
    recorded.save(&state).unwrap();
    dir
}

#[test]
fn bash_completes_subcommands_flags_and_recent_jobs() {
    let state = state_with_a_request("bash");
    let script = format!(
        "source {}/rv.bash
complete_words() {{ COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_TYPE=9; _clap_complete_rv rv \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; echo \"${{COMPREPLY[*]}}\"; }}
complete_words rv st
complete_words rv up --dr
complete_words rv stop ''
complete_words rv logs ''",
        completions_dir().display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("PATH", path())
        .env("RV_STATE_DIR", &state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        lines[0].contains("status") && lines[0].contains("stop"),
        "{text}"
    );
    assert!(lines[1].contains("--dry-run"), "{text}");
    for want in ["9531337", "9531338", "r-1795887680-7f3a", "train"] {
        assert!(lines[2].contains(want), "stop completes {want}: {text}");
    }
    assert!(
        lines[3].contains("9531337") && !lines[3].contains("train"),
        "rv logs takes ids only: {text}"
    );
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn zsh_completes_on_a_terminal() {
    let state = state_with_a_request("zsh");
    let dir = state.join("zdot");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".zshrc"),
        format!(
            "fpath=({} $fpath)\nautoload -U compinit && compinit -u -d {}/.zcompdump\nPS1='> '\n",
            completions_dir().display(),
            dir.display()
        ),
    )
    .unwrap();
    let screen = on_a_terminal(
        "zsh -i",
        &[
            ("ZDOTDIR", dir.as_os_str()),
            ("RV_STATE_DIR", state.as_os_str()),
        ],
        &[
            "",
            "rv st\t\t",
            "\x03",
            "rv status --js\t",
            "\x03",
            "rv gpu 95313\t\t",
        ],
    );
    assert!(
        screen.contains("status") && screen.contains("Connection, balance"),
        "{screen}"
    );
    assert!(
        screen.contains("stop") && screen.contains("Cancel a job"),
        "{screen}"
    );
    assert!(screen.contains("rv status --json"), "{screen}");
    assert!(
        screen.contains("9531337") && screen.contains("9531338"),
        "{screen}"
    );
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn bash_completes_on_a_terminal() {
    let state = state_with_a_request("bash-pty");
    let rc = state.join("bashrc");
    std::fs::write(
        &rc,
        format!(
            "source {}/rv.bash\nbind 'set show-all-if-ambiguous on'\nPS1='> '\n",
            completions_dir().display()
        ),
    )
    .unwrap();
    let screen = on_a_terminal(
        &format!("bash --noprofile --rcfile {} -i", rc.display()),
        &[("RV_STATE_DIR", state.as_os_str())],
        &[
            "",
            "rv st\t",
            "\x03",
            "rv up --dry\t",
            "\x03",
            "rv stop 953\t",
        ],
    );
    assert!(
        screen.contains("status") && screen.contains("stop"),
        "{screen}"
    );
    assert!(screen.contains("rv up --dry-run"), "{screen}");
    assert!(
        screen.contains("9531337") && screen.contains("9531338"),
        "{screen}"
    );
    std::fs::remove_dir_all(&state).unwrap();
}

/// Runs `shell` on a pseudo-terminal (`script`) with the built `rv` first on `PATH` and
/// `env`, types `keys` one after another with a pause, and returns the screen's text.
fn on_a_terminal(shell: &str, env: &[(&str, &std::ffi::OsStr)], keys: &[&str]) -> String {
    let mut term = Command::new("script")
        .args([
            "-qfec",
            &format!("stty rows 40 cols 120; {shell}"),
            "/dev/null",
        ])
        .env("PATH", path())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script(1), bash and zsh are installed (scripts/install-deps)");
    let mut input = term.stdin.take().unwrap();
    for k in keys {
        input.write_all(k.as_bytes()).unwrap();
        input.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1200));
    }
    input.write_all(b"\x03exit\r").unwrap();
    drop(input);
    let out = term.wait_with_output().unwrap();
    strip_escapes(&String::from_utf8_lossy(&out.stdout))
}

/// The screen text without CSI sequences (colours, cursor moves).
fn strip_escapes(raw: &str) -> String {
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

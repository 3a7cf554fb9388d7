//! `rv notify` against the real site (`rv-site`) and a real SMTP server on loopback, and
//! jobs on the testbed whose events arrive as mail.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rv_testbed::Testbed;
use rv_testbed::mail::SmtpSink;

use crate::env::files;
use crate::segments::{submit_with_env, unique};
use crate::support::{RV, assert_documented, assert_ok, poll};

/// `rv-site`, built beside the tools by the workspace build.
fn site_binary() -> PathBuf {
    let path = Path::new(RV).with_file_name("rv-site");
    assert!(
        path.exists(),
        "{} is missing: build the workspace (cargo build --workspace)",
        path.display()
    );
    path
}

/// The site on a free loopback port, mailing through `smtp`; killed on drop.
struct Site(Child, String);

impl Site {
    fn start(dir: &Path, smtp: &str) -> Site {
        let mut child = Command::new(site_binary())
            .args(["--listen", "127.0.0.1:0", "--smtp", smtp, "--db"])
            .arg(dir.join("site.db"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().trim_start_matches("listening on ").to_owned();
        Site(child, url)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rv-notify-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Waits for a mail whose subject contains `needle`.
fn mail_with(smtp: &SmtpSink, needle: &str) -> Vec<String> {
    let subjects = poll(
        Duration::from_secs(180),
        Duration::from_millis(500),
        || smtp.subjects(),
        |s| s.iter().any(|x| x.contains(needle)),
    );
    assert!(
        subjects.iter().any(|x| x.contains(needle)),
        "no mail with {needle:?}: {subjects:?}"
    );
    subjects
}

/// Whether `text` holds a token's secret: a run of 64 hex digits.
fn holds_a_secret(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .any(|run| run.len() >= 64)
}

/// `rv notify setup` (`rv` with its environment) with the code from the mail typed on
/// stdin; checks its JSON and the test mail.
fn setup(mut rv: Command, smtp: &SmtpSink, url: &str) {
    let codes = smtp.subjects().len();
    // The code arrives by mail and is typed on stdin.
    let mut setup = rv
        .args(["notify", "setup", "--email", "ada@example.org", "--url"])
        .arg(url)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let subjects = poll(
        Duration::from_secs(60),
        Duration::from_millis(200),
        || smtp.subjects(),
        |s| s.len() > codes,
    );
    let code = subjects[codes]
        .rsplit(' ')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    setup
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{code}\n").as_bytes())
        .unwrap();
    let out = setup.wait_with_output().unwrap();
    assert_ok(&out);
    let v = assert_documented("rv notify setup --json", &out.stdout);
    assert_eq!(v["email"], "ada@example.org");
    assert_eq!(v["test"], "sent");
    assert!(v.get("token").is_none(), "no token in JSON: {v}");
    mail_with(smtp, "test notification");
}

#[test]
fn scenario_idle_notify_setup_then_jobs_mail_their_events() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let dir = scratch("jobs");
    let smtp = SmtpSink::start(&dir);
    let site = Site::start(&dir, &smtp.url);
    // The jobs post their events to the site from the cluster.
    let port = site.1.rsplit(':').next().unwrap().parse().unwrap();
    let _reachable = tb.expose(port);
    let state = tb.control_dir("notify");
    let jobs = tb.jobs();

    setup(tb.rv(RV, &state), &smtp, &site.1);

    // The token is kept encrypted: masked in `rv env list`, nowhere in plain text.
    let list = tb
        .rv(RV, &state)
        .args(["env", "list", "--json"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains(&format!("{}/api/notify", site.1)),
        "{listed}"
    );
    assert!(listed.contains("RV_NOTIFY_TOKEN") && !listed.contains("rvt_"));
    for f in files(&state) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("rvt_"),
            "{} holds the token",
            f.display()
        );
    }

    // Jobs mail their events: STARTED and COMPLETED, FAILED, TIMEOUT at the time limit.
    let cases = [
        (Some("true"), 600, "COMPLETED"),
        (Some("exit 3"), 600, "FAILED"),
        (None, 60, "TIMEOUT"),
    ];
    for (command, limit, end) in cases {
        let id = unique("notify");
        let job = submit_with_env(&tb, &state, &id, command, limit, limit, &[]);
        jobs.track(&job.to_string());
        mail_with(&smtp, &format!("{job}: STARTED"));
        mail_with(&smtp, &format!("{job}: {end}"));
        let script = tb
            .ssh(&format!("cat /scratch/rvtest/.rv/requests/{id}/s1.sh"))
            .expect_ok("script");
        assert!(!holds_a_secret(&script), "the token is never in the script");
    }
    // A checkpoint segment that runs out of time: RESUBMITTED, then the next segment (cancelled).
    let id = unique("notify");
    let first = submit_with_env(&tb, &state, &id, Some("sleep 1000"), 60, 120, &[]);
    jobs.track(&first.to_string());
    mail_with(&smtp, &format!("{first}: RESUBMITTED"));
    tb.ssh(&format!(
        "scancel -u rvtest -n it-chain-{}-s1",
        id.rsplit('-').next().unwrap()
    ));
    let body = smtp
        .decoded()
        .into_iter()
        .find(|m| m.contains(": FAILED"))
        .unwrap();
    assert!(body.contains("exit code 3"), "{body}");

    // History, then off.
    let history = tb
        .rv(RV, &state)
        .args(["notify", "history", "--json", "-n", "50"])
        .output()
        .unwrap();
    assert_ok(&history);
    let v = assert_documented("rv notify history --json", &history.stdout);
    let events: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"]["event"].as_str())
        .collect();
    for e in [
        "TEST",
        "STARTED",
        "COMPLETED",
        "FAILED",
        "TIMEOUT",
        "RESUBMITTED",
    ] {
        assert!(events.contains(&e), "{e} in {events:?}");
    }
    let off = tb.rv(RV, &state).args(["notify", "off"]).output().unwrap();
    assert_ok(&off);
    let list = tb.rv(RV, &state).args(["env", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains("RV_NOTIFY"));
    let test = tb.rv(RV, &state).args(["notify", "test"]).output().unwrap();
    assert_eq!(test.status.code(), Some(2), "not set up any more");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn notify_errors_are_one_line_with_documented_codes() {
    let dir = scratch("errors");
    let rv = |args: &[&str]| {
        Command::new(RV)
            .args(args)
            .env("RV_STATE_DIR", dir.join("state"))
            .env("RV_KEY_FILE", dir.join("key"))
            .env("RV_CONFIG", "/dev/null")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = rv(&["notify", "test"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rv notify setup"), "{err}");
    // A service that is not there: exit 1, one line, nothing stored.
    let out = rv(&[
        "notify",
        "setup",
        "--email",
        "a@example.org",
        "--url",
        "http://127.0.0.1:9",
        "--code",
        "123456",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    let out = rv(&["env", "list", "--json"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("RV_NOTIFY"));
    // No address and nothing on stdin.
    let out = rv(&["notify", "setup", "--url", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn setting_up_again_revokes_the_previous_token() {
    let dir = scratch("again");
    let smtp = SmtpSink::start(&dir);
    let site = Site::start(&dir, &smtp.url);
    let rv = || {
        let mut c = Command::new(RV);
        c.env("RV_STATE_DIR", dir.join("state"))
            .env("RV_KEY_FILE", dir.join("key"))
            .env("RV_CONFIG", "/dev/null")
            .env_remove("RUST_BACKTRACE");
        c
    };
    setup(rv(), &smtp, &site.1);
    setup(rv(), &smtp, &site.1);
    // The site's own table: two keys, the first revoked.
    let keys = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; print([r[0] is None for r in sqlite3.connect(sys.argv[1]).execute('SELECT revoked FROM keys ORDER BY created, rowid')])",
        ])
        .arg(dir.join("site.db"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&keys.stdout).trim(),
        "[False, True]"
    );
    let test = rv().args(["notify", "test"]).output().unwrap();
    assert_ok(&test);
    let _ = std::fs::remove_dir_all(dir);
}

//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use rv::records::{Allocation, Line, Record, read_line};
use rv_testbed::Testbed;

pub use rv_testbed::poll;

/// The binaries under test.
pub const RV: &str = env!("CARGO_BIN_EXE_rv");
/// `rv-attach`.
pub const RV_ATTACH: &str = env!("CARGO_BIN_EXE_rv-attach");
/// `rv-plan`.
pub const RV_PLAN: &str = env!("CARGO_BIN_EXE_rv-plan");
/// `rv-probe`.
pub const RV_PROBE: &str = env!("CARGO_BIN_EXE_rv-probe");
/// `rv-submit`.
pub const RV_SUBMIT: &str = env!("CARGO_BIN_EXE_rv-submit");
/// `rv-sync`.
pub const RV_SYNC: &str = env!("CARGO_BIN_EXE_rv-sync");
/// `rv-watch`.
pub const RV_WATCH: &str = env!("CARGO_BIN_EXE_rv-watch");

/// The records a stage printed; every line must be one.
pub fn records(stdout: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(stdout)
        .lines()
        .enumerate()
        .map(|(i, l)| match read_line(i + 1, l) {
            Ok(Line::Record(env)) => env.record,
            other => panic!("line {}: {other:?}: {l}", i + 1),
        })
        .collect()
}

/// The last `allocation` record a stage printed.
pub fn allocation(stdout: &[u8]) -> Allocation {
    records(stdout)
        .into_iter()
        .rev()
        .find_map(|r| match r {
            Record::Allocation(a) => Some(a),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no allocation in {}", String::from_utf8_lossy(stdout)))
}

/// The port a server child printed as its first line.
pub fn port(child: &mut Child) -> u16 {
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    line.trim()
        .parse()
        .unwrap_or_else(|_| panic!("no port: {line:?}"))
}

/// Reads a child's NDJSON records until `stop` says so (or its stdout ends); returns them.
pub fn read_until(child: &mut Child, stop: impl Fn(&Record) -> bool) -> Vec<Record> {
    use std::io::BufRead;
    let mut out = Vec::new();
    let reader = std::io::BufReader::new(child.stdout.take().expect("stdout piped"));
    for (i, line) in reader.lines().enumerate() {
        let Ok(line) = line else { break };
        if let Ok(Line::Record(env)) = read_line(i + 1, &line) {
            let done = stop(&env.record);
            out.push(env.record);
            if done {
                break;
            }
        }
    }
    out
}

/// The id of the request the records carry.
pub fn request_id(records: &[Record]) -> String {
    records
        .iter()
        .find_map(|r| match r {
            Record::Request(r) => Some(r.id.clone()),
            _ => None,
        })
        .expect("the request passed through")
}

/// The ids of the jobs `submission` records say were submitted.
pub fn submitted_ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Submission(s) => s.job_id.map(|j| j.to_string()),
            _ => None,
        })
        .collect()
}

/// The example under the `## <heading>` of `docs/json.md`.
pub fn documented(heading: &str) -> serde_json::Value {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/json.md")).unwrap();
    let title = format!("## `{heading}`");
    let after = doc
        .split_once(&title)
        .unwrap_or_else(|| panic!("docs/json.md has no {title}"))
        .1;
    let block = after
        .split_once("```json\n")
        .unwrap()
        .1
        .split_once("\n```")
        .unwrap()
        .0;
    serde_json::from_str(block).unwrap_or_else(|e| panic!("{title}: {e}"))
}

/// Where `got` differs in shape from `doc`: other keys, or another kind of value (`null`
/// in `doc` matches anything; a list's first element stands for all).
pub fn shape_diff(doc: &serde_json::Value, got: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value as V;
    match (doc, got) {
        // `null` in the example: anything; `null` in the output: a value that may be missing.
        (V::Null, _)
        | (_, V::Null)
        | (V::Bool(_), V::Bool(_))
        | (V::Number(_), V::Number(_))
        | (V::String(_), V::String(_)) => None,
        (V::Array(d), V::Array(g)) => match (d.first(), g.first()) {
            (Some(d), Some(_)) => g.iter().find_map(|g| shape_diff(d, g, &format!("{at}[]"))),
            _ => None,
        },
        (V::Object(d), V::Object(g)) => {
            let mut dk: Vec<&String> = d.keys().collect();
            let mut gk: Vec<&String> = g.keys().collect();
            dk.sort();
            gk.sort();
            if dk != gk {
                return Some(format!("{at}: keys {gk:?}, documented {dk:?}"));
            }
            d.iter()
                .find_map(|(k, v)| shape_diff(v, &g[k], &format!("{at}.{k}")))
        }
        _ => Some(format!("{at}: {got} is not like {doc}")),
    }
}

/// Asserts that `stdout` is one JSON value shaped as `docs/json.md` documents `heading`.
pub fn assert_documented(heading: &str, stdout: &[u8]) -> serde_json::Value {
    let got: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "{heading}: not JSON ({e}): {}",
            String::from_utf8_lossy(stdout)
        )
    });
    if let Some(diff) = shape_diff(&documented(heading), &got, heading) {
        panic!("{diff}\n{got}");
    }
    got
}

/// Asserts that a process succeeded, showing its stderr when it did not.
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh laptop for `rv init`, named by `tag`: a directory with an empty home, and an ssh
/// config of the user's own that trusts the testbed's host key (returned with its text).
pub fn init_sandbox(tb: &Testbed, tag: &str) -> (PathBuf, PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("rv-init-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let ssh_config = dir.join("ssh_config");
    let mine = format!(
        "Host *\n    UserKnownHostsFile {}\n    StrictHostKeyChecking no\n",
        tb.key.with_file_name("known_hosts").display()
    );
    std::fs::write(&ssh_config, &mine).unwrap();
    (dir, ssh_config, mine)
}

/// `rv init -y --json` as the testbed's user, from the sandbox `dir` of [`init_sandbox`].
pub fn rv_init(tb: &Testbed, dir: &Path, ssh_config: &Path) -> Output {
    Command::new(RV)
        .args([
            "init",
            "--host",
            "127.0.0.1",
            "--port",
            &tb.port.to_string(),
        ])
        .args(["--user", &tb.user, "-y", "--json"])
        .arg("--identity")
        .arg(&tb.key)
        .arg("--ssh-config")
        .arg(ssh_config)
        .env("HOME", dir.join("home"))
        .env("RV_STATE_DIR", dir.join("state"))
        .env("RV_CONFIG", dir.join("config.toml"))
        .env("RV_KEY_FILE", dir.join("key"))
        .env_remove("RV_SSH_HOST")
        .env_remove("RV_SSH_CONFIG")
        .env_remove("RV_SSH_PORT")
        .env_remove("RV_SSH_USER")
        .env_remove("RV_SSH_KEY")
        .output()
        .unwrap()
}

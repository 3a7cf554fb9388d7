//! A corpus of malformed input: flags, durations, NDJSON lines, config files and the
//! environment through the tools, and garbage Slurm output through the parsers. Every case
//! must end in a clear error (exit 1 or 2, an `error` line on stderr) and never a panic.

use std::io::Write;
use std::process::Stdio;

use crate::{Bench, Table};

/// One case run through a tool.
struct Case {
    kind: &'static str,
    program: &'static str,
    args: Vec<String>,
    stdin: Option<String>,
    env: Vec<(&'static str, String)>,
}

fn case(kind: &'static str, program: &'static str, args: &[&str]) -> Case {
    Case {
        kind,
        program,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        stdin: None,
        env: Vec::new(),
    }
}

fn corpus(config_dir: &std::path::Path) -> Vec<Case> {
    let mut out = Vec::new();
    let durations = [
        "soon", "-1h", "25:99", "1d-2h", "", "1e9h", "∞", "2:60:00", "abc123", "1h2h",
    ];
    for d in durations {
        for (program, flag, pre) in [
            ("rv", "--time", vec!["up", "--dry-run"]),
            ("rv", "--time", vec!["run"]),
            ("rv", "--time", vec!["cost"]),
            ("rv", "--timeout", vec!["exec"]),
            ("rv-plan", "--time", vec![]),
        ] {
            let mut args: Vec<&str> = pre.clone();
            args.extend([flag, d]);
            if pre.first() == Some(&"run") || pre.first() == Some(&"exec") {
                args.push("true");
            }
            out.push(case("duration", program, &args));
        }
    }
    for l in ["0", "-5m", "soon", "30s", "", "0m"] {
        out.push(case("lease", "rv", &["up", "--dry-run", "--lease", l]));
        out.push(case("lease", "rv-submit", &["--lease", l]));
    }
    for g in ["-1", "x", "99999999999", "1.5", ""] {
        for pre in [vec!["up", "--dry-run"], vec!["cost"], vec!["run"]] {
            let mut args = pre.clone();
            args.extend(["--gpu", g]);
            if pre[0] == "run" {
                args.push("true");
            }
            out.push(case("number", "rv", &args));
        }
        out.push(case("number", "rv-plan", &["--gpu", g]));
    }
    // (Not `rv exec`: what follows it is the remote command's.)
    for flag in ["--gpus", "--tim", "-Z", "--json=maybe"] {
        for pre in [
            vec!["status"],
            vec!["ps"],
            vec!["up"],
            vec!["logs"],
            vec!["stop", "1"],
            vec!["cost"],
            vec!["env", "list"],
            vec!["run"],
            vec!["exec"],
            vec!["gpu"],
            vec!["ssh"],
            vec!["forward"],
            vec!["init"],
            vec!["upgrade"],
            vec!["sync", "push"],
            vec!["attach"],
        ] {
            let mut args = pre.clone();
            args.push(flag);
            out.push(case("flag", "rv", &args));
        }
    }
    out.extend(ndjson_and_config(config_dir));
    out
}

/// NDJSON lines, config files and environment values.
fn ndjson_and_config(config_dir: &std::path::Path) -> Vec<Case> {
    let mut out = Vec::new();
    let lines = [
        "{",
        "[]",
        "null",
        "{\"type\":\"cluster\"}",
        "{\"v\":99,\"type\":\"request\"}",
        "garbage",
        "{\"type\":\"strategy\",\"v\":1,\"id\":7}",
        "\u{1}\u{2}",
        "{\"v\":1}",
        "{\"v\":1,\"type\":\"allocation\",\"job_id\":\"x\"}",
    ];
    for l in lines {
        for program in ["rv-plan", "rv-submit", "rv-watch", "rv-attach"] {
            let mut c = case("ndjson", program, &[]);
            c.stdin = Some(format!("{l}\n"));
            out.push(c);
        }
    }
    let configs = [
        "[connection",
        "connection = 3",
        "[connection]\nport = \"x\"",
        "[defaults]\ntime = \"soon\"",
        "[unknown]\na = 1",
        "\u{0}\u{1}",
        "[connection]\nport = 99999",
        "[defaults]\naccount = 7",
        "[defaults]\nlease = \"-5m\"",
    ];
    for (i, text) in configs.iter().enumerate() {
        let path = config_dir.join(format!("config-{i}.toml"));
        std::fs::write(&path, text).expect("temp dir");
        for args in [vec!["status"], vec!["ps"], vec!["up", "--dry-run"]] {
            let mut c = case("config", "rv", &args);
            c.env.push(("RV_CONFIG", path.display().to_string()));
            out.push(c);
        }
    }
    for (var, value) in [
        ("RV_TIME", "soon"),
        ("RV_LEASE", "0"),
        ("RV_SSH_PORT", "abc"),
        ("RV_SSH_PORT", "0"),
        ("RV_PROFILE", "nowhere"),
        ("RV_CONFIG", "/nonexistent/config.toml"),
    ] {
        for args in [vec!["up", "--dry-run"], vec!["status"]] {
            let mut c = case("environment", "rv", &args);
            c.env.push((var, value.to_owned()));
            out.push(c);
        }
    }
    out
}

/// Garbage for every parser: truncations of a real line, bytes, separators. Returns the
/// number of inputs tried; panics are caught and counted by the caller.
fn parser_inputs() -> Vec<String> {
    let real = [
        "9531337|gpu-a6000|abs6bd|meng-lab|RUNNING|1:23:00|3:00:00|1|8|gres:gpu:a6000:4|1795887700|1795898500|1795887600|12345|None|udc-an38-9|0|train",
        "NodeName=udc-an38-9 Arch=x86_64 CoresPerSocket=16 Gres=gpu:a6000:8(S:0-1) NodeAddr=udc-an38-9",
        "Storage Type       Location                      Size       Used      Avail  Use%",
    ];
    let mut out = Vec::new();
    for r in real {
        for cut in [0, 1, 5, 17, r.len() / 2, r.len() - 1] {
            out.push(r[..cut.min(r.len())].to_owned());
        }
        out.push(r.replace('|', "||"));
        out.push(r.replace(' ', "\t"));
    }
    out.extend([
        "\u{0}\u{ff}".to_owned(),
        "|||||".to_owned(),
        "-".repeat(300),
        "[[[[".to_owned(),
    ]);
    out
}

/// Runs every parser over `input`; whether none panicked.
fn parsers_survive(input: &str) -> bool {
    use rv::slurm::parse::{sacct, scontrol, sinfo, squeue, sshare};
    let clock = rv::slurm::time::Clock {
        now: 0,
        utc_offset: 0,
    };
    std::panic::catch_unwind(|| {
        let _ = squeue::parse_jobs(input, squeue::FIELDS, squeue::SEPARATOR, &clock);
        let _ = sinfo::parse_nodes(input, sinfo::FIELDS, sinfo::SEPARATOR);
        let _ = sacct::parse_records(input, &clock);
        let _ = scontrol::parse_jobs(input, &clock);
        let _ = scontrol::parse_partitions(input);
        let _ = scontrol::parse_reservations(input, &clock);
        let _ = sshare::parse_shares(input);
        let _ = rv::slurm::parse::sbatch::parse_job_id(input);
        let _ = rv::site_tools::parse_hdquota(input);
        let _ = rv::site_tools::parse_allocations(input);
        let _ = rv::slurm::hostlist::expand(input);
        let _ = rv::slurm::time::Walltime::from_user(input);
    })
    .is_ok()
}

/// Runs the section; an error if any case panicked or failed unclearly.
pub fn run(b: &Bench) -> anyhow::Result<(Table, Vec<String>)> {
    let state = b.tb.control_dir("bench-bad-input");
    let dir = std::env::temp_dir().join(format!("rv-bench-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cases = corpus(&dir);
    let mut kinds: Vec<(&str, usize, usize)> = Vec::new();
    let mut failures = Vec::new();
    for c in &cases {
        let mut cmd = b.rv(c.program, &state);
        cmd.args(&c.args)
            .envs(c.env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(&dir)
            .stdin(if c.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        if let Some(text) = &c.stdin {
            let _ = child
                .stdin
                .take()
                .expect("piped")
                .write_all(text.as_bytes());
        }
        let out = child.wait_with_output()?;
        let err = String::from_utf8_lossy(&out.stderr);
        let clear = matches!(out.status.code(), Some(1 | 2))
            && err
                .lines()
                .any(|l| l.starts_with("error:") || l.contains(": error: "))
            && !err.contains("panicked");
        if !clear {
            failures.push(format!(
                "{} {:?} {:?}: exit {:?}: {}",
                c.program,
                c.args,
                c.env,
                out.status.code(),
                err.trim()
            ));
        }
        match kinds.iter_mut().find(|k| k.0 == c.kind) {
            Some(k) => {
                k.1 += 1;
                k.2 += usize::from(clear);
            }
            None => kinds.push((c.kind, 1, usize::from(clear))),
        }
    }
    let inputs = parser_inputs();
    let survived = inputs.iter().filter(|i| parsers_survive(i)).count();
    if survived != inputs.len() {
        failures.push(format!(
            "{} of {} garbage inputs made a parser panic",
            inputs.len() - survived,
            inputs.len()
        ));
    }
    let mut rows: Vec<Vec<String>> = kinds
        .iter()
        .map(|(k, n, ok)| vec![(*k).to_owned(), n.to_string(), ok.to_string()])
        .collect();
    rows.push(vec![
        "Slurm and site-tool output (12 parsers each)".into(),
        inputs.len().to_string(),
        survived.to_string(),
    ]);
    let total: usize = kinds.iter().map(|k| k.1).sum::<usize>() + inputs.len();
    let _ = std::fs::remove_dir_all(&dir);
    Ok((
        Table {
            title: format!("Bad input ({total} cases)"),
            how: "Each case runs the real binary (or, for Slurm output, every parser in-process): it must exit 1 or 2 with an `error` line on stderr and no panic.".into(),
            columns: vec!["input".into(), "cases".into(), "clear error, no panic".into()],
            rows,
        },
        failures,
    ))
}

//! `rv run` and `rv logs` on the testbed: code from a snapshot, dependencies in a uv venv,
//! the job's output followed to its exit code, a hardware error retried elsewhere.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::RV;
use rv_testbed::{ControlDir, Testbed};

/// A project with a local wheel as its only dependency and a few programs.
pub(crate) fn project(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("rv-run-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("vendor")).unwrap();
    for (path, text) in [
        (
            "requirements.txt",
            "./vendor/rvdemo-0.1.0-py3-none-any.whl\n",
        ),
        (
            "train.py",
            r#"import sys, time, rvdemo
args = sys.argv[1:]
epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 1
print("rvdemo", rvdemo.VALUE, flush=True)
for e in range(epochs):
    print(f"epoch {e + 1}/{epochs}", flush=True)
    time.sleep(0.5)
sys.exit(int(args[args.index("--exit") + 1]) if "--exit" in args else 0)
"#,
        ),
        (
            "slow.py",
            "import time\ntime.sleep(8)\nprint(open('data.txt').read().strip(), flush=True)\n",
        ),
        ("data.txt", "original\n"),
        (
            "hw.py",
            r#"import os, sys
node = os.environ.get("SLURMD_NODENAME", "?")
if not os.environ.get("RV_RETRIED"):
    print(f"on {node}: RuntimeError: CUDA error: unknown error", file=sys.stderr, flush=True)
    sys.exit(1)
print(f"retried on {node}", flush=True)
"#,
        ),
        (
            "bars.py",
            "import sys\nfor i in range(0, 101, 25):\n    sys.stdout.write(f'\\r{i}%')\nprint()\nprint('after the bar', flush=True)\n",
        ),
    ] {
        std::fs::write(root.join(path), text).unwrap();
    }
    // A pure-Python wheel, made here so the test needs no index.
    let made = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            r#"import base64, hashlib, sys, zipfile
files = {
    "rvdemo/__init__.py": b"VALUE = 42\n",
    "rvdemo-0.1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: rvdemo\nVersion: 0.1.0\n",
    "rvdemo-0.1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: rv-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(data)}\n"
record += "rvdemo-0.1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("rvdemo-0.1.0.dist-info/RECORD", record)
"#,
        )
        .arg(root.join("vendor/rvdemo-0.1.0-py3-none-any.whl"))
        .status()
        .unwrap();
    assert!(made.success());
    root
}

pub(crate) fn rv_run(tb: &Testbed, state: &ControlDir, dir: &Path, args: &[&str]) -> Output {
    tb.rv(RV, state)
        .arg("run")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The job id `rv run` reported on stderr.
pub(crate) fn job_of(out: &Output) -> u64 {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| {
            l.strip_prefix("rv run: job ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no job in:\n{err}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn scenario_idle_run_follows_the_job_from_its_snapshot_and_exits_with_its_code() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("run");
    let jobs = tb.jobs();
    let root = project("follow");

    let ok = rv_run(
        &tb,
        &state,
        &root,
        &["-f", "python3", "train.py", "--epochs", "2"],
    );
    jobs.track(&job_of(&ok).to_string());
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(
        text(&ok.stdout),
        "rvdemo 42\nepoch 1/2\nepoch 2/2\n",
        "the job's output, from the venv with the wheel"
    );
    let err = text(&ok.stderr);
    assert!(err.contains("/snapshots/"), "runs from a snapshot: {err}");

    // Its own flags after the command go to the command, with a warning.
    let three = rv_run(
        &tb,
        &state,
        &root,
        &["-f", "python3", "train.py", "--exit", "3", "--gpu", "2"],
    );
    jobs.track(&job_of(&three).to_string());
    assert_eq!(three.status.code(), Some(3), "{}", text(&three.stderr));
    assert!(text(&three.stderr).contains("`--gpu` comes after the command"));

    // A job keeps the code it started with while the project changes and is pushed again.
    let slow = rv_run(&tb, &state, &root, &["python3", "slow.py"]);
    assert!(slow.status.success(), "{}", text(&slow.stderr));
    let id = text(&slow.stdout)
        .trim()
        .parse::<u64>()
        .expect("the job id on stdout");
    jobs.track(&id.to_string());
    std::fs::write(root.join("data.txt"), "edited\n").unwrap();
    let pushed = tb
        .rv(env!("CARGO_BIN_EXE_rv-sync"), &state)
        .arg("push")
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    let followed = tb
        .rv(RV, &state)
        .args(["logs", "-f", &id.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        followed.status.code(),
        Some(0),
        "{}",
        text(&followed.stderr)
    );
    assert_eq!(text(&followed.stdout), "original\n");

    let code = tb
        .ssh(&format!(
            "cat /scratch/rvtest/rv-workspaces/{}/default/code/data.txt",
            root.file_name().unwrap().to_string_lossy()
        ))
        .stdout;
    assert_eq!(code, "edited\n", "the synced tree itself moved on");
    tb.ssh(&format!(
        "rm -rf /scratch/rvtest/rv-workspaces/{}",
        root.file_name().unwrap().to_string_lossy()
    ));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn scenario_idle_run_retries_a_hardware_error_once_on_another_node() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("run-retry");
    let jobs = tb.jobs();
    let root = project("retry");
    let out = rv_run(
        &tb,
        &state,
        &root,
        &["-f", "--type", "a6000", "python3", "hw.py"],
    );
    let first = job_of(&out);
    jobs.track(&first.to_string());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let note = err
        .lines()
        .find(|l| l.contains("retries after a hardware error"))
        .unwrap_or_else(|| panic!("the retry says why: {err}"));
    assert!(note.contains("CUDA error: unknown error"), "{note}");
    let stdout = text(&out.stdout);
    let retried_on = stdout
        .strip_prefix("retried on ")
        .unwrap_or_else(|| panic!("{stdout}"))
        .trim();
    let failed_on = note
        .split(" failed on ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap();
    assert_ne!(retried_on, failed_on, "the retry excluded the failed node");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn scenario_idle_logs_show_tail_search_json_and_collapse_progress_bars() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("logs");
    let jobs = tb.jobs();
    let root = project("logs");
    let out = rv_run(&tb, &state, &root, &["-f", "python3", "bars.py"]);
    let id = job_of(&out);
    jobs.track(&id.to_string());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = id.to_string();
    let logs = |args: &[&str]| tb.rv(RV, &state).arg("logs").args(args).output().unwrap();
    let shown = logs(&[&id]);
    assert_eq!(
        text(&shown.stdout),
        "100%\nafter the bar\n",
        "the bar as last drawn"
    );
    let raw = logs(&[&id, "--raw"]);
    assert_eq!(
        text(&raw.stdout),
        "\r0%\r25%\r50%\r75%\r100%\nafter the bar\n"
    );
    let tail = logs(&[&id, "--tail", "1"]);
    assert_eq!(text(&tail.stdout), "after the bar\n");
    let latest = logs(&[]);
    assert_eq!(
        text(&latest.stdout),
        text(&shown.stdout),
        "the most recent job by default"
    );
    let json = logs(&[&id, "--json"]);
    let v = crate::support::assert_documented("rv logs --json", &json.stdout);
    assert_eq!(v["job"], serde_json::json!(id.parse::<u64>().unwrap()));
    assert_eq!(v["state"], "COMPLETED");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["stdout"], serde_json::json!(["100%", "after the bar"]));
    let found = logs(&["--search", "after the b[a]r"]);
    assert!(
        text(&found.stdout)
            .lines()
            .any(|l| l.contains(&format!("-{id}.out:2:after the bar"))),
        "{}",
        text(&found.stdout)
    );
    let dir = root.join("pulled");
    let pulled = logs(&[&id, "--pull", dir.to_str().unwrap()]);
    assert!(pulled.status.success(), "{}", text(&pulled.stderr));
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let missing = logs(&["999999999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no rv log of job 999999999"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn scenario_idle_run_prunes_old_snapshots_but_not_one_in_use_and_copies_outputs() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("run-prune");
    let jobs = tb.jobs();
    let root = project("prune");
    let ws = format!(
        "/scratch/rvtest/rv-workspaces/{}/default",
        root.file_name().unwrap().to_string_lossy()
    );
    let old = format!("{ws}/snapshots/20200101T000000Z-old");
    let busy = format!("{ws}/snapshots/20200102T000000Z-busy");
    tb.ssh(&format!("mkdir -p {old} {busy}"))
        .expect_ok("old snapshots");
    let holder = jobs.sbatch(&format!(
        "-p standard -t 5 --chdir={busy} --wrap 'sleep 300'"
    ));
    jobs.wait_for_state(&holder, &["RUNNING"], std::time::Duration::from_secs(30))
        .unwrap();

    let out = rv_run(
        &tb,
        &state,
        &root,
        &[
            "-f",
            "--output",
            "data.txt",
            "sh",
            "-c",
            "cp data.txt data.copy; echo \"$RV_OUTPUT_DIR\"",
        ],
    );
    jobs.track(&job_of(&out).to_string());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let left = tb.ssh(&format!("ls {ws}/snapshots")).stdout;
    assert!(!left.contains("20200101T000000Z-old"), "pruned: {left}");
    assert!(
        left.contains("20200102T000000Z-busy"),
        "a job works there: {left}"
    );
    let output_dir = text(&out.stdout).trim().to_owned();
    assert!(
        output_dir.starts_with("/scratch/rvtest/.rv/outputs/"),
        "{output_dir}"
    );
    assert_eq!(
        tb.ssh(&format!("cat {output_dir}/data.txt")).stdout,
        "original\n",
        "--output copied the file"
    );
    tb.ssh(&format!("rm -rf {ws}"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failed_install_submits_nothing_and_is_not_recorded_as_done() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("run-bad-deps");
    let root = project("bad-deps");
    std::fs::write(
        root.join("requirements.txt"),
        "./vendor/missing-0.1-py3-none-any.whl\n",
    )
    .unwrap();
    let out = rv_run(&tb, &state, &root, &["python3", "train.py"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("installing the dependencies failed"), "{err}");
    assert!(!err.contains("submitted"), "nothing submitted: {err}");
    let ws = format!(
        "/scratch/rvtest/rv-workspaces/{}/default",
        root.file_name().unwrap().to_string_lossy()
    );
    let ready = tb
        .ssh(&format!("ls {ws}/venvs/*/.rv-ready 2>/dev/null"))
        .stdout;
    assert!(ready.is_empty(), "never marked ready: {ready}");
    tb.ssh(&format!("rm -rf {ws}"));
    std::fs::remove_dir_all(&root).unwrap();
}

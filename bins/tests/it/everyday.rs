//! The everyday commands on the testbed: status, exec, gpu, ssh, forward, ps, stop, cost,
//! init and the job picker, each `--json` checked against `docs/json.md`.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rv_testbed::{ControlDir, Testbed};

use crate::support::{RV, assert_documented, init_sandbox, poll, rv_init};

fn rv(tb: &Testbed, state: &ControlDir, args: &[&str]) -> Output {
    tb.rv(RV, state).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn scenario_busy_status_is_one_round_trip_and_counts_each_node_once() {
    let Some(tb) = Testbed::get() else { return };
    let _busy = tb.scenario("busy");
    let state = tb.control_dir("status");
    let out = tb
        .rv(RV, &state)
        .args(["status", "--json"])
        .env("RV_TRACE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("rv-trace: 1 round trips"),
        "{}",
        text(&out.stderr)
    );
    let v = assert_documented("rv status --json", &out.stdout);
    let a6000 = v["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gpu_type"] == "a6000")
        .unwrap();
    assert_eq!(
        a6000["total"], 16,
        "the umbrella partition does not count twice"
    );
    assert_eq!(a6000["free"], 2, "busy leaves two A6000s");
    assert_eq!(v["accounts"][0]["available"], 874_221);
    assert_eq!(v["storage"].as_array().unwrap().len(), 3);

    let human = tb
        .rv(RV, &state)
        .arg("status")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = text(&human.stdout);
    assert!(
        shown.contains("a6000") && !shown.contains('\u{1b}'),
        "{shown}"
    );
}

#[test]
fn exec_passes_output_and_exit_codes_and_times_out() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("exec");
    let out = rv(&tb, &state, &["exec", "echo hi; echo err >&2; exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "hi\n");
    assert!(text(&out.stderr).starts_with("err\n"));
    let slow = rv(&tb, &state, &["exec", "--timeout", "1s", "sleep", "30"]);
    assert_eq!(slow.status.code(), Some(124), "killed at the time limit");
    let json = rv(&tb, &state, &["exec", "--json", "printf", "%s", "a b"]);
    let v = assert_documented("rv exec --json", &json.stdout);
    assert_eq!(v["stdout"], "a b");
    let bad = rv(&tb, &state, &["exec", "--timeout", "soon", "true"]);
    assert_eq!(bad.status.code(), Some(2));
    let cost = rv(
        &tb,
        &state,
        &[
            "cost", "--gpu", "2", "--type", "a6000", "--time", "2h", "--json",
        ],
    );
    assert_documented("rv cost --json", &cost.stdout);
}

/// A GET of `/` on localhost:`port`: the body.
fn http_get(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /rv-it.txt HTTP/1.0\r\nHost: x\r\n\r\n")
        .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn scenario_idle_gpu_ssh_forward_ps_and_stop_on_a_running_job() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("everyday");
    let jobs = tb.jobs();
    let (remote_port, local_port) = (free_port(), free_port());
    let id = jobs.sbatch(&format!(
        "-J it-every -p gpu-a6000 --gres=gpu:a6000:2 -t 10 -o /dev/null --chdir=/tmp \
         --wrap 'd=$(mktemp -d); echo served-by-the-job >$d/rv-it.txt; cd $d && exec python3 -m http.server {remote_port} --bind 127.0.0.1'"
    ));
    jobs.wait_for_state(&id, &["RUNNING"], Duration::from_secs(30))
        .unwrap();

    // A request name resolves; `nvidia-smi` sees both GPUs.
    let gpu = rv(&tb, &state, &["gpu", "it-every", "--json"]);
    assert!(gpu.status.success(), "{}", text(&gpu.stderr));
    let v = assert_documented("rv gpu --json", &gpu.stdout);
    let output = v["nodes"][0]["output"].as_str().unwrap();
    assert_eq!(
        output.lines().filter(|l| l.starts_with("GPU ")).count(),
        2,
        "{output}"
    );

    let suffix = &id[id.len() - 3..];
    let config = rv(&tb, &state, &["ssh", "--config", "--json", suffix]);
    let v = assert_documented("rv ssh --config --json", &config.stdout);
    assert_eq!(v["host"], format!("rv-{id}"));
    assert_eq!(v["proxy_jump"], "rv-cluster");

    let ps = rv(&tb, &state, &["ps", "--json"]);
    let v = assert_documented("rv ps --json", &ps.stdout);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["job_id"] == id.as_str())
    );

    // The forward answers, is listed, and goes away with the job.
    let mut forward = tb
        .rv(RV, &state)
        .args([
            "forward",
            &format!("{local_port}:{remote_port}"),
            "--job",
            &id,
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let body = poll(
        Duration::from_secs(20),
        Duration::from_millis(300),
        || http_get(local_port),
        Option::is_some,
    );
    assert!(
        body.as_deref()
            .is_some_and(|b| b.contains("served-by-the-job")),
        "{body:?}"
    );
    let listed = rv(&tb, &state, &["forward", "--list", "--json"]);
    let v = assert_documented("rv forward --list --json", &listed.stdout);
    assert_eq!(v[0]["local"], local_port);
    let stop = rv(&tb, &state, &["stop", &id, "--json"]);
    let v = assert_documented("rv stop --json", &stop.stdout);
    assert_eq!(v["cancelled"][0].to_string(), id);
    let ended = poll(
        Duration::from_secs(30),
        Duration::from_millis(500),
        || forward.try_wait().unwrap(),
        Option::is_some,
    );
    assert!(ended.is_some(), "rv forward ends with its job");
    assert!(http_get(local_port).is_none(), "the forward is gone");
    let listed = rv(&tb, &state, &["forward", "--list", "--json"]);
    assert_eq!(text(&listed.stdout).trim(), "[]");
}

#[test]
fn scenario_idle_the_picker_chooses_a_job_on_a_terminal() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("picker");
    let jobs = tb.jobs();
    let a = jobs.sbatch("-J it-pick-a -p gpu-a40 --gres=gpu:a40:1 -t 10 -o /dev/null --chdir=/tmp --wrap 'sleep 300'");
    let b = jobs.sbatch("-J it-pick-b -p gpu-a40 --gres=gpu:a40:1 -t 10 -o /dev/null --chdir=/tmp --wrap 'sleep 300'");
    for id in [&a, &b] {
        jobs.wait_for_state(id, &["RUNNING"], Duration::from_secs(30))
            .unwrap();
    }
    // Without a terminal: the most recent running job.
    let piped = rv(&tb, &state, &["ssh", "--config", "--json"]);
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    // On a terminal (`script` gives rv a pty): type the first job's name, press Enter.
    let mut term = tb
        .rv("script", &state)
        .args([
            "-qfec",
            &format!("stty rows 24 cols 100; {RV} ssh --config"),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut keys = term.stdin.take().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    keys.write_all(b"it-pick-a").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    keys.write_all(b"\r").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    drop(keys);
    let out = term.wait_with_output().unwrap();
    let screen = text(&out.stdout);
    assert!(screen.contains(&format!("Host rv-{a}")), "{screen}");
    assert!(!screen.contains(&format!("Host rv-{b}")), "{screen}");

    // `rv stop` takes a job's name too.
    let stop = rv(&tb, &state, &["stop", "it-pick-b", "--json"]);
    assert!(stop.status.success(), "{}", text(&stop.stderr));
    let v: serde_json::Value = serde_json::from_slice(&stop.stdout).unwrap();
    assert_eq!(
        v["cancelled"],
        serde_json::json!([b.parse::<u64>().unwrap()])
    );
}

#[test]
fn init_writes_a_working_config_and_a_second_run_changes_nothing() {
    let Some(tb) = Testbed::get() else { return };
    // The user's own config comes first and stays; it also trusts the testbed's host key.
    let (dir, ssh_config, mine) = init_sandbox(&tb, "small");
    let init = || rv_init(&tb, &dir, &ssh_config);
    let files = || {
        (
            std::fs::read_to_string(&ssh_config).unwrap(),
            std::fs::read_to_string(dir.join("config.toml")).unwrap(),
            tb.ssh("cat ~/.bashrc").stdout,
        )
    };
    let first = init();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let v = assert_documented("rv init --json", &first.stdout);
    assert_eq!(v["account"], "rvlab");
    let after_first = files();
    assert!(
        after_first.0.starts_with(&mine),
        "the user's own lines stay first"
    );
    assert!(
        after_first
            .0
            .contains("Host rv-hpc\n    HostName 127.0.0.1\n")
    );
    assert!(
        after_first
            .2
            .contains("export HF_HOME=\"/scratch/rvtest/.cache/huggingface\"")
    );
    assert!(after_first.1.contains("account = \"rvlab\""));
    let second = init();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(files(), after_first, "a second run changes nothing");

    // The config it wrote works.
    let status = Command::new(RV)
        .args(["status", "--json"])
        .env("HOME", dir.join("home"))
        .env("RV_STATE_DIR", dir.join("state"))
        .env("RV_CONFIG", dir.join("config.toml"))
        .env("RV_PROFILE", "rivanna")
        .env_remove("RV_SSH_HOST")
        .env_remove("RV_SSH_CONFIG")
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status.stderr));
    let ctl = dir.join("state/cm");
    for socket in std::fs::read_dir(&ctl).into_iter().flatten().flatten() {
        let _ = Command::new("ssh")
            .arg("-S")
            .arg(socket.path())
            .args(["-O", "exit", "x"])
            .output();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

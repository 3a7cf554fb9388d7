//! `rv env` on the testbed: a stored secret reaches the job byte for byte and leaves no
//! plain text on the laptop, in `ps`, in logs or in the env file.

use std::time::Duration;

use crate::support::{RV, allocation, poll};
use rv_testbed::Testbed;

/// Every file under `dir`, recursively.
pub(crate) fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn scenario_idle_stored_secrets_arrive_exactly_and_leave_no_trace() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("env");
    let jobs = tb.jobs();
    let secret = "s3cr$t \"dq\" 'sq' `tick` \\ end\nsecond line";

    let set = tb.rv_with_input(
        RV,
        &state,
        &["env", "set", "RV_IT_TOKEN"],
        format!("{secret}\n").as_bytes(),
    );
    assert!(set.status.success());
    let plain = tb
        .rv(RV, &state)
        .args(["env", "set", "NCCL_DEBUG", "INFO"])
        .output()
        .unwrap();
    assert!(plain.status.success());

    // Listed masked, also as JSON.
    let list = tb
        .rv(RV, &state)
        .args(["env", "list", "--json"])
        .output()
        .unwrap();
    let json = crate::support::assert_documented("rv env list --json", &list.stdout);
    assert_eq!(
        json["vars"],
        serde_json::json!([
            {"name": "NCCL_DEBUG", "value": "INFO", "secret": false},
            {"name": "RV_IT_TOKEN", "value": "********", "secret": true},
        ])
    );

    let out = tb
        .rv(RV, &state)
        .args(["up", "--gpu", "1", "--time", "10m", "--name", "it-env", "--json"])
        .args([
            "--run",
            r#"printf '%s' "$RV_IT_TOKEN" >"$RV_REQUEST_DIR/secret"; echo "debug=$NCCL_DEBUG"; sleep 300"#,
        ])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let a = allocation(&out.stdout);
    jobs.track(&a.job_id.to_string());
    let dir = format!("/scratch/rvtest/.rv/requests/{}", a.request);
    let got = poll(
        Duration::from_secs(30),
        Duration::from_millis(300),
        || tb.ssh(&format!("cat {dir}/secret 2>/dev/null")),
        rv_testbed::Remote::ok,
    );
    assert_eq!(got.stdout, secret, "byte for byte");
    assert!(
        !tb.ssh(&format!(
            "test -e /scratch/rvtest/.rv/env/{}.env",
            a.request
        ))
        .ok(),
        "the env file is gone once the job started"
    );

    // No plain text: not on the laptop, not in any process's arguments, not in rv's logs
    // on the cluster, not in what rv printed.
    let needle = "s3cr$t";
    for path in files(&state).into_iter().chain([state.key_file()]) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains(needle));
    let logs = tb.ssh(&format!(
        "grep -rlF -- {} /scratch/rvtest/.rv/logs /scratch/rvtest/.rv/requests/{}/*.sh",
        rv::util::quote(needle),
        a.request
    ));
    assert!(
        logs.stdout.trim().is_empty(),
        "the secret is in {}",
        logs.stdout
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(needle));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(needle));
}

#[test]
fn env_imports_removes_and_refuses_bad_names() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("env-import");
    let bad = tb
        .rv(RV, &state)
        .args(["env", "set", "BAD-NAME", "x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    // Import from a .env file, then remove; a name that is not set is an error.
    let imported = tb.rv_with_input(
        RV,
        &state,
        &["env", "import", "-", "--json"],
        b"# from a .env\nIMPORTED_A=1\nexport IMPORTED_B='two words'\n",
    );
    assert!(imported.status.success());
    let json: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(
        json["changed"],
        serde_json::json!(["IMPORTED_A", "IMPORTED_B"])
    );
    let rm = tb
        .rv(RV, &state)
        .args(["env", "rm", "IMPORTED_A", "IMPORTED_B"])
        .output()
        .unwrap();
    assert!(rm.status.success());
    let again = tb
        .rv(RV, &state)
        .args(["env", "rm", "IMPORTED_A"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not set: IMPORTED_A"));
}

//! `rv-sync` on the testbed: ignore rules, `--delete`, `--dry-run`, pull and watch.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rv::records::{Record, SyncRecord};
use rv_testbed::Testbed;

use crate::support::{RV_SYNC, records};

/// A project folder with files that must and must not be synced.
pub fn project(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("rv-proj-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (path, text) in [
        ("requirements.txt", ""),
        ("train.py", "print('training')\n"),
        ("pkg/model.py", "X = 1\n"),
        ("old.py", "gone soon\n"),
        (".gitignore", "data/\n*.log\n"),
        ("data/big.csv", "1,2,3\n"),
        ("run.log", "log\n"),
        (".rvignore", "notes.md\n"),
        ("notes.md", "private\n"),
        ("model.pt", "weights\n"),
        ("pkg/__pycache__/model.pyc", "\0"),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    root
}

fn sync_record(stdout: &[u8]) -> SyncRecord {
    records(stdout)
        .into_iter()
        .find_map(|r| match r {
            Record::Sync(s) => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no sync record: {}", String::from_utf8_lossy(stdout)))
}

/// The files under `dir` on the testbed, relative and sorted.
fn remote_files(tb: &Testbed, dir: &str) -> Vec<String> {
    let out = tb.ssh(&format!(
        "cd {dir} && find . -type f | sed 's|^\\./||' | sort"
    ));
    out.stdout.lines().map(str::to_owned).collect()
}

fn name(root: &Path) -> String {
    root.file_name().unwrap().to_string_lossy().into_owned()
}

/// `pull` fetches a file a job wrote; a bad remote path is one clear error.
fn pull_brings_a_result_back(
    tb: &Testbed,
    state: &rv_testbed::ControlDir,
    root: &Path,
    code: &str,
) {
    // Pull a result back.
    let back = root.join("back");
    let out = tb
        .rv(RV_SYNC, state)
        .args(["pull", &format!("{code}/result.txt")])
        .arg(&back)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    assert_eq!(sync_record(&out.stdout).transferred, ["result.txt"]);
    assert_eq!(
        std::fs::read_to_string(back.join("result.txt")).unwrap(),
        "result\n"
    );

    // A bad remote fails with one clear line and exit 1.
    let out = tb
        .rv(RV_SYNC, state)
        .args(["pull", "/nonexistent/x"])
        .arg(&back)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rsync failed"), "{err}");
}

#[test]
fn push_honours_ignores_deletes_only_what_it_pushed_and_pulls() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("sync");
    let root = project("sync");
    let code = format!("/scratch/rvtest/rv-workspaces/{}/default/code", name(&root));

    // From a subdirectory: the project root is found by its requirements.txt.
    let out = tb
        .rv(RV_SYNC, &state)
        .arg("push")
        .current_dir(root.join("pkg"))
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let rec = sync_record(&out.stdout);
    assert_eq!(rec.remote, format!("rv-cluster:{code}"));
    assert_eq!(rec.files, 6);
    assert_eq!(
        remote_files(&tb, &code),
        [
            ".gitignore",
            ".rvignore",
            "old.py",
            "pkg/model.py",
            "requirements.txt",
            "train.py"
        ]
    );

    // A file a job wrote into the tree, and a file deleted here.
    tb.ssh(&format!("echo result >{code}/result.txt"))
        .expect_ok("job output");
    std::fs::remove_file(root.join("old.py")).unwrap();
    std::fs::write(root.join("train.py"), "print('v2')\n").unwrap();

    let dry = tb
        .rv(RV_SYNC, &state)
        .args(["push", "--delete", "--dry-run"])
        .arg(&root)
        .output()
        .unwrap();
    crate::support::assert_ok(&dry);
    let rec = sync_record(&dry.stdout);
    assert!(rec.dry_run);
    assert_eq!(rec.deleted, ["old.py"]);
    assert_eq!(rec.transferred, ["train.py"]);
    assert!(
        remote_files(&tb, &code).contains(&"old.py".to_owned()),
        "dry run changes nothing"
    );

    let out = tb
        .rv(RV_SYNC, &state)
        .args(["push", "--delete"])
        .arg(&root)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    assert_eq!(sync_record(&out.stdout).deleted, ["old.py"]);
    let files = remote_files(&tb, &code);
    assert!(!files.contains(&"old.py".to_owned()), "{files:?}");
    assert!(
        files.contains(&"result.txt".to_owned()),
        "a job's file is kept: {files:?}"
    );
    assert_eq!(
        tb.ssh(&format!("cat {code}/train.py")).stdout,
        "print('v2')\n"
    );

    pull_brings_a_result_back(&tb, &state, &root, &code);
    tb.ssh(&format!(
        "rm -rf /scratch/rvtest/rv-workspaces/{}",
        name(&root)
    ));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn watch_pushes_on_change() {
    let Some(tb) = Testbed::get() else { return };
    let state = tb.control_dir("sync-watch");
    let root = project("watch");
    let code = format!("/scratch/rvtest/rv-workspaces/{}/default/code", name(&root));
    let mut child = tb
        .rv(RV_SYNC, &state)
        .args(["watch", "--debounce", "200"])
        .arg(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("\"train.py\""), "{first}");
    std::fs::write(root.join("pkg/new.py"), "Y = 2\n").unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let rec = sync_record(second.as_bytes());
    assert_eq!(rec.transferred, ["pkg/new.py"]);
    assert_eq!(tb.ssh(&format!("cat {code}/pkg/new.py")).stdout, "Y = 2\n");
    tb.ssh(&format!(
        "rm -rf /scratch/rvtest/rv-workspaces/{}",
        name(&root)
    ));
    std::fs::remove_dir_all(&root).unwrap();
}

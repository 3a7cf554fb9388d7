//! Every `console` example in `docs/` runs against the testbed and exits as documented.
//!
//! A `$ ` line is one command, run by bash (with `pipefail`) from a small project folder,
//! with the built binaries first on `PATH`; it must exit 0, or with the code a trailing
//! `# exit N` names, and must not panic.

use std::path::{Path, PathBuf};

use rv_testbed::Testbed;

/// The `$ ` commands of the `console` blocks of `text`, each with its expected exit code.
fn examples(text: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match line.trim_end() {
            "```console" => inside = true,
            "```" => inside = false,
            l if inside => {
                if let Some(cmd) = l.strip_prefix("$ ") {
                    let (cmd, code) = match cmd.rsplit_once("  # exit ") {
                        Some((c, n)) => (c, n.trim().parse().expect("an exit code")),
                        None => (cmd, 0),
                    };
                    out.push((cmd.to_owned(), code));
                }
            }
            _ => {}
        }
    }
    out
}

fn docs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    // The order a reader takes, so later pages can use what earlier ones made.
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        (name != "getting-started.md", name)
    });
    files
}

#[test]
fn examples_are_found_with_their_exit_codes() {
    let text = "```console\n$ rv ps\n$ rv up --time soon  # exit 2\n```\n```sh\nrv init\n```\n";
    assert_eq!(
        examples(text),
        [("rv ps".to_owned(), 0), ("rv up --time soon".to_owned(), 2)]
    );
    let all: usize = docs()
        .iter()
        .map(|p| examples(&std::fs::read_to_string(p).unwrap()).len())
        .sum();
    assert!(all >= 30, "the docs show what they say: {all} examples");
}

#[test]
fn scenario_idle_every_console_example_in_the_docs_runs() {
    let Some(tb) = Testbed::get() else { return };
    let _idle = tb.scenario("idle");
    let state = tb.control_dir("docs");
    let project = std::env::temp_dir().join(format!("rv-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("requirements.txt"), "").unwrap();
    std::fs::write(
        project.join("train.py"),
        "import sys\nn = int(sys.argv[sys.argv.index('--epochs') + 1])\nfor e in range(n):\n    print(f'epoch {e + 1}/{n}', flush=True)\n",
    )
    .unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_rv")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for doc in docs() {
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        for (cmd, want) in examples(&std::fs::read_to_string(&doc).unwrap()) {
            let out = tb
                .rv("bash", &state)
                .args(["-o", "pipefail", "-c", &cmd])
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .current_dir(&project)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if out.status.code() != Some(want) || all.contains("panicked") {
                failures.push(format!(
                    "{name}: `{cmd}` exited {:?}, documented {want}:\n{all}",
                    out.status.code()
                ));
            }
        }
    }
    tb.ssh("scancel -u rvtest -n docs-demo,docs-pipe,docs-edit; true");
    tb.ssh(&format!(
        "rm -rf /scratch/rvtest/rv-workspaces/{}",
        project.file_name().unwrap().to_string_lossy()
    ));
    std::fs::remove_dir_all(&project).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

//! `rv` as a git-style multiplexer.

use crate::support::RV;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `rv` with `args` and a `PATH` of exactly `path` (plus the system directories a
/// shell script needs).
fn rv(args: &[&str], path: &Path) -> Output {
    Command::new(RV)
        .args(args)
        .env("PATH", format!("{}:/usr/bin:/bin", path.display()))
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rv-mux-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_lists_the_subcommands_and_tools() {
    let out = rv(&["--help"], &scratch_dir("help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    let rv = rv::cli::rv();
    let builtins: Vec<_> = rv.get_subcommands().collect();
    assert!(builtins.len() >= 17, "{} built-ins", builtins.len());
    for sub in builtins {
        let (name, about) = (sub.get_name(), sub.get_about().expect("about").to_string());
        assert!(
            help.contains(&format!("  {name} ")),
            "`{name}` missing from:\n{help}"
        );
        assert!(
            help.contains(&about),
            "description of `{name}` missing from:\n{help}"
        );
    }
    assert!(
        help.contains("probe, plan, submit, watch, attach, sync"),
        "{help}"
    );
}

#[test]
fn version_is_the_crate_version() {
    let out = rv(&["--version"], &scratch_dir("version"));
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("rv {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_command_fails_with_a_suggestion_and_exit_2() {
    let dir = scratch_dir("unknown");
    let out = rv(&["stauts"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("`stauts` is not an rv command"), "{err}");
    assert!(err.contains("did you mean `rv status`?"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");

    let out = rv(&["nosuch"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no `rv-nosuch` was found on PATH"), "{err}");
    assert!(
        !err.contains("did you mean"),
        "no far-fetched suggestion: {err}"
    );
}

#[test]
fn external_tools_on_path_run_with_their_arguments_and_exit_code() {
    let dir = scratch_dir("external");
    let tool = dir.join("rv-foo");
    std::fs::write(
        &tool,
        "#!/bin/sh\nfor a in \"$@\"; do printf '<%s>' \"$a\"; done\necho\nexit 7\n",
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();

    let out = rv(&["foo", "--gpu", "4", "two words", "$HOME"], &dir);
    assert_eq!(text(&out.stdout), "<--gpu><4><two words><$HOME>\n");
    assert_eq!(
        out.status.code(),
        Some(7),
        "the tool's exit code passes through"
    );

    // A misspelt external tool is suggested too.
    let out = rv(&["fooo"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `rv foo`?"));
}

#[test]
fn pipeline_tools_are_found_beside_rv() {
    // `rv probe` runs the `rv-probe` next to the `rv` binary even when PATH lacks it.
    let out = rv(&["probe", "--version"], &scratch_dir("sibling"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("rv-probe {}\n", env!("CARGO_PKG_VERSION"))
    );
}

//! `rv`: the multiplexer. `rv <cmd>` runs a built-in subcommand, else `rv-<cmd>` from the
//! directory of this binary or from `PATH`.

use std::ffi::{OsStr, OsString};
use std::process::ExitCode;

use rv::{cli, exit, external};

fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash rv -- …`) is answered and rv exits.
    clap_complete::CompleteEnv::with_factory(cli::rv)
        .var(rv::manual::COMPLETE_VAR)
        .complete();
    rv::commands::set_picker(pick);
    let matches = cli::rv()
        .external_subcommand_value_parser(clap::value_parser!(OsString))
        .get_matches();
    let Some((name, sub)) = matches.subcommand() else {
        unreachable!("clap enforces subcommand_required")
    };
    if let Some(code) = rv::commands::builtin(name, sub) {
        return code;
    }
    let args: Vec<&OsStr> = sub
        .get_many::<OsString>("")
        .into_iter()
        .flatten()
        .map(OsString::as_os_str)
        .collect();
    run_external(name, &args)
}

/// Replaces this process with `rv-<name>`, or explains why it cannot.
fn run_external(name: &str, args: &[&OsStr]) -> ExitCode {
    let search = search_path();
    let Some(program) = external::find(name, &search) else {
        let externals = external::list(&search);
        let mut candidates: Vec<&str> = cli::known_names().collect();
        candidates.extend(externals.iter().map(String::as_str));
        eprintln!("error: `{name}` is not an rv command, and no `rv-{name}` was found on PATH");
        if let Some(suggestion) = external::closest(name, candidates) {
            eprintln!("  tip: did you mean `rv {suggestion}`?");
        }
        eprintln!("See `rv --help` for the commands.");
        return ExitCode::from(exit::USAGE);
    };
    let error = exec(std::process::Command::new(&program).args(args));
    eprintln!("error: could not run {}: {error}", program.display());
    ExitCode::from(exit::FAILURE)
}

/// The directory holding this binary first (so `rv probe` finds its sibling `rv-probe`),
/// then `PATH`.
fn search_path() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let own_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf));
    let dirs = own_dir.into_iter().chain(std::env::split_paths(&path));
    std::env::join_paths(dirs).unwrap_or(path)
}

#[cfg(unix)]
fn exec(command: &mut std::process::Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    command.exec()
}

/// The job picker: skim over `lines`, on the terminal (only ever called with one).
fn pick(lines: &[String], prompt: &str) -> Option<usize> {
    use skim::prelude::*;
    let options = SkimOptionsBuilder::default()
        .prompt(prompt.to_owned())
        .height("100%".to_owned())
        .build()
        .ok()?;
    let out = Skim::run_items(options, lines.to_vec()).ok()?;
    if out.is_abort {
        return None;
    }
    let chosen = out.selected_items.first()?.item.text().into_owned();
    lines.iter().position(|l| *l == chosen)
}

//! The command line of `rv` and every `rv-*` tool, defined once: the `rv` binary parses
//! with [`Rv`], and the man pages, the shell completions, `rv upgrade` and the site's
//! tool list all come from the same definitions, so they cannot drift.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Command, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::commands::{self, main};
pub use crate::external::{TOOLS, Tool};

/// Get GPUs on a Slurm cluster without thinking about Slurm
#[derive(Debug, Parser)]
#[command(
    name = "rv",
    version,
    subcommand_required = true,
    arg_required_else_help = true,
    after_help = tools_help()
)]
pub struct Rv {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Builtin,
}

/// The subcommands built into `rv`, in the order `rv --help` lists them. Each is
/// described by its flags type (`rv up` by [`commands::up::Args`], …); anything else typed
/// after `rv` runs `rv-<name>` from beside `rv` or from `PATH`.
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum Builtin {
    Up(commands::up::Args),
    Run(commands::run::Args),
    Ps(commands::ps::Args),
    // Shorter than its `--help`, for the list under `rv --help`.
    #[command(about = "Cancel a job or a whole request")]
    Stop(commands::stop::Args),
    Attach(commands::ssh::AttachArgs),
    Ssh(commands::ssh::Args),
    Logs(commands::logs::Args),
    Status(commands::status::Args),
    Forward(commands::forward::Args),
    // Shorter than its `--help`, for the list under `rv --help`.
    #[command(about = "Manage the encrypted secrets injected into jobs")]
    Env(commands::env::Args),
    Cost(commands::cost::Args),
    Exec(commands::exec::Args),
    Gpu(commands::gpu::Args),
    Init(commands::init::Args),
    // Shorter than its `--help`, for the list under `rv --help`.
    #[command(about = "Email notifications on job events")]
    Notify(commands::notify::Args),
    Upgrade(commands::upgrade::Args),
    #[command(about = "Print shell completions (bash, zsh, fish, elvish, powershell)")]
    Completions {
        #[arg(value_name = "shell")]
        shell: Shell,
    },
    #[command(external_subcommand)]
    External(Vec<OsString>),
}

impl Builtin {
    /// Runs the subcommand: its exit code.
    pub fn run(self) -> ExitCode {
        match self {
            Builtin::Up(a) => main(&a),
            Builtin::Run(a) => main(&a),
            Builtin::Ps(a) => main(&a),
            Builtin::Stop(a) => main(&a),
            Builtin::Attach(a) => main(&a),
            Builtin::Ssh(a) => main(&a),
            Builtin::Logs(a) => main(&a),
            Builtin::Status(a) => main(&a),
            Builtin::Forward(a) => main(&a),
            Builtin::Env(a) => main(&a),
            Builtin::Cost(a) => main(&a),
            Builtin::Exec(a) => main(&a),
            Builtin::Gpu(a) => main(&a),
            Builtin::Init(a) => main(&a),
            Builtin::Notify(a) => main(&a),
            Builtin::Upgrade(a) => main(&a),
            Builtin::Completions { shell } => {
                use std::io::Write;
                let _ = std::io::stdout().write_all(&completion(shell));
                ExitCode::SUCCESS
            }
            Builtin::External(args) => {
                crate::external::run(&args, known_names().iter().map(String::as_str))
            }
        }
    }
}

/// The line under `rv --help` naming the pipeline tools.
fn tools_help() -> String {
    let tools: Vec<&str> = TOOLS.iter().map(|t| t.subcommand()).collect();
    format!(
        "Pipeline tools, each also a binary `rv-<tool>`: {}.\n\
         Any `rv-<name>` on PATH runs as `rv <name>`.",
        tools.join(", ")
    )
}

/// The clap definition of the `rv` multiplexer.
pub fn rv() -> Command {
    Rv::command()
}

/// The clap definition of a pipeline tool's own binary.
pub fn tool(tool: Tool) -> Command {
    match tool {
        Tool::Probe => commands::probe::Args::command(),
        Tool::Plan => commands::plan::Args::command(),
        Tool::Submit => commands::submit::Args::command(),
        Tool::Watch => commands::watch::Args::command(),
        Tool::Attach => commands::attach::Args::command(),
        Tool::Sync => commands::sync::Args::command(),
    }
}

/// Every name `rv` accepts without looking at `PATH`: built-ins and pipeline tools.
pub fn known_names() -> Vec<String> {
    rv().get_subcommands()
        .map(|s| s.get_name().to_owned())
        .chain(TOOLS.iter().map(|t| t.subcommand().to_owned()))
        .collect()
}

/// The shells rv writes completions for.
pub const SHELLS: &[Shell] = &[
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// The environment variable through which a shell asks `rv` for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

/// Completions of `rv` for `shell`: a small script that asks `rv` itself at each `<Tab>`
/// (`COMPLETE=<shell> rv -- <words>`), so subcommands, flags and values come from the same
/// definitions, and job arguments complete from your recent jobs.
pub fn completion(shell: Shell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        _ => &Powershell,
    };
    let mut out = Vec::new();
    completer
        .write_registration(COMPLETE_VAR, "rv", "rv", "rv", &mut out)
        .expect("writing to memory");
    if shell == Shell::Zsh {
        // Autoloaded from `fpath` as `_rv`, the first <Tab> runs this file: complete then too.
        out.extend_from_slice(
            b"[[ ${funcstack[1]} == _rv ]] && _clap_dynamic_completer_rv \"$@\"\n",
        );
    }
    out
}

/// The completion files: (`file name`, script).
pub fn completions() -> Vec<(String, Vec<u8>)> {
    SHELLS
        .iter()
        .map(|&shell| {
            let name = match shell {
                Shell::Bash => "rv.bash".to_owned(),
                Shell::Zsh => "_rv".to_owned(),
                Shell::Fish => "rv.fish".to_owned(),
                Shell::Elvish => "rv.elv".to_owned(),
                _ => "_rv.ps1".to_owned(),
            };
            (name, completion(shell))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_valid() {
        rv().debug_assert();
        for &t in TOOLS {
            tool(t).debug_assert();
        }
    }

    #[test]
    fn tool_subcommands_drop_the_prefix() {
        assert_eq!(Tool::Probe.subcommand(), "probe");
        assert_eq!(Tool::Sync.subcommand(), "sync");
    }

    #[test]
    fn known_names_are_the_builtins_and_the_tools() {
        let names = known_names();
        for n in ["up", "attach", "completions", "probe", "sync"] {
            assert!(names.iter().any(|k| k == n), "{n} in {names:?}");
        }
    }
}

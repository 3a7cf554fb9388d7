//! Command-line definitions for `rv` and every `rv-*` tool.
//!
//! Each definition is a `fn … -> clap::Command` so that the binaries, the man pages and the
//! shell completions are all generated from the same source.

use clap::{Arg, Command};

use crate::commands;

/// The `rv` subcommands built into the multiplexer, with their one-line descriptions.
///
/// Anything else typed after `rv` is looked up on `PATH` as `rv-<name>`.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "up",
        "Get GPUs: plan strategies, submit them all, keep the first to start, attach",
    ),
    ("run", "Sync the project and run a command on the cluster"),
    ("ps", "List your requests, their strategies and jobs"),
    ("stop", "Cancel a job or a whole request"),
    ("attach", "Open a shell inside a running job"),
    (
        "ssh",
        "Shell on a job's node, or print an SSH config entry for editors",
    ),
    ("logs", "Show or follow a job's output"),
    (
        "status",
        "Connection, balance, storage, jobs and GPU availability at a glance",
    ),
    ("forward", "Forward local ports to a job's node"),
    ("env", "Manage the encrypted secrets injected into jobs"),
    ("cost", "Estimate the service units a request costs"),
    ("exec", "Run a command on the login node"),
    ("gpu", "Show nvidia-smi for every node of a job"),
    (
        "init",
        "First-time setup: SSH key and config, account, storage, caches",
    ),
    ("notify", "Email notifications on job events"),
    ("upgrade", "Install the latest rv over this one"),
    (
        "completions",
        "Print shell completions (bash, zsh, fish, elvish, powershell)",
    ),
];

/// The pipeline tools, each its own binary, that also run as `rv <tool>`.
pub const TOOLS: &[Tool] = &[
    Tool::Probe,
    Tool::Plan,
    Tool::Submit,
    Tool::Watch,
    Tool::Attach,
    Tool::Sync,
];

/// One of the `rv-*` binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `rv-probe`: read the cluster and estimate backfill windows.
    Probe,
    /// `rv-plan`: turn probe records and a request into ranked strategies.
    Plan,
    /// `rv-submit`: render and submit a job per strategy.
    Submit,
    /// `rv-watch`: keep the first job to start, cancel the rest.
    Watch,
    /// `rv-attach`: open a shell in an allocation.
    Attach,
    /// `rv-sync`: push and pull project files.
    Sync,
}

impl Tool {
    /// The binary's file name, e.g. `rv-probe`.
    pub fn binary(self) -> &'static str {
        match self {
            Tool::Probe => "rv-probe",
            Tool::Plan => "rv-plan",
            Tool::Submit => "rv-submit",
            Tool::Watch => "rv-watch",
            Tool::Attach => "rv-attach",
            Tool::Sync => "rv-sync",
        }
    }

    /// The subcommand name under `rv`, e.g. `probe`.
    pub fn subcommand(self) -> &'static str {
        &self.binary()[crate::external::PREFIX.len()..]
    }

    /// The clap definition of this tool.
    pub fn command(self) -> Command {
        match self {
            Tool::Probe => <crate::commands::probe::Args as clap::CommandFactory>::command(),
            Tool::Plan => <crate::commands::plan::Args as clap::CommandFactory>::command(),
            Tool::Submit => <crate::commands::submit::Args as clap::CommandFactory>::command(),
            Tool::Watch => <crate::commands::watch::Args as clap::CommandFactory>::command(),
            Tool::Attach => <crate::commands::attach::Args as clap::CommandFactory>::command(),
            Tool::Sync => <crate::commands::sync::Args as clap::CommandFactory>::command(),
        }
    }
}

/// The clap definition of the `rv` multiplexer.
pub fn rv() -> Command {
    let tools: Vec<&str> = TOOLS.iter().map(|t| t.subcommand()).collect();
    Command::new("rv")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Get GPUs on a Slurm cluster without thinking about Slurm")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .allow_external_subcommands(true)
        .subcommands(
            BUILTINS
                .iter()
                .map(|&(name, about)| builtin(name).about(about)),
        )
        .after_help(format!(
            "Pipeline tools, each also a binary `rv-<tool>`: {}.\n\
             Any `rv-<name>` on PATH runs as `rv <name>`.",
            tools.join(", ")
        ))
}

/// The definition of a built-in subcommand.
fn builtin(name: &'static str) -> Command {
    match name {
        "up" => def::<commands::up::Args>(name),
        "run" => def::<commands::run::Args>(name),
        "ps" => def::<commands::ps::Args>(name),
        "stop" => def::<commands::stop::Args>(name),
        "attach" => def::<commands::ssh::AttachArgs>(name),
        "ssh" => def::<commands::ssh::Args>(name),
        "logs" => def::<commands::logs::Args>(name),
        "status" => def::<commands::status::Args>(name),
        "env" => def::<commands::env::Args>(name),
        "cost" => def::<commands::cost::Args>(name),
        "exec" => def::<commands::exec::Args>(name),
        "gpu" => def::<commands::gpu::Args>(name),
        "forward" => def::<commands::forward::Args>(name),
        "init" => def::<commands::init::Args>(name),
        "notify" => def::<commands::notify::Args>(name),
        "upgrade" => def::<commands::upgrade::Args>(name),
        "completions" => Command::new("completions").arg(
            Arg::new("shell")
                .required(true)
                .value_parser(clap::value_parser!(clap_complete::Shell)),
        ),
        _ => unreachable!("every built-in has a definition; {name} has none"),
    }
}

/// A subcommand's definition from its arguments' type, under its name.
fn def<T: clap::CommandFactory>(name: &'static str) -> Command {
    T::command().name(name)
}

/// Every name `rv` accepts without looking at `PATH`: built-ins and pipeline tools.
pub fn known_names() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .map(|&(name, _)| name)
        .chain(TOOLS.iter().map(|t| t.subcommand()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_valid() {
        rv().debug_assert();
        for tool in TOOLS {
            tool.command().debug_assert();
        }
    }

    #[test]
    fn tool_subcommands_drop_the_prefix() {
        assert_eq!(Tool::Probe.subcommand(), "probe");
        assert_eq!(Tool::Sync.subcommand(), "sync");
    }
}

//! `rv`: the multiplexer. `rv <cmd>` runs a built-in subcommand, else `rv-<cmd>` from the
//! directory of this binary or from `PATH`.

use std::process::ExitCode;

use clap::Parser;
use rv::cli;

fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash rv -- …`) is answered and rv exits.
    clap_complete::CompleteEnv::with_factory(cli::rv)
        .var(cli::COMPLETE_VAR)
        .complete();
    rv::commands::set_picker(pick);
    cli::Rv::parse().command.run()
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

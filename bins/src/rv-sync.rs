//! `rv-sync`: see `rv-sync --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::sync::Args::parse())
}

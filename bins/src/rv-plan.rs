//! `rv-plan`: see `rv-plan --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::plan::Args::parse())
}

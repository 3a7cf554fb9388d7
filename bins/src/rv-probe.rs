//! `rv-probe`: see `rv-probe --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::probe::Args::parse())
}

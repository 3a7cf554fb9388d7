//! `rv-probe`: see `rv-probe --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::probe::main(&rv::commands::probe::Args::parse())
}

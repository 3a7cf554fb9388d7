//! `rv-submit`: see `rv-submit --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::submit::Args::parse())
}

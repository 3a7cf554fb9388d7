//! `rv-watch`: see `rv-watch --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::watch::Args::parse())
}

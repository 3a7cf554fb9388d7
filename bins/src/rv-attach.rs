//! `rv-attach`: see `rv-attach --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    rv::commands::main(&rv::commands::attach::Args::parse())
}

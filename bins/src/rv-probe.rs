//! `rv-probe`: see `rv-probe --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Probe.main_not_implemented()
}

//! `rv-plan`: see `rv-plan --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Plan.main_not_implemented()
}

//! `rv-watch`: see `rv-watch --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Watch.main_not_implemented()
}

//! `rv-submit`: see `rv-submit --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Submit.main_not_implemented()
}

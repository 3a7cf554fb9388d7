//! `rv-attach`: see `rv-attach --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Attach.main_not_implemented()
}

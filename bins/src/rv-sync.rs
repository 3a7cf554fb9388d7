//! `rv-sync`: see `rv-sync --help`.

fn main() -> std::process::ExitCode {
    rv::cli::Tool::Sync.main_not_implemented()
}

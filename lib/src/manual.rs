//! Man pages and shell completions, generated from the same clap definitions the binaries
//! parse with, so they cannot drift: a test compares them with `man/` and `completions/`.

use clap::Command;
use clap_complete::Shell;

use crate::cli::{self, TOOLS};

/// The environment section every page carries.
const ENVIRONMENT: &str = "ENVIRONMENT\n  \
    RV_CONFIG       the config file (default ~/.rv/config.toml)\n  \
    RV_STATE_DIR    rv's local state (default ~/.rv)\n  \
    RV_SSH_HOST, RV_SSH_USER, RV_SSH_PORT, RV_SSH_KEY, RV_SSH_CONFIG\n                  \
    how to reach the cluster (override [connection])\n  \
    RV_PROFILE, RV_ACCOUNT, RV_GPU_TYPE, RV_TIME, RV_PARTITION, RV_SCRATCH, RV_REMOTE_HOME\n                  \
    site profile and request defaults\n  \
    RV_KEY_FILE     the key of the secrets store (default ~/.config/rv/secret.key)\n  \
    RV_SITE_URL     where rv upgrade looks for releases (default https://rivanna.dev)\n  \
    RV_TRACE        print the number of SSH round trips on stderr\n  \
    NO_COLOR        plain output\n  \
    COMPLETE        set by the completion scripts when a shell asks rv for completions\n\n\
    FILES\n  \
    ~/.rv/config.toml        configuration\n  \
    ~/.rv/profiles/*.toml    site profiles (add to or replace the built-in Rivanna one)\n  \
    ~/.rv/requests/*.json    every request, recorded before it is submitted\n  \
    ~/.rv/secrets            rv env's variables, encrypted\n  \
    ~/.rv/forwards/, ~/.rv/sync/   port forwards in use; what rv-sync pushed where\n  \
    ~/.rv/cm/                the SSH control sockets\n  \
    /scratch/<user>/.rv/     scripts, claims, logs, checkpoints and env files on the cluster\n\n\
    NDJSON\n  \
    The pipeline tools read and write one JSON record per line, each with a type and a\n  \
    schema version v; --json shapes of the other commands are in docs/json.md.";

/// Every command with a page: `rv`, each built-in `rv <sub>`, each `rv-*` tool.
fn commands() -> Vec<(String, Command)> {
    let rv = cli::rv();
    let mut out = vec![("rv".to_owned(), rv.clone())];
    for sub in rv.get_subcommands() {
        let name = format!("rv-{}", sub.get_name());
        // A tool's own page documents it; `rv attach` shares `rv-attach`'s.
        if TOOLS.iter().any(|t| t.binary() == name) {
            continue;
        }
        out.push((name.clone(), sub.clone().name(name)));
    }
    for tool in TOOLS {
        out.push((tool.binary().to_owned(), tool.command()));
    }
    // Their own subcommands (`rv env set`, `rv-sync push`, …) get pages too, so the
    // SUBCOMMANDS sections point at pages that exist.
    let nested: Vec<(String, Command)> = out
        .iter()
        .skip(1)
        .flat_map(|(name, cmd)| {
            let mut cmd = cmd.clone();
            cmd.build();
            cmd.get_subcommands()
                .filter(|sub| sub.get_name() != "help")
                .map(|sub| {
                    let page = format!("{name}-{}", sub.get_name());
                    (page.clone(), sub.clone().name(page))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.extend(nested);
    out
}

/// The man pages: (`file name`, roff).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    commands()
        .into_iter()
        .map(|(name, cmd)| {
            let long = match cmd.get_after_long_help().or(cmd.get_after_help()) {
                Some(after) => format!("{after}\n\n{ENVIRONMENT}"),
                None => ENVIRONMENT.to_owned(),
            };
            let cmd = cmd.after_long_help(long).version(env!("CARGO_PKG_VERSION"));
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .expect("rendering to memory cannot fail");
            (format!("{name}.1"), page)
        })
        .collect()
}

/// The shells rv writes completions for.
pub const SHELLS: &[Shell] = &[
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// The environment variable through which a shell asks `rv` for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

/// Completions of `rv` for `shell`: a small script that asks `rv` itself at each <Tab>
/// (`COMPLETE=<shell> rv -- <words>`), so subcommands, flags and values come from the same
/// definitions, and job arguments complete from your recent jobs.
pub fn completion(shell: Shell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        _ => &Powershell,
    };
    let mut out = Vec::new();
    completer
        .write_registration(COMPLETE_VAR, "rv", "rv", "rv", &mut out)
        .expect("writing to memory");
    if shell == Shell::Zsh {
        // Autoloaded from `fpath` as `_rv`, the first <Tab> runs this file: complete then too.
        out.extend_from_slice(
            b"[[ ${funcstack[1]} == _rv ]] && _clap_dynamic_completer_rv \"$@\"\n",
        );
    }
    out
}

/// The completion files: (`file name`, script).
pub fn completions() -> Vec<(String, Vec<u8>)> {
    SHELLS
        .iter()
        .map(|&shell| {
            let name = match shell {
                Shell::Bash => "rv.bash".to_owned(),
                Shell::Zsh => "_rv".to_owned(),
                Shell::Fish => "rv.fish".to_owned(),
                Shell::Elvish => "rv.elv".to_owned(),
                _ => "_rv.ps1".to_owned(),
            };
            (name, completion(shell))
        })
        .collect()
}

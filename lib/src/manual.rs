//! Man pages, generated from the same clap definitions the binaries parse with, so they
//! cannot drift: a test compares them with `man/` (and the completions, from
//! [`crate::cli::completions`], with `completions/`).

use clap::Command;

use crate::cli::{self, TOOLS};

/// The environment section every page carries.
const ENVIRONMENT: &str = "ENVIRONMENT\n  \
    RV_CONFIG       the config file (default ~/.rv/config.toml)\n  \
    RV_STATE_DIR    rv's local state (default ~/.rv)\n  \
    RV_SSH_HOST, RV_SSH_USER, RV_SSH_PORT, RV_SSH_KEY, RV_SSH_CONFIG\n                  \
    how to reach the cluster (override [connection])\n  \
    RV_PROFILE, RV_ACCOUNT, RV_GPU_TYPE, RV_TIME, RV_PARTITION, RV_LEASE, RV_SCRATCH,\n                  \
    RV_REMOTE_HOME  site profile and request defaults\n  \
    RV_KEY_FILE     the key of the secrets store (default ~/.config/rv/secret.key)\n  \
    RV_SITE_URL     where rv upgrade looks for releases (default https://rivanna.dev)\n  \
    RV_TRACE        print the SSH round trips and bytes received on stderr\n  \
    NO_COLOR        no colours (as --no-color); TERM=dumb also turns the live board off\n  \
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
    for &tool in TOOLS {
        out.push((tool.binary().to_owned(), cli::tool(tool)));
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

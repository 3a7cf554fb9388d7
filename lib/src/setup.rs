//! First-time setup (`rv init`): the SSH key and config block, the cluster side (storage
//! and caches), and rv's own config file, each changed in place and idempotently.

use crate::error::Error;
use crate::remote::batch::Batch;
use crate::remote::transport::{SshTarget, run_batch};
use crate::state::StateDir;
use std::path::{Path, PathBuf};

/// The marker lines around what rv writes into other people's files.
pub const BEGIN: &str = "# >>> rv >>>";

/// The closing marker.
pub const END: &str = "# <<< rv <<<";

/// `text` with `block` between the rv markers: replaced in place when there, else appended.
pub fn upsert_block(text: &str, block: &str) -> String {
    let wrapped = format!("{BEGIN}\n{}\n{END}\n", block.trim_end());
    if let (Some(a), Some(b)) = (text.find(BEGIN), text.find(END)) {
        if a < b {
            let after = &text[b + END.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            return format!("{}{wrapped}{after}", &text[..a]);
        }
    }
    let sep = if text.is_empty() || text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    format!("{text}{sep}{wrapped}")
}

/// The SSH `Host` block.
pub fn ssh_block(
    alias: &str,
    host: &str,
    user: &str,
    port: Option<u16>,
    identity: &Path,
) -> String {
    let mut s = format!("Host {alias}\n    HostName {host}\n    User {user}\n");
    if let Some(p) = port {
        s.push_str(&format!("    Port {p}\n"));
    }
    s.push_str(&format!(
        "    IdentityFile {}\n    IdentitiesOnly yes\n    ControlMaster auto\n    ControlPath ~/.ssh/sockets/%r@%h-%p\n    ControlPersist 15m\n    ServerAliveInterval 30\n",
        identity.display()
    ));
    s
}

/// The remote script `rv init` runs first: who and where the user is (`user=`, `home=`,
/// `scratch=` as [`crate::script::scratch_command`] prints it), then the sections it reads
/// accounts and storage from: the site tools' output (`allocations`, `hdquota`, Rivanna's;
/// empty elsewhere), and the accounts Slurm's accounting knows (`accounts`: the default
/// first, from `sacctmgr`, else `sshare`).
pub fn discovery_script() -> String {
    format!(
        r#"echo "user=$(id -un)"
echo "home=$HOME"
printf 'scratch='; {scratch}
echo "rv-section allocations"
allocations 2>/dev/null
echo "rv-section hdquota"
hdquota 2>/dev/null
echo "rv-section accounts"
{{ sacctmgr -n -P show user "$(id -un)" format=defaultaccount; sacctmgr -n -P show assoc where user="$(id -un)" format=account; }} 2>/dev/null | grep . ||
  sshare -U -h -P -o account 2>/dev/null
true
"#,
        scratch = crate::script::scratch_command(None),
    )
}

/// What [`discovery_script`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    /// The cluster user.
    pub user: String,
    /// The home directory on the cluster.
    pub home: String,
    /// Scratch, as found (`None`: not reported).
    pub scratch: Option<crate::records::Scratch>,
    /// Service-unit balances from `allocations`.
    pub allocations: Vec<crate::site_tools::Allocation>,
    /// Storage from `hdquota`.
    pub quotas: Vec<crate::site_tools::Quota>,
    /// The accounts Slurm knows for the user, the default first, each once.
    pub accounts: Vec<String>,
}

/// Reads [`discovery_script`]'s output.
pub fn parse_discovery(text: &str) -> Discovered {
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_default()
            .to_owned()
    };
    let mut accounts: Vec<String> = Vec::new();
    for a in section(text, "accounts").lines().map(str::trim) {
        let a = a.split('|').next().unwrap_or_default();
        if !a.is_empty() && !accounts.iter().any(|x| x == a) {
            accounts.push(a.to_owned());
        }
    }
    Discovered {
        user: value("user="),
        home: value("home="),
        scratch: crate::script::parse_scratch(&value("scratch=")),
        allocations: crate::site_tools::parse_allocations(&section(text, "allocations"))
            .unwrap_or_default(),
        quotas: crate::site_tools::parse_hdquota(&section(text, "hdquota")).unwrap_or_default(),
        accounts,
    }
}

/// The remote script that points caches at `scratch` in `~/.bashrc` (and `~/.zshrc`,
/// fish's config when they exist), between markers, rewriting a file only when it changes.
pub fn remote_setup_script(scratch: &str) -> String {
    let vars = [
        ("HF_HOME", "huggingface"),
        ("UV_CACHE_DIR", "uv"),
        ("PIP_CACHE_DIR", "pip"),
        ("TORCH_HOME", "torch"),
        ("TRITON_CACHE_DIR", "triton"),
        ("WANDB_DIR", "wandb"),
        ("WANDB_CACHE_DIR", "wandb"),
        ("VLLM_CACHE_ROOT", "vllm"),
        ("XDG_CACHE_HOME", ""),
    ];
    // Inside double quotes, which sh and fish both read; `specials` are escaped.
    let dir = |d: &str, specials: &[char]| {
        let mut q = String::from("\"");
        for c in scratch.chars() {
            if specials.contains(&c) {
                q.push('\\');
            }
            q.push(c);
        }
        format!("{q}/.cache{}{d}\"", if d.is_empty() { "" } else { "/" })
    };
    let sh: Vec<String> = vars
        .iter()
        .map(|(k, d)| format!("export {k}={}", dir(d, &['"', '\\', '$', '`'])))
        .collect();
    let fish: Vec<String> = vars
        .iter()
        .map(|(k, d)| format!("set -gx {k} {}", dir(d, &['"', '\\', '$'])))
        .collect();
    format!(
        r#"upsert() {{
  f=$1; block=$2
  [ -f "$f" ] || : >"$f"
  new=$(awk -v b='{BEGIN}' -v e='{END}' '$0 == b {{ skip = 1; next }} $0 == e {{ skip = 0; next }} !skip' "$f")
  new=$(printf '%s\n%s\n%s\n%s\n' "$new" '{BEGIN}' "$block" '{END}' | sed '/./,$!d')
  [ "$new" = "$(cat "$f")" ] || printf '%s\n' "$new" >"$f"
}}
upsert "$HOME/.bashrc" {sh}
[ -f "$HOME/.zshrc" ] && upsert "$HOME/.zshrc" {sh}
[ -f "$HOME/.config/fish/config.fish" ] && upsert "$HOME/.config/fish/config.fish" {fish}
true
"#,
        sh = crate::util::quote(&sh.join("\n")),
        fish = crate::util::quote(&fish.join("\n")),
    )
}

/// The cluster as the SSH config names it: `Host <alias>` reaching `host` (on `port`).
#[derive(Debug, Clone, Copy)]
pub struct HostEntry<'a> {
    /// The `Host` alias rv and editors use.
    pub alias: &'a str,
    /// The login node's name.
    pub host: &'a str,
    /// Its SSH port, when not 22.
    pub port: Option<u16>,
}

/// Writes the `Host` block into `ssh_config` (only when it changes) and makes the sockets
/// directory.
pub fn write_ssh_config(
    ssh_dir: &Path,
    ssh_config: &Path,
    entry: HostEntry<'_>,
    user: &str,
    identity: &Path,
) -> Result<(), String> {
    let sockets = ssh_dir.join("sockets");
    std::fs::create_dir_all(&sockets).map_err(|e| format!("{}: {e}", sockets.display()))?;
    let _ = std::fs::set_permissions(
        &sockets,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    );
    let before = std::fs::read_to_string(ssh_config).unwrap_or_default();
    let after = upsert_block(
        &before,
        &ssh_block(entry.alias, entry.host, user, entry.port, identity),
    );
    if after != before {
        if let Some(dir) = ssh_config.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(ssh_config, &after).map_err(|e| format!("{}: {e}", ssh_config.display()))?;
        eprintln!(
            "rv init: wrote the `{}` block in {}",
            entry.alias,
            ssh_config.display()
        );
    }
    Ok(())
}

/// The lines after `rv-section <name>` up to the next section.
pub fn section(text: &str, name: &str) -> String {
    let start = format!("rv-section {name}");
    text.lines()
        .skip_while(|l| *l != start)
        .skip(1)
        .take_while(|l| !l.starts_with("rv-section "))
        .fold(String::new(), |mut out, l| {
            out.push_str(l);
            out.push('\n');
            out
        })
}

/// The SSH key to log in with: an existing `id_ed25519` (or `id_rsa`), else a new ed25519
/// key made with `ssh-keygen`.
pub fn find_or_make_key(ssh_dir: &Path) -> Result<PathBuf, String> {
    for name in ["id_ed25519", "id_rsa"] {
        let p = ssh_dir.join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    let key = ssh_dir.join("id_ed25519");
    std::fs::create_dir_all(ssh_dir).map_err(|e| format!("{}: {e}", ssh_dir.display()))?;
    eprintln!("rv init: making a new SSH key, {}", key.display());
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rv", "-f"])
        .arg(&key)
        .status()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?
        .success();
    if ok {
        Ok(key)
    } else {
        Err("ssh-keygen failed".into())
    }
}

/// Checks that the key logs in; otherwise installs it with `ssh-copy-id` (interactive) or
/// says how.
pub fn ensure_key_accepted(
    target: &SshTarget,
    identity: &Path,
    interactive: bool,
) -> Result<(), String> {
    let mut check = std::process::Command::new("ssh");
    if let Some(c) = &target.config_file {
        check.arg("-F").arg(c);
    }
    let ok = check
        // First contact remembers the host's key (trust on first use), as ssh would ask to.
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            "ConnectTimeout=20",
            "-o",
            "ControlMaster=no",
            "-o",
            "ControlPath=none",
        ])
        .arg(&target.host)
        .arg("true")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Ok(());
    }
    let copy = format!("ssh-copy-id -i {}.pub {}", identity.display(), target.host);
    if !interactive {
        return Err(format!(
            "the cluster does not accept {} yet: run `{copy}` once",
            identity.display()
        ));
    }
    eprintln!("rv init: installing your key on the cluster (it asks for your password once)");
    let mut cmd = std::process::Command::new("ssh-copy-id");
    cmd.arg("-i").arg(identity.with_extension("pub"));
    if let Some(c) = &target.config_file {
        cmd.arg("-o")
            .arg(format!("IdentityFile={}", identity.display()));
        cmd.args(["-F"]).arg(c);
    }
    let copied = cmd.arg(&target.host).status().is_ok_and(|s| s.success());
    if copied {
        Ok(())
    } else {
        Err(format!("`{copy}` failed"))
    }
}

/// Runs `script` on the cluster over rv's usual connection (the config file is being
/// written, so the context is made here rather than loaded).
pub fn remote(target: &SshTarget, state: StateDir, script: &str) -> Result<String, Error> {
    let ctx = crate::session::Session {
        stage: "rv init",
        config: crate::config::Config::default(),
        state,
        target: Some(target.clone()),
    };
    let mut b = Batch::new();
    let i = b.command(script.to_owned());
    let reply = ctx.remote(async |conn| Ok(run_batch(conn, &b).await?))?;
    let out = &reply.outputs[i];
    if out.ok() {
        Ok(out.stdout.clone())
    } else {
        Err(Error::cluster(format!(
            "setting up the cluster side failed: {}",
            out.stderr.trim()
        )))
    }
}

/// Updates `config.toml`: the keys rv init manages, keeping every other one.
pub fn write_config(
    path: &Path,
    alias: &str,
    user: &str,
    ssh_config: Option<&Path>,
    account: Option<&str>,
    scratch: &str,
    home: &str,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut doc: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut set = |section: &str, key: &str, value: Option<String>| {
        let Some(v) = value else { return };
        let t = doc
            .entry(section.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = t {
            t.insert(key.to_owned(), toml::Value::String(v));
        }
    };
    set("connection", "host", Some(alias.to_owned()));
    set("connection", "user", Some(user.to_owned()));
    set(
        "connection",
        "ssh_config",
        ssh_config.map(|p| p.display().to_string()),
    );
    set("defaults", "account", account.map(str::to_owned));
    set("paths", "scratch", Some(scratch.to_owned()));
    set("paths", "home", (!home.is_empty()).then(|| home.to_owned()));
    let new = toml::to_string(&doc).map_err(|e| e.to_string())?;
    crate::config::Config::parse(&path.display().to_string(), &new).map_err(|e| e.to_string())?;
    if new != text {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_replaced_in_place_or_appended() {
        let first = upsert_block("Host other\n    User x\n", "Host rv-hpc\n    User a");
        assert_eq!(
            first,
            format!("Host other\n    User x\n\n{BEGIN}\nHost rv-hpc\n    User a\n{END}\n")
        );
        let again = upsert_block(&first, "Host rv-hpc\n    User a");
        assert_eq!(again, first, "idempotent");
        let changed = upsert_block(&format!("{first}Host after\n"), "Host rv-hpc\n    User b");
        assert_eq!(
            changed,
            format!(
                "Host other\n    User x\n\n{BEGIN}\nHost rv-hpc\n    User b\n{END}\nHost after\n"
            )
        );
        assert_eq!(upsert_block("", "X"), format!("{BEGIN}\nX\n{END}\n"));
    }

    #[test]
    fn the_host_block_keeps_one_master() {
        let b = ssh_block(
            "rv-hpc",
            "login.hpc.virginia.edu",
            "abs6bd",
            None,
            Path::new("/h/.ssh/id_ed25519"),
        );
        assert!(
            b.starts_with("Host rv-hpc\n    HostName login.hpc.virginia.edu\n    User abs6bd\n")
        );
        assert!(b.contains("ControlMaster auto\n") && b.contains("ControlPersist 15m\n"));
    }

    #[test]
    fn the_remote_scripts_are_clean_shell() {
        let script = remote_setup_script("/scratch/it's $me");
        for s in [&script, &discovery_script()] {
            let out = std::process::Command::new("sh")
                .args(["-n", "-c", s])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            script.contains(r#"export HF_HOME="/scratch/it'\''s \$me/.cache/huggingface""#),
            "{script}"
        );
        let d = parse_discovery(
            "user=alice\nhome=/home/alice\nscratch=yes|home|/home/alice\n\
             rv-section allocations\nrv-section hdquota\nrv-section accounts\n\
             physics\nchem\nphysics\n",
        );
        assert_eq!(d.accounts, ["physics", "chem"]);
        assert_eq!(d.scratch.unwrap().dir, "/home/alice");
        assert!(d.allocations.is_empty() && d.quotas.is_empty());
        assert_eq!(
            section("a\nrv-section x\n1\n---\n2\nrv-section y\n3\n", "x"),
            "1\n---\n2\n"
        );
    }
}

//! Replacing rv with the latest release: which assets, checked against `SHA256SUMS`, all
//! downloaded and verified before any binary is replaced.

use sha2::Digest;
use std::path::{Path, PathBuf};

/// The site rv checks for releases (`RV_SITE_URL` overrides it).
pub const SITE: &str = "https://rivanna.dev";

/// `linux`/`macos` × `x86_64`/`aarch64` as release assets name it: `rv-linux-x86_64`.
pub fn platform() -> String {
    let os = if cfg!(target_os = "macos") {
        "macos"
    } else {
        "linux"
    };
    let arch = if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "x86_64"
    };
    format!("rv-{os}-{arch}")
}

/// Whether `a` is a newer dotted version than `b` (`0.10.0` > `0.9.3`).
pub fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.trim_start_matches('v')
            .split(['.', '-', '+'])
            .map_while(|p| p.parse().ok())
            .collect()
    };
    parts(a) > parts(b)
}

/// The package manager that owns `exe`, if any, and how to upgrade with it.
pub fn managed_by(exe: &Path) -> Option<&'static str> {
    let p = exe.to_string_lossy();
    [
        ("/nix/store/", "nix: update your profile or flake"),
        ("/Cellar/", "Homebrew: brew upgrade rv"),
        ("/opt/homebrew/", "Homebrew: brew upgrade rv"),
        ("/.cargo/bin/", "cargo: cargo install --locked rv-cli"),
        ("/usr/bin/", "your system's package manager"),
    ]
    .iter()
    .find(|(prefix, _)| p.contains(prefix))
    .map(|(_, how)| *how)
}

/// The checksum `SHA256SUMS` lists for `asset`.
pub fn listed_sum<'a>(sums: &'a str, asset: &str) -> Option<&'a str> {
    sums.lines().find_map(|l| {
        let (hash, name) = l.split_once(char::is_whitespace)?;
        let name = name.trim_start().trim_start_matches('*');
        (name == asset).then_some(hash)
    })
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::util::hex(&sha2::Sha256::digest(bytes))
}

/// Upgrades the binary at `exe` (and its installed sibling tools) from `site` to `to`, or
/// the latest release; with `check`, only reports. Everything is downloaded and checked
/// before anything is replaced.
pub async fn upgrade(
    site: &str,
    current: &str,
    exe: &Path,
    to: Option<&str>,
    check: bool,
) -> Result<serde_json::Value, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .user_agent(format!("rv/{current}"))
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let latest = match to {
        Some(v) => v.trim_start_matches('v').to_owned(),
        None => {
            let url = format!("{site}/api/cli/version");
            let body = get(&client, &url).await?;
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))?;
            v["version"]
                .as_str()
                .ok_or_else(|| format!("{url}: no \"version\""))?
                .to_owned()
        }
    };
    let report = |upgraded: bool| serde_json::json!({"current": current, "latest": latest, "upgraded": upgraded, "path": exe});
    if to.is_none() && !newer(&latest, current) {
        eprintln!("rv upgrade: rv {current} is the latest");
        return Ok(report(false));
    }
    if check {
        eprintln!("rv upgrade: rv {latest} is out (you have {current}); `rv upgrade` installs it");
        return Ok(report(false));
    }
    if let Some(how) = managed_by(exe) {
        eprintln!(
            "rv upgrade: rv {latest} is out; {} was installed by {how}",
            exe.display()
        );
        return Ok(report(false));
    }
    let base = format!("{site}/api/downloads/cli/{latest}");
    let sums =
        String::from_utf8_lossy(&get(&client, &format!("{base}/SHA256SUMS")).await?).into_owned();
    let dir = exe.parent().ok_or("the binary has no directory")?;
    // Everything is downloaded and checked before anything is replaced.
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let plat = platform();
    let wanted = std::iter::once(("rv".to_owned(), plat.clone()))
        .chain(crate::external::TOOLS.iter().map(|t| {
            let name = t.binary();
            (name.to_owned(), format!("{plat}-{name}"))
        }))
        .filter(|(name, _)| name == "rv" || dir.join(name).exists());
    for (name, asset) in wanted {
        let bytes = get(&client, &format!("{base}/{asset}")).await?;
        let want =
            listed_sum(&sums, &asset).ok_or_else(|| format!("{asset} is not in SHA256SUMS"))?;
        let got = sha256_hex(&bytes);
        if !got.eq_ignore_ascii_case(want) {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(format!(
                "{asset}: checksum mismatch (got {got}, SHA256SUMS says {want}); nothing was replaced"
            ));
        }
        let target = if name == "rv" {
            exe.to_path_buf()
        } else {
            dir.join(&name)
        };
        let tmp = dir.join(format!(".{name}.upgrade.{}", std::process::id()));
        write_executable(&tmp, &bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
        staged.push((tmp, target));
    }
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target)
            .map_err(|e| format!("cannot replace {}: {e}", target.display()))?;
    }
    eprintln!("rv upgrade: rv {current} -> {latest} in {}", dir.display());
    Ok(report(true))
}

fn write_executable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o755)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp
        .bytes()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(newer("0.10.0", "0.9.3"));
        assert!(newer("v1.0.0", "0.99.0"));
        assert!(!newer("0.1.0", "0.1.0"));
        assert!(!newer("0.1.0", "0.2.0"));
    }

    #[test]
    fn sums_are_found_by_asset_name() {
        let sums = "abc  rv-linux-x86_64\ndef *rv-linux-x86_64-rv-sync\n";
        assert_eq!(listed_sum(sums, "rv-linux-x86_64"), Some("abc"));
        assert_eq!(listed_sum(sums, "rv-linux-x86_64-rv-sync"), Some("def"));
        assert_eq!(listed_sum(sums, "rv-macos-aarch64"), None);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn package_managers_keep_their_binaries() {
        assert!(managed_by(Path::new("/opt/homebrew/bin/rv")).is_some());
        assert!(managed_by(Path::new("/home/u/.cargo/bin/rv")).is_some());
        assert_eq!(managed_by(Path::new("/home/u/.local/bin/rv")), None);
    }
}

//! Releases: the latest version and release assets, from the GitHub API (the only outside
//! service), cached for a while.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer from GitHub is reused.
pub const TTL: Duration = Duration::from_secs(300);

/// The platforms rv is built for.
pub const PLATFORMS: &[&str] = &[
    "rv-linux-x86_64",
    "rv-linux-aarch64",
    "rv-macos-x86_64",
    "rv-macos-aarch64",
];
/// Whether `asset` is something a release carries: a platform's `rv` or tool, the man or
/// completion archive, or `SHA256SUMS`.
pub fn known_asset(asset: &str) -> bool {
    if ["SHA256SUMS", "rv-man.tar.gz", "rv-completions.tar.gz"].contains(&asset) {
        return true;
    }
    PLATFORMS.iter().any(|p| {
        asset == *p
            || asset
                .strip_prefix(p)
                .and_then(|t| t.strip_prefix('-'))
                .is_some_and(|t| rv::cli::TOOLS.iter().any(|tool| tool.binary() == t))
    })
}

/// A version as it may be asked for: `0.2.0` (digits and dots only).
pub fn valid_version(v: &str) -> bool {
    !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// The version of a release tag (`cli-v0.2.0` → `0.2.0`).
pub fn version_of_tag(tag: &str) -> Option<&str> {
    tag.strip_prefix("cli-v").filter(|v| valid_version(v))
}

/// The download URL of `asset` in a GitHub release JSON.
pub fn asset_url(release: &serde_json::Value, asset: &str) -> Option<String> {
    release["assets"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == asset)?["browser_download_url"]
        .as_str()
        .map(str::to_owned)
}

/// GitHub's releases of one repository.
#[derive(Debug)]
pub struct Releases {
    client: reqwest::Client,
    api: String,
    repo: String,
    cache: Mutex<HashMap<String, (Instant, Option<serde_json::Value>)>>,
}

impl Releases {
    /// Releases of `repo` (`owner/name`) at the API base `api`.
    pub fn new(api: &str, repo: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("rv-site/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(Releases {
            client,
            api: api.trim_end_matches('/').to_owned(),
            repo: repo.to_owned(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The release `latest`, or the one of `version`; `None` when there is no such release.
    pub async fn release(
        &self,
        version: Option<&str>,
    ) -> Result<Option<serde_json::Value>, String> {
        let path = match version {
            None => format!("repos/{}/releases/latest", self.repo),
            Some(v) => format!("repos/{}/releases/tags/cli-v{v}", self.repo),
        };
        if let Some((at, value)) = self.cache.lock().expect("not poisoned").get(&path) {
            if at.elapsed() < TTL {
                return Ok(value.clone());
            }
        }
        let url = format!("{}/{path}", self.api);
        let resp = self
            .client
            .get(&url)
            .header("Accept", "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let value = match resp.status().as_u16() {
            200 => {
                let body = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
                Some(serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))?)
            }
            404 => None,
            code => return Err(format!("{url}: HTTP {code}")),
        };
        self.cache
            .lock()
            .expect("not poisoned")
            .insert(path, (Instant::now(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_release_assets_are_served() {
        for ok in [
            "rv-linux-x86_64",
            "rv-macos-aarch64-rv-sync",
            "SHA256SUMS",
            "rv-man.tar.gz",
        ] {
            assert!(known_asset(ok), "{ok}");
        }
        for bad in [
            "rv-windows-x86_64",
            "rv-linux-x86_64-rm",
            "../etc/passwd",
            "",
            "rv-linux-x86_64-",
        ] {
            assert!(!known_asset(bad), "{bad}");
        }
        assert_eq!(version_of_tag("cli-v0.2.0"), Some("0.2.0"));
        assert_eq!(version_of_tag("v0.2.0"), None);
        assert!(!valid_version("0.2.0/../x"));
    }

    #[test]
    fn assets_are_found_by_name() {
        let release = serde_json::json!({"tag_name": "cli-v0.2.0", "assets": [
            {"name": "rv-linux-x86_64", "browser_download_url": "https://example/rv-linux-x86_64"}
        ]});
        assert_eq!(
            asset_url(&release, "rv-linux-x86_64").as_deref(),
            Some("https://example/rv-linux-x86_64")
        );
        assert_eq!(asset_url(&release, "SHA256SUMS"), None);
    }
}

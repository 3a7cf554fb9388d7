//! rv's local state directory (`~/.rv/`, or `RV_STATE_DIR`): the config, profiles,
//! recorded requests and ssh control sockets. The directory is 0700 and every file rv
//! writes in it is 0600, written atomically (a temporary file renamed into place).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Where the state lives: `RV_STATE_DIR`, else `<home>/.rv`.
    pub fn default_root(env: &impl Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
        env("RV_STATE_DIR")
            .filter(|d| !d.is_empty())
            .map_or_else(|| home.join(".rv"), PathBuf::from)
    }

    /// Opens (creating if needed) the directory at `root`, and makes it private (0700) if
    /// it was not.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        private_dir(&root)?;
        Ok(StateDir { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where ssh control sockets go (kept short: socket paths are limited to ~104 bytes).
    pub fn control_dir(&self) -> PathBuf {
        self.root.join("cm")
    }

    /// Where user profiles go.
    pub fn profiles_dir(&self) -> PathBuf {
        self.root.join("profiles")
    }

    /// Writes `bytes` to `relative` inside the directory: mode 0600, parents 0700, never
    /// visible half-written.
    pub fn write_private(&self, relative: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            private_dir(parent)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_written_is_private() {
        let root = std::env::temp_dir().join(format!("rv-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let state = StateDir::open(&root).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&root),
            0o700,
            "an existing open directory is tightened"
        );
        let path = state.write_private("requests/r-1.json", b"{}").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        state
            .write_private("requests/r-1.json", b"{\"v\":1}")
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"v\":1}");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn root_comes_from_the_environment_or_home() {
        let home = Path::new("/home/me");
        assert_eq!(
            StateDir::default_root(&|_| None, home),
            PathBuf::from("/home/me/.rv")
        );
        let env = |k: &str| (k == "RV_STATE_DIR").then(|| "/tmp/rvs".to_owned());
        assert_eq!(
            StateDir::default_root(&env, home),
            PathBuf::from("/tmp/rvs")
        );
    }
}

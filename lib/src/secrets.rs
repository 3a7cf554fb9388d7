//! `rv env`: variables and secrets for jobs, encrypted at rest.
//!
//! The store (`~/.rv/secrets`) is one ChaCha20-Poly1305 message: a magic header, a fresh
//! random nonce per write, and the JSON list of variables. The 256-bit key lives in its own
//! file, away from the data (`RV_KEY_FILE`, else `~/.config/rv/secret.key`, 0600, created on
//! first use), so a copy of `~/.rv` alone reveals nothing. Values reach a job only through
//! the request's env file (0600, written before `sbatch`, read and removed by the job).

use crate::util::random;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key as AeadKey, Nonce};

use crate::state::StateDir;

/// The store's file name inside the state directory.
pub const STORE: &str = "secrets";
/// The first bytes of the store (and its associated data): the format and its version.
const MAGIC: &[u8] = b"rv-secrets-1\n";
/// What `list` shows instead of a secret's value.
pub const MASK: &str = "********";

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file is not 32 bytes.
    #[error("{0}: not an rv key file (expected 32 bytes)")]
    BadKey(PathBuf),
    /// Decryption failed: another key, or the file was changed.
    #[error(
        "{0}: cannot decrypt (a different key file, or the store was altered); move it away to start over"
    )]
    Undecryptable(PathBuf),
    /// A variable name that the shell could not take.
    #[error("{0:?} is not a variable name (letters, digits and _, not starting with a digit)")]
    BadName(String),
}

/// One variable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Var {
    /// Its name.
    pub name: String,
    /// Its value, exactly.
    pub value: String,
    /// Whether `list` masks it.
    pub secret: bool,
}

/// The store's content, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Store {
    /// The variables.
    pub vars: Vec<Var>,
}

/// The encryption key.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// Where the key file is: `RV_KEY_FILE`, else `<home>/.config/rv/secret.key`.
    pub fn default_path(env: &impl Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
        env("RV_KEY_FILE")
            .filter(|p| !p.is_empty())
            .map_or_else(|| home.join(".config/rv/secret.key"), PathBuf::from)
    }

    /// Reads the key at `path`, or creates one (random, 0600) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretsError> {
        let io = |source| SecretsError::Io {
            path: path.to_owned(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| SecretsError::BadKey(path.to_owned()))?;
                Ok(Key(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = random().map_err(io)?;
                // A directory rv creates is private; an existing one is left as it is.
                if let Some(dir) = path.parent().filter(|d| !d.exists()) {
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o700)
                        .create(dir)
                        .map_err(io)?;
                }
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(io)?;
                std::io::Write::write_all(&mut file, &key).map_err(io)?;
                Ok(Key(key))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key(bytes)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&AeadKey::from(self.0))
    }
}

/// Encrypts `store` into the file format.
pub fn seal(store: &Store, key: &Key) -> std::io::Result<Vec<u8>> {
    let nonce: [u8; 12] = random()?;
    let plain = serde_json::to_vec(store).expect("the store always serializes");
    let sealed = key
        .cipher()
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: MAGIC,
            },
        )
        .map_err(|_| std::io::Error::other("encryption failed"))?;
    Ok([MAGIC, &nonce, &sealed].concat())
}

/// Decrypts the file format; `None` when the key is wrong or the bytes were changed.
pub fn open(bytes: &[u8], key: &Key) -> Option<Store> {
    let rest = bytes.strip_prefix(MAGIC)?;
    if rest.len() < 12 {
        return None;
    }
    let (nonce, sealed) = rest.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let plain = key
        .cipher()
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: MAGIC,
            },
        )
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

/// The user's key (at `RV_KEY_FILE`, else `~/.config/rv/secret.key`; created on first use)
/// and the store it opens in `state`: what `rv env`, `rv notify` and every submission read.
pub fn open_store(state: &StateDir) -> Result<(Key, Store), SecretsError> {
    let env = |k: &str| std::env::var(k).ok();
    let key = Key::load_or_create(&Key::default_path(&env, &crate::util::home()))?;
    let store = Store::load(state, &key)?;
    Ok((key, store))
}

impl Store {
    /// Reads the store in `state` (empty when there is none yet).
    pub fn load(state: &StateDir, key: &Key) -> Result<Self, SecretsError> {
        let path = state.root().join(STORE);
        match std::fs::read(&path) {
            Ok(bytes) => open(&bytes, key).ok_or(SecretsError::Undecryptable(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(source) => Err(SecretsError::Io { path, source }),
        }
    }

    /// Writes the store, encrypted, privately and atomically.
    pub fn save(&self, state: &StateDir, key: &Key) -> Result<(), SecretsError> {
        let path = state.root().join(STORE);
        let io = |source| SecretsError::Io {
            path: path.clone(),
            source,
        };
        let bytes = seal(self, key).map_err(io)?;
        state.write_private(STORE, &bytes).map_err(io)?;
        Ok(())
    }

    /// Sets `name` (replacing any value it had).
    pub fn set(&mut self, name: &str, value: &str, secret: bool) -> Result<(), SecretsError> {
        if !is_name(name) {
            return Err(SecretsError::BadName(name.to_owned()));
        }
        let var = Var {
            name: name.to_owned(),
            value: value.to_owned(),
            secret,
        };
        match self.vars.binary_search_by(|v| v.name.as_str().cmp(name)) {
            Ok(i) => self.vars[i] = var,
            Err(i) => self.vars.insert(i, var),
        }
        Ok(())
    }

    /// Removes `name`; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.vars.len();
        self.vars.retain(|v| v.name != name);
        self.vars.len() != before
    }

    /// The variables as they may be shown: secrets masked.
    pub fn masked(&self) -> Vec<Var> {
        self.vars
            .iter()
            .map(|v| Var {
                value: if v.secret {
                    MASK.to_owned()
                } else {
                    v.value.clone()
                },
                ..v.clone()
            })
            .collect()
    }

    /// Name and value pairs for a job's env file.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }
}

/// Whether `name` can be a shell variable.
pub fn is_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a variable called `name` is probably a secret (`list` masks those unless told
/// otherwise): names with KEY, TOKEN, SECRET, PASS, CREDENTIAL, AUTH or PRIVATE.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASS",
        "CREDENTIAL",
        "AUTH",
        "PRIVATE",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// Reads a `.env` file: `NAME=value` lines, optionally `export NAME=value`; values may be
/// single-quoted (literal), double-quoted (`\n`, `\"`, `\\` and `\$` escapes, may span
/// lines) or bare (trailing ` #` comments and blanks trimmed). Errors name the line.
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let n = i + 1;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (name, rest) = line
            .split_once('=')
            .ok_or_else(|| format!("line {n}: expected NAME=value"))?;
        let name = name.trim_end();
        if !is_name(name) {
            return Err(format!("line {n}: {name:?} is not a variable name"));
        }
        let value = if let Some(body) = rest.strip_prefix('\'') {
            let mut body = body.to_owned();
            loop {
                if let Some(end) = body.find('\'') {
                    body.truncate(end);
                    break body;
                }
                let (_, next) = lines
                    .next()
                    .ok_or_else(|| format!("line {n}: unterminated single quote"))?;
                body.push('\n');
                body.push_str(next);
            }
        } else if let Some(body) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars: Vec<char> = body.chars().collect();
            let mut j = 0;
            loop {
                if j == chars.len() {
                    let (_, next) = lines
                        .next()
                        .ok_or_else(|| format!("line {n}: unterminated double quote"))?;
                    value.push('\n');
                    chars = next.chars().collect();
                    j = 0;
                    continue;
                }
                match chars[j] {
                    '"' => break value,
                    '\\' if j + 1 < chars.len() => {
                        j += 1;
                        match chars[j] {
                            'n' => value.push('\n'),
                            't' => value.push('\t'),
                            c @ ('"' | '\\' | '$' | '`') => value.push(c),
                            c => {
                                value.push('\\');
                                value.push(c);
                            }
                        }
                    }
                    c => value.push(c),
                }
                j += 1;
            }
        } else {
            let bare = rest.split(" #").next().unwrap_or_default();
            bare.trim().to_owned()
        };
        out.push((name.to_owned(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::PermissionsExt;

    fn key() -> Key {
        Key::from_bytes([7; 32])
    }

    #[test]
    fn sealed_store_hides_values_and_opens_only_with_its_key() {
        let mut store = Store::default();
        store.set("WANDB_API_KEY", "wk-$'\"`\nend", true).unwrap();
        let bytes = seal(&store, &key()).unwrap();
        assert!(bytes.starts_with(MAGIC));
        assert!(!bytes.windows(6).any(|w| w == b"wk-$'\""), "no plain text");
        assert!(
            !bytes.windows(13).any(|w| w == b"WANDB_API_KEY"),
            "names hidden too"
        );
        assert_eq!(open(&bytes, &key()), Some(store.clone()));
        assert_eq!(open(&bytes, &Key::from_bytes([8; 32])), None, "wrong key");
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&tampered, &key()), None, "tampering is detected");
        assert_ne!(
            seal(&store, &key()).unwrap(),
            bytes,
            "a fresh nonce per write"
        );
    }

    #[test]
    fn set_replaces_keeps_order_and_masks_secrets() {
        let mut s = Store::default();
        s.set("NCCL_DEBUG", "INFO", false).unwrap();
        s.set("HF_TOKEN", "hf-1", true).unwrap();
        s.set("HF_TOKEN", "hf-2", true).unwrap();
        assert!(s.set("1BAD", "x", false).is_err());
        assert!(s.set("A-B", "x", false).is_err());
        let names: Vec<_> = s.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["HF_TOKEN", "NCCL_DEBUG"]);
        let masked = s.masked();
        assert_eq!(masked[0].value, MASK);
        assert_eq!(masked[1].value, "INFO");
        assert_eq!(s.pairs()[0], ("HF_TOKEN".into(), "hf-2".into()));
        assert!(s.remove("HF_TOKEN"));
        assert!(!s.remove("HF_TOKEN"));
    }

    #[test]
    fn secret_names_are_recognised() {
        for n in [
            "WANDB_API_KEY",
            "HF_TOKEN",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in ["NCCL_DEBUG", "OMP_NUM_THREADS", "PYTHONPATH"] {
            assert!(!looks_secret(n), "{n}");
        }
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("rv-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("rv/secret.key");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let a = Key::load_or_create(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            mode(path.parent().unwrap()),
            0o700,
            "a new directory is private"
        );
        assert_eq!(mode(&dir), 0o755, "an existing directory is left alone");
        let b = Key::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            Key::load_or_create(&path),
            Err(SecretsError::BadKey(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dotenv_files_parse_with_quotes_comments_and_errors() {
        let text = "# comment\nexport A=1\nB='x $y \"z\"'\nC=\"line1\\nline2 \\$HOME \\\"q\\\"\"\nD=bare value # note\n\nE='multi\nline'\nF=\"two\nlines\"\n";
        let vars = parse_dotenv(text).unwrap();
        assert_eq!(
            vars,
            [
                ("A".into(), "1".into()),
                ("B".into(), "x $y \"z\"".into()),
                ("C".into(), "line1\nline2 $HOME \"q\"".into()),
                ("D".into(), "bare value".into()),
                ("E".into(), "multi\nline".into()),
                ("F".into(), "two\nlines".into()),
            ]
        );
        assert_eq!(
            parse_dotenv("A=1\nnonsense\n").unwrap_err(),
            "line 2: expected NAME=value"
        );
        assert!(parse_dotenv("A='open\n").unwrap_err().contains("line 1"));
        assert!(
            parse_dotenv("9X=1")
                .unwrap_err()
                .contains("not a variable name")
        );
    }

    proptest! {
        #[test]
        fn dotenv_never_panics(text in "\\PC{0,200}") {
            let _ = parse_dotenv(&text);
        }

        #[test]
        fn store_opening_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = open(&bytes, &key());
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend(&bytes);
            prop_assert_eq!(open(&with_magic, &key()), None);
        }
    }
}

/// The variables every job of this user gets (empty when nothing was ever set; no key is
/// created just to find that out). `notifications.enabled = false` holds back the
/// notification URL and token, so jobs send no events.
pub fn job_vars(
    ctx: &crate::session::Session,
) -> Result<Vec<(String, String)>, crate::error::Error> {
    if !ctx.state.root().join(STORE).exists() {
        return Ok(Vec::new());
    }
    let (_, store) =
        open_store(&ctx.state).map_err(|e| crate::error::Error::from(e).context("rv env"))?;
    Ok(for_jobs(store.pairs(), &ctx.config.notifications))
}

/// The stored variables a job gets: all of them, but the notification URL and token when
/// notifications are paused.
pub fn for_jobs(
    pairs: Vec<(String, String)>,
    notifications: &crate::config::Notifications,
) -> Vec<(String, String)> {
    let paused = notifications.enabled == Some(false);
    pairs
        .into_iter()
        .filter(|(name, _)| !(paused && name.starts_with("RV_NOTIFY_")))
        .collect()
}

#[cfg(test)]
mod job_vars_tests {
    use super::*;
    use crate::config::Notifications;

    #[test]
    fn paused_notifications_keep_the_token_from_jobs() {
        let pairs = vec![
            ("HF_TOKEN".to_owned(), "a".to_owned()),
            ("RV_NOTIFY_TOKEN".to_owned(), "b".to_owned()),
            ("RV_NOTIFY_URL".to_owned(), "c".to_owned()),
        ];
        let names = |n: &Notifications| -> Vec<String> {
            for_jobs(pairs.clone(), n)
                .into_iter()
                .map(|p| p.0)
                .collect()
        };
        let on = Notifications::default();
        assert_eq!(names(&on).len(), 3, "on unless paused");
        let paused = Notifications {
            enabled: Some(false),
            ..Notifications::default()
        };
        assert_eq!(names(&paused), ["HF_TOKEN"]);
    }
}

//! The site's database (SQLite): notification keys, pending email codes, signatures seen
//! (for replay checks) and the event history.
//!
//! Keys are stored by their public id only: the token is derived from the id with the
//! service key (see `rv::notify`), so the database holds no secret a job could sign with.
//! Email codes are stored as an HMAC under the service key.

use std::path::Path;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::Sha256;

use rv::notify::{MAX_SKEW_SECS, Token};
use rv::util::{hex, random, unhex};

/// Codes expire after this many seconds.
pub const CODE_TTL_SECS: i64 = 15 * 60;
/// Wrong guesses allowed per code.
pub const CODE_ATTEMPTS: i64 = 5;
/// Codes sent to one address per hour.
pub const CODES_PER_HOUR: i64 = 3;

/// Why a store operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Too many codes were sent to this address lately.
    #[error("too many codes were sent to this address; try again within the hour")]
    TooManyCodes,
    /// No code is pending for the address, or it expired.
    #[error("no code is pending for this address (or it expired): ask for a new one")]
    NoCode,
    /// The code is wrong.
    #[error("wrong code")]
    WrongCode,
    /// The code was guessed wrong too often.
    #[error("too many wrong codes: ask for a new one")]
    TooManyAttempts,
    /// `SQLite` failed.
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The OS random source failed.
    #[error("random source: {0}")]
    Random(#[from] std::io::Error),
}

/// A stored event, for the history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredEvent {
    /// When the site received it (epoch seconds).
    pub received: i64,
    /// The event as the job sent it.
    pub event: serde_json::Value,
    /// Whether the email went out.
    pub delivered: bool,
}

/// The database and the service key.
#[derive(Debug)]
pub struct Store {
    db: Mutex<Connection>,
    key: Vec<u8>,
}

impl Store {
    /// Opens (creating) the database at `path` (`:memory:` for none). The service key is
    /// `secret` when given, else the one kept in the database (made on first start).
    pub fn open(path: &Path, secret: Option<&str>) -> Result<Store, StoreError> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS keys (id TEXT PRIMARY KEY, email TEXT NOT NULL,
                 created INTEGER NOT NULL, revoked INTEGER);
             CREATE TABLE IF NOT EXISTS codes (email TEXT PRIMARY KEY, digest TEXT NOT NULL,
                 expires INTEGER NOT NULL, attempts INTEGER NOT NULL,
                 window_start INTEGER NOT NULL, sent INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS seen (signature TEXT PRIMARY KEY, at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS seen_at ON seen (at);
             CREATE TABLE IF NOT EXISTS events (n INTEGER PRIMARY KEY AUTOINCREMENT,
                 key_id TEXT NOT NULL, received INTEGER NOT NULL, body TEXT NOT NULL,
                 delivered INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS events_by_key ON events (key_id, n);",
        )?;
        let key = match secret {
            Some(s) => s.as_bytes().to_vec(),
            None => {
                let stored: Option<String> = db
                    .query_row("SELECT value FROM settings WHERE name = 'key'", [], |r| {
                        r.get(0)
                    })
                    .optional()?;
                match stored {
                    Some(k) => k.into_bytes(),
                    None => {
                        let k = hex(&random::<32>()?);
                        db.execute(
                            "INSERT INTO settings (name, value) VALUES ('key', ?1)",
                            params![k],
                        )?;
                        k.into_bytes()
                    }
                }
            }
        };
        Ok(Store {
            db: Mutex::new(db),
            key,
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each call is one
        // statement or transaction), so a poisoned lock is still usable.
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn code_digest(&self, email: &str, code: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(format!("code:{email}:{code}").as_bytes());
        mac
    }

    /// A fresh 6-digit code for `email`, valid for [`CODE_TTL_SECS`]; at most
    /// [`CODES_PER_HOUR`] per address.
    pub fn new_code(&self, email: &str, now: i64) -> Result<String, StoreError> {
        let db = self.db();
        let window: Option<(i64, i64)> = db
            .query_row(
                "SELECT window_start, sent FROM codes WHERE email = ?1",
                params![email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (window_start, sent) = match window {
            Some((start, sent)) if now - start < 3600 => (start, sent),
            _ => (now, 0),
        };
        if sent >= CODES_PER_HOUR {
            return Err(StoreError::TooManyCodes);
        }
        let code = format!("{:06}", u32::from_le_bytes(random::<4>()?) % 1_000_000);
        let digest = hex(&self.code_digest(email, &code).finalize().into_bytes());
        db.execute(
            "INSERT OR REPLACE INTO codes (email, digest, expires, attempts, window_start, sent)
             VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            params![email, digest, now + CODE_TTL_SECS, window_start, sent + 1],
        )?;
        Ok(code)
    }

    /// Checks `code` for `email`; when right, issues a new key and returns its token.
    pub fn confirm(&self, email: &str, code: &str, now: i64) -> Result<Token, StoreError> {
        let db = self.db();
        let row: Option<(String, i64, i64)> = db
            .query_row(
                "SELECT digest, expires, attempts FROM codes WHERE email = ?1",
                params![email],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((digest, _, attempts)) = row.filter(|r| r.1 > now && !r.0.is_empty()) else {
            return Err(StoreError::NoCode);
        };
        if attempts >= CODE_ATTEMPTS {
            return Err(StoreError::TooManyAttempts);
        }
        let right =
            unhex(&digest).is_some_and(|d| self.code_digest(email, code).verify_slice(&d).is_ok());
        if !right {
            db.execute(
                "UPDATE codes SET attempts = attempts + 1 WHERE email = ?1",
                params![email],
            )?;
            return Err(StoreError::WrongCode);
        }
        // Spent: the row stays for the hourly count, without a usable digest.
        db.execute(
            "UPDATE codes SET digest = '', expires = 0 WHERE email = ?1",
            params![email],
        )?;
        let id = hex(&random::<8>()?);
        db.execute(
            "INSERT INTO keys (id, email, created) VALUES (?1, ?2, ?3)",
            params![id, email, now],
        )?;
        Ok(Token::issue(&self.key, &id))
    }

    /// The token and email of an active key.
    pub fn key(&self, id: &str) -> Result<Option<(Token, String)>, StoreError> {
        let email: Option<String> = self
            .db()
            .query_row(
                "SELECT email FROM keys WHERE id = ?1 AND revoked IS NULL",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(email.map(|e| (Token::issue(&self.key, id), e)))
    }

    /// Revokes a key.
    pub fn revoke(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE keys SET revoked = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Records a signature; `false` when it was seen before (a replay). Signatures older
    /// than twice the allowed skew are forgotten: their timestamps are refused anyway.
    pub fn first_sighting(&self, signature: &str, now: i64) -> Result<bool, StoreError> {
        let db = self.db();
        db.execute(
            "DELETE FROM seen WHERE at < ?1",
            params![now - 2 * MAX_SKEW_SECS],
        )?;
        let inserted = db.execute(
            "INSERT OR IGNORE INTO seen (signature, at) VALUES (?1, ?2)",
            params![signature, now],
        )?;
        Ok(inserted == 1)
    }

    /// Records an event; returns its row number.
    pub fn record(&self, key_id: &str, body: &str, now: i64) -> Result<i64, StoreError> {
        let db = self.db();
        db.execute(
            "INSERT INTO events (key_id, received, body, delivered) VALUES (?1, ?2, ?3, 0)",
            params![key_id, now, body],
        )?;
        Ok(db.last_insert_rowid())
    }

    /// Marks event `n` delivered.
    pub fn delivered(&self, n: i64) -> Result<(), StoreError> {
        self.db()
            .execute("UPDATE events SET delivered = 1 WHERE n = ?1", params![n])?;
        Ok(())
    }

    /// The latest `limit` events sent with any key of `email`, newest first.
    pub fn history(&self, email: &str, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let db = self.db();
        let mut q = db.prepare(
            "SELECT e.received, e.body, e.delivered FROM events e JOIN keys k ON k.id = e.key_id
             WHERE k.email = ?1 ORDER BY e.n DESC LIMIT ?2",
        )?;
        let rows = q.query_map(params![email, limit], |r| {
            let body: String = r.get(1)?;
            Ok(StoredEvent {
                received: r.get(0)?,
                event: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
                delivered: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::open(Path::new(":memory:"), Some("test key")).unwrap()
    }

    #[test]
    fn a_right_code_issues_a_key_once() {
        let s = store();
        let code = s.new_code("a@example.org", 100).unwrap();
        assert_eq!(code.len(), 6);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert!(matches!(
            s.confirm("a@example.org", wrong, 101),
            Err(StoreError::WrongCode)
        ));
        let token = s.confirm("a@example.org", &code, 102).unwrap();
        let (again, email) = s.key(token.id()).unwrap().unwrap();
        assert_eq!((again, email.as_str()), (token.clone(), "a@example.org"));
        assert!(
            matches!(
                s.confirm("a@example.org", &code, 103),
                Err(StoreError::NoCode)
            ),
            "a code works once"
        );
        s.revoke(token.id(), 104).unwrap();
        assert!(s.key(token.id()).unwrap().is_none());
    }

    #[test]
    fn codes_expire_and_attempts_and_sends_are_capped() {
        let s = store();
        let code = s.new_code("b@example.org", 0).unwrap();
        assert!(matches!(
            s.confirm("b@example.org", &code, CODE_TTL_SECS + 1),
            Err(StoreError::NoCode)
        ));
        let code = s.new_code("b@example.org", 10).unwrap();
        let wrong = if code == "999999" { "999998" } else { "999999" };
        for _ in 0..CODE_ATTEMPTS {
            let _ = s.confirm("b@example.org", wrong, 11);
        }
        assert!(matches!(
            s.confirm("b@example.org", &code, 12),
            Err(StoreError::TooManyAttempts)
        ));
        assert!(
            s.new_code("b@example.org", 15).is_ok(),
            "the third this hour"
        );
        assert!(matches!(
            s.new_code("b@example.org", 20),
            Err(StoreError::TooManyCodes)
        ));
        assert!(s.new_code("b@example.org", 3700).is_ok(), "a new hour");
    }

    #[test]
    fn signatures_count_once() {
        let s = store();
        assert!(s.first_sighting("sha256=aa", 1000).unwrap());
        assert!(!s.first_sighting("sha256=aa", 1001).unwrap());
        assert!(
            s.first_sighting("sha256=aa", 1000 + 2 * MAX_SKEW_SECS + 1)
                .unwrap()
        );
    }

    #[test]
    fn the_service_key_persists_in_the_database() {
        let path = std::env::temp_dir().join(format!("rv-site-key-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let a = Store::open(&path, None).unwrap();
        let code = a.new_code("c@example.org", 0).unwrap();
        let token = a.confirm("c@example.org", &code, 1).unwrap();
        drop(a);
        let b = Store::open(&path, None).unwrap();
        assert_eq!(b.key(token.id()).unwrap().unwrap().0, token);
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
}

//! A real SMTP server on loopback for tests of mail: Python's aiosmtpd delivering every
//! message into a Maildir the test reads.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An SMTP server on loopback delivering every message into a Maildir; stopped on drop.
#[derive(Debug)]
pub struct SmtpSink {
    server: Child,
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    maildir: PathBuf,
}

impl SmtpSink {
    /// Starts one with its Maildir under `dir`.
    pub fn start(dir: &Path) -> SmtpSink {
        let maildir = dir.join("maildir");
        let port = crate::free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut server = child;
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if t0.elapsed() > Duration::from_secs(20) || server.try_wait().ok().flatten().is_some()
            {
                let _ = server.kill();
                panic!("aiosmtpd did not listen (scripts/install-deps installs it from PyPI)");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpSink {
            server,
            url: format!("smtp://127.0.0.1:{port}"),
            maildir,
        }
    }

    /// Every delivered message, raw, in delivery order.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> =
            std::fs::read_dir(self.maildir.join("new"))
                .map(|d| {
                    d.flatten()
                        .map(|e| (e.metadata().unwrap().modified().unwrap(), e.path()))
                        .collect()
                })
                .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Every delivered message with its quoted-printable parts decoded (soft line breaks
    /// joined, `=XX` escapes read), for searching the text.
    pub fn decoded(&self) -> Vec<String> {
        self.messages().iter().map(|m| unquote(m)).collect()
    }

    /// The subjects of the delivered messages.
    pub fn subjects(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Quoted-printable decoding, leniently: `=` followed by two hex digits is a byte, `=` at a
/// line's end joins the lines, anything else is kept.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

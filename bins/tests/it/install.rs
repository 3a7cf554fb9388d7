//! install.sh against a local download server holding freshly built binaries.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_rv")).with_file_name(name)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn platform() -> String {
    rv::upgrade::platform()
}

/// A release in `dir`: binaries, man and completion archives, SHA256SUMS.
fn release(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let p = platform();
    std::fs::copy(bin("rv"), dir.join(&p)).unwrap();
    for t in rv::cli::TOOLS.iter().map(|t| t.binary()) {
        std::fs::copy(bin(t), dir.join(format!("{p}-{t}"))).unwrap();
    }
    for (archive, content) in [
        ("rv-man.tar.gz", "man"),
        ("rv-completions.tar.gz", "completions"),
    ] {
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(dir.join(archive))
            .arg("-C")
            .arg(repo())
            .arg(content)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let sums = Command::new("sh")
        .arg("-c")
        .arg("sha256sum -- * ")
        .current_dir(dir)
        .output()
        .unwrap();
    std::fs::write(dir.join("SHA256SUMS"), sums.stdout).unwrap();
}

/// Serves `root` on loopback; returns the server and its base URL.
fn serve(root: &Path) -> (Child, String) {
    let mut child = Command::new("python3")
        .args(["-c", "import functools, http.server, sys\nh = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\nh.log_message = lambda *a: None\ns = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\nprint(s.server_address[1], flush=True)\ns.serve_forever()"])
        .arg(root)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let port = crate::support::port(&mut child);
    (child, format!("http://127.0.0.1:{port}"))
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rv-install-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn install(base: &str, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg(repo().join("install.sh"))
        .args(args)
        .env("HOME", home)
        .env("SHELL", "/bin/bash")
        .env("RV_DOWNLOAD_BASE", base)
        .env("RV_GITHUB_REPO", "invalid/invalid")
        .env_remove("XDG_DATA_HOME")
        .env_remove("RV_INSTALL_DIR")
        .output()
        .unwrap()
}

#[test]
fn installs_and_verifies_from_the_download_server() {
    let root = scratch("ok");
    release(&root.join("latest"));
    release(&root.join(env!("CARGO_PKG_VERSION")));
    let (mut server, base) = serve(&root);
    for args in [&[][..], &["--version", env!("CARGO_PKG_VERSION")][..]] {
        let home = scratch("home");
        let out = install(&base, &home, args);
        crate::support::assert_ok(&out);
        let rv = home.join(".local/bin/rv");
        let version = Command::new(&rv).arg("--version").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&version.stdout),
            format!("rv {}\n", env!("CARGO_PKG_VERSION"))
        );
        for t in rv::cli::TOOLS.iter().map(|t| t.binary()) {
            assert!(home.join(".local/bin").join(t).is_file(), "{t}");
        }
        assert!(home.join(".local/share/man/man1/rv-up.1").is_file());
        assert!(
            home.join(".local/share/bash-completion/completions/rv")
                .is_file()
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("add "),
            "a PATH hint"
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_tampered_binary_is_refused_and_nothing_installed() {
    let root = scratch("tampered");
    let latest = root.join("latest");
    release(&latest);
    let binary = latest.join(platform());
    let mut bytes = std::fs::read(&binary).unwrap();
    bytes.extend_from_slice(b"evil");
    std::fs::write(&binary, bytes).unwrap();
    let (mut server, base) = serve(&root);
    let home = scratch("tampered-home");
    let out = install(&base, &home, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("checksum mismatch for {}", platform())),
        "{err}"
    );
    assert!(!home.join(".local/bin").exists(), "nothing installed");
    let bad = install(&base, &home, &["--nope"]);
    assert_eq!(bad.status.code(), Some(2));
    let _ = server.kill();
    let _ = server.wait();
}

/// A site serving version 9.9.9 of `rv` and `rv-sync` (small scripts), with `SHA256SUMS`;
/// `tamper` breaks the sum of `rv-sync`.
fn site_with_release(root: &Path, tamper: bool) {
    let p = platform();
    let dl = root.join("api/downloads/cli/9.9.9");
    std::fs::create_dir_all(&dl).unwrap();
    std::fs::create_dir_all(root.join("api/cli")).unwrap();
    std::fs::write(root.join("api/cli/version"), r#"{"version":"9.9.9"}"#).unwrap();
    std::fs::write(dl.join(&p), "#!/bin/sh\necho 'rv 9.9.9'\n").unwrap();
    std::fs::write(
        dl.join(format!("{p}-rv-sync")),
        "#!/bin/sh\necho 'rv-sync 9.9.9'\n",
    )
    .unwrap();
    let sums = Command::new("sh")
        .arg("-c")
        .arg("sha256sum -- rv-*")
        .current_dir(&dl)
        .output()
        .unwrap();
    let mut sums = String::from_utf8(sums.stdout).unwrap();
    if tamper {
        sums = sums
            .lines()
            .map(|l| {
                if l.ends_with("-rv-sync") {
                    format!("{}{}", "0".repeat(64), &l[64..])
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    std::fs::write(dl.join("SHA256SUMS"), sums).unwrap();
}

/// `rv` and `rv-sync` of this build, installed in `dir/bin`.
fn installed(dir: &Path) -> PathBuf {
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::fs::copy(bin("rv"), bin_dir.join("rv")).unwrap();
    std::fs::copy(bin("rv-sync"), bin_dir.join("rv-sync")).unwrap();
    bin_dir
}

fn version_of(program: &Path) -> String {
    let out = Command::new(program).arg("--version").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn upgrade_checks_verifies_and_replaces_rv_and_its_tools() {
    let dir = scratch("upgrade");
    site_with_release(&dir.join("site"), false);
    let (mut server, base) = serve(&dir.join("site"));
    let bin_dir = installed(&dir);
    let rv = bin_dir.join("rv");
    let run = |args: &[&str]| {
        Command::new(&rv)
            .args(args)
            .env("RV_SITE_URL", &base)
            .output()
            .unwrap()
    };

    let check = run(&["upgrade", "--check", "--json"]);
    crate::support::assert_ok(&check);
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(
        (v["latest"].as_str(), v["upgraded"].as_bool()),
        (Some("9.9.9"), Some(false))
    );
    assert_eq!(
        version_of(&rv),
        format!("rv {}", env!("CARGO_PKG_VERSION")),
        "--check changes nothing"
    );

    let up = run(&["upgrade", "--json"]);
    crate::support::assert_ok(&up);
    let v = crate::support::assert_documented("rv upgrade --json", &up.stdout);
    assert_eq!(v["upgraded"], true);
    assert_eq!(version_of(&rv), "rv 9.9.9");
    assert_eq!(version_of(&bin_dir.join("rv-sync")), "rv-sync 9.9.9");
    let leftovers: Vec<_> = std::fs::read_dir(&bin_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    let _ = server.kill();
    let _ = server.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn upgrade_with_a_bad_checksum_replaces_nothing() {
    let dir = scratch("upgrade-tampered");
    site_with_release(&dir.join("site"), true);
    let (mut server, base) = serve(&dir.join("site"));
    let bin_dir = installed(&dir);
    let out = Command::new(bin_dir.join("rv"))
        .arg("upgrade")
        .env("RV_SITE_URL", &base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("checksum mismatch") && err.contains("nothing was replaced"),
        "{err}"
    );
    let ours = format!("rv {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(version_of(&bin_dir.join("rv")), ours, "rv is untouched");
    let entries: Vec<String> = std::fs::read_dir(&bin_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 2, "no staged files left: {entries:?}");
    let _ = server.kill();
    let _ = server.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The UVA Research Computing site tools: `allocations` (service units per account) and
//! `hdquota` (storage use). Other Slurm sites lack them; rv then does without.

use crate::slurm::ParseError;

/// One allocation of service units.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    /// The Slurm account.
    pub account: String,
    /// Service units granted.
    pub balance: u64,
    /// Service units held by pending and running jobs.
    pub reserved: u64,
    /// Service units left to spend.
    pub available: u64,
}

/// Parses `allocations`, skipping its header, its dashes and footer lines (`for more …`,
/// `run: …`).
pub fn parse_allocations(text: &str) -> Result<Vec<Allocation>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] | ["Account", ..] => {}
            [first, ..] if first.starts_with("--") => {}
            [first, ..] if first.eq_ignore_ascii_case("for") || first.ends_with(':') => {}
            [account, balance, reserved, available] => {
                let n = |s: &str, what: &str| {
                    s.parse::<u64>().map_err(|_| {
                        ParseError::new("allocations", line, format!("{what} is not a number"))
                            .at_line(i + 1)
                    })
                };
                out.push(Allocation {
                    account: (*account).to_owned(),
                    balance: n(balance, "Balance")?,
                    reserved: n(reserved, "Reserved")?,
                    available: n(available, "Available")?,
                });
            }
            _ => {
                return Err(ParseError::new(
                    "allocations",
                    line,
                    "expected Account Balance Reserved Available",
                )
                .at_line(i + 1));
            }
        }
    }
    Ok(out)
}

/// One storage area of `hdquota`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    /// Its kind as printed: `Home Directory`, `Scratch`, `Research Standard`, ….
    pub kind: String,
    /// Its path.
    pub location: String,
    /// The quota in bytes.
    pub size: u64,
    /// Bytes used.
    pub used: u64,
    /// Bytes available.
    pub available: u64,
    /// Percent used, as printed.
    pub percent: u8,
}

/// Parses `hdquota`: a header, dashes, then rows whose kind may be several words and whose
/// sizes are `value unit` (binary units: `200.0 GB`).
pub fn parse_hdquota(text: &str) -> Result<Vec<Quota>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || words[0] == "Storage" || words[0].starts_with("--") {
            continue;
        }
        let err = |why: &str| ParseError::new("hdquota", line, why).at_line(i + 1);
        let n = words.len();
        if n < 9 {
            return Err(err("expected Type Location Size Used Avail Use%"));
        }
        let size = |k: usize| {
            bytes(words[k], words[k + 1]).ok_or_else(|| err("a size is not `value unit`"))
        };
        let percent = words[n - 1]
            .strip_suffix('%')
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| err("Use% is not a percentage"))?;
        out.push(Quota {
            kind: words[..n - 8].join(" "),
            location: words[n - 8].to_owned(),
            size: size(n - 7)?,
            used: size(n - 5)?,
            available: size(n - 3)?,
            percent,
        });
    }
    Ok(out)
}

/// `200.0`, `GB` -> bytes (binary multiples, as the site tool uses).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn bytes(value: &str, unit: &str) -> Option<u64> {
    let v: f64 = value.parse().ok()?;
    let power = match unit {
        "B" => 0,
        "KB" | "K" | "KiB" => 10,
        "MB" | "M" | "MiB" => 20,
        "GB" | "G" | "GiB" => 30,
        "TB" | "T" | "TiB" => 40,
        "PB" | "P" | "PiB" => 50,
        _ => return None,
    };
    let b = v * 2f64.powi(power);
    (b.is_finite() && (0.0..1.8e19).contains(&b)).then(|| b.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/rivanna/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn reads_rivannas_allocations() {
        let a = parse_allocations(&fixture("allocations.txt")).unwrap();
        assert_eq!(
            a,
            [Allocation {
                account: "meng-lab".into(),
                balance: 10_000_000,
                reserved: 0,
                available: 8_742_210
            }]
        );
        let with_footer = fixture("allocations.txt")
            + "\nfor more information about your allocations\nrun: allocations -a <account>\n";
        assert_eq!(parse_allocations(&with_footer).unwrap().len(), 1);
        let err =
            parse_allocations("Account Balance Reserved Available\nlab 10 x 5\n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn reads_rivannas_hdquota() {
        let q = parse_hdquota(&fixture("hdquota.txt")).unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].kind, "Home Directory");
        assert_eq!(q[0].location, "/home/abs6bd");
        assert_eq!(q[0].size, 200 << 30);
        assert_eq!(q[0].percent, 50);
        assert_eq!(q[1].kind, "Scratch");
        assert_eq!(q[1].used, 8 << 10);
        assert_eq!(q[1].size, 10 << 40);
        assert_eq!(q[2].kind, "Research Standard");
        assert_eq!(q[2].location, "/standard/llm-research");
        assert_eq!(q[2].percent, 93);
        assert!(parse_hdquota("Home Directory /home/x 1 GB 2 XB 3 GB 4%\n").is_err());
        assert!(parse_hdquota("Home /home/x 1 GB 2 GB 3 GB many\n").is_err());
    }

    proptest! {
        #[test]
        fn never_panic(s in "\\PC{0,200}") {
            let _ = parse_allocations(&s);
            let _ = parse_hdquota(&s);
        }
    }
}

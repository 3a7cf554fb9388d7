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

/// One node of `qlist` (UVA's node and GPU overview).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QlistNode {
    /// The node state (`mix`, `idle`, …).
    pub state: String,
    /// The node.
    pub node: String,
    /// Allocated CPUs.
    pub cpus_allocated: u32,
    /// All CPUs.
    pub cpus_total: u32,
    /// The GPU type, when the node has GPUs.
    pub gpu_type: Option<String>,
    /// GPUs on the node.
    pub gpus_total: u32,
    /// GPUs allocated.
    pub gpus_allocated: u32,
    /// Jobs on the node.
    pub jobs: u32,
}

/// Parses `qlist`: a header, a line of `=`, then `STATE NODE A/I/O/T TOTALMEM ALLOCMEM
/// AVAILMEM GRES JOBS`, where GRES is `gpu:type:total(S:…):allocated`.
pub fn parse_qlist(text: &str) -> Result<Vec<QlistNode>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.is_empty() || w[0] == "STATE" || w[0].starts_with('=') {
            continue;
        }
        let err = |why: &str| ParseError::new("qlist", line, why).at_line(i + 1);
        let [state, node, cpus, _, _, _, gres, jobs] = w.as_slice() else {
            return Err(err(
                "expected STATE NODE CPUS TOTALMEM ALLOCMEM AVAILMEM GRES JOBS",
            ));
        };
        let cpu: Vec<u32> = cpus
            .split('/')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| err("CPUS is A/I/O/T"))?;
        let &[cpus_allocated, _, _, cpus_total] = cpu.as_slice() else {
            return Err(err("CPUS is A/I/O/T"));
        };
        // gpu:a100:8(S:0-7):1 -> type a100, 8 in all, 1 allocated.
        let (gpu_type, gpus_total, gpus_allocated) = if gres.starts_with("gpu:") {
            let (configured, allocated) = gres
                .rsplit_once(':')
                .ok_or_else(|| err("GRES is gpu:type:total:allocated"))?;
            let gpus = crate::slurm::parse::gres::parse_gpus(configured)?;
            let first = gpus.first().ok_or_else(|| err("GRES has no GPUs"))?;
            let allocated = allocated
                .parse()
                .map_err(|_| err("allocated GPUs is not a number"))?;
            (
                first.kind.as_deref().map(str::to_owned),
                first.count,
                allocated,
            )
        } else {
            (None, 0, 0)
        };
        out.push(QlistNode {
            state: (*state).to_owned(),
            node: (*node).to_owned(),
            cpus_allocated,
            cpus_total,
            gpu_type,
            gpus_total,
            gpus_allocated,
            jobs: jobs.parse().map_err(|_| err("JOBS is not a number"))?,
        });
    }
    Ok(out)
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

    #[test]
    fn reads_rivannas_qlist() {
        let q = parse_qlist(&fixture("qlist-p-gpu.txt")).unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(q[1].node, "udc-an28-7");
        assert_eq!(
            (
                q[1].gpu_type.as_deref(),
                q[1].gpus_total,
                q[1].gpus_allocated
            ),
            (Some("a100"), 8, 6)
        );
        assert_eq!(
            (q[2].cpus_allocated, q[2].cpus_total, q[2].jobs),
            (12, 36, 3)
        );
        assert!(parse_qlist("mix n 1/2/3 1 1 1 gpu:a:2(S:0):x 1\n").is_err());
    }

    proptest! {
        #[test]
        fn never_panic(s in "\\PC{0,200}") {
            let _ = parse_allocations(&s);
            let _ = parse_hdquota(&s);
            let _ = parse_qlist(&s);
        }
    }
}

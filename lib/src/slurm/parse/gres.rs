//! Generic resources (GRES) as Slurm prints them: `gpu:a6000:8(S:0-1)`, `gpu:4`,
//! `gres:gpu:a6000:4`, `gpu:a6000:4(IDX:0-3)`, `(null)`.

use crate::slurm::ParseError;

/// A count of GPUs of one type (`None` when the site does not type its GPUs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gpus {
    /// The GPU type as the site names it (`a6000`, `1g.10gb`), if typed.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// How many.
    pub count: u32,
}

/// Reads the GPU entries of a GRES list, ignoring other resources. `(null)`, `N/A`, empty
/// and `gpu:0` give no entries.
pub fn parse_gpus(s: &str) -> Result<Vec<Gpus>, ParseError> {
    let s = s.trim();
    if matches!(s, "" | "(null)" | "N/A" | "none") {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(1);
    let single = [s];
    let items: &[&str] = if s.contains(',') {
        &split_outside_parens(s)
    } else {
        &single
    };
    for &item in items {
        // Drop the detail in parentheses: sockets `(S:0-1)` or indexes `(IDX:0-3)`.
        let item = item.split('(').next().unwrap_or_default();
        let item = item.strip_prefix("gres:").unwrap_or(item);
        let mut parts = item.split(':');
        if parts.next() != Some("gpu") {
            continue;
        }
        let rest: Vec<&str> = parts.collect();
        let (kind, count) = match rest.as_slice() {
            [] => (None, "1"),
            [count] if count.bytes().all(|b| b.is_ascii_digit()) => (None, *count),
            [kind] => (Some(*kind), "1"),
            [kind, count] => (Some(*kind), *count),
            _ => return Err(ParseError::new("gres", s, "expected gpu[:type][:count]")),
        };
        let count: u32 = count
            .parse()
            .map_err(|_| ParseError::new("gres", s, "the GPU count is not a number"))?;
        if count > 0 {
            out.push(Gpus {
                kind: kind.map(str::to_owned),
                count,
            });
        }
    }
    Ok(out)
}

/// Splits on commas that are not inside parentheses: `gpu:a100:8(S:0-1,3),gpu:v100:2`.
fn split_outside_parens(s: &str) -> Vec<&str> {
    let mut depth = 0i32;
    let mut start = 0;
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(kind: Option<&str>, count: u32) -> Gpus {
        Gpus {
            kind: kind.map(str::to_owned),
            count,
        }
    }

    #[test]
    fn reads_every_form() {
        assert_eq!(
            parse_gpus("gpu:a6000:8(S:0-1)"),
            Ok(vec![g(Some("a6000"), 8)])
        );
        assert_eq!(parse_gpus("gpu:a6000:8"), Ok(vec![g(Some("a6000"), 8)]));
        assert_eq!(
            parse_gpus("gpu:a100:8(S:16-31,48-63,80-95,112-127)"),
            Ok(vec![g(Some("a100"), 8)])
        );
        assert_eq!(
            parse_gpus("gpu:1g.10gb:56"),
            Ok(vec![g(Some("1g.10gb"), 56)])
        );
        assert_eq!(
            parse_gpus("gres:gpu:a6000:4"),
            Ok(vec![g(Some("a6000"), 4)])
        );
        assert_eq!(
            parse_gpus("gpu:a6000:4(IDX:0-3)"),
            Ok(vec![g(Some("a6000"), 4)])
        );
        assert_eq!(parse_gpus("gpu:a40:0(IDX:N/A)"), Ok(vec![]));
        assert_eq!(parse_gpus("gpu:0"), Ok(vec![]));
        assert_eq!(parse_gpus("gpu:4"), Ok(vec![g(None, 4)]));
        assert_eq!(parse_gpus("gpu:2(IDX:0-1)"), Ok(vec![g(None, 2)]));
        assert_eq!(parse_gpus("gpu"), Ok(vec![g(None, 1)]));
        assert_eq!(parse_gpus("(null)"), Ok(vec![]));
        assert_eq!(parse_gpus("N/A"), Ok(vec![]));
        assert_eq!(
            parse_gpus("gpu:a100:4(S:0),shard:8,gpu:v100:2"),
            Ok(vec![g(Some("a100"), 4), g(Some("v100"), 2)])
        );
        assert!(parse_gpus("gpu:a100:x").is_err());
        assert!(parse_gpus("gpu:a:b:c").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_gpus(&s);
        }
    }
}

//! Generic resources (GRES) as Slurm prints them: `gpu:a6000:8(S:0-1)`, `gpu:4`,
//! `gres:gpu:a6000:4`, `gpu:a6000:4(IDX:0-3)`, `(null)`.

use crate::slurm::ParseError;

/// A count of GPUs of one type (`None` when the site does not type its GPUs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gpus {
    /// The GPU type as the site names it (`a6000`, `1g.10gb`), if typed.
    #[serde(rename = "type")]
    pub kind: Option<compact_str::CompactString>,
    /// How many.
    pub count: u32,
}

/// Reads the GPU entries of a GRES or TRES list, ignoring other resources. Every spelling
/// Slurm prints is read: `gpu:a6000:8(S:0-1)`, `gpu:4`, `gpu:a100:no_consume:2`, squeue's
/// `gres:gpu:a6000:4` (22.05) and `gres/gpu:a100:4` (23.02 on), and TRES counts
/// `gres/gpu:a100=2,gres/gpu=2`, where the untyped `gres/gpu=N` is the total of the typed
/// entries beside it (only GPUs beyond them count as untyped). `(null)`, `N/A`, empty and
/// `gpu:0` give no entries.
pub fn parse_gpus(s: &str) -> Result<Vec<Gpus>, ParseError> {
    match one_typed(s) {
        Some(one) => Ok(vec![one]),
        None => parse_all(s),
    }
}

/// [`parse_gpus`] for every spelling.
fn parse_all(s: &str) -> Result<Vec<Gpus>, ParseError> {
    let s = s.trim();
    if matches!(s, "" | "(null)" | "N/A" | "none") {
        return Ok(Vec::new());
    }
    let mut out: Vec<Gpus> = Vec::with_capacity(1);
    // The untyped `gres/gpu=N` totals of a TRES list.
    let mut tres_total: Option<u32> = None;
    for item in split_outside_parens(s) {
        // Drop the detail in parentheses: sockets `(S:0-1)` or indexes `(IDX:0-3)` (but
        // not a type `(null)`).
        let item = item.trim();
        let item = match item.rfind('(') {
            Some(i) if item.ends_with(')') && item[i..].contains(':') => &item[..i],
            _ => item,
        };
        let item = item
            .strip_prefix("gres:")
            .or_else(|| item.strip_prefix("gres/"))
            .unwrap_or(item);
        let (spec, tres_count) = match item.split_once('=') {
            Some((spec, count)) => (spec, Some(count)),
            None => (item, None),
        };
        let mut parts = spec.split(':');
        if parts.next() != Some("gpu") {
            continue;
        }
        // At most a type and a count follow `gpu`; a third part is an error below.
        let mut rest = [""; 3];
        let mut len = 0;
        for part in parts.filter(|p| *p != "no_consume").take(rest.len()) {
            rest[len] = part;
            len += 1;
        }
        let digits = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
        let (kind, count) = match (&rest[..len], tres_count) {
            ([], Some(count)) => (None, count),
            ([kind], Some(count)) => (Some(*kind), count),
            ([], None) => (None, "1"),
            ([count], None) if digits(count) => (None, *count),
            ([kind], None) => (Some(*kind), "1"),
            ([kind, count], None) => (Some(*kind), *count),
            _ => return Err(ParseError::new("gres", s, "expected gpu[:type][:count]")),
        };
        if kind.is_some_and(|k| k.is_empty() || k == "(null)") && count == "0" {
            continue;
        }
        if kind.is_some_and(str::is_empty) || !digits(count) {
            return Err(ParseError::new("gres", s, "the GPU count is not a number"));
        }
        let count: u32 = count
            .parse()
            .map_err(|_| ParseError::new("gres", s, "the GPU count is too large"))?;
        match (kind, tres_count) {
            (None, Some(_)) => {
                tres_total = Some(tres_total.unwrap_or(0).saturating_add(count));
            }
            _ if count > 0 => out.push(Gpus {
                kind: kind.map(Into::into),
                count,
            }),
            _ => {}
        }
    }
    if let Some(all) = tres_total {
        let typed = total(&out);
        if all > typed {
            out.push(Gpus {
                kind: None,
                count: all - typed,
            });
        }
    }
    Ok(out)
}

/// squeue's usual one entry, `gres/gpu:a100:4` (or `gres:gpu:a100:4`), read without the
/// general walk; `None` for anything else (which [`parse_gpus`] then reads in full).
fn one_typed(s: &str) -> Option<Gpus> {
    let rest = s
        .strip_prefix("gres/gpu:")
        .or_else(|| s.strip_prefix("gres:gpu:"))?;
    let (kind, count) = rest.split_once(':')?;
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    if kind.is_empty() || kind == "no_consume" || !kind.bytes().all(plain) {
        return None;
    }
    if count.is_empty() || count.len() > 9 || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count: u32 = count.parse().ok()?;
    (count > 0).then(|| Gpus {
        kind: Some(kind.into()),
        count,
    })
}

/// The total of a list of GPU counts.
pub fn total(gpus: &[Gpus]) -> u32 {
    gpus.iter().map(|g| g.count).fold(0, u32::saturating_add)
}

/// Splits on commas that are not inside parentheses: `gpu:a100:8(S:0-1,3),gpu:v100:2`.
fn split_outside_parens(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut depth = 0i32;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                // ASCII: both sides are character boundaries.
                b',' if depth <= 0 => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(kind: Option<&str>, count: u32) -> Gpus {
        Gpus {
            kind: kind.map(Into::into),
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

    #[test]
    fn reads_the_tres_spelling_of_slurm_23_02_on() {
        // squeue %b and scontrol TresPerNode on 24.11.
        assert_eq!(parse_gpus("gres/gpu:a100:4"), Ok(vec![g(Some("a100"), 4)]));
        assert_eq!(parse_gpus("gres/gpu:l40s:2"), Ok(vec![g(Some("l40s"), 2)]));
        assert_eq!(parse_gpus("gres/gpu:1"), Ok(vec![g(None, 1)]));
        assert_eq!(parse_gpus("gres/gpu"), Ok(vec![g(None, 1)]));
        // sacct AllocTRES, scontrol TRES: the untyped total is not counted twice.
        assert_eq!(
            parse_gpus("gres/gpu:a100=2,gres/gpu=2"),
            Ok(vec![g(Some("a100"), 2)])
        );
        assert_eq!(
            parse_gpus("billing=8,cpu=8,gres/gpu:a40=8,gres/gpu=8,mem=32000M,node=1"),
            Ok(vec![g(Some("a40"), 8)])
        );
        assert_eq!(parse_gpus("cpu=2,gres/gpu=3,mem=8G"), Ok(vec![g(None, 3)]));
        assert_eq!(
            parse_gpus("gres/gpu=5,gres/gpu:a100=4"),
            Ok(vec![g(Some("a100"), 4), g(None, 1)]),
            "GPUs beyond the typed ones are untyped"
        );
        assert_eq!(parse_gpus("gres/gpu=0"), Ok(vec![]));
        assert_eq!(total(&parse_gpus("gres/gpu:a100=2,gres/gpu=2").unwrap()), 2);
        assert!(parse_gpus("gres/gpu=x").is_err());
        assert!(parse_gpus("gres/gpu:=2").is_err());
    }

    #[test]
    fn reads_no_consume_and_empty_types() {
        assert_eq!(
            parse_gpus("gpu:a100:no_consume:2"),
            Ok(vec![g(Some("a100"), 2)])
        );
        assert_eq!(parse_gpus("gpu:no_consume:4"), Ok(vec![g(None, 4)]));
        assert_eq!(parse_gpus("gpu:(null):0(IDX:N/A)"), Ok(vec![]));
        assert_eq!(
            parse_gpus("gpu:a100:0(IDX:N/A),gpu:a40:2(IDX:0-1)"),
            Ok(vec![g(Some("a40"), 2)])
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_gpus(&s);
        }

        /// The shortcut for squeue's one typed entry reads what the full walk reads.
        #[test]
        fn the_shortcut_reads_as_the_full_walk(s in "(gres[:/])?gpu:[a-z0-9._:( -]{0,8}:?[0-9]{0,11}[ ,)]?") {
            if let Some(one) = one_typed(&s) {
                prop_assert_eq!(parse_all(&s), Ok(vec![one]));
            }
        }

        #[test]
        fn never_panics_on_near_valid_lists(s in "((gres[:/])?gpu(:[a-z0-9.]{0,5}){0,3}(=[0-9]{0,11})?(\\([A-Z]{0,3}:[0-9,-]{0,5}\\))?,?){0,4}") {
            let _ = parse_gpus(&s);
        }
    }
}

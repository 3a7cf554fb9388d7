//! Slurm host lists: `a6000-[01-02],cpu-01`, `udc-an[28-29]-[1,7]`.
//!
//! [`expand`] understands the full grammar: comma-separated items, several bracket groups per
//! item (their cartesian product), ranges and single numbers inside brackets, and zero padding
//! taken from the written width. [`compress`] is its inverse for sets of names.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::ParseError;

/// The most names a host list may expand to; more is treated as garbage, not allocated.
pub const MAX_HOSTS: usize = 100_000;

/// Expands a host list into its names, in the order written.
pub fn expand(list: &str) -> Result<Vec<String>, ParseError> {
    let err = |why: &str| ParseError::new("hostlist", list, why);
    if !list.contains([',', '[', ']']) {
        // One plain name, the common case.
        return Ok(if list.is_empty() {
            Vec::new()
        } else {
            vec![list.to_owned()]
        });
    }
    let mut hosts = Vec::new();
    for item in split_top_level(list).map_err(&err)? {
        if item.is_empty() {
            continue;
        }
        let mut names = vec![String::new()];
        let mut rest = item;
        while !rest.is_empty() {
            let (literal, after) = rest.split_at(rest.find('[').unwrap_or(rest.len()));
            if literal.contains(']') {
                return Err(err("unbalanced ']'"));
            }
            for name in &mut names {
                name.push_str(literal);
            }
            if after.is_empty() {
                break;
            }
            let close = after.find(']').ok_or_else(|| err("unclosed '['"))?;
            let numbers = range_set(&after[1..close]).map_err(&err)?;
            if names.len().saturating_mul(numbers.len()) + hosts.len() > MAX_HOSTS {
                return Err(err("expands to too many hosts"));
            }
            names = names
                .iter()
                .flat_map(|name| {
                    numbers.iter().map(move |&(n, width)| {
                        let mut host = String::with_capacity(name.len() + width.max(4));
                        host.push_str(name);
                        let _ = write!(host, "{n:0width$}");
                        host
                    })
                })
                .collect();
            rest = &after[close + 1..];
        }
        if hosts.len() + names.len() > MAX_HOSTS {
            return Err(err("expands to too many hosts"));
        }
        hosts.extend(names);
    }
    Ok(hosts)
}

/// Splits on the commas that are not inside brackets.
fn split_top_level(list: &str) -> Result<Vec<&str>, &'static str> {
    let mut depth = 0u32;
    let mut cuts = vec![0];
    for (i, c) in list.char_indices() {
        match c {
            '[' if depth > 0 => return Err("nested '['"),
            '[' => depth += 1,
            ']' if depth == 0 => return Err("unbalanced ']'"),
            ']' => depth -= 1,
            ',' if depth == 0 => cuts.push(i + 1),
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unclosed '['");
    }
    cuts.push(list.len() + 1);
    Ok(cuts.windows(2).map(|w| &list[w[0]..w[1] - 1]).collect())
}

/// `01-03,7` -> `[(1, 2), (2, 2), (3, 2), (7, 1)]`: each number with the width of its
/// range's lower bound, to be written zero-padded to it.
fn range_set(inner: &str) -> Result<Vec<(u64, usize)>, &'static str> {
    let mut out = Vec::new();
    for part in inner.split(',') {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(lo) || !digits(hi) {
            return Err("a bracket holds something other than numbers and ranges");
        }
        let (a, b): (u64, u64) = (lo.parse().unwrap_or(0), hi.parse().unwrap_or(0));
        if a > b {
            return Err("a range runs backwards");
        }
        if b - a >= MAX_HOSTS as u64
            || out.len() + usize::try_from(b - a).unwrap_or(MAX_HOSTS) >= MAX_HOSTS
        {
            return Err("expands to too many hosts");
        }
        let width = lo.len();
        out.extend((a..=b).map(|n| (n, width)));
    }
    Ok(out)
}

/// Compresses names into the shortest host list Slurm would print: names that differ only
/// in a trailing number become one bracket group (`a6000-[01-02]`). Duplicates are dropped
/// and the result is sorted by prefix, then number.
pub fn compress<S: AsRef<str>>(hosts: &[S]) -> String {
    // (prefix, width) -> numbers; width 0 = written without padding.
    let mut groups: BTreeMap<(&str, usize), Vec<u64>> = BTreeMap::new();
    let mut plain: Vec<&str> = Vec::new();
    for host in hosts.iter().map(AsRef::as_ref) {
        let digits = host
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count()
            .min(18);
        let (prefix, number) = host.split_at(host.len() - digits);
        match number.parse::<u64>() {
            Ok(n) if !number.is_empty() => {
                let width = if number.len() > 1 && number.starts_with('0') {
                    number.len()
                } else {
                    0
                };
                groups.entry((prefix, width)).or_default().push(n);
            }
            _ => plain.push(host),
        }
    }
    // An unpadded number as wide as a padded group reads the same inside it: `a[09-10]`.
    let padded: Vec<(&str, usize)> = groups.keys().filter(|(_, w)| *w > 0).copied().collect();
    for (prefix, width) in padded {
        if let Some(unpadded) = groups.get_mut(&(prefix, 0)) {
            let (join, stay): (Vec<u64>, Vec<u64>) =
                unpadded.iter().partition(|n| n.to_string().len() == width);
            *unpadded = stay;
            groups.entry((prefix, width)).or_default().extend(join);
        }
    }
    plain.sort_unstable();
    plain.dedup();
    let mut items: Vec<String> = plain.into_iter().map(str::to_owned).collect();
    for ((prefix, width), mut numbers) in groups {
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.is_empty() {
            continue;
        }
        let render = |n: u64| format!("{n:0width$}");
        let mut ranges: Vec<String> = Vec::new();
        let mut i = 0;
        while i < numbers.len() {
            let mut j = i;
            while j + 1 < numbers.len() && numbers[j + 1] == numbers[j] + 1 {
                j += 1;
            }
            ranges.push(if i == j {
                render(numbers[i])
            } else {
                format!("{}-{}", render(numbers[i]), render(numbers[j]))
            });
            i = j + 1;
        }
        if numbers.len() == 1 {
            items.push(format!("{prefix}{}", ranges[0]));
        } else {
            items.push(format!("{prefix}[{}]", ranges.join(",")));
        }
    }
    items.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ex(list: &str) -> Vec<String> {
        expand(list).unwrap()
    }

    #[test]
    fn expands_the_full_grammar() {
        assert_eq!(ex("a6000-01"), ["a6000-01"]);
        assert_eq!(ex("a6000-[01-02]"), ["a6000-01", "a6000-02"]);
        assert_eq!(
            ex("a[1-3,5],b[01-02]"),
            ["a1", "a2", "a3", "a5", "b01", "b02"]
        );
        assert_eq!(
            ex("udc-an[28-29]-[1,7]"),
            ["udc-an28-1", "udc-an28-7", "udc-an29-1", "udc-an29-7"]
        );
        assert_eq!(ex("n[8-10]"), ["n8", "n9", "n10"]);
        assert_eq!(ex("n[098-100]"), ["n098", "n099", "n100"]);
        assert_eq!(ex("a[1-2]x"), ["a1x", "a2x"]);
        assert_eq!(ex(""), Vec::<String>::new());
        assert_eq!(
            ex("a40-[01-02],a100-40g-[01-02],cpu-01"),
            ["a40-01", "a40-02", "a100-40g-01", "a100-40g-02", "cpu-01"]
        );
    }

    #[test]
    fn caps_plain_comma_lists_too() {
        let names: Vec<String> = (0..=MAX_HOSTS).map(|i| format!("n{i}")).collect();
        let err = expand(&names.join(",")).unwrap_err();
        assert!(err.why.contains("too many hosts"), "{err}");
        assert_eq!(
            expand(&names[..MAX_HOSTS].join(",")).unwrap().len(),
            MAX_HOSTS
        );
    }

    #[test]
    fn rejects_malformed_lists() {
        for bad in [
            "a[1-",
            "a]1",
            "a[[1]]",
            "a[x]",
            "a[3-1]",
            "a[1-2",
            "a[]",
            "a[1-99999999]",
            "a[1-]",
        ] {
            let e = expand(bad).unwrap_err();
            assert!(e.to_string().contains("hostlist"), "{bad}: {e}");
        }
    }

    #[test]
    fn compresses_like_slurm() {
        assert_eq!(compress(&["a6000-02", "a6000-01"]), "a6000-[01-02]");
        assert_eq!(
            compress(&["a1", "a2", "a3", "a5", "b01", "b02"]),
            "a[1-3,5],b[01-02]"
        );
        assert_eq!(compress(&["n9", "n10"]), "n[9-10]");
        assert_eq!(compress(&["n09", "n10"]), "n[09-10]");
        assert_eq!(compress(&["vm"]), "vm");
        assert_eq!(compress(&["cpu-01", "cpu-01"]), "cpu-01");
        assert_eq!(compress::<&str>(&[]), "");
    }

    proptest! {
        #[test]
        fn expand_never_panics(s in "\\PC{0,40}") {
            let _ = expand(&s);
        }

        #[test]
        fn expand_never_panics_on_bracket_soup(s in "[a-c0-9\\[\\],-]{0,30}") {
            let _ = expand(&s);
        }

        #[test]
        fn compress_then_expand_gives_the_same_set(
            names in proptest::collection::vec(("[a-z]{1,3}-?", 0u64..200, 0usize..4), 0..40)
        ) {
            let hosts: Vec<String> = names.iter().map(|(p, n, w)| format!("{p}{n:0w$}")).collect();
            let list = compress(&hosts);
            let mut back = expand(&list).unwrap();
            let mut want = hosts.clone();
            back.sort();
            want.sort();
            want.dedup();
            prop_assert_eq!(back, want, "list {}", list);
            // And a compressed list is a fixed point.
            prop_assert_eq!(compress(&expand(&list).unwrap()), list);
        }
    }
}

//! The library's modules form no import cycle: read from the `use` lines and paths of
//! every source file, as a reviewer would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `lib/src` (`cli`, `remote::batch`, …) with its source text, test
/// modules left out.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || name == "tests" {
                continue;
            }
            let mut p = prefix.to_vec();
            if name != "mod" && name != "lib" {
                p.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may reach anywhere; only the code counts.
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            out.entry(p.join("::")).or_default().push_str(&code);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out.remove("");
    out
}

/// The modules `code` of module `me` refers to: `crate::a::b` paths and `super::` paths,
/// each taken to the deepest module that exists. A module's own children do not count
/// as dependencies of it (it declares them), nor does it count as one of its own.
fn references(me: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let parent: Vec<&str> = me.split("::").collect();
    let parent = &parent[..parent.len() - 1];
    let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
    for word in words {
        let path: Vec<String> = if let Some(rest) = word.strip_prefix("crate::") {
            rest.split("::").map(str::to_owned).collect()
        } else if let Some(rest) = word.strip_prefix("super::") {
            parent
                .iter()
                .map(|s| (*s).to_owned())
                .chain(rest.split("::").map(str::to_owned))
                .collect()
        } else {
            continue;
        };
        let deepest = (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| known.contains(m));
        if let Some(m) = deepest {
            if m != me && !m.starts_with(&format!("{me}::")) {
                out.insert(m);
            }
        }
    }
    // `use super::{a, b}` names items (or modules) of the parent.
    if !parent.is_empty() && code.contains("use super::") {
        out.insert(parent.join("::"));
    }
    out
}

/// A cycle in `graph`, if there is one: its modules in order.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut c = stack[i..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_form_no_import_cycle() {
    let modules = modules();
    for (m, code) in &modules {
        assert!(
            !code.contains("crate::{") && !code.contains("super::{self"),
            "{m}: one `use crate::module::…` per module, so this check can read it"
        );
    }
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    assert!(known.contains("remote::batch") && known.contains("commands::up"));
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(m, code)| (m.clone(), references(m, code, &known)))
        .collect();
    if let Some(c) = cycle(&graph) {
        panic!("an import cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let known: BTreeSet<String> = ["a", "b", "b::c"].map(str::to_owned).into();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", references("a", "use crate::b::c::Thing;", &known)),
        ("b::c", references("b::c", "crate::a::f()", &known)),
        ("b", references("b", "pub mod c;", &known)),
    ]
    .into_iter()
    .map(|(m, r)| (m.to_owned(), r))
    .collect();
    assert_eq!(graph["a"], ["b::c".to_owned()].into());
    assert_eq!(cycle(&graph).unwrap(), ["a", "b::c", "a"]);
}

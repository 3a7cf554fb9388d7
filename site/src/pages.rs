//! The site's HTML: the page frame (light and dark by `prefers-color-scheme`), the landing
//! page, the docs pages with their sidebar and search box, and the few static assets they
//! use. Everything works without JavaScript but the copy button and the search as you type
//! (the search box falls back to `/docs/search`).

use axum::response::Html;

use crate::docs::{self, escape};

/// The recorded `rv up` session (`site/record-session` regenerates it from a real run).
pub const SESSION_SVG: &str = include_str!("../assets/session.svg");

/// The time-to-GPU chart of BENCHMARKS.md (written by `bench/run`).
pub const CHART_SVG: &str = include_str!("../../bench/time-to-gpu-22.05.svg");

/// The copy button and the search as you type.
pub const SCRIPT: &str = include_str!("../assets/site.js");

/// A whole HTML page around `body`.
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light dark\">\
<title>{t}</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style>\
<script src=\"/assets/site.js\" defer></script></head><body>\
<header><a href=\"/\" class=\"brand\">rv</a><nav><a href=\"/docs/getting-started\">Get started</a> \
<a href=\"/docs\">Docs</a> <a href=\"/llms.txt\">llms.txt</a></nav></header>\
<main>{body}</main><footer>rv {v} · MIT licensed</footer></body></html>\n",
        t = escape(title),
        v = env!("CARGO_PKG_VERSION"),
    ))
}

/// A docs page: the sidebar (the search box and every page, `current` marked) beside
/// `body`.
pub fn docs_page(title: &str, current: Option<&str>, body: &str) -> Html<String> {
    let mut nav = String::from(
        "<nav class=\"sidebar\" aria-label=\"Documentation\">\
<form action=\"/docs/search\" method=\"get\" role=\"search\">\
<input type=\"search\" id=\"search\" name=\"q\" placeholder=\"Search the docs\" aria-label=\"Search the docs\">\
</form><ol id=\"results\" aria-live=\"polite\"></ol><ul>",
    );
    for (name, text) in docs::PAGES {
        let here = if current == Some(name) {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!(
            "<li><a href=\"/docs/{name}\"{here}>{}</a></li>",
            escape(&docs::title(text).replace('`', ""))
        ));
    }
    nav.push_str("</ul></nav>");
    page(
        title,
        &format!("<div class=\"docs\">{nav}<article>{body}</article></div>"),
    )
}

/// The landing page's body, with the install command for the site at `url`.
pub fn landing(url: &str) -> String {
    let install = format!("curl -fsSL {}/install.sh | sh", escape(url));
    format!(
        "<section class=\"hero\"><h1>GPUs on a Slurm cluster, without thinking about Slurm</h1>\
<p class=\"lede\">Say what you want (4 GPUs, 24 hours, run <code>train.py</code>) and rv reads the queue, \
plans every way to get it across GPU types, topologies and backfill windows, submits them all at once, \
keeps the first job that starts and cancels the rest. Built for UVA's Rivanna/Afton; works on any \
Slurm cluster.</p>\
<div class=\"install\"><code id=\"install\">{install}</code>\
<button type=\"button\" class=\"copy\" data-copy=\"install\" hidden>Copy</button></div>\
<p class=\"cta\"><a class=\"button\" href=\"/docs/getting-started\">Get started</a> \
<a href=\"/docs\">Read the docs</a></p></section>\
<figure class=\"session\"><img src=\"/assets/session.svg\" width=\"944\" height=\"510\" \
alt=\"A recorded terminal session: rv up --gpu 2 --time 30m reads the queue, plans seven strategies \
across GPU types, submits them all, the first starts on an RTX 3090 node within seconds and the other \
six are cancelled; then rv ps lists the running job and rv stop ends it.\">\
<figcaption>A real session against rv's local Slurm testbed, recorded by <code>site/record-session</code>.\
</figcaption></figure>\
{HOW}{CHART}{FEATURES}{VERSUS}"
    )
}

/// How rv gets GPUs, as five steps.
const HOW: &str = "<h2>How it gets GPUs</h2><ol class=\"flow\" aria-label=\"How rv gets GPUs\">\
<li><b>probe</b><span>one SSH round trip reads the queue, the nodes, backfill's plan and your limits</span></li>\
<li><b>plan</b><span>every GPU type, topology and walltime that could serve you, ranked by when it starts</span></li>\
<li><b>fan out</b><span>the best strategies submitted at once, each recorded on your laptop first</span></li>\
<li><b>claim</b><span>the first job to start claims the request on the cluster and cancels its siblings</span></li>\
<li><b>attach</b><span>a shell, your logs, your ports, on the node that won</span></li></ol>";

/// The time-to-GPU chart.
const CHART: &str = "<h2>Time to a GPU</h2><figure class=\"chart\">\
<img src=\"/assets/time-to-gpu.svg\" width=\"760\" height=\"380\" \
alt=\"Bar chart of the median seconds from submission to a running job on rv's testbed: rv up \
starts in 1 to 5 seconds in each of the four scenarios (busy, a6000-full, maintenance, backfill), while \
a plain sbatch to one partition had not started after 222 to 1439 seconds.\"><figcaption>Median time from submission to a running job on the testbed \
(from <a href=\"https://github.com/rv-hpc/rv/blob/main/BENCHMARKS.md\">BENCHMARKS.md</a>).</figcaption></figure>";

/// What rv does.
const FEATURES: &str = "<h2>What it does</h2><ul class=\"features\">\
<li><b>Fan-out, one winner.</b> Several submissions at once; a claim gate inside the job lets exactly one run, even if your laptop sleeps.</li>\
<li><b>Backfill-aware.</b> Reads the scheduler's own plan and <code>sbatch --test-only</code>; long jobs run as short checkpointed segments that fit backfill windows.</li>\
<li><b>Never leaves a job burning.</b> Ctrl-C, a timeout, a lost connection or a closed laptop cancel or end what no one uses.</li>\
<li><b>Live while you wait.</b> A board of every strategy: its state, why it waits, jobs ahead, time waited.</li>\
<li><b>Code, logs, ports, secrets.</b> <code>rv run</code> syncs and snapshots your project, streams output, forwards ports, injects encrypted secrets.</li>\
<li><b>Costs in service units</b> before you submit, and email when a job starts, ends or fails.</li>\
<li><b>One SSH connection.</b> Batched remote scripts, one round trip per command.</li>\
<li><b>Pipes.</b> <code>rv-probe | rv-plan | rv-submit | rv-watch</code> in NDJSON; <code>--json</code> everywhere.</li></ul>";

/// rv beside the plain sbatch way.
const VERSUS: &str = "<h2>rv or plain sbatch</h2><div class=\"scroll\"><table class=\"versus\">\
<thead><tr><th></th><th>plain sbatch</th><th>rv</th></tr></thead><tbody>\
<tr><th>Choosing a partition</th><td>guess one; resubmit when it waits</td><td>plans every GPU type and shape, submits the best at once</td></tr>\
<tr><th>Backfill windows</th><td>invisible</td><td>read from the queue; walltimes and segments fit them</td></tr>\
<tr><th>While waiting</th><td><code>squeue</code> by hand</td><td>a live board: state, reason, jobs ahead, predicted start</td></tr>\
<tr><th>When it starts</th><td>a job script, then <code>srun --pty</code></td><td>a shell on the winning node, code synced</td></tr>\
<tr><th>Laptop closes</th><td>interactive jobs burn their hours</td><td>the job ends itself when its lease runs out</td></tr>\
<tr><th>Long jobs</th><td>one long request, a long wait</td><td>checkpointed segments that backfill</td></tr>\
</tbody></table></div>";

/// The site's style: one column, readable, light or dark as the reader's system is.
const STYLE: &str = ":root{--fg:#1a202c;--muted:#5a6678;--bg:#fff;--soft:#f4f5f7;--line:#dde1e7;--link:#2b6cb0;--accent:#2b6cb0}\
@media (prefers-color-scheme:dark){:root{--fg:#e2e8f0;--muted:#a0aec0;--bg:#12151b;--soft:#1c2129;--line:#2d3440;--link:#7fb3ff;--accent:#4c8fe0}}\
*{box-sizing:border-box}body{font:16px/1.55 system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem;color:var(--fg);background:var(--bg)}\
header{display:flex;gap:1.5rem;align-items:baseline;margin-bottom:2rem;flex-wrap:wrap}header nav{display:flex;gap:1rem;flex-wrap:wrap}\
.brand{font-weight:700;font-size:1.25rem;text-decoration:none}a{color:var(--link)}\
pre{background:var(--soft);padding:.75rem;overflow:auto;border-radius:6px}code{font-family:ui-monospace,monospace;font-size:.92em}\
table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:.3rem .6rem;text-align:left;vertical-align:top}\
.scroll,article table{display:block;overflow-x:auto;max-width:100%}\
article{overflow-wrap:break-word}:not(pre)>code{overflow-wrap:anywhere}\
footer{margin-top:3rem;color:var(--muted);font-size:.875rem}\
.hero h1{font-size:clamp(1.8rem,5vw,2.8rem);line-height:1.15;margin:.5rem 0}.lede{font-size:1.15rem;color:var(--muted);max-width:48rem}\
.install{display:flex;gap:.5rem;align-items:center;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem;max-width:40rem}\
.install code{flex:1;overflow-x:auto;white-space:nowrap}\
button.copy{font:inherit;padding:.2rem .7rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}\
.cta{display:flex;gap:1rem;align-items:center}.button{background:var(--accent);color:#fff;padding:.5rem 1rem;border-radius:6px;text-decoration:none}\
figure{margin:2rem 0}figure img{width:100%;height:auto;border-radius:8px;border:1px solid var(--line);background:#fff}\
figcaption{color:var(--muted);font-size:.875rem;margin-top:.4rem}\
.flow{list-style:none;padding:0;display:flex;gap:.5rem;flex-wrap:wrap;counter-reset:step}\
.flow li{flex:1 1 10rem;background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:.75rem;position:relative}\
.flow li b{display:block;font-size:1.1rem}.flow li span{color:var(--muted);font-size:.9rem}\
.flow li:not(:last-child)::after{content:'→';position:absolute;right:-.55rem;top:40%;color:var(--accent);font-weight:700}\
.features{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.75rem 1.5rem;padding-left:1.2rem}\
.docs{display:grid;grid-template-columns:14rem minmax(0,1fr);gap:2rem}\
.sidebar ul,.sidebar ol{list-style:none;padding:0;margin:.5rem 0}.sidebar li{margin:.2rem 0}\
.sidebar a[aria-current]{font-weight:700;color:var(--fg)}\
.sidebar input{width:100%;font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}\
#results li{font-size:.9rem;border-bottom:1px solid var(--line);padding:.3rem 0}#results small{display:block;color:var(--muted)}\
@media (max-width:48rem){.docs{grid-template-columns:minmax(0,1fr)}.sidebar ul{display:flex;flex-wrap:wrap;gap:.2rem .9rem}}";

/// A docs page as the search reads it.
struct Searchable {
    name: &'static str,
    title: &'static str,
    /// Its rendered text ([`docs::plain`]).
    plain: String,
    /// `plain` in lowercase, for matching.
    lower: String,
}

/// Every docs page's text, worked out once (the docs are built into the binary).
fn searchable() -> &'static [Searchable] {
    static PAGES: std::sync::LazyLock<Vec<Searchable>> = std::sync::LazyLock::new(|| {
        docs::PAGES
            .iter()
            .map(|(name, text)| {
                let plain = docs::plain(text);
                Searchable {
                    name,
                    title: docs::title(text),
                    lower: plain.to_lowercase(),
                    plain,
                }
            })
            .collect()
    });
    &PAGES
}

/// The pages whose text holds every word of `query` (case-insensitive): (name, title,
/// a few words around the first match).
pub fn search(query: &str) -> Vec<(&'static str, &'static str, String)> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    searchable()
        .iter()
        .filter(|p| words.iter().all(|w| p.lower.contains(w.as_str())))
        .map(|p| (p.name, p.title, snippet(&p.plain, &p.lower, &words[0])))
        .collect()
}

/// About a hundred characters of `plain` around the first `word` (found in `lower`, its
/// lowercase twin).
fn snippet(plain: &str, lower: &str, word: &str) -> String {
    let at = lower.find(word).unwrap_or(0);
    // Lowercasing can change lengths outside ASCII: fall back to the start.
    let at = if plain.is_char_boundary(at) { at } else { 0 };
    let start = plain[..at]
        .char_indices()
        .rev()
        .nth(50)
        .map_or(0, |(i, _)| i);
    let text: String = plain[start..].chars().take(110).collect();
    format!("{}{text}…", if start > 0 { "…" } else { "" })
}

/// The search results page (the search box without JavaScript).
pub fn search_page(query: &str) -> Html<String> {
    let found = search(query);
    let mut body = format!(
        "<h1>Search</h1><p>{} pages mention <b>{}</b>.</p><ul>",
        found.len(),
        escape(query)
    );
    for (name, title, around) in &found {
        body.push_str(&format!(
            "<li><a href=\"/docs/{name}\">{}</a><br><small>{}</small></li>",
            escape(title),
            escape(around)
        ));
    }
    body.push_str("</ul>");
    docs_page("Search — rv docs", None, &body)
}

/// Every page's title and text, for the search as you type.
pub fn search_index() -> serde_json::Value {
    searchable()
        .iter()
        .map(|p| serde_json::json!({"name": p.name, "title": p.title, "text": p.plain}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_pages_holding_every_word() {
        let found = search("checkpoint");
        assert!(found.iter().any(|(n, _, _)| *n == "allocator"), "{found:?}");
        let (_, _, around) = found.iter().find(|(n, _, _)| *n == "allocator").unwrap();
        assert!(around.to_lowercase().contains("checkpoint"), "{around}");
        assert!(search("checkpoint zzzzunlikely").is_empty());
        assert!(search("  ").is_empty());
    }

    #[test]
    fn the_landing_page_has_what_a_visitor_looks_for() {
        let html = landing("https://rivanna.dev");
        for want in [
            "curl -fsSL https://rivanna.dev/install.sh | sh",
            "/assets/session.svg",
            "/assets/time-to-gpu.svg",
            "How it gets GPUs",
            "rv or plain sbatch",
        ] {
            assert!(html.contains(want), "{want}");
        }
        assert!(
            SESSION_SVG.contains("rv up --gpu 2 --time 30m"),
            "the recorded session is rv up's"
        );
    }
}

//! The documentation: the repository's `docs/*.md`, embedded at build time (one source for
//! the site, the README's links and the tests), rendered to HTML.

use pulldown_cmark::{Event, Options, Parser, Tag, html};

/// Every page: (name, markdown). A test checks this is every file in `docs/`.
pub const PAGES: &[(&str, &str)] = &[
    (
        "getting-started",
        include_str!("../../docs/getting-started.md"),
    ),
    ("commands", include_str!("../../docs/commands.md")),
    ("allocator", include_str!("../../docs/allocator.md")),
    ("configuration", include_str!("../../docs/configuration.md")),
    ("dependencies", include_str!("../../docs/dependencies.md")),
    ("multi-gpu", include_str!("../../docs/multi-gpu.md")),
    ("pipeline", include_str!("../../docs/pipeline.md")),
    ("ndjson", include_str!("../../docs/ndjson.md")),
    ("json", include_str!("../../docs/json.md")),
    ("notifications", include_str!("../../docs/notifications.md")),
    ("events", include_str!("../../docs/events.md")),
    ("leases", include_str!("../../docs/leases.md")),
    ("exit-codes", include_str!("../../docs/exit-codes.md")),
];

/// The markdown of page `name`.
pub fn page(name: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// A page's title: its first `# ` heading, else its name.
pub fn title(markdown: &str) -> &str {
    markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("rv")
}

/// The first paragraph after the title, as plain text (for indexes).
pub fn summary(markdown: &str) -> String {
    markdown
        .split("\n\n")
        .map(str::trim)
        .find(|p| {
            !p.is_empty() && !p.starts_with('#') && !p.starts_with("```") && !p.starts_with('|')
        })
        .unwrap_or_default()
        .replace('\n', " ")
}

/// HTML for `markdown`; links to sibling pages (`commands.md`) point at the site's pages.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest = dest_url.to_string();
            let local = dest
                .strip_suffix(".md")
                .filter(|d| page(d).is_some())
                .map(|d| format!("/docs/{d}"));
            Event::Start(Tag::Link {
                link_type,
                dest_url: local.map_or(dest_url, Into::into),
                title,
                id,
            })
        }
        // Raw HTML in the docs is shown, never interpreted.
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// The text of `markdown` as a reader sees it rendered: words and code, no markup.
pub fn plain(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `llms.txt`: what rv is and where each page is, for coding agents.
pub fn llms_txt(base: &str) -> String {
    let mut s = String::from(
        "# rv\n\n> rv makes a Slurm GPU cluster (first UVA's Rivanna/Afton) feel effortless: it plans several submission strategies across GPU types and backfill windows, keeps the first job that starts, and runs, syncs, logs and forwards for you over one SSH connection.\n\n## Docs\n\n",
    );
    for (name, text) in PAGES {
        s.push_str(&format!(
            "- [{}]({base}/docs/{name}.md): {}\n",
            title(text),
            summary(text)
        ));
    }
    s.push_str(&format!(
        "\n## Install\n\n- [install.sh]({base}/install.sh): `curl -fsSL {base}/install.sh | sh`\n"
    ));
    s
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_docs_file_is_a_page() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".md")
                    .map(str::to_owned)
            })
            .collect();
        files.sort();
        let mut pages: Vec<String> = PAGES.iter().map(|(n, _)| (*n).to_owned()).collect();
        pages.sort();
        assert_eq!(files, pages);
    }

    #[test]
    fn links_between_pages_stay_on_the_site_and_html_is_not_interpreted() {
        let html = render(
            "See [the records](ndjson.md) and [Slurm](https://slurm.schedmd.com).\n\n<script>x</script>\n",
        );
        assert!(html.contains("href=\"/docs/ndjson\""), "{html}");
        assert!(
            html.contains("href=\"https://slurm.schedmd.com\""),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert_eq!(title("# Exit codes\n\ntext"), "Exit codes");
        assert_eq!(
            summary("# T\n\nFirst para\nline two.\n\nSecond."),
            "First para line two."
        );
    }
}

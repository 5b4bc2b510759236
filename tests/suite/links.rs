//! Every claim's file exists: each link in the README, `docs/`, `reports/`,
//! `lab/` and ARCHITECTURE.md, and each repository path they cite in
//! backquotes (`reports/bench/…json`, `lab/scripts/…py`), resolves to a file
//! or directory of this checkout — relative to the page, or to the repository
//! root. A figure whose file left HEAD fails here, with the page and line.

use std::path::{Path, PathBuf};

use crate::common::repo;

fn markdown_pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let root = repo();
    let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in ["docs", "reports", "lab"] {
        if root.join(dir).is_dir() {
            walk(&root.join(dir), &mut pages);
        }
    }
    pages
}

/// Link targets of `[text](target)` that point into the checkout.
fn links(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or("").trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            found.push(target.to_string());
        }
    }
    found
}

/// Paths in backquotes that name a file of the repository: a known first
/// folder and no placeholder (`OUT`, `<…>`, `{…}`, `*`, `$`, `…`).
fn cited_paths(line: &str) -> Vec<String> {
    const ROOTS: [&str; 8] = [
        "reports/", "lab/", "docs/", "scripts/", "tests/", "src/", "deploy/", "benches/",
    ];
    line.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| ROOTS.iter().any(|r| t.starts_with(r)))
        .filter(|t| {
            !t.contains(|c: char| c.is_whitespace() || "<>{}*$…|".contains(c))
                && !t.split('/').any(|part| {
                    part.len() > 1 && part.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                })
        })
        .map(|t| t.trim_end_matches([',', '.', ':', ';']).to_string())
        .collect()
}

#[test]
fn every_link_and_cited_path_exists() {
    let root = repo();
    let mut missing = Vec::new();
    let mut checked = 0;
    for page in markdown_pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        let mut in_code = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            let mut targets: Vec<(String, bool)> =
                links(line).into_iter().map(|t| (t, false)).collect();
            if !in_code {
                targets.extend(cited_paths(line).into_iter().map(|t| (t, true)));
            }
            for (target, from_root) in targets {
                checked += 1;
                let exists =
                    dir.join(&target).exists() || (from_root && root.join(&target).exists());
                if !exists {
                    missing.push(format!(
                        "{}:{}: {target}",
                        page.strip_prefix(root).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links and paths found: the scan is broken"
    );
    assert!(
        missing.is_empty(),
        "{} links or cited paths name nothing in this checkout:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The scan itself finds what it should.
#[test]
fn links_and_cited_paths_are_recognised() {
    assert_eq!(
        links("see [the report](report/report.md#top) and [site](https://x.org)"),
        ["report/report.md"]
    );
    assert_eq!(
        cited_paths("`reports/bench/a.json`, `lab/OUT/x.json`, `scripts/x.sh OUT`, `cargo test`"),
        ["reports/bench/a.json"]
    );
}

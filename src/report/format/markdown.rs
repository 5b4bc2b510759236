//! GitHub-flavoured markdown: tables, and the whole report document.

use super::TableFormat;
use crate::report::{Section, Table};

pub struct Markdown;

/// Escapes what would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn table(t: &Table) -> String {
    let mut out = format!(
        "| {} |\n",
        t.headers
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
    for row in &t.rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

impl TableFormat for Markdown {
    fn render(
        &self,
        _inputs: &[crate::report::Input],
        tables: &[Table],
    ) -> Result<String, crate::results::export::ExportError> {
        Ok(tables
            .iter()
            .map(|t| format!("### {}\n\n{}", t.title, table(t)))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// The report document: sections with prose, tables and chart images.
pub fn document(title: &str, intro: &[String], sections: &[Section]) -> String {
    let mut out = format!("# {title}\n\n");
    for line in intro {
        out.push_str(&format!("{line}\n\n"));
    }
    for s in sections {
        out.push_str(&format!("## {}\n\n", s.title));
        for p in &s.paragraphs {
            out.push_str(&format!("{p}\n\n"));
        }
        for (file, alt) in &s.charts {
            out.push_str(&format!("![{alt}]({file})\n\n"));
        }
        for (i, t) in s.tables.iter().enumerate() {
            if i > 0 || t.title != s.title {
                out.push_str(&format!("**{}**\n\n", t.title));
            }
            out.push_str(&table(t));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pipes_in_cells_are_escaped() {
        let mut t = crate::report::Table::new("t", "T", &["a", "b"]);
        t.row(vec!["x|y".into(), "z".into()]);
        assert_eq!(super::table(&t), "| a | b |\n|---|---|\n| x\\|y | z |\n");
    }
}

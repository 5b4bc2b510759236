//! CSV: each table under a `# title` line, RFC 4180 quoting.

use super::TableFormat;
use crate::report::Table;

pub struct Csv;

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl TableFormat for Csv {
    fn render(&self, tables: &[Table]) -> anyhow::Result<String> {
        let mut out = String::new();
        for t in tables {
            out.push_str(&format!("# {}\n", t.title));
            for row in std::iter::once(&t.headers).chain(t.rows.iter()) {
                out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_what_needs_it() {
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("plain"), "plain");
    }
}

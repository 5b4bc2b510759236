//! JSON: the tables as an array of {id, title, headers, rows}.

use super::TableFormat;
use crate::report::Table;

pub struct Json;

impl TableFormat for Json {
    fn render(&self, tables: &[Table]) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(tables)? + "\n")
    }
}

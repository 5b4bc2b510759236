//! JSON: `{"schema": "nvviz-bench.report", "schema_version": 1, "tables": [{id, title, headers, rows}]}`.

use super::TableFormat;
use crate::report::Table;
use crate::results::export::ExportError;

pub struct Json;

impl TableFormat for Json {
    fn render(
        &self,
        _inputs: &[crate::report::Input],
        tables: &[Table],
    ) -> Result<String, ExportError> {
        let doc = serde_json::json!({
            "schema": "nvviz-bench.report",
            "schema_version": 1,
            "tables": tables,
        });
        Ok(serde_json::to_string_pretty(&doc)? + "\n")
    }
}

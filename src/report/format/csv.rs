//! CSV: one tidy table — a row per case of every input, numbers as numbers,
//! units in the header (the results' own CSV export, with the input's name in
//! front), for pandas, R or a spreadsheet.

use super::TableFormat;
use crate::report::{Input, Table};
use crate::results::export::ExportError;

pub struct Csv;

impl TableFormat for Csv {
    fn render(&self, inputs: &[Input], _tables: &[Table]) -> Result<String, ExportError> {
        let named: Vec<(&str, &crate::results::Results)> = inputs
            .iter()
            .map(|i| (i.label.as_str(), &i.results))
            .collect();
        crate::results::export::tidy_csv(&named)
    }
}

//! Output formats for the report's tables, one small trait and a file per
//! format (as hyperfine's exporters).

pub mod csv;
pub mod json;
pub mod markdown;

use clap::ValueEnum;

use super::Table;
use crate::results::export::ExportError;

pub trait TableFormat {
    /// The report's tables for these inputs, as text.
    fn render(&self, inputs: &[super::Input], tables: &[Table]) -> Result<String, ExportError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Md,
    Json,
    Csv,
}

pub fn formatter(f: Format) -> Box<dyn TableFormat> {
    match f {
        Format::Md => Box::new(markdown::Markdown),
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::Csv),
    }
}

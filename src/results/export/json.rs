//! The results document.

use super::{ExportError, Exporter};
use crate::results::Results;

pub struct Json;

impl Exporter for Json {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        let mut bytes = serde_json::to_vec_pretty(results)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

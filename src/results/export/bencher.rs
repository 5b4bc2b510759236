//! Bencher Metric Format: `{"series": {"throughput": {"value", "lower_value", "upper_value"}}}`.

use serde_json::{json, Map, Value};

use super::{measured, ExportError, Exporter};
use crate::results::{label, Results};

pub struct Bencher;

impl Exporter for Bencher {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        let mut out = Map::new();
        for (c, f) in measured(results) {
            out.insert(
                label::series(c),
                json!({"throughput": {"value": f.mean, "lower_value": f.min, "upper_value": f.max}}),
            );
        }
        Ok(serde_json::to_vec_pretty(&Value::Object(out))?)
    }
}

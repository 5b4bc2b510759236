//! github-action-benchmark's `customBiggerIsBetter`: `[{"name", "unit", "value", "range", "extra"}]`.

use serde_json::{json, Value};

use super::{measured, ExportError, Exporter};
use crate::results::{label, Results};

pub struct GithubBenchmark;

impl Exporter for GithubBenchmark {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        let entries: Vec<Value> = measured(results)
            .map(|(c, f)| {
                let fallback = c.encoder.fallback.as_ref().map_or(String::new(), |fb| {
                    format!("; fallback from {}: {}", fb.from, fb.cause.kind())
                });
                json!({
                    "name": label::series(c),
                    "unit": "fps",
                    "value": f.mean,
                    "range": format!("± {:.2}", f.stddev),
                    "extra": format!("encoder: {}{fallback}; {} runs", c.encoder.used_or_requested(), f.n),
                })
            })
            .collect();
        Ok(serde_json::to_vec_pretty(&Value::Array(entries))?)
    }
}

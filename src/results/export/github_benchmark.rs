//! github-action-benchmark's `customBiggerIsBetter`: `[{"name", "unit", "value", "range", "extra"}]`.

use serde_json::{json, Value};

use super::{measured, ExportError, Exporter};
use crate::results::{label, Results};

pub struct GithubBenchmark;

impl Exporter for GithubBenchmark {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        let entries: Vec<Value> = measured(results)
            .map(|(c, f)| {
                json!({
                    "name": label::series(c),
                    "unit": "fps",
                    "value": f.mean,
                    "range": format!("± {:.2}", f.stddev),
                    "extra": format!("encoder: {}; {} runs", label::encoder_with_cause(c), f.n),
                })
            })
            .collect();
        Ok(serde_json::to_vec_pretty(&Value::Array(entries))?)
    }
}

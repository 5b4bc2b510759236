//! Results in the formats of the services teams already run for benchmark
//! history: Bencher Metric Format (`bencher run --adapter json`) and
//! github-action-benchmark's `customBiggerIsBetter`.

use serde_json::{json, Map, Value};

use super::{CaseStatus, Results};

/// Case name as these services show it: id and resolution.
fn name(c: &super::CaseResult) -> String {
    format!("{} {}x{}", c.id, c.width, c.height)
}

/// `{"case": {"throughput": {"value": fps, "lower_value": min, "upper_value": max}}}`.
pub fn bencher(results: &Results) -> Value {
    let mut out = Map::new();
    for c in &results.cases {
        if let (CaseStatus::Ok, Some(f)) = (&c.status, &c.fps) {
            out.insert(
                name(c),
                json!({"throughput": {"value": f.mean, "lower_value": f.min, "upper_value": f.max}}),
            );
        }
    }
    Value::Object(out)
}

/// `[{"name", "unit": "fps", "value", "range", "extra"}]`.
pub fn github_benchmark(results: &Results) -> Value {
    Value::Array(
        results
            .cases
            .iter()
            .filter_map(|c| match (&c.status, &c.fps) {
                (CaseStatus::Ok, Some(f)) => Some(json!({
                    "name": name(c),
                    "unit": "fps",
                    "value": f.mean,
                    "range": format!("± {:.2}", f.stddev),
                    "extra": format!(
                        "encoder: {}{}; {} runs",
                        c.encoder.as_deref().unwrap_or("none"),
                        if c.fallback.is_some() { " (fallback)" } else { "" },
                        f.n
                    ),
                })),
                _ => None,
            })
            .collect(),
    )
}

//! One row per case, one column per results file: fps across machines, the
//! encoder that really ran named where it fell back.

use crate::report::{Input, Section, Table};
use crate::results::label;

pub fn section(inputs: &[Input]) -> Section {
    let mut headers = vec!["Case".to_string()];
    headers.extend(inputs.iter().map(|i| i.label.clone()));
    let mut t = Table {
        id: "across-machines".into(),
        title: "Across machines (fps)".into(),
        headers,
        rows: Vec::new(),
    };
    let mut ids: Vec<&str> = Vec::new();
    for input in inputs {
        for c in &input.results.cases {
            if !ids.contains(&c.id.as_str()) {
                ids.push(&c.id);
            }
        }
    }
    for id in ids {
        let mut row = vec![id.to_string()];
        for input in inputs {
            row.push(match input.results.cases.iter().find(|c| c.id == id) {
                Some(c) if c.encoder.is_fallback() && c.is_ok() => {
                    format!("{} [{}]", label::fps(c), label::encoder_short(c))
                }
                Some(c) => label::outcome(c),
                None => "-".into(),
            });
        }
        t.rows.push(row);
    }
    let machines: Vec<String> = inputs
        .iter()
        .map(|i| {
            let e = &i.results.environment;
            format!(
                "`{}`: {} ({} cores){}",
                i.label,
                e.host.cpu_model,
                e.host.logical_cores,
                if e.gpus.is_empty() {
                    String::new()
                } else {
                    format!(", {}", e.gpus.join(", "))
                }
            )
        })
        .collect();
    Section {
        title: "Across machines".into(),
        paragraphs: vec![
            machines.join("; "),
            "Cells in [brackets] name the encoder that actually ran after a fallback.".into(),
        ],
        tables: vec![t],
        charts: Vec::new(),
    }
}

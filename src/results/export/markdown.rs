//! A table of cases for a pull request or a job summary.

use super::{ExportError, Exporter};
use crate::results::{label, Results};

pub struct Markdown;

impl Exporter for Markdown {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        let w = &results.workload;
        let mut out =
            String::from("| case | encoder | preset | fps | runs |\n|---|---|---|---|---|\n");
        for c in &results.cases {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                c.id,
                label::encoder(c),
                c.preset.used.as_deref().unwrap_or("-"),
                label::outcome(c),
                c.runs.len()
            ));
        }
        out.push_str(&format!(
            "\n{}x{} @ {} fps, {} timed frames a run; fps mean ± stddev over runs.\n",
            w.width, w.height, w.fps, w.frames
        ));
        let mut seen = std::collections::BTreeSet::new();
        for c in &results.cases {
            if let Some(fb) = &c.encoder.fallback {
                let line = format!(
                    "\n**Fallback**: {} did not run ({}: {}); the cases that asked for it are {}'s numbers.\n",
                    fb.from,
                    fb.cause.kind(),
                    fb.cause,
                    c.encoder.used_or_requested()
                );
                if seen.insert(line.clone()) {
                    out.push_str(&line);
                }
            }
        }
        Ok(out.into_bytes())
    }
}

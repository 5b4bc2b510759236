//! One tidy table: a row per case, numbers as numbers, units in the header.

use super::{ExportError, Exporter};
use crate::results::{label, CaseStatus, Results};

pub struct Csv;

const HEADER: &[&str] = &[
    "id",
    "series",
    "mode",
    "overlay",
    "sink",
    "encoder_requested",
    "encoder_used",
    "fallback_from",
    "fallback_cause",
    "stand_in",
    "preset_requested",
    "preset_used",
    "pix_fmt",
    "sessions",
    "engine",
    "width",
    "height",
    "status",
    "cause",
    "runs",
    "fps_mean",
    "fps_stddev",
    "fps_min",
    "fps_max",
    "ratio_reference",
    "ratio_mean",
    "ratio_stddev",
    "overlay_ms_per_frame",
    "encode_ms_per_frame",
    "peak_rss_mib",
    "rss_scope",
];

pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Exporter for Csv {
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError> {
        Ok(table(&[(None, results)])?.into_bytes())
    }
}

/// Several results files in one table, each row led by its file's name.
pub fn tidy(named: &[(&str, &Results)]) -> Result<String, ExportError> {
    let with: Vec<(Option<&str>, &Results)> = named.iter().map(|(n, r)| (Some(*n), *r)).collect();
    table(&with)
}

fn table(named: &[(Option<&str>, &Results)]) -> Result<String, ExportError> {
    let lead = named.iter().any(|(n, _)| n.is_some());
    let mut out = if lead {
        "results,".to_string()
    } else {
        String::new()
    };
    out.push_str(&HEADER.join(","));
    out.push('\n');
    for (name, results) in named {
        let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
        for c in &results.cases {
            let f = c.fps.filter(|_| c.status == CaseStatus::Ok);
            let s = c.stages_ms_per_frame.as_ref();
            let peak = c.runs.iter().map(|r| r.max_rss_mib).reduce(f64::max);
            let row = [
                c.id.clone(),
                label::series(c),
                c.mode.name().into(),
                c.overlay.map_or(String::new(), |o| o.name().into()),
                serde_json::to_value(c.sink)?.as_str().unwrap_or("").into(),
                c.encoder.requested.clone().unwrap_or_default(),
                c.encoder.used.clone().unwrap_or_default(),
                c.encoder
                    .fallback
                    .as_ref()
                    .map_or(String::new(), |f| f.from.clone()),
                c.encoder
                    .fallback
                    .as_ref()
                    .map_or(String::new(), |f| f.cause.kind().into()),
                label::case_stand_in(c).unwrap_or_default(),
                c.preset.requested.clone().unwrap_or_default(),
                c.preset.used.clone().unwrap_or_default(),
                c.pix_fmt.map_or(String::new(), |p| p.name().into()),
                c.sessions.to_string(),
                c.engine.map_or(String::new(), |e| e.name().into()),
                c.width.to_string(),
                c.height.to_string(),
                serde_json::to_value(c.status)?
                    .as_str()
                    .unwrap_or("")
                    .into(),
                c.reason
                    .as_ref()
                    .map_or(String::new(), |r| r.cause().into()),
                c.runs.len().to_string(),
                num(f.map(|f| f.mean)),
                num(f.map(|f| f.stddev)),
                num(f.map(|f| f.min)),
                num(f.map(|f| f.max)),
                c.relative
                    .as_ref()
                    .map_or(String::new(), |r| r.reference.clone()),
                num(c.relative.as_ref().map(|r| r.ratio.mean)),
                num(c.relative.as_ref().map(|r| r.ratio.stddev)),
                num(s
                    .filter(|_| c.overlay.is_some())
                    .map(|s| s.overlay + s.conversion)),
                num(s
                    .filter(|_| c.sink.is_ffmpeg() || c.sink == crate::results::Sink::OpencvWriter)
                    .map(|s| s.write + s.finalize)),
                num(peak),
                c.runs.first().map_or(String::new(), |r| {
                    serde_json::to_value(r.rss_scope)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                }),
            ];
            if let Some(n) = name {
                out.push_str(&field(n));
                out.push(',');
            }
            out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    Ok(out)
}

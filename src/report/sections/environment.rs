//! Where the timings came from (CPU, GPU, driver, ffmpeg, OpenCV, version and
//! commit per results file), and every fallback with its cause.

use crate::report::{Input, Section, Table};

pub fn section(inputs: &[Input]) -> Section {
    let mut headers = vec!["".to_string()];
    headers.extend(inputs.iter().map(|i| i.label.clone()));
    let mut t = Table {
        id: "environment".into(),
        title: "Environment".into(),
        headers,
        rows: Vec::new(),
    };
    let field = |name: &str, f: &dyn Fn(&Input) -> String| {
        let mut row = vec![name.to_string()];
        row.extend(inputs.iter().map(f));
        row
    };
    let e = |i: &Input| i.results.environment.clone();
    t.rows.push(field("CPU", &|i| e(i).host.cpu_model));
    t.rows
        .push(field("cores", &|i| e(i).host.logical_cores.to_string()));
    t.rows.push(field("memory (MiB)", &|i| {
        e(i).host
            .memory_total_mib
            .map_or("?".into(), |m| m.to_string())
    }));
    t.rows.push(field("OS", &|i| e(i).host.os));
    t.rows.push(field("GPU", &|i| {
        if e(i).gpus.is_empty() {
            "none".into()
        } else {
            e(i).gpus.join(", ")
        }
    }));
    t.rows.push(field("NVIDIA driver", &|i| {
        e(i).nvidia_driver.unwrap_or_else(|| "-".into())
    }));
    t.rows.push(field("CUDA", &|i| {
        e(i).cuda_driver.unwrap_or_else(|| "-".into())
    }));
    t.rows.push(field("ffmpeg", &|i| {
        e(i).ffmpeg_version.unwrap_or_else(|| "not found".into())
    }));
    t.rows.push(field("OpenCV", &|i| {
        e(i).opencv_version.unwrap_or_else(|| "not built".into())
    }));
    t.rows.push(field("nvviz-bench", &|i| {
        format!("{} ({})", e(i).tool_version, e(i).git_commit)
    }));
    t.rows.push(field("complete", &|i| {
        if i.results.incomplete {
            "no (interrupted or failed)".into()
        } else {
            "yes".into()
        }
    }));

    let mut fb = Table::new(
        "fallbacks",
        "Fallbacks",
        &["Results", "Case", "Requested", "Used", "Cause", "Reason"],
    );
    for input in inputs {
        for c in &input.results.cases {
            if let Some(f) = &c.encoder.fallback {
                fb.row(vec![
                    input.label.clone(),
                    c.id.clone(),
                    f.from.clone(),
                    c.encoder.used_or_requested().to_string(),
                    f.cause.kind().into(),
                    f.cause.to_string(),
                ]);
            }
        }
    }
    let mut paragraphs = Vec::new();
    if !fb.rows.is_empty() {
        paragraphs.push(format!(
            "**{} case(s) fell back from the encoder they asked for.** Their numbers are the fallback \
             encoder's (usually a CPU encoder), not NVENC's — see the Fallbacks table.",
            fb.rows.len()
        ));
    } else {
        paragraphs.push("No case fell back: every encoder ran as requested.".into());
    }
    let mut tables = vec![t];
    if !fb.rows.is_empty() {
        tables.push(fb);
    }
    Section {
        title: "Environment".into(),
        paragraphs,
        tables,
        charts: Vec::new(),
    }
}

//! `nvviz-bench render`: the visualizer itself — the flags made into a
//! `RenderSpec` and a workload, run by `bench::render` (one case through the
//! bench's lifecycle), the encoder that really wrote the video reported.

use std::sync::Arc;

use anyhow::bail;

use super::Outcome;
use crate::bench::render::{execute, failure, Prepared, RenderSpec};
use crate::cli::options;
use crate::cli::progress::{Display, Terminal};
use crate::cli::stdio::{errln, outln};
use crate::cli::RenderArgs;
use crate::probe::gpu::GpuChoice;
use crate::report::terminal::render::said;
use crate::workload::Workload;

pub fn run(args: &RenderArgs) -> anyhow::Result<Outcome> {
    let observer = Arc::new(Terminal(Display::detect(args.quiet)));
    let spec = spec(args)?;
    let rendered = execute(&spec, prepare(args, &spec, None)?, observer)?;
    if let Some(bytes) = &rendered.export {
        crate::cli::stdio::out_bytes(bytes)?;
    }
    rendered.ran?;
    let case = &rendered.results.cases[0];
    let said = said(case, &spec.output, args.verbose);
    for note in &said.notes {
        errln!("{note}");
    }
    if let Some(failure) = failure(case) {
        bail!("{failure}");
    }
    for line in &said.lines {
        outln!("{line}")?;
    }
    Ok(Outcome::Ok)
}

/// What the flags ask `render` to do.
pub fn spec(args: &RenderArgs) -> anyhow::Result<RenderSpec> {
    Ok(RenderSpec {
        output: args.output.clone(),
        mode: args.mode.mode(),
        codec: args.codec.clone(),
        preset: args.preset.clone(),
        pix_fmt: args.pix_fmt,
        template: args.encoder.template(),
        fourcc: args.encoder.fourcc.clone(),
        engine: args.engine.config(),
        write_timeout: args.encoder.write_timeout,
        export_json: args.export_json.clone(),
        workload: options::workload_spec(&args.workload, 0)?,
        fallback: !args.encoder.no_fallback,
        gpu: args.encoder.gpu,
    })
}

/// Everything checked and built before the case runs: the output's place,
/// the writer's chooser and the workload — the one the flags name, or `fed`
/// (the Python module's: frames or detections handed over while it runs).
pub fn prepare(
    args: &RenderArgs,
    spec: &RenderSpec,
    fed: Option<Workload>,
) -> anyhow::Result<Prepared> {
    spec.check_output()?;
    spec.workload
        .refuse_overwriting(&[("-o", spec.output.clone())])?;
    if spec.gpu == Some(GpuChoice::All) {
        bail!("--gpu all: render writes one video on one GPU; give its index (bench --gpu all measures every GPU)");
    }
    let gpu = crate::probe::gpu::probe();
    let pinned = args.encoder.gpus(&gpu)?.into_iter().next();
    let chooser = args.encoder.chooser(&gpu)?;
    let workload = match fed {
        Some(workload) => workload,
        None => {
            let mut workload = spec.workload.clone();
            workload.nvdec_device = pinned.as_ref().map(|g| g.cuda);
            options::workload(&workload, &chooser)?
        }
    };
    Ok(Prepared {
        gpu,
        pinned,
        chooser,
        workload,
    })
}

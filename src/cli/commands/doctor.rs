//! `nvviz-bench doctor`: runs the probes and shows the answer, as tables for
//! people or as versioned JSON for machines.

use anyhow::Context;

use super::Outcome;
use crate::cli::{DoctorArgs, Requirement};
use crate::probe::{self, DoctorReport, ProbeOptions};

pub fn run(args: &DoctorArgs) -> anyhow::Result<Outcome> {
    let verbose = args.verbose;
    let report = probe::run(&options(args));
    if args.json {
        crate::cli::stdio::outln!(
            "{}",
            serde_json::to_string_pretty(&report).context("serializing the doctor report")?
        )?;
    } else {
        crate::cli::stdio::out(&crate::report::terminal::doctor::render(&report, verbose))?;
    }
    Ok(if requirement_met(&report, args.require) {
        Outcome::Ok
    } else {
        Outcome::RequirementNotMet
    })
}

/// The probes' options from doctor's flags (the CLI's and the Python module's `doctor()`).
pub fn options(args: &DoctorArgs) -> ProbeOptions {
    ProbeOptions {
        ffmpeg: args.ffmpeg.clone(),
        probe_timeout: args.probe_timeout,
        trial_timeout: args.trial_timeout,
        trial_frames: args.trial_frames,
        skip_trials: args.no_trial,
    }
}

pub fn requirement_met(report: &DoctorReport, require: Option<Requirement>) -> bool {
    let v = &report.verdict;
    match require {
        None => v.can_write_video,
        Some(Requirement::Nvenc) => v.nvenc_usable,
        Some(Requirement::Ffmpeg) => v.nvenc_usable || v.cpu_fallback.is_some(),
        Some(Requirement::Opencv) => v.opencv_writer.is_some(),
    }
}

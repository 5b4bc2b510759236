//! `nvviz_bench._native`: the library's front door for Python. Every entry
//! turns its arguments into the command line's own arguments (parsed and
//! checked by the same clap definition, so a bad value gets the same one-line
//! error) and runs the same library code as the CLI:
//! - `Writer` (`writer.rs`): `render`'s one case on frames the caller hands
//!   over (`Workload::fed`), through the bench's lifecycle on its pipelined engine;
//! - `Visualizer` (`visualizer.rs`): `render`'s one case on a video, drawn
//!   with the detections the caller sends while it runs (`LiveTracks`), the
//!   demo's `NVENCVisualizer` underneath (`nvviz_bench/visualizer.py`);
//! - `doctor()`: what `doctor --json` prints;
//! - `run_cli(argv)`: the whole command line (the wheel's `nvviz-bench` script).

mod session;
mod visualizer;
mod writer;

use std::ffi::OsString;
use std::path::PathBuf;

use nvviz_bench::cli::{Cli, Command};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    _native,
    EncodeError,
    PyRuntimeError,
    "The video could not be written: the tool's one-line cause, with its fix."
);

/// Parses `nvviz-bench ARGS…` with the CLI's definition; its error as ValueError.
fn parse(args: Vec<String>) -> PyResult<Command> {
    let argv = std::iter::once("nvviz-bench".to_string()).chain(args);
    <Cli as clap::Parser>::try_parse_from(argv)
        .map(|cli| cli.command)
        .map_err(|e| PyValueError::new_err(first_line(&e.to_string())))
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string()
}

fn to_python(py: Python<'_>, value: &impl serde::Serialize) -> PyResult<PyObject> {
    let text = serde_json::to_string(value).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// A library error met before anything ran (a bad path, size or setting).
fn to_value_error(e: anyhow::Error) -> PyErr {
    PyValueError::new_err(format!("{e:#}"))
}

/// The encoder's flags, as `render` takes them.
fn encoder_flags(
    encoder: &str,
    codec: &str,
    preset: &str,
    bitrate: Option<String>,
    maxrate: Option<String>,
    ffmpeg: Option<PathBuf>,
) -> PyResult<Vec<String>> {
    let mut args = Vec::new();
    for (flag, value) in [
        ("--codec", Some(codec.to_string())),
        ("--preset", Some(preset.to_string())),
        ("--bitrate", bitrate),
        ("--maxrate", maxrate),
        ("--ffmpeg", ffmpeg.map(|f| f.to_string_lossy().into_owned())),
    ] {
        if let Some(value) = value {
            args.extend([flag.to_string(), value]);
        }
    }
    match encoder {
        "auto" => {}
        "nvenc" => args.push("--no-fallback".into()),
        other => {
            return Err(PyValueError::new_err(format!(
                "encoder={other:?}: use \"auto\" (NVENC, else the codec's CPU encoders, reported) or \"nvenc\" (no fallback)"
            )))
        }
    }
    Ok(args)
}

/// What `doctor --json` prints, as Python objects.
#[pyfunction]
#[pyo3(signature = (*, ffmpeg = None, trial = true))]
fn doctor(py: Python<'_>, ffmpeg: Option<PathBuf>, trial: bool) -> PyResult<PyObject> {
    let mut args = vec!["doctor".to_string(), "--json".into()];
    if let Some(f) = ffmpeg {
        args.extend(["--ffmpeg".into(), f.to_string_lossy().into_owned()]);
    }
    if !trial {
        args.push("--no-trial".into());
    }
    let Command::Doctor(doctor) = parse(args)? else {
        unreachable!("the arguments name doctor")
    };
    let options = nvviz_bench::cli::commands::doctor::options(&doctor);
    let report = py.allow_threads(move || nvviz_bench::probe::run(&options));
    to_python(py, &report)
}

/// The command line, in this process: `run_cli(sys.argv)` returns its exit status.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.allow_threads(move || nvviz_bench::cli::main(argv))
}

/// Aborts every writer and visualizer not yet closed (registered with
/// atexit by the package): nothing half-written kept, no ffmpeg left.
#[pyfunction]
fn _abort_all(py: Python<'_>) {
    session::abort_all(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("EncodeError", m.py().get_type::<EncodeError>())?;
    // The demo's class attributes: its vocabularies and exclusion list.
    use nvviz_bench::workload::actions::{AVA, COMMON, EXCLUSION};
    m.add("CATEGORIES", AVA.to_vec())?;
    m.add("COMMON_CATES", COMMON.to_vec())?;
    m.add("EXCLUSION", EXCLUSION.to_vec())?;
    m.add_class::<session::Session>()?;
    m.add_class::<writer::Writer>()?;
    m.add_class::<visualizer::Visualizer>()?;
    m.add_function(wrap_pyfunction!(doctor, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(_abort_all, m)?)?;
    Ok(())
}

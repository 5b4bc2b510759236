//! `nvviz_bench._native`: the library's front door for Python. Every entry
//! turns its arguments into the command line's own arguments (parsed and
//! checked by the same clap definition, so a bad value gets the same one-line
//! error) and runs the same library code as the CLI:
//! - `Writer`: `render`'s one case on frames the caller hands over
//!   (`Workload::fed`), through the bench's lifecycle on its pipelined engine;
//! - `doctor()`: what `doctor --json` prints;
//! - `run_cli(argv)`: the whole command line (the wheel's `nvviz-bench` script).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use nvviz_bench::bench::progress::{Observer, RunObserver, Silent};
use nvviz_bench::cli::commands::render::{execute, failure, Rendered};
use nvviz_bench::cli::{Cli, Command};
use nvviz_bench::results::CaseResult;
use nvviz_bench::workload::feed::{FeedError, FeedSender};
use nvviz_bench::workload::Workload;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

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

/// The case's start (its writer chosen), told by the lifecycle.
#[derive(Default)]
struct Started {
    case: Mutex<Option<CaseResult>>,
    ready: Condvar,
}

struct Told(Arc<Started>);

impl Observer for Told {
    fn run_started(&self, _label: &str, _frames: u64) -> Box<dyn RunObserver> {
        Box::new(Silent)
    }

    fn case_started(&self, result: &CaseResult) {
        if let Ok(mut case) = self.0.case.lock() {
            *case = Some(result.clone());
        }
        self.0.ready.notify_all();
    }
}

/// What a writer shares with the interpreter's exit hook (`_abort_all`).
struct Running {
    feed: Mutex<Option<FeedSender>>,
    worker: Mutex<Option<JoinHandle<anyhow::Result<Rendered>>>>,
}

impl Running {
    /// Ends the feed (`abort`: as a failure) and waits for the case.
    fn end(&self, abort: bool) -> Option<anyhow::Result<Rendered>> {
        if let Some(feed) = self.feed.lock().ok()?.take() {
            if abort {
                feed.abort();
            }
        }
        let worker = self.worker.lock().ok()?.take()?;
        Some(
            worker
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer's thread panicked"))),
        )
    }
}

/// Writers not yet closed, for the interpreter's exit.
static OPEN: Mutex<Vec<Weak<Running>>> = Mutex::new(Vec::new());

/// A video writer: BGR `uint8` frames (height × width × 3, C-contiguous) in,
/// a verified video out, written with the encoder the tool's fallback chain
/// chooses (NVENC, then the codec's CPU encoders) on its pipelined engine.
#[pyclass(module = "nvviz_bench._native")]
struct Writer {
    width: u32,
    height: u32,
    running: Arc<Running>,
    started: Option<CaseResult>,
    /// The case's result once closed (or failed).
    result: Option<CaseResult>,
    /// Why it stopped, where it failed: raised again on every later call.
    failure: Option<String>,
    output: PathBuf,
}

#[pymethods]
impl Writer {
    /// `encoder`: "auto" (NVENC, then the CPU encoders of the codec, reported)
    /// or "nvenc" (fail instead of falling back).
    #[new]
    #[pyo3(signature = (path, width, height, fps, *, encoder = "auto", codec = "h264", preset = "p1", pix_fmt = "bgr24", bitrate = None, maxrate = None, ffmpeg = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        width: u32,
        height: u32,
        fps: f64,
        encoder: &str,
        codec: &str,
        preset: &str,
        pix_fmt: &str,
        bitrate: Option<String>,
        maxrate: Option<String>,
        ffmpeg: Option<PathBuf>,
    ) -> PyResult<Self> {
        if width == 0 || height == 0 || !(fps.is_finite() && fps > 0.0) {
            return Err(PyValueError::new_err(format!(
                "width, height and fps must be positive (got {width}x{height} at {fps} fps)"
            )));
        }
        let mut args: Vec<String> = vec!["render", "--quiet", "--mode", "encode-only"]
            .into_iter()
            .map(String::from)
            .collect();
        args.extend(["-o".into(), path.to_string_lossy().into_owned()]);
        for (flag, value) in [
            ("--codec", Some(codec.to_string())),
            ("--preset", Some(preset.to_string())),
            ("--pix-fmt", Some(pix_fmt.to_string())),
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
        let Command::Render(render) = parse(args)? else {
            unreachable!("the arguments name render")
        };
        let (feed, workload) = Workload::fed(width, height, fps);
        let started = Arc::new(Started::default());
        let observer = Arc::new(Told(Arc::clone(&started)));
        let worker = std::thread::Builder::new()
            .name("nvviz-writer".into())
            .spawn(move || execute(&render, Some(workload), observer))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the writer: {e}")))?;
        let running = Arc::new(Running {
            feed: Mutex::new(Some(feed)),
            worker: Mutex::new(Some(worker)),
        });
        if let Ok(mut open) = OPEN.lock() {
            open.retain(|w| w.strong_count() > 0);
            open.push(Arc::downgrade(&running));
        }
        let mut writer = Self {
            width,
            height,
            running,
            started: None,
            result: None,
            failure: None,
            output: path,
        };
        // Until the case has chosen its writer (a trial encode), or stopped.
        let run = Arc::clone(&writer.running);
        let case = py.allow_threads(move || loop {
            let guard = started.case.lock().expect("the start's lock");
            let (guard, _) = started
                .ready
                .wait_timeout(guard, Duration::from_millis(50))
                .expect("the start's lock");
            if let Some(case) = guard.clone() {
                return Some(case);
            }
            let done = run
                .worker
                .lock()
                .map_or(true, |w| w.as_ref().map_or(true, JoinHandle::is_finished));
            if done {
                return None;
            }
        });
        match case {
            Some(case) => writer.started = Some(case),
            None => return Err(writer.stopped(py)),
        }
        Ok(writer)
    }

    /// Hands one frame over; returns once the writer has copied it (so the
    /// array may be reused at once). The interpreter is released meanwhile.
    fn write(&mut self, py: Python<'_>, frame: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(why) = &self.failure {
            return Err(EncodeError::new_err(why.clone()));
        }
        if self.result.is_some() {
            return Err(PyValueError::new_err("write to a closed Writer"));
        }
        let (data, len) = frame_bytes(frame, self.height, self.width)?;
        // SAFETY: `frame` is borrowed for this whole call, and the array
        // interface's pointer and length describe its C-contiguous bytes.
        let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, len) };
        let running = &self.running;
        let sent = py.allow_threads(|| {
            let feed = running.feed.lock().map_err(|_| FeedError::Closed)?;
            feed.as_ref().ok_or(FeedError::Closed)?.send(bytes)
        });
        match sent {
            Ok(()) => Ok(()),
            Err(FeedError::Closed) => Err(self.stopped(py)),
            Err(e) => Err(PyValueError::new_err(e.to_string())),
        }
    }

    /// Ends the video: the last frames encoded, the output verified and moved
    /// to its name. Raises EncodeError where the video could not be written.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(why) = &self.failure {
            return Err(EncodeError::new_err(why.clone()));
        }
        if self.result.is_some() {
            return Ok(());
        }
        let running = Arc::clone(&self.running);
        let ended = py.allow_threads(move || running.end(false));
        self.settle(ended)
    }

    /// Stops without keeping anything: the partial video is removed, ffmpeg stopped.
    fn abort(&mut self, py: Python<'_>) {
        let running = Arc::clone(&self.running);
        let ended = py.allow_threads(move || running.end(true));
        if self.result.is_none() && self.failure.is_none() {
            let _ = self.settle(ended);
        }
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Closes on a normal exit; aborts (nothing kept) where the block raised.
    #[pyo3(signature = (exc_type, _exc = None, _tb = None))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        match exc_type {
            Some(t) if !t.is_none() => {
                self.abort(py);
                Ok(false)
            }
            _ => self.close(py).map(|()| false),
        }
    }

    /// The encoder that writes (or wrote) the video, e.g. "h264_nvenc" or
    /// "libx264" after a fallback.
    #[getter]
    fn encoder(&self) -> Option<String> {
        self.case().and_then(|c| c.encoder.used.clone())
    }

    /// Where the encoder asked for did not run: {"from", "cause", "fix", …}; else None.
    #[getter]
    fn fallback(&self, py: Python<'_>) -> PyResult<PyObject> {
        match self.case().and_then(|c| c.encoder.fallback.as_ref()) {
            None => Ok(py.None()),
            Some(fb) => {
                let value = to_python(py, fb)?;
                let fix = fb.cause.fix().to_string();
                value.bind(py).set_item("fix", fix)?;
                Ok(value)
            }
        }
    }

    /// The whole case result once closed (as `bench --export-json` records a
    /// case: fps, stages, CPU, the output verified), else None.
    #[getter]
    fn result(&self, py: Python<'_>) -> PyResult<PyObject> {
        match &self.result {
            Some(case) => to_python(py, case),
            None => Ok(py.None()),
        }
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.output.clone()
    }

    #[getter]
    fn closed(&self) -> bool {
        self.result.is_some() || self.failure.is_some()
    }
}

impl Writer {
    fn case(&self) -> Option<&CaseResult> {
        self.result.as_ref().or(self.started.as_ref())
    }

    /// The case stopped taking frames: wait for it and raise its cause.
    fn stopped(&mut self, py: Python<'_>) -> PyErr {
        let running = Arc::clone(&self.running);
        let ended = py.allow_threads(move || running.end(true));
        match self.settle(ended) {
            Err(e) => e,
            Ok(()) => EncodeError::new_err("the writer stopped taking frames"),
        }
    }

    /// Records how the case ended; its failure as EncodeError.
    fn settle(&mut self, ended: Option<anyhow::Result<Rendered>>) -> PyResult<()> {
        let outcome = match ended {
            None => Err("the writer had already ended".to_string()),
            Some(Err(e)) => Err(format!("{e:#}")),
            Some(Ok(rendered)) => {
                let case = rendered.results.cases.into_iter().next();
                let why = case.as_ref().and_then(failure).or_else(|| {
                    rendered
                        .ran
                        .as_ref()
                        .err()
                        .map(|e| format!("{e:#}"))
                        .or_else(|| case.is_none().then(|| "the writer did not run".into()))
                });
                self.result = case;
                why.map_or(Ok(()), Err)
            }
        };
        outcome.map_err(|why| {
            self.failure = Some(why.clone());
            EncodeError::new_err(why)
        })
    }
}

impl Drop for Writer {
    /// Never closed: nothing is kept (the partial video removed, ffmpeg stopped).
    fn drop(&mut self) {
        let _ = self.running.end(true);
    }
}

/// A frame's bytes from its array interface: uint8, `height`×`width`×3,
/// C-contiguous; anything else is a one-line error naming the fix.
fn frame_bytes(frame: &Bound<'_, PyAny>, height: u32, width: u32) -> PyResult<(usize, usize)> {
    let kind = || {
        frame
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string())
    };
    let interface = frame
        .getattr("__array_interface__")
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "a frame is a numpy uint8 array ({height}, {width}, 3) in BGR order, not {}",
                kind()
            ))
        })?
        .downcast_into::<PyDict>()
        .map_err(|_| PyTypeError::new_err("the frame's __array_interface__ is not a dict"))?;
    let item = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        interface.get_item(key)?.ok_or_else(|| {
            PyTypeError::new_err(format!("the frame's array interface has no {key}"))
        })
    };
    let typestr: String = item("typestr")?.extract()?;
    if typestr != "|u1" {
        return Err(PyValueError::new_err(format!(
            "a frame of dtype {typestr}, where frames are uint8 (frame.astype(numpy.uint8))"
        )));
    }
    let shape: Vec<usize> = item("shape")?.extract()?;
    let want = [height as usize, width as usize, 3];
    if shape != want {
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        return Err(PyValueError::new_err(format!(
            "a frame of shape ({}), where this writer takes ({height}, {width}, 3): height, width, BGR",
            shape.join(", ")
        )));
    }
    if let Some(strides) = interface.get_item("strides")? {
        if !strides.is_none() {
            let strides: Vec<isize> = strides.extract()?;
            if strides != [width as isize * 3, 3, 1] {
                return Err(PyValueError::new_err(format!(
                    "a frame that is a strided view, not C-contiguous (strides {strides:?}): pass numpy.ascontiguousarray(frame)"
                )));
            }
        }
    }
    let data = item("data")?
        .downcast_into::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("the frame's array interface gives no data pointer"))?;
    let address: usize = data.get_item(0)?.extract()?;
    Ok((address, want.iter().product()))
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
    let options = nvviz_bench::cli::commands::doctor::options(&doctor)
        .map_err(|e| PyValueError::new_err(format!("{e:#}")))?;
    let report = py.allow_threads(move || nvviz_bench::probe::run(&options));
    to_python(py, &report)
}

/// The command line, in this process: `run_cli(sys.argv)` returns its exit status.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.allow_threads(move || nvviz_bench::cli::main(argv))
}

/// Aborts every writer not yet closed (registered with atexit by the package):
/// nothing half-written kept, no ffmpeg left.
#[pyfunction]
fn _abort_all(py: Python<'_>) {
    let open: Vec<Arc<Running>> = OPEN
        .lock()
        .map(|mut open| open.drain(..).filter_map(|w| w.upgrade()).collect())
        .unwrap_or_default();
    py.allow_threads(move || {
        for running in open {
            let _ = running.end(true);
        }
    });
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("EncodeError", m.py().get_type::<EncodeError>())?;
    m.add_class::<Writer>()?;
    m.add_function(wrap_pyfunction!(doctor, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(_abort_all, m)?)?;
    Ok(())
}

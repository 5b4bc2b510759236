//! One `render` case run for Python on a thread of its own: started from
//! the CLI's own arguments made into a `RenderSpec` and run by
//! `bench::render::execute`, its writer known
//! once the case has started, its end (closed, failed, abandoned) turned into
//! the tool's one-line cause. `Writer` and `Visualizer` extend it (Python
//! subclasses), each with its own input; what they share — `close`, `abort`,
//! the context manager, the encoder that ran and the result — is here once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use nvviz_bench::bench::progress::{Observer, RunObserver};
use nvviz_bench::bench::render::{execute, failure, Prepared, RenderSpec, Rendered};
use nvviz_bench::results::CaseResult;
use nvviz_bench::workload::feed::FeedSender;
use nvviz_bench::workload::live::LiveTracks;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::{to_python, EncodeError};

/// The case's start (its writer chosen), told by the lifecycle, and the
/// frames written so far.
#[derive(Default)]
struct Started {
    case: Mutex<Option<CaseResult>>,
    ready: Condvar,
    written: Arc<AtomicU64>,
}

struct Told(Arc<Started>);

struct Count(Arc<AtomicU64>);

impl RunObserver for Count {
    fn frame(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Observer for Told {
    fn run_started(&self, _label: &str, _frames: u64) -> Box<dyn RunObserver> {
        Box::new(Count(Arc::clone(&self.0.written)))
    }

    fn case_started(&self, result: &CaseResult) {
        if let Ok(mut case) = self.0.case.lock() {
            *case = Some(result.clone());
        }
        self.0.ready.notify_all();
    }

    /// A stand-in style or writer, said where the CLI says it: on stderr.
    fn note(&self, text: &str) {
        eprintln!("note: {text}");
    }
}

/// What a session shares with the interpreter's exit hook (`abort_all`): its
/// input's end, and the thread running its case.
pub struct Running {
    pub feed: Mutex<Option<FeedSender>>,
    pub live: Option<Arc<LiveTracks>>,
    worker: Mutex<Option<JoinHandle<anyhow::Result<Rendered>>>>,
}

impl Running {
    /// Ends the input (`abort`: as a failure) and waits for the case.
    fn end(&self, abort: bool) -> Option<anyhow::Result<Rendered>> {
        if let Some(feed) = self.feed.lock().ok()?.take() {
            if abort {
                feed.abort();
            }
        }
        if let Some(live) = &self.live {
            if abort {
                live.abandon();
            } else {
                live.end();
            }
        }
        let worker = self.worker.lock().ok()?.take()?;
        Some(
            worker
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer's thread panicked"))),
        )
    }

    pub fn finished(&self) -> bool {
        self.worker
            .lock()
            .map_or(true, |w| w.as_ref().map_or(true, JoinHandle::is_finished))
    }
}

/// Sessions not yet ended, for the interpreter's exit.
static OPEN: Mutex<Vec<Weak<Running>>> = Mutex::new(Vec::new());

/// Ends every session still open, as failures (nothing half-written kept).
pub fn abort_all(py: Python<'_>) {
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

#[pyclass(subclass, module = "nvviz_bench._native")]
pub struct Session {
    pub running: Arc<Running>,
    started: Arc<Started>,
    begun: Option<CaseResult>,
    /// The case's result once ended.
    result: Option<CaseResult>,
    /// Why it stopped, where it failed: raised again on every later call.
    failure: Option<String>,
    pub output: PathBuf,
}

impl Session {
    /// Runs `spec`'s case on `prepared` on its own thread; returns once the
    /// case has chosen its writer (a trial encode), or raises why it could not.
    pub fn start(
        py: Python<'_>,
        spec: RenderSpec,
        prepared: Prepared,
        feed: Option<FeedSender>,
        live: Option<Arc<LiveTracks>>,
    ) -> PyResult<Self> {
        let started = Arc::new(Started::default());
        let observer = Arc::new(Told(Arc::clone(&started)));
        let output = spec.output.clone();
        let worker = std::thread::Builder::new()
            .name("nvviz-render".into())
            .spawn(move || execute(&spec, prepared, observer))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the writer: {e}")))?;
        let running = Arc::new(Running {
            feed: Mutex::new(feed),
            live,
            worker: Mutex::new(Some(worker)),
        });
        if let Ok(mut open) = OPEN.lock() {
            open.retain(|w| w.strong_count() > 0);
            open.push(Arc::downgrade(&running));
        }
        let mut session = Self {
            running,
            started,
            begun: None,
            result: None,
            failure: None,
            output,
        };
        let (started, running) = (Arc::clone(&session.started), Arc::clone(&session.running));
        session.begun = py.allow_threads(move || loop {
            let guard = started.case.lock().unwrap_or_else(|p| p.into_inner());
            let (guard, _) = started
                .ready
                .wait_timeout(guard, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner());
            if let Some(case) = guard.clone() {
                return Some(case);
            }
            if running.finished() {
                return None;
            }
        });
        if session.begun.is_none() {
            return Err(session.stopped(py));
        }
        Ok(session)
    }

    /// The error to raise for a call on an ended session, if it has ended.
    pub fn check_open(&self) -> PyResult<()> {
        if let Some(why) = &self.failure {
            return Err(EncodeError::new_err(why.clone()));
        }
        if self.result.is_some() {
            return Err(PyValueError::new_err("the video is closed"));
        }
        Ok(())
    }

    /// The case stopped taking input: wait for it and raise its cause.
    pub fn stopped(&mut self, py: Python<'_>) -> PyErr {
        let running = Arc::clone(&self.running);
        let ended = py.allow_threads(move || running.end(true));
        match self.settle(ended) {
            Err(e) => e,
            Ok(()) => EncodeError::new_err("the writer stopped taking frames"),
        }
    }

    /// Where the case has already ended (a failure mid-run), its cause.
    pub fn raise_if_ended(&mut self, py: Python<'_>) -> PyResult<()> {
        self.check_open()?;
        if self.running.finished() {
            return Err(self.stopped(py));
        }
        Ok(())
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

    fn case(&self) -> Option<&CaseResult> {
        self.result.as_ref().or(self.begun.as_ref())
    }
}

#[pymethods]
impl Session {
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
        if exc_type.is_some_and(|t| !t.is_none()) {
            self.abort(py);
            Ok(false)
        } else {
            self.close(py).map(|()| false)
        }
    }

    /// The encoder that writes (or wrote) the video, e.g. "h264_nvenc" or
    /// "libx264" after a fallback.
    #[getter]
    fn encoder(&self) -> Option<String> {
        self.case().and_then(|c| c.encoder.used.clone())
    }

    /// Where the encoder asked for did not run: {"from", "cause", "fix"}; else None.
    #[getter]
    fn fallback(&self, py: Python<'_>) -> PyResult<PyObject> {
        match self.case().and_then(|c| c.encoder.fallback.as_ref()) {
            None => Ok(py.None()),
            Some(fb) => {
                let value = to_python(py, fb)?;
                value.bind(py).set_item("fix", fb.cause.fix().to_string())?;
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

    /// Frames the engine has written into the encoder so far (a writer's
    /// `write` returns when a frame is taken, before it is encoded).
    #[getter]
    fn written(&self) -> u64 {
        self.started.written.load(Ordering::Relaxed)
    }

    /// Whether the case is still running (false once it ended, well or not:
    /// `close()` then says how).
    #[getter]
    fn running(&self) -> bool {
        !self.running.finished()
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

impl Drop for Session {
    /// Never closed: nothing is kept (the partial video removed, ffmpeg stopped).
    fn drop(&mut self) {
        let _ = self.running.end(true);
    }
}

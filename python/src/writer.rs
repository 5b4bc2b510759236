//! `Writer`: numpy frames in, a verified video out — `render --mode
//! encode-only` on frames the caller hands over (`Workload::fed`).

use std::path::PathBuf;

use nvviz_bench::cli::commands::render::{prepare, spec};
use nvviz_bench::cli::Command;
use nvviz_bench::pixfmt::Layout;
use nvviz_bench::workload::feed::FeedError;
use nvviz_bench::workload::Workload;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::session::Session;
use crate::{encoder_flags, parse, to_value_error};

/// A video writer: `uint8` frames (C-contiguous; BGR height × width × 3 by
/// default, or the `layout` given) in, a verified video out, written with the
/// encoder the tool's fallback chain chooses (NVENC, then the codec's CPU
/// encoders) on its pipelined engine.
#[pyclass(extends = Session, module = "nvviz_bench._native")]
pub struct Writer {
    width: u32,
    height: u32,
    layout: Layout,
}

#[pymethods]
impl Writer {
    /// `encoder`: "auto" (NVENC, then the CPU encoders of the codec, reported)
    /// or "nvenc" (fail instead of falling back). `layout`: how frames come
    /// (bgr24, rgb24, bgra, bgr0, nv12, yuv420p); `pix_fmt`: what the pipe
    /// carries to ffmpeg.
    #[new]
    #[pyo3(signature = (path, width, height, fps, *, encoder = "auto", codec = "h264", preset = "p1", pix_fmt = "bgr24", layout = "bgr24", bitrate = None, maxrate = None, ffmpeg = None))]
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
        layout: &str,
        bitrate: Option<String>,
        maxrate: Option<String>,
        ffmpeg: Option<PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        if width == 0 || height == 0 || !(fps.is_finite() && fps > 0.0) {
            return Err(PyValueError::new_err(format!(
                "width, height and fps must be positive (got {width}x{height} at {fps} fps)"
            )));
        }
        let layout = Layout::parse(layout).ok_or_else(|| {
            PyValueError::new_err(format!(
                "layout '{layout}' is not one of {}",
                Layout::NAMES.join(", ")
            ))
        })?;
        layout
            .check_size(width, height)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut args: Vec<String> = ["render", "--quiet", "--mode", "encode-only", "-o"]
            .map(String::from)
            .into();
        args.push(path.to_string_lossy().into_owned());
        args.extend(["--pix-fmt".into(), pix_fmt.into()]);
        args.extend(encoder_flags(
            encoder, codec, preset, bitrate, maxrate, ffmpeg,
        )?);
        let Command::Render(render) = parse(args)? else {
            unreachable!("the arguments name render")
        };
        let (feed, workload) = Workload::fed(width, height, fps, layout);
        let spec = spec(&render).map_err(to_value_error)?;
        let prepared = prepare(&render, &spec, Some(workload)).map_err(to_value_error)?;
        let session = Session::start(py, spec, prepared, Some(feed), None)?;
        Ok(PyClassInitializer::from(session).add_subclass(Self {
            width,
            height,
            layout,
        }))
    }

    /// Hands one frame over; returns once the writer has copied it (so the
    /// array may be reused at once). The interpreter is released meanwhile.
    fn write(
        mut slf: PyRefMut<'_, Self>,
        py: Python<'_>,
        frame: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (width, height, layout) = (slf.width, slf.height, slf.layout);
        let session = slf.as_super();
        session.check_open()?;
        let (data, len) = frame_bytes(frame, height, width, layout)?;
        // SAFETY: `frame` is borrowed for this whole call, and the array
        // interface's pointer and length describe its C-contiguous bytes.
        let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, len) };
        let running = &session.running;
        let sent = py.allow_threads(|| {
            let feed = running.feed.lock().map_err(|_| FeedError::Closed)?;
            feed.as_ref().ok_or(FeedError::Closed)?.send(bytes)
        });
        match sent {
            Ok(()) => Ok(()),
            Err(FeedError::Closed) => Err(session.stopped(py)),
            Err(e) => Err(PyValueError::new_err(e.to_string())),
        }
    }
}

/// The shape a frame of `layout` has: height × width × channels, or for the
/// 4:2:0 layouts height × 3/2 rows of width bytes.
fn shape_of(layout: Layout, height: u32, width: u32) -> Vec<usize> {
    let (h, w) = (height as usize, width as usize);
    match layout.channels() {
        Some(c) => vec![h, w, c],
        None => vec![h * 3 / 2, w],
    }
}

/// A frame's bytes from its array interface: uint8, of `layout`'s shape,
/// C-contiguous; anything else is a one-line error naming the fix.
fn frame_bytes(
    frame: &Bound<'_, PyAny>,
    height: u32,
    width: u32,
    layout: Layout,
) -> PyResult<(usize, usize)> {
    let want = shape_of(layout, height, width);
    let shape_text = |s: &[usize]| {
        s.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
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
                "a frame is a numpy uint8 array ({}) laid out as {}, not {}",
                shape_text(&want),
                layout.name(),
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
    if shape != want {
        return Err(PyValueError::new_err(format!(
            "a frame of shape ({}), where this writer takes ({}): its {} frames of {width}x{height}",
            shape_text(&shape),
            shape_text(&want),
            layout.name()
        )));
    }
    if let Some(strides) = interface.get_item("strides")? {
        if !strides.is_none() {
            let strides: Vec<isize> = strides.extract()?;
            let contiguous: Vec<isize> = (0..want.len())
                .map(|d| want[d + 1..].iter().product::<usize>() as isize)
                .collect();
            if strides != contiguous {
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

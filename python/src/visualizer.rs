//! `Visualizer`: the demo's visualizer on the tool's path — `render` of the
//! user's video (decoded by ffmpeg, or NVDEC), each frame drawn with the
//! detections the caller sends while it runs (`LiveTracks`: the tracker's
//! boxes per frame, the action model's results with their timestamps) and
//! written with the chosen encoder. `nvviz_bench.NVENCVisualizer` gives it the
//! demo's constructor and `send`/`send_track`/`close`.

use std::path::PathBuf;
use std::sync::Arc;

use nvviz_bench::cli::commands::render::{prepare, spec};
use nvviz_bench::cli::Command;
use nvviz_bench::workload::detections::{Detections, TrackBox};
use nvviz_bench::workload::live::{LiveResult, LiveTracks};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::session::Session;
use crate::{encoder_flags, parse, to_value_error};

#[pyclass(extends = Session, module = "nvviz_bench._native")]
pub struct Visualizer {
    tracks: Arc<LiveTracks>,
    frames: u64,
    fps: f64,
}

/// The mode that draws in `style`: the demo's three visualizers' looks.
fn mode(style: &str) -> PyResult<&'static str> {
    Ok(match style {
        "native" => "native",
        "opencv" => "nvenc",
        "pillow" => "original",
        other => {
            return Err(PyValueError::new_err(format!(
                "style={other:?}: use \"native\" (nvviz-bench's drawing, NVENC pipe), \"opencv\" (the demo's NVENC visualizer) or \"pillow\" (the demo's original visualizer)"
            )))
        }
    })
}

fn boxes(boxes: Vec<Vec<f32>>) -> PyResult<Vec<[f32; 4]>> {
    boxes
        .into_iter()
        .map(|b| {
            <[f32; 4]>::try_from(b.as_slice()).map_err(|_| {
                PyValueError::new_err(format!(
                    "a box of {} numbers, where boxes are [x1, y1, x2, y2]",
                    b.len()
                ))
            })
        })
        .collect()
}

fn same_length(what: &str, boxes: usize, ids: usize) -> PyResult<()> {
    if boxes != ids {
        return Err(PyValueError::new_err(format!(
            "{what}: {boxes} boxes but {ids} ids"
        )));
    }
    Ok(())
}

#[pymethods]
impl Visualizer {
    #[new]
    #[pyo3(signature = (video_path, output_path, *, start_ms = 0, duration_ms = -1, show_time = true, confidence_threshold = 0.5, exclude_class = None, common_cate = false, style = "native", encoder = "auto", codec = "h264", preset = "p1", bitrate = None, maxrate = None, decoder = "ffmpeg", ffmpeg = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        video_path: PathBuf,
        output_path: PathBuf,
        start_ms: u64,
        duration_ms: i64,
        show_time: bool,
        confidence_threshold: f32,
        exclude_class: Option<Vec<String>>,
        common_cate: bool,
        style: &str,
        encoder: &str,
        codec: &str,
        preset: &str,
        bitrate: Option<String>,
        maxrate: Option<String>,
        decoder: &str,
        ffmpeg: Option<PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let mut args: Vec<String> = vec![
            "render".into(),
            "--quiet".into(),
            "--mode".into(),
            mode(style)?.into(),
            "--video".into(),
            video_path.to_string_lossy().into_owned(),
            "-o".into(),
            output_path.to_string_lossy().into_owned(),
            "--start".into(),
            start_ms.to_string(),
            "--duration".into(),
            duration_ms.to_string(),
            "--confidence-threshold".into(),
            confidence_threshold.to_string(),
            "--decoder".into(),
            decoder.into(),
        ];
        if !show_time {
            args.push("--no-show-time".into());
        }
        if common_cate {
            args.push("--common-categories".into());
        }
        match exclude_class {
            None => {}
            Some(classes) if classes.is_empty() => {
                args.extend(["--exclude-class".into(), "none".into()])
            }
            Some(classes) => {
                for class in classes {
                    args.extend(["--exclude-class".into(), class]);
                }
            }
        }
        args.extend(encoder_flags(
            encoder, codec, preset, bitrate, maxrate, ffmpeg,
        )?);
        let Command::Render(render) = parse(args)? else {
            unreachable!("the arguments name render")
        };
        let spec = spec(&render).map_err(to_value_error)?;
        let rule = spec.workload.rule.clone();
        let mut prepared = prepare(&render, &spec, None).map_err(to_value_error)?;
        let info = &prepared.workload.info;
        let (frames, fps) = (info.frames, info.fps);
        let tracks = Arc::new(LiveTracks::new(info.start_frame, fps, rule));
        prepared.workload.detections = Detections::live(Arc::clone(&tracks));
        let session = Session::start(py, spec, prepared, None, Some(Arc::clone(&tracks)))?;
        Ok(PyClassInitializer::from(session).add_subclass(Self {
            tracks,
            frames,
            fps,
        }))
    }

    /// The next frame's tracker boxes ([x1, y1, x2, y2] in pixels) and track
    /// ids; None for a frame the tracker had nothing on.
    #[pyo3(signature = (boxes = None, ids = None))]
    fn send_track(
        mut slf: PyRefMut<'_, Self>,
        py: Python<'_>,
        boxes: Option<Vec<Vec<f32>>>,
        ids: Option<Vec<u32>>,
    ) -> PyResult<()> {
        slf.as_super().raise_if_ended(py)?;
        let frame = match (boxes, ids) {
            (Some(b), Some(ids)) => {
                same_length("send_track", b.len(), ids.len())?;
                Some(
                    self::boxes(b)?
                        .into_iter()
                        .zip(ids)
                        .map(|(bbox, track_id)| TrackBox { track_id, bbox })
                        .collect(),
                )
            }
            (None, _) => None,
            (Some(_), None) => return Err(PyValueError::new_err("send_track: boxes without ids")),
        };
        slf.tracks
            .send_track(frame)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// An action result: its timestamp (milliseconds of the video), and per
    /// person its box, its scores (one per category of the vocabulary) and
    /// its track id.
    fn send_result(
        mut slf: PyRefMut<'_, Self>,
        py: Python<'_>,
        timestamp_ms: f64,
        boxes: Vec<Vec<f32>>,
        scores: Vec<Vec<f32>>,
        ids: Vec<u32>,
    ) -> PyResult<()> {
        slf.as_super().raise_if_ended(py)?;
        same_length("send", boxes.len(), ids.len())?;
        same_length("send (scores)", scores.len(), ids.len())?;
        let persons = self::boxes(boxes)?
            .into_iter()
            .zip(scores)
            .zip(ids)
            .map(|((bbox, scores), id)| (id, bbox, scores))
            .collect();
        slf.tracks
            .send(LiveResult {
                timestamp_ms,
                persons,
            })
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// No more results (the demo's "DONE" on its result queue).
    fn end_results(&self) {
        self.tracks.end_results();
    }

    /// No more tracker boxes (the demo's "DONE" on its track queue).
    fn end_tracks(&self) {
        self.tracks.end_tracks();
    }

    /// Frames of the video (its --start/--duration window) this draws.
    #[getter]
    fn frames(&self) -> u64 {
        self.frames
    }

    #[getter]
    fn fps(&self) -> f64 {
        self.fps
    }
}

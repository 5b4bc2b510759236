//! OpenCV as the guide's `original` and `fast` modes use it: its version, whether
//! videoio has the FFMPEG backend, and whether VideoWriter really writes.

use serde::Serialize;

use crate::ffmpeg::args::{DEFAULT_FOURCC, DEMO_SECOND_CONTAINER, DEMO_SECOND_FOURCC};

/// The writers doctor tries, with the container each writes into: the guide's
/// `mp4v`, `avc1` where the build allows, and the demo's second try for its
/// fallback, `XVID` into `.avi` (`OpenCvWriterSink::open_demo_fallback`).
pub const WRITER_TRIALS: &[(&str, &str)] = &[
    (DEFAULT_FOURCC, GUIDE_CONTAINER),
    ("avc1", GUIDE_CONTAINER),
    (DEMO_SECOND_FOURCC, DEMO_SECOND_CONTAINER),
];

/// What the guide's OpenCV modes write into.
const GUIDE_CONTAINER: &str = "mp4";

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpenCvProbe {
    Available {
        version: String,
        ffmpeg_backend: bool,
        writers: Vec<WriterTrial>,
    },
    /// This binary was built with `--no-default-features`.
    NotBuilt,
    Error {
        detail: String,
    },
}

impl OpenCvProbe {
    /// The first writer whose trial wrote a readable `.mp4`, the guide's
    /// OpenCV modes' container (XVID's `.avi` trial is the nvenc mode's
    /// fallback only: `demo_fallback`).
    pub fn working_writer(&self) -> Option<&WriterTrial> {
        self.writers()
            .iter()
            .find(|w| w.ok && w.container == GUIDE_CONTAINER)
    }

    /// The writer the nvenc mode's OpenCV fallback opens here, as the sink
    /// does: `mp4v`, else `XVID` (into `.avi`); `None` when neither wrote.
    pub fn demo_fallback(&self) -> Option<&WriterTrial> {
        [DEFAULT_FOURCC, DEMO_SECOND_FOURCC]
            .into_iter()
            .find_map(|f| self.writers().iter().find(|w| w.ok && w.fourcc == f))
    }

    fn writers(&self) -> &[WriterTrial] {
        match self {
            Self::Available { writers, .. } => writers,
            _ => &[],
        }
    }
}

#[cfg(test)]
impl OpenCvProbe {
    /// OpenCV 4.6 whose trials of `ok` worked and of every other writer failed.
    pub fn with_working(ok: &[&str]) -> Self {
        Self::Available {
            version: "4.6.0".into(),
            ffmpeg_backend: true,
            writers: WRITER_TRIALS
                .iter()
                .map(|(f, ext)| WriterTrial {
                    fourcc: f.to_string(),
                    container: ext.to_string(),
                    ok: ok.contains(f),
                    frames_read_back: None,
                    detail: None,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WriterTrial {
    pub fourcc: String,
    /// The file's extension the trial wrote into (`mp4`, `avi`).
    pub container: String,
    pub ok: bool,
    pub frames_read_back: Option<u32>,
    pub detail: Option<String>,
}

impl WriterTrial {
    /// "OpenCV VideoWriter (mp4v)", "OpenCV VideoWriter (XVID into .avi)".
    pub fn label(&self) -> String {
        match self.container.as_str() {
            GUIDE_CONTAINER => format!("OpenCV VideoWriter ({})", self.fourcc),
            other => format!("OpenCV VideoWriter ({} into .{other})", self.fourcc),
        }
    }
}

#[cfg(not(feature = "opencv"))]
pub fn probe(_frames: u32) -> OpenCvProbe {
    OpenCvProbe::NotBuilt
}

#[cfg(feature = "opencv")]
pub fn probe(frames: u32) -> OpenCvProbe {
    match imp::probe(frames) {
        Ok(p) => p,
        Err(e) => OpenCvProbe::Error {
            detail: e.to_string(),
        },
    }
}

#[cfg(feature = "opencv")]
mod imp {
    use super::*;
    use opencv::core::{Mat, Scalar, Size, CV_8UC3};
    use opencv::prelude::*;
    use opencv::videoio::{VideoCapture, VideoWriter, CAP_ANY, CAP_PROP_FRAME_COUNT};

    pub fn probe(frames: u32) -> opencv::Result<OpenCvProbe> {
        let version = opencv::core::get_version_string()?;
        let build = opencv::core::get_build_information()?;
        let dir = tempfile::tempdir().map_err(|e| opencv::Error::new(0, e.to_string()))?;
        let writers = WRITER_TRIALS
            .iter()
            .map(|(fourcc, ext)| {
                trial(
                    fourcc,
                    ext,
                    frames,
                    &dir.path().join(format!("trial-{fourcc}.{ext}")),
                )
            })
            .collect();
        Ok(OpenCvProbe::Available {
            version,
            ffmpeg_backend: has_ffmpeg_backend(&build),
            writers,
        })
    }

    /// The "Video I/O:" section of the build information lists "FFMPEG: YES (…)".
    fn has_ffmpeg_backend(build: &str) -> bool {
        build
            .lines()
            .skip_while(|l| !l.contains("Video I/O:"))
            .take_while(|l| !l.trim().is_empty() || l.contains("Video I/O:"))
            .any(|l| l.trim_start().starts_with("FFMPEG:") && l.contains("YES"))
    }

    fn trial(fourcc: &str, ext: &str, frames: u32, path: &std::path::Path) -> WriterTrial {
        let result = (|| -> opencv::Result<u32> {
            let c: Vec<char> = fourcc.chars().collect();
            let code = VideoWriter::fourcc(c[0], c[1], c[2], c[3])?;
            let size = Size::new(320, 240);
            let mut writer = VideoWriter::new(path, code, 30.0, size, true)?;
            if !writer.is_opened()? {
                return Err(opencv::Error::new(
                    0,
                    "VideoWriter did not open".to_string(),
                ));
            }
            for i in 0..frames {
                let shade = f64::from(i * 20 % 255);
                let frame = Mat::new_size_with_default(
                    size,
                    CV_8UC3,
                    Scalar::new(shade, 128.0, 255.0 - shade, 0.0),
                )?;
                writer.write(&frame)?;
            }
            writer.release()?;
            let capture = VideoCapture::from_file(path, CAP_ANY)?;
            Ok(capture.get(CAP_PROP_FRAME_COUNT)? as u32)
        })();
        match result {
            Ok(n) if n == frames => WriterTrial {
                fourcc: fourcc.into(),
                container: ext.into(),
                ok: true,
                frames_read_back: Some(n),
                detail: None,
            },
            Ok(n) => WriterTrial {
                fourcc: fourcc.into(),
                container: ext.into(),
                ok: false,
                frames_read_back: Some(n),
                detail: Some(format!("wrote {frames} frames, read back {n}")),
            },
            Err(e) => WriterTrial {
                fourcc: fourcc.into(),
                container: ext.into(),
                ok: false,
                frames_read_back: None,
                detail: Some(e.message),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(ok: &[&str]) -> OpenCvProbe {
        OpenCvProbe::with_working(ok)
    }

    fn fourcc(w: Option<&WriterTrial>) -> Option<&str> {
        w.map(|w| w.fourcc.as_str())
    }

    #[test]
    fn the_demos_fallback_is_mp4v_then_xvid_never_avc1() {
        assert_eq!(
            fourcc(probe(&["mp4v", "XVID"]).demo_fallback()),
            Some("mp4v")
        );
        assert_eq!(
            fourcc(probe(&["avc1", "XVID"]).demo_fallback()),
            Some("XVID")
        );
        assert_eq!(fourcc(probe(&["avc1"]).demo_fallback()), None);
        assert_eq!(fourcc(probe(&["avc1"]).working_writer()), Some("avc1"));
        // XVID wrote an .avi: no writer for the guide's .mp4 modes.
        assert_eq!(fourcc(probe(&["XVID"]).working_writer()), None);
        assert_eq!(fourcc(probe(&["XVID"]).demo_fallback()), Some("XVID"));
        assert_eq!(fourcc(OpenCvProbe::NotBuilt.demo_fallback()), None);
    }
}

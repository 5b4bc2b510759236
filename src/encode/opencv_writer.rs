//! OpenCV's VideoWriter: the writer of the guide's `original` and `fast` modes,
//! and the last fallback of its `nvenc` mode.

use std::path::{Path, PathBuf};

use opencv::core::{Mat, Size, Vec3b};
use opencv::prelude::*;
use opencv::videoio::VideoWriter;

use super::{FrameSink, SinkOutput};
use crate::frame::Frame;
use crate::results::failure::EncodeFailure;

pub struct OpenCvWriterSink {
    writer: VideoWriter,
    fourcc: String,
    output: PathBuf,
}

fn failed(fourcc: &str, detail: impl std::fmt::Display) -> EncodeFailure {
    EncodeFailure::WriterFailed {
        writer: format!("OpenCV VideoWriter ({fourcc})"),
        detail: detail.to_string(),
    }
}

impl OpenCvWriterSink {
    pub fn open(
        output: &Path,
        fourcc: &str,
        fps: f64,
        width: u32,
        height: u32,
    ) -> Result<Self, EncodeFailure> {
        let c: Vec<char> = fourcc.chars().collect();
        if c.len() != 4 {
            return Err(failed(fourcc, "a fourcc has exactly 4 characters"));
        }
        let code = VideoWriter::fourcc(c[0], c[1], c[2], c[3]).map_err(|e| failed(fourcc, e))?;
        let writer = VideoWriter::new(
            output,
            code,
            fps,
            Size::new(width as i32, height as i32),
            true,
        )
        .map_err(|e| failed(fourcc, e))?;
        if !writer.is_opened().unwrap_or(false) {
            return Err(failed(
                fourcc,
                format!("could not open {} for writing", output.display()),
            ));
        }
        Ok(Self {
            writer,
            fourcc: fourcc.to_string(),
            output: output.to_path_buf(),
        })
    }
}

impl OpenCvWriterSink {
    /// The nvenc visualizer's last fallback, opened as the demo opens it
    /// (`_write_frame_opencv_fallback`): `mp4v` into `output`; if OpenCV cannot
    /// open that, `XVID` into the same name with `.avi`. The sink's output
    /// names the file and the writer that wrote it.
    pub fn open_demo_fallback(
        output: &Path,
        fps: f64,
        width: u32,
        height: u32,
    ) -> Result<Self, EncodeFailure> {
        use crate::ffmpeg::args::{DEFAULT_FOURCC, DEMO_SECOND_CONTAINER, DEMO_SECOND_FOURCC};
        let mp4v = DEFAULT_FOURCC;
        Self::open(output, mp4v, fps, width, height).or_else(|first| {
            let avi = output.with_extension(DEMO_SECOND_CONTAINER);
            Self::open(&avi, DEMO_SECOND_FOURCC, fps, width, height).map_err(|second| {
                failed(
                    &format!("{mp4v}, then {DEMO_SECOND_FOURCC}"),
                    format!("{first}; into {}: {second}", avi.display()),
                )
            })
        })
    }
}

/// Less free space than this after writing means the writer ran out of it.
const FULL_BELOW: u64 = 64 * 1024;

/// Bytes available to us on the filesystem holding `path`.
fn free_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty())?;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; zeroed is a valid start.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path, st a valid out pointer.
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0)
        .then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

impl FrameSink for OpenCvWriterSink {
    fn label(&self) -> String {
        format!("opencv:{}", self.fourcc)
    }

    fn write(&mut self, frame: &Frame, _wire: &[u8]) -> Result<(), EncodeFailure> {
        // Zero-copy view of the frame as a Mat (OpenCV does not keep it).
        let mat = Mat::new_rows_cols_with_bytes::<Vec3b>(
            frame.height as i32,
            frame.width as i32,
            &frame.data,
        )
        .map_err(|e| failed(&self.fourcc, e))?;
        self.writer.write(&mat).map_err(|e| failed(&self.fourcc, e))
    }

    fn finish(mut self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
        self.writer.release().map_err(|e| failed(&self.fourcc, e))?;
        // OpenCV's writer reports no I/O errors: on a full disk it "succeeds"
        // and leaves a corrupt file. Ask the filesystem instead.
        if let Some(free) = free_bytes(&self.output) {
            if free < FULL_BELOW {
                return Err(EncodeFailure::OutputNotWritable {
                    detail: format!(
                        "No space left on device: the disk holding {} has {free} bytes free after OpenCV's writer closed it",
                        self.output.display()
                    ),
                });
            }
        }
        Ok(SinkOutput {
            path: Some(self.output.clone()),
            command: None,
            stderr_tail: Vec::new(),
            first_frame_s: None,
            pipe: None,
            frames_done: None,
            writer: Some(format!("opencv-{}", self.fourcc)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_three(sink: &mut OpenCvWriterSink) {
        let frame = Frame::new(64, 48);
        for _ in 0..3 {
            sink.write(&frame, &frame.data).unwrap();
        }
    }

    #[test]
    fn the_demos_fallback_writes_mp4v_where_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("v.mp4");
        let mut sink = OpenCvWriterSink::open_demo_fallback(&out, 30.0, 64, 48).unwrap();
        write_three(&mut sink);
        let done = Box::new(sink).finish().unwrap();
        assert_eq!(done.path.as_deref(), Some(out.as_path()));
        assert_eq!(done.writer.as_deref(), Some("opencv-mp4v"));
    }

    #[test]
    fn when_mp4v_will_not_open_it_is_xvid_into_avi() {
        // A directory where the .mp4 would go: OpenCV cannot open it for writing.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("v.mp4");
        std::fs::create_dir(&out).unwrap();
        let mut sink = OpenCvWriterSink::open_demo_fallback(&out, 30.0, 64, 48).unwrap();
        write_three(&mut sink);
        let done = Box::new(sink).finish().unwrap();
        let avi = dir.path().join("v.avi");
        assert_eq!(done.path.as_deref(), Some(avi.as_path()));
        assert_eq!(done.writer.as_deref(), Some("opencv-XVID"));
        assert!(std::fs::metadata(&avi).unwrap().len() > 0);
        // Neither opens: both tries are named.
        std::fs::create_dir(dir.path().join("w.avi")).unwrap();
        std::fs::create_dir(dir.path().join("w.mp4")).unwrap();
        let err = OpenCvWriterSink::open_demo_fallback(&dir.path().join("w.mp4"), 30.0, 64, 48)
            .err()
            .unwrap();
        assert!(err.to_string().contains("mp4v, then XVID"), "{err}");
    }
}

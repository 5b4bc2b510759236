//! A user's video decoded on NVDEC in this process (`nvdec`): ffmpeg
//! only demuxes (the elementary stream, Annex B, on its stdout — a few kB a
//! frame), NVDEC decodes and scales on the GPU, a kernel turns nv12 into BGR
//! there, and the GPU copies the frame straight into the case's buffer
//! (page-locked once). What decoding costs this process is counted on the
//! thread that reads (its CPU time), ffmpeg's from `wait4`.

use std::io::Read;
use std::path::Path;
use std::process::ChildStdout;
use std::sync::Arc;
use std::time::Duration;

use super::driver::{
    Copy2d, Cuda, DeviceBuffer, Kernels, Nv12Surface, Stream, MEMORY_DEVICE, MEMORY_HOST,
};
use super::nvdec::Session;
use super::CudaError;
use crate::ffmpeg::child::FfmpegProcess;
use crate::ffmpeg::decode::NvdecCodec as Codec;
use crate::frame::Frame;
use crate::results::decode::{DecodeRun, Decoder};
use crate::results::failure::EncodeFailure;

/// Bytes of the elementary stream read at a time.
const CHUNK: usize = 256 * 1024;

/// The video's pictures on NVDEC, in display order, each lent as an nv12
/// surface in GPU memory: what the BGR reader below and the GPU-resident
/// modes (`bench::gpu`) take their frames from.
pub struct NvdecStream {
    demux: FfmpegProcess,
    stdout: ChildStdout,
    chunk: Vec<u8>,
    ended: bool,
    /// Frames before the window's start, decoded and dropped.
    skip: u64,
    session: Session,
    frames: u64,
    /// This process's CPU time in `next`.
    cpu: Duration,
}

/// Why NVDEC could not be driven here: the GPU's side, or ffmpeg's demuxer.
#[derive(Debug, thiserror::Error)]
pub enum NvdecReadError {
    #[error(transparent)]
    Cuda(#[from] CudaError),
    #[error("ffmpeg's demuxer: {0}")]
    Demux(EncodeFailure),
    #[error("reading the demuxed stream: {0}")]
    Io(#[from] std::io::Error),
}

impl From<NvdecReadError> for EncodeFailure {
    fn from(e: NvdecReadError) -> Self {
        match e {
            NvdecReadError::Cuda(e) => e.into(),
            NvdecReadError::Demux(f) => f,
            NvdecReadError::Io(e) => Self::Unknown {
                exit: "reading ffmpeg's demuxed stream failed".into(),
                last_lines: vec![e.to_string()],
            },
        }
    }
}

impl NvdecStream {
    /// Starts ffmpeg's demuxer and an NVDEC session on `cuda` decoding
    /// `codec` at `width`x`height`; the first `skip` pictures are dropped.
    pub fn open(
        cuda: &Arc<Cuda>,
        ffmpeg: &Path,
        path: &Path,
        codec: Codec,
        size: (u32, u32),
        skip: u64,
    ) -> Result<Self, NvdecReadError> {
        let session = Session::new(cuda.clone(), codec, size)?;
        let args = crate::ffmpeg::decode::demux_args(path, codec);
        let mut demux = FfmpegProcess::spawn(ffmpeg, &args).map_err(NvdecReadError::Demux)?;
        let stdout =
            demux
                .take_stdout()
                .ok_or(NvdecReadError::Demux(EncodeFailure::FfmpegUnusable {
                    detail: "ffmpeg's stdout is not piped".into(),
                }))?;
        Ok(Self {
            demux,
            stdout,
            chunk: vec![0; CHUNK],
            ended: false,
            skip,
            session,
            frames: 0,
            cpu: Duration::ZERO,
        })
    }

    /// Lends the next picture to `use_it` (work it queues on `stream` ends
    /// before the picture goes back); None at the end of the video.
    pub fn next<T>(
        &mut self,
        stream: &Stream,
        use_it: impl FnOnce(&Nv12Surface) -> Result<T, CudaError>,
    ) -> Result<Option<T>, NvdecReadError> {
        let start = thread_cpu();
        let result = self.next_inner(stream, use_it);
        self.cpu += thread_cpu().saturating_sub(start);
        result
    }

    fn next_inner<T>(
        &mut self,
        stream: &Stream,
        use_it: impl FnOnce(&Nv12Surface) -> Result<T, CudaError>,
    ) -> Result<Option<T>, NvdecReadError> {
        if !self.fill()? {
            return Ok(None);
        }
        let value = self.session.next(stream, use_it)?;
        self.frames += 1;
        Ok(value)
    }

    /// Feeds the decoder until the next picture of the window is decoded:
    /// false at the end of the video.
    fn fill(&mut self) -> Result<bool, NvdecReadError> {
        loop {
            while self.skip > 0 && self.session.skip() {
                self.skip -= 1;
            }
            if self.skip == 0 && self.session.ready() > 0 {
                return Ok(true);
            }
            if self.ended {
                return Ok(false);
            }
            let n = match self.stdout.read(&mut self.chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            if n == 0 {
                self.ended = true;
                self.session.feed(None)?;
                self.check_demuxer()?;
            } else {
                self.session.feed(Some(&self.chunk[..n]))?;
            }
        }
    }

    /// Waits until the first picture is decoded (the demuxer started, the
    /// decoder made) and lends it to `warm_up` without giving it away (the
    /// next `next` lends it again): what a run does before its clock starts.
    /// Its CPU time counts as decoding's, as in `next`.
    pub fn ready(
        &mut self,
        stream: &Stream,
        warm_up: impl FnOnce(&Nv12Surface) -> Result<(), CudaError>,
    ) -> Result<(), NvdecReadError> {
        let start = thread_cpu();
        let result = self.fill().and_then(|_| {
            self.session.peek(stream, warm_up)?;
            Ok(())
        });
        self.cpu += thread_cpu().saturating_sub(start);
        result
    }

    /// The demuxer's exit at the end of its stream: a failure (an unreadable
    /// file, no video stream) is the run's error, not a short video.
    fn check_demuxer(&mut self) -> Result<(), NvdecReadError> {
        let status = self
            .demux
            .wait(Duration::from_secs(10))
            .map_err(NvdecReadError::Demux)?;
        if status.success() {
            return Ok(());
        }
        Err(NvdecReadError::Demux(
            crate::ffmpeg::failure::classify_gpu_decode(
                &self.demux.stderr_lines(),
                &crate::ffmpeg::child::exit_info(&status),
            ),
        ))
    }

    /// Stops the demuxer and says what decoding used per picture lent out:
    /// this process's time in `next` plus ffmpeg's.
    pub fn finish(&mut self) -> Option<DecodeRun> {
        let demux = self.demux.kill_reaped();
        let ffmpeg_s = demux.map_or(0.0, |r| r.user_s + r.sys_s);
        (self.frames > 0).then(|| DecodeRun {
            decoder: Decoder::Nvdec,
            frames: self.frames,
            cpu_ms_per_frame: (ffmpeg_s + self.cpu.as_secs_f64()) * 1000.0 / self.frames as f64,
            convert_ms_per_frame: None,
        })
    }

    /// The command line of the demuxer, for a case's record.
    pub fn demux_line(ffmpeg: &Path, path: &Path, codec: Codec) -> String {
        crate::ffmpeg::args::shell_line(ffmpeg, &crate::ffmpeg::decode::demux_args(path, codec))
    }
}

/// A user's video as BGR frames, decoded on NVDEC and converted on the GPU.
pub struct NvdecReader {
    stream: NvdecStream,
    cuda_stream: Stream,
    gpu: Gpu,
}

/// What converts and copies a picture: the kernels, the BGR frame on the
/// GPU, the host buffers the GPU may write into directly.
struct Gpu {
    cuda: Arc<Cuda>,
    kernels: Kernels,
    bgr: DeviceBuffer,
    bt709: bool,
    registered: Vec<*mut u8>,
}

// SAFETY: the registered pointers are only handed back to the driver.
unsafe impl Send for Gpu {}

impl NvdecReader {
    /// NVDEC on CUDA device `device` (CUDA's first where None) decoding
    /// `codec` at `width`x`height`, from picture `skip` on.
    pub fn open(
        ffmpeg: &Path,
        path: &Path,
        codec: Codec,
        (width, height): (u32, u32),
        skip: u64,
        device: Option<u32>,
        bt709: bool,
    ) -> Result<Self, NvdecReadError> {
        let cuda = Cuda::open(device.unwrap_or(0))?;
        let stream = NvdecStream::open(&cuda, ffmpeg, path, codec, (width, height), skip)?;
        Ok(Self {
            stream,
            cuda_stream: cuda.stream()?,
            gpu: Gpu {
                kernels: cuda.kernels()?,
                bgr: cuda.alloc(3 * width as usize * height as usize)?,
                cuda,
                bt709,
                registered: Vec::new(),
            },
        })
    }

    /// Fills `frame` (BGR, the run's size) with the next picture; false at
    /// the end of the video.
    pub fn read_into(&mut self, frame: &mut Frame) -> Result<bool, NvdecReadError> {
        let (gpu, stream) = (&mut self.gpu, &self.cuda_stream);
        Ok(self
            .stream
            .next(stream, |surface| gpu.download(stream, surface, frame))?
            .is_some())
    }

    /// The first picture decoded and converted on the GPU (the mapping,
    /// the kernel's first launch, which loads it, and the stream's first
    /// work), so that a run's clock holds none of NVDEC's start-up; the
    /// picture stays the first one read.
    pub fn ready(&mut self) -> Result<(), NvdecReadError> {
        let (gpu, stream) = (&self.gpu, &self.cuda_stream);
        self.stream.ready(stream, |surface| {
            gpu.kernels
                .nv12_to_bgr(stream, surface, gpu.bgr.ptr, gpu.bt709)
        })
    }

    /// Page-locks `frame` now, so that the GPU copies into it directly
    /// from its first picture on (a run's pool, before its clock starts).
    pub fn prepare(&mut self, frame: &mut Frame) {
        self.gpu.register(frame);
    }

    pub fn finish(&mut self) -> Option<DecodeRun> {
        self.stream.finish()
    }
}

/// Every picture of `path` decoded through NVDEC here at `size` (doctor's
/// trial): how many.
pub fn decode_all(
    ffmpeg: &Path,
    path: &Path,
    codec: Codec,
    size: (u32, u32),
    device: Option<u32>,
) -> Result<u64, NvdecReadError> {
    let cuda = Cuda::open(device.unwrap_or(0))?;
    let stream = cuda.stream()?;
    let mut video = NvdecStream::open(&cuda, ffmpeg, path, codec, size, 0)?;
    let mut frames = 0;
    while video.next(&stream, |_| Ok(()))?.is_some() {
        frames += 1;
    }
    video.finish();
    Ok(frames)
}

/// Whether NVDEC, driven here, decodes `path`'s first picture at `size`.
pub fn trial(
    ffmpeg: &Path,
    path: &Path,
    codec: Codec,
    size: (u32, u32),
    device: Option<u32>,
) -> Result<(), NvdecReadError> {
    // Declared first, dropped last: the reader may have page-locked it.
    let mut frame = Frame::new(size.0, size.1);
    let mut reader = NvdecReader::open(ffmpeg, path, codec, size, 0, device, true)?;
    let read = reader.read_into(&mut frame);
    reader.finish();
    match read? {
        true => Ok(()),
        false => Err(NvdecReadError::Demux(EncodeFailure::NvdecUnsupported {
            detail: "NVDEC decoded no picture of it".into(),
        })),
    }
}

impl Gpu {
    /// The picture as BGR into `frame`: converted on the GPU, copied by it
    /// into the frame's buffer (page-locked the first time it is seen).
    fn download(
        &mut self,
        stream: &Stream,
        surface: &Nv12Surface,
        frame: &mut Frame,
    ) -> Result<(), CudaError> {
        self.kernels
            .nv12_to_bgr(stream, surface, self.bgr.ptr, self.bt709)?;
        let ptr = self.register(frame);
        let row = 3 * frame.width as usize;
        stream.copy_2d(&Copy2d {
            src_memory_type: MEMORY_DEVICE,
            src_device: self.bgr.ptr,
            src_pitch: row,
            dst_memory_type: MEMORY_HOST,
            dst_host: ptr as usize,
            dst_pitch: row,
            width_bytes: row,
            height: frame.height as usize,
            ..Default::default()
        })
    }

    /// Page-locks `frame`'s buffer the first time it is seen (where the
    /// driver declines, copies go through its own staging); its address.
    fn register(&mut self, frame: &mut Frame) -> *mut u8 {
        let ptr = frame.data.as_mut_ptr();
        if !self.registered.contains(&ptr) {
            // SAFETY: unregistered in Drop; the case's frames outlive the reader.
            if unsafe { self.cuda.register(&mut frame.data) } {
                self.registered.push(ptr);
            }
        }
        ptr
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        for ptr in self.registered.drain(..) {
            // SAFETY: registered in `download`.
            unsafe { self.cuda.unregister(ptr) };
        }
    }
}

/// This thread's CPU time (user + system).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

//! The GPU-resident modes driven from this process (`cuda`): ffmpeg only
//! demuxes; NVDEC decodes each picture into GPU memory, the overlay layer
//! this process draws — only its drawn regions, over black and over white
//! (`overlay::layer::Packed`, a few hundred kB, not a 1080p frame) — is
//! uploaded and composited there by the tool's kernel, and the frame is
//! discarded (`composite-ceiling`) or copied down once as nv12 for a CPU
//! encoder (`gpu-resident` without NVENC). No frame crosses a pipe into
//! ffmpeg's filters. `bench::gpu` runs ffmpeg's CUDA filters where this
//! cannot (NVENC from CUDA frames; a codec NVDEC takes only through ffmpeg).

use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use super::case::CaseSpec;
use super::gpu::{count, draw_layers, next_drawn, Drawn};
use super::progress::Progress;
use super::run::{RunContext, RunError, RunOutcome, Timing};
use crate::cuda::driver::{Copy2d, Cuda, DeviceBuffer, Kernels, Nv12Surface, Stream};
use crate::cuda::driver::{MEMORY_DEVICE, MEMORY_HOST};
use crate::cuda::video::NvdecStream;
use crate::cuda::CudaError;
use crate::encode::ffmpeg_pipe::FfmpegPipeSink;
use crate::encode::{FrameSink, SinkOutput};
use crate::ffmpeg::args::{EncodeSettings, RawInput};
use crate::ffmpeg::decode::NvdecCodec as Codec;
use crate::frame::Frame;
use crate::overlay::layer::{Layer, Packed};
use crate::overlay::Overlay;
use crate::pixfmt::PixFmt;
use crate::results::failure::EncodeFailure;
use crate::results::StyleKind;

/// The video this runs on and the codec NVDEC reads it as.
pub struct Video<'a> {
    pub path: &'a Path,
    pub codec: Codec,
}

/// One run: `settings` given, the composited frames go to that (CPU)
/// encoder writing `output`; without, they are discarded.
pub fn run(
    ctx: &RunContext,
    spec: &CaseSpec,
    video: &Video,
    settings: Option<&EncodeSettings>,
    output: &Path,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let info = &ctx.workload.info;
    let (w, h) = (info.width, info.height);
    let ffmpeg = super::runner::ffmpeg(ctx)?;
    let cuda = Cuda::open(ctx.gpu.unwrap_or(0)).map_err(EncodeFailure::from)?;
    let mut decoded = NvdecStream::open(
        &cuda,
        ffmpeg,
        video.path,
        video.codec,
        (w, h),
        info.start_frame,
    )
    .map_err(EncodeFailure::from)?;
    // Declared before the GPU's side, dropped after it: it may page-lock them.
    let mut host: Vec<Vec<u8>> = Vec::new();
    let mut gpu = Composite::new(&cuda, w, h).map_err(EncodeFailure::from)?;
    let stream = cuda.stream().map_err(EncodeFailure::from)?;
    let mut sink = match settings {
        Some(s) => Some(FfmpegPipeSink::spawn(
            ffmpeg,
            &RawInput::new(w, h, info.fps, PixFmt::Nv12),
            s,
            output,
            ctx.write_timeout,
            ctx.engine.pipe,
        )?),
        None => None,
    };
    let held = sink.as_ref().map_or(0, |s| s.held());
    let overlay = Overlay::for_workload(spec.overlay.unwrap_or(StyleKind::Native), info)?;
    let (free_tx, free_rx) = sync_channel::<Packed>(2);
    for _ in 0..2 {
        free_tx
            .send(Packed::default())
            .expect("the pool fits its channel");
    }
    let (drawn_tx, drawn_rx) = sync_channel::<Result<Drawn<Packed>, RunError>>(1);
    let total = ctx.warmup + info.frames;
    let mut timing = Timing::start();
    // Host buffers for the frames going down to the encoder: one may sit in
    // the pipe (vmsplice) while `held` newer ones are written.
    if sink.is_some() {
        host.extend((0..=held).map(|_| vec![0; PixFmt::Nv12.frame_bytes(w, h)]));
    }
    let unused = Frame::new(0, 0);
    let composited: Result<(), RunError> = std::thread::scope(|scope| {
        scope
            .spawn(move || draw_layers(ctx, overlay, total, free_rx, drawn_tx, Layer::draw_packed));
        let (free_tx, drawn_rx) = (free_tx, drawn_rx);
        for n in 0..total {
            let drawn = next_drawn(ctx, &drawn_rx, &mut timing)?;
            let t = Instant::now();
            let slot = (n % host.len().max(1) as u64) as usize;
            let down = host.get_mut(slot);
            let done = decoded
                .next(&stream, |src| {
                    gpu.composite(&stream, src, &drawn.layer, down)
                })
                .map_err(EncodeFailure::from)?;
            if done.is_none() {
                return Err(RunError::Other(anyhow::anyhow!(
                    "the video ended after {n} of {total} frames"
                )));
            }
            if let Some(sink) = sink.as_mut() {
                sink.write(&unused, &host[slot])?;
            }
            count(ctx, &mut timing, &drawn, t);
            progress.frame();
            let _ = free_tx.send(drawn.layer);
        }
        Ok(())
    });
    let decode = decoded.finish();
    composited?;
    let t = Instant::now();
    let output = match sink {
        Some(sink) => {
            let out = Box::new(sink).finish()?;
            super::gpu::all_frames(&out, total)?;
            out
        }
        None => SinkOutput {
            path: None,
            command: Some(NvdecStream::demux_line(ffmpeg, video.path, video.codec)),
            stderr_tail: Vec::new(),
            first_frame_s: None,
            pipe: None,
            frames_done: Some(total),
            writer: None,
        },
    };
    timing.stages.finalize = t.elapsed().as_secs_f64();
    let mut outcome = timing.outcome(info.frames, output);
    outcome.result.decode = decode;
    Ok(outcome)
}

/// The GPU's side of a frame: the kernels, the frame being composited, and
/// the layer's buffers (grown to the largest layer seen).
struct Composite {
    cuda: Arc<Cuda>,
    kernels: Kernels,
    work: DeviceBuffer,
    packs: Option<DeviceBuffer>,
    table: Option<DeviceBuffer>,
    width: u32,
    height: u32,
    registered: Vec<*mut u8>,
}

impl Composite {
    fn new(cuda: &Arc<Cuda>, width: u32, height: u32) -> Result<Self, CudaError> {
        Ok(Self {
            kernels: cuda.kernels()?,
            work: cuda.alloc(PixFmt::Nv12.frame_bytes(width, height))?,
            cuda: cuda.clone(),
            packs: None,
            table: None,
            width,
            height,
            registered: Vec::new(),
        })
    }

    /// The frame in `work`, packed nv12 (pitch = width).
    fn work_surface(&self) -> Nv12Surface {
        let luma_bytes = u64::from(self.width) * u64::from(self.height);
        Nv12Surface {
            luma: self.work.ptr,
            chroma: self.work.ptr + luma_bytes,
            pitch: self.width,
            width: self.width,
            height: self.height,
        }
    }

    /// `src` copied into `work`, the layer composited over it, and — for an
    /// encoder — the result copied down into `down` (page-locked the first
    /// time). Queued on the stream; the caller's `next` waits for it.
    fn composite(
        &mut self,
        stream: &Stream,
        src: &Nv12Surface,
        packed: &Packed,
        down: Option<&mut Vec<u8>>,
    ) -> Result<(), CudaError> {
        let dst = self.work_surface();
        let (w, h) = (self.width as usize, self.height as usize);
        for (from, to, rows) in [(src.luma, dst.luma, h), (src.chroma, dst.chroma, h / 2)] {
            stream.copy_2d(&Copy2d {
                src_memory_type: MEMORY_DEVICE,
                src_device: from,
                src_pitch: src.pitch as usize,
                dst_memory_type: MEMORY_DEVICE,
                dst_device: to,
                dst_pitch: w,
                width_bytes: w,
                height: rows,
                ..Default::default()
            })?;
        }
        let packs = grown(&self.cuda, &mut self.packs, packed.bytes.len())?;
        let table = grown(&self.cuda, &mut self.table, packed.table.len() * 4)?;
        stream.upload(packs, &packed.bytes)?;
        let table_bytes: Vec<u8> = packed.table.iter().flat_map(|v| v.to_ne_bytes()).collect();
        stream.upload(table, &table_bytes)?;
        self.kernels.composite(
            stream,
            src,
            &dst,
            packs,
            table,
            packed.count(),
            packed.blocks,
        )?;
        // The upload read from pageable memory: done before this returns.
        let Some(down) = down else {
            return Ok(());
        };
        let ptr = down.as_mut_ptr();
        if !self.registered.contains(&ptr) {
            // SAFETY: the host buffers outlive this (declared before it in
            // `run`); unregistered on drop.
            if unsafe { self.cuda.register(down) } {
                self.registered.push(ptr);
            }
        }
        stream.copy_2d(&Copy2d {
            src_memory_type: MEMORY_DEVICE,
            src_device: self.work.ptr,
            src_pitch: w,
            dst_memory_type: MEMORY_HOST,
            dst_host: ptr as usize,
            dst_pitch: w,
            width_bytes: w,
            height: h * 3 / 2,
            ..Default::default()
        })
    }
}

impl Drop for Composite {
    fn drop(&mut self) {
        for ptr in self.registered.drain(..) {
            // SAFETY: registered in `composite`.
            unsafe { self.cuda.unregister(ptr) };
        }
    }
}

/// A device buffer of at least `bytes` (at least one), grown where smaller.
fn grown(
    cuda: &Arc<Cuda>,
    buffer: &mut Option<DeviceBuffer>,
    bytes: usize,
) -> Result<u64, CudaError> {
    let bytes = bytes.max(1);
    if buffer.as_ref().map_or(true, |b| b.bytes < bytes) {
        *buffer = Some(cuda.alloc(bytes.next_power_of_two())?);
    }
    Ok(buffer.as_ref().expect("allocated above").ptr)
}

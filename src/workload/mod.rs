//! What the overlay stage draws on: frames (the embedded synthetic clip or a
//! user's video decoded through ffmpeg) and their detections.

pub mod actions;
pub mod detections;
pub mod feed;
pub mod live;
pub mod spec;
pub mod synthetic;
pub mod video;

use std::path::PathBuf;

use crate::frame::Frame;
use detections::Detections;

/// Names the embedded clip's content, versioned: results of different content are
/// not comparable (v2: noise of ±3.5 levels; v1 had ±16, harder than real footage).
pub const SYNTHETIC_SOURCE: &str = "synthetic-v2";

/// Frames kept pre-rendered for the synthetic clip: generation is not what we measure.
pub const SYNTHETIC_RING: usize = 16;

/// Memory the ring may take: fewer frames for very large sizes (8192x8192 is 200 MB a frame).
const SYNTHETIC_RING_BYTES: usize = 256 << 20;

/// How many frames the ring holds at this size.
pub fn ring_len(width: u32, height: u32, frames: u64) -> usize {
    let by_memory = SYNTHETIC_RING_BYTES / Frame::bytes_len(width, height).max(1);
    SYNTHETIC_RING.min(by_memory).min(frames as usize).max(1)
}

use crate::results::WorkloadInfo;

pub struct Workload {
    pub info: WorkloadInfo,
    pub detections: Detections,
    pub input: Input,
}

pub enum Input {
    /// Pre-rendered ring, cycled.
    Synthetic(Vec<Frame>),
    /// A video decoded through ffmpeg's rawvideo output, opened per run.
    Video {
        path: PathBuf,
        /// None: no ffmpeg here, OpenCV decodes (the demo's own reader).
        ffmpeg: Option<PathBuf>,
        /// The decoder that runs (NVDEC's fallback decided when the workload was built).
        decoder: Decoder,
        /// NVDEC's CUDA device (`--gpu`), else CUDA's default.
        nvdec_device: Option<u32>,
        /// The stream's codec, as ffmpeg names it ("h264", "hevc", …).
        codec: String,
        /// The colour properties it declares (NVDEC's frames are converted
        /// here; the GPU composite's layer declares the same).
        color: crate::ffmpeg::probe_file::ColorTags,
        /// `--start` as given: OpenCV seeks to it as the demo does; ffmpeg to
        /// the frame that seek lands on (`info.start_frame`).
        start_ms: u64,
    },
    /// Frames the caller hands over one by one (`feed`), as many as it has.
    Feed(feed::FeedReceiver),
}

use crate::results::decode::Decoder;

impl Workload {
    /// The embedded default clip: `frames` frames with `persons` tracks.
    pub fn synthetic(width: u32, height: u32, fps: f64, frames: u64, persons: u32) -> Self {
        let ring: Vec<Frame> = (0..ring_len(width, height, frames))
            .map(|i| {
                let mut f = Frame::new(width, height);
                synthetic::render_frame(&mut f, i as u64);
                f
            })
            .collect();
        let detections = synthetic::tracks_with(
            width,
            height,
            frames,
            persons,
            fps,
            crate::workload::actions::CaptionRule::default(),
        );
        Self {
            info: WorkloadInfo {
                source: SYNTHETIC_SOURCE.into(),
                detections: "synthetic".into(),
                width,
                height,
                fps,
                frames,
                persons: persons as usize,
                show_time: true,
                start_frame: 0,
                decode: None,
                preloaded: false,
            },
            detections,
            input: Input::Synthetic(ring),
        }
    }

    /// `width`x`height` frames at `fps`, laid out as `layout`, that the
    /// caller hands over through the returned sender, with no detections: as
    /// many as it sends before dropping it (`open_ended`).
    pub fn fed(
        width: u32,
        height: u32,
        fps: f64,
        layout: crate::pixfmt::Layout,
    ) -> (feed::FeedSender, Self) {
        let (tx, rx) = feed::channel(width, height, layout);
        let workload = Self {
            info: WorkloadInfo {
                source: "fed".into(),
                detections: "none".into(),
                width,
                height,
                fps,
                frames: 0,
                persons: 0,
                show_time: false,
                start_frame: 0,
                decode: None,
                preloaded: false,
            },
            detections: Detections::default(),
            input: Input::Feed(rx),
        };
        (tx, workload)
    }

    /// Its length is known only at its end (a fed input): `info.frames` is
    /// not the count, and the run's result says how many there were.
    pub fn open_ended(&self) -> bool {
        matches!(self.input, Input::Feed(_))
    }

    /// Starts reading frames from the beginning.
    pub fn reader(&self) -> anyhow::Result<FrameReader<'_>> {
        Ok(match &self.input {
            Input::Synthetic(ring) => FrameReader::Ring { ring, next: 0 },
            Input::Feed(feed) => FrameReader::Feed(feed.reader()?),
            #[cfg(feature = "opencv")]
            Input::Video {
                path,
                decoder: Decoder::Opencv,
                start_ms,
                ..
            } => FrameReader::OpenCv(video::OpenCvReader::open(
                path,
                self.info.width,
                self.info.height,
                *start_ms,
            )?),
            #[cfg(not(feature = "opencv"))]
            Input::Video {
                decoder: Decoder::Opencv,
                ..
            } => anyhow::bail!("--decoder opencv needs a build with the `opencv` feature"),
            Input::Video {
                path,
                ffmpeg: Some(ffmpeg),
                nvdec_device,
                color,
                codec,
                ..
            } if self.nvdec_in_process() => FrameReader::Nvdec(Box::new(
                crate::cuda::video::NvdecReader::open(
                    ffmpeg,
                    path,
                    crate::ffmpeg::decode::NvdecCodec::from_ffmpeg(codec).ok_or_else(|| {
                        anyhow::anyhow!("{codec} is not a codec this process hands NVDEC")
                    })?,
                    (self.info.width, self.info.height),
                    self.info.start_frame,
                    *nvdec_device,
                    color.is_bt709(),
                )
                .map_err(|e| anyhow::anyhow!("decoding {} on NVDEC: {e}", path.display()))?,
            )),
            Input::Video {
                path,
                ffmpeg: Some(ffmpeg),
                decoder,
                nvdec_device,
                color,
                ..
            } => FrameReader::Video(video::VideoReader::open(
                ffmpeg,
                path,
                self.info.width,
                self.info.height,
                video::seek_seconds(self.info.start_frame, self.info.fps),
                match decoder {
                    Decoder::Nvdec => crate::ffmpeg::decode::DecodeOn::Nvdec(*nvdec_device),
                    _ => crate::ffmpeg::decode::DecodeOn::Cpu,
                },
                color.is_bt709(),
            )?),
            Input::Video { ffmpeg: None, .. } => {
                anyhow::bail!("--decoder ffmpeg needs ffmpeg: install it, pass --ffmpeg, or use --decoder opencv")
            }
        })
    }

    /// Whether NVDEC reads the video in this process (its trial passed
    /// when the workload was built).
    fn nvdec_in_process(&self) -> bool {
        self.info.decode.as_ref().and_then(|d| d.route)
            == Some(crate::results::decode::NvdecRoute::InProcess)
    }
}

/// The most frames `--preload` holds in memory.
pub const PRELOAD_BYTES: usize = 8 << 30;

impl Workload {
    /// The video decoded once now, with the decoder chosen, into frames held
    /// in memory (`warmup` + the run's frames): the runs read those, and
    /// their time holds no decoding.
    pub fn preloaded(mut self, warmup: u64, notes: &mut Vec<String>) -> anyhow::Result<Self> {
        let total = self.info.frames + warmup;
        let bytes = Frame::bytes_len(self.info.width, self.info.height) as u64 * total;
        if bytes > PRELOAD_BYTES as u64 {
            anyhow::bail!(
                "--preload would hold {:.1} GiB of frames ({total} of {}x{}), more than {} GiB: ask for fewer --frames or a smaller --resolution",
                bytes as f64 / f64::from(1u32 << 30),
                self.info.width,
                self.info.height,
                PRELOAD_BYTES >> 30
            );
        }
        let mut ring = Vec::with_capacity(total as usize);
        {
            let mut reader = self.reader()?;
            for n in 0..total {
                let mut frame = Frame::new(self.info.width, self.info.height);
                if !reader.read_into(&mut frame)? {
                    anyhow::bail!(
                        "the video ended after {n} of the {total} frames --preload decodes"
                    );
                }
                ring.push(frame);
            }
            reader.finish();
        }
        notes.push(format!(
            "--preload: {total} frames decoded before the runs ({:.1} GiB in memory); the runs time no decoding",
            bytes as f64 / f64::from(1u32 << 30)
        ));
        self.input = Input::Synthetic(ring);
        self.info.preloaded = true;
        Ok(self)
    }
}

pub enum FrameReader<'a> {
    Ring {
        ring: &'a [Frame],
        next: usize,
    },
    Video(video::VideoReader),
    Nvdec(Box<crate::cuda::video::NvdecReader>),
    #[cfg(feature = "opencv")]
    OpenCv(video::OpenCvReader),
    Feed(feed::FeedReader),
}

impl FrameReader<'_> {
    /// Fills `frame` with the next frame; false at the end of the input.
    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        match self {
            Self::Ring { ring, next } => {
                frame.data.copy_from_slice(&ring[*next % ring.len()].data);
                *next += 1;
                Ok(true)
            }
            Self::Video(v) => v.read_into(frame),
            Self::Nvdec(v) => v.read_into(frame).map_err(anyhow::Error::from),
            Self::Feed(f) => f.read_into(frame),
            #[cfg(feature = "opencv")]
            Self::OpenCv(v) => v.read_into(frame),
        }
    }

    /// Page-locks `frame` where the GPU copies into it (NVDEC in this
    /// process): a run's pool, before its clock starts.
    pub fn prepare(&mut self, frame: &mut Frame) {
        if let Self::Nvdec(v) = self {
            v.prepare(frame);
        }
    }

    /// Waits until the decoder has its first frame (started; for NVDEC its
    /// decoder made and its first picture converted on the GPU): a run opens
    /// its sink and starts its clock after.
    pub fn ready(&mut self) -> anyhow::Result<()> {
        match self {
            Self::Video(v) => v.ready(),
            Self::Nvdec(v) => v.ready()?,
            _ => {}
        }
        Ok(())
    }

    /// Ends the input; an ffmpeg decoder says what decoding cost.
    pub fn finish(&mut self) -> Option<crate::results::decode::DecodeRun> {
        match self {
            Self::Video(v) => v.finish(),
            Self::Nvdec(v) => v.finish(),
            _ => None,
        }
    }
}

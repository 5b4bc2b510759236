//! Everything nvviz-bench knows about the external `ffmpeg` tool: where it is,
//! what its build can do, the command lines we give it, how we supervise it and
//! how we read its failures.

pub mod args;
pub mod child;
pub mod decode;
pub mod failure;
pub mod gpu;
pub mod heap;
pub mod info;
pub mod locate;
pub mod nvenc_api;
pub mod probe_file;
pub mod quality;
pub mod verify;

pub use locate::{FfmpegBinary, FfmpegSource};

//! Discards frames: the overlay-only baseline.

use super::{FrameSink, SinkOutput};
use crate::frame::Frame;
use crate::results::failure::EncodeFailure;

pub struct NullSink;

impl FrameSink for NullSink {
    fn label(&self) -> String {
        "null".into()
    }

    fn write(&mut self, frame: &Frame, _wire: &[u8]) -> Result<(), EncodeFailure> {
        std::hint::black_box(&frame.data);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<SinkOutput, EncodeFailure> {
        Ok(SinkOutput::default())
    }
}

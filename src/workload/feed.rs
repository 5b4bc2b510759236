//! Frames handed over one at a time by the caller (the Python module's
//! `Writer`): a case's input whose length is known only when the caller says
//! it has ended. The hand-over is a rendezvous and copies nothing on the way:
//! `FeedSender::send` lends the caller's bytes and returns once the case's
//! reader has copied them into its own frame buffer (the one copy every input
//! makes, as the embedded ring's `copy_from_slice`), so the caller may reuse
//! its buffer at once. It blocks while the case's frame pool is full: that is
//! the back-pressure that bounds memory. `FeedSender::abort` ends the input
//! as a failure (the caller's loop raised): the case fails, its partial
//! output is removed and its ffmpeg stopped, as for any failed case.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use crate::frame::Frame;
use crate::pixfmt::Layout;

/// Why a frame was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The case stopped reading (it failed, or was interrupted): its result says why.
    #[error("the writer is no longer taking frames")]
    Closed,
    #[error("a frame of {got} bytes, where {width}x{height} {} frames are {want} bytes", layout.name())]
    Size {
        got: usize,
        want: usize,
        width: u32,
        height: u32,
        layout: Layout,
    },
}

/// What crosses: a frame lent by `FeedSender::send`, valid until the reader
/// acknowledges it, or the caller's abandonment.
enum Handoff {
    Loan { data: *const u8, len: usize },
    Abort,
}

// SAFETY: the pointer is only read by the receiving thread between `recv` and
// the acknowledgement, while `send` (which holds the borrow) waits for that
// acknowledgement; see `FeedReader::read_into`.
unsafe impl Send for Handoff {}

/// The caller's end.
pub struct FeedSender {
    loans: SyncSender<Handoff>,
    /// Behind a lock so the sender can be shared (the Python module waits
    /// in `send` without holding the interpreter).
    taken: Mutex<Receiver<()>>,
    width: u32,
    height: u32,
    layout: Layout,
}

/// The case's end: the workload's input (`Input::Feed`).
pub struct FeedReceiver {
    inner: Mutex<Option<(Receiver<Handoff>, SyncSender<()>)>>,
    layout: Layout,
}

/// A feed for `width`x`height` frames laid out as `layout`.
pub fn channel(width: u32, height: u32, layout: Layout) -> (FeedSender, FeedReceiver) {
    let (loans, loans_rx) = sync_channel(0);
    let (taken_tx, taken) = sync_channel(1);
    (
        FeedSender {
            loans,
            taken: Mutex::new(taken),
            width,
            height,
            layout,
        },
        FeedReceiver {
            inner: Mutex::new(Some((loans_rx, taken_tx))),
            layout,
        },
    )
}

impl FeedSender {
    /// Hands over one frame in the feed's layout (no row padding) and
    /// returns once the case has copied it.
    pub fn send(&self, frame: &[u8]) -> Result<(), FeedError> {
        let want = self.layout.frame_bytes(self.width, self.height);
        if frame.len() != want {
            return Err(FeedError::Size {
                got: frame.len(),
                want,
                width: self.width,
                height: self.height,
                layout: self.layout,
            });
        }
        // One frame in flight: the lock is held from the hand-over to its
        // acknowledgement, so a second caller's frame waits its turn.
        let taken = self.taken.lock().map_err(|_| FeedError::Closed)?;
        let loan = Handoff::Loan {
            data: frame.as_ptr(),
            len: frame.len(),
        };
        self.loans.send(loan).map_err(|_| FeedError::Closed)?;
        // Received: the reader copies, then acknowledges (or is dropped, and
        // so can no longer read). Either way the borrow ends here, not before.
        taken.recv().map_err(|_| FeedError::Closed)
    }

    /// Ends the input as a failure: the case stops, its partial output is
    /// removed. Returns at once where the case has already stopped.
    pub fn abort(&self) {
        let _taken = self.taken.lock();
        let _ = self.loans.send(Handoff::Abort);
    }
}

impl FeedReceiver {
    /// The reader of the one run a feed supplies: a second run has no frames.
    pub fn reader(&self) -> anyhow::Result<FeedReader> {
        let taken = self
            .inner
            .lock()
            .map_err(|_| anyhow::anyhow!("the feed's lock was poisoned"))?
            .take();
        let (loans, ack) = taken
            .ok_or_else(|| anyhow::anyhow!("a fed input supplies one run only: use --runs 1"))?;
        Ok(FeedReader {
            loans,
            ack,
            layout: self.layout,
        })
    }
}

pub struct FeedReader {
    loans: Receiver<Handoff>,
    ack: SyncSender<()>,
    layout: Layout,
}

impl FeedReader {
    /// The next frame; false once the sender is gone (the caller closed the writer).
    pub fn read_into(&mut self, frame: &mut Frame) -> anyhow::Result<bool> {
        let (data, len) = match self.loans.recv() {
            Err(_) => return Ok(false),
            Ok(Handoff::Abort) => anyhow::bail!(
                "the writer was abandoned before close() (an exception in the caller's loop, or the interpreter exiting): the partial video is removed"
            ),
            Ok(Handoff::Loan { data, len }) => (data, len),
        };
        let want = self.layout.frame_bytes(frame.width, frame.height);
        let fits = len == want;
        if fits {
            // SAFETY: `send` keeps the slice borrowed until the acknowledgement
            // below, and its length was checked against this frame size there
            // and here.
            let src = unsafe { std::slice::from_raw_parts(data, len) };
            self.layout
                .to_bgr(src, frame.width, frame.height, &mut frame.data);
        }
        // The sender is waiting for this; it may have gone (its error is then its own).
        let _ = self.ack.send(());
        if !fits {
            anyhow::bail!("a frame of {len} bytes where {want} were expected");
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cross_in_order_and_the_end_is_the_senders_drop() {
        let (tx, rx) = channel(2, 1, Layout::Bgr24);
        let mut reader = rx.reader().unwrap();
        let sender = std::thread::spawn(move || {
            for v in 0..3u8 {
                let mut buf = vec![v; 6];
                tx.send(&buf).unwrap();
                // Reusable at once: the frame was copied before send returned.
                buf.fill(99);
            }
        });
        let mut frame = Frame::new(2, 1);
        for v in 0..3u8 {
            assert!(reader.read_into(&mut frame).unwrap());
            assert_eq!(frame.data, vec![v; 6]);
        }
        sender.join().unwrap();
        assert!(!reader.read_into(&mut frame).unwrap());
    }

    #[test]
    fn a_wrong_size_and_a_gone_reader_are_errors_not_hangs() {
        let (tx, rx) = channel(2, 2, Layout::Bgr24);
        assert_eq!(
            tx.send(&[0; 5]),
            Err(FeedError::Size {
                got: 5,
                want: 12,
                width: 2,
                height: 2,
                layout: Layout::Bgr24,
            })
        );
        drop(rx);
        assert_eq!(tx.send(&[0; 12]), Err(FeedError::Closed));
    }

    #[test]
    fn an_abort_is_the_readers_error() {
        let (tx, rx) = channel(2, 1, Layout::Bgr24);
        let mut reader = rx.reader().unwrap();
        let t = std::thread::spawn(move || tx.abort());
        let err = reader.read_into(&mut Frame::new(2, 1)).unwrap_err();
        assert!(
            err.to_string().contains("abandoned before close()"),
            "{err}"
        );
        t.join().unwrap();
    }

    #[test]
    fn one_run_only() {
        let (_tx, rx) = channel(2, 2, Layout::Bgr24);
        let _first = rx.reader().unwrap();
        assert!(rx.reader().is_err());
    }

    /// Each layout arrives as the BGR the case draws on: RGB swapped, the
    /// fourth byte dropped, YUV converted (mid-grey stays grey).
    #[test]
    fn every_layout_arrives_as_bgr() {
        // Four Y samples and one chroma pair: planar and interleaved alike.
        let grey = vec![126u8, 126, 126, 126, 128, 128];
        for (layout, sent) in [
            (Layout::Bgr24, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            (Layout::Rgb24, vec![3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]),
            (
                Layout::Bgra,
                vec![1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0],
            ),
            (Layout::Nv12, grey.clone()),
            (Layout::Yuv420p, grey.clone()),
        ] {
            let (tx, rx) = channel(2, 2, layout);
            let mut reader = rx.reader().unwrap();
            let sender = std::thread::spawn(move || tx.send(&sent));
            let mut frame = Frame::new(2, 2);
            assert!(reader.read_into(&mut frame).unwrap());
            sender.join().unwrap().unwrap();
            match layout.channels() {
                Some(_) => assert_eq!(frame.data, (1..=12).collect::<Vec<u8>>(), "{layout:?}"),
                // Y 126 in limited range is (126 - 16) * 255 / 219 = 128.
                None => assert!(
                    frame.data.iter().all(|v| v.abs_diff(128) <= 1),
                    "{layout:?}: {:?}",
                    frame.data
                ),
            }
        }
    }
}

//! Detections the caller sends while its video is drawn (the Python module's
//! `NVENCVisualizer`): the tracker's boxes frame by frame (`send_track`) and
//! the action model's results, each with its timestamp (`send`), as the demo's
//! writer receives them through its queues. Where a result lands follows the
//! demo's writer: on the first frame whose time is past the result's
//! (`mills - timestamp + 0.5 > 0`) and that no earlier result took — one
//! result a frame, a later one slips — and there the result's own boxes are
//! drawn; on other frames the tracker's, each with the captions of its
//! track's latest result.
//!
//! A frame is drawn once its boxes are known and whether a result lands on it
//! can be told (the next result is known, or the caller said there are no
//! more): the drawing stage waits for the caller as the demo's writer does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::actions::CaptionRule;
use super::detections::{Action, Person, TrackBox};

/// One result of the action model: its time and its persons' scores.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveResult {
    /// Milliseconds of the source video, as the demo's timestamps.
    pub timestamp_ms: f64,
    /// (track, box, scores indexed by the vocabulary).
    pub persons: Vec<(u32, [f32; 4], Vec<f32>)>,
}

#[derive(Debug)]
pub struct LiveTracks {
    state: Mutex<State>,
    changed: Condvar,
    /// Source milliseconds of the run's frame 0, and the frame rate.
    first_ms: f64,
    fps: f64,
    rule: CaptionRule,
}

#[derive(Debug, Default)]
struct State {
    /// The tracker's boxes of each frame sent so far (None: no boxes that frame).
    tracks: Vec<Option<Vec<TrackBox>>>,
    tracks_ended: bool,
    /// Results that have not landed yet, in the order sent.
    pending: VecDeque<(f64, Vec<Person>)>,
    results_ended: bool,
    /// Frames below this have their result decided.
    decided: u64,
    /// Where results landed: their persons, captions included.
    landed: BTreeMap<u64, Vec<Person>>,
    /// Each track's captions by the frame they start on.
    held: HashMap<u32, BTreeMap<u64, Vec<Action>>>,
    /// The caller gave up (an exception, the interpreter exiting): nothing waits.
    abandoned: bool,
}

/// Why a result was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    #[error("send() after its \"DONE\"")]
    ResultsEnded,
    #[error("send_track() after its \"DONE\"")]
    TracksEnded,
    #[error("track {track}: {message}")]
    Scores { track: u32, message: String },
}

impl LiveTracks {
    /// For a run whose frame 0 is source frame `first_frame` at `fps`.
    pub fn new(first_frame: u64, fps: f64, rule: CaptionRule) -> Self {
        let fps = fps.max(1e-3);
        Self {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            first_ms: first_frame as f64 * 1000.0 / fps,
            fps,
            rule,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.changed.notify_all();
        out
    }

    /// The next frame's tracker boxes (None: the tracker had none).
    pub fn send_track(&self, boxes: Option<Vec<TrackBox>>) -> Result<(), LiveError> {
        self.update(|s| {
            if s.tracks_ended {
                return Err(LiveError::TracksEnded);
            }
            s.tracks.push(boxes);
            Ok(())
        })
    }

    /// An action result; its scores become captions by the demo's rule now.
    pub fn send(&self, result: LiveResult) -> Result<(), LiveError> {
        let persons = result
            .persons
            .into_iter()
            .map(|(track_id, bbox, scores)| {
                let actions = self
                    .rule
                    .from_scores(&scores)
                    .map_err(|e| LiveError::Scores {
                        track: track_id,
                        message: e.to_string(),
                    })?;
                Ok(Person {
                    track_id,
                    bbox,
                    actions,
                })
            })
            .collect::<Result<Vec<_>, LiveError>>()?;
        self.update(|s| {
            if s.results_ended {
                return Err(LiveError::ResultsEnded);
            }
            s.pending.push_back((result.timestamp_ms, persons));
            Ok(())
        })
    }

    /// No more results (the demo's "DONE" on the result queue).
    pub fn end_results(&self) {
        self.update(|s| s.results_ended = true);
    }

    /// No more tracker boxes (the demo's "DONE" on the track queue).
    pub fn end_tracks(&self) {
        self.update(|s| s.tracks_ended = true);
    }

    /// Both ended: what `close()` says.
    pub fn end(&self) {
        self.update(|s| {
            s.results_ended = true;
            s.tracks_ended = true;
        });
    }

    /// The caller gave up: nothing waits any more, and the run stops.
    pub fn abandon(&self) {
        self.update(|s| {
            s.abandoned = true;
            s.results_ended = true;
            s.tracks_ended = true;
        });
    }

    pub fn abandoned(&self) -> bool {
        self.lock().abandoned
    }

    /// Frame `frame`'s persons with their captions, once they can be told.
    pub fn persons(&self, frame: u64) -> Vec<Person> {
        let mut s = self.lock();
        loop {
            self.decide(&mut s);
            if s.decided > frame || s.abandoned {
                break;
            }
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        if let Some(persons) = s.landed.get(&frame) {
            return persons.clone();
        }
        let boxes = usize::try_from(frame)
            .ok()
            .and_then(|i| s.tracks.get(i))
            .and_then(Option::as_ref);
        boxes
            .map(|boxes| {
                boxes
                    .iter()
                    .map(|b| Person {
                        track_id: b.track_id,
                        bbox: b.bbox,
                        actions: s
                            .held
                            .get(&b.track_id)
                            .and_then(|k| k.range(..=frame).next_back())
                            .map(|(_, a)| a.clone())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Decides frames in order while their boxes and the next result (or
    /// the results' end) are known.
    fn decide(&self, s: &mut State) {
        loop {
            let frame = s.decided;
            let boxes_known = (frame as usize) < s.tracks.len() || s.tracks_ended;
            let result_known = !s.pending.is_empty() || s.results_ended;
            if !(boxes_known && result_known) {
                return;
            }
            if (frame as usize) >= s.tracks.len() && s.pending.is_empty() {
                // Past the last boxes with no result left: nothing more lands,
                // every later frame is decided (empty).
                s.decided = u64::MAX;
                return;
            }
            let mills = self.first_ms + frame as f64 * 1000.0 / self.fps;
            let lands = s
                .pending
                .front()
                .is_some_and(|(timestamp, _)| mills - timestamp + 0.5 > 0.0);
            if lands {
                let (_, persons) = s.pending.pop_front().expect("front checked");
                for p in &persons {
                    s.held
                        .entry(p.track_id)
                        .or_default()
                        .insert(frame, p.actions.clone());
                }
                s.landed.insert(frame, persons);
            }
            s.decided = frame + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CaptionRule {
        CaptionRule::new(true, 0.5, Some(Vec::new())).unwrap()
    }

    fn scores(hot: usize) -> Vec<f32> {
        let mut s = vec![0.0; rule().vocabulary.names.len()];
        s[hot] = 0.9;
        s
    }

    fn track(id: u32, x: f32) -> TrackBox {
        TrackBox {
            track_id: id,
            bbox: [x, 0.0, x + 10.0, 10.0],
        }
    }

    #[test]
    fn results_land_on_their_frame_with_their_boxes_then_captions_hold() {
        // 10 fps: frame k is at 100·k ms.
        let live = LiveTracks::new(0, 10.0, rule());
        for _ in 0..4 {
            live.send_track(Some(vec![track(1, 0.0), track(2, 50.0)]))
                .unwrap();
        }
        live.send(LiveResult {
            timestamp_ms: 150.0,
            persons: vec![(1, [5.0, 5.0, 20.0, 20.0], scores(2))],
        })
        .unwrap();
        live.end();
        assert_eq!(live.persons(0).len(), 2);
        assert!(live.persons(1).iter().all(|p| p.actions.is_empty()));
        // 200 ms is the first frame past 150: the result's persons only, its box.
        let landed = live.persons(2);
        assert_eq!(landed.len(), 1);
        assert_eq!(landed[0].bbox, [5.0, 5.0, 20.0, 20.0]);
        assert_eq!(landed[0].actions[0].label, "sit");
        // Then the tracker's boxes, track 1 captioned.
        let after = live.persons(3);
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].actions[0].label, "sit");
        assert!(after[1].actions.is_empty());
        assert!(live.persons(99).is_empty());
    }

    #[test]
    fn one_result_a_frame_and_a_later_one_slips() {
        let live = LiveTracks::new(0, 10.0, rule());
        for _ in 0..3 {
            live.send_track(None).unwrap();
        }
        for ts in [0.0, 10.0] {
            live.send(LiveResult {
                timestamp_ms: ts,
                persons: vec![(7, [0.0; 4], scores(3))],
            })
            .unwrap();
        }
        live.end();
        assert_eq!(live.persons(0).len(), 1);
        assert_eq!(
            live.persons(1).len(),
            1,
            "the second result slipped to frame 1"
        );
        assert!(live.persons(2).is_empty());
    }

    #[test]
    fn a_frame_waits_for_the_caller_and_abandon_frees_it() {
        let live = std::sync::Arc::new(LiveTracks::new(0, 30.0, rule()));
        let waiting = std::sync::Arc::clone(&live);
        let drawer = std::thread::spawn(move || waiting.persons(0));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!drawer.is_finished(), "frame 0 has no boxes yet");
        live.abandon();
        assert!(drawer.join().unwrap().is_empty());
        assert!(live.abandoned());
    }

    #[test]
    fn wrong_scores_and_sends_after_done_are_errors() {
        let live = LiveTracks::new(0, 30.0, rule());
        let err = live
            .send(LiveResult {
                timestamp_ms: 0.0,
                persons: vec![(3, [0.0; 4], vec![0.5; 2])],
            })
            .unwrap_err();
        assert!(matches!(err, LiveError::Scores { track: 3, .. }), "{err}");
        live.end();
        assert_eq!(live.send_track(None), Err(LiveError::TracksEnded));
    }
}

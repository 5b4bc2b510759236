//! Detections: what the overlay draws. Two streams, as AlphAction's demo has
//! them: the tracker's boxes and ids for every frame, and the action model's
//! scores per track at keyframes (about once a second), turned into captions
//! by the `actions::CaptionRule` and held per track until its next keyframe.
//! Read from nvviz-bench's JSON schema (version 2; version 1, captions listed
//! per frame, still read) or MOTChallenge CSV (boxes only), or generated for
//! the embedded workload.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::actions::CaptionRule;

/// Version of the detections JSON schema this build writes (it reads 1 and 2).
pub const DETECTIONS_SCHEMA_VERSION: u32 = 2;
const SCHEMA: &str = "nvviz-bench.detections";

/// AlphAction groups its AVA actions in three categories, each drawn in its own colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    #[default]
    Pose,
    ObjectInteraction,
    PersonInteraction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub label: String,
    pub score: f32,
    #[serde(default)]
    pub category: Category,
}

/// A tracked person on one frame, with the captions drawn beside its box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub track_id: u32,
    /// [x1, y1, x2, y2] in pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Version 1: a frame's persons with the captions that frame shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameDetections {
    pub frame: u64,
    #[serde(default)]
    pub persons: Vec<Person>,
}

/// Version 2: a frame's tracker boxes (captions come from keyframes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackBox {
    pub track_id: u32,
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameTracks {
    pub frame: u64,
    #[serde(default)]
    pub persons: Vec<TrackBox>,
}

/// One track's result at a keyframe: the action model's scores, indexed by the
/// vocabulary (AVA's 80, or the demo's 15 with `--common-categories`), or
/// labels with their scores; `box` is the result's own box for the track
/// (the demo's `result.bbox` row), drawn on the frame the result lands on —
/// without it the tracker's box of that frame stands in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyframeTrack {
    pub track_id: u32,
    #[serde(rename = "box", default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f32; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    pub frame: u64,
    pub tracks: Vec<KeyframeTrack>,
}

/// The JSON document (`nvviz-bench.detections`), either version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionsFile<F> {
    pub schema: String,
    pub version: u32,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub fps: Option<f64>,
    pub frames: Vec<F>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyframes: Vec<Keyframe>,
}

/// Detections by frame number; frames without an entry have no persons. Sparse, so a
/// file naming frame 10^12 costs one entry, not a terabyte. The embedded workload's
/// tracks are computed for each frame when it is asked for: memory does not grow
/// with the number of frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Detections {
    source: Source,
    /// Frame 0 of the run is this frame of the source (`--start`).
    offset: u64,
}

/// Each track's captions from its keyframes: those of the latest keyframe at
/// or before a frame are the ones shown (AlphAction's action dictionary).
type Held = HashMap<u32, BTreeMap<u64, Vec<Action>>>;

/// One action result's tracks, in its order, each with its own box if given.
type Results = Vec<(u32, Option<[f32; 4]>)>;

/// One track's caption at a keyframe: (frame, track, captions, the result's box).
pub type KeyframeCaption = (u64, u32, Vec<Action>, Option<[f32; 4]>);

#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Version 1 (captions listed per frame, `held` None) or version 2 and
    /// MOT CSV (boxes per frame, captions held from keyframes).
    Recorded {
        boxes: BTreeMap<u64, Vec<Person>>,
        held: Option<Held>,
        /// The frames an action result lands on, and the tracks in it (with
        /// the result's own box where it has one): there the demo draws that
        /// result's persons only.
        results: BTreeMap<u64, Results>,
    },
    /// The embedded workload: `frames` frames of `persons` people moving over
    /// a `width`x`height` frame, each frame a pure function of its number; a
    /// keyframe every `keyframe_every` frames.
    Generated {
        frames: u64,
        width: u32,
        height: u32,
        persons: u32,
        keyframe_every: u64,
        rule: CaptionRule,
    },
    /// Sent by the caller while the video is drawn (`live.rs`).
    Live(Live),
}

/// The caller's live detections, shared with it; equal only to themselves.
#[derive(Debug, Clone)]
struct Live(std::sync::Arc<super::live::LiveTracks>);

impl PartialEq for Live {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Detections {
    fn default() -> Self {
        Self::from_frames(Vec::new())
    }
}

fn by_frame(frames: impl IntoIterator<Item = (u64, Vec<Person>)>) -> BTreeMap<u64, Vec<Person>> {
    let mut by_frame: BTreeMap<u64, Vec<Person>> = BTreeMap::new();
    for (frame, persons) in frames {
        by_frame.entry(frame).or_default().extend(persons);
    }
    by_frame
}

impl Detections {
    /// Version 1: each frame shows the captions it lists.
    pub fn from_frames(frames: Vec<FrameDetections>) -> Self {
        Self {
            source: Source::Recorded {
                boxes: by_frame(frames.into_iter().map(|f| (f.frame, f.persons))),
                held: None,
                results: BTreeMap::new(),
            },
            offset: 0,
        }
    }

    /// Boxes per frame, and captions per (keyframe, track) held until that
    /// track's next keyframe.
    pub fn from_keyframes(
        frames: Vec<FrameTracks>,
        captions: impl IntoIterator<Item = KeyframeCaption>,
    ) -> Self {
        let boxes = by_frame(frames.into_iter().map(|f| {
            let persons = f
                .persons
                .into_iter()
                .map(|b| Person {
                    track_id: b.track_id,
                    bbox: b.bbox,
                    actions: Vec::new(),
                })
                .collect();
            (f.frame, persons)
        }));
        let mut held = Held::new();
        let mut results: BTreeMap<u64, Results> = BTreeMap::new();
        for (frame, track, actions, bbox) in captions {
            let result = results.entry(frame).or_default();
            match result.iter_mut().find(|(t, _)| *t == track) {
                Some(entry) => entry.1 = bbox.or(entry.1),
                None => result.push((track, bbox)),
            }
            held.entry(track).or_default().insert(frame, actions);
        }
        Self {
            source: Source::Recorded {
                boxes,
                held: Some(held),
                results,
            },
            offset: 0,
        }
    }

    /// The embedded workload's tracks (`synthetic::persons_at`), computed per
    /// frame on demand, with a keyframe of action scores every `keyframe_every` frames.
    pub fn generated(
        frames: u64,
        width: u32,
        height: u32,
        persons: u32,
        keyframe_every: u64,
        rule: CaptionRule,
    ) -> Self {
        Self {
            source: Source::Generated {
                frames,
                width,
                height,
                persons,
                keyframe_every: keyframe_every.max(1),
                rule,
            },
            offset: 0,
        }
    }

    /// Detections the caller sends while the run draws (`LiveTracks`): the
    /// drawing of each frame waits for them.
    pub fn live(tracks: std::sync::Arc<super::live::LiveTracks>) -> Self {
        Self {
            source: Source::Live(Live(tracks)),
            offset: 0,
        }
    }

    /// The caller of live detections gave up: the run stops.
    pub fn abandoned(&self) -> bool {
        matches!(&self.source, Source::Live(Live(t)) if t.abandoned())
    }

    /// These detections seen from source frame `first` on: the run's frame
    /// 0 is `first` (captions of keyframes before it still held).
    pub fn starting_at(self, first: u64) -> Self {
        Self {
            offset: self.offset.saturating_add(first),
            ..self
        }
    }

    pub fn persons(&self, frame: u64) -> std::borrow::Cow<'_, [Person]> {
        use std::borrow::Cow;
        let Some(frame) = frame.checked_add(self.offset) else {
            return Cow::Borrowed(&[]);
        };
        match &self.source {
            Source::Recorded {
                boxes, held: None, ..
            } => Cow::Borrowed(boxes.get(&frame).map_or(&[][..], Vec::as_slice)),
            Source::Recorded {
                boxes,
                held: Some(held),
                results,
            } => {
                let tracker = boxes.get(&frame).map_or(&[][..], Vec::as_slice);
                let captioned = |track_id: u32, bbox: [f32; 4]| Person {
                    track_id,
                    bbox,
                    actions: held
                        .get(&track_id)
                        .and_then(|k| k.range(..=frame).next_back())
                        .map(|(_, a)| a.clone())
                        .unwrap_or_default(),
                };
                Cow::Owned(match results.get(&frame) {
                    // On a frame an action result lands on, its persons only,
                    // at the result's boxes (the demo draws `result.bbox`
                    // there, not the tracker's), else the tracker's of the frame.
                    Some(result) => result
                        .iter()
                        .filter_map(|&(track, own)| {
                            let tracked = || tracker.iter().find(|p| p.track_id == track);
                            Some(captioned(track, own.or_else(|| tracked().map(|p| p.bbox))?))
                        })
                        .collect(),
                    None => tracker
                        .iter()
                        .map(|p| captioned(p.track_id, p.bbox))
                        .collect(),
                })
            }
            Source::Generated {
                frames,
                width,
                height,
                persons,
                keyframe_every,
                rule,
            } if frame < *frames => Cow::Owned(super::synthetic::persons_at(
                frame,
                *width,
                *height,
                *persons,
                frame - frame % keyframe_every,
                rule,
            )),
            Source::Generated { .. } => Cow::Borrowed(&[]),
            // Counted from the run's first frame: the caller's first is its 0.
            Source::Live(Live(tracks)) => Cow::Owned(tracks.persons(frame - self.offset)),
        }
    }

    /// One past the last frame that has an entry.
    pub fn frame_count(&self) -> u64 {
        match &self.source {
            Source::Recorded { boxes, .. } => {
                boxes.keys().next_back().map_or(0, |f| f.saturating_add(1))
            }
            Source::Generated { frames, .. } => *frames,
            Source::Live(_) => 0,
        }
    }

    pub fn scaled(self, sx: f32, sy: f32) -> Self {
        match self.source {
            Source::Recorded {
                mut boxes,
                held,
                results,
            } => {
                for p in boxes.values_mut().flatten() {
                    let [x1, y1, x2, y2] = p.bbox;
                    p.bbox = [x1 * sx, y1 * sy, x2 * sx, y2 * sy];
                }
                Self {
                    source: Source::Recorded {
                        boxes,
                        held,
                        results,
                    },
                    offset: self.offset,
                }
            }
            // Generated per frame size; live ones come in the frame's pixels.
            other => Self {
                source: other,
                offset: self.offset,
            },
        }
    }

    pub fn max_persons(&self) -> usize {
        match &self.source {
            Source::Recorded { boxes, .. } => boxes.values().map(Vec::len).max().unwrap_or(0),
            Source::Generated { frames: 0, .. } => 0,
            Source::Generated { persons, .. } => *persons as usize,
            Source::Live(_) => 0,
        }
    }

    /// A version 2 document of these detections: boxes per frame, and the
    /// captions of every keyframe as labels with scores (version 1 sources:
    /// a keyframe wherever a frame lists a track).
    pub fn to_file(&self, width: u32, height: u32, fps: f64) -> DetectionsFile<FrameTracks> {
        let mut frames = Vec::new();
        let mut keyframes: BTreeMap<u64, Vec<KeyframeTrack>> = BTreeMap::new();
        let keyframe = |k: &mut BTreeMap<u64, Vec<KeyframeTrack>>, f, p: &Person| {
            k.entry(f).or_default().push(KeyframeTrack {
                track_id: p.track_id,
                bbox: None,
                scores: None,
                actions: Some(p.actions.clone()),
            })
        };
        for frame in 0..self.frame_count() {
            let persons = self.persons(frame);
            if persons.is_empty() {
                continue;
            }
            frames.push(FrameTracks {
                frame,
                persons: persons
                    .iter()
                    .map(|p| TrackBox {
                        track_id: p.track_id,
                        bbox: p.bbox,
                    })
                    .collect(),
            });
            for p in persons.iter() {
                let is_keyframe = match &self.source {
                    Source::Recorded { held: None, .. } => true,
                    Source::Recorded {
                        held: Some(held), ..
                    } => held
                        .get(&p.track_id)
                        .is_some_and(|k| k.contains_key(&frame)),
                    Source::Generated { keyframe_every, .. } => frame % keyframe_every == 0,
                    Source::Live(_) => false,
                };
                if is_keyframe {
                    keyframe(&mut keyframes, frame, p);
                }
            }
        }
        DetectionsFile {
            schema: SCHEMA.into(),
            version: DETECTIONS_SCHEMA_VERSION,
            width: Some(width),
            height: Some(height),
            fps: Some(fps),
            frames,
            keyframes: keyframes
                .into_iter()
                .map(|(frame, tracks)| Keyframe { frame, tracks })
                .collect(),
        }
    }
}

/// Why a detections file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DetectionsError {
    #[error(transparent)]
    Read(#[from] crate::input_file::InputError),
    #[error("--tracks gives the boxes of an AVA CSV's persons; {} is not an AVA CSV (video, seconds, x1, y1, x2, y2, action, person[, score]): give one, or pass the MOT file as --detections", .0.display())]
    TracksNeedAva(PathBuf),
    #[error("in {}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: ParseError },
}

/// What is wrong in a detections document, and where.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: {what}")]
    Line { line: usize, what: String },
    #[error(
        "not a detections document (see README: schema nvviz-bench.detections, version 2): {0}"
    )]
    NotDetections(serde_json::Error),
    #[error("schema is '{0}', expected '{SCHEMA}'")]
    Schema(String),
    #[error("detections schema version {0} is not supported (this build reads versions 1 and {DETECTIONS_SCHEMA_VERSION})")]
    Version(u32),
    #[error("keyframe at frame {frame}, track {track}: {what}")]
    Keyframe {
        frame: u64,
        track: u32,
        what: String,
    },
}

fn at_line(line: usize, what: impl Into<String>) -> ParseError {
    ParseError::Line {
        line,
        what: what.into(),
    }
}

/// A detections file read, with the frame size its boxes were recorded at.
pub struct Loaded {
    pub detections: Detections,
    pub size: Option<(u32, u32)>,
}

/// Reads a detections file: JSON (schema v1/v2), an AVA-format action CSV
/// (`fps`, the video's rate, places its timestamps on frames), or MOT boxes.
/// `tracks`, a MOT file, gives the boxes of an AVA CSV's persons on every
/// frame (track id = the CSV's person id), as the demo draws its tracker's
/// boxes between keyframes.
pub fn load(
    path: &Path,
    tracks: Option<&Path>,
    rule: &CaptionRule,
    fps: f64,
) -> Result<Loaded, DetectionsError> {
    let text = crate::input_file::read_text(path, "detections file", 1 << 30)?;
    let invalid = |at: &Path| {
        let path = at.to_path_buf();
        move |problem| DetectionsError::Invalid { path, problem }
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let ava = matches!(ext.as_str(), "csv" | "txt") && is_ava_csv(&text);
    if let Some(tracks) = tracks {
        if !ava {
            return Err(DetectionsError::TracksNeedAva(path.to_path_buf()));
        }
        let mot = crate::input_file::read_text(tracks, "tracks file", 1 << 30)?;
        let frames = mot_frames(&mot).map_err(invalid(tracks))?;
        let keyframes = ava_keyframes(&text, rule, fps).map_err(invalid(path))?;
        return Ok(Loaded {
            detections: Detections::from_keyframes(frames, keyframes.captions),
            size: None,
        });
    }
    match ext.as_str() {
        "csv" | "txt" if ava => parse_ava_csv(&text, rule, fps),
        "csv" | "txt" => parse_mot_csv(&text).map(|detections| Loaded {
            detections,
            size: None,
        }),
        _ => parse_json(&text, rule),
    }
    .map_err(invalid(path))
}

/// Reads either version; captions go through `rule` (threshold, exclusions,
/// vocabulary) in both.
pub fn parse_json(text: &str, rule: &CaptionRule) -> Result<Loaded, ParseError> {
    #[derive(Deserialize)]
    struct Head {
        schema: String,
        version: u32,
    }
    let what = ParseError::NotDetections;
    let head: Head = serde_json::from_str(text).map_err(what)?;
    if head.schema != SCHEMA {
        return Err(ParseError::Schema(head.schema));
    }
    let size = |w: Option<u32>, h: Option<u32>| w.zip(h);
    match head.version {
        1 => {
            let file: DetectionsFile<FrameDetections> = serde_json::from_str(text).map_err(what)?;
            let frames = file
                .frames
                .into_iter()
                .map(|mut f| {
                    for p in &mut f.persons {
                        p.actions = rule.from_labels(&p.actions);
                    }
                    f
                })
                .collect();
            Ok(Loaded {
                detections: Detections::from_frames(frames),
                size: size(file.width, file.height),
            })
        }
        2 => {
            let mut file: DetectionsFile<FrameTracks> = serde_json::from_str(text).map_err(what)?;
            let mut captions = Vec::new();
            // The demo applies one action result a frame, in time order: a
            // result due on a frame that already had one waits for the next.
            file.keyframes.sort_by_key(|k| k.frame);
            let mut next_free = 0u64;
            for k in &mut file.keyframes {
                k.frame = k.frame.max(next_free);
                next_free = k.frame.saturating_add(1);
            }
            for k in &file.keyframes {
                for t in &k.tracks {
                    let actions = match (&t.scores, &t.actions) {
                        (Some(scores), None) => {
                            rule.from_scores(scores).map_err(|e| ParseError::Keyframe {
                                frame: k.frame,
                                track: t.track_id,
                                what: e.to_string(),
                            })?
                        }
                        (None, Some(actions)) => rule.from_labels(actions),
                        _ => {
                            return Err(ParseError::Keyframe {
                                frame: k.frame,
                                track: t.track_id,
                                what: "give either \"scores\" or \"actions\"".into(),
                            })
                        }
                    };
                    captions.push((k.frame, t.track_id, actions, t.bbox));
                }
            }
            Ok(Loaded {
                detections: Detections::from_keyframes(file.frames, captions),
                size: size(file.width, file.height),
            })
        }
        v => Err(ParseError::Version(v)),
    }
}

/// A CSV's data rows, split into trimmed fields, with their line numbers
/// (from 1); blank lines and `#` comments skipped.
fn csv_rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(n, line)| {
        let line = line.trim();
        (!line.is_empty() && !line.starts_with('#'))
            .then(|| (n + 1, line.split(',').map(str::trim).collect()))
    })
}

/// Boxes of an AVA CSV are fractions of the frame: read in units of this size.
const AVA_UNITS: u32 = 10_000;
/// The recorded size that means "fractions of the frame".
pub const FRACTIONS: (u32, u32) = (AVA_UNITS, AVA_UNITS);

/// An AVA-format row: `video_id, seconds, x1, y1, x2, y2, action_id,
/// person_id[, score]` with a box in fractions of the frame — a video id and
/// a timestamp where MOT has two integers.
fn is_ava_csv(text: &str) -> bool {
    let Some((_, f)) = csv_rows(text).next() else {
        return false;
    };
    let fraction = |s: &str| s.parse::<f32>().is_ok_and(|v| (0.0..=1.0).contains(&v));
    f.len() >= 8
        && (f[0].parse::<u64>().is_err() || f[1].contains('.'))
        && f[2..6].iter().all(|s| fraction(s))
}

/// The action results AlphAction and other AVA models write: one row per
/// person, action and keyframe. Each keyframe's rows become that person's
/// captions (AVA action ids, 1-based, named from AVA's 80 and filtered by
/// `rule` as the demo filters its scores); its box is held until the
/// person's next keyframe, at most a second (AVA's keyframes are 1 s apart),
/// standing in for the tracker boxes the demo draws between them.
pub fn parse_ava_csv(text: &str, rule: &CaptionRule, fps: f64) -> Result<Loaded, ParseError> {
    let AvaKeyframes { boxes, captions } = ava_keyframes(text, rule, fps)?;
    let hold = (fps.round() as u64).max(1);
    let mut frames: BTreeMap<u64, Vec<TrackBox>> = BTreeMap::new();
    for (&(frame, person), bbox) in &boxes {
        let next = boxes
            .range((frame + 1, 0)..)
            .find(|((_, p), _)| *p == person)
            .map_or(u64::MAX, |((f, _), _)| *f);
        for f in frame..next.min(frame.saturating_add(hold)) {
            frames.entry(f).or_default().push(TrackBox {
                track_id: person,
                bbox: *bbox,
            });
        }
    }
    let frames = frames
        .into_iter()
        .map(|(frame, persons)| FrameTracks { frame, persons })
        .collect();
    Ok(Loaded {
        detections: Detections::from_keyframes(frames, captions),
        size: Some((AVA_UNITS, AVA_UNITS)),
    })
}

/// An AVA CSV's keyframes: each (frame, person)'s box (in `AVA_UNITS`) and
/// its captions, through `rule`.
struct AvaKeyframes {
    boxes: BTreeMap<(u64, u32), [f32; 4]>,
    captions: Vec<KeyframeCaption>,
}

fn ava_keyframes(text: &str, rule: &CaptionRule, fps: f64) -> Result<AvaKeyframes, ParseError> {
    type Key = (u64, u32);
    let mut boxes: BTreeMap<Key, [f32; 4]> = BTreeMap::new();
    let mut actions: BTreeMap<Key, Vec<Action>> = BTreeMap::new();
    for (n, f) in csv_rows(text) {
        if f.len() < 8 {
            return Err(at_line(n, format!("expected 8 or 9 AVA fields (video, seconds, x1, y1, x2, y2, action, person[, score]), got {}", f.len())));
        }
        let num = |i: usize| -> Result<f64, ParseError> {
            f[i].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| at_line(n, format!("field {} ('{}') is not a number", i + 1, f[i])))
        };
        let seconds = num(1)?;
        if seconds < 0.0 {
            return Err(at_line(
                n,
                format!("timestamp {seconds} is before the video starts"),
            ));
        }
        let frame = (seconds * fps).round() as u64;
        let person = num(7)?.max(0.0) as u32;
        let unit = f64::from(AVA_UNITS);
        let b = [num(2)?, num(3)?, num(4)?, num(5)?].map(|v| (v.clamp(0.0, 1.0) * unit) as f32);
        boxes.insert((frame, person), b);
        let action = num(6)? as usize;
        let Some(label) = action
            .checked_sub(1)
            .and_then(|i| super::actions::AVA.get(i))
        else {
            return Err(at_line(
                n,
                format!("action id {action} is not one of AVA's 1..80"),
            ));
        };
        let score = if f.len() > 8 { num(8)? as f32 } else { 1.0 };
        actions.entry((frame, person)).or_default().push(Action {
            label: label.to_string(),
            score,
            category: Category::default(),
        });
    }
    let captions = actions
        .into_iter()
        .map(|((frame, person), a)| (frame, person, rule.from_labels(&a), None))
        .collect();
    Ok(AvaKeyframes { boxes, captions })
}

/// MOTChallenge CSV: the tracker's boxes only (no actions, so no captions).
pub fn parse_mot_csv(text: &str) -> Result<Detections, ParseError> {
    Ok(Detections::from_keyframes(mot_frames(text)?, []))
}

/// A MOTChallenge CSV's boxes, frame by frame (MOT counts frames from 1).
fn mot_frames(text: &str) -> Result<Vec<FrameTracks>, ParseError> {
    let mut frames: Vec<FrameTracks> = Vec::new();
    for (n, fields) in csv_rows(text) {
        if fields.len() < 6 {
            return Err(at_line(
                n,
                format!(
                    "expected at least 6 comma-separated MOT fields, got {}",
                    fields.len()
                ),
            ));
        }
        let num = |i: usize| -> Result<f32, ParseError> {
            fields[i].parse::<f32>().map_err(|_| {
                at_line(
                    n,
                    format!("field {} ('{}') is not a number", i + 1, fields[i]),
                )
            })
        };
        // Frames are counted in f64: exact to 2^53, where f32 would round large indices.
        let frame: f64 = fields[0]
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite())
            .ok_or_else(|| at_line(n, format!("frame '{}' is not a number", fields[0])))?;
        if frame < 1.0 {
            return Err(at_line(
                n,
                format!("MOT frames start at 1, got {}", fields[0]),
            ));
        }
        let (left, top, w, h) = (num(2)?, num(3)?, num(4)?, num(5)?);
        if fields.len() > 6 {
            num(6)?; // the detector's confidence: checked, not drawn
        }
        frames.push(FrameTracks {
            frame: frame as u64 - 1,
            persons: vec![TrackBox {
                track_id: num(1)?.max(0.0) as u32,
                bbox: [left, top, left + w, top + h],
            }],
        });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::actions::CaptionRule;

    fn demo() -> CaptionRule {
        CaptionRule::default()
    }

    /// Frames 0 to 19 of a version-2 file: track 1 at x0 `x(frame)`, track 2 still.
    fn two_tracks(x: impl Fn(u64) -> u64) -> String {
        (0..20)
            .map(|f| {
                let x = x(f);
                format!(
                    r#"{{"frame": {f}, "persons": [{{"track_id": 1, "box": [{x}, 0, 10, 10]}}, {{"track_id": 2, "box": [20, 0, 30, 10]}}]}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The demo's keyframes: on a frame an action result lands on only that
    /// result's persons are drawn (the tracker's others come back the frame
    /// after), and two results due on one frame apply on consecutive frames.
    #[test]
    fn a_result_draws_its_own_persons_and_one_result_applies_a_frame() {
        let boxes = two_tracks(|_| 0);
        let text = format!(
            r#"{{"schema": "nvviz-bench.detections", "version": 2, "frames": [{boxes}],
              "keyframes": [
                {{"frame": 10, "tracks": [{{"track_id": 1, "actions": [{{"label": "stand", "score": 0.9}}]}}]}},
                {{"frame": 10, "tracks": [{{"track_id": 1, "actions": [{{"label": "walk", "score": 0.8}}]}}]}}
              ]}}"#
        );
        let d = parse_json(&text, &demo()).unwrap().detections;
        let tracks = |f: u64| d.persons(f).iter().map(|p| p.track_id).collect::<Vec<_>>();
        let label = |f: u64| d.persons(f)[0].actions.first().map(|a| a.label.clone());
        assert_eq!(tracks(9), [1, 2]);
        assert_eq!(tracks(10), [1], "the first result's persons only");
        assert_eq!(label(10).as_deref(), Some("stand"));
        assert_eq!(tracks(11), [1], "the second result, a frame late");
        assert_eq!(label(11).as_deref(), Some("walk"));
        assert_eq!(tracks(12), [1, 2]);
        assert_eq!(label(12).as_deref(), Some("walk"));
    }

    /// The demo draws `result.bbox` where a result lands: a keyframe's own
    /// box (the box the action model saw, a keyframe earlier than the frame
    /// it lands on) wins over the tracker's there, in the result's order, and
    /// a result's person the tracker lost on that frame is still drawn.
    #[test]
    fn a_result_lands_with_its_own_boxes() {
        let boxes = two_tracks(|f| f);
        let walk = r#"[{"label": "walk", "score": 0.8}]"#;
        let text = format!(
            r#"{{"schema": "nvviz-bench.detections", "version": 2, "frames": [{boxes}],
              "keyframes": [{{"frame": 10, "tracks": [
                {{"track_id": 2, "box": [21, 1, 31, 11], "actions": {walk}}},
                {{"track_id": 1, "actions": {walk}}},
                {{"track_id": 7, "box": [50, 50, 60, 60], "actions": {walk}}}]}}]}}"#
        );
        let d = parse_json(&text, &demo()).unwrap().detections;
        let drawn = |f: u64| {
            d.persons(f)
                .iter()
                .map(|p| (p.track_id, p.bbox))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            drawn(10),
            [
                (2, [21.0, 1.0, 31.0, 11.0]),
                (1, [10.0, 0.0, 10.0, 10.0]),
                (7, [50.0, 50.0, 60.0, 60.0])
            ],
            "the result's own boxes, the tracker's where it has none, in its order"
        );
        assert_eq!(
            drawn(11),
            [(1, [11.0, 0.0, 10.0, 10.0]), (2, [20.0, 0.0, 30.0, 10.0])],
            "the tracker's boxes the frame after"
        );
        assert!(d.persons(11).iter().all(|p| p.actions[0].label == "walk"));
    }

    #[test]
    fn ava_csv_rows_become_keyframe_captions_and_held_boxes() {
        let text = "vid,1.0,0.25,0.25,0.5,0.75,12,1,0.9\n\
                    vid,1.0,0.25,0.25,0.5,0.75,80,1,0.2\n\
                    vid,1.0,0.6,0.1,0.9,0.5,14,2,0.8\n\
                    vid,1.5,0.3,0.25,0.55,0.75,12,1,0.95\n";
        assert!(is_ava_csv(text));
        assert!(!is_ava_csv("1,1,100,100,50,80,0.9,-1,-1,-1\n"));
        let loaded = parse_ava_csv(text, &demo(), 10.0).unwrap();
        assert_eq!(loaded.size, Some((AVA_UNITS, AVA_UNITS)));
        let d = loaded.detections;
        // Nothing before the first keyframe (frame 10 at 10 fps).
        assert!(d.persons(9).is_empty());
        let at10 = d.persons(10);
        assert_eq!(at10.len(), 2);
        let p1 = at10.iter().find(|p| p.track_id == 1).unwrap();
        assert_eq!(p1.bbox, [2500.0, 2500.0, 5000.0, 7500.0]);
        // The demo's threshold (0.5) drops the 0.2 score.
        assert_eq!(captions(&d, 10, 1), vec!["stand 0.90"]);
        assert_eq!(captions(&d, 10, 2), vec!["walk 0.80"]);
        // Person 1's box is held until its next keyframe (frame 15), which moves it;
        // person 2's for a second, then gone.
        assert_eq!(
            d.persons(14).iter().find(|p| p.track_id == 1).unwrap().bbox[0],
            2500.0
        );
        assert_eq!(
            d.persons(15).iter().find(|p| p.track_id == 1).unwrap().bbox[0],
            3000.0
        );
        assert!(d.persons(19).iter().any(|p| p.track_id == 2));
        assert!(!d.persons(20).iter().any(|p| p.track_id == 2));
        for bad in [
            "vid,1.0,0.1,0.1,0.2,0.2,81,1,0.9",
            "vid,-1,0.1,0.1,0.2,0.2,1,1",
            "vid,1.0,0.1,0.1",
        ] {
            assert!(parse_ava_csv(bad, &demo(), 10.0).is_err(), "{bad}");
        }
    }

    fn captions(d: &Detections, frame: u64, track: u32) -> Vec<String> {
        d.persons(frame)
            .iter()
            .find(|p| p.track_id == track)
            .map(|p| {
                p.actions
                    .iter()
                    .map(|a| format!("{} {:.2}", a.label, a.score))
                    .collect()
            })
            .unwrap_or_default()
    }

    const ALPHACTION: &str = include_str!("../../tests/fixtures/detections/alphaction-v2.json");

    #[test]
    fn keyframe_captions_hold_until_the_tracks_next_keyframe() {
        let d = parse_json(ALPHACTION, &demo()).unwrap().detections;
        // Keyframe 0: walk shown, crawl excluded, stand below the threshold.
        // Keyframe 30 is track 2's result alone: there the demo draws its
        // persons only, track 1 is back the frame after.
        for f in (0..60).filter(|f| *f != 30) {
            assert_eq!(captions(&d, f, 1), ["walk 0.90"], "frame {f}");
        }
        assert!(d.persons(30).iter().all(|p| p.track_id == 2));
        assert_eq!(captions(&d, 29, 2), ["sit 0.80", "answer phone 0.60"]);
        // Keyframe 30 for track 2 only; its excluded class stays out.
        assert_eq!(captions(&d, 30, 2), ["talk 0.70"]);
        assert_eq!(captions(&d, 89, 2), ["talk 0.70"]);
        // Track 3 appears at 40 with no keyframe yet: a box, no caption.
        assert!(captions(&d, 40, 3).is_empty());
        assert_eq!(d.persons(40).len(), 3);
        // Keyframe 60: track 1 has nothing above 0.5 any more; track 3's labels filtered.
        assert!(captions(&d, 60, 1).is_empty());
        assert_eq!(captions(&d, 75, 3), ["ride 0.80"]);
        // Boxes move every frame all the same.
        assert_ne!(d.persons(1)[0].bbox, d.persons(0)[0].bbox);
        assert_eq!(d.frame_count(), 90);
    }

    #[test]
    fn threshold_and_exclusions_are_the_callers() {
        let everything = CaptionRule::new(false, 0.4, Some(Vec::new())).unwrap();
        let d = parse_json(ALPHACTION, &everything).unwrap().detections;
        assert_eq!(
            captions(&d, 0, 1),
            ["crawl 0.95", "stand 0.45", "walk 0.90"]
        );
        assert_eq!(captions(&d, 60, 3), ["ride 0.80", "dig 0.90"]);
    }

    #[test]
    fn common_categories_switch_labels_and_colours() {
        let text = include_str!("../../tests/fixtures/detections/alphaction-common-v2.json");
        let err = parse_json(text, &demo()).err().unwrap();
        assert!(
            format!("{err:#}").contains("--common-categories"),
            "{err:#}"
        );
        let rule = CaptionRule::new(true, 0.5, None).unwrap();
        let d = parse_json(text, &rule).unwrap().detections;
        let p = &d.persons(10)[0];
        let shown: Vec<(&str, Category)> = p
            .actions
            .iter()
            .map(|a| (a.label.as_str(), a.category))
            .collect();
        assert_eq!(
            shown,
            [
                ("walk", Category::Pose),
                ("ride", Category::ObjectInteraction),
                ("talk", Category::PersonInteraction)
            ]
        );
    }

    #[test]
    fn version_1_still_reads_with_the_rule_applied() {
        let doc = r#"{"schema":"nvviz-bench.detections","version":1,"width":64,"height":48,"frames":[
            {"frame":2,"persons":[{"track_id":7,"box":[1,2,30,40],"actions":[
                {"label":"stand","score":0.9},{"label":"crawl","score":0.9},{"label":"walk","score":0.2}]}]}]}"#;
        let loaded = parse_json(doc, &demo()).unwrap();
        assert_eq!(loaded.size, Some((64, 48)));
        let d = loaded.detections;
        assert!(d.persons(0).is_empty());
        assert_eq!(captions(&d, 2, 7), ["stand 0.90"]);
        // Version 1 draws what each frame lists: nothing is held.
        assert_eq!(d.frame_count(), 3);
    }

    #[test]
    fn written_documents_read_back_the_same() {
        let d = parse_json(ALPHACTION, &demo()).unwrap().detections;
        let text = serde_json::to_string(&d.to_file(320, 240, 30.0)).unwrap();
        let back = parse_json(&text, &demo()).unwrap().detections;
        for f in 0..90 {
            assert_eq!(back.persons(f), d.persons(f), "frame {f}");
        }
    }

    #[test]
    fn a_keyframe_gives_scores_or_actions() {
        let doc = r#"{"schema":"nvviz-bench.detections","version":2,"frames":[],
            "keyframes":[{"frame":3,"tracks":[{"track_id":1}]}]}"#;
        let err = parse_json(doc, &demo()).err().unwrap();
        assert!(err.to_string().contains("frame 3, track 1"), "{err}");
        // A v2 frame carries boxes only: captions in it are refused, not ignored.
        let doc = r#"{"schema":"nvviz-bench.detections","version":2,"frames":[
            {"frame":0,"persons":[{"track_id":1,"box":[0,0,1,1],"actions":[]}]}]}"#;
        assert!(parse_json(doc, &demo()).is_err());
    }

    #[test]
    fn a_frame_far_in_the_future_costs_one_entry() {
        let d = parse_mot_csv("1000000000000,1,0,0,10,10,1\n").unwrap();
        assert_eq!(d.frame_count(), 1_000_000_000_000);
        assert_eq!(d.persons(999_999_999_999).len(), 1);
    }

    #[test]
    fn wrong_schema_version_is_refused() {
        let err = parse_json(
            r#"{"schema":"nvviz-bench.detections","version":9,"frames":[]}"#,
            &demo(),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string().contains("version 9 is not supported"),
            "{err}"
        );
    }

    #[test]
    fn malformed_json_names_the_schema() {
        let err = parse_json("{", &demo()).err().unwrap();
        assert!(err.to_string().contains("nvviz-bench.detections"));
    }

    #[test]
    fn mot_csv_is_one_based_boxes_only() {
        let d =
            parse_mot_csv("1,3,10,20,30,40,0.8,-1,-1,-1\n2,3,11,21,30,40,0.7,-1,-1,-1\n").unwrap();
        assert_eq!(d.persons(0)[0].bbox, [10.0, 20.0, 40.0, 60.0]);
        assert!(d.persons(1)[0].actions.is_empty());
        assert_eq!(d.frame_count(), 2);
    }

    #[test]
    fn mot_csv_errors_name_the_line() {
        let err = parse_mot_csv("1,3,10,20,30,40\n2,x,1,1,1,1\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(parse_mot_csv("0,1,1,1,1,1").is_err());
    }
}

//! Per-frame detections: what the overlay draws. Read from nvviz-bench's JSON
//! schema or MOTChallenge CSV, or generated for the embedded workload.

use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// Version of the detections JSON schema this build reads and writes.
pub const DETECTIONS_SCHEMA_VERSION: u32 = 1;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub track_id: u32,
    /// [x1, y1, x2, y2] in pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    #[serde(default)]
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameDetections {
    pub frame: u64,
    #[serde(default)]
    pub persons: Vec<Person>,
}

/// The JSON document (`nvviz-bench.detections`, version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionsFile {
    pub schema: String,
    pub version: u32,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub fps: Option<f64>,
    pub frames: Vec<FrameDetections>,
}

/// Detections by frame number; frames without an entry have no persons. Sparse, so a
/// file naming frame 10^12 costs one entry, not a terabyte. The embedded workload's
/// tracks are computed for each frame when it is asked for: memory does not grow
/// with the number of frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Detections {
    source: Source,
}

#[derive(Debug, Clone, PartialEq)]
enum Source {
    Recorded(std::collections::BTreeMap<u64, Vec<Person>>),
    /// The embedded workload: `frames` frames of `persons` people moving over
    /// a `width`x`height` frame, each frame a pure function of its number.
    Generated {
        frames: u64,
        width: u32,
        height: u32,
        persons: u32,
    },
}

impl Default for Detections {
    fn default() -> Self {
        Self {
            source: Source::Recorded(Default::default()),
        }
    }
}

impl Detections {
    pub fn from_frames(frames: Vec<FrameDetections>) -> Self {
        let mut by_frame: std::collections::BTreeMap<u64, Vec<Person>> =
            std::collections::BTreeMap::new();
        for f in frames {
            by_frame.entry(f.frame).or_default().extend(f.persons);
        }
        Self {
            source: Source::Recorded(by_frame),
        }
    }

    /// The embedded workload's tracks (`synthetic::tracks`), computed per frame on demand.
    pub fn generated(frames: u64, width: u32, height: u32, persons: u32) -> Self {
        Self {
            source: Source::Generated {
                frames,
                width,
                height,
                persons,
            },
        }
    }

    pub fn persons(&self, frame: u64) -> std::borrow::Cow<'_, [Person]> {
        use std::borrow::Cow;
        match &self.source {
            Source::Recorded(by_frame) => {
                Cow::Borrowed(by_frame.get(&frame).map_or(&[][..], Vec::as_slice))
            }
            Source::Generated {
                frames,
                width,
                height,
                persons,
            } if frame < *frames => Cow::Owned(super::synthetic::persons_at(
                frame, *width, *height, *persons,
            )),
            Source::Generated { .. } => Cow::Borrowed(&[]),
        }
    }

    /// One past the last frame that has an entry.
    pub fn frame_count(&self) -> u64 {
        match &self.source {
            Source::Recorded(by_frame) => by_frame
                .keys()
                .next_back()
                .map_or(0, |f| f.saturating_add(1)),
            Source::Generated { frames, .. } => *frames,
        }
    }

    /// Boxes scaled by (`sx`, `sy`): detections recorded at another frame size
    /// drawn on this one. Computed tracks are already at the frame's size.
    pub fn scaled(self, sx: f32, sy: f32) -> Self {
        match self.source {
            Source::Recorded(mut by_frame) => {
                for p in by_frame.values_mut().flatten() {
                    let [x1, y1, x2, y2] = p.bbox;
                    p.bbox = [x1 * sx, y1 * sy, x2 * sx, y2 * sy];
                }
                Self {
                    source: Source::Recorded(by_frame),
                }
            }
            generated => Self { source: generated },
        }
    }

    pub fn max_persons(&self) -> usize {
        match &self.source {
            Source::Recorded(by_frame) => by_frame.values().map(Vec::len).max().unwrap_or(0),
            Source::Generated { frames: 0, .. } => 0,
            Source::Generated { persons, .. } => *persons as usize,
        }
    }

    /// As the JSON document, e.g. to export the embedded workload's tracks.
    pub fn to_file(&self, width: u32, height: u32, fps: f64) -> DetectionsFile {
        DetectionsFile {
            schema: "nvviz-bench.detections".into(),
            version: DETECTIONS_SCHEMA_VERSION,
            width: Some(width),
            height: Some(height),
            fps: Some(fps),
            frames: (0..self.frame_count())
                .filter_map(|frame| {
                    let persons = self.persons(frame);
                    (!persons.is_empty()).then(|| FrameDetections {
                        frame,
                        persons: persons.into_owned(),
                    })
                })
                .collect(),
        }
    }
}

/// Reads `.json` (our schema) or `.csv`/`.txt` (MOTChallenge) by extension.
pub fn load(path: &Path) -> anyhow::Result<(Detections, Option<DetectionsFile>)> {
    // 1 GiB of JSON is tens of millions of boxes: more is not a detections file.
    let text = crate::input_file::read_text(path, "detections file", 1 << 30)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" => Ok((
            parse_mot_csv(&text).with_context(|| format!("in {}", path.display()))?,
            None,
        )),
        _ => {
            let file = parse_json(&text).with_context(|| format!("in {}", path.display()))?;
            Ok((Detections::from_frames(file.frames.clone()), Some(file)))
        }
    }
}

pub fn parse_json(text: &str) -> anyhow::Result<DetectionsFile> {
    let file: DetectionsFile = serde_json::from_str(text).context(
        "not a detections document (see README: schema nvviz-bench.detections, version 1)",
    )?;
    if file.schema != "nvviz-bench.detections" {
        bail!(
            "schema is '{}', expected 'nvviz-bench.detections'",
            file.schema
        );
    }
    if file.version != DETECTIONS_SCHEMA_VERSION {
        bail!(
            "detections schema version {} is not supported (this build reads version {DETECTIONS_SCHEMA_VERSION})",
            file.version
        );
    }
    Ok(file)
}

/// MOTChallenge rows: `frame,id,left,top,width,height,conf,x,y,z` with 1-based
/// frames. MOT carries no action labels, so each box gets "person" with its confidence.
pub fn parse_mot_csv(text: &str) -> anyhow::Result<Detections> {
    let mut frames: Vec<FrameDetections> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() < 6 {
            bail!(
                "line {}: expected at least 6 comma-separated MOT fields, got {}",
                n + 1,
                fields.len()
            );
        }
        let num = |i: usize| -> anyhow::Result<f32> {
            fields[i].parse::<f32>().with_context(|| {
                format!(
                    "line {}: field {} ('{}') is not a number",
                    n + 1,
                    i + 1,
                    fields[i]
                )
            })
        };
        // Frames are counted in f64: exact to 2^53, where f32 would round large indices.
        let frame: f64 = fields[0]
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite())
            .with_context(|| format!("line {}: frame '{}' is not a number", n + 1, fields[0]))?;
        if frame < 1.0 {
            bail!("line {}: MOT frames start at 1, got {}", n + 1, fields[0]);
        }
        let (left, top, w, h) = (num(2)?, num(3)?, num(4)?, num(5)?);
        let conf = if fields.len() > 6 { num(6)? } else { 1.0 };
        let person = Person {
            track_id: num(1)?.max(0.0) as u32,
            bbox: [left, top, left + w, top + h],
            actions: vec![Action {
                label: "person".into(),
                score: conf,
                category: Category::Pose,
            }],
        };
        frames.push(FrameDetections {
            frame: frame as u64 - 1,
            persons: vec![person],
        });
    }
    Ok(Detections::from_frames(frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let d = Detections::from_frames(vec![FrameDetections {
            frame: 2,
            persons: vec![Person {
                track_id: 7,
                bbox: [1.0, 2.0, 30.0, 40.0],
                actions: vec![Action {
                    label: "stand".into(),
                    score: 0.9,
                    category: Category::Pose,
                }],
            }],
        }]);
        let text = serde_json::to_string(&d.to_file(64, 48, 30.0)).unwrap();
        let back = parse_json(&text).unwrap();
        assert_eq!(Detections::from_frames(back.frames), d);
        assert!(d.persons(0).is_empty());
        assert_eq!(d.persons(2)[0].track_id, 7);
        assert_eq!(d.frame_count(), 3);
    }

    #[test]
    fn a_frame_far_in_the_future_costs_one_entry() {
        let d = parse_mot_csv("1000000000000,1,0,0,10,10,1\n").unwrap();
        assert_eq!(d.frame_count(), 1_000_000_000_000);
        assert_eq!(d.persons(999_999_999_999).len(), 1);
    }

    #[test]
    fn wrong_schema_version_is_refused() {
        let err = parse_json(r#"{"schema":"nvviz-bench.detections","version":9,"frames":[]}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("version 9 is not supported"),
            "{err}"
        );
    }

    #[test]
    fn malformed_json_names_the_schema() {
        let err = parse_json("{").unwrap_err();
        assert!(err.to_string().contains("nvviz-bench.detections"));
    }

    #[test]
    fn mot_csv_is_one_based_and_converted_to_corners() {
        let d =
            parse_mot_csv("1,3,10,20,30,40,0.8,-1,-1,-1\n2,3,11,21,30,40,0.7,-1,-1,-1\n").unwrap();
        assert_eq!(d.persons(0)[0].bbox, [10.0, 20.0, 40.0, 60.0]);
        assert_eq!(d.persons(1)[0].actions[0].score, 0.7);
        assert_eq!(d.frame_count(), 2);
    }

    #[test]
    fn mot_csv_errors_name_the_line() {
        let err = parse_mot_csv("1,3,10,20,30,40\n2,x,1,1,1,1\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(parse_mot_csv("0,1,1,1,1,1").is_err());
    }
}

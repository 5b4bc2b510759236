//! The embedded default workload: a deterministic clip whose content makes
//! encoders work like real footage (moving texture, noise, hard edges), and
//! 10 persons moving smoothly, with the action model's scores at a keyframe
//! every second (the demo's rhythm) turned into 1–3 captions each and held
//! between keyframes, as AlphAction's demo draws them.

use super::actions::CaptionRule;
use super::detections::{Detections, Person};
use crate::frame::Frame;

/// Cheap deterministic hash noise (no RNG state, same bytes on every machine).
fn hash(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Renders frame `index` of a `width`x`height` clip into `frame`.
pub fn render_frame(frame: &mut Frame, index: u64) {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let t = index as f32;
    // Separable smooth gradients, precomputed per row/column: real-looking shading without per-pixel trig.
    let cols: Vec<[f32; 3]> = (0..w)
        .map(|x| {
            let x = x as f32;
            [
                60.0 * ((x + 3.0 * t) / 97.0).sin(),
                50.0 * ((x - 2.0 * t) / 151.0).cos(),
                40.0 * ((x + t) / 61.0).sin(),
            ]
        })
        .collect();
    let rows: Vec<[f32; 3]> = (0..h)
        .map(|y| {
            let y = y as f32;
            [
                40.0 * ((y - 2.0 * t) / 83.0).cos(),
                50.0 * ((y + t) / 113.0).sin(),
                60.0 * ((y + 3.0 * t) / 71.0).cos(),
            ]
        })
        .collect();
    let shift = (index * 4) as usize;
    let seed = (index as u32).wrapping_mul(0x9e37_79b9);
    for (y, row) in frame.data.chunks_exact_mut(w * 3).enumerate() {
        let r = rows[y];
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let c = cols[x];
            let noise = (hash(seed ^ (y as u32 * 65_537 + x as u32)) & 7) as f32 - 3.5;
            // A moving checkerboard band: hard edges that motion estimation must follow.
            let band = (y * 3 / h == 1) && ((x + shift) / 48 + y / 48) % 2 == 0;
            let edge = if band { 70.0 } else { 0.0 };
            px[0] = (128.0 + c[0] + r[0] + noise + edge).clamp(0.0, 255.0) as u8;
            px[1] = (128.0 + c[1] + r[1] + noise - edge).clamp(0.0, 255.0) as u8;
            px[2] = (128.0 + c[2] + r[2] + noise + edge * 0.5).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Smooth tracks for `persons` people over `frames` frames, computed frame by
/// frame when asked for (nothing is stored per frame), with the demo's
/// captions (`CaptionRule::default()`) from a keyframe every second at `fps`.
pub fn tracks(width: u32, height: u32, frames: u64, persons: u32) -> Detections {
    tracks_with(width, height, frames, persons, 30.0, CaptionRule::default())
}

/// `tracks` at `fps`, with `rule` choosing the captions.
pub fn tracks_with(
    width: u32,
    height: u32,
    frames: u64,
    persons: u32,
    fps: f64,
    rule: CaptionRule,
) -> Detections {
    let keyframe_every = fps.round().clamp(1.0, 1000.0) as u64;
    Detections::generated(frames, width, height, persons, keyframe_every, rule)
}

/// The action model's scores for person `p` at keyframe `k` over `names`
/// (the vocabulary, in its order): low everywhere; one pose well above the
/// demo's 0.5 threshold (AVA's poses are exclusive and a person nearly always
/// has one: stand, walk, sit or run/jog here); zero to two more categories
/// above it, any of them (an excluded class among them at times, as real
/// output has); and one just below it.
pub fn scores_at(p: u32, k: u64, names: &[&str]) -> Vec<f32> {
    let n = names.len();
    let seed = hash(p.wrapping_mul(0x9e37_79b9) ^ hash(k as u32 ^ 0x5bd1_e995));
    let mut scores: Vec<f32> = (0..n as u32)
        .map(|i| (hash(seed ^ i.wrapping_mul(0x2545_f491)) % 300) as f32 / 1000.0)
        .collect();
    let high = |j: u32| 0.55 + (hash(seed ^ (j + 7).wrapping_mul(31)) % 400) as f32 / 1000.0;
    let poses = ["stand", "walk", "sit", "run/jog"];
    let pose = poses[hash(seed ^ 0x7070) as usize % poses.len()];
    if let Some(i) = names.iter().position(|n| *n == pose) {
        scores[i] = high(0);
    }
    for j in 1..=hash(seed ^ 0xa5a5) % 3 {
        let i = hash(seed ^ j.wrapping_mul(977)) as usize % n;
        scores[i] = high(j);
    }
    let near = hash(seed ^ 0x5151) as usize % n;
    if scores[near] < 0.5 {
        scores[near] = 0.45;
    }
    scores
}

/// The persons of frame `f` with the captions of keyframe `keyframe` (the
/// latest at or before `f`): a pure function of its arguments.
pub fn persons_at(
    f: u64,
    width: u32,
    height: u32,
    persons: u32,
    keyframe: u64,
    rule: &CaptionRule,
) -> Vec<Person> {
    let (w, h) = (width as f32, height as f32);
    let box_w = (w / 12.0).max(8.0);
    let box_h = (h / 3.0).max(16.0);
    let t = f as f32 / 30.0;
    (0..persons)
        .map(|p| {
            let pf = p as f32;
            // Lissajous paths with per-person phase: smooth, overlapping at times, inside the frame.
            let cx = w * (0.5 + 0.4 * (0.3 * t * (1.0 + pf * 0.07) + pf * 1.3).sin());
            let cy = h * (0.55 + 0.25 * (0.2 * t * (1.0 + pf * 0.05) + pf * 2.1).cos());
            let scale = 0.8 + 0.2 * ((pf * 0.9) + 0.1 * t).sin();
            let (bw, bh) = (box_w * scale, box_h * scale);
            let actions = rule
                .from_scores(&scores_at(p + 1, keyframe, rule.vocabulary.names))
                .expect("scores are made for the rule's vocabulary");
            Person {
                track_id: p + 1,
                bbox: [
                    (cx - bw / 2.0).max(0.0),
                    (cy - bh / 2.0).max(0.0),
                    (cx + bw / 2.0).min(w - 1.0),
                    (cy + bh / 2.0).min(h - 1.0),
                ],
                actions,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_deterministic_and_move() {
        let (mut a, mut b, mut c) = (
            Frame::new(320, 240),
            Frame::new(320, 240),
            Frame::new(320, 240),
        );
        render_frame(&mut a, 5);
        render_frame(&mut b, 5);
        render_frame(&mut c, 6);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Not flat: many distinct values.
        let distinct: std::collections::HashSet<u8> = a.data.iter().copied().collect();
        assert!(distinct.len() > 100);
    }

    #[test]
    fn ten_persons_inside_the_frame_moving_smoothly() {
        let d = tracks(1920, 1080, 60, 10);
        for f in 0..60 {
            let persons = d.persons(f);
            assert_eq!(persons.len(), 10);
            for p in persons.iter() {
                let [x1, y1, x2, y2] = p.bbox;
                assert!(x1 >= 0.0 && y1 >= 0.0 && x2 < 1920.0 && y2 < 1080.0 && x1 < x2 && y1 < y2);
                assert!(p.actions.len() <= 3);
            }
        }
        let step = (d.persons(1)[0].bbox[0] - d.persons(0)[0].bbox[0]).abs();
        assert!(step < 20.0, "moves smoothly ({step} px/frame)");
        // Most persons show a caption on most keyframes.
        let shown = (0..60)
            .step_by(30)
            .flat_map(|f| d.persons(f).into_owned())
            .filter(|p| !p.actions.is_empty())
            .count();
        assert!(shown >= 14, "{shown} of 20 persons captioned");
    }

    #[test]
    fn captions_change_at_keyframes_and_hold_between() {
        let d = tracks(1920, 1080, 95, 10);
        let captions = |f: u64| -> Vec<Vec<String>> {
            d.persons(f)
                .iter()
                .map(|p| {
                    p.actions
                        .iter()
                        .map(|a| format!("{} {:.2}", a.label, a.score))
                        .collect()
                })
                .collect()
        };
        for f in 1..30 {
            assert_eq!(captions(f), captions(0), "frame {f} holds keyframe 0");
        }
        assert_ne!(captions(30), captions(29), "keyframe 30 brings new scores");
        assert_eq!(captions(59), captions(30));
        // Boxes move every frame all the same.
        assert_ne!(d.persons(1)[0].bbox, d.persons(0)[0].bbox);
        // Every caption passed the demo's rule: at or above 0.5, none excluded.
        for f in 0..95 {
            for p in d.persons(f).iter() {
                for a in &p.actions {
                    assert!(a.score >= 0.5, "{a:?}");
                    assert!(!crate::workload::actions::EXCLUSION.contains(&a.label.as_str()));
                }
            }
        }
    }
}

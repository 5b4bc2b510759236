//! Where each annotation goes and in which colour: computed once per frame and
//! shared by every overlay style, so all styles draw the same content.

use super::text::Font;
use crate::workload::detections::{Category, Person};

pub type Rgb = [u8; 3];

/// AlphAction's box colour (`visualizer.py`'s `box_color`, RGB).
pub const BOX_COLOR: Rgb = [191, 40, 41];
/// Caption panel colours per action category: `visualizer.py`'s
/// `category_colors` (pose, object interaction, person interaction), RGB.
pub const POSE_COLOR: Rgb = [176, 85, 234];
pub const OBJECT_COLOR: Rgb = [87, 118, 198];
pub const PERSON_COLOR: Rgb = [52, 189, 199];
pub const TIMESTAMP_COLOR: Rgb = [0, 0, 0];
pub const TEXT_COLOR: Rgb = [255, 255, 255];
/// Panels and text are drawn at this alpha (60 %), the box opaque.
pub const OVERLAY_ALPHA: u8 = 153;

pub fn category_color(c: Category) -> Rgb {
    match c {
        Category::Pose => POSE_COLOR,
        Category::ObjectInteraction => OBJECT_COLOR,
        Category::PersonInteraction => PERSON_COLOR,
    }
}

/// Box outline width: max(round(min(W,H)/180), 1), as the Pillow visualizer.
pub fn box_width(width: u32, height: u32) -> u32 {
    ((width.min(height) as f32 / 180.0).round() as u32).max(1)
}

/// Caption font size: max(round(min(W,H)/40), 1).
pub fn font_size(width: u32, height: u32) -> u32 {
    ((width.min(height) as f32 / 40.0).round() as u32).max(1)
}

/// How the OpenCV style sizes its Hershey text for a font of this size, as the
/// demo's `fast_visualizer.py` does: scale, thickness `max(int(scale * 2), 1)`,
/// and the ascent above the baseline in pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HersheyText {
    pub scale: f64,
    pub thickness: i32,
    pub ascent: i32,
}

impl HersheyText {
    pub fn for_font(font: &super::text::Font) -> Self {
        let scale = f64::from(font.size()) / 30.0;
        Self {
            scale,
            thickness: ((scale * 2.0) as i32).max(1),
            ascent: font.ascent().round() as i32,
        }
    }
}

/// Box coordinates are clamped to ±this many pixels before drawing.
const COORD_LIMIT: f32 = 1_048_576.0;

/// Integer rectangle, `x0..x1` × `y0..y1` (exclusive ends); may extend past the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    /// Clipped to a `width`x`height` frame; `None` if nothing is left.
    pub fn clip(&self, width: u32, height: u32) -> Option<Rect> {
        let r = Rect {
            x0: self.x0.max(0),
            y0: self.y0.max(0),
            x1: self.x1.min(width as i32),
            y1: self.y1.min(height as i32),
        };
        (r.x0 < r.x1 && r.y0 < r.y1).then_some(r)
    }

    pub fn width(&self) -> i32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> i32 {
        self.y1 - self.y0
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Caption {
    pub panel: Rect,
    pub color: Rgb,
    pub text: String,
    /// Top-left of the text line (the font's ascent below it is the baseline).
    pub text_x: i32,
    pub text_y: i32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonLayout {
    pub outline: Rect,
    pub captions: Vec<Caption>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrameLayout {
    pub width: u32,
    pub height: u32,
    pub box_width: u32,
    pub persons: Vec<PersonLayout>,
    /// The clock panel (`show_time`), bottom left.
    pub timestamp: Option<Caption>,
}

impl FrameLayout {
    /// Every caption of the frame: the persons' then the timestamp.
    pub fn captions(&self) -> impl Iterator<Item = &Caption> {
        self.persons
            .iter()
            .flat_map(|p| p.captions.iter())
            .chain(self.timestamp.iter())
    }
}

/// Where frame `index` is at `fps`, in whole milliseconds (as OpenCV's
/// `CAP_PROP_POS_MSEC`, which the demo's clock reads, truncated by its `int`).
pub fn millis(index: u64, fps: f64) -> u64 {
    (index as f64 * 1000.0 / fps.max(1e-3)) as u64
}

/// The demo's clock, `HH:MM:SS.mmm` (`hou_min_sec`).
pub fn timestamp(millis: u64) -> String {
    let (s, ms) = (millis / 1000, millis % 1000);
    format!("{:02}:{:02}:{:02}.{ms:03}", s / 3600, s / 60 % 60, s % 60)
}

/// How a style stacks a person's captions and sizes its panels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stacking {
    /// nvviz-bench's: panels a text line high, edge to edge upwards from the
    /// box's top (the first caption nearest the box), downwards inside the
    /// box where the frame's top would cut them.
    #[default]
    Native,
    /// The demo's Pillow visualizer (`visual_result`, `visual_timestampe`):
    /// with `h` the tallest caption's ink height, panels `round(1.8 h)` high
    /// and `round(0.2 h)` apart, the first caption at the top, the stack
    /// ending at the box's top but starting no higher than `round(0.2 h)`;
    /// each panel its text's ink width plus `max(size // 2, 1)` a side.
    Demo,
}

/// Python's `round`: halves to even.
fn py_round(x: f64) -> i32 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        (r - x.signum()) as i32
    } else {
        r as i32
    }
}

/// The demo's caption panels for one person (see `Stacking::Demo`).
fn demo_captions(font: &Font, x1: f32, y1: f32, texts: Vec<(String, Rgb)>) -> Vec<Caption> {
    if texts.is_empty() {
        return Vec::new();
    }
    let ink: Vec<(i32, i32)> = texts
        .iter()
        .map(|(t, _)| {
            let (l, top, r, bottom) = font.ink_box(t);
            (r - l, bottom - top)
        })
        .collect();
    let max_h = ink.iter().map(|(_, h)| *h).max().unwrap_or(0);
    let rec = py_round(1.8 * f64::from(max_h));
    let space = py_round(0.2 * f64::from(max_h));
    let n = texts.len() as i32;
    let total = (rec + space) * (n - 1) + rec;
    let pad = (font.size() as i32 / 2).max(1);
    // Far beyond any frame is as good as its edge (as the native stack's boxes).
    let near = |v: f32| py_round(f64::from(v.clamp(-COORD_LIMIT, COORD_LIMIT)));
    let start_y = near(y1).saturating_sub(total).max(space);
    let x = near(x1);
    texts
        .into_iter()
        .zip(ink)
        .enumerate()
        .map(|(i, ((text, color), (w, h)))| {
            let y = start_y + (rec + space) * i as i32;
            Caption {
                // Pillow's rectangle includes its far corner.
                panel: Rect {
                    x0: x,
                    y0: y,
                    x1: x + w + 2 * pad + 1,
                    y1: y + rec + 1,
                },
                color,
                text_x: x + pad,
                text_y: y + py_round(f64::from(rec - h) / 2.0),
                text,
            }
        })
        .collect()
}

/// The demo's clock panel: bottom left, `round(1.8 h)` high.
fn demo_timestamp(font: &Font, height: u32, stamp: &str) -> Caption {
    let (l, top, r, bottom) = font.ink_box(stamp);
    let (w, h) = (r - l, bottom - top);
    let rec = py_round(1.8 * f64::from(h));
    let pad = (font.size() as i32 / 2).max(1);
    let y = height as i32 - rec;
    Caption {
        panel: Rect {
            x0: 0,
            y0: y,
            x1: w + 2 * pad + 1,
            y1: height as i32 + 1,
        },
        color: TIMESTAMP_COLOR,
        text_x: pad,
        text_y: y + py_round(f64::from(rec - h) / 2.0),
        text: stamp.to_string(),
    }
}

pub fn layout(
    width: u32,
    height: u32,
    persons: &[Person],
    stamp: Option<&str>,
    font: &Font,
    stacking: Stacking,
) -> FrameLayout {
    let pad = (font.size() / 6.0).round().max(1.0) as i32;
    let line = font.line_height().ceil() as i32;
    let panel_h = line + 2 * pad;
    let caption = |x: i32, y: i32, color: Rgb, text: String| {
        let w = font.text_width(&text).ceil() as i32 + 2 * pad;
        Caption {
            panel: Rect {
                x0: x,
                y0: y,
                x1: x + w,
                y1: y + panel_h,
            },
            color,
            text_x: x + pad,
            text_y: y + pad,
            text,
        }
    };
    let persons = persons
        .iter()
        .filter(|p| p.bbox.iter().all(|v| v.is_finite()))
        .map(|p| {
            // Far beyond any frame is as good as the frame's edge, and keeps the integer maths in range.
            let px = |v: f32| v.clamp(-COORD_LIMIT, COORD_LIMIT).round() as i32;
            let [x1, y1, x2, y2] = p.bbox;
            let outline = Rect {
                x0: px(x1),
                y0: px(y1),
                x1: px(x2) + 1,
                y1: px(y2) + 1,
            };
            if stacking == Stacking::Demo {
                let texts = p
                    .actions
                    .iter()
                    .map(|a| {
                        let score = crate::workload::actions::clamp_score(a.score).unwrap_or(0.0);
                        (
                            format!("{} {score:.2}", printable(&a.label)),
                            category_color(a.category),
                        )
                    })
                    .collect();
                return PersonLayout {
                    outline,
                    captions: demo_captions(font, x1, y1, texts),
                };
            }
            // Stacked upwards from the box top; if they would leave the frame, downwards inside the box.
            let n = p.actions.len() as i32;
            let upward = outline.y0 - n * panel_h >= 0;
            let captions = p
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let i = i as i32;
                    let y = if upward {
                        outline.y0 - (i + 1) * panel_h
                    } else {
                        outline.y0 + i * panel_h
                    };
                    // Scores reach here through the caption rule; this only
                    // keeps drawing total for any other caller.
                    let score = crate::workload::actions::clamp_score(a.score).unwrap_or(0.0);
                    caption(
                        outline.x0,
                        y,
                        category_color(a.category),
                        format!("{} {score:.2}", printable(&a.label)),
                    )
                })
                .collect();
            PersonLayout { outline, captions }
        })
        .collect();
    FrameLayout {
        width,
        height,
        box_width: box_width(width, height),
        persons,
        timestamp: stamp.map(|stamp| match stacking {
            Stacking::Demo => demo_timestamp(font, height, stamp),
            Stacking::Native => caption(
                0,
                height as i32 - panel_h,
                TIMESTAMP_COLOR,
                stamp.to_string(),
            ),
        }),
    }
}

/// A label as every style can draw it: control characters (NUL, newlines,
/// escapes) become spaces. OpenCV's `putText` stops at a NUL — the rest of the
/// frame's captions and the timestamp went missing — so this is done once,
/// here, where every style gets its text.
pub fn printable(label: &str) -> std::borrow::Cow<'_, str> {
    if label.chars().any(char::is_control) {
        label
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        label.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::detections::Action;

    #[test]
    fn sizes_follow_the_pillow_visualizer() {
        assert_eq!(box_width(1920, 1080), 6);
        assert_eq!(font_size(1920, 1080), 27);
        assert_eq!(box_width(100, 50), 1);
        assert_eq!(font_size(10, 10), 1);
    }

    #[test]
    fn captions_stack_above_the_box_or_inside_at_the_top_edge() {
        let font = Font::new(27.0);
        let person = |y: f32| Person {
            track_id: 1,
            bbox: [100.0, y, 300.0, y + 400.0],
            actions: vec![
                Action {
                    label: "stand".into(),
                    score: 0.91,
                    category: Category::Pose,
                },
                Action {
                    label: "talk to".into(),
                    score: 0.5,
                    category: Category::PersonInteraction,
                },
            ],
        };
        let l = layout(
            1920,
            1080,
            &[person(500.0), person(0.0)],
            Some("00:00:00.000"),
            &font,
            Stacking::Native,
        );
        let above = &l.persons[0].captions;
        assert_eq!(above[0].panel.y1, 500);
        assert_eq!(above[1].panel.y1, above[0].panel.y0);
        assert_eq!(above[0].text, "stand 0.91");
        assert_eq!(above[1].color, PERSON_COLOR);
        let inside = &l.persons[1].captions;
        assert_eq!(inside[0].panel.y0, 0);
        assert_eq!(l.timestamp.unwrap().panel.y1, 1080);
    }

    #[test]
    fn clipping() {
        let r = Rect {
            x0: -5,
            y0: 10,
            x1: 20,
            y1: 2000,
        };
        assert_eq!(
            r.clip(10, 100),
            Some(Rect {
                x0: 0,
                y0: 10,
                x1: 10,
                y1: 100
            })
        );
        assert_eq!(
            Rect {
                x0: 20,
                y0: 0,
                x1: 30,
                y1: 5
            }
            .clip(10, 10),
            None
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(millis(0, 30.0)), "00:00:00.000");
        assert_eq!(timestamp(millis(3615, 30.0)), "00:02:00.500");
        assert_eq!(timestamp(millis(1, 30.0)), "00:00:00.033");
        assert_eq!(timestamp(millis(1, 29.97)), "00:00:00.033");
        assert_eq!(timestamp(3_723_004), "01:02:03.004");
    }

    #[test]
    fn control_characters_never_reach_a_style() {
        assert_eq!(printable("walk"), "walk");
        assert_eq!(printable("a\0b\nc\u{1b}[31m"), "a b c [31m");
    }
}

#[cfg(test)]
mod demo_tests {
    use super::*;
    use crate::workload::detections::{Action, Category};

    fn person(y: f32) -> Person {
        Person {
            track_id: 1,
            bbox: [100.0, y, 300.0, y + 400.0],
            actions: vec![
                Action {
                    label: "stand".into(),
                    score: 0.95,
                    category: Category::Pose,
                },
                Action {
                    label: "run/jog".into(),
                    score: 0.75,
                    category: Category::Pose,
                },
            ],
        }
    }

    /// What the demo's `visual_result` and `visual_timestampe` compute, from
    /// Pillow 13.0's `textbbox` of these texts in DejaVu Sans Bold at 27 px
    /// ("stand 0.95" (0, 5, 162, 26), "run/jog 0.75" (0, 5, 185, 32),
    /// "00:00:01.000" (0, 6, 201, 26)), which `Font::ink_box` gives exactly.
    #[test]
    fn the_demos_stack_first_caption_on_top_with_its_spacing() {
        let font = Font::new(27.0);
        assert_eq!(font.ink_box("stand 0.95"), (0, 5, 162, 26));
        assert_eq!(font.ink_box("run/jog 0.75"), (0, 5, 185, 32));
        assert_eq!(font.ink_box("00:00:01.000"), (0, 6, 201, 26));
        let l = layout(
            1920,
            1080,
            &[person(500.0), person(10.0)],
            Some("00:00:01.000"),
            &font,
            Stacking::Demo,
        );
        // max h 27: rec round(48.6) = 49, space round(5.4) = 5, total 103,
        // start 500 - 103 = 397; pad 27 // 2 = 13; Pillow's rectangles include
        // their far corner (+1 here).
        let c = &l.persons[0].captions;
        assert_eq!(c[0].text, "stand 0.95");
        assert_eq!(
            (c[0].panel.x0, c[0].panel.y0, c[0].panel.x1, c[0].panel.y1),
            (100, 397, 289, 447)
        );
        assert_eq!((c[0].text_x, c[0].text_y), (113, 411));
        assert_eq!(
            (c[1].panel.x0, c[1].panel.y0, c[1].panel.x1, c[1].panel.y1),
            (100, 451, 312, 501)
        );
        assert_eq!((c[1].text_x, c[1].text_y), (113, 462));
        // Near the top the stack starts at `space`, over the box.
        assert_eq!(l.persons[1].captions[0].panel.y0, 5);
        let t = l.timestamp.unwrap();
        assert_eq!(
            (t.panel.x0, t.panel.y0, t.panel.x1, t.text_y),
            (0, 1044, 228, 1052)
        );
    }

    #[test]
    fn python_rounds_halves_to_even() {
        assert_eq!(py_round(0.5), 0);
        assert_eq!(py_round(1.5), 2);
        assert_eq!(py_round(2.5), 2);
        assert_eq!(py_round(-0.5), 0);
        assert_eq!(py_round(2.6), 3);
    }
}

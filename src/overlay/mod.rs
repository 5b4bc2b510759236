//! Overlay styles: the guide's interchangeable visualizers, drawing the same
//! annotations (`layout`) in their own way.

pub mod layer;
pub mod layout;
pub mod native;
#[cfg(feature = "opencv")]
pub mod opencv;
pub mod pillow;
pub mod snapshot;
pub mod text;

use std::time::Duration;

use crate::frame::{Frame, FrameRows};
use crate::workload::detections::Person;
use layout::FrameLayout;
use text::Font;

/// A style that could not draw a frame (the library's own error, passed on).
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error("OpenCV could not draw the frame: {0}")]
    OpenCv(String),
    /// `--overlay opencv` (or a mode that draws with it) in the portable build.
    #[error("the opencv overlay needs a build with the `opencv` feature")]
    NoOpenCv,
}

/// Draws one frame's annotations in place.
pub trait OverlayStyle: Send {
    fn name(&self) -> &'static str;
    /// Returns the time spent converting colour layouts inside the style
    /// (Pillow's BGR↔RGBA), which results report as its own stage.
    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Result<Duration, OverlayError>;
    /// How the style stacks captions (the demo's Pillow visualizer has its own).
    fn stacking(&self) -> layout::Stacking {
        layout::Stacking::Native
    }
    /// The style as one that draws bands of rows independently, if it can.
    fn by_rows(&mut self) -> Option<&mut dyn RowOverlay> {
        None
    }
}

/// A style that can split one frame across threads: after `prepare`, each band
/// of rows is drawn alone, with exactly the bytes `draw` gives those rows.
pub trait RowOverlay: Sync {
    /// Per-frame work that must happen once, before the bands (glyph rasters).
    fn prepare(&mut self, layout: &FrameLayout);
    fn draw_rows(&self, rows: &mut FrameRows, layout: &FrameLayout);
}

use crate::results::StyleKind;

/// Everything needed to draw frames of one size.
pub struct Overlay {
    pub style: Box<dyn OverlayStyle>,
    font: Font,
    width: u32,
    height: u32,
    fps: f64,
    /// Draw the clock panel (the demo's `show_time`).
    show_time: bool,
    /// The source frame the run's frame 0 is (`--start`): the clock shows its time.
    first_frame: u64,
}

impl Overlay {
    pub fn new(kind: StyleKind, width: u32, height: u32, fps: f64) -> Result<Self, OverlayError> {
        let mut font = Font::new(layout::font_size(width, height) as f32);
        let style: Box<dyn OverlayStyle> = match kind {
            // The demo's Pillow visualizer draws with Roboto Bold, and lays
            // its captions out by that font's metrics.
            StyleKind::Pillow => {
                font = Font::roboto(font.size());
                Box::new(pillow::PillowStyle::new(font.clone()))
            }
            StyleKind::Native => Box::new(native::NativeStyle::new(font.clone())),
            #[cfg(feature = "opencv")]
            StyleKind::Opencv => Box::new(opencv::OpenCvStyle::new(&font)),
            #[cfg(not(feature = "opencv"))]
            StyleKind::Opencv => return Err(OverlayError::NoOpenCv),
        };
        Ok(Self {
            style,
            font,
            width,
            height,
            fps,
            show_time: true,
            first_frame: 0,
        })
    }

    /// The style `kind` for the workload's frames, drawn as it asks (clock or not).
    pub fn for_workload(
        kind: StyleKind,
        info: &crate::results::WorkloadInfo,
    ) -> Result<Self, OverlayError> {
        let mut overlay = Self::new(kind, info.width, info.height, info.fps)?;
        overlay.show_time = info.show_time;
        overlay.first_frame = info.start_frame;
        Ok(overlay)
    }

    /// Lays out and draws frame `index`; returns the style's conversion time.
    pub fn draw(
        &mut self,
        frame: &mut Frame,
        index: u64,
        persons: &[Person],
    ) -> Result<Duration, OverlayError> {
        let layout = self.layout(index, persons);
        self.style.draw(frame, &layout)
    }

    /// How the OpenCV style sizes text at this frame size.
    pub fn hershey_text(&self) -> layout::HersheyText {
        layout::HersheyText::for_font(&self.font)
    }

    /// Where frame `index`'s annotations go.
    pub fn layout(&self, index: u64, persons: &[Person]) -> FrameLayout {
        let stamp = self
            .show_time
            .then(|| layout::timestamp(layout::millis(self.first_frame + index, self.fps)));
        layout::layout(
            self.width,
            self.height,
            persons,
            stamp.as_deref(),
            &self.font,
            self.style.stacking(),
        )
    }

    /// Lays out frame `index` and readies the style to draw it band by band; `None`
    /// for styles that only draw whole frames.
    pub fn prepare_rows(
        &mut self,
        index: u64,
        persons: &[Person],
    ) -> Option<(&dyn RowOverlay, FrameLayout)> {
        let layout = self.layout(index, persons);
        let style = self.style.by_rows()?;
        style.prepare(&layout);
        Some((&*style, layout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::synthetic;

    fn drawn(kind: StyleKind) -> Frame {
        let (w, h) = (320, 240);
        let mut frame = Frame::new(w, h);
        synthetic::render_frame(&mut frame, 3);
        let tracks = synthetic::tracks(w, h, 4, 3);
        Overlay::new(kind, w, h, 30.0)
            .unwrap()
            .draw(&mut frame, 3, &tracks.persons(3))
            .unwrap();
        frame
    }

    /// "Visibly the same": styles differ only where text rasterizers and line
    /// joins differ, never in what is drawn where.
    #[test]
    fn styles_draw_the_same_annotations() {
        let mut plain = Frame::new(320, 240);
        synthetic::render_frame(&mut plain, 3);
        let native = drawn(StyleKind::Native);
        let pillow = drawn(StyleKind::Pillow);
        let changed = |f: &Frame| {
            f.data
                .chunks_exact(3)
                .zip(plain.data.chunks_exact(3))
                .filter(|(a, b)| a != b)
                .count()
        };
        assert!(changed(&native) > 1000, "native drew something");
        let differing = native
            .data
            .chunks_exact(3)
            .zip(pillow.data.chunks_exact(3))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 40))
            .count();
        let total = (320 * 240) as f64;
        assert!(
            (differing as f64) / total < 0.02,
            "native and pillow differ on {differing} pixels"
        );
        // The OpenCV style draws the demo's colours channel-swapped (its quirk):
        // where it draws is compared, not what colour.
        #[cfg(feature = "opencv")]
        {
            let cv = drawn(StyleKind::Opencv);
            let differing = native
                .data
                .chunks_exact(3)
                .zip(cv.data.chunks_exact(3))
                .zip(plain.data.chunks_exact(3))
                .filter(|((a, b), p)| (a != p) != (b != p))
                .count();
            assert!(
                (differing as f64) / total < 0.05,
                "native and opencv draw on different pixels: {differing}"
            );
        }
    }

    /// Each style draws the pixels of the demo visualizer it stands for:
    /// `visualizer.py`'s box (191, 40, 41) and caption colours (176, 85, 234),
    /// (87, 118, 198), (52, 189, 199) at 60 % in the Pillow and native styles;
    /// the same tuples read as BGR by OpenCV in the OpenCV style, as
    /// `fast_visualizer.py` passes them (a blue box, swapped captions).
    #[test]
    fn each_style_draws_the_demos_colours() {
        use crate::workload::detections::{Action, Category};
        use layout::{BOX_COLOR, OBJECT_COLOR, PERSON_COLOR, POSE_COLOR};
        let action = |label: &str, category| Action {
            label: label.into(),
            score: 0.9,
            category,
        };
        let persons = vec![Person {
            track_id: 1,
            bbox: [100.0, 150.0, 260.0, 230.0],
            actions: vec![
                action("walk", Category::Pose),
                action("ride", Category::ObjectInteraction),
                action("talk", Category::PersonInteraction),
            ],
        }];
        // Pixels of this RGB colour (the frame is BGR), within rounding.
        let count = |f: &Frame, rgb: [u8; 3]| {
            f.data
                .chunks_exact(3)
                .filter(|p| (0..3).all(|i| p[2 - i].abs_diff(rgb[i]) <= 2))
                .count()
        };
        let at_60_percent_over_black =
            |c: [u8; 3]| c.map(|v| ((u32::from(v) * 153 + 127) / 255) as u8);
        let mut styles = vec![StyleKind::Pillow, StyleKind::Native];
        if cfg!(feature = "opencv") {
            styles.push(StyleKind::Opencv);
        }
        for kind in styles {
            let mut frame = Frame::new(320, 240);
            Overlay::new(kind, 320, 240, 30.0)
                .unwrap()
                .draw(&mut frame, 0, &persons)
                .unwrap();
            let shown = |c: [u8; 3]| match kind {
                StyleKind::Opencv => [c[2], c[1], c[0]],
                _ => c,
            };
            assert!(count(&frame, shown(BOX_COLOR)) > 100, "{kind:?}: the box");
            for color in [POSE_COLOR, OBJECT_COLOR, PERSON_COLOR] {
                let panel = at_60_percent_over_black(shown(color));
                assert!(
                    count(&frame, panel) > 50,
                    "{kind:?}: no caption panel of {color:?} (expected {panel:?})"
                );
            }
            // The colours the tool once drew, nowhere.
            for old in [[46, 128, 204], [59, 160, 90]] {
                assert_eq!(
                    count(&frame, at_60_percent_over_black(old)),
                    0,
                    "{kind:?}: {old:?}"
                );
            }
        }
    }

    #[test]
    fn boxes_outside_the_frame_and_nan_are_survived() {
        use crate::workload::detections::{Action, Category};
        let persons = vec![
            Person {
                track_id: 1,
                bbox: [-500.0, -500.0, 5000.0, 5000.0],
                actions: vec![],
            },
            Person {
                track_id: 2,
                bbox: [f32::NAN, 0.0, 10.0, 10.0],
                actions: vec![],
            },
            Person {
                track_id: 3,
                bbox: [300.0, 230.0, 200.0, 100.0],
                actions: vec![Action {
                    label: "行動 🙂".into(),
                    score: f32::INFINITY,
                    category: Category::Pose,
                }],
            },
        ];
        for kind in [StyleKind::Native, StyleKind::Pillow] {
            let mut frame = Frame::new(320, 240);
            Overlay::new(kind, 320, 240, 30.0)
                .unwrap()
                .draw(&mut frame, 0, &persons)
                .unwrap();
        }
    }
}

//! The guide's fast visualizer: OpenCV drawing on the BGR frame — `rectangle`
//! for boxes, `putText` for captions, `addWeighted` restricted to each panel's
//! region for the translucent panels.

use std::time::Duration;

use opencv::core::{self, Mat, Point, Scalar, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use super::layout::{
    Caption, FrameLayout, HersheyText, Rect, Rgb, BOX_COLOR, OVERLAY_ALPHA, TEXT_COLOR,
};
use super::text::Font;
use super::{OverlayError, OverlayStyle};
use crate::frame::Frame;

pub struct OpenCvStyle {
    text: HersheyText,
}

impl OpenCvStyle {
    pub fn new(font: &Font) -> Self {
        Self {
            text: HersheyText::for_font(font),
        }
    }
}

/// A colour as the demo's `fast_visualizer.py` hands it to OpenCV: the RGB
/// tuple of `visualizer.py`, which OpenCV reads as B, G, R. Its boxes come out
/// blue (RGB 41, 40, 191) and its captions channel-swapped; this style draws
/// the demo's pixels, quirk included (docs/bench.md says so).
fn scalar(c: Rgb) -> Scalar {
    Scalar::new(f64::from(c[0]), f64::from(c[1]), f64::from(c[2]), 0.0)
}

fn cv_rect(r: Rect) -> core::Rect {
    core::Rect::new(r.x0, r.y0, r.width(), r.height())
}

impl OverlayStyle for OpenCvStyle {
    fn name(&self) -> &'static str {
        "opencv"
    }

    fn draw(&mut self, frame: &mut Frame, layout: &FrameLayout) -> Result<Duration, OverlayError> {
        // Drawing calls fail only on geometry the layout clips away: if one
        // does, the run stops with OpenCV's words rather than a frame half drawn.
        self.try_draw(frame, layout)
            .map(|()| Duration::ZERO)
            .map_err(|e| OverlayError::OpenCv(e.to_string()))
    }
}

impl OpenCvStyle {
    fn try_draw(&self, frame: &mut Frame, layout: &FrameLayout) -> opencv::Result<()> {
        let (w, h) = (frame.width, frame.height);
        let mut mat =
            Mat::new_rows_cols_with_bytes_mut::<Vec3b>(h as i32, w as i32, &mut frame.data)?;
        let bw = layout.box_width as i32;
        for person in &layout.persons {
            let r = person.outline;
            // OpenCV centres thick lines on the edge; inset by half the width to draw inwards like Pillow.
            let inset = Rect {
                x0: r.x0 + bw / 2,
                y0: r.y0 + bw / 2,
                x1: r.x1 - (bw + 1) / 2,
                y1: r.y1 - (bw + 1) / 2,
            };
            imgproc::rectangle(
                &mut mat,
                cv_rect(inset),
                scalar(BOX_COLOR),
                bw,
                imgproc::LINE_8,
                0,
            )?;
            for caption in &person.captions {
                self.caption(&mut mat, caption, w, h)?;
            }
        }
        match &layout.timestamp {
            Some(stamp) => self.caption(&mut mat, stamp, w, h),
            None => Ok(()),
        }
    }

    fn caption(
        &self,
        mat: &mut impl MatTrait,
        caption: &Caption,
        w: u32,
        h: u32,
    ) -> opencv::Result<()> {
        let Some(panel) = caption.panel.clip(w, h) else {
            return Ok(());
        };
        let mut roi = Mat::roi_mut(mat, cv_rect(panel))?;
        let mut overlay = roi.try_clone()?;
        let full = core::Rect::new(0, 0, panel.width(), panel.height());
        imgproc::rectangle(
            &mut overlay,
            full,
            scalar(caption.color),
            imgproc::FILLED,
            imgproc::LINE_8,
            0,
        )?;
        let origin = Point::new(
            caption.text_x - panel.x0,
            caption.text_y - panel.y0 + self.text.ascent,
        );
        // Hershey glyphs are wider than the TrueType ones the panel was sized for: shrink to fit,
        // as OpenCV visualizers size their text with getTextSize.
        let mut baseline = 0;
        let natural = imgproc::get_text_size(
            &caption.text,
            imgproc::FONT_HERSHEY_SIMPLEX,
            self.text.scale,
            self.text.thickness,
            &mut baseline,
        )?;
        let room = f64::from(caption.panel.width() - 2 * (caption.text_x - caption.panel.x0));
        let scale = if natural.width > 0 && f64::from(natural.width) > room {
            self.text.scale * room / f64::from(natural.width)
        } else {
            self.text.scale
        };
        imgproc::put_text(
            &mut overlay,
            &caption.text,
            origin,
            imgproc::FONT_HERSHEY_SIMPLEX,
            scale,
            scalar(TEXT_COLOR),
            self.text.thickness,
            // The demo's putText leaves lineType at OpenCV's default, LINE_8:
            // anti-aliased thick strokes cost more than the rest of the style.
            imgproc::LINE_8,
            false,
        )?;
        let alpha = f64::from(OVERLAY_ALPHA) / 255.0;
        let base = roi.try_clone()?;
        core::add_weighted(&overlay, alpha, &base, 1.0 - alpha, 0.0, &mut roi, -1)?;
        Ok(())
    }
}

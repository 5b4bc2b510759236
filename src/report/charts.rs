//! Charts as SVG through plotters (text set in the shipped DejaVu font).

use std::sync::OnceLock;

use anyhow::anyhow;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::tables::{preset_cases, primary_cases};
use super::Input;
use crate::overlay::text::FONT_BYTES;
use crate::results::CaseStatus;

const FONT: &str = "sans-serif";

fn register_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| anyhow!("the chart font could not be registered"))
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e:?}")
}

/// Bar chart of fps per mode (the performance table's cases that ran).
pub fn fps_chart(input: &Input) -> anyhow::Result<String> {
    register_font()?;
    let bars: Vec<(String, f64)> = primary_cases(input)
        .into_iter()
        .filter(|c| matches!(c.status, CaseStatus::Ok))
        .filter_map(|c| {
            let label = match (c.mode.as_str(), &c.overlay) {
                ("overlay-only", Some(o)) => format!("{o} only"),
                (m, _) => m.to_string(),
            };
            Some((label, c.fps?.mean))
        })
        .collect();
    let max = bars.iter().map(|b| b.1).fold(1.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Frames per second — {}", input.label), (FONT, 20))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (0..bars.len().saturating_sub(1)).into_segmented(),
                0.0..max * 1.15,
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_style((FONT, 12))
            .y_desc("fps")
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(RGBColor(46, 128, 204).filled())
                    .margin(12)
                    .data(bars.iter().enumerate().map(|(i, b)| (i, b.1))),
            )
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let style = TextStyle::from((FONT, 13).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                Text::new(
                    format!("{:.1}", b.1),
                    (SegmentValue::CenterOf(i), b.1 + max * 0.01),
                    style,
                )
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Speed vs quality, one point per preset (needs `bench --quality`).
pub fn preset_chart(input: &Input) -> anyhow::Result<Option<String>> {
    register_font()?;
    let points: Vec<(f64, f64, String)> = preset_cases(input)
        .into_iter()
        .filter_map(|c| {
            let psnr = c.quality.as_ref()?.psnr_db.filter(|p| p.is_finite())?;
            Some((
                c.fps?.mean,
                psnr,
                format!("{} {}", c.codec.as_deref()?, c.requested_preset()?),
            ))
        })
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let (xmax, ymin, ymax) = points
        .iter()
        .fold((1.0f64, f64::MAX, f64::MIN), |(x, lo, hi), p| {
            (x.max(p.0), lo.min(p.1), hi.max(p.1))
        });
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Speed vs quality per preset — {}", input.label),
                (FONT, 20),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..xmax * 1.15, (ymin - 1.0)..(ymax + 1.0))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("fps")
            .y_desc("PSNR (dB)")
            .draw()
            .map_err(err)?;
        chart
            .draw_series(points.iter().map(|(x, y, label)| {
                EmptyElement::at((*x, *y))
                    + Circle::new((0, 0), 5, RGBColor(191, 40, 41).filled())
                    + Text::new(label.clone(), (8, -8), (FONT, 13))
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(Some(svg))
}

//! Charts as SVG through plotters (text set in the shipped DejaVu font).

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::select::preset_cases;
use super::Input;
use crate::assets::FONT_BYTES;
use crate::results::{label, CaseResult, Mode, Sink};

const FONT: &str = "sans-serif";

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart font could not be registered")]
    Font,
    /// plotters' own error, as it describes itself.
    #[error("drawing a chart: {0}")]
    Draw(String),
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ok.then_some(()).ok_or(ChartError::Font)
}

fn err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// One bar: what ran, how fast, how spread, and whether it was a fallback or
/// a stand-in for a part this build lacks.
struct Bar {
    label: String,
    mean: f64,
    stddev: f64,
    fallback: bool,
    stand_in: bool,
}

impl Bar {
    fn colour(&self) -> RGBColor {
        match (self.fallback, self.stand_in) {
            (true, _) => ORANGE,
            (false, true) => GREY,
            (false, false) => BLUE,
        }
    }

    fn marker(&self) -> &'static str {
        match (self.fallback, self.stand_in) {
            (true, _) => " (fallback)",
            (false, true) => " (stand-in)",
            (false, false) => "",
        }
    }
}

const BLUE: RGBColor = RGBColor(46, 128, 204);
const ORANGE: RGBColor = RGBColor(230, 140, 30);
const GREY: RGBColor = RGBColor(140, 140, 140);

/// The cases a file's chart shows: every case that ran, in the report's mode
/// order — never one case standing for its mode's others.
fn chart_cases(input: &Input) -> Vec<&CaseResult> {
    let mut out = Vec::new();
    for mode in Mode::REPORT_ORDER {
        out.extend(
            input
                .results
                .cases
                .iter()
                .filter(|c| c.mode == mode && c.is_ok()),
        );
    }
    out
}

/// What tells apart cases that share a bar's name: the preset, the pipe's
/// format and transport, the sessions — each only where those cases differ.
fn differences(cases: &[&CaseResult]) -> Vec<String> {
    let parts = |c: &CaseResult| -> [String; 3] {
        [
            c.preset.used.clone().unwrap_or_default(),
            label::pipe(c),
            format!("{} sessions", c.sessions),
        ]
    };
    cases
        .iter()
        .map(|c| {
            let mine = parts(c);
            (0..mine.len())
                .filter(|&i| cases.iter().any(|o| parts(o)[i] != mine[i]))
                .map(|i| mine[i].clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}

/// Bar chart of fps, a bar per case that ran, in the report's mode order;
/// cases of one mode named by what differs between them. Each bar names the
/// encoder that ran; a fallback is orange and says so; whiskers span ± one
/// stddev over runs.
pub fn fps_chart(input: &Input) -> Result<String, ChartError> {
    register_font()?;
    let bars = bars(&chart_cases(input));
    let max = bars.iter().map(|b| b.mean + b.stddev).fold(1.0, f64::max);
    let any_fallback = bars.iter().any(|b| b.fallback);
    let any_stand_in = bars.iter().any(|b| b.stand_in && !b.fallback);
    let mut svg = String::new();
    {
        // Names too long for their bar's width: the bars are numbered and the
        // names listed under the chart, a line each.
        let longest = bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(0) as u32;
        let per_bar = 1000 / (bars.len().max(1) as u32);
        let keyed = longest * 6 > per_bar;
        let key_lines = if keyed { bars.len() as u32 } else { 0 };
        let whole =
            SVGBackend::with_string(&mut svg, (1100, 520 + 18 * key_lines)).into_drawing_area();
        whole.fill(&WHITE).map_err(err)?;
        let (root, key_area) = whole.split_vertically(520);
        root.fill(&WHITE).map_err(err)?;
        let keys: Vec<&str> = [
            (any_fallback, "orange: CPU fallback, not NVENC"),
            (any_stand_in, "grey: stand-in, OpenCV not built"),
        ]
        .into_iter()
        .filter_map(|(on, key)| on.then_some(key))
        .collect();
        let caption = if keys.is_empty() {
            format!("Frames per second — {}", input.label)
        } else {
            format!("Frames per second — {} ({})", input.label, keys.join("; "))
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 20))
            .margin(16)
            .x_label_area_size(64)
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
                SegmentValue::CenterOf(i) if keyed => format!("{}", i + 1),
                SegmentValue::CenterOf(i) => {
                    bars.get(*i).map(|b| b.label.clone()).unwrap_or_default()
                }
                _ => String::new(),
            })
            .x_label_style((FONT, 11))
            .y_desc("fps (mean ± stddev over runs)")
            .draw()
            .map_err(err)?;
        for (i, b) in bars.iter().enumerate() {
            let colour = b.colour();
            chart
                .draw_series(
                    Histogram::vertical(&chart)
                        .style(colour.filled())
                        .margin(12)
                        .data(std::iter::once((i, b.mean))),
                )
                .map_err(err)?;
        }
        chart
            .draw_series(
                bars.iter()
                    .enumerate()
                    .filter(|(_, b)| b.stddev > 0.0)
                    .map(|(i, b)| {
                        PathElement::new(
                            vec![
                                (SegmentValue::CenterOf(i), (b.mean - b.stddev).max(0.0)),
                                (SegmentValue::CenterOf(i), b.mean + b.stddev),
                            ],
                            BLACK.stroke_width(2),
                        )
                    }),
            )
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let style = TextStyle::from((FONT, 13).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                let text = format!("{:.1} ± {:.1}{}", b.mean, b.stddev, b.marker());
                Text::new(
                    text,
                    (SegmentValue::CenterOf(i), b.mean + b.stddev + max * 0.01),
                    style,
                )
            }))
            .map_err(err)?;
        if keyed {
            for (i, b) in bars.iter().enumerate() {
                key_area
                    .draw(&Text::new(
                        format!("{}. {}", i + 1, b.label),
                        (80, 18 * i as i32),
                        (FONT, 13).into_font(),
                    ))
                    .map_err(err)?;
            }
        }
        whole.present().map_err(err)?;
    }
    Ok(svg)
}

/// A bar per case, named by its mode (a user's command by its name) and
/// encoder; bars of one name each say what differs.
fn bars(cases: &[&CaseResult]) -> Vec<Bar> {
    let mut bars: Vec<Bar> = cases
        .iter()
        .filter_map(|c| {
            let what = match (c.mode, c.overlay) {
                (Mode::OverlayOnly, Some(o)) => format!("{o} only"),
                (m, _) if c.stand_in.as_ref().is_some_and(|s| s.overlay_for.is_some()) => {
                    format!("{m} [{}]", label::overlay(c))
                }
                _ => label::mode(c),
            };
            let label = if c.sink == Sink::Null {
                what
            } else {
                format!("{what}: {}", label::encoder_short(c))
            };
            let f = c.fps?;
            Some(Bar {
                label,
                mean: f.mean,
                stddev: f.stddev,
                fallback: c.encoder.is_fallback(),
                stand_in: c.stand_in.is_some(),
            })
        })
        .collect();
    // Bars of one name: each says what differs.
    let names: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    for name in &names {
        let same: Vec<usize> = (0..bars.len())
            .filter(|&i| bars[i].label == *name)
            .collect();
        if same.len() > 1 {
            let group: Vec<&CaseResult> = same.iter().map(|&i| cases[i]).collect();
            for (i, diff) in same.iter().zip(differences(&group)) {
                bars[*i].label = format!("{name} ({diff})");
            }
        }
    }
    bars
}

/// Speed vs quality, one point per preset (needs `bench --quality`).
pub fn preset_chart(input: &Input) -> Result<Option<String>, ChartError> {
    register_font()?;
    let points: Vec<(f64, f64, String)> = preset_cases(input)
        .into_iter()
        .filter_map(|c| {
            let psnr = c.quality.as_ref()?.psnr_db.filter(|p| p.is_finite())?;
            // The encoder and preset that ran: libx264's "ultrafast" is not NVENC's p1.
            let asked = match (&c.encoder.fallback, &c.preset.requested) {
                (Some(_), Some(p)) => format!(" (fallback; asked {p})"),
                _ => String::new(),
            };
            Some((
                c.fps?.mean,
                psnr,
                format!(
                    "{} {}{asked}",
                    c.encoder.used_or_requested(),
                    c.preset.used.as_deref().unwrap_or("-")
                ),
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

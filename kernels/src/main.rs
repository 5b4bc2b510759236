//! One CPU kernel of the overlay + encode path, run a given number of times on a
//! fixed 1080p frame with 10 persons — for counting instructions under
//! valgrind's callgrind (`scripts/instructions.py`). An instruction count does
//! not depend on what the neighbours of a shared CI machine are doing, so it can
//! gate tightly where wall-clock timings cannot.
//!
//!   cargo run --release -p nvviz-kernels -- KERNEL ITERATIONS
//!   cargo run --release -p nvviz-kernels -- --list
//!   cargo run --release -p nvviz-kernels -- --dump PREFIX
//!
//! With `NVVIZ_KERNELS_SELFTEST` set, every kernel draws one person more (the
//! gate's self-test: a slowdown the instruction-count gate must catch).
//!
//! `--dump` writes the kernels' frame (PREFIX.bgr, raw bgr24) and its layout
//! (PREFIX.json: boxes, panels, captions, font scale as the OpenCV style uses
//! it), so a twin in another language draws exactly this frame
//! (`scripts/opencv-twin.py`).

use nvviz_bench::frame::Frame;
use nvviz_bench::overlay::{layout, Overlay};
use nvviz_bench::pixfmt::PixFmt;
use nvviz_bench::results::StyleKind;
use nvviz_bench::workload::synthetic;

const W: u32 = 1920;
const H: u32 = 1080;
const PERSONS: u32 = 10;
/// The clip's frame every kernel draws.
const FRAME: u64 = 7;

/// Every kernel this build can run.
fn kernels() -> Vec<&'static str> {
    let mut k = vec!["overlay-native", "overlay-pillow"];
    if StyleKind::Opencv.available() {
        k.push("overlay-opencv");
    }
    k.extend(["convert-yuv420p", "convert-bgr0"]);
    k
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        println!("{}", kernels().join("\n"));
        return;
    }
    if args.first().map(String::as_str) == Some("--dump") {
        let Some(prefix) = args.get(1) else {
            eprintln!("usage: kernels --dump PREFIX");
            std::process::exit(2);
        };
        dump(prefix);
        return;
    }
    let (Some(kernel), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: kernels KERNEL ITERATIONS | --list");
        std::process::exit(2);
    };
    let (base, mut persons) = the_frame();
    // The CI gate's self-test (scripts/gate-selftest.sh): a known slowdown it
    // must catch — the same library code drawing one person more (11 of 10).
    if std::env::var_os("NVVIZ_KERNELS_SELFTEST").is_some() {
        persons.push(persons[0].clone());
    }
    let mut frame = base.clone();
    let mut wire = Vec::new();
    let style = match kernel.as_str() {
        "overlay-native" => Some(StyleKind::Native),
        "overlay-pillow" => Some(StyleKind::Pillow),
        "overlay-opencv" => Some(StyleKind::Opencv),
        _ => None,
    };
    match (style, kernel.as_str()) {
        (Some(kind), _) => {
            let mut overlay = Overlay::new(kind, W, H, 30.0).unwrap_or_else(|e| {
                eprintln!("kernels: {kernel}: {e}");
                std::process::exit(2)
            });
            for _ in 0..n {
                frame.data.copy_from_slice(&base.data);
                overlay.draw(&mut frame, FRAME, &persons).unwrap();
            }
        }
        (None, "convert-yuv420p") => {
            (0..n).for_each(|_| PixFmt::Yuv420p.convert(&frame, &mut wire))
        }
        (None, "convert-bgr0") => (0..n).for_each(|_| PixFmt::Bgr0.convert(&frame, &mut wire)),
        _ => {
            eprintln!("kernels: unknown kernel '{kernel}' (--list names them)");
            std::process::exit(2);
        }
    }
    // Keep the work observable.
    println!(
        "{}",
        frame
            .data
            .iter()
            .step_by(4099)
            .map(|&b| u64::from(b))
            .sum::<u64>()
            + wire.len() as u64
    );
}

/// The frame every kernel draws on, and its persons.
fn the_frame() -> (Frame, Vec<nvviz_bench::workload::detections::Person>) {
    let mut base = Frame::new(W, H);
    synthetic::render_frame(&mut base, FRAME);
    let tracks = synthetic::tracks(W, H, FRAME + 1, PERSONS);
    let persons = tracks.persons(FRAME).into_owned();
    (base, persons)
}

fn dump(prefix: &str) {
    let (base, persons) = the_frame();
    let overlay =
        Overlay::new(StyleKind::Native, W, H, 30.0).expect("the native style is always built");
    let layout = overlay.layout(FRAME, &persons);
    let json = serde_json::json!({
        "what": "kernels/src/main.rs's frame: raw bgr24 beside this file, and its layout",
        "width": W,
        "height": H,
        "frame": FRAME,
        "hershey_text": overlay.hershey_text(),
        "box_color_rgb": layout::BOX_COLOR,
        "text_color_rgb": layout::TEXT_COLOR,
        "overlay_alpha": layout::OVERLAY_ALPHA,
        "layout": layout,
    });
    // The frame as the OpenCV style draws it, where this build has OpenCV.
    if let Ok(mut opencv) = Overlay::new(StyleKind::Opencv, W, H, 30.0) {
        let mut drawn = base.clone();
        opencv.draw(&mut drawn, FRAME, &persons).unwrap();
        if let Err(e) = std::fs::write(format!("{prefix}.opencv.bgr"), &drawn.data) {
            eprintln!("kernels: cannot write {prefix}.opencv.bgr: {e}");
            std::process::exit(1);
        }
    }
    let written = std::fs::write(format!("{prefix}.bgr"), &base.data)
        .and_then(|()| std::fs::write(format!("{prefix}.json"), json.to_string()));
    if let Err(e) = written {
        eprintln!("kernels: cannot write {prefix}.*: {e}");
        std::process::exit(1);
    }
}

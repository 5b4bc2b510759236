//! One CPU kernel of the overlay + encode path, run a given number of times on a
//! fixed 1080p frame with 10 persons — for counting instructions under
//! valgrind's callgrind (`scripts/instructions.py`). An instruction count does
//! not depend on what the neighbours of a shared CI machine are doing, so it can
//! gate tightly where wall-clock timings cannot.
//!
//!   cargo run --release --example kernels -- KERNEL ITERATIONS
//!   cargo run --release --example kernels -- --list

use nvviz_bench::frame::Frame;
use nvviz_bench::overlay::{Overlay, StyleKind};
use nvviz_bench::pixfmt::PixFmt;
use nvviz_bench::workload::synthetic;

const W: u32 = 1920;
const H: u32 = 1080;
const PERSONS: u32 = 10;

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
    let (Some(kernel), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: kernels KERNEL ITERATIONS | --list");
        std::process::exit(2);
    };
    let mut base = Frame::new(W, H);
    synthetic::render_frame(&mut base, 7);
    let tracks = synthetic::tracks(W, H, 8, PERSONS);
    let persons = tracks.persons(7);
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
                overlay.draw(&mut frame, 7, &persons);
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

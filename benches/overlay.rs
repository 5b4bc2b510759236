//! The micro view (`bench` is the macro view): each overlay style per 1080p frame
//! with 10 persons, the Pillow style's colour conversions, raw frames through a
//! pipe into a null reader, and the detections parsers.

use std::process::{Command, Stdio};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use nvviz_bench::bench::pipeline;
use nvviz_bench::frame::Frame;
use nvviz_bench::overlay::layer::{Layer, LayerFrame, Packed};
use nvviz_bench::overlay::pillow::{alpha_composite, bgr_to_rgba_in_place, rgba_to_bgr_in_place};
use nvviz_bench::overlay::Overlay;
use nvviz_bench::pixfmt::PixFmt;
use nvviz_bench::results::StyleKind;
use nvviz_bench::workload::{detections, synthetic};

const W: u32 = 1920;
const H: u32 = 1080;

fn frame() -> Frame {
    let mut f = Frame::new(W, H);
    synthetic::render_frame(&mut f, 7);
    f
}

fn overlays(c: &mut Criterion) {
    let tracks = synthetic::tracks(W, H, 8, 10);
    let base = frame();
    let mut group = c.benchmark_group("overlay 1080p, 10 persons");
    group.sample_size(10);
    for kind in [StyleKind::Native, StyleKind::Opencv, StyleKind::Pillow] {
        if !kind.available() {
            continue;
        }
        let mut overlay = Overlay::new(kind, W, H, 30.0).unwrap();
        let mut f = base.clone();
        group.bench_function(kind.name(), |b| {
            b.iter(|| {
                f.data.copy_from_slice(&base.data);
                overlay.draw(&mut f, 7, &tracks.persons(7))
            })
        });
    }
    // The GPU-resident modes' layer: the native style drawn over black and
    // white, the drawn regions made into yuva420p (coverage and colour).
    let mut overlay = Overlay::new(StyleKind::Native, W, H, 30.0).unwrap();
    let mut layer = Layer::new(W, H);
    let mut out = LayerFrame::new(W, H);
    let mut index = 0u64;
    group.bench_function("native as a yuva420p layer (gpu-resident)", |b| {
        b.iter(|| {
            // Consecutive frames: the last frame's regions are cleared, as in a run.
            index = (index + 1) % 8;
            layer.draw(&mut overlay, index, &tracks.persons(index), &mut out)
        })
    });
    // The in-process composite's layer: the same two drawings, only the
    // drawn regions packed for the kernel (no coverage or colour computed here).
    let mut packed = Packed::default();
    group.bench_function("native as packed regions (in-process composite)", |b| {
        b.iter(|| {
            index = (index + 1) % 8;
            layer.draw_packed(&mut overlay, index, &tracks.persons(index), &mut packed)
        })
    });
    // The pipelined engine's split: one frame in bands of rows across every core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = pipeline::rows_pool(workers, 0).unwrap();
    let band = pipeline::band_height(H, workers);
    let mut overlay = Overlay::new(StyleKind::Native, W, H, 30.0).unwrap();
    let mut f = base.clone();
    let mut wire = Vec::new();
    for pix_fmt in [PixFmt::Bgr24, PixFmt::Yuv420p] {
        let name = format!("native + {} by rows, {workers} threads", pix_fmt.name());
        group.bench_function(name, |b| {
            b.iter(|| {
                f.data.copy_from_slice(&base.data);
                let (style, layout) = overlay.prepare_rows(7, &tracks.persons(7)).unwrap();
                let drawing = Some((style, &layout));
                pipeline::draw_by_rows(&pool, drawing, &mut f, pix_fmt, &mut wire, band, |_, _| {})
            })
        });
    }
    group.finish();
}

fn conversions(c: &mut Criterion) {
    let f = frame();
    let mut group = c.benchmark_group("colour conversion 1080p");
    group.throughput(Throughput::Bytes(u64::from(W * H * 3)));
    // Pillow's canvas, the frame's own buffer widened and narrowed in place.
    let mut data = f.data.clone();
    group.bench_function("bgr24 -> rgba -> bgr24 (in place)", |b| {
        b.iter(|| {
            bgr_to_rgba_in_place(black_box(&mut data));
            rgba_to_bgr_in_place(&mut data);
        })
    });
    let mut canvas = f.data.clone();
    bgr_to_rgba_in_place(&mut canvas);
    // The pipe's formats (`--pix-fmts`), converted by the engine's workers.
    let mut wire = Vec::new();
    for pix_fmt in [PixFmt::Bgr0, PixFmt::Yuv420p, PixFmt::Nv12] {
        group.bench_function(format!("bgr24 -> {} (pipe)", pix_fmt.name()), |b| {
            b.iter(|| pix_fmt.convert(black_box(&f), &mut wire))
        });
    }
    // One person's layer over the frame, as Pillow's Image.alpha_composite.
    let layer = image::RgbaImage::from_pixel(W, H, image::Rgba([200, 10, 10, 0]));
    group.bench_function("pillow alpha_composite (transparent layer)", |b| {
        b.iter(|| alpha_composite(&mut canvas, black_box(layer.as_raw())))
    });
    group.finish();
}

fn pipe(c: &mut Criterion) {
    // What the ffmpeg sink pays to hand a frame over, without an encoder behind
    // it: the sink's own writer, each method and pipe size, into `cat`.
    use nvviz_bench::encode::pipe_writer::PipeWriter;
    use nvviz_bench::results::{PipeOptions, PipeSize, PipeWrite};
    let f = frame();
    let mut group = c.benchmark_group("pipe writer");
    group.measurement_time(std::time::Duration::from_secs(3));
    // yuva420p: the GPU-resident modes' layer (2.5 bytes a pixel).
    for pix_fmt in [PixFmt::Bgr24, PixFmt::Nv12, PixFmt::Yuva420p] {
        let mut wire = Vec::new();
        let wire = pix_fmt.wire(&f, &mut wire).to_vec();
        group.throughput(Throughput::Bytes(wire.len() as u64));
        for write in [PipeWrite::Write, PipeWrite::Vmsplice] {
            for size in [PipeSize::KernelDefault, PipeSize::Frames(4)] {
                let mut child = Command::new("cat")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("cat");
                let stdin = child.stdin.take().unwrap();
                let options = PipeOptions {
                    write,
                    size,
                    ..PipeOptions::default()
                };
                let mut writer = PipeWriter::new(stdin, wire.len(), options);
                let facts = writer.facts();
                let name = format!(
                    "1080p {} frame, {} into a {} KiB pipe",
                    pix_fmt.name(),
                    facts.write.name(),
                    facts.bytes >> 10
                );
                // The same bytes every time: nothing rewrites them while the pipe holds them.
                group.bench_function(name, |b| {
                    b.iter(|| writer.write_frame(black_box(&wire)).unwrap())
                });
                drop(writer);
                let _ = child.wait();
            }
        }
    }
    group.finish();
}

fn parsers(c: &mut Criterion) {
    let tracks = synthetic::tracks(W, H, 300, 10);
    let json = serde_json::to_string(&tracks.to_file(W, H, 30.0)).unwrap();
    let mut csv = String::new();
    for f in 0..300u64 {
        for p in tracks.persons(f).iter() {
            let [x1, y1, x2, y2] = p.bbox;
            csv.push_str(&format!(
                "{},{},{x1},{y1},{},{},0.9,-1,-1,-1\n",
                f + 1,
                p.track_id,
                x2 - x1,
                y2 - y1
            ));
        }
    }
    let mut group = c.benchmark_group("detections parser (300 frames x 10 persons)");
    group.bench_function("json", |b| {
        b.iter(|| detections::parse_json(black_box(&json), &Default::default()).unwrap())
    });
    group.bench_function("mot csv", |b| {
        b.iter(|| detections::parse_mot_csv(black_box(&csv)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, overlays, conversions, pipe, parsers);
criterion_main!(benches);

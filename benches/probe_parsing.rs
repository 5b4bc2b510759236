//! Micro-benchmarks of doctor's parsers and failure classifier on real ffmpeg
//! output (the fixtures under tests/fixtures).
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nvviz_bench::ffmpeg::failure::{classify, ExitInfo};
use nvviz_bench::ffmpeg::info::{parse_encoder_help, parse_encoders};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/ffmpeg/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn parsing(c: &mut Criterion) {
    let encoders = fixture("debian-5.1_encoders.txt");
    let help = fixture("debian-5.1_h264_nvenc_help.txt");
    let stderr: Vec<String> = fixture("debian-5.1_libx264_partial-frame.stderr.txt")
        .lines()
        .map(str::to_string)
        .collect();
    c.bench_function("parse_encoders (ffmpeg 5.1 -encoders)", |b| {
        b.iter(|| parse_encoders(black_box(&encoders)))
    });
    c.bench_function("parse_encoder_help (h264_nvenc)", |b| {
        b.iter(|| parse_encoder_help(black_box(&help)))
    });
    c.bench_function("classify (unexplained failure, 30 lines)", |b| {
        b.iter(|| classify(black_box(&stderr), &ExitInfo::Code(1), None))
    });
}

criterion_group!(benches, parsing);
criterion_main!(benches);

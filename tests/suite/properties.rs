//! Property tests: the parsers and the overlay never panic, whatever they are fed.

use nvviz_bench::ffmpeg::failure::{classify, ExitInfo};
use nvviz_bench::frame::Frame;
use nvviz_bench::overlay::Overlay;
use nvviz_bench::results::StyleKind;
use nvviz_bench::workload::detections::{parse_json, parse_mot_csv, Action, Category, Person};
use proptest::prelude::*;

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        -5000.0f32..5000.0,
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(f32::MIN),
    ]
}

fn person() -> impl Strategy<Value = Person> {
    (
        any::<u32>(),
        [any_f32(), any_f32(), any_f32(), any_f32()],
        proptest::collection::vec((".{0,60}", any_f32()), 0..4),
    )
        .prop_map(|(track_id, bbox, actions)| Person {
            track_id,
            bbox,
            actions: actions
                .into_iter()
                .map(|(label, score)| Action {
                    label,
                    score,
                    category: Category::ObjectInteraction,
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn json_parser_never_panics(text in ".{0,400}") {
        let _ = parse_json(&text, &Default::default());
    }

    #[test]
    fn json_parser_survives_plausible_documents(frame in any::<u64>(), x in any_f32(), label in ".{0,40}") {
        let doc = format!(
            r#"{{"schema":"nvviz-bench.detections","version":1,"frames":[{{"frame":{frame},"persons":[{{"track_id":1,"box":[{x},0,1,1],"actions":[{{"label":{label:?},"score":0.5}}]}}]}}]}}"#
        );
        let _ = parse_json(&doc, &Default::default());
    }

    #[test]
    fn mot_parser_never_panics(text in "([0-9.,\\-a-z ]{0,40}\n){0,8}") {
        let _ = parse_mot_csv(&text);
    }

    #[test]
    fn classifier_never_panics(lines in proptest::collection::vec(".{0,120}", 0..12), code in any::<i32>()) {
        let failure = classify(&lines, &ExitInfo::Code(code), None);
        prop_assert!(!failure.fix().is_empty());
    }

    #[test]
    fn drawing_arbitrary_boxes_and_labels_never_panics(
        persons in proptest::collection::vec(person(), 0..6),
        w in 16u32..200,
        h in 16u32..120,
        index in any::<u64>(),
    ) {
        for kind in [StyleKind::Native, StyleKind::Pillow] {
            let mut frame = Frame::new(w, h);
            Overlay::new(kind, w, h, 30.0).unwrap().draw(&mut frame, index, &persons).unwrap();
        }
    }
}

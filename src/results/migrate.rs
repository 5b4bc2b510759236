//! Version 1 results files, converted to version 2 on load so that `report` and
//! `compare` read files written before the typed schema. Version 1 kept the
//! encoder, fallback and reasons as loose JSON and put the overlay's stand-in
//! note among the reasons; the requested preset, pipe format and streams were
//! only in the case id, whose segments version 1 wrote in a fixed order
//! (`mode/overlay/encoder/preset[/pix_fmt][/xN]`) — read here, by position, and
//! nowhere else.

use serde_json::{json, Map, Value};

/// Version 3 did not say what an encoder ceiling read; its recorded command
/// did: `-f lavfi -i testsrc2=…` for a user's video, the looped file of the
/// clip's frames otherwise. Read here, once, and typed from then on.
pub fn v3_to_v4(doc: &mut Value) {
    for case in doc
        .get_mut("cases")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(obj) = case.as_object_mut() else {
            continue;
        };
        if obj.get("mode").and_then(Value::as_str) != Some("encoder-ceiling") {
            continue;
        }
        let command = obj.get("command").and_then(Value::as_str);
        let input = match command {
            Some(c) if c.contains("-f lavfi -i testsrc2=") => json!("testsrc2"),
            Some(_) => json!("same_frames"),
            // Never started: nothing was read.
            None => Value::Null,
        };
        obj.insert("ceiling_input".into(), input);
    }
    doc["schema_version"] = json!(4);
}

/// Version 2 kept the one stand-in it knew — the native overlay drawing the
/// `nvenc` mode in a build without OpenCV — as a free-text `note`, written for
/// that case only: a note present means that stand-in.
pub fn v2_to_v3(doc: &mut Value) {
    for case in doc
        .get_mut("cases")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(obj) = case.as_object_mut() {
            let note = obj.remove("note").filter(|n| !n.is_null());
            let stand_in = note
                .map(|_| json!({"missing": "opencv", "overlay_for": "opencv", "writer_for": null}));
            obj.insert("stand_in".into(), stand_in.unwrap_or(Value::Null));
        }
    }
    doc["schema_version"] = json!(3);
}

use crate::pixfmt::PixFmt;

pub fn v1_to_v2(doc: &mut Value) {
    let engine = doc
        .pointer("/config/engine/kind")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(cases) = doc.get_mut("cases").and_then(Value::as_array_mut) {
        for case in cases {
            if let Some(obj) = case.as_object_mut() {
                case_v1_to_v2(obj, engine.as_deref());
            }
        }
    }
    doc["schema_version"] = json!(2);
}

fn case_v1_to_v2(c: &mut Map<String, Value>, engine: Option<&str>) {
    let id = c
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let segments: Vec<&str> = id.split('/').collect();
    let sink = c
        .get("sink")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let ffmpeg_sink = sink == "ffmpeg-pipe" || sink == "ffmpeg-lavfi";

    // Encoder: requested, used, fallback {from, cause}.
    let fallback = c.remove("fallback").filter(|f| !f.is_null()).map(|f| {
        json!({
            "from": f.get("from").cloned().unwrap_or(Value::Null),
            "cause": f.get("reason").cloned().map(reason_v1_to_v2).unwrap_or(Value::Null),
        })
    });
    let encoder = json!({
        "requested": c.remove("requested_encoder").unwrap_or(Value::Null),
        "used": c.remove("encoder").unwrap_or(Value::Null),
        "fallback": fallback,
    });
    c.insert("encoder".into(), encoder);

    // Preset: version 1 kept the used one; the requested one is the id's 4th segment.
    let used = c.remove("preset").unwrap_or(Value::Null);
    let requested = ffmpeg_sink
        .then(|| segments.get(3).map(|s| json!(s)))
        .flatten()
        .unwrap_or(Value::Null);
    c.insert(
        "preset".into(),
        json!({"requested": requested, "used": used}),
    );

    // Pipe format and streams from the optional trailing segments.
    let mut pix_fmt = Value::Null;
    let mut sessions = 1u64;
    if ffmpeg_sink {
        pix_fmt = json!("bgr24");
        for s in segments.iter().skip(4) {
            if let Some(n) = s.strip_prefix('x').and_then(|n| n.parse::<u64>().ok()) {
                sessions = n;
            } else if let Ok(f) = serde_json::from_value::<PixFmt>(json!(s)) {
                pix_fmt = json!(f);
            }
        }
    }
    c.insert("pix_fmt".into(), pix_fmt);
    c.insert("sessions".into(), json!(sessions));
    c.insert(
        "engine".into(),
        match (sink.as_str(), engine) {
            ("ffmpeg-lavfi", _) | (_, None) => Value::Null,
            (_, Some(e)) => json!(e),
        },
    );

    // The overlay note was a reason with cause "note" on a case that ran.
    let reason = c.remove("reason").filter(|r| !r.is_null());
    let (note, reason) = match reason {
        Some(r) if r.get("cause").and_then(Value::as_str) == Some("note") => {
            (r.get("message").cloned(), None)
        }
        Some(r) => (None, Some(reason_v1_to_v2(r))),
        None => (None, None),
    };
    c.insert("note".into(), note.unwrap_or(Value::Null));
    c.insert("reason".into(), reason.unwrap_or(Value::Null));

    for run in c
        .get_mut("runs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        // Version 1 read getrusage's maxrss: the process's high-water mark.
        run["rss_scope"] = json!("process");
    }
    c.entry("gpu_samples").or_insert_with(|| json!([]));
}

/// Version 1 wrote two shapes of `output_not_writable` and free-form causes.
fn reason_v1_to_v2(r: Value) -> Value {
    let cause = r.get("cause").and_then(Value::as_str).unwrap_or("");
    let message = r.get("message").and_then(Value::as_str).map(str::to_string);
    match (cause, message) {
        ("output_not_writable", Some(m)) if r.get("detail").is_none() => {
            json!({"cause": "output_not_writable", "detail": m})
        }
        _ => {
            if serde_json::from_value::<super::Reason>(r.clone()).is_ok() {
                r
            } else {
                let m = r.get("message").and_then(Value::as_str).map_or_else(
                    || format!("{cause} (from a version 1 file)"),
                    str::to_string,
                );
                json!({"cause": "error", "message": m})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v3_ceiling_gets_what_its_command_read() {
        let mut doc = json!({"schema_version": 3, "cases": [
            {"mode": "encoder-ceiling", "command": "ffmpeg -y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 90"},
            {"mode": "encoder-ceiling", "command": "ffmpeg -y -stream_loop -1 -f rawvideo -i /tmp/ring.raw"},
            {"mode": "encoder-ceiling", "command": null},
            {"mode": "nvenc", "command": "ffmpeg -f lavfi -i testsrc2"},
        ]});
        v3_to_v4(&mut doc);
        let inputs: Vec<&Value> = (0..4).map(|i| &doc["cases"][i]["ceiling_input"]).collect();
        assert_eq!(
            inputs,
            [
                &json!("testsrc2"),
                &json!("same_frames"),
                &Value::Null,
                &Value::Null
            ]
        );
        assert_eq!(doc["schema_version"], 4);
    }
}

//! External pipeline stages the user declares (`--stage "Person detection=16.1fps"`,
//! `--stage "Action prediction=5.1s/100"`), so the guide's whole-pipeline table
//! can be reproduced with their own detector numbers.

/// A `--stage` that is not `NAME=VALUE` with a value the guide's tables use.
#[derive(Debug, thiserror::Error)]
#[error("--stage '{spec}': {problem}")]
pub struct StageError {
    spec: String,
    problem: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    /// Seconds per frame.
    pub seconds_per_frame: f64,
}

impl Stage {
    pub fn fps(&self) -> f64 {
        1.0 / self.seconds_per_frame
    }
}

/// `NAME=VALUE` with VALUE `16.1fps`, `5.1s/100` (seconds per 100 frames) or `62ms` (per frame).
pub fn parse(spec: &str) -> Result<Stage, StageError> {
    let problem = |problem: String| StageError {
        spec: spec.to_string(),
        problem,
    };
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| problem("expected NAME=VALUE, e.g. \"Person detection=16.1fps\"".into()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(problem("the stage needs a name".into()));
    }
    let v = value.trim().to_ascii_lowercase();
    let number = |s: &str| -> Result<f64, StageError> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| problem(format!("'{s}' is not a positive number")))
    };
    let seconds_per_frame = if let Some(fps) = v.strip_suffix("fps") {
        1.0 / number(fps)?
    } else if let Some(s) = v.strip_suffix("s/100") {
        number(s)? / 100.0
    } else if let Some(ms) = v.strip_suffix("ms") {
        number(ms)? / 1000.0
    } else {
        return Err(problem(
            "give the value as 16.1fps, 5.1s/100 or 62ms".into(),
        ));
    };
    Ok(Stage {
        name: name.to_string(),
        seconds_per_frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_numbers() {
        let det = parse("Person detection=16.1fps").unwrap();
        assert!((det.fps() - 16.1).abs() < 1e-9);
        let act = parse("Action prediction=5.1s/100").unwrap();
        assert!((act.seconds_per_frame - 0.051).abs() < 1e-12);
        assert!((parse("Tracking=62ms").unwrap().seconds_per_frame - 0.062).abs() < 1e-12);
    }

    #[test]
    fn bad_values() {
        assert!(parse("x").is_err());
        assert!(parse("=5fps").is_err());
        assert!(parse("a=0fps").is_err());
        assert!(parse("a=fast").is_err());
    }
}

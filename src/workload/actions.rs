//! The demo's action vocabulary and the rule that turns a keyframe's scores
//! into captions, as `update_action_dictionary` in AlphAction's
//! `demo/nvenc_visualizer.py` does: per track, every category whose score is
//! at least `confidence_threshold` becomes "label 0.87", except the excluded
//! classes; its colour is its group (pose / object interaction / person
//! interaction), split at fixed indices that change with `common_cate`.

use super::detections::{Action, Category};

/// The demo's 80 AVA categories, in the model's output order, with its
/// shortened names ("category names are modified for better visualization").
pub const AVA: [&str; 80] = [
    "bend/bow",
    "crawl",
    "crouch/kneel",
    "dance",
    "fall down",
    "get up",
    "jump/leap",
    "lie/sleep",
    "martial art",
    "run/jog",
    "sit",
    "stand",
    "swim",
    "walk",
    "answer phone",
    "brush teeth",
    "carry/hold sth.",
    "catch sth.",
    "chop",
    "climb",
    "clink glass",
    "close",
    "cook",
    "cut",
    "dig",
    "dress/put on clothing",
    "drink",
    "drive",
    "eat",
    "enter",
    "exit",
    "extract",
    "fishing",
    "hit sth.",
    "kick sth.",
    "lift/pick up",
    "listen to sth.",
    "open",
    "paint",
    "play board game",
    "play musical instrument",
    "play with pets",
    "point to sth.",
    "press",
    "pull sth.",
    "push sth.",
    "put down",
    "read",
    "ride",
    "row boat",
    "sail boat",
    "shoot",
    "shovel",
    "smoke",
    "stir",
    "take a photo",
    "look at a cellphone",
    "throw",
    "touch sth.",
    "turn",
    "watch screen",
    "work on a computer",
    "write",
    "fight/hit sb.",
    "give/serve sth. to sb.",
    "grab sb.",
    "hand clap",
    "hand shake",
    "hand wave",
    "hug sb.",
    "kick sb.",
    "kiss sb.",
    "lift sb.",
    "listen to sb.",
    "play with kids",
    "push sb.",
    "sing",
    "take sth. from sb.",
    "talk",
    "watch sb.",
];

/// `common_cate`: the demo's 15 common categories (its model then outputs 15 scores).
pub const COMMON: [&str; 15] = [
    "dance",
    "run/jog",
    "sit",
    "stand",
    "swim",
    "walk",
    "answer phone",
    "carry/hold sth.",
    "drive",
    "play musical instrument",
    "ride",
    "fight/hit sb.",
    "listen to sb.",
    "talk",
    "watch sb.",
];

/// The classes the demo leaves out unless told otherwise (`EXCLUSION`).
pub const EXCLUSION: [&str; 20] = [
    "crawl",
    "brush teeth",
    "catch sth.",
    "chop",
    "clink glass",
    "cook",
    "dig",
    "exit",
    "extract",
    "fishing",
    "kick sth.",
    "paint",
    "play board game",
    "play with pets",
    "press",
    "row boat",
    "shovel",
    "stir",
    "kick sb.",
    "play with kids",
];

/// The categories a keyframe's scores are indexed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vocabulary {
    pub names: &'static [&'static str],
    /// Indices below `.0` are poses, below `.1` object interactions, the rest
    /// person interactions.
    pub split: (usize, usize),
}

impl Vocabulary {
    pub const AVA: Vocabulary = Vocabulary {
        names: &AVA,
        split: (14, 63),
    };
    pub const COMMON: Vocabulary = Vocabulary {
        names: &COMMON,
        split: (6, 11),
    };

    pub fn of(common: bool) -> Self {
        if common {
            Self::COMMON
        } else {
            Self::AVA
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    pub fn category(&self, index: usize) -> Category {
        if index < self.split.0 {
            Category::Pose
        } else if index < self.split.1 {
            Category::ObjectInteraction
        } else {
            Category::PersonInteraction
        }
    }
}

/// Which scores become captions (`--confidence-threshold`, `--exclude-class`,
/// `--common-categories`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaptionRule {
    pub vocabulary: Vocabulary,
    pub threshold: f32,
    /// Excluded class names (those not in the vocabulary exclude nothing, as
    /// in the demo).
    pub excluded: Vec<String>,
}

impl Default for CaptionRule {
    /// The demo's defaults: AVA's 80 categories, 0.5, its exclusion list.
    fn default() -> Self {
        Self {
            vocabulary: Vocabulary::AVA,
            threshold: 0.5,
            excluded: EXCLUSION.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A score as a caption shows it, the one rule for scores a model or a file
/// gives out of range: NaN is no score (its caption is skipped); ±infinity
/// (a JSON `1e308` read as f32) is clamped to 1 or 0, never drawn as "inf" or
/// "0.00"; a finite score is shown as given.
pub fn clamp_score(score: f32) -> Option<f32> {
    if score.is_nan() {
        None
    } else if score.is_infinite() {
        Some(if score > 0.0 { 1.0 } else { 0.0 })
    } else {
        Some(score)
    }
}

/// A score vector whose length is not the vocabulary's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{given} scores, but the {} vocabulary has {categories} categories{}",
    if *.categories == COMMON.len() { "common" } else { "AVA" },
    match *.given {
        15 => " (pass --common-categories for the demo's 15)",
        80 => " (drop --common-categories for AVA's 80)",
        _ => "",
    })]
pub struct ScoresError {
    pub given: usize,
    pub categories: usize,
}

/// A `--confidence-threshold` outside 0..=1.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("--confidence-threshold must be between 0 and 1 (got {0})")]
pub struct ThresholdError(pub f32);

impl CaptionRule {
    /// A rule from the command line's words; `excluded` None is the demo's list.
    pub fn new(
        common: bool,
        threshold: f32,
        excluded: Option<Vec<String>>,
    ) -> Result<Self, ThresholdError> {
        if !(threshold.is_finite() && (0.0..=1.0).contains(&threshold)) {
            return Err(ThresholdError(threshold));
        }
        Ok(Self {
            vocabulary: Vocabulary::of(common),
            threshold,
            excluded: excluded.unwrap_or_else(|| EXCLUSION.iter().map(|s| s.to_string()).collect()),
        })
    }

    /// The rule the command line's flags give (`--common-categories`,
    /// `--confidence-threshold`, `--exclude-class`: none given is the demo's
    /// list, `none` excludes nothing), and a note for each excluded class
    /// the vocabulary does not have.
    pub fn from_flags(
        common: bool,
        threshold: f32,
        exclude: &[String],
    ) -> Result<(Self, Vec<String>), ThresholdError> {
        let vocabulary = Vocabulary::of(common);
        let notes = match exclude {
            [none] if none == "none" => Vec::new(),
            classes => classes
                .iter()
                .filter(|c| vocabulary.index(c).is_none())
                .map(|unknown| format!(
                    "--exclude-class '{unknown}' is not one of the {} categories (e.g. 'crawl', 'play with kids'): it excludes only actions labelled exactly so",
                    vocabulary.names.len()
                ))
                .collect(),
        };
        let excluded = match exclude {
            [] => None,
            [none] if none == "none" => Some(Vec::new()),
            classes => Some(classes.to_vec()),
        };
        Ok((Self::new(common, threshold, excluded)?, notes))
    }

    fn shows(&self, label: &str, score: f32) -> bool {
        score >= self.threshold && !self.excluded.iter().any(|e| e == label)
    }

    /// Captions from one track's scores, indexed by the vocabulary, in its order.
    pub fn from_scores(&self, scores: &[f32]) -> Result<Vec<Action>, ScoresError> {
        let names = self.vocabulary.names;
        if scores.len() != names.len() {
            return Err(ScoresError {
                given: scores.len(),
                categories: names.len(),
            });
        }
        Ok(scores
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, clamp_score(*s)?)))
            .filter(|(i, s)| self.shows(names[*i], *s))
            .map(|(i, score)| Action {
                label: names[i].to_string(),
                score,
                category: self.vocabulary.category(i),
            })
            .collect())
    }

    /// Captions from labels with scores: filtered as scores are; a label the
    /// vocabulary knows takes its group's colour, another keeps its own.
    pub fn from_labels(&self, actions: &[Action]) -> Vec<Action> {
        actions
            .iter()
            .filter_map(|a| Some((a, clamp_score(a.score)?)))
            .filter(|(a, score)| self.shows(&a.label, *score))
            .map(|(a, score)| Action {
                category: self
                    .vocabulary
                    .index(&a.label)
                    .map_or(a.category, |i| self.vocabulary.category(i)),
                score,
                ..a.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_splits_fall_where_the_demo_puts_them() {
        let (ava, common) = (Vocabulary::AVA, Vocabulary::COMMON);
        for (vocabulary, name, group) in [
            (ava, "walk", Category::Pose),
            (ava, "answer phone", Category::ObjectInteraction),
            (ava, "write", Category::ObjectInteraction),
            (ava, "fight/hit sb.", Category::PersonInteraction),
            (common, "walk", Category::Pose),
            (common, "ride", Category::ObjectInteraction),
            (common, "talk", Category::PersonInteraction),
        ] {
            let index = vocabulary.index(name).unwrap();
            assert_eq!(vocabulary.category(index), group, "{name}");
        }
        // Every excluded class is one of AVA's.
        assert!(EXCLUSION.iter().all(|e| ava.index(e).is_some()));
    }

    #[test]
    fn threshold_and_exclusion_filter_scores() {
        let rule = CaptionRule::default();
        let mut scores = [0.0f32; 80];
        scores[13] = 0.9; // walk
        scores[1] = 0.95; // crawl: excluded by default
        scores[78] = 0.5; // talk: at the threshold, shown
        scores[11] = 0.49; // stand: below
        let captions = rule.from_scores(&scores).unwrap();
        let shown: Vec<(&str, Category)> = captions
            .iter()
            .map(|a| (a.label.as_str(), a.category))
            .collect();
        assert_eq!(
            shown,
            [
                ("walk", Category::Pose),
                ("talk", Category::PersonInteraction)
            ]
        );
        let everything = CaptionRule::new(false, 0.5, Some(Vec::new())).unwrap();
        assert_eq!(everything.from_scores(&scores).unwrap().len(), 3);
    }

    #[test]
    fn scores_out_of_range_are_clamped_or_skipped_never_drawn_as_zero() {
        let rule = CaptionRule::default();
        let mut scores = [0.0f32; 80];
        scores[13] = f32::INFINITY; // walk: clamped to 1
        scores[11] = f32::NAN; // stand: no score
        scores[78] = f32::NEG_INFINITY; // talk: 0, below the threshold
        let shown: Vec<(String, f32)> = rule
            .from_scores(&scores)
            .unwrap()
            .into_iter()
            .map(|a| (a.label, a.score))
            .collect();
        assert_eq!(shown, [("walk".to_string(), 1.0)]);
        let labels = [
            Action {
                label: "walk".into(),
                score: "1e308".parse::<f32>().unwrap(),
                category: Category::Pose,
            },
            Action {
                label: "stand".into(),
                score: f32::NAN,
                category: Category::Pose,
            },
        ];
        let shown = rule.from_labels(&labels);
        assert_eq!(shown.len(), 1);
        assert_eq!((shown[0].label.as_str(), shown[0].score), ("walk", 1.0));
    }

    #[test]
    fn a_score_vector_of_the_other_vocabulary_says_which_flag() {
        let err = CaptionRule::default()
            .from_scores(&[0.0; 15])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--common-categories"), "{err}");
        let common = CaptionRule::new(true, 0.5, None).unwrap();
        let mut scores = [0.0f32; 15];
        scores[3] = 0.8; // stand
        assert_eq!(common.from_scores(&scores).unwrap()[0].label, "stand");
        assert!(CaptionRule::new(false, 1.5, None).is_err());
        assert!(CaptionRule::new(false, f32::NAN, None).is_err());
    }
}

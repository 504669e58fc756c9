//! Near-identical calls on both sides of the split: the same call copied into two clips, or a
//! recording added twice under two names. A validation or test window that is a copy of a
//! training window is scored on what the network has memorised, so the validation and test
//! figures come out better than the model is (HawkEars checks for this). Each positive window's
//! cells are correlated with every positive window of another split whose time–frequency
//! profile is alike; pairs at or above [`DUPLICATE_CORRELATION`] are reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{EmbeddingIndex, QueryBox, Template};
use crate::annotation::ProjectRecordingId;
use crate::dataset::WindowSpec;
use crate::project::Split;

/// Correlation at or above which two calls count as copies, on cells one spectrogram frame
/// long. On the demo, distinct calls across the split reach 0.931 at most; its first recording
/// copied 10 ms off (cells not lined up) gives 0.986–0.996 for every call.
pub const DUPLICATE_CORRELATION: f32 = 0.97;
/// Profiles (the cells averaged over time) less alike than this are not compared further.
const PROFILE_PREFILTER: f32 = 0.9;

/// One window of a split and its copy in another.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub train: WindowPlace,
    pub other: WindowPlace,
    pub similarity: f32,
}

/// Where a window is, for the warning.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPlace {
    pub source: String,
    pub start_secs: f64,
    pub split: Split,
}

impl std::fmt::Display for Duplicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {:.2} s ({}) is nearly the same as {} at {:.2} s ({}; correlation {:.3})",
            self.other.source,
            self.other.start_secs,
            self.other.split.name(),
            self.train.source,
            self.train.start_secs,
            self.train.split.name(),
            self.similarity
        )
    }
}

struct Prepared<'a> {
    window: &'a WindowSpec,
    path: &'a Path,
    template: Template,
    profile: Vec<f32>,
    row0: usize,
}

/// The positive windows of `windows` outside the training split that are near-copies of a
/// training window. `index_of(path)` gives a file's pooled-spectrogram index (`None`: it could
/// not be read; its windows are left out).
pub fn split_duplicates(
    windows: &[WindowSpec],
    mut index_of: impl FnMut(&Path) -> Option<EmbeddingIndex>,
) -> Vec<Duplicate> {
    let mut indexes: BTreeMap<PathBuf, Option<EmbeddingIndex>> = BTreeMap::new();
    let positives: Vec<&WindowSpec> = windows
        .iter()
        .filter(|w| w.is_positive() && w.label != crate::dataset::PARTIAL_CALL_LABEL)
        .collect();
    if !positives.iter().any(|w| w.split == Split::Train)
        || positives.iter().all(|w| w.split == Split::Train)
    {
        return Vec::new();
    }
    for window in &positives {
        indexes
            .entry(window.path.clone())
            .or_insert_with(|| index_of(&window.path));
    }
    let prepared: Vec<Prepared> = positives
        .iter()
        .filter_map(|window| {
            let index = indexes.get(&window.path)?.as_ref()?;
            let template = Template::cut(
                index,
                QueryBox {
                    recording: ProjectRecordingId(0),
                    start_secs: window.start_secs,
                    end_secs: window.end_secs,
                    low_hz: 0.0,
                    high_hz: f64::MAX,
                },
            )
            .ok()?;
            let profile = template.profile();
            Some(Prepared {
                window,
                path: &window.path,
                row0: template.row0,
                template,
                profile,
            })
        })
        .collect();
    let mut found = Vec::new();
    let mut patch = Vec::new();
    for other in prepared.iter().filter(|p| p.window.split != Split::Train) {
        let Some(Some(index)) = indexes.get(other.path) else {
            continue;
        };
        let mut best: Option<(f32, &Prepared)> = None;
        for train in prepared.iter().filter(|p| p.window.split == Split::Train) {
            if train.template.rows.abs_diff(other.template.rows) > 1
                || dot(&train.profile, &other.profile) < PROFILE_PREFILTER
            {
                continue;
            }
            // The training call's cells against the other call's place, two cells either way.
            for row in other.row0.saturating_sub(2)..=other.row0 + 2 {
                if row + train.template.rows > index.rows() {
                    continue;
                }
                let similarity = train.template.correlation_at(index, row, &mut patch);
                if similarity >= DUPLICATE_CORRELATION && best.is_none_or(|(b, _)| similarity > b) {
                    best = Some((similarity, train));
                }
            }
        }
        if let Some((similarity, train)) = best {
            let place = |p: &Prepared| WindowPlace {
                source: p.window.source.clone(),
                start_secs: p.window.start_secs,
                split: p.window.split,
            };
            found.push(Duplicate {
                train: place(train),
                other: place(other),
                similarity,
            });
        }
    }
    found
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

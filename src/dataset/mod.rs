//! From a project to labelled training windows: selections, clip folders and background from
//! fully annotated recordings (crop rules in [`crop`]), splits by recording or group ([`split`]),
//! balancing, a spectrogram cache that crops in the spectrogram domain ([`cache`]) and
//! augmentation ([`augment`]).

pub mod augment;
pub mod batch;
pub mod cache;
pub mod crop;
pub mod folds;
pub mod propose;
pub mod split;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::annotation::{ProjectRecordingId, SelectionId, SelectionKind};
use crate::dsp::ModelInputSpec;
use crate::project::{Project, Split};

pub use augment::Augmentation;
pub use batch::InputMaker;
pub use cache::{CachedWindow, SpectrogramCache};
pub use crop::CropRange;
pub use folds::{FoldPlan, plan_folds};
pub use propose::{CallStats, InputProposal, call_stats, propose_input};
pub use split::SplitFractions;

/// The label of negatives that hold only a piece of a call (see [`crop::partial_call_starts`]).
pub const PARTIAL_CALL_LABEL: &str = "partial call";

/// Errors building a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("nothing to train on: {0}")]
    Empty(String),
    #[error("the model input is not valid: {0}")]
    Input(#[from] crate::dsp::DspError),
    #[error("cannot read a clip folder: {source}: {}", path.display())]
    ClipFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cancelled")]
    Cancelled,
}

/// How a project becomes windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetConfig {
    pub input: ModelInputSpec,
    pub seed: u64,
    pub fractions: SplitFractions,
    /// Background windows from fully annotated recordings keep this far from any positive.
    pub guard_secs: f64,
    /// At most this many background windows per fully annotated recording (seeded choice).
    pub max_background_per_recording: usize,
    /// In fully annotated recordings, negatives holding only a piece (this fraction) of a
    /// call at a window edge, so scores dip between close calls (0 = none). See
    /// [`crop::partial_call_starts`].
    #[serde(default)]
    pub partial_call_fraction: f64,
    /// The labels a multi-class model learns, one output each (two or more); empty: one
    /// output, every Positive selection a call (the single-class model). See
    /// [`WindowSpec::classes`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// A multi-class model also learns an explicit [`NOISE_CLASS`] from the negatives (drawn
    /// Negatives and background), as its last output, instead of only "none of these". Its
    /// scores are never detected: the model's classes are the others.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noise_class: bool,
    /// Folds of the blocked cross-validation that validates small projects (see
    /// [`split::assign_splits`] and [`folds`]); fewer than 2: no folds, and small projects are
    /// dealt as large ones (recordings set aside for validation by their positives).
    #[serde(default = "default_cv_folds")]
    pub cv_folds: usize,
}

fn default_cv_folds() -> usize {
    3
}

/// The explicit class of negatives (see [`DatasetConfig::noise_class`]).
pub const NOISE_CLASS: &str = "noise / other";

impl Default for DatasetConfig {
    fn default() -> Self {
        Self {
            input: ModelInputSpec::default(),
            seed: 1,
            fractions: SplitFractions::default(),
            guard_secs: 0.5,
            max_background_per_recording: 40,
            partial_call_fraction: 0.3,
            classes: Vec::new(),
            noise_class: false,
            cv_folds: default_cv_folds(),
        }
    }
}

/// Where a window comes from (kept in the model's manifest and used by error analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum WindowOrigin {
    Selection {
        id: SelectionId,
        recording: ProjectRecordingId,
    },
    Clip {
        path: PathBuf,
    },
    Background {
        recording: ProjectRecordingId,
    },
}

/// One labelled window source: a span of one audio file that any allowed crop may come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSpec {
    pub origin: WindowOrigin,
    pub path: PathBuf,
    /// Recording (or clip) name, for summaries.
    pub source: String,
    /// The group the split kept together.
    pub group: String,
    pub kind: SelectionKind,
    pub label: String,
    pub split: Split,
    pub crop: CropRange,
    /// Length of the audio file.
    pub duration_secs: f64,
    /// The selection's own span (the clip's or background window's span otherwise).
    pub start_secs: f64,
    pub end_secs: f64,
    /// For a multi-class model: the classes (indices into [`Dataset::classes`]) calling in
    /// this window — its own label's, and those of other classes' Positive selections it
    /// overlaps (overlapping calls of two species both count). Empty for negatives, for
    /// positives of labels that are no class ("none of these"), and in single-class datasets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<usize>,
}

impl WindowSpec {
    #[must_use]
    pub fn is_positive(&self) -> bool {
        self.kind == SelectionKind::Positive
    }

    /// What the network should say for it, one value per output (1 = calling): a
    /// single-class model's one output is "a Positive selection"; a multi-class model's are
    /// [`classes`](Self::classes).
    #[must_use]
    pub fn targets(&self, outputs: usize) -> Vec<f32> {
        if outputs <= 1 {
            return vec![if self.is_positive() { 1.0 } else { 0.0 }];
        }
        (0..outputs)
            .map(|c| if self.classes.contains(&c) { 1.0 } else { 0.0 })
            .collect()
    }
}

/// Counts of one split × kind × label cell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub split: String,
    pub kind: String,
    pub label: String,
    pub windows: usize,
}

/// A project recording as the dataset sees it: event-level validation scores whole recordings
/// that are fully annotated against their positives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRecording {
    pub id: ProjectRecordingId,
    pub path: PathBuf,
    pub name: String,
    pub duration_secs: f64,
    /// The split its windows went to (`Auto` when it gave no window).
    pub split: Split,
    pub fully_annotated: bool,
    /// Its Positive selections' spans, in time order.
    pub positives: Vec<(f64, f64)>,
    /// The label of each of [`positives`](Self::positives) (a multi-class model's event
    /// validation matches each class against its own calls).
    #[serde(default)]
    pub positive_labels: Vec<String>,
}

/// Windows from a project, split and ready for caching.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub windows: Vec<WindowSpec>,
    /// The project recordings the windows come from (clips are not recordings).
    pub recordings: Vec<DatasetRecording>,
    /// Problems that did not stop the build (unreadable clips, imbalance, tiny classes, leakage).
    pub warnings: Vec<String>,
    /// A multi-class dataset's classes, in output order (empty: one output, single-class).
    pub classes: Vec<String>,
    /// How the recordings were dealt into splits, for people.
    pub split_reason: String,
    /// A small project: nothing was set aside by chance (see [`split::assign_splits`]).
    pub small: bool,
}

impl Dataset {
    /// Builds the windows of `project`: every Positive and Negative selection of a present
    /// recording, every clip of the clip folders, and background from fully annotated
    /// recordings. `missing` recordings are left out with a warning.
    pub fn from_project(
        project: &Project,
        missing: &[ProjectRecordingId],
        config: &DatasetConfig,
    ) -> Result<Self, DatasetError> {
        config.input.validate()?;
        let window_secs = config.input.window_secs();
        let mut warnings = Vec::new();
        let mut windows = Vec::new();
        let mut dataset_recordings = Vec::new();
        let recordings: Vec<_> = project
            .recordings
            .iter()
            .filter(|r| {
                let gone = missing.contains(&r.id);
                if gone {
                    warnings.push(format!("left out (file missing): {}", r.path.display()));
                }
                !gone
            })
            .collect();
        for recording in &recordings {
            let group = recording.group.clone().unwrap_or_else(|| recording.name());
            let base = |origin, kind, label: String, crop, start_secs, end_secs| WindowSpec {
                origin,
                path: recording.path.clone(),
                source: recording.name(),
                group: group.clone(),
                kind,
                label,
                split: recording.split,
                crop,
                duration_secs: recording.duration_secs,
                start_secs,
                end_secs,
                classes: Vec::new(),
            };
            let mut positives = Vec::new();
            let mut labelled_positives = Vec::new();
            let mut dataset_recording = DatasetRecording {
                id: recording.id,
                path: recording.path.clone(),
                name: recording.name(),
                duration_secs: recording.duration_secs,
                split: Split::Auto,
                fully_annotated: recording.fully_annotated,
                positives: Vec::new(),
                positive_labels: Vec::new(),
            };
            for selection in project.selections.of_recording(recording.id) {
                if selection.kind == SelectionKind::Positive {
                    positives.push((selection.start_secs, selection.end_secs));
                    labelled_positives.push((
                        (selection.start_secs, selection.end_secs),
                        selection.label.clone(),
                    ));
                }
                windows.push(base(
                    WindowOrigin::Selection {
                        id: selection.id,
                        recording: recording.id,
                    },
                    selection.kind,
                    selection.label.clone(),
                    crop::selection_crop(
                        selection.start_secs,
                        selection.end_secs,
                        window_secs,
                        recording.duration_secs,
                    ),
                    selection.start_secs,
                    selection.end_secs,
                ));
            }
            labelled_positives.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
            (
                dataset_recording.positives,
                dataset_recording.positive_labels,
            ) = labelled_positives.into_iter().unzip();
            dataset_recordings.push(dataset_recording);
            if recording.fully_annotated {
                let mut starts = crop::background_starts(
                    &positives,
                    window_secs,
                    config.guard_secs,
                    recording.duration_secs,
                );
                let mut rng =
                    ChaCha8Rng::seed_from_u64(config.seed ^ u64::from(recording.id.0) << 20);
                starts.shuffle(&mut rng);
                starts.truncate(config.max_background_per_recording);
                starts.sort_by(f64::total_cmp);
                let partial = if config.partial_call_fraction > 0.0 {
                    crop::partial_call_starts(
                        &positives,
                        window_secs,
                        config.partial_call_fraction,
                        recording.duration_secs,
                    )
                } else {
                    Vec::new()
                };
                let labelled = starts
                    .into_iter()
                    .map(|s| (s, "background"))
                    .chain(partial.into_iter().map(|s| (s, PARTIAL_CALL_LABEL)));
                for (start, label) in labelled {
                    windows.push(base(
                        WindowOrigin::Background {
                            recording: recording.id,
                        },
                        SelectionKind::Negative,
                        label.to_owned(),
                        CropRange {
                            min_start_secs: start,
                            max_start_secs: start,
                        },
                        start,
                        start + window_secs,
                    ));
                }
            }
        }
        let recording_stems = clip_sources(project, &recordings);
        for folder in &project.clip_folders {
            let files = crate::audio::audio_files_in(&folder.path).map_err(|source| {
                DatasetError::ClipFolder {
                    path: folder.path.clone(),
                    source,
                }
            })?;
            for path in files {
                let info = match crate::audio::probe(&path) {
                    Ok(info) => info,
                    Err(e) => {
                        warnings.push(format!("clip left out: {e}"));
                        continue;
                    }
                };
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // A clip cut from a project recording (`<recording>_<start>_<end>.wav`) stays
                // on its recording's side of the split.
                let (group, split) = clip_source_stem(&path)
                    .and_then(|stem| recording_stems.get(&stem).cloned())
                    .unwrap_or_else(|| (name.clone(), Split::Auto));
                let duration_secs = info.duration_secs();
                windows.push(WindowSpec {
                    origin: WindowOrigin::Clip { path: path.clone() },
                    path,
                    source: name,
                    group,
                    kind: folder.kind,
                    label: folder
                        .label
                        .clone()
                        .unwrap_or_else(|| folder.kind.name().to_owned()),
                    split,
                    crop: crop::clip_crop(window_secs, duration_secs),
                    duration_secs,
                    start_secs: 0.0,
                    end_secs: duration_secs,
                    classes: Vec::new(),
                });
            }
        }
        if windows.is_empty() {
            return Err(DatasetError::Empty(
                "the project has no selections, clips or fully annotated recordings".to_owned(),
            ));
        }
        let dealt = assign(&mut windows, config);
        // Clips cut from test recordings (e.g. hard negatives from a review) follow them into
        // the test split: no leakage, but no training either — say so.
        let test_clips = windows
            .iter()
            .filter(|w| matches!(w.origin, WindowOrigin::Clip { .. }) && w.split == Split::Test)
            .filter(|w| clip_source_stem(&w.path).is_some_and(|s| recording_stems.contains_key(&s)))
            .count();
        if test_clips > 0 {
            warnings.push(format!(
                "{test_clips} clip(s) were cut from test recordings: they stay in the test split \
                 (no leakage) and do not train the model"
            ));
        }
        for recording in &mut dataset_recordings {
            recording.split = windows
                .iter()
                .find(|w| match &w.origin {
                    WindowOrigin::Selection { recording: r, .. }
                    | WindowOrigin::Background { recording: r } => *r == recording.id,
                    WindowOrigin::Clip { .. } => false,
                })
                .map_or(Split::Auto, |w| w.split);
        }
        let classes = if config.classes.len() >= 2 {
            let mut classes = config.classes.clone();
            if config.noise_class {
                classes.push(NOISE_CLASS.to_owned());
            }
            assign_classes(&mut windows, project, &classes, &mut warnings);
            classes
        } else {
            Vec::new()
        };
        let mut dataset = Self {
            windows,
            recordings: dataset_recordings,
            warnings,
            classes,
            split_reason: dealt.reason,
            small: dealt.small,
        };
        dataset.check_balance()?;
        Ok(dataset)
    }

    /// The clips of a noise folder as windows (background for mixing, never training examples):
    /// every audio file directly in `dir`, cropped anywhere. Unreadable files become warnings.
    pub fn noise_clips(
        dir: &std::path::Path,
        input: &ModelInputSpec,
    ) -> Result<Self, DatasetError> {
        let files =
            crate::audio::audio_files_in(dir).map_err(|source| DatasetError::ClipFolder {
                path: dir.to_path_buf(),
                source,
            })?;
        let window_secs = input.window_secs();
        let mut noise = Self::default();
        for path in files {
            match crate::audio::probe(&path) {
                Ok(info) => {
                    let duration_secs = info.duration_secs();
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    noise.windows.push(WindowSpec {
                        origin: WindowOrigin::Clip { path: path.clone() },
                        path,
                        source: name.clone(),
                        group: name,
                        kind: SelectionKind::Negative,
                        label: "noise".to_owned(),
                        split: Split::Train,
                        crop: crop::clip_crop(window_secs, duration_secs),
                        duration_secs,
                        start_secs: 0.0,
                        end_secs: duration_secs,
                        classes: Vec::new(),
                    });
                }
                Err(e) => noise.warnings.push(format!("noise clip left out: {e}")),
            }
        }
        if noise.windows.is_empty() {
            return Err(DatasetError::Empty(format!(
                "the noise folder has no readable audio: {}",
                dir.display()
            )));
        }
        Ok(noise)
    }

    /// Windows of one split.
    pub fn of_split(&self, split: Split) -> impl Iterator<Item = (usize, &WindowSpec)> {
        self.windows
            .iter()
            .enumerate()
            .filter(move |(_, w)| w.split == split)
    }

    /// `(positives, negatives)` in `split`.
    #[must_use]
    pub fn counts(&self, split: Split) -> (usize, usize) {
        self.of_split(split).fold((0, 0), |(p, n), (_, w)| {
            if w.is_positive() {
                (p + 1, n)
            } else {
                (p, n + 1)
            }
        })
    }

    /// Counts per split × kind × label, sorted.
    #[must_use]
    pub fn summary(&self) -> Vec<SummaryRow> {
        let mut counts: BTreeMap<(u8, String, String), usize> = BTreeMap::new();
        for w in &self.windows {
            let order = match w.split {
                Split::Train | Split::Auto => 0,
                Split::Validation => 1,
                Split::Test => 2,
            };
            *counts
                .entry((order, w.kind.name().to_owned(), w.label.clone()))
                .or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((order, kind, label), windows)| SummaryRow {
                split: ["train", "validation", "test"][usize::from(order)].to_owned(),
                kind,
                label,
                windows,
            })
            .collect()
    }

    /// Windows per recording (or clip group) and split: `(source group, split, positives,
    /// negatives)`.
    #[must_use]
    pub fn per_group(&self) -> Vec<(String, Split, usize, usize)> {
        let mut counts: BTreeMap<(String, &'static str), (Split, usize, usize)> = BTreeMap::new();
        for w in &self.windows {
            let entry = counts
                .entry((w.group.clone(), w.split.name()))
                .or_insert((w.split, 0, 0));
            if w.is_positive() {
                entry.1 += 1;
            } else {
                entry.2 += 1;
            }
        }
        counts
            .into_iter()
            .map(|((group, _), (split, p, n))| (group, split, p, n))
            .collect()
    }

    /// The training epoch's order: every train window once, positives oversampled to match the
    /// negatives (or the other way round when positives are the majority), shuffled.
    #[must_use]
    pub fn balanced_epoch(&self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        self.balanced_epoch_of(rng, &|_| true)
    }

    /// [`Self::balanced_epoch`] of the train windows that `keep` keeps (a cross-validation
    /// fold's training windows), balanced among themselves.
    #[must_use]
    pub fn balanced_epoch_of(
        &self,
        rng: &mut ChaCha8Rng,
        keep: &dyn Fn(usize) -> bool,
    ) -> Vec<usize> {
        if self.classes.len() >= 2 {
            return self.balanced_classes_epoch(rng, keep);
        }
        let (positives, negatives): (Vec<usize>, Vec<usize>) = self
            .of_split(Split::Train)
            .map(|(i, _)| i)
            .filter(|i| keep(*i))
            .partition(|i| self.windows[*i].is_positive());
        balance(positives, negatives, rng)
    }

    /// Outputs of a network trained on it: one per class, or one.
    #[must_use]
    pub fn outputs(&self) -> usize {
        self.classes.len().max(1)
    }

    /// The classes detection finds: all but an explicit [`NOISE_CLASS`] (always the last).
    #[must_use]
    pub fn called_classes(&self) -> &[String] {
        match self.classes.split_last() {
            Some((last, called)) if last == NOISE_CLASS => called,
            _ => &self.classes,
        }
    }

    /// A multi-class epoch: each class's windows (by their first class) oversampled to one
    /// count (the largest class's, or more when "none of these" windows outnumber the calls),
    /// then the "none of these" windows to the calls' count.
    fn balanced_classes_epoch(
        &self,
        rng: &mut ChaCha8Rng,
        keep: &dyn Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut per_class: Vec<Vec<usize>> = vec![Vec::new(); self.classes.len()];
        let mut none = Vec::new();
        for (i, w) in self.of_split(Split::Train).filter(|(i, _)| keep(*i)) {
            match w.classes.first() {
                Some(c) => per_class[*c].push(i),
                None => none.push(i),
            }
        }
        // Each class as often as the largest, and together at least as often as "none of
        // these" (so that balancing below repeats no class more than another).
        let present = per_class.iter().filter(|c| !c.is_empty()).count().max(1);
        let per_class_count = per_class
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(none.len().div_ceil(present));
        let mut calls = Vec::new();
        for mut class in per_class.into_iter().filter(|c| !c.is_empty()) {
            oversample(&mut class, per_class_count, rng);
            calls.extend(class);
        }
        balance(calls, none, rng)
    }
}

/// A small project's blocked cross-validation, over the dataset's recordings.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetFolds {
    pub plan: FoldPlan,
    /// The dataset recording (index into [`Dataset::recordings`]) of each of the plan's
    /// recordings.
    pub recordings: Vec<usize>,
    window_secs: f64,
}

/// Training needs at least this many positive windows: fewer make a useless model, so
/// training refuses with a message instead.
pub const MIN_TRAINING_POSITIVES: usize = 5;

/// Folds need this many positives each, or there are fewer folds.
pub const MIN_FOLD_POSITIVES: usize = 3;

impl Dataset {
    /// The blocked cross-validation that validates a small single-class project (see
    /// [`split::assign_splits`]): the training recordings that are fully annotated or hold
    /// positives, cut into `config.cv_folds` folds (fewer when there are fewer than
    /// [`MIN_FOLD_POSITIVES`] positives a fold), with a guard gap of one window plus
    /// `config.guard_secs`. `None` for large projects, projects with a validation split,
    /// multi-class datasets, or too few positives for two folds.
    #[must_use]
    pub fn folds(&self, config: &DatasetConfig) -> Option<DatasetFolds> {
        if !self.small || self.classes.len() >= 2 || self.counts(Split::Validation) != (0, 0) {
            return None;
        }
        let recordings: Vec<usize> = self
            .recordings
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.split == Split::Train && (r.fully_annotated || !r.positives.is_empty())
            })
            .map(|(i, _)| i)
            .collect();
        let positives: usize = recordings
            .iter()
            .map(|i| self.recordings[*i].positives.len())
            .sum();
        let folds = config.cv_folds.min(positives / MIN_FOLD_POSITIVES);
        let window_secs = config.input.window_secs();
        let list: Vec<folds::FoldRecording> = recordings
            .iter()
            .map(|i| folds::FoldRecording {
                duration_secs: self.recordings[*i].duration_secs,
                positives: self.recordings[*i].positives.clone(),
            })
            .collect();
        let plan = plan_folds(
            &list,
            folds,
            window_secs + config.guard_secs,
            window_secs / 2.0,
            config.seed,
        )?;
        Some(DatasetFolds {
            plan,
            recordings,
            window_secs,
        })
    }
}

impl Dataset {
    /// How training on this dataset will be validated, for people: the Train window and
    /// `syrinx train` show it before training.
    #[must_use]
    pub fn validation_plan(&self, config: &DatasetConfig) -> String {
        let (positives, _) = self.counts(Split::Validation);
        match self.folds(config) {
            Some(folds) => format!(
                "{}; validated by blocked cross-validation: {}; the folds choose the epochs and \
                 the threshold, then the final model trains on every training window",
                self.split_reason,
                folds.describe()
            ),
            None if positives > 0 => self.split_reason.clone(),
            None => format!(
                "{}; nothing to validate on (too few positives for folds, or none set aside): \
                 the threshold stays at its default",
                self.split_reason
            ),
        }
    }
}

impl DatasetFolds {
    /// The plan's index of the recording a window comes from (`None` for clips and recordings
    /// outside the plan).
    fn plan_recording(&self, dataset: &Dataset, window: &WindowSpec) -> Option<usize> {
        let id = match &window.origin {
            WindowOrigin::Selection { recording, .. } | WindowOrigin::Background { recording } => {
                *recording
            }
            WindowOrigin::Clip { .. } => return None,
        };
        self.recordings
            .iter()
            .position(|i| dataset.recordings[*i].id == id)
    }

    /// Whether window `index` trains fold `fold`: clips and windows of recordings outside the
    /// plan always do; others when no crop of theirs comes within the guard gap of the fold's
    /// blocks.
    #[must_use]
    pub fn trains(&self, dataset: &Dataset, fold: usize, index: usize) -> bool {
        let window = &dataset.windows[index];
        self.plan_recording(dataset, window).is_none_or(|r| {
            self.plan.trains(
                fold,
                r,
                window.crop.min_start_secs.min(window.start_secs),
                (window.crop.max_start_secs + self.window_secs).max(window.end_secs),
            )
        })
    }

    /// The fold that validates window `index` (its selection's centre lies in one of the
    /// fold's blocks); `None` for clips and windows outside the plan.
    #[must_use]
    pub fn validated_in(&self, dataset: &Dataset, index: usize) -> Option<usize> {
        let window = &dataset.windows[index];
        let r = self.plan_recording(dataset, window)?;
        self.plan
            .fold_at(r, f64::midpoint(window.start_secs, window.end_secs))
    }

    /// The spans of fold `fold` on fully annotated recordings, for event validation.
    #[must_use]
    pub fn event_spans(&self, dataset: &Dataset, fold: usize) -> Vec<folds::ValidationSpan> {
        self.plan
            .blocks_of(fold)
            .filter_map(|b| {
                let recording = *self.recordings.get(b.recording)?;
                dataset.recordings[recording]
                    .fully_annotated
                    .then_some(folds::ValidationSpan {
                        recording,
                        start_secs: b.start_secs,
                        end_secs: b.end_secs,
                    })
            })
            .collect()
    }

    /// One line for people: "53 positives in 3 recordings: 3 folds of ~4-minute blocks
    /// (17, 18, 18 positives), a 3 s guard gap".
    #[must_use]
    pub fn describe(&self) -> String {
        let per_fold = self.plan.positives_per_fold();
        let positives: usize = per_fold.iter().sum();
        format!(
            "{positives} positive(s) in {} recording(s): {} folds of blocks of about {:.1} min \
             ({} positive(s) validated in each), guard gap {:.1} s",
            self.recordings.len(),
            self.plan.folds,
            self.plan.median_block_secs() / 60.0,
            per_fold
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            self.plan.guard_secs
        )
    }
}

/// Every window, with the smaller of the two kinds oversampled to the larger's count, shuffled.
fn balance(
    mut positives: Vec<usize>,
    mut negatives: Vec<usize>,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    if positives.len() < negatives.len() {
        oversample(&mut positives, negatives.len(), rng);
    } else {
        oversample(&mut negatives, positives.len(), rng);
    }
    let mut order: Vec<usize> = positives.into_iter().chain(negatives).collect();
    order.shuffle(rng);
    order
}

/// Repeats `windows` (each round shuffled) until there are `count` (none when it is empty).
fn oversample(windows: &mut Vec<usize>, count: usize, rng: &mut ChaCha8Rng) {
    if windows.is_empty() {
        return;
    }
    let base = windows.clone();
    while windows.len() < count {
        let need = count - windows.len();
        let mut extra = base.clone();
        extra.shuffle(rng);
        windows.extend(extra.into_iter().take(need));
    }
}

/// Gives every window its classes (see [`WindowSpec::classes`]): a Positive window its own
/// label's and those of the classes' Positive selections of its recording it overlaps; a clip
/// its label's; a Negative window the [`NOISE_CLASS`] when it is one of `classes`. Warns about
/// classes with no training window.
fn assign_classes(
    windows: &mut [WindowSpec],
    project: &Project,
    classes: &[String],
    warnings: &mut Vec<String>,
) {
    let class_of = |label: &str| classes.iter().position(|c| c == label);
    for w in windows.iter_mut().filter(|w| w.is_positive()) {
        let mut found: Vec<usize> = class_of(&w.label).into_iter().collect();
        if let WindowOrigin::Selection { id, recording } = &w.origin {
            for other in project.selections.of_recording(*recording) {
                if other.id != *id
                    && other.kind == SelectionKind::Positive
                    && other.start_secs < w.end_secs
                    && w.start_secs < other.end_secs
                    && let Some(c) = class_of(&other.label)
                    && !found.contains(&c)
                {
                    found.push(c);
                }
            }
        }
        w.classes = found;
    }
    if let Some(noise) = class_of(NOISE_CLASS) {
        for w in windows.iter_mut().filter(|w| !w.is_positive()) {
            w.classes = vec![noise];
        }
    }
    for (c, name) in classes.iter().enumerate() {
        let n = windows
            .iter()
            .filter(|w| w.split == Split::Train && w.classes.first() == Some(&c))
            .count();
        if n == 0 {
            warnings.push(format!(
                "class \"{name}\" has no training window: the model cannot learn it"
            ));
        }
    }
}

impl Dataset {
    fn check_balance(&mut self) -> Result<(), DatasetError> {
        let (positives, negatives) = self.counts(Split::Train);
        if positives == 0 || negatives == 0 {
            return Err(DatasetError::Empty(format!(
                "the training split has {positives} positive and {negatives} negative window(s); \
                 both kinds are needed (draw negatives, add a negative clip folder, or mark \
                 recordings fully annotated)"
            )));
        }
        if positives < MIN_TRAINING_POSITIVES {
            return Err(DatasetError::Empty(format!(
                "only {positives} positive window(s) in training: a recogniser needs at least \
                 {MIN_TRAINING_POSITIVES} calls to learn anything that holds elsewhere (box more \
                 calls, or pin recordings with calls to training)"
            )));
        }
        // Partial-call windows are made from the positives themselves: they say nothing about
        // how many negatives the user has.
        let partial = self
            .of_split(Split::Train)
            .filter(|(_, w)| w.label == PARTIAL_CALL_LABEL)
            .count();
        let drawn_negatives = negatives - partial;
        if drawn_negatives > positives * 3 {
            self.warnings.push(format!(
                "negatives outnumber positives {drawn_negatives} to {positives} in training: \
                 positives are oversampled, but more positives would help"
            ));
        }
        for (kind, count) in [("positive", positives), ("negative", negatives)] {
            if count < 10 {
                self.warnings.push(format!(
                    "only {count} {kind} window(s) in training: the model will be unreliable"
                ));
            }
        }
        let (val_positives, val_negatives) = self.counts(Split::Validation);
        // A small project is validated by folds instead.
        if !self.small && (val_positives == 0 || val_negatives == 0) {
            self.warnings.push(format!(
                "the validation split has {val_positives} positive and {val_negatives} negative \
                 window(s): validation metrics will say little (pin recordings to validation)"
            ));
        }
        Ok(())
    }
}

/// Deals recordings (by group) into splits by their positives; windows follow their recording.
fn assign(windows: &mut [WindowSpec], config: &DatasetConfig) -> split::SplitOutcome {
    let items: Vec<split::SplitItem<'_>> = windows
        .iter()
        .map(|w| split::SplitItem {
            group: &w.group,
            pinned: w.split,
            positive: w.is_positive(),
        })
        .collect();
    let mut outcome = split::plan_splits(
        &items,
        config.fractions,
        config.seed,
        config.classes.len() < 2 && config.cv_folds >= 2,
    );
    for (window, split) in windows.iter_mut().zip(std::mem::take(&mut outcome.splits)) {
        window.split = split;
    }
    outcome
}

/// The group and split of the recording each clip stem names: the stem it is cut under
/// (`Project::recording_stems`: `north_20240518_052000` where two recordings share a stem) and,
/// for clips cut before such names, the plain file stem — shared by two recordings, the one in
/// the test split is taken, so that a clip of a test recording never trains.
fn clip_sources(
    project: &Project,
    recordings: &[&crate::project::ProjectRecording],
) -> BTreeMap<String, (String, Split)> {
    let stems = project.recording_stems();
    let mut sources: BTreeMap<String, (String, Split)> = BTreeMap::new();
    for recording in recordings {
        let source = (
            recording.group.clone().unwrap_or_else(|| recording.name()),
            recording.split,
        );
        let plain = recording
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(stem) = stems.get(&recording.id)
            && *stem != plain
        {
            sources.insert(stem.clone(), source.clone());
        }
        match sources.get(&plain) {
            Some((_, Split::Test)) => {}
            Some(_) if source.1 != Split::Test => {}
            _ => {
                sources.insert(plain, source);
            }
        }
    }
    sources
}

/// `<recording>` from a clip named `<recording>_<start>_<end>.<ext>`.
fn clip_source_stem(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let mut parts = stem.rsplitn(3, '_');
    let end = parts.next()?;
    let start = parts.next()?;
    let recording = parts.next()?;
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    (numeric(start) && numeric(end)).then(|| recording.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_names_lead_back_to_their_recording() {
        assert_eq!(
            clip_source_stem(std::path::Path::new(
                "x/SITE1_20240512_053000_12.500_15.000.wav"
            ))
            .as_deref(),
            Some("SITE1_20240512_053000")
        );
        assert_eq!(clip_source_stem(std::path::Path::new("frog.wav")), None);
    }
}

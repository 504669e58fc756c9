//! Detection runs as the project keeps them: a model's run over some recordings, with every
//! window's score (in the project's score files), the detections cut from them and the
//! reviewer's verdicts; the review queue's order; verdicts carried across a re-merge when the
//! new detection covers mostly the same time (see [`carry_verdicts`]). What review does with
//! them (negatives from false positives, evaluation, threshold evidence) is `crate::review`.

use std::path::PathBuf;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Project;
use super::score_files::{ScoreFileError, StoredScores};
use crate::annotation::{ProjectRecordingId, SelectionId};
use crate::detect::{Detection, MergeSettings, WindowScores, merge};

/// A reviewer's decision on a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    TruePositive,
    FalsePositive,
    Unsure,
}

impl Verdict {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::TruePositive => "true positive",
            Self::FalsePositive => "false positive",
            Self::Unsure => "unsure",
        }
    }

    /// The short form used in tables (`TP`, `FP`, `?`).
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Self::TruePositive => "TP",
            Self::FalsePositive => "FP",
            Self::Unsure => "?",
        }
    }
}

/// A detection with the reviewer's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewedDetection {
    #[serde(flatten)]
    pub detection: Detection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The selection made from it: the Negative of a false positive (so that adding false
    /// positives twice adds each once; an undone addition leaves an id that no longer exists,
    /// and it can be added again), or the Positive of the class it really is (see
    /// `review::plan_reclassified`), which no negative is then made for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative: Option<SelectionId>,
}

impl ReviewedDetection {
    /// An unreviewed detection.
    #[must_use]
    pub fn new(detection: Detection) -> Self {
        Self {
            detection,
            verdict: None,
            negative: None,
        }
    }

    /// Whether it carries anything a re-merge must not lose.
    #[must_use]
    pub fn is_reviewed(&self) -> bool {
        self.verdict.is_some() || self.negative.is_some()
    }
}

/// One recording's part of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingDetections {
    pub recording: ProjectRecordingId,
    /// Every window's score: in the project's side files on disk, read when needed.
    #[serde(default, skip_serializing)]
    pub scores: StoredScores,
    pub detections: Vec<ReviewedDetection>,
    /// Reviewed detections that a stricter threshold or merge removed: kept so that their
    /// verdicts come back when the settings do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_aside: Vec<ReviewedDetection>,
}

/// A model run over some of the project's recordings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionRun {
    /// 1, 2, … within the project.
    pub id: u32,
    /// The model folder (absolute in memory, relative to the project on disk).
    pub model_dir: PathBuf,
    /// The model's `created` stamp: identifies it even if the folder moves.
    pub model_id: String,
    /// The model's training iteration (0 when unknown).
    pub iteration: u32,
    pub hop_secs: f64,
    pub merge: MergeSettings,
    /// Label given to detections and to selections made from them.
    pub label: String,
    /// The model's training calls' band (detections are exported with it); `None` for models
    /// that do not know it (the whole spectrum then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_hz: Option<(f64, f64)>,
    /// What the run covers, in words ("survey", "test split", a folder): part of its name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Recordings scored, in the order they finished.
    pub recordings: Vec<RecordingDetections>,
    /// Recordings still to score (a cancelled or interrupted run resumes with these).
    #[serde(default)]
    pub pending: Vec<ProjectRecordingId>,
    /// Recordings that could not be scored, with why.
    #[serde(default)]
    pub failed: Vec<(ProjectRecordingId, String)>,
    /// Score → probability of a call, fitted from the run's verdicts and kept with it (Review's
    /// Calibration): exports give each detection its `Probability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::calibrate::Calibration>,
}

impl RecordingDetections {
    /// Merges the scores again with `settings`, carrying verdicts over (see [`carry_verdicts`]).
    /// When the scores cannot be read the detections stay as they were.
    pub fn remerge(&mut self, settings: &MergeSettings) -> Result<(), ScoreFileError> {
        let scores = self.scores.get()?;
        let mut old = std::mem::take(&mut self.detections);
        old.append(&mut self.set_aside);
        let (detections, set_aside) = carry_verdicts(old, merge(&scores, settings));
        self.detections = detections;
        self.set_aside = set_aside;
        Ok(())
    }
}

/// Where a detection sits in a run: `(index in recordings, index in detections)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DetectionRef {
    pub recording_idx: usize,
    pub detection_idx: usize,
}

/// How many detections have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewCounts {
    pub detections: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub unsure: usize,
}

impl ReviewCounts {
    #[must_use]
    pub fn reviewed(&self) -> usize {
        self.true_positives + self.false_positives + self.unsure
    }
}

/// The order of the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReviewOrder {
    ScoreHighFirst,
    ScoreLowFirst,
    Time,
    /// A seeded random sample (the same seed gives the same order).
    Random {
        seed: u64,
    },
}

impl ReviewOrder {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ScoreHighFirst => "score, high first",
            Self::ScoreLowFirst => "score, low first",
            Self::Time => "time",
            Self::Random { .. } => "random sample",
        }
    }
}

/// A threshold with as few decimals as give it exactly (0.5, 0.25, 0.998), at most four, cut
/// rather than rounded beyond that so that 0.99999 never reads as 1.
fn threshold_text(threshold: f32) -> String {
    let threshold = f64::from(threshold);
    (1..=4)
        .map(|decimals| format!("{threshold:.decimals$}"))
        .find(|text| {
            text.parse::<f64>()
                .is_ok_and(|shown| (shown - threshold).abs() < 1e-6)
        })
        .unwrap_or_else(|| format!("{:.4}", (threshold * 1e4).floor() / 1e4))
}

impl DetectionRun {
    /// An empty run of a model over `recordings` (scored later with [`add_scores`](Self::add_scores)).
    #[must_use]
    pub fn new(
        id: u32,
        model_dir: PathBuf,
        info: &crate::model::ModelInfo,
        hop_secs: f64,
        merge: MergeSettings,
        recordings: Vec<ProjectRecordingId>,
    ) -> Self {
        let label = info.manifest.positive_labels.join(" / ");
        Self {
            id,
            model_dir,
            model_id: info.created.clone(),
            iteration: info.manifest.iteration,
            hop_secs,
            merge,
            label: if label.is_empty() {
                "positive".to_owned()
            } else {
                label
            },
            band_hz: info.detection.and_then(|d| d.band_hz),
            scope: String::new(),
            recordings: Vec::new(),
            pending: recordings,
            failed: Vec::new(),
            calibration: None,
        }
    }

    /// A new, empty run of the model in `model_dir` over `recordings` of `project`, as the Detect
    /// window and `syrinx detect --project` make it: the project's next run id, and the model's
    /// iteration in the project when it is one of the project's models (else the model's own).
    #[must_use]
    pub fn for_project(
        project: &Project,
        model_dir: &std::path::Path,
        info: &crate::model::ModelInfo,
        hop_secs: f64,
        merge: MergeSettings,
        recordings: Vec<ProjectRecordingId>,
    ) -> Self {
        let model_dir = std::path::absolute(model_dir).unwrap_or_else(|_| model_dir.to_path_buf());
        let mut run = Self::new(
            project.next_run_id(),
            model_dir.clone(),
            info,
            hop_secs,
            merge,
            recordings,
        );
        let iteration = project.iteration_of(&model_dir);
        if iteration > 0 {
            run.iteration = iteration;
        }
        run
    }

    /// The run as lists show it: "run 3 · model_02 (iteration 2) · warbler ≥ 0.5 · test split"
    /// (two runs of one model differ by their threshold: a calibration sample's from 0.2 and the
    /// answer's at the model's own).
    #[must_use]
    pub fn name(&self) -> String {
        let model = self
            .model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut name = format!(
            "run {} · {model} (iteration {}) · {} ≥ {}",
            self.id,
            self.iteration,
            self.label,
            threshold_text(self.merge.threshold)
        );
        if !self.scope.is_empty() {
            name.push_str(" · ");
            name.push_str(&self.scope);
        }
        name
    }

    /// Stores one recording's scores (merged with the run's settings) and takes it off the
    /// pending list. Scoring it again replaces the old scores (verdicts carried over).
    pub fn add_scores(&mut self, recording: ProjectRecordingId, scores: WindowScores) {
        self.pending.retain(|r| *r != recording);
        self.failed.retain(|(r, _)| *r != recording);
        let merge_settings = self.merge;
        let detections = merge(&scores, &merge_settings);
        if let Some(existing) = self
            .recordings
            .iter_mut()
            .find(|r| r.recording == recording)
        {
            let mut old = std::mem::take(&mut existing.detections);
            old.append(&mut existing.set_aside);
            (existing.detections, existing.set_aside) = carry_verdicts(old, detections);
            existing.scores = StoredScores::in_memory(scores);
        } else {
            self.recordings.push(RecordingDetections {
                recording,
                detections: detections.into_iter().map(ReviewedDetection::new).collect(),
                set_aside: Vec::new(),
                scores: StoredScores::in_memory(scores),
            });
        }
    }

    /// Notes that a recording could not be scored (it stays off the pending list).
    pub fn add_failure(&mut self, recording: ProjectRecordingId, why: String) {
        self.pending.retain(|r| *r != recording);
        self.failed.retain(|(r, _)| *r != recording);
        self.failed.push((recording, why));
    }

    /// Re-merges every recording with new settings, without running the model again. Returns
    /// the recordings whose scores could not be read (their detections stay as they were).
    #[must_use]
    pub fn set_merge(&mut self, settings: MergeSettings) -> Vec<ScoreFileError> {
        self.merge = settings;
        self.recordings
            .iter_mut()
            .filter_map(|recording| recording.remerge(&settings).err())
            .collect()
    }

    /// Records which Negative selections were made from which detections (after they were
    /// inserted; see `review::NegativesPlan::made`).
    pub fn mark_negatives(&mut self, made: impl IntoIterator<Item = (SelectionId, DetectionRef)>) {
        for (selection, at) in made {
            if let Some(d) = self.get_mut(at) {
                d.negative = Some(selection);
            }
        }
    }

    #[must_use]
    pub fn of_recording(&self, recording: ProjectRecordingId) -> Option<&RecordingDetections> {
        self.recordings.iter().find(|r| r.recording == recording)
    }

    #[must_use]
    pub fn get(&self, at: DetectionRef) -> Option<&ReviewedDetection> {
        self.recordings
            .get(at.recording_idx)?
            .detections
            .get(at.detection_idx)
    }

    pub fn get_mut(&mut self, at: DetectionRef) -> Option<&mut ReviewedDetection> {
        self.recordings
            .get_mut(at.recording_idx)?
            .detections
            .get_mut(at.detection_idx)
    }

    /// The recording a detection belongs to.
    #[must_use]
    pub fn recording_of(&self, at: DetectionRef) -> Option<ProjectRecordingId> {
        self.recordings.get(at.recording_idx).map(|r| r.recording)
    }

    /// Sets a verdict; returns the one it replaced.
    pub fn set_verdict(&mut self, at: DetectionRef, verdict: Option<Verdict>) -> Option<Verdict> {
        self.get_mut(at)
            .and_then(|d| std::mem::replace(&mut d.verdict, verdict))
    }

    #[must_use]
    pub fn counts(&self) -> ReviewCounts {
        let mut counts = ReviewCounts::default();
        for d in self.recordings.iter().flat_map(|r| &r.detections) {
            counts.detections += 1;
            match d.verdict {
                Some(Verdict::TruePositive) => counts.true_positives += 1,
                Some(Verdict::FalsePositive) => counts.false_positives += 1,
                Some(Verdict::Unsure) => counts.unsure += 1,
                None => {}
            }
        }
        counts
    }

    /// Detections per recording (the count of calls).
    #[must_use]
    pub fn call_counts(&self) -> Vec<(ProjectRecordingId, usize)> {
        self.recordings
            .iter()
            .map(|r| (r.recording, r.detections.len()))
            .collect()
    }

    /// Seconds of audio scored.
    #[must_use]
    pub fn audio_secs(&self, project: &Project) -> f64 {
        self.recordings
            .iter()
            .filter_map(|r| project.recording(r.recording))
            .map(|r| r.duration_secs)
            .sum()
    }

    /// Every detection in the order asked for (recordings in project order, then time, break
    /// ties in score orders).
    #[must_use]
    pub fn queue(&self, order: ReviewOrder) -> Vec<DetectionRef> {
        let mut refs: Vec<DetectionRef> = self
            .recordings
            .iter()
            .enumerate()
            .flat_map(|(recording_idx, r)| {
                (0..r.detections.len()).map(move |detection_idx| DetectionRef {
                    recording_idx,
                    detection_idx,
                })
            })
            .collect();
        let score = |at: &DetectionRef| self.get(*at).map_or(0.0, |d| d.detection.max_score);
        let key = |at: &DetectionRef| {
            (
                self.recordings[at.recording_idx].recording,
                self.get(*at).map_or(0.0, |d| d.detection.start_secs),
            )
        };
        let by_time = |a: &DetectionRef, b: &DetectionRef| {
            let (ra, ta) = key(a);
            let (rb, tb) = key(b);
            ra.cmp(&rb).then(ta.total_cmp(&tb))
        };
        match order {
            ReviewOrder::Time => refs.sort_by(by_time),
            ReviewOrder::ScoreHighFirst => {
                refs.sort_by(|a, b| score(b).total_cmp(&score(a)).then(by_time(a, b)));
            }
            ReviewOrder::ScoreLowFirst => {
                refs.sort_by(|a, b| score(a).total_cmp(&score(b)).then(by_time(a, b)));
            }
            ReviewOrder::Random { seed } => {
                refs.sort_by(by_time);
                refs.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
            }
        }
        refs
    }
}

/// Gives new detections the verdicts of old ones covering mostly the same time: a new detection
/// takes the verdict of the old one it overlaps most, when that overlap is at least half of the
/// shorter of the two; each old verdict goes to one new detection at most. Returns the new
/// detections and the reviewed old ones no new detection took (keep them: a later merge may).
#[must_use]
pub fn carry_verdicts(
    old: Vec<ReviewedDetection>,
    new: Vec<Detection>,
) -> (Vec<ReviewedDetection>, Vec<ReviewedDetection>) {
    let mut old: Vec<Option<ReviewedDetection>> = old
        .into_iter()
        .filter(ReviewedDetection::is_reviewed)
        .map(Some)
        .collect();
    let overlap = |a: &Detection, b: &Detection| {
        let shared = a.end_secs.min(b.end_secs) - a.start_secs.max(b.start_secs);
        let shorter = (a.end_secs - a.start_secs).min(b.end_secs - b.start_secs);
        (shared, shorter)
    };
    let carried = new
        .into_iter()
        .map(|detection| {
            let best = old
                .iter()
                .enumerate()
                .filter_map(|(i, o)| o.as_ref().map(|o| (i, overlap(&detection, &o.detection))))
                .filter(|(_, (shared, shorter))| *shared > 0.0 && *shared >= 0.5 * shorter)
                .max_by(|(_, a), (_, b)| a.0.total_cmp(&b.0))
                .map(|(i, _)| i);
            match best.and_then(|i| old[i].take()) {
                Some(o) => ReviewedDetection {
                    detection,
                    verdict: o.verdict,
                    negative: o.negative,
                },
                None => ReviewedDetection::new(detection),
            }
        })
        .collect();
    (carried, old.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::threshold_text;

    /// Two runs of one model read apart by their thresholds: a calibrated 0.998 is not shown
    /// as 1.00, 0.5 not as 0.50, and 0.99999 not as 1.
    #[test]
    fn thresholds_show_their_decimals_and_are_never_rounded_up_to_one() {
        let shown: Vec<String> = [0.5, 0.2, 0.25, 0.998, 0.9995, 1.0, 0.123_45, 0.999_99]
            .into_iter()
            .map(threshold_text)
            .collect();
        assert_eq!(
            shown,
            [
                "0.5", "0.2", "0.25", "0.998", "0.9995", "1.0", "0.1234", "0.9999"
            ]
        );
    }
}

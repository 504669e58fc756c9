//! Training: the plan of a run (`plan`: resolved once from the project and what was asked, by
//! the Train window and `syrinx train` alike) and the loop (`fit`: a dataset and its
//! spectrogram cache → a model artifact, reporting through a callback and checking a cancel
//! flag between batches, so the app's background job and the command line run the same code).

use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::dataset::{Augmentation, Dataset, DatasetConfig};
use crate::model::artifact::{DatasetManifest, EpochMetrics};
use crate::model::{ComputeDevice, ModelError, NetworkConfig};

mod fit;
mod plan;

pub use fit::{ScoredWindow, TrainOutcome, train};
pub(crate) use fit::{complete_manifest, now_rfc3339, training_calls};

pub use plan::{
    ClassRequest, InputPlan, InputSource, PLAN_FILE, PlanError, PlanFileError, TrainPlan,
    TrainRequest, input_from, project_config, project_config_from, too_few_classes, training_input,
};

/// Errors training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("training stopped: {0}")]
    Failed(String),
    #[error("training cancelled")]
    Cancelled,
    /// The settings' network does not have one output per class of the dataset.
    #[error(
        "the network has {network} output(s) but the dataset {classes} class(es): resolve the settings with TrainPlan"
    )]
    Outputs { network: usize, classes: usize },
}

/// Settings the user chooses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Stop when validation loss has not improved for this many epochs (0 = never stop early).
    pub patience: usize,
    pub seed: u64,
    pub augmentation: Augmentation,
    pub network: NetworkConfig,
    pub device: ComputeDevice,
    /// Worker threads for the network (0 = all cores but one when there are more than two).
    pub threads: usize,
    /// Score at or above which a window counts as positive (when not picked from validation).
    pub threshold: f32,
    /// Pick the threshold with the best validation F1 (the test split is never used for it).
    pub pick_threshold: bool,
    /// Mix background from this folder's recordings (otherwise from training negatives).
    #[serde(default)]
    pub noise_dir: Option<std::path::PathBuf>,
    /// Networks trained with consecutive seeds whose scores are averaged (1 = one network).
    #[serde(default = "one_member")]
    pub ensemble: usize,
    /// After each epoch, the batch norms' statistics are measured on unaugmented training
    /// windows in their natural proportions (mostly background, as detection sees) instead of
    /// kept as a momentum average of the last oversampled, augmented batches.
    #[serde(default = "yes")]
    pub precise_norms: bool,
    /// Targets pulled this far towards ½ (0 = hard 0/1 targets): a network trained on a few
    /// dozen oversampled calls otherwise drives every score to exactly 1, calls and
    /// look-alikes alike, and no threshold can rank them.
    #[serde(default)]
    pub label_smoothing: f32,
    /// The network sees context around each window (where the front end can stream), so
    /// detection runs it once over each recording and scores every window from the shared
    /// features ([`crate::scoring::dense`]); off: each window on its own, as before.
    #[serde(default = "context_by_default")]
    pub context: bool,
}

/// Whether new models see context unless told otherwise (see [`TrainSettings::context`]).
/// Off: on the real right-whale benchmark (`examples/recognisers.rs`), models with context
/// found as many calls or more but made two to three times the false positives per hour at the threshold
/// validation chose, over three seeds; dense detection stays a choice until that is solved.
pub const CONTEXT_BY_DEFAULT: bool = false;

fn context_by_default() -> bool {
    CONTEXT_BY_DEFAULT
}

fn yes() -> bool {
    true
}

fn one_member() -> usize {
    1
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 32,
            learning_rate: 2e-3,
            patience: 6,
            seed: 1,
            augmentation: Augmentation::default(),
            network: NetworkConfig::default(),
            device: ComputeDevice::Cpu,
            threads: 0,
            threshold: 0.5,
            pick_threshold: true,
            noise_dir: None,
            ensemble: 1,
            precise_norms: true,
            label_smoothing: 0.0,
            context: CONTEXT_BY_DEFAULT,
        }
    }
}

impl TrainSettings {
    /// The context these settings give `input` (0 when [`Self::context`] is off or the input
    /// cannot stream).
    #[must_use]
    pub fn context_frames_for(&self, input: &crate::dsp::ModelInputSpec) -> u16 {
        if self.context {
            self.network.context_frames_for(input)
        } else {
            0
        }
    }

    /// Threads the network may use: all but one core on machines with more than two, so the
    /// window stays responsive.
    #[must_use]
    pub fn worker_threads(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        if cores > 2 { cores - 1 } else { cores }
    }
}

/// What the trainer reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// Spectrograms of the windows' regions being computed.
    Caching { done: usize, total: usize },
    /// A batch finished.
    Batch {
        epoch: usize,
        batch: usize,
        batches: usize,
        loss: f64,
        elapsed_secs: f64,
    },
    /// An epoch finished (with its validation metrics).
    Epoch(EpochMetrics),
    /// A new stage of a cross-validated training begins (a fold, then the final model): the
    /// epochs reported after it start again from 1.
    Stage(String),
}

/// How an epoch ranks for keeping (higher is better): the mean validation event F1 first,
/// then the validation loss (the training loss without validation), negated.
#[must_use]
pub fn epoch_key(metrics: &EpochMetrics) -> (f64, f64) {
    let loss = metrics
        .validation
        .as_ref()
        .map_or(metrics.train_loss, |m| m.loss);
    (metrics.validation_events_mean_f1.unwrap_or(0.0), -loss)
}

/// How many epochs a run will last as far as the epochs so far tell: early stopping ends it
/// `patience` epochs after the best one (see [`epoch_key`]), and never past `max_epochs`.
/// What an estimate of the time left should count on, not the maximum.
#[must_use]
pub fn expected_epochs(epochs: &[EpochMetrics], max_epochs: usize, patience: usize) -> usize {
    let max_epochs = max_epochs.max(1);
    if patience == 0 {
        return max_epochs;
    }
    let mut best: Option<(&EpochMetrics, (f64, f64))> = None;
    for metrics in epochs {
        let key = epoch_key(metrics);
        if best.as_ref().is_none_or(|(_, b)| key > *b) {
            best = Some((metrics, key));
        }
    }
    let best_epoch = best.map_or(0, |(m, _)| m.epoch);
    // Epochs already run count even past the maximum (clamp would panic on min > max).
    (best_epoch + patience)
        .min(max_epochs)
        .max(epochs.len().max(1))
}

/// Positive selections a label needs to be a class by default (`syrinx train --classes all`,
/// the labels the Train window ticks at first).
pub const MIN_CLASS_EXAMPLES: usize = 3;

/// Trains on a project: builds its dataset (leaving `missing` recordings out), trains, and
/// records the project in the manifest. The caller saves the artifact.
pub fn train_project(
    project: &crate::project::Project,
    project_path: Option<&std::path::Path>,
    missing: &[crate::annotation::ProjectRecordingId],
    config: &DatasetConfig,
    settings: &TrainSettings,
    cancel: &AtomicBool,
    report: &mut (dyn FnMut(TrainEvent) + Send),
) -> Result<TrainOutcome, TrainError> {
    let dataset = Dataset::from_project(project, missing, config)?;
    let manifest = DatasetManifest {
        project: project_path.map(std::path::Path::to_path_buf),
        iteration: project.next_iteration(),
        positive_band_hz: crate::dataset::call_stats(project, missing).and_then(|c| c.band_hz),
        ..DatasetManifest::default()
    };
    train(&dataset, config, settings, manifest, cancel, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, mean_f1: f64, train_loss: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            train_loss,
            train_accuracy: 0.9,
            validation: None,
            validation_events: None,
            validation_events_mean_f1: Some(mean_f1),
            secs: 1.0,
        }
    }

    #[test]
    fn the_expected_length_follows_the_best_epoch_not_the_maximum() {
        // Nothing yet: the best could be anywhere up to patience epochs in.
        assert_eq!(expected_epochs(&[], 60, 6), 6);
        // Best at 2 (F1 first, then loss): stops at 8 of 60.
        let seen = [epoch(1, 0.5, 0.4), epoch(2, 0.8, 0.3), epoch(3, 0.8, 0.35)];
        assert_eq!(expected_epochs(&seen, 60, 6), 8);
        // Still improving at 10: 16. Never past the maximum, never before the epochs seen.
        let improving: Vec<_> = (1..=10).map(|e| epoch(e, 0.1 * e as f64, 1.0)).collect();
        assert_eq!(expected_epochs(&improving, 60, 6), 16);
        assert_eq!(expected_epochs(&improving, 12, 6), 12);
        assert_eq!(expected_epochs(&seen, 60, 0), 60, "no early stopping");
        assert_eq!(expected_epochs(&seen, 2, 6), 3);
    }
}

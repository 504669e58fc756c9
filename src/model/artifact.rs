//! The model artifact: a folder with the weights (`weights.bpk`, burn's burnpack) and
//! `model.json` — network, input (sample rate, spectrogram parameters, window), classes,
//! threshold, training settings, metrics per epoch, final validation and test metrics, the
//! dataset manifest and the app version. Loading checks it fits this build and explains why not.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::{CallNet, ModelError, NetworkConfig};
use crate::dsp::ModelInputSpec;
use crate::metrics::SplitMetrics;

/// The artifact format this version writes and reads.
pub const ARTIFACT_VERSION: u32 = 1;
const INFO_FILE: &str = "model.json";
const WEIGHTS_FILE: &str = "weights.bpk";

/// One epoch's numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub validation: Option<SplitMetrics>,
    /// Event-level metrics on the validation recordings at their best threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_events: Option<crate::metrics::EventMetrics>,
    /// Mean event F1 over the thresholds tried (what picks the kept epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_events_mean_f1: Option<f64>,
    pub secs: f64,
}

/// What the model was trained on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetManifest {
    /// The project file, when there was one.
    pub project: Option<PathBuf>,
    pub iteration: u32,
    /// `(recording or clip group, split, positive windows, negative windows)`.
    pub groups: Vec<(String, String, usize, usize)>,
    /// Ids of the selections used.
    pub selections: Vec<u64>,
    /// Clip files used.
    pub clips: Vec<PathBuf>,
    pub background_windows: usize,
    pub positive_labels: Vec<String>,
    /// The positives' band (5th percentile of low edges, 95th of high edges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_band_hz: Option<(f64, f64)>,
}

/// Everything in `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub artifact_version: u32,
    pub app_version: String,
    pub created: String,
    pub network: NetworkConfig,
    pub input: ModelInputSpec,
    pub classes: Vec<String>,
    pub threshold: f32,
    /// Training settings as the trainer saw them.
    pub training: serde_json::Value,
    pub epochs: Vec<EpochMetrics>,
    /// The epoch whose weights were kept (lowest validation loss).
    pub best_epoch: usize,
    pub validation: Option<SplitMetrics>,
    pub test: Option<SplitMetrics>,
    pub manifest: DatasetManifest,
    /// How detection turns this model's scores into calls: hop, peak picking, the training
    /// calls' typical length and band. Models from before peaks have none (runs of positive
    /// windows are merged, 0.5 s apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<crate::detect::DetectionDefaults>,
    /// Event-level metrics on the validation recordings (the matcher of `syrinx evaluate`) at
    /// the kept epoch and threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_events: Option<crate::metrics::EventMetrics>,
    /// Event-level metrics on the fully annotated test recordings at the chosen threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_events: Option<crate::metrics::EventMetrics>,
    /// Networks whose scores are averaged (trained with consecutive seeds); 1 = a single one.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub ensemble: usize,
    /// A multi-class model's classes, in output order, with their thresholds and metrics
    /// (empty for a single-class model, whose `classes` are `negative, positive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_metrics: Vec<crate::metrics::ClassMetrics>,
    /// A multi-class model's confusion matrices (validation, test).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confusions: Vec<crate::metrics::ClassConfusion>,
    /// A model made of a pretrained ONNX embedder and a head trained on its embeddings
    /// (`head.json` beside; no network weights): the embedder it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedder: Option<crate::embed::EmbedderRef>,
    /// How a small project's blocked cross-validation chose the epochs and threshold (its
    /// pooled out-of-fold figures are `validation` and `validation_events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
    /// How far the training recordings lay from the network's first statistics: recordings
    /// to score that lie much further are called unlike them (see `scoring::domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainReference>,
}

/// A recording is unlike the training recordings beyond this many times the farthest training
/// recording's distance.
pub const UNLIKE_FACTOR: f64 = 2.0;

/// Distances under this are never unlike (features a little off in every direction).
pub const MIN_UNLIKE_DISTANCE: f64 = 0.5;

/// How far the training recordings lay from the model's statistics (saved with the model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainReference {
    /// Each training recording's distance.
    pub training: Vec<(String, f64)>,
}

impl DomainReference {
    /// The distance beyond which a recording is unlike the training recordings.
    #[must_use]
    pub fn limit(&self) -> f64 {
        let farthest = self.training.iter().map(|(_, d)| *d).fold(0.0, f64::max);
        (farthest * UNLIKE_FACTOR).max(MIN_UNLIKE_DISTANCE)
    }
}

/// A blocked cross-validation's choices (see `dataset::folds`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    pub folds: usize,
    /// The folds, for people ("53 positives in 3 recordings: 3 folds of …").
    pub description: String,
    /// Epochs the final model trained on everything: the best of the smoothed curve.
    pub chosen_epochs: usize,
    /// Per epoch, the folds' pooled mean event F1 over thresholds (minus the pooled window
    /// loss when no recording is fully annotated).
    pub curve: Vec<f64>,
    /// Each fold's calls at the chosen threshold (`None`: no fully annotated block).
    pub fold_events: Vec<Option<crate::metrics::EventMetrics>>,
}

fn one() -> usize {
    1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_one(n: &usize) -> bool {
    *n == 1
}

impl ModelInfo {
    /// What the model is, in a line for people choosing one: its classes, iteration, what it
    /// was trained on and when ("warbler · iteration 2 · 64 positive and 410 negative windows
    /// from 8 recordings · 2026-12-07").
    #[must_use]
    pub fn describe(&self) -> String {
        let (positives, negatives) = self
            .manifest
            .groups
            .iter()
            .fold((0, 0), |(p, n), g| (p + g.2, n + g.3));
        let classes = if self.classes.is_empty() {
            self.manifest.positive_labels.join(" / ")
        } else {
            self.classes.join(", ")
        };
        let mut line = format!("{classes} · iteration {}", self.manifest.iteration);
        if !self.manifest.groups.is_empty() {
            line.push_str(&format!(
                " · {positives} positive and {negatives} negative windows from {} recording(s)",
                self.manifest.groups.len()
            ));
        }
        if let Some(day) = self.created.get(..10) {
            line.push_str(" · ");
            line.push_str(day);
        }
        line
    }

    /// Seconds between window starts detection uses by default (on the dense grid for an
    /// input with context: see [`Self::hop_on_grid`]).
    #[must_use]
    pub fn detection_hop_secs(&self) -> f64 {
        self.hop_on_grid(self.detection.as_ref().map_or(0.5, |d| d.hop_secs))
    }

    /// `hop_secs` as detection runs it: for an input with context, the nearest whole multiple
    /// of the network's dense hop ([`NetworkConfig::dense_hop_frames`]), so every window is
    /// scored from shared features; otherwise unchanged.
    #[must_use]
    pub fn hop_on_grid(&self, hop_secs: f64) -> f64 {
        if self.embedder.is_some() {
            return hop_secs;
        }
        self.network.hop_on_grid(&self.input, hop_secs)
    }

    /// One line on the hop grid for people (`None` without context).
    #[must_use]
    pub fn hop_grid_text(&self) -> Option<String> {
        (self.input.context_frames > 0 && self.embedder.is_none()).then(|| {
            let frames = self.network.dense_hop_frames();
            let frame_secs = self.input.spectrogram.hop_secs(self.input.sample_rate_hz);
            format!(
                "scored densely: hops are whole multiples of {:.3} s ({frames} spectrogram \
                 frames, half the network's stride)",
                frames as f64 * frame_secs
            )
        })
    }

    /// How detection turns scores into calls by default: the model's threshold and, for models
    /// that carry them, its peak-picking settings.
    #[must_use]
    pub fn merge_settings(&self) -> crate::detect::MergeSettings {
        crate::detect::MergeSettings {
            threshold: self.threshold,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: self.detection.as_ref().map(|d| d.peaks),
        }
    }
}

/// A loaded (or freshly trained) model: its description and network(s).
#[derive(Debug, Clone)]
pub struct ModelArtifact {
    pub info: ModelInfo,
    pub net: CallNet,
    /// The ensemble's other members (`info.ensemble − 1` of them), scored with `net` and
    /// averaged.
    pub members: Vec<CallNet>,
    /// A model on a pretrained embedder: its embedder and head, which score and embed in place
    /// of the network (`net` is then the small unused one its `info.network` describes).
    pub head: Option<std::sync::Arc<crate::embed::HeadModel>>,
}

/// The weights file of ensemble member `index` (0 = `weights.bpk`).
fn weights_file(index: usize) -> String {
    if index == 0 {
        WEIGHTS_FILE.to_owned()
    } else {
        format!("weights_{}.bpk", index + 1)
    }
}

impl ModelArtifact {
    /// Writes `dir/model.json` and `dir/weights.bpk` (the folder is created). Each file is
    /// written beside its final name and renamed, so an interrupted save never leaves a
    /// half-written model under the final names.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        let write_error = |detail: String| ModelError::Write {
            path: dir.to_path_buf(),
            detail,
        };
        std::fs::create_dir_all(dir).map_err(|e| write_error(e.to_string()))?;
        if let Some(head) = &self.head {
            head.weights
                .save(dir)
                .map_err(|e| write_error(format!("head: {e}")))?;
        }
        for (index, net) in self.nets().enumerate().filter(|_| self.head.is_none()) {
            let name = weights_file(index);
            // A name of its own, so two trainings writing one folder never mix their bytes.
            let partial = crate::util::fsutil::temp_file_beside(&dir.join(&name))
                .map_err(|e| write_error(e.to_string()))?
                .into_temp_path();
            net.clone()
                .save_file(&*partial)
                .map_err(|e| write_error(format!("weights: {e}")))?;
            // On disk before the rename, so a power cut never leaves a named, empty file.
            std::fs::File::open(&*partial)
                .and_then(|file| file.sync_all())
                .map_err(|e| write_error(e.to_string()))?;
            partial
                .persist(dir.join(&name))
                .map_err(|e| write_error(e.error.to_string()))?;
        }
        let json =
            serde_json::to_string_pretty(&self.info).map_err(|e| write_error(e.to_string()))?;
        crate::util::fsutil::write_atomically(&dir.join(INFO_FILE), json.as_bytes())
            .map_err(|e| write_error(e.to_string()))?;
        Ok(())
    }

    /// Reads a model folder (or its `model.json`) onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self, ModelError> {
        let dir = model_dir(path);
        let info = Self::read_info(&dir)?;
        if let Some(embedder) = &info.embedder {
            let head = crate::embed::HeadModel::load(&dir, &embedder.spec, &embedder.key)?;
            let net = info.network.init(&info.input, device);
            return Ok(Self {
                info,
                net,
                members: Vec::new(),
                head: Some(std::sync::Arc::new(head)),
            });
        }
        let load = |index: usize| {
            let name = weights_file(index);
            info.network
                .init(&info.input, device)
                .try_load_file(dir.join(&name))
                .map_err(|e| ModelError::Incompatible {
                    path: dir.clone(),
                    detail: format!("{name} does not match the network in {INFO_FILE}: {e}"),
                })
        };
        let net = load(0)?;
        let members = (1..info.ensemble.max(1))
            .map(load)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            info,
            net,
            members,
            head: None,
        })
    }

    /// Every network of the model: `net`, then the other ensemble members.
    pub fn nets(&self) -> impl Iterator<Item = &CallNet> {
        std::iter::once(&self.net).chain(&self.members)
    }

    /// Every network with its batch norms folded, for detection.
    #[must_use]
    pub fn folded(&self) -> Vec<super::network::FoldedNet> {
        self.nets().map(CallNet::folded).collect()
    }

    /// Reads only `model.json` of a model folder (or the file itself): the description,
    /// metrics and manifest, without the weights (the iteration history lists models this way).
    pub fn read_info(path: &Path) -> Result<ModelInfo, ModelError> {
        let dir = model_dir(path);
        let read_error = |detail: String| ModelError::Read {
            path: dir.clone(),
            detail,
        };
        let text = std::fs::read_to_string(dir.join(INFO_FILE)).map_err(|e| {
            read_error(format!("{INFO_FILE}: {e} (is this a Syrinx model folder?)"))
        })?;
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| read_error(format!("{INFO_FILE} is not JSON ({e})")))?
            .get("artifact_version")
            .and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(ARTIFACT_VERSION) => {}
            Some(v) => {
                return Err(ModelError::Incompatible {
                    path: dir,
                    detail: format!(
                        "it is artifact version {v}; this Syrinx reads version {ARTIFACT_VERSION}"
                    ),
                });
            }
            None => return Err(read_error(format!("{INFO_FILE} has no artifact_version"))),
        }
        let info: ModelInfo = serde_json::from_str(&text)
            .map_err(|e| read_error(format!("{INFO_FILE} is damaged ({e})")))?;
        info.input
            .validate()
            .map_err(|e| ModelError::Incompatible {
                path: dir.clone(),
                detail: format!("its input description is not usable here: {e}"),
            })?;
        Ok(info)
    }

    /// Stores a new decision threshold in a saved model's `model.json` (atomically; the
    /// weights are untouched). Detection uses it by default from then on.
    pub fn write_threshold(path: &Path, threshold: f32) -> Result<ModelInfo, ModelError> {
        let dir = model_dir(path);
        let mut info = Self::read_info(&dir)?;
        info.threshold = threshold;
        let write_error = |detail: String| ModelError::Write {
            path: dir.clone(),
            detail,
        };
        let json = serde_json::to_string_pretty(&info).map_err(|e| write_error(e.to_string()))?;
        crate::util::fsutil::write_atomically(&dir.join(INFO_FILE), json.as_bytes())
            .map_err(|e| write_error(e.to_string()))?;
        Ok(info)
    }

    /// A network with random weights described like a trained one (for benchmarks: its speed is
    /// a trained model's speed).
    #[must_use]
    pub fn untrained(network: NetworkConfig, input: ModelInputSpec, device: &Device) -> Self {
        Self {
            net: network.init(&input, device),
            members: Vec::new(),
            head: None,
            info: ModelInfo {
                artifact_version: ARTIFACT_VERSION,
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
                created: String::new(),
                network,
                input,
                classes: vec!["negative".to_owned(), "positive".to_owned()],
                threshold: 0.5,
                training: serde_json::Value::Null,
                epochs: Vec::new(),
                best_epoch: 0,
                validation: None,
                test: None,
                manifest: DatasetManifest::default(),
                detection: None,
                validation_events: None,
                test_events: None,
                ensemble: 1,
                class_metrics: Vec::new(),
                confusions: Vec::new(),
                embedder: None,
                cross_validation: None,
                domain: None,
            },
        }
    }

    /// Why this model cannot score audio made with `input`, if it cannot.
    #[must_use]
    pub fn mismatch(&self, input: &ModelInputSpec) -> Option<String> {
        // Context is the network's own business (the same audio makes its input).
        let ours = &ModelInputSpec {
            context_frames: input.context_frames,
            ..self.info.input
        };
        if ours == input {
            return None;
        }
        let mut reasons = Vec::new();
        if ours.sample_rate_hz != input.sample_rate_hz {
            reasons.push(format!(
                "sample rate {} Hz, not {} Hz",
                ours.sample_rate_hz, input.sample_rate_hz
            ));
        }
        if ours.window_samples != input.window_samples {
            reasons.push(format!(
                "window {:.3} s, not {:.3} s",
                ours.window_secs(),
                input.window_secs()
            ));
        }
        if ours.spectrogram != input.spectrogram {
            reasons.push("other spectrogram parameters".to_owned());
        }
        if ours.shape() != input.shape() {
            reasons.push(format!("input {:?}, not {:?}", ours.shape(), input.shape()));
        }
        if ours.normalization != input.normalization {
            reasons.push("another input normalisation".to_owned());
        }
        Some(format!("the model was trained with {}", reasons.join(", ")))
    }
}

/// The model folder a path names (the folder itself, or the folder of its `model.json`).
fn model_dir(path: &Path) -> std::path::PathBuf {
    if path.is_file() {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    }
}

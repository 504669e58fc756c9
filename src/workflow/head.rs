//! Training a recogniser on a pretrained embedder (the agile-modelling loop of Perch and
//! BirdNET), the same from the app and from `syrinx train --embedder`: the project's windows
//! (the dataset of a CNN, with the embedder's window length and the same split by recording)
//! are looked up in each recording's embeddings (read from side files, or computed and saved),
//! a head is trained on them in seconds, its threshold is picked on the calls of the fully
//! annotated validation recordings, and the model is saved like any other: detection, review
//! and "find more like this" use it as they use a trained network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::annotation::ProjectRecordingId;
use crate::dataset::{Dataset, DatasetConfig, WindowSpec};
use crate::detect::{DetectionDefaults, MergeSettings, PeakSettings, WindowScores};
use crate::embed::head::{HeadData, train_head};
use crate::embed::{EmbedError, Embedder, EmbedderRef, Embeddings, HeadModel, HeadSettings};
use crate::evaluate::EventMetrics;
use crate::metrics::{ClassMetrics, SplitMetrics};
use crate::model::artifact::{ARTIFACT_VERSION, DatasetManifest, ModelInfo};
use crate::model::{ModelArtifact, NetworkConfig};
use crate::project::{Project, Split};
use crate::similar::store;

/// Why no head model was made.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    #[error("no training window could be embedded: {0}")]
    NoTraining(String),
    #[error("the model could not be saved to {}: {detail}", path.display())]
    Save { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

/// A trained head model and what training it took.
#[derive(Debug, Clone)]
pub struct HeadOutcome {
    pub artifact: ModelArtifact,
    /// Seconds spent embedding recordings (0 when every one was in its side file).
    pub embed_secs: f64,
    /// Seconds spent training the head.
    pub train_secs: f64,
    pub epochs_run: usize,
    /// Rows (windows) of the training, validation and test splits.
    pub rows: [usize; 3],
    pub warnings: Vec<String>,
}

/// Thresholds tried when picking the best event F1 on validation.
const THRESHOLDS: [f32; 19] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.95,
];

/// Embeddings of the project's recordings: from their side files under `dir` when there, else
/// computed (and saved there).
struct EmbeddingCache<'a> {
    embedder: &'a dyn Embedder,
    hop_secs: f64,
    dir: Option<PathBuf>,
    project: &'a Project,
    held: HashMap<PathBuf, Arc<Embeddings>>,
    embed_secs: f64,
}

impl EmbeddingCache<'_> {
    fn key(&self) -> String {
        format!("{}-hop{:.0}ms", self.embedder.key(), self.hop_secs * 1000.0)
    }

    fn of(&mut self, path: &Path, cancel: &AtomicBool) -> Result<Arc<Embeddings>, EmbedError> {
        if let Some(held) = self.held.get(path) {
            return Ok(Arc::clone(held));
        }
        let file = self
            .dir
            .as_ref()
            .zip(self.project.recording_at(path))
            .map(|(dir, recording)| store::index_file(dir, &self.key(), recording));
        let cached = file
            .as_ref()
            .and_then(|f| store::read(f).ok())
            .map(Embeddings::from);
        let embeddings = match cached {
            Some(embeddings) => embeddings,
            None => {
                let started = Instant::now();
                let embeddings = self.embedder.embed_file(path, self.hop_secs, cancel)?;
                self.embed_secs += started.elapsed().as_secs_f64();
                if let Some(file) = &file {
                    // A cache: failing to write it only costs the next run the same work.
                    let index = crate::similar::network::index_of(embeddings.clone());
                    let _ = store::write(file, &index);
                }
                embeddings
            }
        };
        let embeddings = Arc::new(embeddings);
        self.held
            .insert(path.to_path_buf(), Arc::clone(&embeddings));
        Ok(embeddings)
    }
}

/// The rows of `embeddings` a window may be cropped at (window starts within its crop range),
/// at least the one nearest its crop's middle.
fn rows_of(window: &WindowSpec, embeddings: &Embeddings) -> Vec<usize> {
    let step = embeddings.step_secs.max(1e-9);
    let first = (window.crop.min_start_secs / step).ceil().max(0.0) as usize;
    let last = (window.crop.max_start_secs / step).floor().max(0.0) as usize;
    let rows = embeddings.rows();
    let mut found: Vec<usize> = (first..=last.min(rows.saturating_sub(1)))
        .filter(|r| *r < rows)
        .collect();
    if found.is_empty()
        && let Some(r) = embeddings.row_near(window.crop.centre() + embeddings.window_secs / 2.0)
    {
        found.push(r);
    }
    found
}

/// Trains a head on `project`'s windows embedded by the ONNX embedder described at
/// `embedder_path`, as `config` makes them (its input is given the embedder's rate and
/// window), and saves the model in `out_dir`. Embeddings are kept under `cache_dir` (one file
/// per recording; shared with "find more like this").
#[allow(clippy::too_many_arguments)] // each is a different thing the caller decides
pub fn train_head_model(
    project: &Project,
    project_path: Option<&Path>,
    missing: &[ProjectRecordingId],
    embedder_path: &Path,
    config: &DatasetConfig,
    settings: &HeadSettings,
    cache_dir: Option<&Path>,
    out_dir: &Path,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<HeadOutcome, HeadError> {
    let embedder = crate::embed::OnnxEmbedder::load(embedder_path)?;
    let mut config = config.clone();
    // A head is validated on recordings set aside by their positives (no folds for heads
    // yet): small projects are dealt as large ones.
    config.cv_folds = 0;
    config.input.sample_rate_hz = embedder.spec.sample_rate_hz;
    config.input.window_samples = u32::try_from(embedder.spec.window_samples).unwrap_or(u32::MAX);
    let dataset = Dataset::from_project(project, missing, &config)?;
    let window_secs = embedder.spec.window_secs();
    let hop_secs = window_secs / 4.0;
    let mut cache = EmbeddingCache {
        embedder: &embedder,
        hop_secs,
        dir: cache_dir.map(Path::to_path_buf),
        project,
        held: HashMap::new(),
        embed_secs: 0.0,
    };
    let outputs = dataset.outputs();
    let called = if dataset.classes.is_empty() {
        1
    } else {
        dataset.called_classes().len()
    };
    let mut warnings = dataset.warnings.clone();
    let blank = || HeadData {
        dims: embedder.dims(),
        outputs,
        ..HeadData::default()
    };
    let (mut train, mut validation, mut test) = (blank(), blank(), blank());
    // Validation and test windows are scored once each (their crop's middle); training windows
    // at every crop the embeddings offer (a shifted call is still the call).
    let paths: Vec<PathBuf> = {
        let mut paths: Vec<PathBuf> = dataset.windows.iter().map(|w| w.path.clone()).collect();
        paths.sort();
        paths.dedup();
        paths
    };
    let mut failed: Vec<PathBuf> = Vec::new();
    for (done, path) in paths.iter().enumerate() {
        progress(done, paths.len());
        match cache.of(path, cancel) {
            Ok(_) => {}
            Err(EmbedError::Cancelled) => return Err(HeadError::Cancelled),
            Err(error) => {
                warnings.push(format!("left out: {error}"));
                failed.push(path.clone());
            }
        }
    }
    progress(paths.len(), paths.len());
    for window in dataset.windows.iter().filter(|w| !failed.contains(&w.path)) {
        let embeddings = cache.of(&window.path, cancel)?;
        let targets = window.targets(outputs);
        let rows = rows_of(window, &embeddings);
        let (data, rows) = match window.split {
            Split::Train => (&mut train, rows),
            Split::Validation => (&mut validation, middle(&rows)),
            Split::Test | Split::Auto => (&mut test, middle(&rows)),
        };
        for r in rows {
            data.push(embeddings.row(r), &targets);
        }
    }
    if train.rows() == 0 {
        return Err(HeadError::NoTraining(
            "draw positives and negatives in recordings the embedder can read".to_owned(),
        ));
    }
    let started = Instant::now();
    let (weights, epochs_run) =
        train_head(&train, &validation, settings, cancel).map_err(|e| match e {
            EmbedError::Cancelled => HeadError::Cancelled,
            other => HeadError::Embed(other),
        })?;
    let train_secs = started.elapsed().as_secs_f64();
    let head = HeadModel {
        embedder: embedder.clone(),
        weights,
    };

    // Thresholds and figures: windows of each split, and calls on the fully annotated
    // validation and test recordings.
    let calls_secs = crate::train::training_calls(&dataset).unwrap_or(window_secs / 2.0);
    let band_hz = crate::dataset::call_stats(project, missing).and_then(|c| c.band_hz);
    let detection = DetectionDefaults {
        hop_secs,
        peaks: PeakSettings::for_calls(calls_secs, window_secs, hop_secs),
        call_secs: calls_secs,
        band_hz,
    };
    let scores_of = |data: &HeadData| -> Vec<f32> {
        data.features
            .chunks(data.dims.max(1))
            .flat_map(|row| head.weights.scores(row))
            .collect()
    };
    let (validation_scores, test_scores) = (scores_of(&validation), scores_of(&test));
    let recordings_of = |split: Split| -> Vec<&crate::dataset::DatasetRecording> {
        dataset
            .recordings
            .iter()
            .filter(|r| r.split == split && r.fully_annotated && !failed.contains(&r.path))
            .collect()
    };
    let mut curves = |split: Split| -> Result<Vec<RecordingCurves>, HeadError> {
        recordings_of(split)
            .into_iter()
            .map(|r| {
                let embeddings = cache.of(&r.path, cancel)?;
                Ok(RecordingCurves {
                    scores: head.score_embeddings(&embeddings),
                    positives: r.positives.clone(),
                    labels: r.positive_labels.clone(),
                    duration_secs: r.duration_secs,
                })
            })
            .collect()
    };
    let (validation_curves, test_curves) = (curves(Split::Validation)?, curves(Split::Test)?);
    let class_names: Vec<String> = dataset.called_classes().to_vec();
    let mut class_metrics = Vec::new();
    let mut thresholds = Vec::new();
    let (mut validation_events, mut test_events) = (Vec::new(), Vec::new());
    for c in 0..called {
        let label = class_names.get(c).map(String::as_str);
        let column = |scores: &[f32]| crate::metrics::column(scores, outputs, c);
        let truth = |data: &HeadData| -> Vec<bool> {
            crate::metrics::column(&data.targets, outputs, c)
                .into_iter()
                .map(|t| t >= 0.5)
                .collect()
        };
        let events_at = |curves: &[RecordingCurves], threshold: f32| {
            events(curves, c, label, threshold, &detection.peaks)
        };
        let picked = (!validation_curves.is_empty()).then(|| {
            let all: Vec<EventMetrics> = THRESHOLDS
                .iter()
                .map(|t| events_at(&validation_curves, *t))
                .collect();
            let best = all.iter().map(|m| m.f1).fold(0.0, f64::max);
            let tied: Vec<&EventMetrics> = all.iter().filter(|m| m.f1 >= best - 1e-9).collect();
            *tied[tied.len() / 2]
        });
        let threshold = picked.map_or_else(
            || {
                crate::metrics::best_f1_threshold(&column(&validation_scores), &truth(&validation))
                    .unwrap_or(0.5)
            },
            |m| m.threshold,
        );
        let split_metrics = |scores: &[f32], data: &HeadData| {
            (data.rows() > 0).then(|| SplitMetrics::new(&column(scores), &truth(data), threshold))
        };
        let test_at = (!test_curves.is_empty()).then(|| events_at(&test_curves, threshold));
        validation_events.extend(picked);
        test_events.extend(test_at);
        thresholds.push(threshold);
        class_metrics.push(ClassMetrics {
            name: label.unwrap_or("positive").to_owned(),
            threshold,
            validation: split_metrics(&validation_scores, &validation),
            test: split_metrics(&test_scores, &test),
            validation_events: picked,
            test_events: test_at,
        });
    }
    let audio_secs = |curves: &[RecordingCurves]| curves.iter().map(|c| c.duration_secs).sum();
    let pooled = |metrics: &[EventMetrics], curves: &[RecordingCurves]| {
        (!metrics.is_empty()).then(|| {
            let mut total = EventMetrics {
                threshold: metrics[0].threshold,
                ..EventMetrics::default()
            };
            for m in metrics {
                total.add_counts(m);
            }
            crate::evaluate::rates(total, audio_secs(curves))
        })
    };
    let first = &class_metrics[0];
    let mut manifest = DatasetManifest {
        project: project_path.map(Path::to_path_buf),
        iteration: project.next_iteration(),
        positive_band_hz: band_hz,
        ..DatasetManifest::default()
    };
    crate::train::complete_manifest(&mut manifest, &dataset);
    let multi = outputs > 1;
    let info = ModelInfo {
        artifact_version: ARTIFACT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created: crate::train::now_rfc3339(),
        // The smallest network there is: a head model scores with its embedder and head.
        network: NetworkConfig {
            channels: vec![1],
            outputs,
            ..NetworkConfig::default()
        },
        input: config.input,
        classes: if multi {
            dataset.classes.clone()
        } else {
            vec!["negative".to_owned(), "positive".to_owned()]
        },
        threshold: thresholds[0],
        training: serde_json::json!({
            "head": settings,
            "dataset": config,
            "embedder": head.embedder.spec,
        }),
        epochs: Vec::new(),
        best_epoch: epochs_run,
        validation: first.validation.clone(),
        test: first.test.clone(),
        manifest,
        detection: Some(detection),
        validation_events: pooled(&validation_events, &validation_curves),
        test_events: pooled(&test_events, &test_curves),
        ensemble: 1,
        class_metrics: if multi { class_metrics } else { Vec::new() },
        confusions: Vec::new(),
        embedder: Some(EmbedderRef {
            spec: head.embedder.spec_path.clone(),
            name: head.embedder.spec.name.clone(),
            key: head.embedder.key(),
            licence: head.embedder.spec.licence.clone(),
            dims: head.embedder.dims(),
        }),
        cross_validation: None,
        domain: None,
    };
    let device = burn::tensor::Device::flex();
    let artifact = ModelArtifact {
        net: info.network.init(&info.input, &device),
        members: Vec::new(),
        head: Some(Arc::new(head)),
        info,
    };
    artifact.save(out_dir).map_err(|e| HeadError::Save {
        path: out_dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(HeadOutcome {
        artifact,
        embed_secs: cache.embed_secs,
        train_secs,
        epochs_run,
        rows: [train.rows(), validation.rows(), test.rows()],
        warnings,
    })
}

/// The middle one of `rows` (validation and test score one crop per window).
fn middle(rows: &[usize]) -> Vec<usize> {
    rows.get(rows.len() / 2).copied().into_iter().collect()
}

/// A fully annotated recording's score curves (one per output) and calls.
struct RecordingCurves {
    scores: Vec<WindowScores>,
    positives: Vec<(f64, f64)>,
    labels: Vec<String>,
    duration_secs: f64,
}

/// Calls found by output `c` at `threshold` over `curves`, matched to the positives labelled
/// `label` (all positives when `None`), as `syrinx evaluate` counts them.
fn events(
    curves: &[RecordingCurves],
    c: usize,
    label: Option<&str>,
    threshold: f32,
    peaks: &PeakSettings,
) -> EventMetrics {
    let settings = MergeSettings {
        threshold,
        min_gap_secs: 0.0,
        min_duration_secs: 0.0,
        peaks: Some(*peaks),
    };
    let mut total = EventMetrics {
        threshold,
        ..EventMetrics::default()
    };
    let mut audio_secs = 0.0;
    for recording in curves {
        let Some(scores) = recording.scores.get(c) else {
            continue;
        };
        let references: Vec<(f64, f64)> = recording
            .positives
            .iter()
            .zip(&recording.labels)
            .filter(|(_, l)| label.is_none_or(|label| *l == label))
            .map(|(p, _)| *p)
            .collect();
        total.add_counts(&crate::evaluate::evaluate_scores(
            scores,
            &settings,
            &references,
            crate::evaluate::validation::TOLERANCE_SECS,
            recording.duration_secs,
        ));
        audio_secs += recording.duration_secs;
    }
    crate::evaluate::rates(total, audio_secs)
}

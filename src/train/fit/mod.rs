//! The training loop: a dataset and its spectrogram cache → a model artifact, reporting
//! progress through a callback and checking a cancel flag between batches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::{
    Dataset, DatasetConfig, InputMaker, SpectrogramCache, WindowOrigin, WindowSpec,
};
use crate::metrics::SplitMetrics;
use crate::model::artifact::{ARTIFACT_VERSION, DatasetManifest, EpochMetrics};
use crate::model::{CallNet, ModelArtifact, ModelInfo, bce_with_logits};
use crate::project::Split;

use super::{TrainError, TrainEvent, TrainSettings};

mod cross_validation;

/// One window's score after training (for the evaluation view's error analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredWindow {
    pub window: WindowSpec,
    /// The window's score (a multi-class window's: its highest class score).
    pub score: f32,
    /// A multi-class model's score of each class, in output order (empty for one class).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_scores: Vec<f32>,
    /// The crop that was scored, in seconds from the start of its recording.
    pub start_secs: f64,
    /// The model input that was scored, kept for misclassified windows (their thumbnails).
    #[serde(skip)]
    pub input: Option<crate::dsp::ModelInput>,
}

impl ScoredWindow {
    /// Whether the model got this window wrong: for one class, its score against `threshold`
    /// disagrees with its kind; for a multi-class model (`class_thresholds` one per class), the
    /// class it names (see [`crate::metrics::predicted_class`]) is none of the window's classes,
    /// or it names one where the window has none.
    #[must_use]
    pub fn is_misclassified(&self, threshold: f32, class_thresholds: &[f32]) -> bool {
        // An explicit noise class (an output past the thresholds) counts as no class.
        if !class_thresholds.is_empty() && self.class_scores.len() >= class_thresholds.len() {
            return match crate::metrics::predicted_class(&self.class_scores, class_thresholds) {
                Some(c) => !self.window.classes.contains(&c),
                None => self
                    .window
                    .classes
                    .iter()
                    .any(|c| *c < class_thresholds.len()),
            };
        }
        (self.score >= threshold) != self.window.is_positive()
    }

    /// The class a multi-class model names for this window, if any (`None` for one class).
    #[must_use]
    pub fn predicted_class(&self, class_thresholds: &[f32]) -> Option<usize> {
        crate::metrics::predicted_class(&self.class_scores, class_thresholds)
    }
}

/// A finished training run.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    pub artifact: ModelArtifact,
    /// Validation and test windows with their scores under the kept model.
    pub scored: Vec<ScoredWindow>,
    pub epochs_run: usize,
    pub train_secs: f64,
    /// Training samples per second over the whole run (batches only).
    pub samples_per_sec: f64,
    pub warnings: Vec<String>,
}

/// Trains a model on `dataset`. `manifest` is completed and stored in the artifact.
pub fn train(
    dataset: &Dataset,
    config: &DatasetConfig,
    settings: &TrainSettings,
    manifest: DatasetManifest,
    cancel: &AtomicBool,
    report: &mut (dyn FnMut(TrainEvent) + Send),
) -> Result<TrainOutcome, TrainError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.worker_threads())
        .thread_name(|i| format!("syrinx-train-{i}"))
        .build()
        .map_err(|e| TrainError::Failed(format!("thread pool: {e}")))?;
    pool.install(|| train_in_pool(dataset, config, settings, manifest, cancel, report))
}

fn train_in_pool(
    dataset: &Dataset,
    config: &DatasetConfig,
    settings: &TrainSettings,
    mut manifest: DatasetManifest,
    cancel: &AtomicBool,
    report: &mut (dyn FnMut(TrainEvent) + Send),
) -> Result<TrainOutcome, TrainError> {
    let started = Instant::now();
    // The plan gives the network one output per class (`TrainPlan::resolve`); settings made
    // for other classes are the caller's mistake, said here rather than patched.
    let outputs = dataset.outputs();
    if settings.network.outputs != outputs {
        return Err(TrainError::Outputs {
            network: settings.network.outputs,
            classes: outputs,
        });
    }
    let (progress_tx, progress_rx) = mpsc::channel();
    let cache = std::thread::scope(|scope| {
        // The sender moves into the worker, so the loop below ends when the worker does.
        let worker = scope.spawn(move || {
            SpectrogramCache::build(dataset, &config.input, cancel, &|done, total| {
                let _ = progress_tx.send((done, total));
            })
        });
        // Forward progress from the pool's threads to `report`, which may not be `Sync`.
        for (done, total) in progress_rx {
            report(TrainEvent::Caching { done, total });
        }
        worker
            .join()
            .map_err(|_| TrainError::Failed("the spectrogram cache crashed".to_owned()))
    })??;
    if cancel.load(Ordering::Relaxed) {
        return Err(TrainError::Cancelled);
    }
    let mut warnings = dataset.warnings.clone();
    for (i, reason) in &cache.failed {
        warnings.push(format!(
            "window from {} left out: {reason}",
            dataset.windows[*i].source
        ));
    }
    let noise = match &settings.noise_dir {
        Some(dir) => {
            let noise = Dataset::noise_clips(dir, &config.input)?;
            let noise_cache = SpectrogramCache::build(&noise, &config.input, cancel, &|_, _| {})?;
            warnings.extend(noise.warnings.iter().cloned());
            Some((noise, noise_cache))
        }
        None => None,
    };
    let maker = match &noise {
        Some((noise, noise_cache)) => {
            InputMaker::new(dataset, &cache).with_noise(noise, noise_cache)
        }
        None => InputMaker::new(dataset, &cache),
    };
    let (bands, frames) = maker.shape();
    // Window metrics describe the user's selections and background: partial-call windows are
    // a training aid (they teach where a call ends), so they are not scored as validation or
    // test windows; event-level validation covers what they are for.
    let usable = |split: Split| -> Vec<usize> {
        dataset
            .of_split(split)
            .filter(|(_, w)| w.label != crate::dataset::PARTIAL_CALL_LABEL)
            .map(|(i, _)| i)
            .filter(|i| cache.has(*i))
            .collect()
    };
    let validation = usable(Split::Validation);
    let test = usable(Split::Test);
    let validation_inputs = plain_inputs(&maker, &validation);
    let validation_truth = truth(dataset, &validation);

    let base_device = settings.device.device()?;
    let calls = training_calls(dataset);
    let mut detection = crate::detect::DetectionDefaults::for_calls(
        calls.unwrap_or(config.input.window_secs() / 2.0),
        config.input.window_secs(),
        manifest.positive_band_hz,
    );
    // Validation scores at the hop detection will run (on the dense grid with context).
    detection.hop_secs = settings
        .network
        .hop_on_grid(&config.input, detection.hop_secs);
    // Calls are counted per recording (a multi-class model's per class, each class's
    // detections against its own calls).
    let events = crate::evaluate::validation::EventValidation::build(
        dataset,
        &config.input,
        &detection,
        crate::project::Split::Validation,
        cancel,
        &mut warnings,
    );
    let context = MemberContext {
        dataset,
        settings,
        maker: &maker,
        base_device: &base_device,
        bands,
        frames,
        cancel,
        started,
    };
    let holdout = MemberPlan {
        train_mask: None,
        validation: &validation,
        validation_inputs: &validation_inputs,
        validation_truth: &validation_truth,
        events: events.as_ref(),
        fixed_epochs: None,
        keep_scores: false,
    };
    // A small project is validated by blocked cross-validation over its recordings' time, then
    // the final model trains on everything for the epochs the folds chose.
    let folds = dataset.folds(config);
    let cross_validated = match &folds {
        Some(folds) => Some(cross_validation::run(
            &context,
            folds,
            &config.input,
            &detection,
            report,
            &mut warnings,
        )?),
        None => None,
    };
    let plan = match &cross_validated {
        Some(cv) => {
            report(TrainEvent::Stage(format!(
                "final model: every training window, {} epoch(s)",
                cv.epochs
            )));
            MemberPlan::fixed(cv.epochs)
        }
        None => holdout,
    };
    let mut members = Vec::new();
    let mut epochs = Vec::new();
    let (mut samples, mut batch_secs) = (0_usize, 0.0);
    for member in 0..settings.ensemble.max(1) {
        let trained = context.train_member(member, &plan, report)?;
        samples += trained.samples;
        batch_secs += trained.batch_secs;
        if member == 0 {
            epochs = trained.epochs.clone();
        }
        members.push(trained);
    }
    let best_epoch = members[0].best_epoch;
    let nets: Vec<CallNet> = members.into_iter().map(|m| m.net).collect();
    let folded: Vec<crate::model::FoldedNet> = nets.iter().map(CallNet::folded).collect();
    let mut scored = Vec::new();
    let mut score_split = |indices: &[usize], inputs: &[f32], known: Option<&[f32]>| -> Vec<f32> {
        if indices.is_empty() {
            return Vec::new();
        }
        let scores = known.map_or_else(
            || crate::model::ensemble_scores(&folded, inputs, bands, frames, 64, &base_device),
            <[f32]>::to_vec,
        );
        // A multi-class window's score here is its highest class score.
        for ((&i, row), values) in indices
            .iter()
            .zip(scores.chunks(outputs))
            .zip(inputs.chunks(bands * frames))
        {
            scored.push(ScoredWindow {
                window: dataset.windows[i].clone(),
                score: row.iter().copied().fold(0.0, f32::max),
                class_scores: if outputs > 1 {
                    row.to_vec()
                } else {
                    Vec::new()
                },
                start_secs: dataset.windows[i].crop.centre(),
                input: Some(crate::dsp::ModelInput {
                    bands,
                    frames,
                    values: values.to_vec(),
                }),
            });
        }
        scores
    };
    // Validation inputs were built once before training; test inputs only now.
    // Cross-validated: the out-of-fold windows, each scored by the fold that did not train on
    // it.
    let (validation, validation_scores) = match &cross_validated {
        Some(cv) => (
            cv.windows.clone(),
            score_split(&cv.windows, &cv.window_inputs, Some(&cv.window_scores)),
        ),
        None => {
            let scores = score_split(&validation, &validation_inputs, None);
            (validation, scores)
        }
    };
    let test_scores = score_split(&test, &plain_inputs(&maker, &test), None);
    // Out-of-fold windows (scored first) are the validation windows of a cross-validated run:
    // the evaluation view lists and plots them as such.
    if let Some(cv) = &cross_validated {
        for window in scored.iter_mut().take(cv.windows.len()) {
            window.window.split = Split::Validation;
        }
    }
    // The threshold comes from validation only (never from test): the best event F1 over the
    // validation recordings when there are fully annotated ones, else the best window F1.
    let event_scores =
        |e: &crate::evaluate::validation::EventValidation| e.scores(&folded, &base_device);
    let validation_event_scores = events.as_ref().map(event_scores);
    let validation_events = events
        .as_ref()
        .zip(validation_event_scores.as_ref())
        .filter(|_| outputs == 1)
        .map(|(e, scores)| {
            if settings.pick_threshold {
                e.best(scores)
            } else {
                e.metrics_at(scores, settings.threshold)
            }
        });
    let validation_events = match &cross_validated {
        Some(cv) => cv.events,
        None => validation_events,
    };
    // The folds chose their threshold already (the settings' when thresholds are not picked).
    let threshold = match (
        &cross_validated,
        &validation_events,
        settings.pick_threshold,
    ) {
        (_, _, false) => settings.threshold,
        (Some(cv), _, true) => cv.threshold,
        (None, Some(events), true) => events.threshold,
        (None, None, true) => {
            crate::metrics::best_f1_threshold(&validation_scores, &validation_truth)
                .unwrap_or(settings.threshold)
        }
    };
    let metrics_of = |scores: &[f32], indices: &[usize]| {
        (!indices.is_empty())
            .then(|| SplitMetrics::new(scores, &truth(dataset, indices), threshold))
    };
    let validation_final = metrics_of(&validation_scores, &validation);
    let test_final = metrics_of(&test_scores, &test);
    // Calls on the fully annotated test recordings, counted as detection and `syrinx evaluate`
    // count them, at the threshold validation chose: the figure users compare with their own.
    let test_validation = crate::evaluate::validation::EventValidation::build(
        dataset,
        &config.input,
        &detection,
        crate::project::Split::Test,
        cancel,
        &mut warnings,
    );
    let test_event_scores = test_validation.as_ref().map(event_scores);
    let test_events = test_validation
        .as_ref()
        .zip(test_event_scores.as_ref())
        .filter(|_| outputs == 1)
        .map(|(e, scores)| e.metrics_at(scores, threshold));
    let (class_metrics, confusions) = if outputs > 1 {
        class_results(
            dataset,
            settings,
            [
                (Split::Validation, &validation[..], &validation_scores[..]),
                (Split::Test, &test[..], &test_scores[..]),
            ],
            [
                events.as_ref().zip(validation_event_scores.as_deref()),
                test_validation.as_ref().zip(test_event_scores.as_deref()),
            ],
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // A multi-class model's calls: its classes' counts added up (each at its own threshold).
    let pooled =
        |e: Option<&crate::evaluate::validation::EventValidation>,
         of: fn(&crate::metrics::ClassMetrics) -> Option<crate::metrics::EventMetrics>| {
            let per_class: Option<Vec<_>> = class_metrics.iter().map(of).collect();
            e.zip(per_class).map(|(e, m)| e.pooled(&m))
        };
    let (validation_events, test_events) = if outputs > 1 {
        (
            pooled(events.as_ref(), |c| c.validation_events),
            pooled(test_validation.as_ref(), |c| c.test_events),
        )
    } else {
        (validation_events, test_events)
    };
    // Only the misclassified keep their input (for thumbnails in the evaluation view).
    let class_thresholds: Vec<f32> = class_metrics.iter().map(|c| c.threshold).collect();
    for window in &mut scored {
        if !window.is_misclassified(threshold, &class_thresholds) {
            window.input = None;
        }
    }
    complete_manifest(&mut manifest, dataset);
    let info = ModelInfo {
        artifact_version: ARTIFACT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created: now_rfc3339(),
        network: settings.network.clone(),
        input: config.input,
        classes: if outputs > 1 {
            dataset.classes.clone()
        } else {
            vec!["negative".to_owned(), "positive".to_owned()]
        },
        threshold,
        training: serde_json::json!({
            "settings": settings,
            "dataset": config,
        }),
        epochs,
        best_epoch,
        validation: validation_final,
        test: test_final,
        manifest,
        detection: Some(detection),
        validation_events,
        test_events,
        ensemble: nets.len(),
        class_metrics,
        confusions,
        embedder: None,
        cross_validation: cross_validated.map(|cv| cv.summary),
        domain: settings
            .precise_norms
            .then(|| domain_reference(dataset, &config.input, &nets[0], &base_device)),
    };
    let mut nets = nets.into_iter();
    let Some(net) = nets.next() else {
        return Err(TrainError::Failed("no network was trained".to_owned()));
    };
    Ok(TrainOutcome {
        epochs_run: info.epochs.len(),
        artifact: ModelArtifact {
            info,
            net,
            members: nets.collect(),
            head: None,
        },
        scored,
        train_secs: started.elapsed().as_secs_f64(),
        samples_per_sec: samples as f64 / batch_secs.max(1e-9),
        warnings,
    })
}

/// Median length of the training positives cut from recordings (clips when there are none).
pub(crate) fn training_calls(dataset: &Dataset) -> Option<f64> {
    let lengths = |clips: bool| -> Vec<f64> {
        let mut v: Vec<f64> = dataset
            .windows
            .iter()
            .filter(|w| w.is_positive())
            .filter(|w| matches!(w.origin, WindowOrigin::Clip { .. }) == clips)
            .map(|w| w.end_secs - w.start_secs)
            .filter(|d| *d > 0.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let mut lengths_secs = lengths(false);
    if lengths_secs.is_empty() {
        lengths_secs = lengths(true);
    }
    lengths_secs.get(lengths_secs.len() / 2).copied()
}

/// What every ensemble member trains with.
pub(crate) struct MemberContext<'a> {
    pub(crate) dataset: &'a Dataset,
    pub(crate) settings: &'a TrainSettings,
    pub(crate) maker: &'a InputMaker<'a>,
    pub(crate) base_device: &'a burn::tensor::Device,
    pub(crate) bands: usize,
    pub(crate) frames: usize,
    pub(crate) cancel: &'a AtomicBool,
    pub(crate) started: Instant,
}

/// What one network trains on and is judged by.
#[derive(Clone, Copy)]
pub(crate) struct MemberPlan<'a> {
    /// Whether each window (by index) may train (a cross-validation fold leaves its blocks
    /// out); `None`: every training window.
    pub(crate) train_mask: Option<&'a [bool]>,
    pub(crate) validation: &'a [usize],
    pub(crate) validation_inputs: &'a [f32],
    pub(crate) validation_truth: &'a [bool],
    pub(crate) events: Option<&'a crate::evaluate::validation::EventValidation>,
    /// Train exactly this many epochs and keep the last (no early stopping).
    pub(crate) fixed_epochs: Option<usize>,
    /// Keep every epoch's validation scores (windows, then event windows) and network.
    pub(crate) keep_scores: bool,
}

impl MemberPlan<'_> {
    /// Every training window, no validation, `epochs` epochs.
    pub(crate) fn fixed(epochs: usize) -> Self {
        Self {
            train_mask: None,
            validation: &[],
            validation_inputs: &[],
            validation_truth: &[],
            events: None,
            fixed_epochs: Some(epochs),
            keep_scores: false,
        }
    }
}

/// One trained network and how it got there.
pub(crate) struct TrainedMember {
    pub(crate) net: CallNet,
    pub(crate) epochs: Vec<EpochMetrics>,
    pub(crate) best_epoch: usize,
    pub(crate) samples: usize,
    pub(crate) batch_secs: f64,
    /// With [`MemberPlan::keep_scores`]: each epoch's scores of the validation windows and of
    /// the event validation's windows.
    pub(crate) epoch_scores: Vec<(Vec<f32>, Vec<f32>)>,
    /// With [`MemberPlan::keep_scores`]: each epoch's network.
    pub(crate) snapshots: Vec<CallNet>,
}

/// burn's CPU backend keeps one random-number generator per process, which weight
/// initialisation and dropout draw from: two trainings at once in one process (tests, a future
/// batch of trainings) would draw from each other's sequence, and the same seed would no
/// longer give the same model. Trainings take turns.
static BACKEND_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl MemberContext<'_> {
    /// Trains member `member` (seed `settings.seed + member`) and keeps its best epoch: the best
    /// mean event F1 over thresholds on the validation recordings (ties: the lower validation
    /// loss), or the lowest validation loss when there is no event validation.
    pub(crate) fn train_member(
        &self,
        member: usize,
        plan: &MemberPlan<'_>,
        report: &mut (dyn FnMut(TrainEvent) + Send),
    ) -> Result<TrainedMember, TrainError> {
        let (settings, dataset, cache_has) = (self.settings, self.dataset, |i: usize| {
            self.maker.cache.has(i)
        });
        let (bands, frames, cancel) = (self.bands, self.frames, self.cancel);
        let seed = settings.seed.wrapping_add(member as u64);
        // Held until this member is trained: see `BACKEND_RNG`.
        let _turn = BACKEND_RNG
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.base_device.seed(seed);
        let device = self.base_device.clone().autodiff();
        let mut net: CallNet = settings
            .network
            .init(&self.maker.cache.spec, &device)
            .train();
        let mut optimizer = AdamConfig::new().init();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut epochs: Vec<EpochMetrics> = Vec::new();
        // (event F1, −loss) compared lexicographically: higher is better.
        let mut best: Option<((f64, f64), usize, CallNet)> = None;
        let mut samples = 0_usize;
        let mut batch_secs = 0.0;
        let mut epoch_scores = Vec::new();
        let mut snapshots = Vec::new();
        let keep = |i: usize| {
            plan.train_mask
                .is_none_or(|mask| mask.get(i).copied().unwrap_or(false))
        };
        let norm_inputs = if settings.precise_norms {
            plain_inputs(self.maker, &norm_sample(dataset, &keep, &cache_has, seed))
        } else {
            Vec::new()
        };
        for epoch in 1..=plan.fixed_epochs.unwrap_or(settings.epochs).max(1) {
            let epoch_started = Instant::now();
            let order: Vec<usize> = dataset
                .balanced_epoch_of(&mut rng, &keep)
                .into_iter()
                .filter(|i| cache_has(*i))
                .collect();
            let batches: Vec<Vec<usize>> = order
                .chunks(settings.batch_size.max(1))
                .map(<[usize]>::to_vec)
                .collect();
            let n_batches = batches.len();
            let epoch_seed = rand::RngExt::random::<u64>(&mut rng);
            let (mut loss_sum, mut correct, mut seen, mut seen_outputs) =
                (0.0, 0_usize, 0_usize, 0_usize);
            // Batches are prepared on another thread while the network trains on the previous
            // one.
            let (batch_tx, batch_rx) = mpsc::sync_channel::<(Vec<f32>, Vec<f32>)>(2);
            let step_result: Result<CallNet, TrainError> = std::thread::scope(|scope| {
                let mut net = net;
                // Owned here, so returning early drops it and unblocks the producer's `send`
                // before the scope waits for that thread.
                let batch_rx = batch_rx;
                let maker = self.maker;
                let batches = &batches;
                scope.spawn(move || {
                    let mut batch_rng = ChaCha8Rng::seed_from_u64(epoch_seed);
                    for indices in batches {
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        let batch =
                            maker.batch(indices, Some((&settings.augmentation, &mut batch_rng)));
                        if batch_tx.send(batch).is_err() {
                            break;
                        }
                    }
                });
                for batch_index in 0..n_batches {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(TrainError::Cancelled);
                    }
                    let Ok((inputs, targets)) = batch_rx.recv() else {
                        return Err(TrainError::Cancelled);
                    };
                    let step_started = Instant::now();
                    let outputs = settings.network.outputs.max(1);
                    let n = targets.len() / outputs;
                    let x = crate::model::input_tensor(inputs, bands, frames, &device);
                    let smoothing = settings.label_smoothing.clamp(0.0, 0.5);
                    let smoothed: Vec<f32> = targets
                        .iter()
                        .map(|t| t * (1.0 - smoothing) + smoothing / 2.0)
                        .collect();
                    let y: Tensor<2> =
                        Tensor::from_data(TensorData::new(smoothed, [n, outputs]), &device);
                    let logits = net.forward(x);
                    let loss = bce_with_logits(logits.clone(), y);
                    let loss_value = f64::from(loss.clone().into_scalar::<f32>());
                    if !loss_value.is_finite() {
                        return Err(TrainError::Failed(format!(
                            "the loss became {loss_value} in epoch {epoch}; try a lower learning \
                             rate"
                        )));
                    }
                    let logit_values: Vec<f32> =
                        logits.detach().into_data().iter::<f32>().collect();
                    // Accuracy of every output of every window (one per window for a
                    // single-class model).
                    correct += logit_values
                        .iter()
                        .zip(&targets)
                        .filter(|(l, t)| (**l >= 0.0) == (**t >= 0.5))
                        .count();
                    seen_outputs += targets.len();
                    seen += n;
                    loss_sum += loss_value * n as f64;
                    let grads = GradientsParams::from_grads(loss.backward(), &net);
                    net = optimizer.step(settings.learning_rate, net, grads);
                    samples += n;
                    batch_secs += step_started.elapsed().as_secs_f64();
                    report(TrainEvent::Batch {
                        epoch,
                        batch: batch_index + 1,
                        batches: n_batches,
                        loss: loss_value,
                        elapsed_secs: self.started.elapsed().as_secs_f64(),
                    });
                }
                Ok(net)
            });
            net = step_result?;
            let snapshot = net.valid();
            if !norm_inputs.is_empty() {
                snapshot.reestimate_norms(&norm_inputs, bands, frames, 64, self.base_device);
            }
            let window_scores = (!plan.validation.is_empty()).then(|| {
                crate::model::scores(
                    &snapshot,
                    plan.validation_inputs,
                    bands,
                    frames,
                    64,
                    self.base_device,
                )
            });
            let validation_metrics = window_scores
                .as_ref()
                .map(|scores| SplitMetrics::new(scores, plan.validation_truth, settings.threshold));
            let event_scores = plan
                .events
                .map(|events| events.scores(&[snapshot.folded()], self.base_device));
            let event_summary = plan
                .events
                .zip(event_scores.as_ref())
                .map(|(events, scores)| events.summary(scores));
            if plan.keep_scores {
                epoch_scores.push((
                    window_scores.unwrap_or_default(),
                    event_scores.unwrap_or_default(),
                ));
                snapshots.push(snapshot.clone());
            }
            let validation_events = event_summary.map(|(best, _)| best);
            let validation_events_mean_f1 = event_summary.map(|(_, mean)| mean);
            let metrics = EpochMetrics {
                epoch,
                train_loss: loss_sum / seen.max(1) as f64,
                train_accuracy: correct as f64 / seen_outputs.max(1) as f64,
                validation: validation_metrics.clone(),
                validation_events,
                validation_events_mean_f1,
                secs: epoch_started.elapsed().as_secs_f64(),
            };
            report(TrainEvent::Epoch(metrics.clone()));
            epochs.push(metrics);
            let key = crate::train::epoch_key(&epochs[epochs.len() - 1]);
            // A fixed number of epochs keeps the last.
            if plan.fixed_epochs.is_some() || best.as_ref().is_none_or(|(b, _, _)| key > *b) {
                best = Some((key, epoch, snapshot));
            }
            let best_epoch = best.as_ref().map_or(epoch, |b| b.1);
            if plan.fixed_epochs.is_none()
                && settings.patience > 0
                && epoch - best_epoch >= settings.patience
            {
                break;
            }
        }
        let Some((_, best_epoch, net)) = best else {
            return Err(TrainError::Failed("no epoch finished".to_owned()));
        };
        Ok(TrainedMember {
            net,
            epochs,
            best_epoch,
            samples,
            batch_secs,
            epoch_scores,
            snapshots,
        })
    }
}

/// How far each training recording lies from `net`'s first statistics (measured as detection
/// measures the recordings it scores), so detection can tell recordings unlike them.
fn domain_reference(
    dataset: &Dataset,
    input: &crate::dsp::ModelInputSpec,
    net: &CallNet,
    device: &burn::tensor::Device,
) -> crate::scoring::domain::DomainReference {
    use crate::scoring::domain::{SAMPLE_WINDOWS, distance_of, sample_inputs};
    let training = dataset
        .recordings
        .iter()
        .filter(|r| r.split == Split::Train)
        .filter_map(|r| {
            let inputs = sample_inputs(input, &r.path, SAMPLE_WINDOWS).ok()?;
            Some((r.name.clone(), distance_of(net, &inputs, input, device)?))
        })
        .collect();
    crate::scoring::domain::DomainReference { training }
}

/// Training windows the batch norms' statistics are measured on at most.
const NORM_SAMPLE: usize = 256;

/// Up to [`NORM_SAMPLE`] of the training windows `keep` keeps, unaugmented, half positives
/// and half negatives as far as there are (the balance of the training batches, whose
/// statistics the later layers learnt on; natural proportions, mostly background, shifted the
/// features and made the networks overconfident on background), chosen with `seed`, in index
/// order. Partial-call windows are left out.
fn norm_sample(
    dataset: &Dataset,
    keep: &dyn Fn(usize) -> bool,
    cached: &dyn Fn(usize) -> bool,
    seed: u64,
) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let (mut positives, mut negatives): (Vec<usize>, Vec<usize>) = dataset
        .of_split(Split::Train)
        .filter(|(_, w)| w.label != crate::dataset::PARTIAL_CALL_LABEL)
        .map(|(i, _)| i)
        .filter(|i| keep(*i) && cached(*i))
        .partition(|i| dataset.windows[*i].is_positive());
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e6f_726d);
    positives.shuffle(&mut rng);
    negatives.shuffle(&mut rng);
    let half = NORM_SAMPLE / 2;
    let take_positives = positives
        .len()
        .min(half.max(NORM_SAMPLE.saturating_sub(negatives.len())));
    let take_negatives = negatives.len().min(NORM_SAMPLE - take_positives);
    let mut indices: Vec<usize> = positives
        .into_iter()
        .take(take_positives)
        .chain(negatives.into_iter().take(take_negatives))
        .collect();
    indices.sort_unstable();
    indices
}

/// The current time as RFC 3339 (UTC, seconds).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn plain_inputs(maker: &InputMaker<'_>, indices: &[usize]) -> Vec<f32> {
    maker.batch(indices, None).0
}

/// The windows' targets, row-major `[windows, outputs]` (a single-class model's: positive).
fn truth(dataset: &Dataset, indices: &[usize]) -> Vec<bool> {
    let outputs = dataset.outputs();
    indices
        .iter()
        .flat_map(|i| dataset.windows[*i].targets(outputs))
        .map(|t| t >= 0.5)
        .collect()
}

/// Event validation of one split and the model's scores of its windows.
type ScoredEvents<'a> = Option<(&'a crate::evaluate::validation::EventValidation, &'a [f32])>;

/// A multi-class model's classes: each one's threshold (its best event F1 on the fully
/// annotated validation recordings, else its best window F1 on validation; the settings'
/// threshold when validation has none of it or thresholds are not picked), its metrics on
/// validation and test by window and by call, and the confusion matrix of each split that has
/// windows.
fn class_results(
    dataset: &Dataset,
    settings: &TrainSettings,
    splits: [(Split, &[usize], &[f32]); 2],
    [validation_events, test_events]: [ScoredEvents<'_>; 2],
) -> (
    Vec<crate::metrics::ClassMetrics>,
    Vec<crate::metrics::ClassConfusion>,
) {
    use crate::metrics::{ClassConfusion, ClassMetrics, column};
    // Scores have a column per output; metrics and confusions are of the called classes (an
    // explicit noise class is "none of these" there).
    let k = dataset.outputs();
    let called = dataset.called_classes();
    let columns = |indices: &[usize], scores: &[f32], c: usize| {
        let truth: Vec<bool> = indices
            .iter()
            .map(|i| dataset.windows[*i].classes.contains(&c))
            .collect();
        (column(scores, k, c), truth)
    };
    let [(_, validation, validation_scores), (_, test, test_scores)] = splits;
    let metrics: Vec<ClassMetrics> = called
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let (scores, truth) = columns(validation, validation_scores, c);
            let validation_events = validation_events.map(|(e, scores)| {
                if settings.pick_threshold {
                    e.class_summary(scores, c).0
                } else {
                    e.class_metrics_at(scores, c, settings.threshold)
                }
            });
            let threshold = match validation_events {
                _ if !settings.pick_threshold => settings.threshold,
                Some(events) => events.threshold,
                None => {
                    crate::metrics::best_f1_threshold(&scores, &truth).unwrap_or(settings.threshold)
                }
            };
            let of = |indices: &[usize], all: &[f32]| {
                let (scores, truth) = columns(indices, all, c);
                truth
                    .iter()
                    .any(|t| *t)
                    .then(|| SplitMetrics::new(&scores, &truth, threshold))
            };
            ClassMetrics {
                name: name.clone(),
                threshold,
                validation: of(validation, validation_scores),
                test: of(test, test_scores),
                validation_events,
                test_events: test_events
                    .map(|(e, scores)| e.class_metrics_at(scores, c, threshold)),
            }
        })
        .collect();
    let thresholds: Vec<f32> = metrics.iter().map(|m| m.threshold).collect();
    let confusions = splits
        .iter()
        .filter(|(_, indices, _)| !indices.is_empty())
        .map(|(split, indices, scores)| {
            let truth: Vec<Option<usize>> = indices
                .iter()
                .map(|i| dataset.windows[*i].classes.first().copied())
                .collect();
            let called_scores: Vec<f32> = scores
                .chunks(k)
                .flat_map(|row| row.iter().take(called.len()).copied())
                .collect();
            ClassConfusion::new(split.name(), called, &called_scores, &truth, &thresholds)
        })
        .collect();
    (metrics, confusions)
}

pub(crate) fn complete_manifest(manifest: &mut DatasetManifest, dataset: &Dataset) {
    manifest.groups = dataset
        .per_group()
        .into_iter()
        .map(|(group, split, p, n)| (group, split.name().to_owned(), p, n))
        .collect();
    for window in &dataset.windows {
        match &window.origin {
            WindowOrigin::Selection { id, .. } => manifest.selections.push(id.0),
            WindowOrigin::Clip { path } => manifest.clips.push(path.clone()),
            WindowOrigin::Background { .. } => manifest.background_windows += 1,
        }
    }
    let mut labels: Vec<String> = dataset
        .windows
        .iter()
        .filter(|w| w.is_positive())
        .map(|w| w.label.clone())
        .collect();
    labels.sort();
    labels.dedup();
    manifest.positive_labels = labels;
}

//! Event-level validation while training: the fully annotated validation recordings are scored
//! window by window as detection scores them (the same hop, the same slices of one long
//! spectrogram), the scores are cut into calls by peak picking, and the calls are matched to
//! the positives with the matcher of `syrinx evaluate`. Training keeps the epoch, and picks the
//! threshold, with the best event F1: what users count, not windows.

use std::sync::atomic::AtomicBool;

use crate::audio::{AudioReader, ResamplingReader};
use crate::dataset::Dataset;
use crate::detect::{DetectionDefaults, MergeSettings, WindowScores};
use crate::dsp::ModelInputSpec;
use crate::evaluate::EventMetrics;
use crate::project::Split;

/// A detection whose centre lies this close to a call's centre matches it (as in
/// `syrinx evaluate`'s default).
pub const TOLERANCE_SECS: f64 = 1.5;

/// Model inputs held for event validation at most (bytes): longer validation audio is cut.
const MAX_INPUT_BYTES: usize = 256 << 20;

/// Thresholds tried when picking the best event F1.
const THRESHOLDS: [f32; 23] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.93, 0.96, 0.98, 0.99, 0.995,
];

pub use crate::dataset::folds::ValidationSpan;

#[derive(Debug, Clone)]
struct Recording {
    start_secs: Vec<f64>,
    /// Index of its first window among all windows.
    first_window: usize,
    positives: Vec<(f64, f64)>,
    /// The label of each positive.
    labels: Vec<String>,
    duration_secs: f64,
}

/// The validation recordings' windows, ready to score every epoch.
#[derive(Debug, Clone)]
pub struct EventValidation {
    recordings: Vec<Recording>,
    /// Every window's model input, one after another (inputs without context).
    pub inputs: Vec<f32>,
    /// With context, the stretches of the stream the windows lie in instead (each window's
    /// input is sliced from them, or all are scored densely): a fraction of the memory.
    strips: Vec<crate::scoring::Strip>,
    /// `(bands, frames)` of every input.
    shape: (usize, usize),
    window_secs: f64,
    defaults: DetectionDefaults,
    /// A multi-class model's classes that detection finds (empty for one class): scores then
    /// hold one column per output, and each class's detections are matched to its own calls
    /// only.
    classes: Vec<String>,
    /// Scores per window (a multi-class model's outputs, an explicit noise class included).
    outputs: usize,
}

impl EventValidation {
    /// The windows of the fully annotated recordings of `split` in `dataset` (validation while
    /// training; test once, for the final figures), `defaults.hop_secs` apart. `None` when there
    /// is none (or none can be read); unreadable recordings and cut audio become warnings.
    pub fn build(
        dataset: &Dataset,
        spec: &ModelInputSpec,
        defaults: &DetectionDefaults,
        split: Split,
        cancel: &AtomicBool,
        warnings: &mut Vec<String>,
    ) -> Option<Self> {
        let spans: Vec<ValidationSpan> = dataset
            .recordings
            .iter()
            .enumerate()
            .filter(|(_, r)| r.split == split && r.fully_annotated)
            .map(|(recording, r)| ValidationSpan {
                recording,
                start_secs: 0.0,
                end_secs: r.duration_secs,
            })
            .collect();
        Self::build_spans(dataset, spec, defaults, &spans, cancel, warnings)
    }

    /// The windows lying wholly inside `spans` (stretches of `dataset`'s recordings, each
    /// counted on its own: its positives are those whose centre it holds, its audio its own
    /// length). Blocked cross-validation validates each fold on its blocks this way.
    pub fn build_spans(
        dataset: &Dataset,
        spec: &ModelInputSpec,
        defaults: &DetectionDefaults,
        spans: &[ValidationSpan],
        cancel: &AtomicBool,
        warnings: &mut Vec<String>,
    ) -> Option<Self> {
        let per_window = spec.shape().0 * spec.shape().1;
        let streams = spec.context_frames > 0;
        let step = step_of(spec, defaults);
        // What a window costs to keep: its input, or with context its share of a strip.
        let window_bytes = if streams {
            spec.shape().0 * step * 4
        } else {
            per_window * 4
        };
        let window_secs = spec.window_secs();
        let mut out = Self {
            recordings: Vec::new(),
            inputs: Vec::new(),
            strips: Vec::new(),
            shape: spec.shape(),
            window_secs,
            defaults: *defaults,
            classes: dataset.called_classes().to_vec(),
            outputs: dataset.outputs(),
        };
        let mut by_recording: Vec<usize> = spans.iter().map(|s| s.recording).collect();
        by_recording.sort_unstable();
        by_recording.dedup();
        for index in by_recording {
            let Some(recording) = dataset.recordings.get(index) else {
                continue;
            };
            let mut mine: Vec<ValidationSpan> = spans
                .iter()
                .filter(|s| s.recording == index)
                .copied()
                .collect();
            mine.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
            let covered: f64 = mine.iter().map(|s| s.end_secs - s.start_secs).sum();
            let windows = (covered / defaults.hop_secs).ceil() as usize + mine.len();
            if out.kept_bytes() + windows * window_bytes > MAX_INPUT_BYTES {
                warnings.push(format!(
                    "event-level validation leaves out {} and later validation recordings \
                     (over {} MB of inputs)",
                    recording.name,
                    MAX_INPUT_BYTES >> 20
                ));
                break;
            }
            let reader = match AudioReader::open(&recording.path)
                .and_then(|r| ResamplingReader::new(r, spec.sample_rate_hz))
            {
                Ok(reader) => reader,
                Err(error) => {
                    warnings.push(format!("event-level validation left out: {error}"));
                    continue;
                }
            };
            let kept_inputs = out.inputs.len();
            let kept_strips = out.strips.len();
            let kept_recordings = out.recordings.len();
            // One entry per span, filled as the windows stream past in time order.
            let mut entries: Vec<Recording> = mine
                .iter()
                .map(|span| {
                    let (positives, labels): (Vec<(f64, f64)>, Vec<String>) = recording
                        .positives
                        .iter()
                        .zip(&recording.positive_labels)
                        .filter(|((s, e), _)| {
                            span.holds(f64::midpoint(*s, *e), recording.duration_secs)
                        })
                        .map(|(p, l)| (*p, l.clone()))
                        .unzip();
                    Recording {
                        start_secs: Vec::new(),
                        first_window: 0,
                        positives,
                        labels,
                        duration_secs: span.end_secs - span.start_secs,
                    }
                })
                .collect();
            let mut staged: Vec<Vec<f32>> = vec![Vec::new(); entries.len()];
            let mut failed = None;
            crate::scoring::produce_blocks(
                spec,
                reader,
                step,
                4_096,
                streams,
                cancel,
                &mut |block| {
                    match block {
                        Ok(block) => {
                            let mut keep = vec![false; block.start_secs.len()];
                            for (k, start) in block.start_secs.iter().enumerate() {
                                let end = start + window_secs;
                                // A window wholly inside a span; a span that ends the recording
                                // keeps every window to its end, as detection scores them.
                                if let Some(e) = mine.iter().position(|s| {
                                    let ends_recording =
                                        s.end_secs >= recording.duration_secs - 1e-9;
                                    *start >= s.start_secs - 1e-9
                                        && (ends_recording || end <= s.end_secs + 1e-9)
                                }) {
                                    entries[e].start_secs.push(*start);
                                    keep[k] = true;
                                    if !streams {
                                        staged[e].extend_from_slice(
                                            &block.inputs[k * per_window..(k + 1) * per_window],
                                        );
                                    }
                                }
                            }
                            // Spans and windows both run in time order, so the kept windows of
                            // the strips, in order, are the entries' windows one after another.
                            if let Some(strip) = block.strip.as_ref().and_then(|strip| {
                                strip.keeping(&keep, spec.shape().0, spec.shape().1)
                            }) {
                                out.strips.push(strip);
                            }
                            true
                        }
                        Err(error) => {
                            failed = Some(error);
                            false
                        }
                    }
                },
            );
            if let Some(error) = failed {
                out.inputs.truncate(kept_inputs);
                out.strips.truncate(kept_strips);
                out.recordings.truncate(kept_recordings);
                warnings.push(format!(
                    "event-level validation left out {}: {error}",
                    recording.name
                ));
                continue;
            }
            for (mut entry, inputs) in entries.into_iter().zip(staged) {
                if entry.start_secs.is_empty() {
                    continue;
                }
                entry.first_window = out.windows();
                out.inputs.extend(inputs);
                out.recordings.push(entry);
            }
        }
        (!out.recordings.is_empty()).then_some(out)
    }

    /// The same validation without its model inputs (once scored, only the windows' times
    /// and the calls are needed to count).
    #[must_use]
    pub fn without_inputs(mut self) -> Self {
        self.inputs = Vec::new();
        self.strips = Vec::new();
        self
    }

    /// Bytes of inputs (or strips) kept.
    fn kept_bytes(&self) -> usize {
        4 * (self.inputs.len() + self.strips.iter().map(|s| s.values.len()).sum::<usize>())
    }

    /// The ensemble `nets`' mean scores of every window, in order (row-major `[windows,
    /// outputs]`): with context, each strip scored densely.
    #[must_use]
    pub fn scores(
        &self,
        nets: &[crate::model::FoldedNet],
        device: &burn::tensor::Device,
    ) -> Vec<f32> {
        let (bands, frames) = self.shape;
        if self.strips.is_empty() {
            return crate::model::ensemble_scores(nets, &self.inputs, bands, frames, 64, device);
        }
        self.strips
            .iter()
            .flat_map(|strip| {
                crate::scoring::dense::score_strip(nets, strip, bands, frames, device)
            })
            .collect()
    }

    /// Windows to score.
    #[must_use]
    pub fn windows(&self) -> usize {
        self.recordings.iter().map(|r| r.start_secs.len()).sum()
    }

    /// Seconds of validation audio.
    #[must_use]
    pub fn audio_secs(&self) -> f64 {
        self.recordings.iter().map(|r| r.duration_secs).sum()
    }

    /// Event metrics of `scores` (one per window, in order) at `threshold`, summed over the
    /// recordings (for one class; a multi-class model's: see [`Self::class_metrics_at`]).
    #[must_use]
    pub fn metrics_at(&self, scores: &[f32], threshold: f32) -> EventMetrics {
        self.matched(scores, threshold, None)
    }

    /// Event metrics of class `class` of a multi-class model, from its `scores` (row-major
    /// `[windows, classes]`): its column cut into calls at `threshold` and matched to the
    /// positives of its label only, as a per-class detection run would be.
    #[must_use]
    pub fn class_metrics_at(&self, scores: &[f32], class: usize, threshold: f32) -> EventMetrics {
        let column = crate::metrics::column(scores, self.outputs, class);
        self.matched(
            &column,
            threshold,
            self.classes.get(class).map(String::as_str),
        )
    }

    /// The classes' event metrics, each at its threshold (see [`Self::class_metrics_at`]).
    #[must_use]
    pub fn class_metrics(&self, scores: &[f32], thresholds: &[f32]) -> Vec<EventMetrics> {
        thresholds
            .iter()
            .enumerate()
            .map(|(c, t)| self.class_metrics_at(scores, c, *t))
            .collect()
    }

    /// The classes of a multi-class model (empty for one class).
    #[must_use]
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Counts of several classes' metrics added up, as one set of metrics (micro average; its
    /// threshold is the first's; false positives per hour of the audio, all classes'.
    #[must_use]
    pub fn pooled(&self, metrics: &[EventMetrics]) -> EventMetrics {
        let mut total = EventMetrics {
            threshold: metrics.first().map_or(0.5, |m| m.threshold),
            ..EventMetrics::default()
        };
        for m in metrics {
            total.add_counts(m);
        }
        crate::evaluate::rates(total, self.audio_secs())
    }

    /// `scores` (one per window) cut into calls at `threshold` and matched to the positives
    /// labelled `label` (all of them when `None`).
    fn matched(&self, scores: &[f32], threshold: f32, label: Option<&str>) -> EventMetrics {
        let mut total = EventMetrics {
            threshold,
            ..EventMetrics::default()
        };
        let settings = MergeSettings {
            threshold,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: Some(self.defaults.peaks),
        };
        for recording in &self.recordings {
            let n = recording.start_secs.len();
            let Some(slice) = scores.get(recording.first_window..recording.first_window + n) else {
                continue;
            };
            let curve = WindowScores {
                window_secs: self.window_secs,
                start_secs: recording.start_secs.clone(),
                scores: slice.to_vec(),
                envelope: None,
            };
            let positives: Vec<(f64, f64)> = match label {
                None => recording.positives.clone(),
                Some(label) => recording
                    .positives
                    .iter()
                    .zip(&recording.labels)
                    .filter(|(_, l)| *l == label)
                    .map(|(p, _)| *p)
                    .collect(),
            };
            total.add_counts(&crate::evaluate::evaluate_scores(
                &curve,
                &settings,
                &positives,
                TOLERANCE_SECS,
                recording.duration_secs,
            ));
        }
        crate::evaluate::rates(total, self.audio_secs())
    }

    /// The metrics at the threshold with the best event F1 (the middle one of a tie).
    #[must_use]
    pub fn best(&self, scores: &[f32]) -> EventMetrics {
        self.summary(scores).0
    }

    /// The metrics at the best threshold (see [`Self::best`]) and the mean event F1 over all
    /// thresholds tried. The mean is what picks the epoch: small validation sets often reach
    /// F1 = 1 at some threshold early, while a model that has learnt the calls keeps a high F1
    /// over a wide range of thresholds. For a multi-class model: the classes' metrics, each at
    /// its own best threshold, pooled, and the mean over classes of their mean F1.
    #[must_use]
    pub fn summary(&self, scores: &[f32]) -> (EventMetrics, f64) {
        if self.classes.is_empty() {
            return best_of(|t| self.metrics_at(scores, t));
        }
        let per_class: Vec<(EventMetrics, f64)> = (0..self.classes.len())
            .map(|c| self.class_summary(scores, c))
            .collect();
        let best: Vec<EventMetrics> = per_class.iter().map(|(m, _)| *m).collect();
        let mean = per_class.iter().map(|(_, f1)| f1).sum::<f64>() / per_class.len() as f64;
        (self.pooled(&best), mean)
    }

    /// [`Self::summary`] of one class of a multi-class model (scores row-major).
    #[must_use]
    pub fn class_summary(&self, scores: &[f32], class: usize) -> (EventMetrics, f64) {
        best_of(|t| self.class_metrics_at(scores, class, t))
    }
}

/// The metrics at the threshold with the best F1 (the middle one of a tie) and the mean F1
/// over the thresholds tried.
fn best_of(metrics_at: impl Fn(f32) -> EventMetrics) -> (EventMetrics, f64) {
    let all: Vec<EventMetrics> = THRESHOLDS.iter().map(|t| metrics_at(*t)).collect();
    let best_f1 = all.iter().map(|m| m.f1).fold(0.0, f64::max);
    let tied: Vec<&EventMetrics> = all.iter().filter(|m| m.f1 >= best_f1 - 1e-9).collect();
    let mean = all.iter().map(|m| m.f1).sum::<f64>() / all.len() as f64;
    (*tied[tied.len() / 2], mean)
}

/// The event metrics of several validations (a cross-validation's folds, each with its own
/// model's scores) pooled: at each threshold the folds' counts are added up, so the best
/// threshold and the mean F1 over thresholds (see [`EventValidation::summary`]) are those of
/// all the folds' calls and audio together. For one class.
#[must_use]
pub fn pooled_summary(folds: &[(&EventValidation, &[f32])]) -> (EventMetrics, f64) {
    best_of(|t| pooled_at(folds, t))
}

/// The folds' event metrics at `threshold`, pooled (see [`pooled_summary`]).
#[must_use]
pub fn pooled_at(folds: &[(&EventValidation, &[f32])], threshold: f32) -> EventMetrics {
    let mut total = EventMetrics {
        threshold,
        ..EventMetrics::default()
    };
    let mut secs = 0.0;
    for (validation, scores) in folds {
        total.add_counts(&validation.metrics_at(scores, threshold));
        secs += validation.audio_secs();
    }
    let mut pooled = crate::evaluate::rates(total, secs);
    pooled.threshold = threshold;
    pooled
}

/// The hop of `defaults` in spectrogram frames of `spec` (at least one).
fn step_of(spec: &ModelInputSpec, defaults: &DetectionDefaults) -> usize {
    let frame_secs = spec.spectrogram.hop_secs(spec.sample_rate_hz);
    ((defaults.hop_secs / frame_secs).round() as usize).max(1)
}

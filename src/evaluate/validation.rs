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
const THRESHOLDS: [f32; 21] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.93, 0.96, 0.98,
];

#[derive(Debug, Clone)]
struct Recording {
    start_secs: Vec<f64>,
    /// Index of its first window among all windows.
    first_window: usize,
    positives: Vec<(f64, f64)>,
    duration_secs: f64,
}

/// The validation recordings' windows, ready to score every epoch.
#[derive(Debug, Clone)]
pub struct EventValidation {
    recordings: Vec<Recording>,
    /// Every window's model input, one after another.
    pub inputs: Vec<f32>,
    window_secs: f64,
    defaults: DetectionDefaults,
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
        let per_window = spec.shape().0 * spec.shape().1 * std::mem::size_of::<f32>();
        let frame_secs = spec.spectrogram.hop_secs(spec.sample_rate_hz);
        let step = ((defaults.hop_secs / frame_secs).round() as usize).max(1);
        let mut out = Self {
            recordings: Vec::new(),
            inputs: Vec::new(),
            window_secs: spec.window_secs(),
            defaults: *defaults,
        };
        let chosen = dataset
            .recordings
            .iter()
            .filter(|r| r.split == split && r.fully_annotated);
        for recording in chosen {
            let windows = (recording.duration_secs / defaults.hop_secs).ceil() as usize + 1;
            if out.inputs.len() * 4 + windows * per_window > MAX_INPUT_BYTES {
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
            let first_window = out.inputs.len() / (per_window / 4).max(1);
            let mut start_secs = Vec::new();
            let mut failed = None;
            crate::scoring::produce_blocks(spec, reader, step, 4_096, cancel, &mut |block| {
                match block {
                    Ok(block) => {
                        start_secs.extend(block.start_secs);
                        out.inputs.extend(block.inputs);
                        true
                    }
                    Err(error) => {
                        failed = Some(error);
                        false
                    }
                }
            });
            if let Some(error) = failed {
                out.inputs.truncate(first_window * per_window / 4);
                warnings.push(format!(
                    "event-level validation left out {}: {error}",
                    recording.name
                ));
                continue;
            }
            out.recordings.push(Recording {
                start_secs,
                first_window,
                positives: recording.positives.clone(),
                duration_secs: recording.duration_secs,
            });
        }
        (!out.recordings.is_empty()).then_some(out)
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
    /// recordings.
    #[must_use]
    pub fn metrics_at(&self, scores: &[f32], threshold: f32) -> EventMetrics {
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
            };
            total.add_counts(&crate::evaluate::evaluate_scores(
                &curve,
                &settings,
                &recording.positives,
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
    /// over a wide range of thresholds.
    #[must_use]
    pub fn summary(&self, scores: &[f32]) -> (EventMetrics, f64) {
        let all: Vec<EventMetrics> = THRESHOLDS
            .iter()
            .map(|t| self.metrics_at(scores, *t))
            .collect();
        let best_f1 = all.iter().map(|m| m.f1).fold(0.0, f64::max);
        let tied: Vec<&EventMetrics> = all.iter().filter(|m| m.f1 >= best_f1 - 1e-9).collect();
        let mean = all.iter().map(|m| m.f1).sum::<f64>() / all.len() as f64;
        (*tied[tied.len() / 2], mean)
    }
}

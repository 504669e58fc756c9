//! Detection: a model over a recording. The recording's spectrogram is computed once, block by
//! block in bounded memory, and every window (on the spectrogram's hop grid, `hop_secs` apart)
//! is sliced from it — the same frames training cropped — and scored in batches. Scores of every
//! window are kept, so thresholds and merging can change without running the model again.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::audio::{AudioReader, ResamplingReader};
use crate::model::ModelArtifact;

/// Errors detecting.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("the model's input cannot be computed: {0}")]
    Input(#[from] crate::dsp::DspError),
    #[error("detection cancelled")]
    Cancelled,
}

/// Every window's score over one recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowScores {
    pub window_secs: f64,
    /// Start of each window, seconds from the start of the recording.
    pub start_secs: Vec<f64>,
    pub scores: Vec<f32>,
}

/// Spectrogram frames computed per block (the block's audio is read, transformed and scored,
/// then dropped): about 95 s at the default 256-sample hop and 22.05 kHz.
const BLOCK_FRAMES: usize = 8_192;

/// Windows scored per forward pass.
const DETECT_BATCH: usize = 32;

/// The hop between windows in spectrogram frames (at least one).
#[must_use]
pub fn hop_frames(model: &ModelArtifact, hop_secs: f64) -> usize {
    let input = &model.info.input;
    let frame_secs = f64::from(input.spectrogram.hop_len) / f64::from(input.sample_rate_hz);
    ((hop_secs / frame_secs).round() as usize).max(1)
}

/// Scores every window of the recording at `path`, `hop_secs` apart (rounded to whole
/// spectrogram frames). `progress(done_secs, total_secs)` reports; `cancel` stops between blocks.
pub fn score_recording(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<WindowScores, DetectError> {
    score_recording_in_blocks(model, path, hop_secs, BLOCK_FRAMES, cancel, progress)
}

/// [`score_recording`] with blocks of `block_frames` window starts (tests use small blocks to
/// check that block edges change nothing).
#[doc(hidden)]
pub fn score_recording_in_blocks(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    block_frames: usize,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<WindowScores, DetectError> {
    let block_frames = block_frames.max(1);
    let input = model.info.input;
    let stft = input.stft()?;
    let bands = stft.bands();
    let native = input.native_frames();
    let hop = input.spectrogram.hop_len as usize;
    let window_len = input.spectrogram.window_len as usize;
    let rate = f64::from(input.sample_rate_hz);
    let step = hop_frames(model, hop_secs);
    let mut reader = ResamplingReader::new(AudioReader::open(path)?, input.sample_rate_hz)?;
    let total_samples = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
    let total_frames = input.spectrogram.frame_count(total_samples);
    let device = burn::tensor::Device::flex();
    let (out_bands, out_frames) = input.shape();
    let total_secs = total_samples as f64 / rate;
    // Batch norms folded into the convolutions: the same scores, one pass fewer per block.
    let net = model.net.folded();
    // A producer thread decodes, transforms and slices the next block while this one is scored
    // (a bounded channel keeps at most one block waiting: memory stays bounded).
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Block, DetectError>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut scratch = stft.scratch();
            let mut db = Vec::new();
            // Window starts in frames: 0, step, 2·step, … while the window fits.
            let mut next_start = 0_usize;
            while next_start + native <= total_frames.max(native) {
                if cancel.load(Ordering::Relaxed) {
                    let _ = sender.send(Err(DetectError::Cancelled));
                    return;
                }
                // This block holds the windows starting in [next_start, next_start + block_frames).
                let first_frame = next_start;
                let last_start = (first_frame + block_frames)
                    .min(total_frames.saturating_sub(native))
                    .max(first_frame);
                let frames_needed = last_start - first_frame + native;
                let samples_needed = (frames_needed - 1) * hop + window_len;
                let mut audio = match reader.read_frames((first_frame * hop) as u64, samples_needed)
                {
                    Ok(audio) => audio,
                    Err(error) => {
                        let _ = sender.send(Err(error.into()));
                        return;
                    }
                };
                // A recording shorter than one window is padded with silence, as in training.
                audio.resize(samples_needed, 0.0);
                let frames = stft.compute_serial_into(&audio, &mut scratch, &mut db);
                let mut block = Block::default();
                let mut start = first_frame;
                while start <= last_start && start - first_frame + native <= frames {
                    let offset = start - first_frame;
                    let slice = &db[offset * bands..(offset + native) * bands];
                    block
                        .inputs
                        .extend(input.from_spectrogram(slice, native, bands).values);
                    block.start_secs.push(start as f64 * hop as f64 / rate);
                    start += step;
                }
                block.done_secs = (start as f64 * hop as f64 / rate).min(total_secs);
                if sender.send(Ok(block)).is_err() || start <= next_start {
                    return;
                }
                next_start = start;
                if total_frames < native {
                    return;
                }
            }
        });
        let mut result = WindowScores {
            window_secs: input.window_secs(),
            ..WindowScores::default()
        };
        for block in receiver {
            let block = block?;
            if cancel.load(Ordering::Relaxed) {
                return Err(DetectError::Cancelled);
            }
            let scores = crate::model::scores(
                &net,
                &block.inputs,
                out_bands,
                out_frames,
                DETECT_BATCH,
                &device,
            );
            result.start_secs.extend(block.start_secs);
            result.scores.extend(scores);
            progress(block.done_secs, total_secs);
        }
        Ok(result)
    })
}

/// One block's windows, ready to score.
#[derive(Default)]
struct Block {
    start_secs: Vec<f64>,
    inputs: Vec<f32>,
    /// Seconds of the recording covered once these are scored.
    done_secs: f64,
}

/// How scores become detections.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MergeSettings {
    pub threshold: f32,
    /// Detections closer than this are joined.
    pub min_gap_secs: f64,
    /// Shorter detections are dropped.
    pub min_duration_secs: f64,
}

/// A span of time the model calls positive: overlapping or touching positive windows merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub start_secs: f64,
    pub end_secs: f64,
    pub max_score: f32,
    pub mean_score: f32,
    /// Positive windows merged into it.
    pub windows: usize,
}

/// Thresholds window scores and merges overlapping or touching positive windows (and those
/// closer than `min_gap_secs`) into detections, then drops those shorter than
/// `min_duration_secs`. The count of calls is the count of detections.
#[must_use]
pub fn merge(scores: &WindowScores, settings: &MergeSettings) -> Vec<Detection> {
    let mut detections: Vec<Detection> = Vec::new();
    let mut sum = 0.0_f64;
    for (&start, &score) in scores.start_secs.iter().zip(&scores.scores) {
        if score < settings.threshold {
            continue;
        }
        let end = start + scores.window_secs;
        match detections.last_mut() {
            Some(last) if start <= last.end_secs + settings.min_gap_secs.max(0.0) + 1e-9 => {
                last.end_secs = last.end_secs.max(end);
                last.max_score = last.max_score.max(score);
                last.windows += 1;
                sum += f64::from(score);
                last.mean_score = (sum / last.windows as f64) as f32;
            }
            _ => {
                sum = f64::from(score);
                detections.push(Detection {
                    start_secs: start,
                    end_secs: end,
                    max_score: score,
                    mean_score: score,
                    windows: 1,
                });
            }
        }
    }
    detections.retain(|d| d.end_secs - d.start_secs >= settings.min_duration_secs);
    detections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: &[f32]) -> WindowScores {
        WindowScores {
            window_secs: 2.0,
            start_secs: (0..values.len()).map(|i| i as f64).collect(),
            scores: values.to_vec(),
        }
    }

    const PLAIN: MergeSettings = MergeSettings {
        threshold: 0.5,
        min_gap_secs: 0.0,
        min_duration_secs: 0.0,
    };

    #[test]
    fn overlapping_positive_windows_become_one_detection() {
        // Windows 2 s long, 1 s apart: those at 1 and 2 s overlap; 5 and 8 s stand alone.
        let found = merge(
            &scores(&[0.1, 0.9, 0.7, 0.2, 0.1, 0.6, 0.1, 0.1, 0.8]),
            &PLAIN,
        );
        assert_eq!(found.len(), 3);
        assert_eq!((found[0].start_secs, found[0].end_secs), (1.0, 4.0));
        assert_eq!(found[0].windows, 2);
        assert!((found[0].max_score - 0.9).abs() < 1e-6);
        assert!((found[0].mean_score - 0.8).abs() < 1e-6);
        assert_eq!((found[1].start_secs, found[1].end_secs), (5.0, 7.0));
    }

    #[test]
    fn touching_windows_merge_and_gaps_and_durations_apply() {
        let touching = WindowScores {
            window_secs: 1.0,
            start_secs: vec![0.0, 1.0, 3.0],
            scores: vec![0.9, 0.9, 0.9],
        };
        assert_eq!(merge(&touching, &PLAIN).len(), 2);
        let bridged = MergeSettings {
            min_gap_secs: 1.0,
            ..PLAIN
        };
        assert_eq!(merge(&touching, &bridged).len(), 1);
        let long_only = MergeSettings {
            min_duration_secs: 1.5,
            ..PLAIN
        };
        let kept = merge(&touching, &long_only);
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].start_secs, kept[0].end_secs), (0.0, 2.0));
        // A higher threshold finds fewer calls without scoring again.
        let strict = MergeSettings {
            threshold: 0.95,
            ..PLAIN
        };
        assert!(merge(&touching, &strict).is_empty());
    }
}

//! Recordings unlike the training recordings, and adapting to them. A network trained with
//! precise batch-norm statistics carries, in its first block, the mean and variance of each of
//! its first features over the training windows. The same statistics measured on windows
//! spread over a recording about to be scored say how far its sound lies from what the model
//! learnt on: a symmetric Kullback–Leibler divergence per feature, averaged. Training measures
//! the training recordings the same way, so a recording is called unlike them when it lies
//! further than any of them did (with a margin), not by a fixed number. The same windows can
//! re-estimate every batch norm on the recordings being scored (AdaBN).

use std::path::{Path, PathBuf};

use crate::audio::{AudioReader, ResamplingReader};
use crate::model::CallNet;

use super::DetectError;

/// Windows spread over each recording to measure it.
pub const SAMPLE_WINDOWS: usize = 48;

pub use crate::model::artifact::{DomainReference, MIN_UNLIKE_DISTANCE, UNLIKE_FACTOR};

/// The symmetric Kullback–Leibler divergence between two Gaussians per feature, averaged over
/// the features: 0 for equal statistics, growing with shifted means and unequal spreads.
#[must_use]
pub fn distance(a: &(Vec<f32>, Vec<f32>), b: &(Vec<f32>, Vec<f32>)) -> f64 {
    let n = a.0.len().min(b.0.len()).min(a.1.len()).min(b.1.len());
    if n == 0 {
        return 0.0;
    }
    let total: f64 = (0..n)
        .map(|c| {
            let (ma, mb) = (f64::from(a.0[c]), f64::from(b.0[c]));
            let (va, vb) = (f64::from(a.1[c]).max(1e-6), f64::from(b.1[c]).max(1e-6));
            let shift = (ma - mb) * (ma - mb);
            0.5 * ((va + shift) / vb + (vb + shift) / va) - 1.0
        })
        .sum();
    total / n as f64
}

/// Model inputs of `windows` windows spread evenly over the recording at `path` (fewer when it
/// is short), one after another.
pub fn sample_inputs(
    input: &crate::dsp::ModelInputSpec,
    path: &Path,
    windows: usize,
) -> Result<Vec<f32>, DetectError> {
    let mut reader = ResamplingReader::new(AudioReader::open(path)?, input.sample_rate_hz)?;
    let stft = input.stft()?;
    let window_frames = input.window_samples as usize;
    let total = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
    // With context, the input's audio starts before the window (silence before the start).
    let before = (input.frames_before() * input.spectrogram.hop_len as usize) as i64;
    let mut out = Vec::new();
    let span = total.saturating_sub(window_frames);
    let n = windows.max(1).min(span / window_frames.max(1) + 1);
    for k in 0..n {
        let start = if n == 1 { 0 } else { span * k / (n - 1) };
        let audio = reader.read_padded(start as i64 - before, input.input_samples())?;
        out.extend(input.build(&stft, &audio)?.values);
    }
    Ok(out)
}

/// The distance of the windows `inputs` from `net`'s first-block statistics (`None` for a
/// network without blocks or no input).
#[must_use]
pub fn distance_of(
    net: &CallNet,
    inputs: &[f32],
    input: &crate::dsp::ModelInputSpec,
    device: &burn::tensor::Device,
) -> Option<f64> {
    let (bands, frames) = input.shape();
    let reference = net.first_norm_statistics()?;
    let measured = net.conv_statistics(0, inputs, bands, frames, 64, device)?;
    Some(distance(&measured, &reference))
}

/// Each recording's distance from the model's training statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainCheck {
    /// `(recording, distance)`, farthest first; recordings that could not be read are left out.
    pub distances: Vec<(PathBuf, f64)>,
    /// Beyond this a recording is unlike the training recordings.
    pub limit: f64,
}

impl DomainCheck {
    /// Measures `paths` (at most `max_recordings` of them, spread over the list) against the
    /// model: `None` for models without a reference (older models, embedder heads).
    #[must_use]
    pub fn measure(
        model: &crate::model::ModelArtifact,
        paths: &[PathBuf],
        max_recordings: usize,
        device: &burn::tensor::Device,
    ) -> Option<Self> {
        let reference = model.info.domain.as_ref()?;
        if model.head.is_some() {
            return None;
        }
        let n = paths.len().min(max_recordings.max(1));
        let mut distances: Vec<(PathBuf, f64)> = (0..n)
            .map(|k| &paths[k * paths.len() / n.max(1)])
            .filter_map(|path| {
                let inputs = sample_inputs(&model.info.input, path, SAMPLE_WINDOWS).ok()?;
                let d = distance_of(&model.net, &inputs, &model.info.input, device)?;
                Some((path.clone(), d))
            })
            .collect();
        distances.sort_by(|a, b| b.1.total_cmp(&a.1));
        Some(Self {
            distances,
            limit: reference.limit(),
        })
    }

    /// The recordings beyond the limit, farthest first.
    #[must_use]
    pub fn unlike(&self) -> Vec<&(PathBuf, f64)> {
        self.distances
            .iter()
            .filter(|(_, d)| *d > self.limit)
            .collect()
    }

    /// A warning for people when some recordings are unlike the training recordings, naming
    /// the farthest.
    #[must_use]
    pub fn warning(&self) -> Option<String> {
        let unlike = self.unlike();
        if unlike.is_empty() {
            return None;
        }
        let named: Vec<String> = unlike
            .iter()
            .take(3)
            .map(|(path, d)| {
                format!(
                    "{} ({d:.2})",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned()
                    )
                )
            })
            .collect();
        Some(format!(
            "{} of {} recording(s) checked sound unlike the training recordings (distance over \
             {:.2}, the farthest training recording's × {UNLIKE_FACTOR}): {}{} — expect more \
             missed calls or false positives there; review a sample, and add a few of their \
             calls and noise to the project",
            unlike.len(),
            self.distances.len(),
            self.limit,
            named.join(", "),
            if unlike.len() > 3 { ", …" } else { "" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distance_is_zero_for_equal_statistics_and_grows_with_a_shift_or_a_spread() {
        let a = (vec![0.0, 1.0], vec![1.0, 2.0]);
        assert!(distance(&a, &a).abs() < 1e-12);
        let shifted = (vec![1.0, 2.0], vec![1.0, 2.0]);
        let wider = (vec![0.0, 1.0], vec![4.0, 8.0]);
        let far = (vec![3.0, 4.0], vec![1.0, 2.0]);
        assert!(distance(&a, &shifted) > 0.1);
        assert!(distance(&a, &far) > distance(&a, &shifted));
        assert!(distance(&a, &wider) > 0.1);
        assert!((distance(&a, &wider) - distance(&wider, &a)).abs() < 1e-12);
    }

    #[test]
    fn the_limit_follows_the_farthest_training_recording() {
        let reference = DomainReference {
            training: vec![("a".into(), 0.2), ("b".into(), 0.4)],
        };
        assert!((reference.limit() - 0.8).abs() < 1e-12);
        let close = DomainReference {
            training: vec![("a".into(), 0.01)],
        };
        assert!((close.limit() - MIN_UNLIKE_DISTANCE).abs() < 1e-12);
    }
}

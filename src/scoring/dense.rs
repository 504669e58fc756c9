//! Dense scoring: for a model whose input carries context
//! ([`ModelInputSpec::context_frames`](crate::dsp::ModelInputSpec::context_frames)), the
//! convolutions run once over each block's strip of the recording and every window is scored
//! from the shared feature maps, instead of once per window. At a hop of a sixth of the
//! window, each column of the spectrogram went through the network six times before.
//!
//! It is exact, not an approximation: a window's own cells lie at least the network's reach
//! inside its context, so they do not see where its input was cut, and they are the same
//! numbers whether computed from the window's input alone or from a longer strip (tests check
//! it to 1e-4 against window-by-window scoring). Hops are whole multiples of
//! [`NetworkConfig::dense_hop_frames`](crate::model::NetworkConfig::dense_hop_frames): half
//! the network's stride, because the last max-pool is run at every position.

use burn::tensor::{Device, Tensor, TensorData};

use super::Strip;
use crate::model::{FoldedNet, ModelArtifact};

/// Whether `model` scores densely at a hop of `step` frames: its input has context, it is a
/// network of its own (not an embedder's head), and the hop lies on the dense grid.
#[must_use]
pub(crate) fn applies(model: &ModelArtifact, step: usize) -> bool {
    model.head.is_none()
        && model.info.input.context_frames > 0
        && !model.info.network.channels.is_empty()
        && step.is_multiple_of(model.info.network.dense_hop_frames())
}

/// Mean sigmoid scores of the ensemble `nets` for every window of `strip`, row-major
/// `[windows, outputs]`: `bands` rows, inputs of `crop_frames`. Windows off the network's dense
/// grid (a hop that is not a multiple of [`dense_hop_frames`](crate::model::NetworkConfig::dense_hop_frames)) are sliced from
/// the strip and scored one by one instead. The strip is cut into as many pieces as the
/// rayon pool has threads, so each thread runs the convolutions over one.
#[must_use]
pub fn score_strip(
    nets: &[FoldedNet],
    strip: &Strip,
    bands: usize,
    crop_frames: usize,
    device: &Device,
) -> Vec<f32> {
    let windows = strip.offsets.len();
    if windows == 0 || nets.is_empty() {
        return Vec::new();
    }
    let Some(half_stride_frames) = nets[0].window_cells().map(|w| w.half_stride) else {
        return Vec::new();
    };
    let first = strip.offsets[0];
    if strip
        .offsets
        .iter()
        .any(|o| !(o - first).is_multiple_of(half_stride_frames.max(1)))
    {
        let inputs = strip.windows(bands, crop_frames);
        return crate::model::ensemble_scores(nets, &inputs, bands, crop_frames, 32, device);
    }
    let pieces = rayon::current_num_threads().clamp(1, windows);
    // Consecutive windows per piece, as even as they come.
    let groups: Vec<&[usize]> = (0..pieces)
        .map(|p| &strip.offsets[p * windows / pieces..(p + 1) * windows / pieces])
        .filter(|g| !g.is_empty())
        .collect();
    let length = groups
        .iter()
        .map(|g| g[g.len() - 1] - g[0] + crop_frames)
        .max()
        .unwrap_or(crop_frames);
    // Pieces side by side as a batch; a shorter piece is padded after its end, which its
    // windows' cells do not reach.
    let mut values = vec![0.0_f32; groups.len() * bands * length];
    for (p, group) in groups.iter().enumerate() {
        let (from, to) = (
            group[0],
            (group[group.len() - 1] + crop_frames).min(strip.frames),
        );
        for band in 0..bands {
            let row = &strip.values[band * strip.frames + from..band * strip.frames + to];
            let at = (p * bands + band) * length;
            values[at..at + row.len()].copy_from_slice(row);
        }
    }
    let strips = Tensor::<4>::from_data(
        TensorData::new(values, [groups.len(), 1, bands, length]),
        device,
    );
    let mut total: Vec<f32> = Vec::new();
    for net in nets {
        let Some(window) = net.window_cells() else {
            continue;
        };
        let (features, channels, positions) = net.dense_features(strips.clone());
        let mut embeddings = Vec::with_capacity(windows * channels);
        for (p, group) in groups.iter().enumerate() {
            let piece = &features[p * channels * positions..(p + 1) * channels * positions];
            for &offset in *group {
                // The window's first cell starts this many half-strides into the piece.
                let first = (offset - group[0]) / half_stride_frames.max(1);
                for channel in 0..channels {
                    let row = &piece[channel * positions..(channel + 1) * positions];
                    let cells = (window.margin..window.margin + window.cells)
                        .map(|k| first + 2 * k)
                        .filter(|&at| at < positions);
                    let (sum, n) =
                        cells.fold((0.0_f32, 0_usize), |(s, n), at| (s + row[at], n + 1));
                    embeddings.push(sum / n.max(1) as f32);
                }
            }
        }
        let logits = net.head_logits(embeddings, channels);
        if total.is_empty() {
            total = vec![0.0; logits.len()];
        }
        for (t, logit) in total.iter_mut().zip(&logits) {
            *t += 1.0 / (1.0 + (-logit).exp());
        }
    }
    let n = nets.len() as f32;
    for t in &mut total {
        *t /= n;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::{InputNormalization, ModelInputSpec};
    use crate::model::NetworkConfig;

    /// A strip of `frames` random-ish frames with windows at `offsets`.
    fn strip(bands: usize, frames: usize, offsets: Vec<usize>) -> Strip {
        let values = (0..bands * frames)
            .map(|i| ((i * 7_919 % 1_000) as f32 / 500.0 - 1.0).abs())
            .collect();
        Strip {
            values,
            frames,
            offsets,
        }
    }

    #[test]
    fn kept_windows_and_windows_off_the_grid_score_as_all_windows_do() {
        let network = NetworkConfig {
            channels: vec![4, 8],
            input_pool: 1,
            dropout: 0.0,
            outputs: 1,
        };
        let mut input = ModelInputSpec {
            normalization: InputNormalization::PCEN,
            ..ModelInputSpec::default()
        };
        input.context_frames = network.context_frames_for(&input);
        let device = burn::tensor::Device::flex();
        let nets = vec![network.init(&input, &device).folded()];
        let (bands, crop) = input.shape();
        let half = network.dense_hop_frames();
        let offsets: Vec<usize> = (0..12).map(|k| k * 3 * half).collect();
        let frames = offsets[11] + crop;
        let all = strip(bands, frames, offsets);
        let scores = score_strip(&nets, &all, bands, crop, &device);
        let one_by_one = crate::model::ensemble_scores(
            &nets,
            &all.windows(bands, crop),
            bands,
            crop,
            8,
            &device,
        );
        assert_eq!(scores.len(), 12);
        for (a, b) in scores.iter().zip(&one_by_one) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // Every other window kept (what event validation stores): the same scores.
        let keep: Vec<bool> = (0..12).map(|k| k % 2 == 1).collect();
        let kept = all.keeping(&keep, bands, crop).expect("windows kept");
        assert_eq!(kept.offsets.len(), 6);
        let kept_scores = score_strip(&nets, &kept, bands, crop, &device);
        for (k, score) in kept_scores.iter().enumerate() {
            assert!((score - scores[2 * k + 1]).abs() < 1e-4);
        }
        // Off the grid (a window one frame later): sliced and scored one by one.
        let mut off = strip(bands, frames + 1, vec![0, half + 1]);
        off.values.truncate(bands * off.frames);
        let off_scores = score_strip(&nets, &off, bands, crop, &device);
        let want = crate::model::ensemble_scores(
            &nets,
            &off.windows(bands, crop),
            bands,
            crop,
            8,
            &device,
        );
        assert_eq!(off_scores, want);
        assert!(all.keeping(&[false; 12], bands, crop).is_none());
    }
}

//! The embedding a trained model gives: every window of a recording (`hop_secs` apart, the
//! model's own input, as detection slices it) run through the first network of the model up to
//! its pooled features — what its final layer weighs to decide "call or not". Windows that
//! look alike to the model are close, whatever their level or background.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{EmbeddingIndex, SimilarError};
use crate::audio::{AudioReader, ResamplingReader};
use crate::model::ModelArtifact;

/// Windows embedded per forward pass.
const EMBED_BATCH: usize = 32;
/// Spectrogram frames per block read.
const BLOCK_FRAMES: usize = 8_192;

/// The hop between embedded windows: a quarter window (a call anywhere in a window is near
/// the middle of one of them).
#[must_use]
pub fn embedding_hop_secs(model: &ModelArtifact) -> f64 {
    model.info.input.window_secs() / 4.0
}

/// A short text naming the model's embedding, for file names.
#[must_use]
pub fn network_key(model: &ModelArtifact) -> String {
    let text = format!("{}{:?}", model.info.created, model.info.input);
    format!("network-{:08x}", crc32fast::hash(text.as_bytes()))
}

/// Embeds every window of the recording at `path`; `cancel` stops between blocks.
pub fn network_index(
    model: &ModelArtifact,
    path: &Path,
    cancel: &AtomicBool,
) -> Result<EmbeddingIndex, SimilarError> {
    let input = model.info.input;
    let hop_secs = embedding_hop_secs(model);
    let step = crate::scoring::hop_frames(model, hop_secs);
    let reader = ResamplingReader::new(AudioReader::open(path)?, input.sample_rate_hz)?;
    let device = burn::tensor::Device::flex();
    let (bands, frames) = input.shape();
    let nets = model.folded();
    let Some(net) = nets.first() else {
        return Err(SimilarError::NoQueryIndex);
    };
    let frame_secs = f64::from(input.spectrogram.hop_len) / f64::from(input.sample_rate_hz);
    let mut values = Vec::new();
    let mut dims = 0;
    let mut failure = None;
    crate::scoring::produce_blocks(&input, reader, step, BLOCK_FRAMES, cancel, &mut |block| {
        match block {
            Ok(block) => {
                let (embedded, channels) = crate::model::embeddings(
                    net,
                    &block.inputs,
                    bands,
                    frames,
                    EMBED_BATCH,
                    &device,
                );
                dims = channels;
                values.extend(embedded);
                !cancel.load(Ordering::Relaxed)
            }
            Err(error) => {
                failure = Some(error);
                false
            }
        }
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(SimilarError::Cancelled);
    }
    if let Some(error) = failure {
        return Err(match error {
            crate::scoring::DetectError::Audio(e) => SimilarError::Audio(e),
            crate::scoring::DetectError::Input(e) => SimilarError::Dsp(e),
            crate::scoring::DetectError::Cancelled => SimilarError::Cancelled,
            other @ crate::scoring::DetectError::MultiClass(..) => SimilarError::Scoring(other),
        });
    }
    let (low_hz, high_hz) = input.spectrogram.axis(input.sample_rate_hz).range_hz();
    Ok(EmbeddingIndex {
        step_secs: step as f64 * frame_secs,
        window_secs: input.window_secs(),
        dims,
        dim_hz: vec![(low_hz, high_hz); dims],
        values,
    })
}

//! The embedding a trained model gives: every window of a recording (`hop_secs` apart, the
//! model's own input, as detection slices it) run through the first network of the model up to
//! its pooled features — what its final layer weighs to decide "call or not". Windows that
//! look alike to the model are close, whatever their level or background. A model on a
//! pretrained embedder gives that embedder's vectors. [`NetworkEmbedder`] is the trained
//! network as an [`Embedder`].

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{EmbeddingIndex, SimilarError};
use crate::audio::{AudioReader, ResamplingReader};
use crate::embed::{EmbedError, Embedder, Embeddings};
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
    if let Some(head) = &model.head {
        return head.key();
    }
    let text = format!("{}{:?}", model.info.created, model.info.input);
    format!("network-{:08x}", crc32fast::hash(text.as_bytes()))
}

/// A trained network as an [`Embedder`] (the licence-clean default: the user's own model).
#[derive(Debug, Clone)]
pub struct NetworkEmbedder(pub ModelArtifact);

impl Embedder for NetworkEmbedder {
    fn key(&self) -> String {
        network_key(&self.0)
    }

    fn window_secs(&self) -> f64 {
        self.0.info.input.window_secs()
    }

    fn embed_file(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
    ) -> Result<Embeddings, EmbedError> {
        network_index_at(&self.0, path, hop_secs, cancel)
            .map(Embeddings::from)
            .map_err(|e| match e {
                SimilarError::Audio(e) => EmbedError::Audio(e),
                SimilarError::Cancelled => EmbedError::Cancelled,
                other => EmbedError::Run {
                    name: "the trained network".to_owned(),
                    path: path.to_path_buf(),
                    detail: other.to_string(),
                },
            })
    }
}

/// An index of embeddings made by any [`Embedder`] (each dimension over the whole band).
#[must_use]
pub fn index_of(embeddings: Embeddings) -> EmbeddingIndex {
    EmbeddingIndex {
        step_secs: embeddings.step_secs,
        window_secs: embeddings.window_secs,
        dims: embeddings.dims,
        dim_hz: vec![(0.0, f64::INFINITY); embeddings.dims],
        values: embeddings.values,
    }
}

/// Embeds every window of the recording at `path` (a quarter window apart); `cancel` stops
/// between blocks.
pub fn network_index(
    model: &ModelArtifact,
    path: &Path,
    cancel: &AtomicBool,
) -> Result<EmbeddingIndex, SimilarError> {
    network_index_at(model, path, embedding_hop_secs(model), cancel)
}

/// [`network_index`] with windows `hop_secs` apart.
pub fn network_index_at(
    model: &ModelArtifact,
    path: &Path,
    hop_secs: f64,
    cancel: &AtomicBool,
) -> Result<EmbeddingIndex, SimilarError> {
    if let Some(head) = &model.head {
        return head
            .embed_file(path, hop_secs, cancel)
            .map(index_of)
            .map_err(SimilarError::from);
    }
    let input = model.info.input;
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
    crate::scoring::produce_blocks(
        &input,
        reader,
        step,
        BLOCK_FRAMES,
        false,
        cancel,
        &mut |block| match block {
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
        },
    );
    if cancel.load(Ordering::Relaxed) {
        return Err(SimilarError::Cancelled);
    }
    if let Some(error) = failure {
        return Err(match error {
            crate::scoring::DetectError::Audio(e) => SimilarError::Audio(e),
            crate::scoring::DetectError::Input(e) => SimilarError::Dsp(e),
            crate::scoring::DetectError::Cancelled => SimilarError::Cancelled,
            other @ (crate::scoring::DetectError::MultiClass(..)
            | crate::scoring::DetectError::Embed(_)) => SimilarError::Scoring(other),
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

//! Embeddings: a recording turned into one vector per window, by an [`Embedder`]. Two kinds
//! exist: the trained network's own embedding (its pooled features, in
//! `similar::network`) and a pretrained ONNX model the user points Syrinx at ([`onnx`]; Perch,
//! BirdNET or their own), described by a small JSON file beside it ([`EmbedderSpec`]). A small
//! classifier ([`head`]) trained on the embeddings of the user's boxes turns such a model into
//! a recogniser that detects, reviews and finds more like this as a trained network does.

pub mod head;
pub mod onnx;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

pub use head::{HeadModel, HeadSettings, HeadWeights};
pub use onnx::OnnxEmbedder;

/// Errors embedding audio.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read the embedder description {}: {detail}", path.display())]
    Spec { path: PathBuf, detail: String },
    #[error("cannot load the ONNX model {}: {detail}", path.display())]
    Load { path: PathBuf, detail: String },
    #[error("the embedder {name} failed on {}: {detail}", path.display())]
    Run {
        name: String,
        path: PathBuf,
        detail: String,
    },
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error("cannot read the head of {}: {detail}", path.display())]
    Head { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

/// Every window of a recording embedded: row `r` is the window starting at `r · step_secs`,
/// `window_secs` long; `dims` values per row, row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embeddings {
    pub step_secs: f64,
    pub window_secs: f64,
    pub dims: usize,
    pub values: Vec<f32>,
}

impl Embeddings {
    #[must_use]
    pub fn rows(&self) -> usize {
        self.values.len() / self.dims.max(1)
    }

    #[must_use]
    pub fn row(&self, row: usize) -> &[f32] {
        &self.values[row * self.dims..(row + 1) * self.dims]
    }

    /// Start of each row's window, seconds.
    #[must_use]
    pub fn start_secs(&self) -> Vec<f64> {
        (0..self.rows())
            .map(|r| r as f64 * self.step_secs)
            .collect()
    }

    /// The row whose window is centred nearest `centre_secs`.
    #[must_use]
    pub fn row_near(&self, centre_secs: f64) -> Option<usize> {
        let rows = self.rows();
        (rows > 0).then(|| {
            let r = ((centre_secs - self.window_secs / 2.0) / self.step_secs.max(1e-9)).round();
            (r.max(0.0) as usize).min(rows - 1)
        })
    }
}

/// What turns recordings into embeddings.
pub trait Embedder: Send + Sync + std::fmt::Debug {
    /// A short name of this embedding (for side files and caches): two embedders with the same
    /// key give the same vectors.
    fn key(&self) -> String;
    /// Seconds of audio each vector describes.
    fn window_secs(&self) -> f64;
    /// Every window of the recording at `path`, about `hop_secs` apart (rounded to what the
    /// embedder can do); `cancel` stops between batches.
    fn embed_file(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
    ) -> Result<Embeddings, EmbedError>;
}

/// The JSON file beside an ONNX embedder: what it takes and gives. Only `model`,
/// `sample_rate_hz` and `window_samples` are needed.
///
/// ```json
/// { "name": "Perch v2", "model": "perch_v2.onnx", "sample_rate_hz": 32000,
///   "window_samples": 160000, "output": "embedding", "licence": "Apache-2.0" }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedderSpec {
    /// What users call it.
    #[serde(default)]
    pub name: String,
    /// The ONNX file, relative to the JSON file (or absolute).
    pub model: PathBuf,
    /// The rate the model takes its audio at (recordings are resampled to it).
    pub sample_rate_hz: u32,
    /// Samples per window the model takes.
    pub window_samples: usize,
    /// Its audio input's name (default: the model's first input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The output holding the embedding (default: the model's first output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Windows per run when the model's batch size is free (default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
    /// Under which licence its weights come (shown to users, kept in models trained on it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub licence: String,
}

impl EmbedderSpec {
    /// Reads the description at `path` (the JSON file, or the ONNX file with a `.json` of the
    /// same name beside it); `model` is made absolute.
    pub fn read(path: &Path) -> Result<(Self, PathBuf), EmbedError> {
        let json = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
        {
            path.with_extension("json")
        } else {
            path.to_path_buf()
        };
        let error = |detail: String| EmbedError::Spec {
            path: json.clone(),
            detail,
        };
        let text = std::fs::read_to_string(&json).map_err(|e| {
            error(format!(
                "{e} (an ONNX embedder needs a JSON file beside it naming its sample rate and \
                 window; see the README)"
            ))
        })?;
        let mut spec: Self = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        if spec.sample_rate_hz == 0 || spec.window_samples == 0 {
            return Err(error(
                "sample_rate_hz and window_samples must be above zero".to_owned(),
            ));
        }
        if spec.model.is_relative() {
            spec.model = json
                .parent()
                .map_or_else(|| spec.model.clone(), |dir| dir.join(&spec.model));
        }
        if spec.name.trim().is_empty() {
            spec.name = spec.model.file_stem().map_or_else(
                || "ONNX embedder".to_owned(),
                |s| s.to_string_lossy().into(),
            );
        }
        let json = std::path::absolute(&json).unwrap_or(json);
        Ok((spec, json))
    }

    /// Seconds per window.
    #[must_use]
    pub fn window_secs(&self) -> f64 {
        self.window_samples as f64 / f64::from(self.sample_rate_hz.max(1))
    }
}

/// Where a model trained on an embedder finds it again, kept in its `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedderRef {
    /// The embedder's JSON description (absolute when the model was trained).
    pub spec: PathBuf,
    pub name: String,
    /// [`Embedder::key`] when it was trained: a different file under the same name is noticed.
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub licence: String,
    /// Values per embedding.
    pub dims: usize,
}

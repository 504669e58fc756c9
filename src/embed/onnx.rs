//! A pretrained embedder in an ONNX file, run by tract (pure Rust: nothing to download, the
//! model read at run time). The audio is resampled to the model's rate and cut into its windows
//! `hop` apart; windows go through the model in batches (of the model's own batch size when it
//! has one, the last batch padded with silence); its output, flattened per window, is the
//! embedding.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::DimLike;

use super::{EmbedError, Embedder, EmbedderSpec, Embeddings};
use crate::audio::{AudioReader, ResamplingReader};

/// Windows per run when the model leaves its batch size free.
const DEFAULT_BATCH: usize = 16;

/// An ONNX embedder, loaded and ready to run (cheap to clone: the plan is shared).
#[derive(Clone)]
pub struct OnnxEmbedder {
    pub spec: EmbedderSpec,
    /// The JSON description it was read from.
    pub spec_path: PathBuf,
    plan: Arc<TypedSimplePlan>,
    batch: usize,
    /// Whether the model takes `[batch, 1, samples]` (else `[batch, samples]`).
    channel_axis: bool,
    dims: usize,
    key: String,
}

impl std::fmt::Debug for OnnxEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxEmbedder")
            .field("spec", &self.spec)
            .field("batch", &self.batch)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

impl OnnxEmbedder {
    /// Loads the embedder described at `path` (its JSON file, or the ONNX file with the JSON
    /// beside it) and runs it once on silence to learn its embedding size.
    pub fn load(path: &Path) -> Result<Self, EmbedError> {
        let (spec, spec_path) = EmbedderSpec::read(path)?;
        let model_path = spec.model.clone();
        let load_error = |detail: String| EmbedError::Load {
            path: model_path.clone(),
            detail,
        };
        let bytes = std::fs::read(&spec.model).map_err(|e| load_error(e.to_string()))?;
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .map_err(|e| load_error(format!("{e:#}")))?;
        if let Some(input) = &spec.input {
            model
                .set_input_names([input.as_str()])
                .map_err(|e| load_error(format!("no input named {input}: {e:#}")))?;
        }
        if let Some(output) = &spec.output {
            model
                .select_outputs_by_name([output.as_str()])
                .map_err(|e| load_error(format!("no output named {output}: {e:#}")))?;
        }
        let fact = model
            .input_fact(0)
            .map_err(|e| load_error(format!("{e:#}")))?
            .clone();
        let dims: Vec<Option<usize>> = fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.to_usize().ok()))
            .collect();
        let channel_axis = dims.len() == 3;
        if dims.len() != 2 && !channel_axis {
            return Err(load_error(format!(
                "its input has {} dimensions; Syrinx feeds audio as [batch, samples] or \
                 [batch, 1, samples]",
                dims.len()
            )));
        }
        if let Some(Some(samples)) = dims.last()
            && *samples != spec.window_samples
        {
            return Err(load_error(format!(
                "it takes {samples} samples per window, but its description says {}",
                spec.window_samples
            )));
        }
        let batch = match dims.first() {
            Some(Some(fixed)) => (*fixed).max(1),
            _ => spec.batch.unwrap_or(DEFAULT_BATCH).max(1),
        };
        let shape: TVec<usize> = if channel_axis {
            tvec![batch, 1, spec.window_samples]
        } else {
            tvec![batch, spec.window_samples]
        };
        let plan = model
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(tract_onnx::prelude::InferenceModelExt::into_optimized)
            .and_then(tract_onnx::prelude::IntoRunnable::into_runnable)
            .map_err(|e| load_error(format!("{e:#}")))?;
        let bytes_key = crc32fast::hash(&bytes);
        let key = format!(
            "onnx-{bytes_key:08x}-{}hz-{}",
            spec.sample_rate_hz, spec.window_samples
        );
        let mut embedder = Self {
            spec,
            spec_path,
            plan,
            batch,
            channel_axis,
            dims: 0,
            key,
        };
        let silence = vec![0.0; embedder.spec.window_samples];
        embedder.dims = embedder
            .embed_windows(&silence)
            .map_err(|e| load_error(e.to_string()))?
            .len();
        Ok(embedder)
    }

    /// Values per embedding.
    #[must_use]
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Embeddings of windows laid one after another (each `window_samples` long), in order.
    pub fn embed_windows(&self, audio: &[f32]) -> Result<Vec<f32>, EmbedError> {
        let window = self.spec.window_samples;
        let mut out = Vec::new();
        for chunk in audio.chunks(window * self.batch) {
            let windows = chunk.len().div_ceil(window);
            let mut padded = chunk.to_vec();
            padded.resize(window * self.batch, 0.0);
            let shape: &[usize] = if self.channel_axis {
                &[self.batch, 1, window]
            } else {
                &[self.batch, window]
            };
            let input = Tensor::from_shape(shape, &padded).map_err(|e| self.run_error(&e))?;
            let outputs = self
                .plan
                .run(tvec![input.into()])
                .map_err(|e| self.run_error(&e))?;
            let Some(output) = outputs.first() else {
                return Err(self.run_error(&"the model gave no output"));
            };
            let view = output
                .to_plain_array_view::<f32>()
                .map_err(|e| self.run_error(&e))?;
            let values: Vec<f32> = view.iter().copied().collect();
            let per_window = values.len() / self.batch;
            out.extend_from_slice(&values[..windows * per_window]);
        }
        Ok(out)
    }

    fn run_error(&self, detail: &dyn std::fmt::Display) -> EmbedError {
        EmbedError::Run {
            name: self.spec.name.clone(),
            path: self.spec.model.clone(),
            detail: detail.to_string(),
        }
    }

    /// The hop between windows in samples for about `hop_secs` (at least one sample).
    #[must_use]
    pub fn hop_samples(&self, hop_secs: f64) -> usize {
        ((hop_secs * f64::from(self.spec.sample_rate_hz)).round() as usize).max(1)
    }
}

/// Windows read and embedded per block (bounded memory over hours of audio).
const BLOCK_WINDOWS: usize = 256;

impl Embedder for OnnxEmbedder {
    fn key(&self) -> String {
        self.key.clone()
    }

    fn window_secs(&self) -> f64 {
        self.spec.window_secs()
    }

    fn embed_file(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
    ) -> Result<Embeddings, EmbedError> {
        self.embed_file_with_progress(path, hop_secs, cancel, &mut |_, _| {})
    }
}

impl OnnxEmbedder {
    /// [`Embedder::embed_file`], reporting `progress(done_secs, total_secs)` after each block.
    pub fn embed_file_with_progress(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(f64, f64),
    ) -> Result<Embeddings, EmbedError> {
        let mut reader = ResamplingReader::new(AudioReader::open(path)?, self.spec.sample_rate_hz)?;
        let total = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
        let window = self.spec.window_samples;
        let hop = self.hop_samples(hop_secs);
        // Every window that starts inside the recording and, but for the first, ends in it
        // (a recording shorter than a window is one window padded with silence).
        let windows = if total <= window {
            1
        } else {
            (total - window) / hop + 1
        };
        let mut values = Vec::with_capacity(windows * self.dims);
        let mut first = 0;
        while first < windows {
            if cancel.load(Ordering::Relaxed) {
                return Err(EmbedError::Cancelled);
            }
            let count = BLOCK_WINDOWS.min(windows - first);
            let start = first * hop;
            let needed = (count - 1) * hop + window;
            let mut audio = reader.read_frames(start as u64, needed)?;
            audio.resize(needed, 0.0);
            let mut laid = Vec::with_capacity(count * window);
            for w in 0..count {
                laid.extend_from_slice(&audio[w * hop..w * hop + window]);
            }
            values.extend(self.embed_windows(&laid).map_err(|e| match e {
                EmbedError::Run { name, detail, .. } => EmbedError::Run {
                    name,
                    path: path.to_path_buf(),
                    detail,
                },
                other => other,
            })?);
            first += count;
            let rate = f64::from(self.spec.sample_rate_hz);
            progress(
                ((first * hop) as f64 / rate).min(total as f64 / rate),
                total as f64 / rate,
            );
        }
        Ok(Embeddings {
            step_secs: hop as f64 / f64::from(self.spec.sample_rate_hz),
            window_secs: self.spec.window_secs(),
            dims: self.dims,
            values,
        })
    }
}

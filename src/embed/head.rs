//! A small classifier on embeddings (logistic regression, or one hidden layer): trained in burn
//! from the embeddings of the user's boxes in seconds, it turns a pretrained embedder into a
//! recogniser. Its weights are few, so they are kept as plain numbers in `head.json` and scored
//! without burn.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{EmbedError, Embedder, OnnxEmbedder};
use crate::detect::WindowScores;

/// The file of a head's weights in a model folder.
pub const HEAD_FILE: &str = "head.json";

/// How a head is trained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeadSettings {
    /// Units of the hidden layer; 0: logistic regression.
    pub hidden: usize,
    /// Passes over the training rows at most.
    pub epochs: usize,
    pub learning_rate: f64,
    /// Stop when validation loss has not improved for this many epochs (0: never).
    pub patience: usize,
    pub seed: u64,
}

impl Default for HeadSettings {
    fn default() -> Self {
        Self {
            hidden: 64,
            epochs: 500,
            learning_rate: 1e-2,
            patience: 50,
            seed: 1,
        }
    }
}

/// A trained head: the embeddings' standardisation and the layers, row-major `[in, out]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadWeights {
    pub dims: usize,
    /// 0: no hidden layer.
    pub hidden: usize,
    pub outputs: usize,
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    /// `[dims, hidden]` and `[hidden]` (empty without a hidden layer).
    pub hidden_weight: Vec<f32>,
    pub hidden_bias: Vec<f32>,
    /// `[hidden or dims, outputs]` and `[outputs]`.
    pub out_weight: Vec<f32>,
    pub out_bias: Vec<f32>,
}

impl HeadWeights {
    /// What the output layer weighs for one embedding: the hidden layer's activations (the
    /// embedding standardised, without a hidden layer). Windows the head sees alike are close
    /// here, as in a trained network's pooled features.
    #[must_use]
    pub fn features(&self, embedding: &[f32]) -> Vec<f32> {
        let x: Vec<f32> = embedding
            .iter()
            .zip(self.mean.iter().zip(&self.scale))
            .map(|(v, (m, s))| (v - m) / s)
            .collect();
        if self.hidden > 0 {
            dense(&x, &self.hidden_weight, &self.hidden_bias)
                .into_iter()
                .map(|v| v.max(0.0))
                .collect()
        } else {
            x
        }
    }

    /// Sigmoid scores `[outputs]` of one embedding.
    #[must_use]
    pub fn scores(&self, embedding: &[f32]) -> Vec<f32> {
        let features = self.features(embedding);
        dense(&features, &self.out_weight, &self.out_bias)
            .into_iter()
            .map(|logit| 1.0 / (1.0 + (-logit).exp()))
            .collect()
    }

    /// Reads `dir/head.json`.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let path = dir.join(HEAD_FILE);
        let error = |detail: String| EmbedError::Head {
            path: path.clone(),
            detail,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
        let weights: Self = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        let first = if weights.hidden > 0 {
            weights.hidden
        } else {
            weights.dims
        };
        let consistent = weights.mean.len() == weights.dims
            && weights.scale.len() == weights.dims
            && weights.hidden_weight.len() == weights.dims * weights.hidden
            && weights.hidden_bias.len() == weights.hidden
            && weights.out_weight.len() == first * weights.outputs
            && weights.out_bias.len() == weights.outputs;
        if consistent {
            Ok(weights)
        } else {
            Err(error("its layers do not fit together".to_owned()))
        }
    }

    /// Writes `dir/head.json` (beside its final name, then renamed).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string(self).map_err(std::io::Error::other)?;
        crate::util::fsutil::write_atomically(&dir.join(HEAD_FILE), text.as_bytes())
    }
}

/// `x · weight + bias` with `weight` row-major `[x.len(), bias.len()]`.
fn dense(x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let outputs = bias.len();
    let mut out = bias.to_vec();
    for (i, v) in x.iter().enumerate() {
        let row = &weight[i * outputs..(i + 1) * outputs];
        for (o, w) in out.iter_mut().zip(row) {
            *o += v * w;
        }
    }
    out
}

#[derive(Module, Debug)]
struct HeadNet {
    hidden: Option<Linear>,
    out: Linear,
}

impl HeadNet {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match &self.hidden {
            Some(hidden) => self.out.forward(relu(hidden.forward(x))),
            None => self.out.forward(x),
        }
    }
}

/// Rows of embeddings with their targets, for training.
#[derive(Debug, Clone, Default)]
pub struct HeadData {
    pub dims: usize,
    pub outputs: usize,
    /// Row-major `[rows, dims]`.
    pub features: Vec<f32>,
    /// Row-major `[rows, outputs]`, 0 or 1.
    pub targets: Vec<f32>,
}

impl HeadData {
    #[must_use]
    pub fn rows(&self) -> usize {
        self.features.len() / self.dims.max(1)
    }

    pub fn push(&mut self, embedding: &[f32], targets: &[f32]) {
        self.features.extend_from_slice(embedding);
        self.targets.extend_from_slice(targets);
    }
}

/// Per-element weights that give each output's positives and negatives equal weight in the
/// loss (rare calls count as much as the background).
fn balance_weights(targets: &[f32], outputs: usize) -> Vec<f32> {
    let rows = targets.len() / outputs.max(1);
    let positives: Vec<f32> = (0..outputs)
        .map(|o| targets.iter().skip(o).step_by(outputs).sum::<f32>())
        .collect();
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = positives[i % outputs].clamp(1.0, (rows.max(2) - 1) as f32);
            let n = rows as f32 - p;
            if *t >= 0.5 {
                rows as f32 / (2.0 * p)
            } else {
                rows as f32 / (2.0 * n)
            }
        })
        .collect()
}

fn standardisation(data: &HeadData) -> (Vec<f32>, Vec<f32>) {
    let rows = data.rows().max(1) as f32;
    let mut mean = vec![0.0_f32; data.dims];
    for row in data.features.chunks(data.dims.max(1)) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / rows;
        }
    }
    let mut var = vec![0.0_f32; data.dims];
    for row in data.features.chunks(data.dims.max(1)) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v - m) * (v - m) / rows;
        }
    }
    // Constant dimensions keep a unit scale (no division by zero).
    let scale = var
        .into_iter()
        .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    (mean, scale)
}

fn standardised(data: &HeadData, mean: &[f32], scale: &[f32]) -> Vec<f32> {
    data.features
        .chunks(data.dims.max(1))
        .flat_map(|row| {
            row.iter()
                .zip(mean.iter().zip(scale))
                .map(|(v, (m, s))| (v - m) / s)
        })
        .collect()
}

/// Weighted mean binary cross-entropy of logits.
fn weighted_bce(logits: Tensor<2>, targets: Tensor<2>, weights: Tensor<2>) -> Tensor<1> {
    let positive_part = logits.clone().clamp_min(0.0);
    let log_term = logits.clone().abs().neg().exp().log1p();
    ((positive_part - logits * targets + log_term) * weights).mean()
}

/// Trains a head on `train` (standardised by its own statistics), keeping the weights with the
/// lowest loss on `validation` (or on `train` when validation has no rows). Full-batch Adam:
/// heads are small and rows few. Returns the weights and the epochs run.
pub fn train_head(
    train: &HeadData,
    validation: &HeadData,
    settings: &HeadSettings,
    cancel: &AtomicBool,
) -> Result<(HeadWeights, usize), EmbedError> {
    let (dims, outputs) = (train.dims, train.outputs.max(1));
    let base = Device::flex();
    base.seed(settings.seed);
    let device = base.clone().autodiff();
    let (mean, scale) = standardisation(train);
    let tensor = |values: Vec<f32>, cols: usize, device: &Device| {
        let rows = values.len() / cols.max(1);
        Tensor::<2>::from_data(TensorData::new(values, [rows, cols]), device)
    };
    let x = tensor(standardised(train, &mean, &scale), dims, &device);
    let y = tensor(train.targets.clone(), outputs, &device);
    let w = tensor(balance_weights(&train.targets, outputs), outputs, &device);
    let held_out = if validation.rows() > 0 {
        validation
    } else {
        train
    };
    let vx = tensor(standardised(held_out, &mean, &scale), dims, &base);
    let vy = tensor(held_out.targets.clone(), outputs, &base);
    let vw = tensor(balance_weights(&held_out.targets, outputs), outputs, &base);
    let first = if settings.hidden > 0 {
        settings.hidden
    } else {
        dims
    };
    let mut net = HeadNet {
        hidden: (settings.hidden > 0)
            .then(|| LinearConfig::new(dims, settings.hidden).init(&device)),
        out: LinearConfig::new(first, outputs).init(&device),
    }
    .train();
    let mut optimizer = AdamConfig::new().init();
    let mut best: Option<(f64, usize, HeadNet)> = None;
    let mut epochs_run = 0;
    for epoch in 1..=settings.epochs.max(1) {
        if cancel.load(Ordering::Relaxed) {
            return Err(EmbedError::Cancelled);
        }
        let loss = weighted_bce(net.forward(x.clone()), y.clone(), w.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(settings.learning_rate, net, grads);
        epochs_run = epoch;
        let snapshot = net.valid();
        let held_loss = f64::from(
            weighted_bce(snapshot.forward(vx.clone()), vy.clone(), vw.clone()).into_scalar::<f32>(),
        );
        if best.as_ref().is_none_or(|(b, _, _)| held_loss < *b) {
            best = Some((held_loss, epoch, snapshot));
        }
        let best_epoch = best.as_ref().map_or(epoch, |b| b.1);
        if settings.patience > 0 && epoch - best_epoch >= settings.patience {
            break;
        }
    }
    let Some((_, _, net)) = best else {
        return Err(EmbedError::Cancelled);
    };
    let values = |t: Tensor<2>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    let values1 = |t: Tensor<1>| -> Vec<f32> { t.into_data().iter::<f32>().collect() };
    let (hidden_weight, hidden_bias) = net.hidden.as_ref().map_or_else(
        || (Vec::new(), Vec::new()),
        |h| {
            (
                values(h.weight.val()),
                h.bias.as_ref().map_or_else(Vec::new, |b| values1(b.val())),
            )
        },
    );
    let weights = HeadWeights {
        dims,
        hidden: settings.hidden,
        outputs,
        mean,
        scale,
        hidden_weight,
        hidden_bias,
        out_weight: values(net.out.weight.val()),
        out_bias: net
            .out
            .bias
            .as_ref()
            .map_or_else(|| vec![0.0; outputs], |b| values1(b.val())),
    };
    Ok((weights, epochs_run))
}

/// A recogniser made of an ONNX embedder and a head: each window's embedding scored.
#[derive(Debug, Clone)]
pub struct HeadModel {
    pub embedder: OnnxEmbedder,
    pub weights: HeadWeights,
}

impl HeadModel {
    /// The head in `dir` on the embedder described at `spec` (checked against `key`, the
    /// embedder the head was trained on).
    pub fn load(dir: &Path, spec: &Path, key: &str) -> Result<Self, EmbedError> {
        let embedder = OnnxEmbedder::load(spec)?;
        if embedder.key() != key {
            return Err(EmbedError::Load {
                path: PathBuf::from(spec),
                detail: format!(
                    "this is not the embedder the model was trained on (it was {key}, this is {})",
                    embedder.key()
                ),
            });
        }
        let weights = HeadWeights::load(dir)?;
        if weights.dims != embedder.dims() {
            return Err(EmbedError::Head {
                path: dir.join(HEAD_FILE),
                detail: format!(
                    "it takes {} values per embedding, the embedder gives {}",
                    weights.dims,
                    embedder.dims()
                ),
            });
        }
        Ok(Self { embedder, weights })
    }

    /// Every window of the recording at `path`, about `hop_secs` apart, scored: one
    /// [`WindowScores`] per output.
    pub fn score_file(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
    ) -> Result<Vec<WindowScores>, EmbedError> {
        let embeddings = self.embedder.embed_file(path, hop_secs, cancel)?;
        Ok(self.score_embeddings(&embeddings))
    }

    /// The head's scores of embeddings already made (one [`WindowScores`] per output).
    #[must_use]
    pub fn score_embeddings(&self, embeddings: &super::Embeddings) -> Vec<WindowScores> {
        let start_secs = embeddings.start_secs();
        let mut out = vec![
            WindowScores {
                window_secs: embeddings.window_secs,
                start_secs,
                scores: Vec::with_capacity(embeddings.rows()),
                envelope: None,
            };
            self.weights.outputs
        ];
        for r in 0..embeddings.rows() {
            for (o, score) in self
                .weights
                .scores(embeddings.row(r))
                .into_iter()
                .enumerate()
            {
                out[o].scores.push(score);
            }
        }
        out
    }
}

/// A head model as an [`Embedder`]: the embedder's vectors through the head's hidden layer
/// (what "find more like this" compares for a model on a pretrained embedder).
impl Embedder for HeadModel {
    fn key(&self) -> String {
        let weights: Vec<u8> = self
            .weights
            .hidden_weight
            .iter()
            .chain(&self.weights.out_weight)
            .flat_map(|w| w.to_le_bytes())
            .collect();
        format!(
            "{}-head{:08x}",
            self.embedder.key(),
            crc32fast::hash(&weights)
        )
    }

    fn window_secs(&self) -> f64 {
        self.embedder.window_secs()
    }

    fn embed_file(
        &self,
        path: &Path,
        hop_secs: f64,
        cancel: &AtomicBool,
    ) -> Result<super::Embeddings, EmbedError> {
        let embeddings = self.embedder.embed_file(path, hop_secs, cancel)?;
        let mut values = Vec::new();
        let mut dims = 0;
        for r in 0..embeddings.rows() {
            let features = self.weights.features(embeddings.row(r));
            dims = features.len();
            values.extend(features);
        }
        Ok(super::Embeddings {
            step_secs: embeddings.step_secs,
            window_secs: embeddings.window_secs,
            dims,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_learns_a_direction_in_embedding_space_and_scores_without_burn() {
        // Positives lie along +x, negatives along −x, with noise in y.
        let mut train = HeadData {
            dims: 2,
            outputs: 1,
            ..HeadData::default()
        };
        let mut validation = train.clone();
        for i in 0..60 {
            let y = ((i * 37) % 11) as f32 / 5.0 - 1.0;
            let (x, t) = if i % 3 == 0 { (2.0, 1.0) } else { (-1.0, 0.0) };
            let data = if i % 5 == 0 {
                &mut validation
            } else {
                &mut train
            };
            data.push(&[x + 0.1 * y, y], &[t]);
        }
        for hidden in [0, 8] {
            let settings = HeadSettings {
                hidden,
                ..HeadSettings::default()
            };
            let (weights, epochs) =
                train_head(&train, &validation, &settings, &AtomicBool::new(false)).unwrap();
            assert!(epochs >= 1);
            assert!(
                weights.scores(&[2.0, 0.5])[0] > 0.8,
                "{hidden}: {} {} after {epochs} {weights:?}",
                weights.scores(&[2.0, 0.5])[0],
                weights.scores(&[-1.0, -0.5])[0]
            );
            assert!(weights.scores(&[-1.0, -0.5])[0] < 0.2, "{hidden}");
            // Saved and read back, it scores the same.
            let dir = tempfile::tempdir().unwrap();
            weights.save(dir.path()).unwrap();
            assert_eq!(HeadWeights::load(dir.path()).unwrap(), weights);
        }
    }

    #[test]
    fn rare_positives_weigh_as_much_as_the_negatives() {
        let weights = balance_weights(&[1.0, 0.0, 0.0, 0.0], 1);
        let positive: f32 = weights[0];
        let negatives: f32 = weights[1..].iter().sum();
        assert!((positive - negatives).abs() < 1e-6, "{weights:?}");
    }
}

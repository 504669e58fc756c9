//! The CNN: blocks of (3×3 conv, batch norm, ReLU, 2×2 max-pool), global average pooling and
//! one logit per output (the window holds a call; of each class, for a multi-class model). The same family describes the default CPU
//! network and the reference network of `shared/bench/torch_reference.py`.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{
    AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, AvgPool2d, AvgPool2dConfig, MaxPool2d,
    MaxPool2dConfig,
};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::dsp::ModelInputSpec;

/// The network's shape, saved in every model artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Output channels of each conv block (its depth is the length).
    pub channels: Vec<usize>,
    /// The input image is average-pooled by this factor on both axes first (1 = not at all).
    pub input_pool: usize,
    /// Dropout before the final layer, while training.
    pub dropout: f64,
    /// Outputs (logits): 1 for a single-class model, one per class for a multi-class one.
    #[serde(default = "one_output", skip_serializing_if = "is_one_output")]
    pub outputs: usize,
}

fn one_output() -> usize {
    1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_one_output(n: &usize) -> bool {
    *n == 1
}

impl Default for NetworkConfig {
    /// Sized for laptop CPUs: the input is halved on both axes first (a 128 × 214 mel image
    /// becomes 64 × 107, still 23 ms and ~1 mel band per pixel pair) and four blocks of 16, 32,
    /// 48 and 64 channels follow. That is ≈ 17 M multiply-adds per window, 7× fewer than the
    /// reference network, which spends most of its time on full-resolution first layers that
    /// are memory-bound on CPUs.
    fn default() -> Self {
        Self {
            channels: vec![16, 32, 48, 64],
            input_pool: 2,
            dropout: 0.2,
            outputs: 1,
        }
    }
}

impl NetworkConfig {
    /// The reference network of `shared/bench/torch_reference.py` (16/32/64/128 channels, no
    /// input pooling, no dropout).
    #[must_use]
    pub fn reference() -> Self {
        Self {
            channels: vec![16, 32, 64, 128],
            input_pool: 1,
            dropout: 0.0,
            outputs: 1,
        }
    }

    /// Input frames per cell of the last block's map: the input pool and each block's 2×2
    /// pool.
    #[must_use]
    pub fn stride_frames(&self) -> usize {
        self.input_pool.max(1) << self.channels.len()
    }

    /// The hop grid of dense scoring, in input frames: half the stride, because scoring runs
    /// the last max-pool at every position (both of its phases) instead of every other.
    #[must_use]
    pub fn dense_hop_frames(&self) -> usize {
        (self.stride_frames() / 2).max(1)
    }

    /// `hop_secs` on the dense grid for inputs of `input`: the nearest whole multiple of
    /// [`Self::dense_hop_frames`] when the input has context, else unchanged.
    #[must_use]
    pub fn hop_on_grid(&self, input: &ModelInputSpec, hop_secs: f64) -> f64 {
        if input.context_frames == 0 {
            return hop_secs;
        }
        let frame_secs = input.spectrogram.hop_secs(input.sample_rate_hz);
        let grid_secs = self.dense_hop_frames() as f64 * frame_secs;
        (hop_secs / grid_secs).round().max(1.0) * grid_secs
    }

    /// The context each side of the window this network needs to score windows from shared
    /// features (see [`ModelInputSpec::context_frames`]): a whole number of strides covering
    /// the cells a crop's edge reaches (each 3×3 convolution reaches one cell further, each
    /// pool halves that, rounding up). 0 where the input cannot stream or there are no blocks.
    #[must_use]
    pub fn context_frames_for(&self, input: &ModelInputSpec) -> u16 {
        if !input.can_stream() || self.channels.is_empty() {
            return 0;
        }
        let mut reach = 0_usize;
        for _ in &self.channels {
            reach = (reach + 1).div_ceil(2);
        }
        u16::try_from(reach.max(1) * self.stride_frames()).unwrap_or(0)
    }

    /// Which cells of the last block's map are the window's own, for an input with context.
    #[must_use]
    pub fn window_cells(&self, input: &ModelInputSpec) -> Option<WindowCells> {
        if input.context_frames == 0 {
            return None;
        }
        let stride = self.stride_frames();
        Some(WindowCells {
            margin: usize::from(input.context_frames) / stride,
            cells: (input.window_frames() / stride).max(1),
            half_stride: self.dense_hop_frames(),
        })
    }

    /// A new network with random weights on `device`, for inputs of `input` (with context, it
    /// pools only the window's own cells).
    #[must_use]
    pub fn init(&self, input: &ModelInputSpec, device: &Device) -> CallNet {
        let mut blocks = Vec::new();
        let mut input_channels = 1;
        for &channels in &self.channels {
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([input_channels, channels], [3, 3])
                    .with_padding(PaddingConfig2d::Same)
                    .init(device),
                norm: BatchNormConfig::new(channels).init(device),
                pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            });
            input_channels = channels;
        }
        CallNet {
            input_pool: (self.input_pool > 1).then(|| {
                AvgPool2dConfig::new([self.input_pool, self.input_pool])
                    .with_strides([self.input_pool, self.input_pool])
                    .init()
            }),
            blocks,
            global_pool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(input_channels, self.outputs.max(1)).init(device),
            window: self.window_cells(input),
        }
    }

    /// Multiply-adds of one forward pass on a `bands × frames` input (convolutions only).
    #[must_use]
    pub fn multiply_adds(&self, bands: usize, frames: usize) -> u64 {
        let pool = self.input_pool.max(1);
        let (mut h, mut w) = (bands / pool, frames / pool);
        let mut input_channels = 1;
        let mut total = 0_u64;
        for &channels in &self.channels {
            total += (h * w * channels * input_channels * 9) as u64;
            input_channels = channels;
            h /= 2;
            w /= 2;
        }
        total
    }
}

#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: BatchNorm,
    pool: MaxPool2d,
}

impl ConvBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        // Training on the CPU takes the fused block (same function, fewer passes over memory);
        // everything else runs burn's ops.
        if let Some(output) = super::block_op::train_forward(&self.conv, &self.norm, &x) {
            return output;
        }
        self.pool
            .forward(relu(self.norm.forward(self.conv.forward(x))))
    }
}

/// The cells of the last block's map that are a window's own when its input carries context:
/// `cells` of them after `margin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCells {
    pub margin: usize,
    pub cells: usize,
    /// Input frames between dense scoring's positions ([`NetworkConfig::dense_hop_frames`]).
    pub half_stride: usize,
}

impl WindowCells {
    /// The window's cells of `x` (`[batch, channels, h, w]`).
    fn of(self, x: Tensor<4>) -> Tensor<4> {
        let [.., width] = x.dims();
        let margin = self.margin.min(width.saturating_sub(1));
        x.narrow(3, margin, self.cells.min(width - margin))
    }
}

/// The recogniser network.
#[derive(Module, Debug)]
pub struct CallNet {
    input_pool: Option<AvgPool2d>,
    blocks: Vec<ConvBlock>,
    global_pool: AdaptiveAvgPool2d,
    dropout: Dropout,
    head: Linear,
    /// With context, the window's own cells (set from the input at init; not saved).
    #[module(skip)]
    window: Option<WindowCells>,
}

impl CallNet {
    /// Logits `[batch, outputs]` for inputs `[batch, 1, bands, frames]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let mut x = match &self.input_pool {
            Some(pool) => pool.forward(input),
            None => input,
        };
        for block in &self.blocks {
            x = block.forward(x);
        }
        if let Some(window) = self.window {
            x = window.of(x);
        }
        let x: Tensor<2> = self.global_pool.forward(x).flatten(1, 3);
        self.head.forward(self.dropout.forward(x))
    }
}

impl CallNet {
    /// Re-estimates every batch norm's running statistics from `inputs` (model inputs, one
    /// after another): each block's convolution output, mean and (biased) variance per channel
    /// over all of them, block by block, so each block sees the ones before with their new
    /// statistics. After training ("precise" statistics, instead of a momentum average over
    /// the last oversampled, augmented batches) and on a new day's recordings (AdaBN).
    pub fn reestimate_norms(
        &self,
        inputs: &[f32],
        bands: usize,
        frames: usize,
        batch: usize,
        device: &Device,
    ) {
        let per_input = bands * frames;
        if per_input == 0 || inputs.len() < per_input {
            return;
        }
        // One pass, block by block: every chunk's activations are kept between blocks, so
        // each block runs once over each input.
        let mut activations: Vec<Tensor<4>> = inputs
            .chunks(batch.max(1) * per_input)
            .map(|chunk| {
                let x = super::input_tensor(chunk.to_vec(), bands, frames, device);
                match &self.input_pool {
                    Some(pool) => pool.forward(x),
                    None => x,
                }
            })
            .collect();
        for block in &self.blocks {
            let outputs: Vec<Tensor<4>> = activations
                .into_iter()
                .map(|x| block.conv.forward(x))
                .collect();
            let Some((mean, variance)) = channel_statistics(&outputs) else {
                return;
            };
            let channels = mean.len();
            block.norm.running_mean.update(Tensor::from_data(
                burn::tensor::TensorData::new(mean, [channels]),
                device,
            ));
            block.norm.running_var.update(Tensor::from_data(
                burn::tensor::TensorData::new(variance, [channels]),
                device,
            ));
            // burn stages an update per thread until it is synced: commit it now, so this
            // block's normalisation below (and every reader after) sees the new statistics.
            let _ = block.norm.running_mean.value_sync();
            let _ = block.norm.running_var.value_sync();
            activations = outputs
                .into_iter()
                .map(|y| block.pool.forward(relu(block.norm.forward(y))))
                .collect();
        }
    }

    /// The first block's batch-norm statistics, `(mean, variance)` per channel: after training
    /// with precise statistics, those of the training windows' first features.
    #[must_use]
    pub fn first_norm_statistics(&self) -> Option<(Vec<f32>, Vec<f32>)> {
        let norm = &self.blocks.first()?.norm;
        let values = |t: Tensor<1>| t.into_data().iter::<f32>().collect::<Vec<f32>>();
        Some((
            values(norm.running_mean.value()),
            values(norm.running_var.value()),
        ))
    }

    /// Mean and (biased) variance per channel of block `block`'s convolution output over
    /// `inputs`, the blocks before it run as they are. `None` without inputs or block.
    #[must_use]
    pub fn conv_statistics(
        &self,
        block: usize,
        inputs: &[f32],
        bands: usize,
        frames: usize,
        batch: usize,
        device: &Device,
    ) -> Option<(Vec<f32>, Vec<f32>)> {
        let per_input = bands * frames;
        let this = self.blocks.get(block)?;
        if per_input == 0 || inputs.len() < per_input {
            return None;
        }
        let outputs: Vec<Tensor<4>> = inputs
            .chunks(batch.max(1) * per_input)
            .map(|chunk| {
                let mut x = super::input_tensor(chunk.to_vec(), bands, frames, device);
                if let Some(pool) = &self.input_pool {
                    x = pool.forward(x);
                }
                for earlier in &self.blocks[..block] {
                    x = earlier.forward(x);
                }
                this.conv.forward(x)
            })
            .collect();
        channel_statistics(&outputs)
    }
}

/// Mean and (biased) variance per channel of `[n, channels, h, w]` tensors taken together.
fn channel_statistics(outputs: &[Tensor<4>]) -> Option<(Vec<f32>, Vec<f32>)> {
    let (mut sum, mut squares, mut count) = (Vec::<f64>::new(), Vec::<f64>::new(), 0_usize);
    for y in outputs {
        let [n, channels, h, w] = y.dims();
        let values: Vec<f32> = y.clone().into_data().iter::<f32>().collect();
        if sum.is_empty() {
            sum = vec![0.0; channels];
            squares = vec![0.0; channels];
        }
        for (k, plane) in values.chunks(h * w).enumerate() {
            let channel = k % channels;
            for v in plane {
                let v = f64::from(*v);
                sum[channel] += v;
                squares[channel] += v * v;
            }
        }
        count += n * h * w;
    }
    if count == 0 {
        return None;
    }
    let n = count as f64;
    let mean = sum.iter().map(|s| (s / n) as f32).collect();
    let variance = squares
        .iter()
        .zip(&sum)
        .map(|(q, s)| (q / n - (s / n) * (s / n)).max(0.0) as f32)
        .collect();
    Some((mean, variance))
}

/// Something that turns model inputs `[batch, 1, bands, frames]` into logits `[batch, 1]`.
pub trait Logits {
    fn logits(&self, input: Tensor<4>) -> Tensor<2>;
}

impl Logits for CallNet {
    fn logits(&self, input: Tensor<4>) -> Tensor<2> {
        self.forward(input)
    }
}

/// A [`CallNet`] for inference with each batch norm folded into the convolution before it
/// (`w·γ/√(σ²+ε)`, `(b−μ)·γ/√(σ²+ε)+β`): the same function with one pass over each block's
/// activations fewer. (ReLU after max-pooling would be exact too, but measured slower here.) Scores agree with the network's to float rounding (≈ 1e-6).
#[derive(Debug, Clone)]
pub struct FoldedNet {
    input_pool: Option<AvgPool2d>,
    blocks: Vec<(Conv2d, MaxPool2d)>,
    global_pool: AdaptiveAvgPool2d,
    head: Linear,
    window: Option<WindowCells>,
}

impl CallNet {
    /// The network with its batch norms folded (see [`FoldedNet`]).
    #[must_use]
    pub fn folded(&self) -> FoldedNet {
        let blocks = self
            .blocks
            .iter()
            .map(|block| {
                let norm = &block.norm;
                let scale = norm
                    .gamma
                    .val()
                    .div(norm.running_var.value().add_scalar(norm.epsilon).sqrt());
                let [out_channels] = scale.shape().dims();
                let mut conv = block.conv.clone();
                let weight = conv
                    .weight
                    .val()
                    .mul(scale.clone().reshape([out_channels, 1, 1, 1]));
                let bias = conv.bias.as_ref().map_or_else(
                    || Tensor::zeros([out_channels], &scale.device()),
                    burn::module::Param::val,
                );
                let bias = bias
                    .sub(norm.running_mean.value())
                    .mul(scale)
                    .add(norm.beta.val());
                conv.weight = burn::module::Param::from_tensor(weight);
                conv.bias = Some(burn::module::Param::from_tensor(bias));
                (conv, block.pool.clone())
            })
            .collect();
        FoldedNet {
            input_pool: self.input_pool.clone(),
            blocks,
            global_pool: self.global_pool.clone(),
            head: self.head.clone(),
            window: self.window,
        }
    }
}

impl FoldedNet {
    /// The network's embedding of each input: the pooled features the final layer weighs,
    /// `[batch, channels]` (what "find more like this" compares once a model exists).
    #[must_use]
    pub fn embed(&self, input: Tensor<4>) -> Tensor<2> {
        let mut x = match &self.input_pool {
            Some(pool) => pool.forward(input),
            None => input,
        };
        for (conv, pool) in &self.blocks {
            // On the CPU, ReLU and the pool run as one pass after the convolution.
            x = match super::block_op::infer_forward(conv, &x) {
                Some(output) => output,
                None => pool.forward(relu(conv.forward(x))),
            };
        }
        if let Some(window) = self.window {
            x = window.of(x);
        }
        self.global_pool.forward(x).flatten(1, 3)
    }

    /// The features of every position of long strips `[pieces, 1, bands, frames]` (inputs with
    /// context: see [`crate::scoring::dense`]): the blocks run once over each strip, the last
    /// max-pool at every position along time (so both of its phases are there, half a
    /// stride apart), averaged over frequency. Row-major `[pieces, channels, positions]`,
    /// with the channel and position counts. Position `p` is what a window's cell gets
    /// when that cell starts `p` half-strides into the strip.
    #[must_use]
    pub fn dense_features(&self, strips: Tensor<4>) -> (Vec<f32>, usize, usize) {
        let mut x = match &self.input_pool {
            Some(pool) => pool.forward(strips),
            None => strips,
        };
        let last = self.blocks.len().saturating_sub(1);
        for (k, (conv, pool)) in self.blocks.iter().enumerate() {
            if k < last {
                x = match super::block_op::infer_forward(conv, &x) {
                    Some(output) => output,
                    None => pool.forward(relu(conv.forward(x))),
                };
            } else {
                let options = burn::tensor::ops::MaxPoolOptions::new([2, 2]).with_stride([2, 1]);
                x = burn::tensor::module::max_pool2d(relu(conv.forward(x)), options);
            }
        }
        let [_, channels, _, positions] = x.dims();
        let data = x.mean_dim(2).into_data();
        let values = match data.as_slice::<f32>() {
            Ok(values) => values.to_vec(),
            Err(_) => data.iter::<f32>().collect(),
        };
        (values, channels, positions)
    }

    /// Logits `[rows, outputs]` (row-major) of embeddings laid one after another.
    #[must_use]
    pub fn head_logits(&self, embeddings: Vec<f32>, channels: usize) -> Vec<f32> {
        let rows = embeddings.len() / channels.max(1);
        let device = self.head.weight.val().device();
        let x = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(embeddings, [rows, channels]),
            &device,
        );
        let data = self.head.forward(x).into_data();
        match data.as_slice::<f32>() {
            Ok(values) => values.to_vec(),
            Err(_) => data.iter::<f32>().collect(),
        }
    }

    /// The cells of a window (with context), if this network was made for context.
    #[must_use]
    pub fn window_cells(&self) -> Option<WindowCells> {
        self.window
    }
}

impl Logits for FoldedNet {
    fn logits(&self, input: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.embed(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input_with_context(network: &NetworkConfig) -> ModelInputSpec {
        let mut input = ModelInputSpec {
            normalization: crate::dsp::InputNormalization::PCEN,
            ..ModelInputSpec::default()
        };
        input.context_frames = network.context_frames_for(&input);
        input
    }

    #[test]
    fn the_default_network_needs_one_stride_of_context() {
        let network = NetworkConfig::default();
        assert_eq!(network.stride_frames(), 32);
        assert_eq!(network.dense_hop_frames(), 16);
        let input = input_with_context(&network);
        assert_eq!(input.context_frames, 32);
        // 214 frames: six whole cells, after one cell of context.
        assert_eq!(
            network.window_cells(&input),
            Some(WindowCells {
                margin: 1,
                cells: 6,
                half_stride: 16,
            })
        );
        // Per-window front ends cannot stream: no context.
        let standardised = ModelInputSpec {
            normalization: crate::dsp::InputNormalization::Standardize,
            ..ModelInputSpec::default()
        };
        assert_eq!(network.context_frames_for(&standardised), 0);
    }

    #[test]
    fn the_window_cells_survive_training_mode_and_folding() {
        let network = NetworkConfig::default();
        let input = input_with_context(&network);
        let device = Device::flex();
        let want = network.window_cells(&input);
        assert!(want.is_some());
        let net = network.init(&input, &device.clone().autodiff()).train();
        assert_eq!(net.window, want);
        let valid = net.valid();
        assert_eq!(valid.window, want);
        assert_eq!(valid.folded().window_cells(), want);
    }
}

//! The burn CNN, its configuration, the model artifact (save and load with compatibility
//! checks), scoring, and the compute device.

pub mod artifact;
pub mod bench;
pub mod block_kernels;
mod block_op;
pub mod network;

use burn::tensor::{Device, Tensor, TensorData};

pub use artifact::{ModelArtifact, ModelInfo};
pub use network::{CallNet, FoldedNet, Logits, NetworkConfig};

/// Errors saving, loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read model: {detail}: {}", path.display())]
    Read {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("cannot save model: {detail}: {}", path.display())]
    Write {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("model does not fit: {detail}: {}", path.display())]
    Incompatible {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("unknown compute device '{0}' (this build offers: {1})")]
    UnknownDevice(String, String),
    #[error(transparent)]
    Embedder(#[from] crate::embed::EmbedError),
}

/// Where the network runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeDevice {
    /// burn's pure-Rust `flex` CPU backend.
    #[default]
    Cpu,
    /// A GPU through wgpu (builds with the `wgpu` feature).
    Gpu,
}

impl ComputeDevice {
    /// Devices this build can use.
    #[must_use]
    pub fn available() -> Vec<Self> {
        if cfg!(feature = "wgpu") {
            vec![Self::Cpu, Self::Gpu]
        } else {
            vec![Self::Cpu]
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }

    /// The burn device.
    pub fn device(self) -> Result<Device, ModelError> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            Self::Gpu => Ok(Device::wgpu(burn::tensor::DeviceKind::default())),
            #[cfg(not(feature = "wgpu"))]
            Self::Gpu => Err(ModelError::UnknownDevice(
                "gpu".to_owned(),
                "cpu; rebuild with `--features wgpu` for GPUs".to_owned(),
            )),
        }
    }
}

impl std::str::FromStr for ComputeDevice {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(Self::Cpu),
            "gpu" | "wgpu" if cfg!(feature = "wgpu") => Ok(Self::Gpu),
            _ => Err(ModelError::UnknownDevice(
                s.to_owned(),
                Self::available()
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }
}

/// Mean binary cross-entropy of `logits` against `targets` (0/1), computed stably from logits:
/// `max(x, 0) − x·y + log(1 + e^(−|x|))`.
#[must_use]
pub fn bce_with_logits(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let positive_part = logits.clone().clamp_min(0.0);
    let log_term = logits.clone().abs().neg().exp().log1p();
    (positive_part - logits * targets + log_term).mean()
}

/// A `[batch, 1, bands, frames]` tensor from inputs laid one after another.
#[must_use]
pub fn input_tensor(values: Vec<f32>, bands: usize, frames: usize, device: &Device) -> Tensor<4> {
    let batch = values.len() / (bands * frames).max(1);
    Tensor::from_data(TensorData::new(values, [batch, 1, bands, frames]), device)
}

/// The embeddings of inputs laid one after another (see [`FoldedNet::embed`]), row-major
/// `[inputs, channels]`; returns them with the channel count.
#[must_use]
pub fn embeddings(
    net: &FoldedNet,
    inputs: &[f32],
    bands: usize,
    frames: usize,
    batch: usize,
    device: &Device,
) -> (Vec<f32>, usize) {
    let per = bands * frames;
    let mut out = Vec::new();
    let mut channels = 0;
    for chunk in inputs.chunks(per * batch.max(1)) {
        let embedded = net.embed(input_tensor(chunk.to_vec(), bands, frames, device));
        channels = embedded.shape().dims::<2>()[1];
        let data = embedded.into_data();
        match data.as_slice::<f32>() {
            Ok(values) => out.extend_from_slice(values),
            Err(_) => out.extend(data.iter::<f32>()),
        }
    }
    (out, channels)
}

/// Mean sigmoid scores of an ensemble of networks (one network: its scores).
#[must_use]
pub fn ensemble_scores(
    nets: &[impl Logits],
    inputs: &[f32],
    bands: usize,
    frames: usize,
    batch: usize,
    device: &Device,
) -> Vec<f32> {
    let mut members = nets.iter();
    let Some(first) = members.next() else {
        return Vec::new();
    };
    let mut total = scores(first, inputs, bands, frames, batch, device);
    for net in members {
        let more = scores(net, inputs, bands, frames, batch, device);
        for (t, s) in total.iter_mut().zip(more) {
            *t += s;
        }
    }
    let n = nets.len() as f32;
    for t in &mut total {
        *t /= n;
    }
    total
}

/// Sigmoid scores of `net` (in validation mode) for inputs laid one after another, in batches
/// of `batch`.
#[must_use]
pub fn scores(
    net: &impl Logits,
    inputs: &[f32],
    bands: usize,
    frames: usize,
    batch: usize,
    device: &Device,
) -> Vec<f32> {
    let per = bands * frames;
    let mut out = Vec::with_capacity(inputs.len() / per.max(1));
    for chunk in inputs.chunks(per * batch.max(1)) {
        let logits = net.logits(input_tensor(chunk.to_vec(), bands, frames, device));
        let probabilities = burn::tensor::activation::sigmoid(logits);
        let data = probabilities.into_data();
        match data.as_slice::<f32>() {
            Ok(values) => out.extend_from_slice(values),
            Err(_) => out.extend(data.iter::<f32>()),
        }
    }
    out
}

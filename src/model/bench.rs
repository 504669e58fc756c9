//! Network throughput for `syrinx bench`: training steps (forward, backward, Adam) and
//! inference on random inputs, timed as the median of several steps after warm-up.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Distribution, Tensor, TensorData};

use super::{ModelError, NetworkConfig};

/// Median seconds per training step spent in the forward pass (with loss read-back), the
/// backward pass, and the Adam update: where training time goes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepBreakdown {
    pub forward_secs: f64,
    pub backward_secs: f64,
    pub optimizer_secs: f64,
}

impl StepBreakdown {
    /// Training samples per second of a batch of `batch` at these step times.
    #[must_use]
    pub fn samples_per_sec(&self, batch: usize) -> f64 {
        batch as f64 / (self.forward_secs + self.backward_secs + self.optimizer_secs).max(1e-9)
    }
}

/// [`StepBreakdown`] of `steps` training steps (forward with loss read-back, backward, Adam)
/// after `warmup`, batch `batch`, inputs `1 × bands × frames`, on the CPU backend in the
/// current rayon pool.
pub fn train_step_breakdown(
    network: &NetworkConfig,
    bands: usize,
    frames: usize,
    batch: usize,
    warmup: usize,
    steps: usize,
) -> Result<StepBreakdown, ModelError> {
    let base = super::ComputeDevice::Cpu.device()?;
    base.seed(0);
    let device = base.autodiff();
    let mut net = network.init(&window_only(frames), &device).train();
    let mut optimizer = AdamConfig::new().init();
    let x = random_inputs(batch, bands, frames, &device);
    let targets: Vec<f32> = (0..batch).map(|i| (i % 2) as f32).collect();
    let y: Tensor<2> = Tensor::from_data(TensorData::new(targets, [batch, 1]), &device);
    let (mut forward, mut backward, mut update) = (Vec::new(), Vec::new(), Vec::new());
    for step in 0..warmup + steps {
        let t0 = Instant::now();
        let loss = super::bce_with_logits(net.forward(x.clone()), y.clone());
        let _ = loss.clone().into_scalar::<f32>();
        let t1 = Instant::now();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let t2 = Instant::now();
        net = optimizer.step(1e-3, net, grads);
        let t3 = Instant::now();
        if step >= warmup {
            forward.push((t1 - t0).as_secs_f64());
            backward.push((t2 - t1).as_secs_f64());
            update.push((t3 - t2).as_secs_f64());
        }
    }
    Ok(StepBreakdown {
        forward_secs: median(&mut forward),
        backward_secs: median(&mut backward),
        optimizer_secs: median(&mut update),
    })
}

/// Samples per second of inference as detection runs it (batch norms folded into the
/// convolutions, [`super::FoldedNet`]), batch `batch`.
pub fn infer_samples_per_sec(
    network: &NetworkConfig,
    bands: usize,
    frames: usize,
    batch: usize,
    warmup: usize,
    steps: usize,
) -> Result<f64, ModelError> {
    let device = super::ComputeDevice::Cpu.device()?;
    device.seed(0);
    let net = network.init(&window_only(frames), &device).valid().folded();
    let x = random_inputs(batch, bands, frames, &device);
    let mut times = Vec::new();
    for step in 0..warmup + steps {
        let started = Instant::now();
        let scores = burn::tensor::activation::sigmoid(super::Logits::logits(&net, x.clone()));
        let _ = scores.into_data();
        if step >= warmup {
            times.push(started.elapsed().as_secs_f64());
        }
    }
    Ok(batch as f64 / median(&mut times))
}

/// A batch of uniform random inputs in [-1, 1), as the reference script uses.
fn random_inputs(
    batch: usize,
    bands: usize,
    frames: usize,
    device: &burn::tensor::Device,
) -> Tensor<4> {
    Tensor::random(
        [batch, 1, bands, frames],
        Distribution::Uniform(-1.0, 1.0),
        device,
    )
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times
        .get(times.len() / 2)
        .copied()
        .unwrap_or(f64::NAN)
        .max(1e-9)
}

/// An input spec whose network input is `frames` wide, without context (the benchmarks feed
/// random images of a given shape).
fn window_only(frames: usize) -> crate::dsp::ModelInputSpec {
    crate::dsp::ModelInputSpec {
        frames: Some(u16::try_from(frames).unwrap_or(u16::MAX)),
        ..crate::dsp::ModelInputSpec::default()
    }
}

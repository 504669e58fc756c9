//! One conv block (3×3 "same" convolution, batch norm on batch statistics, ReLU, 2×2 max-pool)
//! as a single op of burn's autodiff graph on the `flex` CPU backend, with the forward and
//! backward passes of [`super::block_kernels`] spread over images on the rayon pool.
//!
//! It is what burn's backend-extension API is for: the same function as the block's four
//! burn ops, computed in fewer passes over memory (see the kernels' module for why). Anywhere
//! else — another backend, inference, a frozen batch norm — the block runs as burn ops.

use std::sync::Arc;

use burn::backend::{Autodiff, DispatchAutodiffContext, Flex, GradientCheckpointingStrategy};
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::{Tensor, TensorData};
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::block_kernels::{self as kernels, BatchStats, KernelError, Plane};

type AutodiffFlex = Autodiff<Flex>;

/// What the backward pass needs of the forward pass.
struct Saved {
    batch: usize,
    input_plane: Plane,
    output_plane: Plane,
    input: FlexTensor,
    weight: Vec<f32>,
    conv_output: Vec<f32>,
    argmax: Vec<u8>,
    stats: BatchStats,
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saved")
            .field("batch", &self.batch)
            .field("input_plane", &self.input_plane)
            .field("output_plane", &self.output_plane)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct BlockBackward;

/// The block's output for a training step, or `None` where the fused op does not apply (not
/// the `flex` backend with autodiff, batch norm not training, not 3×3 "same" weights, or
/// gradient checkpointing in use); the caller then runs burn's ops.
pub fn train_forward(conv: &Conv2d, norm: &BatchNorm, input: &Tensor<4>) -> Option<Tensor<4>> {
    // The op records itself without checkpointing: a graph that checkpoints keeps burn's ops.
    let plain_autodiff = DispatchAutodiffContext::Enabled(GradientCheckpointingStrategy::Disabled);
    if !norm.training.is_enabled() || input.clone().into_dispatch().autodiff != plain_autodiff {
        return None;
    }
    let (input_plane, output_plane) = fits(conv, input)?;
    let [batch, ..] = input.dims();
    let weight = conv.weight.val();
    let bias = conv.bias.as_ref()?.val();
    let x = input.clone().try_into_primitive::<AutodiffFlex>().ok()?;
    let w = weight.try_into_primitive::<AutodiffFlex>().ok()?;
    let b = bias.try_into_primitive::<AutodiffFlex>().ok()?;
    let gamma = norm.gamma.val().try_into_primitive::<AutodiffFlex>().ok()?;
    let beta = norm.beta.val().try_into_primitive::<AutodiffFlex>().ok()?;
    let [x_values, w_values, b_values, gamma_values, beta_values] =
        [&x, &w, &b, &gamma, &beta].map(|t| f32_values(t.primitive()));
    let forward = run_forward(
        batch,
        input_plane,
        output_plane,
        [x_values?, w_values?, b_values?, gamma_values?, beta_values?],
        norm.epsilon,
    )
    .ok()?;
    update_running_stats(norm, &forward, &input.device());
    let pooled = output_plane.pooled();
    let output = FlexTensor::from_data(TensorData::new(
        forward.output,
        [batch, pooled.channels, pooled.height, pooled.width],
    ));
    let nodes = [x.node(), w.node(), b.node(), gamma.node(), beta.node()];
    let result = match BlockBackward
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(Arc::new(forward.saved), output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    Some(Tensor::from_primitive::<AutodiffFlex>(result))
}

/// The tensor laid out contiguously, when it holds `f32` (the kernels' only type).
fn f32_values(tensor: &FlexTensor) -> Option<FlexTensor> {
    (tensor.dtype() == burn::tensor::DType::F32).then(|| tensor.to_contiguous())
}

/// One image's input and output planes when `conv` is a 3×3 "same" convolution (stride 1, one
/// group) of this input with a bias, and the input is at least 2 × 2.
fn fits(conv: &Conv2d, input: &Tensor<4>) -> Option<(Plane, Plane)> {
    let [out_channels, in_channels, kernel_height, kernel_width] = conv.weight.dims();
    let [_, channels, height, width] = input.dims();
    let same = matches!(
        conv.padding,
        burn::nn::PaddingConfig2d::Same | burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1)
    );
    let fits = (kernel_height, kernel_width) == (3, 3)
        && channels == in_channels
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && same
        && conv.bias.is_some()
        && height >= 2
        && width >= 2;
    let input_plane = Plane {
        channels,
        height,
        width,
    };
    let output_plane = Plane {
        channels: out_channels,
        ..input_plane
    };
    fits.then_some((input_plane, output_plane))
}

/// Inference through a block whose batch norm is folded into `conv` (see
/// [`super::FoldedNet`]): the convolution, then ReLU and the 2×2 max-pool in one pass, image by
/// image on the rayon pool. `None` where it does not apply (another backend, an autodiff
/// device, not a 3×3 "same" convolution); the caller then runs burn's ops.
pub fn infer_forward(conv: &Conv2d, input: &Tensor<4>) -> Option<Tensor<4>> {
    let (input_plane, output_plane) = fits(conv, input)?;
    let [batch, ..] = input.dims();
    let out_channels = output_plane.channels;
    let x = f32_values(&input.clone().try_into_primitive::<Flex>().ok()?)?;
    let w = f32_values(&conv.weight.val().try_into_primitive::<Flex>().ok()?)?;
    let b = f32_values(
        &conv
            .bias
            .as_ref()?
            .val()
            .try_into_primitive::<Flex>()
            .ok()?,
    )?;
    let pooled = output_plane.pooled();
    let (ones, zeros) = (vec![1.0; out_channels], vec![0.0; out_channels]);
    let mut output = vec![0.0_f32; batch * pooled.len()];
    // One run of images per thread, each with one set of buffers: detection runs this for
    // every batch of an hour-long recording, so buffers are not made per image.
    let images_per_thread = batch.div_ceil(rayon::current_num_threads().max(1)).max(1);
    output
        .par_chunks_mut(images_per_thread * pooled.len().max(1))
        .zip(
            x.storage::<f32>()
                .par_chunks(images_per_thread * input_plane.len()),
        )
        .map(|(outs, images)| {
            let (mut col, mut y) = (Vec::new(), vec![0.0; output_plane.len()]);
            let mut argmax = vec![0; pooled.len()];
            for (out, image) in outs
                .chunks_mut(pooled.len().max(1))
                .zip(images.chunks(input_plane.len()))
            {
                let (weight, bias) = (w.storage(), Some(b.storage()));
                kernels::conv3x3(image, input_plane, weight, bias, &mut y, &mut col)?;
                kernels::norm_relu_pool(&y, output_plane, &ones, &zeros, out, &mut argmax);
            }
            Ok::<_, KernelError>(())
        })
        .collect::<Result<Vec<()>, _>>()
        .ok()?;
    let output = FlexTensor::from_data(TensorData::new(
        output,
        [batch, out_channels, pooled.height, pooled.width],
    ));
    Some(Tensor::from_primitive::<Flex>(output))
}

struct Forward {
    output: Vec<f32>,
    mean: Vec<f32>,
    variance: Vec<f32>,
    saved: Saved,
}

fn run_forward(
    batch: usize,
    input_plane: Plane,
    output_plane: Plane,
    [x, w, b, gamma, beta]: [FlexTensor; 5],
    epsilon: f64,
) -> Result<Forward, KernelError> {
    let (x_values, weight) = (x.storage::<f32>(), w.storage::<f32>());
    let (bias, gamma, beta) = (
        b.storage::<f32>(),
        gamma.storage::<f32>(),
        beta.storage::<f32>(),
    );
    let mut conv_output = vec![0.0_f32; batch * output_plane.len()];
    let per_image = conv_output
        .par_chunks_mut(output_plane.len())
        .zip(x_values.par_chunks(input_plane.len()))
        .map_init(Vec::new, |col, (y, image)| {
            kernels::conv3x3(image, input_plane, weight, Some(bias), y, col)?;
            Ok::<_, KernelError>(kernels::channel_moments(y, output_plane))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let moments = sum_in_order(per_image, 2 * output_plane.channels);
    let count = batch * output_plane.pixels();
    let channels = output_plane.channels;
    let mean: Vec<f64> = moments[..channels]
        .iter()
        .map(|s| s / count as f64)
        .collect();
    let variance: Vec<f64> = moments[channels..]
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q / count as f64 - m * m).max(0.0))
        .collect();
    let invstd: Vec<f32> = variance
        .iter()
        .map(|v| (1.0 / (v + epsilon).sqrt()) as f32)
        .collect();
    let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let scale: Vec<f32> = gamma.iter().zip(&invstd).map(|(g, s)| g * s).collect();
    let shift: Vec<f32> = beta
        .iter()
        .zip(&scale)
        .zip(&mean)
        .map(|((b, a), m)| b - a * m)
        .collect();
    let pooled = output_plane.pooled();
    let mut output = vec![0.0_f32; batch * pooled.len()];
    let mut argmax = vec![0_u8; batch * pooled.len()];
    output
        .par_chunks_mut(pooled.len().max(1))
        .zip(argmax.par_chunks_mut(pooled.len().max(1)))
        .zip(conv_output.par_chunks(output_plane.len()))
        .for_each(|((out, arg), y)| {
            kernels::norm_relu_pool(y, output_plane, &scale, &shift, out, arg);
        });
    Ok(Forward {
        output,
        mean: mean.clone(),
        variance: variance.iter().map(|&v| v as f32).collect(),
        saved: Saved {
            batch,
            input_plane,
            output_plane,
            input: x,
            weight: weight.to_vec(),
            conv_output,
            argmax,
            stats: BatchStats {
                mean,
                invstd,
                gamma: gamma.to_vec(),
                count,
            },
        },
    })
}

/// Running statistics move towards the batch's as burn's `BatchNorm` moves them (biased
/// variance, its momentum).
fn update_running_stats(norm: &BatchNorm, forward: &Forward, device: &burn::tensor::Device) {
    let channels = forward.mean.len();
    let batch_mean =
        Tensor::<1>::from_data(TensorData::new(forward.mean.clone(), [channels]), device);
    let batch_variance = Tensor::<1>::from_data(
        TensorData::new(forward.variance.clone(), [channels]),
        device,
    );
    let momentum = norm.momentum;
    let running_mean = norm
        .running_mean
        .value_sync()
        .to_device(device)
        .mul_scalar(1.0 - momentum)
        .add(batch_mean.mul_scalar(momentum));
    let running_var = norm
        .running_var
        .value_sync()
        .to_device(device)
        .mul_scalar(1.0 - momentum)
        .add(batch_variance.mul_scalar(momentum));
    norm.running_mean.update(running_mean.detach());
    norm.running_var.update(running_var.detach());
}

/// Gradients of the block's inputs, in parent order: input, weight, bias, γ, β.
struct Grads {
    input: Option<Vec<f32>>,
    weight: Vec<f32>,
    bias: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

fn run_backward(saved: &Saved, out_grad: &[f32], want_input: bool) -> Result<Grads, KernelError> {
    let (input_plane, output_plane) = (saved.input_plane, saved.output_plane);
    let pooled = output_plane.pooled().len().max(1);
    let y_len = output_plane.len();
    let channels = output_plane.channels;
    let per_image = out_grad
        .par_chunks(pooled)
        .zip(saved.argmax.par_chunks(pooled))
        .zip(saved.conv_output.par_chunks(y_len))
        .map(|((g, arg), y)| {
            kernels::pooled_grad_moments(
                g,
                arg,
                y,
                output_plane,
                &saved.stats.mean,
                &saved.stats.invstd,
            )
        })
        .collect::<Vec<_>>();
    let moments = sum_in_order(per_image, 2 * channels);
    let input = saved.input.storage::<f32>();
    let flipped = kernels::transposed_flipped(&saved.weight, input_plane.channels);
    let weight_len = saved.weight.len();
    let mut input_grad = vec![0.0_f32; if want_input { input.len() } else { 0 }];
    let mut input_chunks: Vec<&mut [f32]> = if want_input {
        input_grad.chunks_mut(input_plane.len().max(1)).collect()
    } else {
        (0..saved.batch).map(|_| <&mut [f32]>::default()).collect()
    };
    struct Scratch {
        col: Vec<f32>,
        dy: Vec<f32>,
    }
    // Each image's weight and bias gradients are kept and summed in image order, so that a
    // seeded training gives the same model whatever the threads did.
    let per_image = input_chunks
        .par_iter_mut()
        .zip(out_grad.par_chunks(pooled))
        .zip(saved.argmax.par_chunks(pooled))
        .zip(saved.conv_output.par_chunks(y_len))
        .zip(input.par_chunks(input_plane.len()))
        .map_init(
            || Scratch {
                col: Vec::new(),
                dy: vec![0.0; y_len],
            },
            |scratch, ((((dx, g), arg), y), image)| {
                kernels::conv_output_grad(
                    g,
                    arg,
                    y,
                    output_plane,
                    &saved.stats,
                    &moments,
                    &mut scratch.dy,
                );
                let mut weight = vec![0.0_f32; weight_len];
                kernels::conv3x3_weight_grad(
                    image,
                    input_plane,
                    &scratch.dy,
                    &mut weight,
                    &mut scratch.col,
                )?;
                let bias: Vec<f64> = scratch
                    .dy
                    .chunks(output_plane.pixels())
                    .map(|channel| channel.iter().map(|&v| f64::from(v)).sum())
                    .collect();
                if want_input {
                    kernels::conv3x3(
                        &scratch.dy,
                        output_plane,
                        &flipped,
                        None,
                        dx,
                        &mut scratch.col,
                    )?;
                }
                Ok::<_, KernelError>((weight, bias))
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    drop(input_chunks);
    let mut weight_grad = vec![0.0_f32; weight_len];
    let mut bias_grad = vec![0.0_f64; channels];
    for (weight, bias) in per_image {
        for (total, v) in weight_grad.iter_mut().zip(weight) {
            *total += v;
        }
        for (total, v) in bias_grad.iter_mut().zip(bias) {
            *total += v;
        }
    }
    Ok(Grads {
        input: want_input.then_some(input_grad),
        weight: weight_grad,
        bias: bias_grad.iter().map(|&v| v as f32).collect(),
        gamma: moments[channels..].iter().map(|&v| v as f32).collect(),
        beta: moments[..channels].iter().map(|&v| v as f32).collect(),
    })
}

/// Per-image sums added up in image order.
fn sum_in_order(per_image: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut total = vec![0.0; len];
    for sums in per_image {
        for (t, v) in total.iter_mut().zip(sums) {
            *t += v;
        }
    }
    total
}

fn flex(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

impl Backward<Flex, 5> for BlockBackward {
    type State = Arc<Saved>;

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_node, weight_node, bias_node, gamma_node, beta_node] = ops.parents;
        let out_grad = grads.consume::<Flex>(&ops.node).to_contiguous();
        let saved = &ops.state;
        #[expect(
            clippy::expect_used,
            reason = "the shapes were checked by the forward pass that recorded this step"
        )]
        let computed = run_backward(saved, out_grad.storage::<f32>(), input_node.is_some())
            .expect("conv block backward: shapes fixed by its forward pass");
        let (input_plane, output_plane) = (saved.input_plane, saved.output_plane);
        let channels = output_plane.channels;
        if let (Some(node), Some(values)) = (input_node, computed.input) {
            let shape = [
                saved.batch,
                input_plane.channels,
                input_plane.height,
                input_plane.width,
            ];
            grads.register::<Flex>(node.id, flex(values, &shape));
        }
        if let Some(node) = weight_node {
            let shape = [channels, input_plane.channels, 3, 3];
            grads.register::<Flex>(node.id, flex(computed.weight, &shape));
        }
        for (node, values) in [
            (bias_node, computed.bias),
            (gamma_node, computed.gamma),
            (beta_node, computed.beta),
        ] {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, flex(values, &[channels]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::nn::{BatchNormConfig, PaddingConfig2d};
    use burn::tensor::activation::relu;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn block(device: &Device, in_channels: usize, out_channels: usize) -> (Conv2d, BatchNorm) {
        device.seed(7);
        (
            Conv2dConfig::new([in_channels, out_channels], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device),
            BatchNormConfig::new(out_channels).init(device),
        )
    }

    fn values(tensor: Tensor<1>) -> Vec<f32> {
        tensor.into_data().iter::<f32>().collect()
    }

    fn flat<const D: usize>(tensor: Option<Tensor<D>>) -> Vec<f32> {
        tensor.map_or_else(Vec::new, |t| t.into_data().iter::<f32>().collect())
    }

    fn assert_close(what: &str, fused: &[f32], reference: &[f32]) {
        assert_eq!(fused.len(), reference.len(), "{what}: lengths");
        assert!(!fused.is_empty(), "{what}: empty");
        let scale = reference.iter().map(|v| v.abs()).fold(1e-3, f32::max);
        for (i, (a, b)) in fused.iter().zip(reference).enumerate() {
            assert!(
                (a - b).abs() <= 2e-4 * scale,
                "{what}[{i}]: fused {a} vs burn {b} (scale {scale})"
            );
        }
    }

    /// The fused block and burn's four ops agree on the output, every gradient and the running
    /// statistics, with odd sizes (the pool drops the last row and column) and a gradient that
    /// weighs each output differently.
    #[test]
    fn fused_block_matches_burns_ops() {
        let device = Device::flex().autodiff();
        let (batch, in_channels, out_channels, height, width) = (3, 2, 5, 7, 9);
        device.seed(3);
        let x: Tensor<4> = Tensor::random(
            [batch, in_channels, height, width],
            Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let upstream: Tensor<4> = Tensor::random(
            [batch, out_channels, height / 2, width / 2],
            Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();

        let (conv, norm) = block(&device, in_channels, out_channels);
        let x_fused = x.clone().detach().require_grad();
        let fused = train_forward(&conv, &norm, &x_fused).expect("the fused op applies");
        let fused_out = flat(Some(fused.clone()));
        let grads = (fused * upstream.clone()).sum().backward();

        // The same weights, as modules of their own (so their running statistics are theirs).
        let (conv_ref, norm_ref) = block(&device, in_channels, out_channels);
        let conv_ref = conv_ref.load_record(conv.clone().into_record());
        let norm_ref = norm_ref.load_record(norm.clone().into_record());
        let x_ref = x.detach().require_grad();
        let reference = pool.forward(relu(norm_ref.forward(conv_ref.forward(x_ref.clone()))));
        let reference_out = flat(Some(reference.clone()));
        let grads_ref = (reference * upstream).sum().backward();

        assert_close(
            "same weights",
            &flat(Some(conv.weight.val())),
            &flat(Some(conv_ref.weight.val())),
        );
        assert_close("output", &fused_out, &reference_out);
        assert_close(
            "input grad",
            &flat(x_fused.grad(&grads)),
            &flat(x_ref.grad(&grads_ref)),
        );
        assert_close(
            "weight grad",
            &flat(conv.weight.grad(&grads)),
            &flat(conv_ref.weight.grad(&grads_ref)),
        );
        let bias = |c: &Conv2d, g| flat(c.bias.as_ref().and_then(|b| b.grad(g)));
        // Batch norm removes the bias, so its gradient is zero up to rounding in both.
        for (what, grad) in [
            ("fused", bias(&conv, &grads)),
            ("burn", bias(&conv_ref, &grads_ref)),
        ] {
            assert_eq!(grad.len(), out_channels);
            assert!(
                grad.iter().all(|g| g.abs() < 1e-4),
                "{what} bias grad {grad:?}"
            );
        }
        assert_close(
            "gamma grad",
            &flat(norm.gamma.grad(&grads)),
            &flat(norm_ref.gamma.grad(&grads_ref)),
        );
        assert_close(
            "beta grad",
            &flat(norm.beta.grad(&grads)),
            &flat(norm_ref.beta.grad(&grads_ref)),
        );
        assert_close(
            "running mean",
            &values(norm.running_mean.value()),
            &values(norm_ref.running_mean.value()),
        );
        assert_close(
            "running variance",
            &values(norm.running_var.value()),
            &values(norm_ref.running_var.value()),
        );
    }

    /// Inference through a folded block agrees with burn's convolution, ReLU and pool.
    #[test]
    fn fused_inference_matches_burns_ops() {
        let device = Device::flex();
        let (conv, _) = block(&device, 4, 6);
        device.seed(2);
        let x: Tensor<4> = Tensor::random([3, 4, 7, 9], Distribution::Uniform(-1.0, 1.0), &device);
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        let fused = infer_forward(&conv, &x).expect("the fused op applies");
        assert_eq!(fused.dims(), [3, 6, 3, 4]);
        let reference = pool.forward(relu(conv.forward(x)));
        assert_close("inference", &flat(Some(fused)), &flat(Some(reference)));
    }

    /// Gradients summed in image order: the same bits on one thread as on four.
    #[test]
    fn gradients_do_not_depend_on_threads() {
        let device = Device::flex().autodiff();
        device.seed(11);
        let x: Tensor<4> = Tensor::random([5, 3, 6, 8], Distribution::Uniform(-1.0, 1.0), &device);
        let (conv, norm) = block(&device, 3, 4);
        let weight_grad = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            pool.install(|| {
                let out = train_forward(&conv, &norm, &x).expect("the fused op applies");
                let grads = out.powf_scalar(2.0).sum().backward();
                flat(conv.weight.grad(&grads))
            })
        };
        let one = weight_grad(1);
        assert!(one.iter().any(|g| *g != 0.0));
        assert_eq!(one, weight_grad(4));
    }

    #[test]
    fn other_devices_and_inference_use_burns_ops() {
        let plain = Device::flex();
        let (conv, norm) = block(&plain, 1, 2);
        let x = Tensor::<4>::zeros([1, 1, 4, 4], &plain);
        assert!(train_forward(&conv, &norm, &x).is_none(), "no autodiff");

        let device = Device::flex().autodiff();
        let (conv, norm) = block(&device, 1, 2);
        let x = Tensor::<4>::zeros([1, 1, 4, 4], &device);
        let frozen = norm.clone().freeze();
        assert!(
            train_forward(&conv, &frozen, &x).is_none(),
            "batch norm not training"
        );
        assert!(train_forward(&conv, &norm, &x).is_some());
    }
}

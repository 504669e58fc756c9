//! CPU kernels of one training step of a conv block (3×3 "same" convolution, batch norm on
//! batch statistics, ReLU, 2×2 max-pool) on plain `f32` slices laid out NCHW, one image at a
//! time, so a caller can spread images over threads.
//!
//! Why these exist: burn's `flex` backend runs the block as four separate ops, each a full pass
//! over the block's largest activation, and takes the convolution's weight gradient as a
//! convolution whose kernel is the whole image. Here the forward pass is a convolution and one
//! fused normalise–ReLU–pool pass that keeps the index of each pooled maximum, and the backward
//! pass touches only those maxima before one pass that turns them into the convolution's
//! output gradient. The convolutions are matrix products over im2col strips small enough to
//! stay in a core's cache.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

/// Floats in one im2col strip (256 KiB): small enough to stay in a core's L2 cache beside the
/// packed weights.
const STRIP_FLOATS: usize = 1048576;

/// Marks a pooled output whose maximum was clipped by ReLU: no gradient flows back through it.
pub const CLIPPED: u8 = u8::MAX;

/// Errors of the kernels: only a caller passing slices of the wrong length meets one.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("block kernel shapes do not fit: {0}")]
    Shape(#[from] ndarray::ShapeError),
}

/// One image's channels and pixel grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plane {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl Plane {
    #[must_use]
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.channels * self.pixels()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The plane after 2×2 max-pooling with stride 2 (odd edges dropped, as burn does).
    #[must_use]
    pub fn pooled(&self) -> Self {
        Self {
            channels: self.channels,
            height: self.height / 2,
            width: self.width / 2,
        }
    }

    /// Rows of one im2col strip.
    fn strip_rows(&self) -> usize {
        (STRIP_FLOATS / (self.channels * 9 * self.width).max(1)).clamp(1, self.height.max(1))
    }

    /// The im2col strips, top to bottom: `(first row, row after the last, pixels)`.
    fn strips(&self) -> impl Iterator<Item = (usize, usize, usize)> {
        let (rows, height, width) = (self.strip_rows(), self.height, self.width);
        (0..height).step_by(rows).map(move |row0| {
            let row1 = (row0 + rows).min(height);
            (row0, row1, (row1 - row0) * width)
        })
    }
}

/// im2col of rows `row0..row1` of a 3×3 "same" convolution's input: row `c·9 + ky·3 + kx` of
/// `col` holds `image[c, y + ky − 1, x + kx − 1]` (0 outside the image) for each output pixel.
fn im2col(image: &[f32], plane: Plane, row0: usize, row1: usize, col: &mut [f32]) {
    let (height, width) = (plane.height, plane.width);
    let n = (row1 - row0) * width;
    for c in 0..plane.channels {
        let source = &image[c * height * width..(c + 1) * height * width];
        for ky in 0..3 {
            for kx in 0..3 {
                let dest = &mut col[(c * 9 + ky * 3 + kx) * n..][..n];
                for (r, y) in (row0..row1).enumerate() {
                    let out = &mut dest[r * width..(r + 1) * width];
                    // The source row is y + ky − 1; keep it unsigned.
                    let above = y + ky;
                    if above == 0 || above > height {
                        out.fill(0.0);
                        continue;
                    }
                    let row = &source[(above - 1) * width..above * width];
                    match kx {
                        0 => {
                            out[0] = 0.0;
                            out[1..].copy_from_slice(&row[..width - 1]);
                        }
                        1 => out.copy_from_slice(row),
                        _ => {
                            out[..width - 1].copy_from_slice(&row[1..]);
                            out[width - 1] = 0.0;
                        }
                    }
                }
            }
        }
    }
}

/// [`im2col`] transposed: row `p` of `col` holds the `channels·9` inputs of output pixel `p`
/// (of rows `row0..row1`). The weight gradient's matrix product reads it row by row, which
/// its packing does far faster than a transposed view.
fn im2col_transposed(image: &[f32], plane: Plane, row0: usize, row1: usize, col: &mut [f32]) {
    let (height, width) = (plane.height, plane.width);
    let depth = plane.channels * 9;
    for (r, y) in (row0..row1).enumerate() {
        let rows = &mut col[r * width * depth..(r + 1) * width * depth];
        for c in 0..plane.channels {
            let source = &image[c * height * width..(c + 1) * height * width];
            for ky in 0..3 {
                let above = y + ky;
                let row = (above >= 1 && above <= height)
                    .then(|| &source[(above - 1) * width..above * width]);
                for kx in 0..3 {
                    let k = c * 9 + ky * 3 + kx;
                    for x in 0..width {
                        let sx = x + kx;
                        rows[x * depth + k] = match row {
                            Some(row) if sx >= 1 && sx <= width => row[sx - 1],
                            _ => 0.0,
                        };
                    }
                }
            }
        }
    }
}

/// `out[o, p] = bias[o] + Σ weight[o, c, ky, kx] · image[c, p + (ky − 1, kx − 1)]`: a 3×3 "same"
/// convolution of one image with `weight` laid out `[out channels, plane.channels, 3, 3]`.
/// `col` is scratch space the caller keeps between images.
pub fn conv3x3(
    image: &[f32],
    plane: Plane,
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
    col: &mut Vec<f32>,
) -> Result<(), KernelError> {
    let depth = plane.channels * 9;
    let out_channels = weight.len() / depth.max(1);
    let pixels = plane.pixels();
    let weights = ArrayView2::from_shape((out_channels, depth), weight)?;
    match bias {
        Some(bias) => {
            for (channel, &b) in out.chunks_mut(pixels).zip(bias) {
                channel.fill(b);
            }
        }
        None => out.fill(0.0),
    }
    for (row0, row1, n) in plane.strips() {
        col.resize(depth * n, 0.0);
        im2col(image, plane, row0, row1, col);
        let columns = ArrayView2::from_shape((depth, n), &col[..depth * n])?;
        let mut strip = ArrayViewMut2::from_shape(
            (out_channels, n).strides((pixels, 1)),
            &mut out[row0 * plane.width..],
        )?;
        general_mat_mul(1.0, &weights, &columns, 1.0, &mut strip);
    }
    Ok(())
}

/// `weight_grad[o, c·9 + k] += Σ_p grad[o, p] · im2col(image)[c·9 + k, p]`: the weight gradient of
/// [`conv3x3`] for one image, added to `weight_grad`.
pub fn conv3x3_weight_grad(
    image: &[f32],
    plane: Plane,
    grad: &[f32],
    weight_grad: &mut [f32],
    col: &mut Vec<f32>,
) -> Result<(), KernelError> {
    let depth = plane.channels * 9;
    let out_channels = weight_grad.len() / depth.max(1);
    let pixels = plane.pixels();
    if depth <= SMALL_DEPTH {
        weight_grad_by_dots(image, plane, grad, weight_grad, col);
        return Ok(());
    }
    let mut weights = ArrayViewMut2::from_shape((out_channels, depth), weight_grad)?;
    for (row0, row1, n) in plane.strips() {
        col.resize(depth * n, 0.0);
        im2col_transposed(image, plane, row0, row1, col);
        let columns = ArrayView2::from_shape((n, depth), &col[..depth * n])?;
        let strip = ArrayView2::from_shape(
            (out_channels, n).strides((pixels, 1)),
            &grad[row0 * plane.width..],
        )?;
        general_mat_mul(1.0, &strip, &columns, 1.0, &mut weights);
    }
    Ok(())
}

/// Up to this many im2col rows (a first layer on one or two channels), the weight gradient is
/// a set of dot products: a matrix product with so few columns wastes most of its kernel.
const SMALL_DEPTH: usize = 32;

/// Pixels per block of [`weight_grad_by_dots`]: its rows of both operands stay in L1.
const DOT_BLOCK: usize = 512;

/// [`conv3x3_weight_grad`] for small `channels·9`, as dot products over blocks of pixels.
fn weight_grad_by_dots(
    image: &[f32],
    plane: Plane,
    grad: &[f32],
    weight_grad: &mut [f32],
    col: &mut Vec<f32>,
) {
    let depth = plane.channels * 9;
    let pixels = plane.pixels();
    col.resize(depth * pixels, 0.0);
    im2col(image, plane, 0, plane.height, col);
    for start in (0..pixels).step_by(DOT_BLOCK) {
        let end = (start + DOT_BLOCK).min(pixels);
        for (o, row) in weight_grad.chunks_mut(depth).enumerate() {
            let g = &grad[o * pixels + start..o * pixels + end];
            for (k, total) in row.iter_mut().enumerate() {
                *total += dot(g, &col[k * pixels + start..k * pixels + end]);
            }
        }
    }
}

/// A dot product in 16 lanes, which the compiler keeps in vector registers.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; 16];
    let (a_blocks, b_blocks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = a_blocks
        .remainder()
        .iter()
        .zip(b_blocks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_blocks.zip(b_blocks) {
        for i in 0..16 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The weights of the convolution that takes [`conv3x3`]'s output gradient back to its input
/// gradient: transposed channels and flipped kernels, `[in channels, out channels, 3, 3]`.
#[must_use]
pub fn transposed_flipped(weight: &[f32], in_channels: usize) -> Vec<f32> {
    let out_channels = weight.len() / (in_channels * 9).max(1);
    let mut flipped = vec![0.0; weight.len()];
    for o in 0..out_channels {
        for c in 0..in_channels {
            for k in 0..9 {
                flipped[(c * out_channels + o) * 9 + (8 - k)] =
                    weight[(o * in_channels + c) * 9 + k];
            }
        }
    }
    flipped
}

/// Per-channel sums of `values` and of their squares (`[Σ per channel…, Σ² per channel…]`),
/// in f64 so batch statistics of large images keep their precision.
#[must_use]
pub fn channel_moments(values: &[f32], plane: Plane) -> Vec<f64> {
    let mut moments = vec![0.0; 2 * plane.channels];
    for (c, channel) in values.chunks(plane.pixels()).enumerate() {
        // Sum short runs in f32 (which vectorises) and carry the totals in f64.
        for run in channel.chunks(256) {
            let (sum, squares) = run
                .iter()
                .fold((0.0_f32, 0.0_f32), |(s, q), &v| (s + v, q + v * v));
            moments[c] += f64::from(sum);
            moments[plane.channels + c] += f64::from(squares);
        }
    }
    moments
}

/// `out = maxpool₂ₓ₂(relu(scale·y + shift))` per channel for one image, with the position (0–3
/// in row order) of each pooled maximum in `argmax`, or [`CLIPPED`] where ReLU clipped it.
/// Ties go to the first position, as burn's max-pool does.
pub fn norm_relu_pool(
    y: &[f32],
    plane: Plane,
    scale: &[f32],
    shift: &[f32],
    out: &mut [f32],
    argmax: &mut [u8],
) {
    let pooled = plane.pooled();
    let width = plane.width;
    for c in 0..plane.channels {
        let (a, b) = (scale[c], shift[c]);
        let channel = &y[c * plane.pixels()..(c + 1) * plane.pixels()];
        let out_channel = &mut out[c * pooled.pixels()..(c + 1) * pooled.pixels()];
        let arg_channel = &mut argmax[c * pooled.pixels()..(c + 1) * pooled.pixels()];
        for oy in 0..pooled.height {
            let top = &channel[2 * oy * width..(2 * oy + 1) * width];
            let bottom = &channel[(2 * oy + 1) * width..(2 * oy + 2) * width];
            let out_row = &mut out_channel[oy * pooled.width..(oy + 1) * pooled.width];
            let arg_row = &mut arg_channel[oy * pooled.width..(oy + 1) * pooled.width];
            for ox in 0..pooled.width {
                let candidates = [
                    a * top[2 * ox] + b,
                    a * top[2 * ox + 1] + b,
                    a * bottom[2 * ox] + b,
                    a * bottom[2 * ox + 1] + b,
                ];
                let mut best = 0;
                for (i, &v) in candidates.iter().enumerate().skip(1) {
                    if v > candidates[best] {
                        best = i;
                    }
                }
                let value = candidates[best];
                if value > 0.0 {
                    out_row[ox] = value;
                    arg_row[ox] = best as u8;
                } else {
                    out_row[ox] = 0.0;
                    arg_row[ox] = CLIPPED;
                }
            }
        }
    }
}

/// The pixel of `plane` (index within its channel) that pooled output `index` (within its
/// channel) took its maximum from.
fn source_pixel(plane: Plane, index: usize, position: u8) -> usize {
    let pooled_width = plane.width / 2;
    let (oy, ox) = (index / pooled_width.max(1), index % pooled_width.max(1));
    let (dy, dx) = (usize::from(position / 2), usize::from(position % 2));
    (2 * oy + dy) * plane.width + 2 * ox + dx
}

/// Per-channel `[Σ dz…, Σ dz·x̂…]` of one image, where `dz` is the gradient reaching the
/// normalised values through ReLU and the pool (non-zero only at unclipped maxima) and
/// `x̂ = (y − mean)·invstd`: batch norm's `β` and `γ` gradients, summed over images.
#[must_use]
pub fn pooled_grad_moments(
    out_grad: &[f32],
    argmax: &[u8],
    y: &[f32],
    plane: Plane,
    mean: &[f32],
    invstd: &[f32],
) -> Vec<f64> {
    let pooled = plane.pooled().pixels();
    let mut moments = vec![0.0; 2 * plane.channels];
    for c in 0..plane.channels {
        let channel = &y[c * plane.pixels()..(c + 1) * plane.pixels()];
        let (mut sum, mut weighted) = (0.0_f64, 0.0_f64);
        for (i, (&g, &position)) in out_grad[c * pooled..(c + 1) * pooled]
            .iter()
            .zip(&argmax[c * pooled..(c + 1) * pooled])
            .enumerate()
        {
            if position == CLIPPED {
                continue;
            }
            let normalised = (channel[source_pixel(plane, i, position)] - mean[c]) * invstd[c];
            sum += f64::from(g);
            weighted += f64::from(g * normalised);
        }
        moments[c] = sum;
        moments[plane.channels + c] = weighted;
    }
    moments
}

/// Batch statistics of one block over the whole batch, per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    pub mean: Vec<f32>,
    pub invstd: Vec<f32>,
    pub gamma: Vec<f32>,
    /// Values each statistic was taken over (images × pixels).
    pub count: usize,
}

/// The gradient of one image's convolution output `y`:
/// `dy = γ·invstd·(dz − Σdz/N − x̂·Σdz·x̂/N)`, with `moments` the batch's
/// [`pooled_grad_moments`].
pub fn conv_output_grad(
    out_grad: &[f32],
    argmax: &[u8],
    y: &[f32],
    plane: Plane,
    stats: &BatchStats,
    moments: &[f64],
    dy: &mut [f32],
) {
    let pooled = plane.pooled().pixels();
    let count = stats.count.max(1) as f64;
    for c in 0..plane.channels {
        let scale = stats.gamma[c] * stats.invstd[c];
        let mean_dz = (moments[c] / count) as f32;
        let mean_dz_xhat = (moments[plane.channels + c] / count) as f32;
        let (mean, invstd) = (stats.mean[c], stats.invstd[c]);
        let channel = &y[c * plane.pixels()..(c + 1) * plane.pixels()];
        let grad = &mut dy[c * plane.pixels()..(c + 1) * plane.pixels()];
        // The dense part first (dz = 0), then dz added at each unclipped maximum.
        let offset = -scale * (mean_dz - mean * invstd * mean_dz_xhat);
        let slope = -scale * invstd * mean_dz_xhat;
        for (g, &v) in grad.iter_mut().zip(channel) {
            *g = slope * v + offset;
        }
        for (i, (&g, &position)) in out_grad[c * pooled..(c + 1) * pooled]
            .iter()
            .zip(&argmax[c * pooled..(c + 1) * pooled])
            .enumerate()
        {
            if position != CLIPPED {
                grad[source_pixel(plane, i, position)] += scale * g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let v = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                (v % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// The convolution straight from its definition.
    fn naive_conv(image: &[f32], plane: Plane, weight: &[f32], out_channels: usize) -> Vec<f32> {
        let (h, w) = (plane.height as isize, plane.width as isize);
        let mut out = vec![0.0; out_channels * plane.pixels()];
        for o in 0..out_channels {
            for y in 0..h {
                for x in 0..w {
                    let mut total = 0.0;
                    for c in 0..plane.channels {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (sy, sx) = (y + ky - 1, x + kx - 1);
                                if sy < 0 || sx < 0 || sy >= h || sx >= w {
                                    continue;
                                }
                                total += weight[((o * plane.channels + c) * 3 + ky as usize) * 3
                                    + kx as usize]
                                    * image
                                        [(c as isize * h + sy) as usize * w as usize + sx as usize];
                            }
                        }
                    }
                    out[o * plane.pixels() + (y * w + x) as usize] = total;
                }
            }
        }
        out
    }

    #[test]
    fn convolution_matches_its_definition_across_strips_and_edges() -> Result<(), KernelError> {
        // Wide enough that the image is cut into several strips.
        let plane = Plane {
            channels: 48,
            height: 61,
            width: 50,
        };
        let image = values(plane.len(), 1);
        let weight = values(5 * 48 * 9, 2);
        let mut out = vec![0.0; 5 * plane.pixels()];
        let mut col = Vec::new();
        assert!(plane.strip_rows() < plane.height);
        conv3x3(&image, plane, &weight, None, &mut out, &mut col)?;
        let expected = naive_conv(&image, plane, &weight, 5);
        let worst = out
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "worst difference {worst}");
        Ok(())
    }

    #[test]
    fn gradients_are_the_adjoints_of_the_convolution() -> Result<(), KernelError> {
        // Two input channels take the dot-product weight gradient, five the matrix product.
        for channels in [2, 5] {
            check_adjoints(channels)?;
        }
        Ok(())
    }

    fn check_adjoints(channels: usize) -> Result<(), KernelError> {
        // <conv(x), g> = <x, conv_flipped(g)> for any x and g.
        let plane = Plane {
            channels,
            height: 9,
            width: 7,
        };
        let out_plane = Plane {
            channels: 4,
            ..plane
        };
        let x = values(plane.len(), 3);
        let g = values(out_plane.len(), 4);
        let weight = values(4 * channels * 9, 5);
        let mut col = Vec::new();
        let mut y = vec![0.0; out_plane.len()];
        conv3x3(&x, plane, &weight, None, &mut y, &mut col)?;
        let mut dx = vec![0.0; plane.len()];
        conv3x3(
            &g,
            out_plane,
            &transposed_flipped(&weight, channels),
            None,
            &mut dx,
            &mut col,
        )?;
        let left: f32 = y.iter().zip(&g).map(|(a, b)| a * b).sum();
        let right: f32 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        assert!(
            (left - right).abs() < 1e-3 * left.abs().max(1.0),
            "{left} vs {right}"
        );

        // And the weight gradient: <conv_w(x), g> is linear in w with gradient Σ g·im2col(x).
        let mut weight_grad = vec![0.0; weight.len()];
        conv3x3_weight_grad(&x, plane, &g, &mut weight_grad, &mut col)?;
        let by_weights: f32 = weight.iter().zip(&weight_grad).map(|(a, b)| a * b).sum();
        assert!((left - by_weights).abs() < 1e-3 * left.abs().max(1.0));
        Ok(())
    }

    #[test]
    fn pooling_keeps_the_first_maximum_and_marks_clipped_outputs() {
        let plane = Plane {
            channels: 1,
            height: 2,
            width: 5,
        };
        // Windows: [1, 3; 3, 0] → 3 at position 1 (first of the tie); [-1, -2; -3, -4] → clipped.
        let y = [1.0, 3.0, -1.0, -2.0, 9.0, 3.0, 0.0, -3.0, -4.0, 9.0];
        let (mut out, mut argmax) = ([0.0; 2], [0; 2]);
        norm_relu_pool(&y, plane, &[1.0], &[0.0], &mut out, &mut argmax);
        assert_eq!(out, [3.0, 0.0]);
        assert_eq!(argmax, [1, CLIPPED]);
        // A negative scale flips which value is the maximum.
        norm_relu_pool(&y, plane, &[-1.0], &[0.0], &mut out, &mut argmax);
        assert_eq!(out, [0.0, 4.0]);
        assert_eq!(argmax, [CLIPPED, 3]);
    }

    #[test]
    fn moments_sum_values_and_squares_per_channel() {
        let plane = Plane {
            channels: 2,
            height: 1,
            width: 3,
        };
        let moments = channel_moments(&[1.0, 2.0, 3.0, -1.0, 0.0, 1.0], plane);
        assert_eq!(moments, vec![6.0, 0.0, 14.0, 2.0]);
    }
}

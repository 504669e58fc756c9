//! Front ends: how a window's dB image becomes the numbers the network sees. Each works on one
//! window on its own (band-major `bands × frames`), so a crop made at training and the same span
//! sliced from a long recording at detection give identical inputs.
//!
//! - a fixed dB range (what the app did first): simple, but a call 10 dB fainter than the
//!   training calls is a different picture;
//! - per-channel energy normalisation (PCEN, Wang et al. 2017; librosa's `pcen`): each band is
//!   divided by a smoothed copy of itself, so slow level changes and stationary noise cancel;
//! - per-frequency background subtraction: each band's median over the window is taken away, so
//!   a hum or a noisy band disappears and a call is measured against its own background;
//! - per-window standardisation: zero mean, unit variance.

/// PCEN settings (librosa's names and defaults: gain 0.98, bias 2, power 0.5, 0.4 s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PcenParams {
    /// Time constant of the smoother, seconds.
    pub time_constant_secs: f64,
    /// Exponent of the automatic gain control (`alpha`).
    pub gain: f64,
    /// Offset before compression (`delta`).
    pub bias: f64,
    /// Compression exponent (`r`).
    pub power: f64,
    /// Keeps the division finite.
    pub eps: f64,
}

impl Default for PcenParams {
    fn default() -> Self {
        Self {
            time_constant_secs: 0.4,
            gain: 0.98,
            bias: 2.0,
            power: 0.5,
            eps: 1e-6,
        }
    }
}

/// The smoother's coefficient for a time constant and a frame step (librosa's formula):
/// `b = (√(1 + 4T²) − 1) / 2T²` with `T` the time constant in frames.
#[must_use]
pub fn pcen_smoothing(time_constant_secs: f64, frame_secs: f64) -> f64 {
    let t = (time_constant_secs / frame_secs.max(1e-12)).max(1e-9);
    ((1.0 + 4.0 * t * t).sqrt() - 1.0) / (2.0 * t * t)
}

/// PCEN of a band-major magnitude image in place: `M[t] = (1 − b)·M[t−1] + b·E[t]` per band,
/// then `(E / (ε + M)^α + δ)^r − δ^r`. The smoother starts in its steady state for the first
/// frame (librosa with `zi = lfilter_zi · E[:, :1]`), so the first frames of a window are not
/// treated as an onset.
pub fn pcen(values: &mut [f32], bands: usize, frames: usize, params: &PcenParams, frame_secs: f64) {
    if frames == 0 {
        return;
    }
    let b = pcen_smoothing(params.time_constant_secs, frame_secs);
    let bias_root = params.bias.powf(params.power);
    for band in values.chunks_exact_mut(frames).take(bands) {
        let mut smooth = f64::from(band[0]);
        for v in band.iter_mut() {
            let energy = f64::from(*v);
            smooth = (1.0 - b) * smooth + b * energy;
            let agc = (-params.gain * (params.eps + smooth).ln()).exp();
            *v = ((energy * agc + params.bias).powf(params.power) - bias_root) as f32;
        }
    }
}

/// Takes each band's median over the window away from a band-major dB image, then maps
/// `[0, range_db]` above that background to `[0, 1]` (clamped).
pub fn subtract_background(values: &mut [f32], bands: usize, frames: usize, range_db: f32) {
    if frames == 0 {
        return;
    }
    let mut sorted = Vec::with_capacity(frames);
    let span = range_db.max(1e-3);
    for band in values.chunks_exact_mut(frames).take(bands) {
        sorted.clear();
        sorted.extend_from_slice(band);
        let middle = frames / 2;
        let (_, median, _) = sorted.select_nth_unstable_by(middle, f32::total_cmp);
        let median = *median;
        for v in band.iter_mut() {
            *v = ((*v - median) / span).clamp(0.0, 1.0);
        }
    }
}

/// Zero mean and unit variance over the whole image.
pub fn standardize(values: &mut [f32]) {
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    let scale = 1.0 / variance.sqrt().max(1e-3);
    for v in values.iter_mut() {
        *v = (*v - mean) * scale;
    }
}

/// `[low_db, high_db]` → `[0, 1]`, clamped.
pub fn db_range(values: &mut [f32], low_db: f32, high_db: f32) {
    let span = (high_db - low_db).max(1e-3);
    for v in values.iter_mut() {
        *v = ((*v - low_db) / span).clamp(0.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three bands × ten frames of magnitude: constant, a step up and back, a ramp.
    fn fixed_input() -> Vec<f32> {
        let mut values = vec![1000.0_f32; 10];
        values.extend([1.0, 1.0, 1.0, 100.0, 100.0, 100.0, 1.0, 1.0, 1.0, 1.0].map(|v| v * 1000.0));
        values.extend((1..=10).map(|i| i as f32 * 1000.0));
        values
    }

    #[test]
    fn pcen_matches_librosa() {
        // librosa 0.11: pcen(S, sr=1000, hop_length=100, gain=0.98, bias=2, power=0.5,
        // time_constant=0.4, eps=1e-6, max_size=1, zi=lfilter_zi([b], [1, b-1]) * S[:, :1]).
        let expected: [[f32; 10]; 3] = [
            [0.3600901; 10],
            [
                0.3600901, 0.3600901, 0.3600901, 1.2967816, 0.8440149, 0.6688354, 0.0104656,
                0.0132611, 0.0167686, 0.0211488,
            ],
            [
                0.3600901, 0.5577561, 0.6242801, 0.6300198, 0.6141349, 0.5926198, 0.571_283,
                0.5519906, 0.5351433, 0.5206226,
            ],
        ];
        assert!((pcen_smoothing(0.4, 0.1) - 0.220_695_554_634_329_66).abs() < 1e-12);
        let mut values = fixed_input();
        pcen(&mut values, 3, 10, &PcenParams::default(), 0.1);
        for (band, row) in expected.iter().enumerate() {
            for (frame, want) in row.iter().enumerate() {
                let got = values[band * 10 + frame];
                assert!(
                    (got - want).abs() < 1e-5,
                    "band {band} frame {frame}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn pcen_ignores_a_constant_gain() {
        // α = 0.98: a 20 dB quieter recording changes the output by only (10^−1)^0.02 inside.
        let mut loud = fixed_input();
        let mut quiet: Vec<f32> = loud.iter().map(|v| v / 10.0).collect();
        pcen(&mut loud, 3, 10, &PcenParams::default(), 0.1);
        pcen(&mut quiet, 3, 10, &PcenParams::default(), 0.1);
        for (a, b) in loud.iter().zip(&quiet) {
            assert!((a - b).abs() < 0.05 * a.abs().max(0.02), "{a} vs {b}");
        }
    }

    #[test]
    fn background_subtraction_removes_each_bands_level() {
        // Band 0 sits at −60 dB with a 30 dB event; band 1 is a −20 dB hum throughout.
        let mut values = vec![-60.0_f32; 8];
        values[3] = -30.0;
        values.extend([-20.0_f32; 8]);
        subtract_background(&mut values, 2, 8, 40.0);
        assert!((values[3] - 0.75).abs() < 1e-6);
        assert!(values[..3].iter().chain(&values[4..]).all(|v| *v == 0.0));
    }

    #[test]
    fn standardised_images_have_zero_mean_and_unit_variance() {
        let mut values: Vec<f32> = (0..50).map(|i| (i as f32).sin() * 7.0 - 40.0).collect();
        standardize(&mut values);
        let mean = values.iter().sum::<f32>() / 50.0;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 50.0;
        assert!(mean.abs() < 1e-4 && (variance - 1.0).abs() < 1e-3);
    }
}

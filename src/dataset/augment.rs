//! Training-time augmentation, in the spectrogram domain so nothing is decoded or transformed
//! again: random crop offsets, gain, background mixed in at a random SNR (in power, where
//! spectra of independent sounds add), and time and frequency masking.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which augmentations run, each toggleable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// A new random crop of every window every epoch (otherwise the centre crop).
    pub random_crop: bool,
    /// Gain in ±dB, uniform (0 = off).
    pub gain_db: f32,
    /// Probability of mixing in a background crop from a training negative.
    pub mix_probability: f32,
    /// SNR range of the mix, dB (signal over background, by mean power).
    pub mix_snr_db: (f32, f32),
    /// Up to this many frames masked in one run (0 = off).
    pub time_mask_frames: usize,
    /// Up to this many bands masked in one run (0 = off).
    pub frequency_mask_bands: usize,
}

impl Default for Augmentation {
    fn default() -> Self {
        Self {
            random_crop: true,
            gain_db: 6.0,
            mix_probability: 0.3,
            mix_snr_db: (0.0, 15.0),
            time_mask_frames: 12,
            frequency_mask_bands: 8,
        }
    }
}

impl Augmentation {
    /// Everything off: validation, test and detection see plain centre crops.
    #[must_use]
    pub fn none() -> Self {
        Self {
            random_crop: false,
            gain_db: 0.0,
            mix_probability: 0.0,
            mix_snr_db: (0.0, 0.0),
            time_mask_frames: 0,
            frequency_mask_bands: 0,
        }
    }
}

/// Adds `gain_db` to every value.
pub fn apply_gain(db: &mut [f32], gain_db: f32) {
    for v in db {
        *v += gain_db;
    }
}

/// Mixes `background` (dB) into `signal` (dB) so the signal's mean power is `snr_db` above the
/// background's.
pub fn mix_at_snr(signal: &mut [f32], background: &[f32], snr_db: f32) {
    let to_power = |db: f32| (db * (std::f32::consts::LN_10 / 10.0)).exp();
    let mean_power = |values: &[f32]| {
        values.iter().map(|v| f64::from(to_power(*v))).sum::<f64>() / values.len().max(1) as f64
    };
    let (signal_power, background_power) = (mean_power(signal), mean_power(background));
    if background_power <= 0.0 || signal_power <= 0.0 {
        return;
    }
    let scale = (signal_power / background_power / 10f64.powf(f64::from(snr_db) / 10.0)) as f32;
    for (s, b) in signal.iter_mut().zip(background) {
        let power = to_power(*s) + scale * to_power(*b);
        *s = 10.0 * power.max(1e-30).log10();
    }
}

/// Sets a random run of up to `max_frames` frames of a band-major `bands × frames` image to 0,
/// and a random run of up to `max_bands` bands.
pub fn mask(
    values: &mut [f32],
    bands: usize,
    frames: usize,
    max_frames: usize,
    max_bands: usize,
    rng: &mut ChaCha8Rng,
) {
    if max_frames > 0 && frames > 1 {
        let width = rng.random_range(0..=max_frames.min(frames - 1));
        let start = rng.random_range(0..=frames - width);
        for band in 0..bands {
            values[band * frames + start..band * frames + start + width].fill(0.0);
        }
    }
    if max_bands > 0 && bands > 1 {
        let height = rng.random_range(0..=max_bands.min(bands - 1));
        let start = rng.random_range(0..=bands - height);
        values[start * frames..(start + height) * frames].fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mixing_at_an_snr_sets_the_power_ratio() {
        let mut signal = vec![-20.0_f32; 100];
        let background = vec![-60.0_f32; 100];
        mix_at_snr(&mut signal, &background, 10.0);
        // Background scaled to −30 dB: total 10·log10(10^-2 + 10^-3) = −19.586 dB.
        for v in &signal {
            assert!((v - (-19.586)).abs() < 0.01, "{v}");
        }
    }

    #[test]
    fn masks_stay_inside_the_image() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let mut values = vec![1.0_f32; 16 * 20];
            mask(&mut values, 16, 20, 30, 30, &mut rng);
            assert!(values.contains(&1.0));
        }
    }
}

//! Training-time augmentation, in the spectrogram domain so nothing is decoded or transformed
//! again: random crop offsets (time shifts), gain, background mixed in at a random SNR (in
//! power, where spectra of independent sounds add), small frequency shifts, and time and
//! frequency masking. The level and noise ones teach a model that a fainter call at a noisier
//! site is still a call.

use std::ops::Range;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which augmentations run, each toggleable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// A new random crop of every window every epoch (otherwise the centre crop).
    pub random_crop: bool,
    /// Gain range in dB, uniform (`(0, 0)` = off): wide and mostly downwards, since calls
    /// at other sites are usually further away.
    pub gain_db: (f32, f32),
    /// Probability of mixing in a background crop from a training negative.
    pub mix_probability: f32,
    /// SNR range of the mix, dB (signal over background, by mean power).
    pub mix_snr_db: (f32, f32),
    /// Up to this many frames masked in one run (0 = off).
    pub time_mask_frames: usize,
    /// Up to this many bands masked in one run (0 = off).
    pub frequency_mask_bands: usize,
    /// The image moved up or down by up to this many bands (0 = off): calls a little higher or
    /// lower than the training calls.
    #[serde(default)]
    pub frequency_shift_bands: usize,
}

impl Default for Augmentation {
    fn default() -> Self {
        Self {
            random_crop: true,
            gain_db: (-20.0, 6.0),
            mix_probability: 0.5,
            mix_snr_db: (-3.0, 15.0),
            time_mask_frames: 12,
            frequency_mask_bands: 8,
            frequency_shift_bands: 2,
        }
    }
}

impl Augmentation {
    /// Everything off: validation, test and detection see plain centre crops.
    #[must_use]
    pub fn none() -> Self {
        Self {
            random_crop: false,
            gain_db: (0.0, 0.0),
            mix_probability: 0.0,
            mix_snr_db: (0.0, 0.0),
            time_mask_frames: 0,
            frequency_mask_bands: 0,
            frequency_shift_bands: 0,
        }
    }
}

/// Adds `gain_db` to every value.
pub fn apply_gain(db: &mut [f32], gain_db: f32) {
    for v in db {
        *v += gain_db;
    }
}

/// Mixes `background` (dB) into `signal` (dB) so the signal's mean power over `measured` (a
/// range of both slices' indices) is `snr_db` above the background's there. With context the
/// crop is several times the window (PCEN's warm-up, context either side) and the call lies in
/// the window only: measured over the whole crop, the call's power would be diluted and the
/// mix several dB weaker than the same draw without context.
pub fn mix_at_snr(signal: &mut [f32], background: &[f32], snr_db: f32, measured: Range<usize>) {
    let to_power = |db: f32| (db * (std::f32::consts::LN_10 / 10.0)).exp();
    let mean_power = |values: &[f32]| {
        let values = values.get(measured.clone()).unwrap_or(values);
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

/// Moves a frame-major `frames × bands` dB block up (positive `shift`) or down by `shift`
/// bands; the bands moved in repeat the edge band.
pub fn shift_bands(db: &mut [f32], bands: usize, shift: isize) {
    if shift == 0 || bands < 2 {
        return;
    }
    let mut row = vec![0.0_f32; bands];
    let last = bands as isize - 1;
    for frame in db.chunks_exact_mut(bands) {
        for (band, out) in row.iter_mut().enumerate() {
            let from = (band as isize - shift).clamp(0, last) as usize;
            *out = frame[from];
        }
        frame.copy_from_slice(&row);
    }
}

/// Sets a random run of up to `max_frames` frames of a band-major `bands × frames` image to 0,
/// within the frames `window` (the whole image without context, so that context does not make
/// the window's masks rarer), and a random run of up to `max_bands` bands.
pub fn mask(
    values: &mut [f32],
    (bands, frames): (usize, usize),
    window: Range<usize>,
    max_frames: usize,
    max_bands: usize,
    rng: &mut ChaCha8Rng,
) {
    let window = window.start.min(frames)..window.end.min(frames);
    let window_frames = window.len();
    if max_frames > 0 && window_frames > 1 {
        let width = rng.random_range(0..=max_frames.min(window_frames - 1));
        let start = window.start + rng.random_range(0..=window_frames - width);
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
        mix_at_snr(&mut signal, &background, 10.0, 0..100);
        // Background scaled to −30 dB: total 10·log10(10^-2 + 10^-3) = −19.586 dB.
        for v in &signal {
            assert!((v - (-19.586)).abs() < 0.01, "{v}");
        }
    }

    #[test]
    fn the_snr_is_measured_over_the_window_not_the_context() {
        // A call at −20 dB in the middle 20 values, quiet (−80 dB) context either side; the
        // background is flat at −60 dB. Measured over the window, the background comes in at
        // −30 dB; measured over everything, the call's power is diluted five times and the
        // background would come in 7 dB lower.
        let mut signal = vec![-80.0_f32; 100];
        signal[40..60].fill(-20.0);
        let background = vec![-60.0_f32; 100];
        mix_at_snr(&mut signal, &background, 10.0, 40..60);
        assert!((signal[50] - (-19.586)).abs() < 0.01, "{}", signal[50]);
        assert!((signal[0] - (-30.0)).abs() < 0.01, "{}", signal[0]);
    }

    #[test]
    fn shifting_bands_moves_a_tone_and_repeats_the_edge() {
        // Two frames of four bands: a tone in band 1.
        let mut db = vec![-80.0, -20.0, -80.0, -70.0, -80.0, -20.0, -80.0, -70.0];
        shift_bands(&mut db, 4, 2);
        assert_eq!(db[..4], [-80.0, -80.0, -80.0, -20.0]);
        shift_bands(&mut db, 4, -3);
        assert_eq!(db[4..], [-20.0, -20.0, -20.0, -20.0]);
    }

    #[test]
    fn masks_stay_inside_the_image() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let mut values = vec![1.0_f32; 16 * 20];
            mask(&mut values, (16, 20), 0..20, 30, 30, &mut rng);
            assert!(values.contains(&1.0));
        }
    }

    #[test]
    fn time_masks_fall_in_the_window_and_context_keeps_the_draws() {
        // The same seed masks the same frames of the window whether or not 5 frames of context
        // lie either side, and never a context frame.
        for seed in 0..50 {
            let mut plain = vec![1.0_f32; 20];
            mask(
                &mut plain,
                (1, 20),
                0..20,
                6,
                0,
                &mut ChaCha8Rng::seed_from_u64(seed),
            );
            let mut wide = vec![1.0_f32; 30];
            mask(
                &mut wide,
                (1, 30),
                5..25,
                6,
                0,
                &mut ChaCha8Rng::seed_from_u64(seed),
            );
            assert_eq!(wide[5..25], plain[..], "seed {seed}");
            assert!(wide[..5].iter().chain(&wide[25..]).all(|v| *v == 1.0));
        }
    }
}

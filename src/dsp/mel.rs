//! Mel filterbanks: triangular filters over FFT bins, evenly spaced on the mel scale.

use serde::{Deserialize, Serialize};

/// How mel filters are scaled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelNorm {
    /// Every triangle peaks at 1 (librosa `norm=None`, HTK): wide high bands collect more energy.
    Peak,
    /// Every triangle has unit area (librosa `norm="slaney"`): bands are comparable in level.
    #[default]
    Slaney,
}

/// Which formula maps hertz to mels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MelFormula {
    /// Linear below 1 kHz, logarithmic above (Slaney's Auditory Toolbox; librosa's default).
    #[default]
    Slaney,
    /// `2595 log10(1 + f / 700)` (HTK).
    Htk,
}

/// Slaney's scale: linear (3 mels per 200 Hz) below 1 kHz, logarithmic above.
const SLANEY_HZ_PER_MEL: f64 = 200.0 / 3.0;
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_HZ_PER_MEL;

/// ln(6.4) / 27: the log-region step of Slaney's scale.
fn slaney_log_step() -> f64 {
    6.4_f64.ln() / 27.0
}

#[must_use]
pub fn hz_to_mel(hz: f64, formula: MelFormula) -> f64 {
    match formula {
        MelFormula::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
        MelFormula::Slaney if hz >= SLANEY_MIN_LOG_HZ => {
            SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_log_step()
        }
        MelFormula::Slaney => hz / SLANEY_HZ_PER_MEL,
    }
}

#[must_use]
pub fn mel_to_hz(mel: f64, formula: MelFormula) -> f64 {
    match formula {
        MelFormula::Htk => 700.0 * (10.0_f64.powf(mel / 2595.0) - 1.0),
        MelFormula::Slaney if mel >= SLANEY_MIN_LOG_MEL => {
            SLANEY_MIN_LOG_HZ * (slaney_log_step() * (mel - SLANEY_MIN_LOG_MEL)).exp()
        }
        MelFormula::Slaney => mel * SLANEY_HZ_PER_MEL,
    }
}

/// One band: weights for a run of consecutive bins.
#[derive(Debug, Clone)]
struct Filter {
    first_bin: usize,
    weights: Vec<f32>,
}

/// `bands` triangular filters between `min_hz` and `max_hz`.
#[derive(Debug, Clone)]
pub struct MelFilterbank {
    filters: Vec<Filter>,
    /// Centre frequency of each band.
    centers_hz: Vec<f64>,
    /// Highest bin any filter reads, plus one.
    bins_needed: usize,
}

impl MelFilterbank {
    /// Filters for an FFT of `fft_len` samples at `sample_rate_hz`.
    #[must_use]
    pub fn new(
        bands: usize,
        min_hz: f64,
        max_hz: f64,
        norm: MelNorm,
        formula: MelFormula,
        fft_len: usize,
        sample_rate_hz: u32,
    ) -> Self {
        let bin_hz = f64::from(sample_rate_hz) / fft_len as f64;
        let bin_count = fft_len / 2 + 1;
        let (low_mel, high_mel) = (hz_to_mel(min_hz, formula), hz_to_mel(max_hz, formula));
        let points_hz: Vec<f64> = (0..bands + 2)
            .map(|i| {
                mel_to_hz(
                    low_mel + (high_mel - low_mel) * i as f64 / (bands + 1) as f64,
                    formula,
                )
            })
            .collect();
        let mut filters = Vec::with_capacity(bands);
        for band in 0..bands {
            let (left, center, right) = (points_hz[band], points_hz[band + 1], points_hz[band + 2]);
            let first = ((left / bin_hz).ceil() as usize).min(bin_count);
            let last = ((right / bin_hz).floor() as usize).min(bin_count - 1);
            let mut weights: Vec<f32> = (first..=last.max(first))
                .map(|bin| {
                    let f = bin as f64 * bin_hz;
                    let rising = (f - left) / (center - left);
                    let falling = (right - f) / (right - center);
                    rising.min(falling).max(0.0) as f32
                })
                .collect();
            let mut first_bin = first;
            if weights.iter().all(|w| *w <= 0.0) {
                // A band narrower than a bin (small windows, many bands): interpolate the two
                // bins around its centre instead of leaving a band that is always empty.
                let position = center / bin_hz;
                let below = (position.floor() as usize).min(bin_count - 1);
                let fraction = (position - below as f64) as f32;
                first_bin = below;
                weights = vec![1.0 - fraction, fraction];
                if below + 1 >= bin_count {
                    weights.truncate(1);
                }
            }
            if norm == MelNorm::Slaney {
                // Unit area (in bins): each band is the weighted mean of its bins.
                let sum: f32 = weights.iter().sum();
                if sum > 0.0 {
                    for w in &mut weights {
                        *w /= sum;
                    }
                }
            }
            filters.push(Filter { first_bin, weights });
        }
        let bins_needed = filters
            .iter()
            .map(|f| f.first_bin + f.weights.len())
            .max()
            .unwrap_or(0);
        Self {
            filters,
            centers_hz: points_hz[1..=bands].to_vec(),
            bins_needed,
        }
    }

    /// Centre frequency of each band, lowest first.
    #[must_use]
    pub fn centers_hz(&self) -> &[f64] {
        &self.centers_hz
    }

    /// Bins `apply` reads (`spectrum` must be at least this long).
    #[must_use]
    pub fn bins_needed(&self) -> usize {
        self.bins_needed
    }

    /// `out[band] = Σ weight × spectrum[bin]`.
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        for (value, filter) in out.iter_mut().zip(&self.filters) {
            let bins = &spectrum[filter.first_bin..filter.first_bin + filter.weights.len()];
            *value = bins.iter().zip(&filter.weights).map(|(s, w)| s * w).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_formulas_round_trip_and_match_references() {
        for formula in [MelFormula::Slaney, MelFormula::Htk] {
            for hz in [0.0, 440.0, 1000.0, 4000.0, 11_025.0, 96_000.0] {
                let back = mel_to_hz(hz_to_mel(hz, formula), formula);
                assert!((back - hz).abs() < 1e-6 * hz.max(1.0), "{formula:?} {hz}");
            }
        }
        // librosa.hz_to_mel(1000) == 15.0 (Slaney); HTK: 1000 Hz ≈ 1000 mel.
        assert!((hz_to_mel(1000.0, MelFormula::Slaney) - 15.0).abs() < 1e-9);
        assert!((hz_to_mel(1000.0, MelFormula::Htk) - 999.985).abs() < 1e-2);
    }

    #[test]
    fn slaney_bands_average_and_cover_every_band() {
        // 128 bands from a 256-point FFT: low bands are narrower than a bin.
        let bank = MelFilterbank::new(
            128,
            0.0,
            11_025.0,
            MelNorm::Slaney,
            MelFormula::Slaney,
            256,
            22_050,
        );
        let flat = vec![2.0_f32; 129];
        let mut out = vec![0.0; 128];
        bank.apply(&flat, &mut out);
        assert!(out.iter().all(|v| (v - 2.0).abs() < 1e-4), "{out:?}");
        assert!(bank.centers_hz().windows(2).all(|w| w[1] > w[0]));
    }
}

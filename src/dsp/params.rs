//! `SpectrogramParams`: everything that determines a spectrogram's values. Hashable, so it keys
//! caches, and serialisable, so every trained model carries the exact parameters it saw.

use serde::{Deserialize, Serialize};

use super::DspError;
use super::mel::{MelFormula, MelNorm, hz_to_mel, mel_to_hz};
use super::window::WindowFunction;

/// The frequency axis of a spectrogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FrequencyScale {
    /// One row per FFT bin between the minimum and maximum frequency.
    Linear,
    /// `bands` triangular mel filters spanning the minimum to maximum frequency.
    Mel {
        bands: u16,
        norm: MelNorm,
        formula: MelFormula,
    },
}

/// Whether levels are computed from magnitude or power. On a linear axis both give the same dB;
/// with mel filters the sum is taken over magnitudes or over powers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amplitude {
    Magnitude,
    #[default]
    Power,
}

/// Everything that determines a spectrogram's values (display settings such as contrast and
/// colour map are not here: they never require recomputing FFTs).
///
/// Levels are in dB relative to full scale: a full-scale sine peaks at 0 dB whatever the window.
/// Frame `k` covers samples `[k × hop_len, k × hop_len + window_len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpectrogramParams {
    /// Window (and FFT) length in samples; any size, not only powers of two.
    pub window_len: u32,
    /// Step between frames in samples.
    pub hop_len: u32,
    pub window: WindowFunction,
    pub scale: FrequencyScale,
    /// Lowest frequency kept.
    pub min_hz: u32,
    /// Highest frequency kept; `None` means the Nyquist frequency.
    pub max_hz: Option<u32>,
    pub amplitude: Amplitude,
    /// Levels below this are clamped to it, so digital silence gives finite values.
    pub floor_db: i16,
}

impl Default for SpectrogramParams {
    /// Raven-like defaults: 512-sample Hann window, 50 % overlap, linear axis, −120 dB floor.
    fn default() -> Self {
        Self {
            window_len: 512,
            hop_len: 256,
            window: WindowFunction::Hann,
            scale: FrequencyScale::Linear,
            min_hz: 0,
            max_hz: None,
            amplitude: Amplitude::Power,
            floor_db: -120,
        }
    }
}

impl SpectrogramParams {
    /// Sets the hop from an overlap percentage (0–99.9 %); at least one sample.
    #[must_use]
    pub fn with_overlap_percent(mut self, overlap_percent: f64) -> Self {
        let overlap = overlap_percent.clamp(0.0, 99.9) / 100.0;
        self.hop_len = ((f64::from(self.window_len) * (1.0 - overlap)).round() as u32).max(1);
        self
    }

    /// Overlap between consecutive frames in percent.
    #[must_use]
    pub fn overlap_percent(&self) -> f64 {
        100.0 * (1.0 - f64::from(self.hop_len) / f64::from(self.window_len)).max(0.0)
    }

    /// Mel scale with `bands` bands, Slaney normalisation and formula.
    #[must_use]
    pub fn mel(mut self, bands: u16) -> Self {
        self.scale = FrequencyScale::Mel {
            bands,
            norm: MelNorm::default(),
            formula: MelFormula::default(),
        };
        self
    }

    /// The top frequency actually used at `sample_rate_hz`.
    #[must_use]
    pub fn effective_max_hz(&self, sample_rate_hz: u32) -> f64 {
        let nyquist = f64::from(sample_rate_hz) / 2.0;
        self.max_hz.map_or(nyquist, |hz| f64::from(hz).min(nyquist))
    }

    /// Time between frames (Δt).
    #[must_use]
    pub fn hop_secs(&self, sample_rate_hz: u32) -> f64 {
        f64::from(self.hop_len) / f64::from(sample_rate_hz)
    }

    /// Spacing of FFT bins (Δf).
    #[must_use]
    pub fn bin_hz(&self, sample_rate_hz: u32) -> f64 {
        f64::from(sample_rate_hz) / f64::from(self.window_len)
    }

    /// FFT bins kept on a linear axis: those whose centres lie within the frequency range.
    #[must_use]
    pub fn linear_bins(&self, sample_rate_hz: u32) -> std::ops::Range<usize> {
        let bin_hz = self.bin_hz(sample_rate_hz);
        let bin_count = self.window_len as usize / 2 + 1;
        let first = ((f64::from(self.min_hz) / bin_hz).ceil() as usize).min(bin_count - 1);
        let last = ((self.effective_max_hz(sample_rate_hz) / bin_hz).floor() as usize)
            .clamp(first, bin_count - 1);
        first..last + 1
    }

    /// Rows of the spectrogram at `sample_rate_hz` (cheap: no FFT is planned).
    #[must_use]
    pub fn bands(&self, sample_rate_hz: u32) -> usize {
        match self.scale {
            FrequencyScale::Linear => self.linear_bins(sample_rate_hz).len(),
            FrequencyScale::Mel { bands, .. } => usize::from(bands),
        }
    }

    /// How rows map to frequencies at `sample_rate_hz` (mel bands are centred on mel points
    /// evenly spaced between the minimum and maximum frequency).
    #[must_use]
    pub fn axis(&self, sample_rate_hz: u32) -> FrequencyAxis {
        match self.scale {
            FrequencyScale::Linear => {
                let bin_hz = self.bin_hz(sample_rate_hz);
                let bins = self.linear_bins(sample_rate_hz);
                FrequencyAxis {
                    mel: None,
                    first_center: bins.start as f64 * bin_hz,
                    step: bin_hz,
                    rows: bins.len(),
                }
            }
            FrequencyScale::Mel { bands, formula, .. } => {
                let low = hz_to_mel(f64::from(self.min_hz), formula);
                let high = hz_to_mel(self.effective_max_hz(sample_rate_hz), formula);
                let step = (high - low) / (f64::from(bands) + 1.0);
                FrequencyAxis {
                    mel: Some(formula),
                    first_center: low + step,
                    step,
                    rows: usize::from(bands),
                }
            }
        }
    }

    /// Frames produced from `sample_count` samples (frames never run past the end).
    #[must_use]
    pub fn frame_count(&self, sample_count: usize) -> usize {
        let window = self.window_len as usize;
        if sample_count < window {
            0
        } else {
            (sample_count - window) / self.hop_len as usize + 1
        }
    }

    /// Checks the parameters make sense at `sample_rate_hz`.
    pub fn validate(&self, sample_rate_hz: u32) -> Result<(), DspError> {
        let invalid = |detail: String| Err(DspError::InvalidParams { detail });
        if self.window_len < 4 || self.window_len > 1 << 20 {
            return invalid(format!(
                "window length {} is outside 4..=1048576 samples",
                self.window_len
            ));
        }
        if self.hop_len == 0 {
            return invalid("hop length must be at least one sample".to_owned());
        }
        if sample_rate_hz == 0 {
            return invalid("sample rate is zero".to_owned());
        }
        let max_hz = self.effective_max_hz(sample_rate_hz);
        if f64::from(self.min_hz) >= max_hz {
            return invalid(format!(
                "minimum frequency {} Hz is not below the maximum {max_hz} Hz",
                self.min_hz
            ));
        }
        if let FrequencyScale::Mel { bands, .. } = self.scale
            && !(1..=1024).contains(&bands)
        {
            return invalid(format!("{bands} mel bands is outside 1..=1024"));
        }
        if self.floor_db >= 0 {
            return invalid(format!("dB floor {} must be below 0 dB", self.floor_db));
        }
        Ok(())
    }
}

/// Maps between a spectrogram's rows and frequency. Rows are evenly spaced in hertz (linear) or
/// in mels (mel), row 0 lowest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrequencyAxis {
    /// `None` for a linear axis.
    pub mel: Option<MelFormula>,
    /// Axis coordinate (Hz or mel) of row 0's centre.
    pub first_center: f64,
    /// Axis units between row centres.
    pub step: f64,
    pub rows: usize,
}

impl FrequencyAxis {
    fn axis_of_hz(&self, hz: f64) -> f64 {
        self.mel.map_or(hz, |formula| hz_to_mel(hz, formula))
    }

    fn hz_of_axis(&self, value: f64) -> f64 {
        self.mel.map_or(value, |formula| mel_to_hz(value, formula))
    }

    /// Frequency at a (fractional) row position; row `r` is centred on `r` and spans `r ± 0.5`.
    #[must_use]
    pub fn hz_at_row(&self, row: f64) -> f64 {
        self.hz_of_axis(self.first_center + row * self.step)
    }

    /// Fractional row position of a frequency.
    #[must_use]
    pub fn row_at_hz(&self, hz: f64) -> f64 {
        (self.axis_of_hz(hz) - self.first_center) / self.step
    }

    /// Frequency of the bottom edge of row 0 and the top edge of the last row.
    #[must_use]
    pub fn range_hz(&self) -> (f64, f64) {
        (self.hz_at_row(-0.5), self.hz_at_row(self.rows as f64 - 0.5))
    }
}

//! The model-input builder: a window of audio → the fixed-size image the CNN sees. Training,
//! detection and the app's "what the model sees" panel all call this one function, so the
//! picture is the same at training and at deployment.

use serde::{Deserialize, Serialize};

use super::DspError;
use super::params::{FrequencyScale, SpectrogramParams};
use super::stft::Stft;

/// How dB values become network inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InputNormalization {
    /// `[low_db, high_db]` maps linearly to `[0, 1]`, clamped. Element-wise, so overlapping
    /// windows of one long spectrogram can share work at detection.
    DbRange { low_db: i16, high_db: i16 },
    /// Zero mean and unit variance per image: ignores recording level, but each window is
    /// normalised on its own.
    Standardize,
}

/// Everything needed to reproduce a model input from audio. Stored in every model artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelInputSpec {
    /// Audio is resampled to this rate first.
    pub sample_rate_hz: u32,
    /// The window's length in samples at `sample_rate_hz`.
    pub window_samples: u32,
    pub spectrogram: SpectrogramParams,
    /// Rows of the input. A mel spectrogram must have this many bands; a linear one is
    /// interpolated to it.
    pub bands: u16,
    /// Columns of the input; `None` keeps the spectrogram's own frame count (no time
    /// interpolation, so detection can compute one spectrogram for many overlapping windows).
    pub frames: Option<u16>,
    pub normalization: InputNormalization,
}

impl Default for ModelInputSpec {
    /// 2.5 s at 22.05 kHz, 512-sample Hann window with 50 % overlap, 128 Slaney mel bands over the
    /// whole 0–11.025 kHz range: 128 × 214, with −100…−20 dB mapped to 0…1.
    fn default() -> Self {
        Self {
            sample_rate_hz: 22_050,
            window_samples: 55_125,
            spectrogram: SpectrogramParams::default().mel(128),
            bands: 128,
            frames: None,
            normalization: InputNormalization::DbRange {
                low_db: -100,
                high_db: -20,
            },
        }
    }
}

/// A model input image, band-major: `values[band * frames + frame]`, band 0 lowest.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInput {
    pub bands: usize,
    pub frames: usize,
    pub values: Vec<f32>,
}

impl ModelInputSpec {
    #[must_use]
    pub fn window_secs(&self) -> f64 {
        f64::from(self.window_samples) / f64::from(self.sample_rate_hz)
    }

    /// Spectrogram frames in one window.
    #[must_use]
    pub fn native_frames(&self) -> usize {
        self.spectrogram.frame_count(self.window_samples as usize)
    }

    /// `(bands, frames)` of every input.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        (
            usize::from(self.bands),
            self.frames
                .map_or_else(|| self.native_frames(), usize::from),
        )
    }

    pub fn validate(&self) -> Result<(), DspError> {
        let invalid = |detail: String| Err(DspError::InvalidParams { detail });
        self.spectrogram.validate(self.sample_rate_hz)?;
        if self.native_frames() < 2 {
            return invalid(format!(
                "a {:.3} s window holds fewer than two spectrogram frames",
                self.window_secs()
            ));
        }
        if self.bands == 0 || self.frames == Some(0) {
            return invalid("model inputs need at least one band and one frame".to_owned());
        }
        if let FrequencyScale::Mel { bands, .. } = self.spectrogram.scale
            && bands != self.bands
        {
            return invalid(format!(
                "the mel spectrogram has {bands} bands but the model input {}",
                self.bands
            ));
        }
        if let InputNormalization::DbRange { low_db, high_db } = self.normalization
            && low_db >= high_db
        {
            return invalid(format!("dB range {low_db}..{high_db} is empty"));
        }
        Ok(())
    }

    /// The STFT this spec uses.
    pub fn stft(&self) -> Result<Stft, DspError> {
        self.validate()?;
        Stft::new(&self.spectrogram, self.sample_rate_hz)
    }

    /// The model input for one window of audio (at `sample_rate_hz`, exactly `window_samples`
    /// long; padding short clips is the caller's decision).
    pub fn build(&self, stft: &Stft, audio: &[f32]) -> Result<ModelInput, DspError> {
        if audio.len() != self.window_samples as usize {
            return Err(DspError::WrongLength {
                expected: self.window_samples as usize,
                actual: audio.len(),
            });
        }
        if stft.params() != &self.spectrogram || stft.sample_rate_hz() != self.sample_rate_hz {
            return Err(DspError::InvalidParams {
                detail: "the STFT was made for other parameters than this model input".to_owned(),
            });
        }
        let mut scratch = stft.scratch();
        let mut db = Vec::new();
        let frames = stft.compute_serial_into(audio, &mut scratch, &mut db);
        Ok(self.from_spectrogram(&db, frames, stft.bands()))
    }

    /// The model input from an already computed frame-major dB block of `frames × bands`
    /// (e.g. a slice of a long recording's spectrogram).
    #[must_use]
    pub fn from_spectrogram(&self, db: &[f32], frames: usize, bands: usize) -> ModelInput {
        let (out_bands, out_frames) = self.shape();
        let mut values = vec![0.0; out_bands * out_frames];
        // Linear interpolation on both axes (identity when the sizes already match).
        let source_at = |i: usize, out: usize, src: usize| -> (usize, usize, f32) {
            if out == src || src < 2 || out < 2 {
                let j = (i * src / out.max(1)).min(src.saturating_sub(1));
                return (j, j, 0.0);
            }
            let x = i as f64 * (src - 1) as f64 / (out - 1) as f64;
            let lo = (x.floor() as usize).min(src - 1);
            (lo, (lo + 1).min(src - 1), (x - lo as f64) as f32)
        };
        for band in 0..out_bands {
            let (b0, b1, fb) = source_at(band, out_bands, bands);
            for frame in 0..out_frames {
                let (f0, f1, ff) = source_at(frame, out_frames, frames);
                let at = |f: usize, b: usize| db.get(f * bands + b).copied().unwrap_or(0.0);
                let low = at(f0, b0) * (1.0 - ff) + at(f1, b0) * ff;
                let high = at(f0, b1) * (1.0 - ff) + at(f1, b1) * ff;
                values[band * out_frames + frame] = low * (1.0 - fb) + high * fb;
            }
        }
        normalize(&mut values, self.normalization);
        ModelInput {
            bands: out_bands,
            frames: out_frames,
            values,
        }
    }
}

fn normalize(values: &mut [f32], normalization: InputNormalization) {
    match normalization {
        InputNormalization::DbRange { low_db, high_db } => {
            let (low, span) = (f32::from(low_db), f32::from(high_db) - f32::from(low_db));
            for v in values.iter_mut() {
                *v = ((*v - low) / span).clamp(0.0, 1.0);
            }
        }
        InputNormalization::Standardize => {
            let n = values.len().max(1) as f32;
            let mean = values.iter().sum::<f32>() / n;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
            let scale = 1.0 / variance.sqrt().max(1e-3);
            for v in values.iter_mut() {
                *v = (*v - mean) * scale;
            }
        }
    }
}

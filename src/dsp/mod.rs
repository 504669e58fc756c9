//! Spectrograms: window functions, STFT to dB (linear or mel, cropped in frequency), and the
//! model-input builder. Pure computation on samples in memory; reading audio is `audio`'s job.

mod fast_math;
pub mod frontend;
mod mel;
mod model_input;
mod params;
mod stft;
mod window;

pub use fast_math::{fast_log2, power_to_db_in_place};
pub use mel::{MelFilterbank, MelFormula, MelNorm, hz_to_mel, mel_to_hz};
pub use model_input::{
    InputNormalization, ModelInput, ModelInputSpec, NormalizationKind, StreamFrontEnd,
};
pub use params::{Amplitude, FrequencyAxis, FrequencyScale, SpectrogramParams};
pub use stft::{Spectrogram, Stft, StftScratch};
pub use window::{WindowFunction, window_coefficients};

/// Errors from spectrogram computation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DspError {
    #[error("invalid spectrogram settings: {detail}")]
    InvalidParams { detail: String },
    #[error("model input needs exactly {expected} samples, got {actual}")]
    WrongLength { expected: usize, actual: usize },
}

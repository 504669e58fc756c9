//! Listening to recordings: a decoder thread reads, filters and resamples (for slowed-down or
//! sped-up playback) into a lock-free ring buffer; an output backend plays from it. The sound
//! card callback never allocates, locks, logs or touches files: it only copies from the ring.

#[cfg(feature = "gui")]
mod cpal_output;
mod filter;
mod player;

#[cfg(feature = "gui")]
pub use cpal_output::CpalOutput;
pub use filter::PlaybackFilter;
pub use player::{AudioOutput, CaptureOutput, OpenOutput, OutputClock, PlaybackRequest, Player};

/// Errors from playback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaybackError {
    #[error(
        "no sound output is available ({detail}); everything else works, only listening does not"
    )]
    NoDevice { detail: String },
    #[error("the sound output failed ({detail})")]
    Device { detail: String },
    #[error("cannot play: {detail}")]
    Setup { detail: String },
    #[error("cannot play: {0}")]
    Audio(String),
}

/// Slowest and fastest playback speeds (0.1× turns a 40 kHz bat call into 4 kHz).
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 0.1..=2.0;

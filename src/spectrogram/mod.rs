//! Spectrograms of recordings (not of samples in memory): streamed in blocks so any length fits
//! in bounded memory, and cut into tiles at several zoom levels for the desktop view.

mod engine;
mod stream;
mod tiles;
pub mod viewport;

pub use engine::{Overview, SpectrogramKey, SummaryProgress, TileEngine, Waker};
pub use stream::stream_spectrogram;
pub use tiles::{
    RecordingId, TILE_COLUMNS, Tile, TileCache, TileKey, average_power, level_for_frames_per_pixel,
    tiles_covering,
};

use crate::audio::AudioError;
use crate::dsp::DspError;

/// Errors while computing a recording's spectrogram.
#[derive(Debug, thiserror::Error)]
pub enum SpectrogramError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Dsp(#[from] DspError),
    #[error("the recording was closed")]
    Closed,
}

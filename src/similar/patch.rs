//! The embedding that needs no model: a recording's spectrogram (at the project's model input
//! rate and spectrogram settings, so every recording is on the same grid) pooled into cells of
//! about [`PatchSpec::cell_secs`] × `freq_cells` frequency bands, in dB. Power is averaged
//! before the conversion to dB, as the view's coarse tiles do.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::{EmbeddingIndex, SimilarError};
use crate::audio::{AudioReader, ResamplingReader};
use crate::dsp::{SpectrogramParams, Stft};

/// Cells pooled per block read (bounded memory at any length).
const BLOCK_CELLS: usize = 2_048;

/// How recordings are pooled; part of the index file's key (a change computes them again).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PatchSpec {
    pub sample_rate_hz: u32,
    pub spectrogram: SpectrogramParams,
    /// Frequency cells (fewer when the spectrogram has fewer rows).
    pub freq_cells: usize,
    /// Wanted length of a time cell (rounded to whole spectrogram frames).
    pub cell_secs: f64,
}

impl PatchSpec {
    /// The default for a project: its model input's rate and spectrogram, 32 frequency cells,
    /// cells of about 40 ms (short enough for a 0.2 s call to span five).
    #[must_use]
    pub fn for_input(input: &crate::dsp::ModelInputSpec) -> Self {
        Self {
            sample_rate_hz: input.sample_rate_hz,
            spectrogram: input.spectrogram,
            freq_cells: 32,
            cell_secs: 0.04,
        }
    }

    fn frame_secs(&self) -> f64 {
        f64::from(self.spectrogram.hop_len) / f64::from(self.sample_rate_hz)
    }

    /// Spectrogram frames per time cell.
    #[must_use]
    pub fn frames_per_cell(&self) -> usize {
        ((self.cell_secs / self.frame_secs()).round() as usize).max(1)
    }

    /// A short text naming these settings, for file names and headers.
    #[must_use]
    pub fn key(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("patch-{:08x}", crc32fast::hash(json.as_bytes()))
    }
}

/// Pools the recording at `path`; `progress(done_secs, total_secs)` reports, `cancel` stops.
pub fn patch_index(
    path: &Path,
    spec: &PatchSpec,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<EmbeddingIndex, SimilarError> {
    let stft = Stft::new(&spec.spectrogram, spec.sample_rate_hz)?;
    let mut reader = ResamplingReader::new(AudioReader::open(path)?, spec.sample_rate_hz)?;
    let rows = stft.bands();
    let cells = spec.freq_cells.clamp(1, rows.max(1));
    let row_range = |cell: usize| {
        (
            cell * rows / cells,
            ((cell + 1) * rows / cells).max(cell * rows / cells + 1),
        )
    };
    let axis = stft.axis();
    let dim_hz = (0..cells)
        .map(|cell| {
            let (r0, r1) = row_range(cell);
            (
                axis.hz_at_row(r0 as f64 - 0.5),
                axis.hz_at_row(r1 as f64 - 0.5),
            )
        })
        .collect();
    let hop = spec.spectrogram.hop_len as usize;
    let window = spec.spectrogram.window_len as usize;
    let per_cell = spec.frames_per_cell();
    let rate = f64::from(spec.sample_rate_hz);
    let total_samples = usize::try_from(reader.frame_count()).unwrap_or(usize::MAX);
    let total_frames = spec.spectrogram.frame_count(total_samples);
    let total_cells = total_frames / per_cell;
    let total_secs = total_samples as f64 / rate;
    let mut values = Vec::with_capacity(total_cells * cells);
    let mut scratch = stft.scratch();
    let mut power = Vec::new();
    let mut cell = 0;
    while cell < total_cells {
        if cancel.load(Ordering::Relaxed) {
            return Err(SimilarError::Cancelled);
        }
        let count = BLOCK_CELLS.min(total_cells - cell);
        let first_frame = cell * per_cell;
        let frames = count * per_cell;
        let audio = reader.read_frames((first_frame * hop) as u64, (frames - 1) * hop + window)?;
        let computed = stft.compute_power_serial_into(&audio, &mut scratch, &mut power);
        let usable = (computed / per_cell).min(count);
        for c in 0..usable {
            for dim in 0..cells {
                let (r0, r1) = row_range(dim);
                let mut sum = 0.0_f64;
                for frame in c * per_cell..(c + 1) * per_cell {
                    sum += power[frame * rows + r0..frame * rows + r1]
                        .iter()
                        .map(|&p| f64::from(p))
                        .sum::<f64>();
                }
                let mean = sum / (per_cell * (r1 - r0)) as f64;
                values.push((10.0 * mean.max(1e-12).log10()) as f32);
            }
        }
        cell += usable;
        progress((cell * per_cell * hop) as f64 / rate, total_secs);
        if usable < count {
            break; // The recording ended early (truncated file).
        }
    }
    Ok(EmbeddingIndex {
        step_secs: (per_cell * hop) as f64 / rate,
        window_secs: 0.0,
        dims: cells,
        dim_hz,
        values,
    })
}

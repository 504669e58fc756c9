//! Spectrograms of the regions windows are cropped from, computed once per training run: every
//! epoch crops in the spectrogram domain instead of decoding and transforming again.
//!
//! A region starts on the spectrogram's hop grid counted from the start of the file, so frame
//! `k` of a region is frame `region_start_frame + k` of the whole recording's spectrogram: the
//! crops are exactly what detection, slicing one long spectrogram, will compute.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::{Dataset, DatasetError, WindowSpec};
use crate::audio::{AudioError, AudioReader, ResamplingReader};
use crate::dsp::{ModelInputSpec, Stft};

/// The cached spectrogram of one window's region.
#[derive(Debug, Clone, Default)]
pub struct CachedWindow {
    /// Frame of the whole recording's spectrogram where the region starts: before 0 for an
    /// input with context near the recording's start (those frames are silence, as
    /// detection's stream begins with).
    pub region_start_frame: i64,
    /// Frame-major dB, `frames × bands`.
    pub db: Vec<f32>,
    pub frames: usize,
}

/// Every window's region spectrogram, in the dataset's window order.
#[derive(Debug, Clone)]
pub struct SpectrogramCache {
    pub spec: ModelInputSpec,
    pub bands: usize,
    pub windows: Vec<CachedWindow>,
    /// Windows whose audio could not be read (their entries are empty); with the reason.
    pub failed: Vec<(usize, String)>,
}

impl SpectrogramCache {
    /// Computes the regions of every window of `dataset`, one recording at a time per thread
    /// of the current rayon pool. `progress(done, total)` is called as windows finish;
    /// `cancel` stops early.
    pub fn build(
        dataset: &Dataset,
        spec: &ModelInputSpec,
        cancel: &AtomicBool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Self, DatasetError> {
        let stft = spec.stft()?;
        let bands = stft.bands();
        let mut by_file: BTreeMap<&PathBuf, Vec<usize>> = BTreeMap::new();
        for (i, w) in dataset.windows.iter().enumerate() {
            by_file.entry(&w.path).or_default().push(i);
        }
        let total = dataset.windows.len();
        let done = AtomicUsize::new(0);
        let results: Vec<(usize, Result<CachedWindow, WindowFailed>)> = by_file
            .into_par_iter()
            .flat_map_iter(|(path, indices)| {
                let mut reader = open(path, spec.sample_rate_hz).map_err(Arc::new);
                let out: Vec<_> = indices
                    .into_iter()
                    .map(|i| {
                        if cancel.load(Ordering::Relaxed) {
                            return (i, Err(WindowFailed::Cancelled));
                        }
                        let result = match &mut reader {
                            Ok(reader) => region(reader, &dataset.windows[i], spec, &stft)
                                .map_err(|e| WindowFailed::Audio(Arc::new(e))),
                            Err(e) => Err(WindowFailed::Audio(Arc::clone(e))),
                        };
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                        (i, result)
                    })
                    .collect();
                out
            })
            .collect();
        if cancel.load(Ordering::Relaxed) {
            return Err(DatasetError::Cancelled);
        }
        let mut windows = vec![CachedWindow::default(); total];
        let mut failed = Vec::new();
        for (i, result) in results {
            match result {
                Ok(cached) => windows[i] = cached,
                Err(reason) => failed.push((i, reason.to_string())),
            }
        }
        failed.sort_by_key(|(i, _)| *i);
        Ok(Self {
            spec: *spec,
            bands,
            windows,
            failed,
        })
    }

    /// Whether window `index` has a usable region.
    #[must_use]
    pub fn has(&self, index: usize) -> bool {
        self.windows.get(index).is_some_and(|w| w.frames > 0)
    }

    /// Frames of a crop: the window's, and with context the warm-up and context before it
    /// and the context after it.
    #[must_use]
    pub fn crop_frames(&self) -> usize {
        self.spec.native_frames()
            + self.spec.frames_before()
            + usize::from(self.spec.context_frames)
    }

    /// The dB frames (frame-major, [`Self::crop_frames`] `× bands`) of the crop of window
    /// `index` whose window starts at `start_secs` in its recording, snapped to the hop grid
    /// and clamped to the region.
    #[must_use]
    pub fn crop_db(&self, index: usize, start_secs: f64) -> &[f32] {
        let window = &self.windows[index];
        let native = self.crop_frames();
        let hop = f64::from(self.spec.spectrogram.hop_len);
        let frame = (start_secs * f64::from(self.spec.sample_rate_hz) / hop)
            .round()
            .max(0.0) as i64
            - self.spec.frames_before() as i64;
        let offset = usize::try_from(frame - window.region_start_frame)
            .unwrap_or(0)
            .min(window.frames.saturating_sub(native));
        let from = offset * self.bands;
        let to = ((offset + native) * self.bands).min(window.db.len());
        &window.db[from.min(to)..to]
    }
}

/// Why one window's audio could not be read (a file that does not open fails all of its
/// windows with one error).
#[derive(Debug, Clone, thiserror::Error)]
enum WindowFailed {
    #[error(transparent)]
    Audio(Arc<AudioError>),
    #[error("cancelled")]
    Cancelled,
}

fn open(path: &std::path::Path, rate_hz: u32) -> Result<ResamplingReader, AudioError> {
    ResamplingReader::new(AudioReader::open(path)?, rate_hz)
}

/// The region every allowed crop of `window` lies in, read and transformed.
fn region(
    reader: &mut ResamplingReader,
    window: &WindowSpec,
    spec: &ModelInputSpec,
    stft: &Stft,
) -> Result<CachedWindow, AudioError> {
    let rate = f64::from(spec.sample_rate_hz);
    let hop = spec.spectrogram.hop_len as usize;
    let window_first = ((window.crop.min_start_secs * rate) as usize) / hop;
    let last_frame =
        ((window.crop.max_start_secs * rate / hop as f64).round() as usize).max(window_first);
    // With context, the region reaches the warm-up and context before the earliest crop and
    // the context after the latest, as detection's stream holds them.
    let first_frame = window_first as i64 - spec.frames_before() as i64;
    let needed = (last_frame - window_first) * hop + spec.input_samples();
    let audio = reader.read_padded(first_frame * hop as i64, needed)?;
    let mut scratch = stft.scratch();
    let mut db = Vec::new();
    let frames = stft.compute_serial_into(&audio, &mut scratch, &mut db);
    Ok(CachedWindow {
        region_start_frame: first_frame,
        db,
        frames,
    })
}

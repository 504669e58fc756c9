//! The short-time Fourier transform to dB, on a linear or mel axis. One `Stft` holds the FFT plan,
//! window and filterbank for a parameter set; scratch buffers are reused across frames, and long
//! spans are split across threads.

use std::sync::Arc;

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::DspError;
use super::fast_math::power_to_db_in_place;
use super::mel::MelFilterbank;
use super::params::{Amplitude, FrequencyAxis, FrequencyScale, SpectrogramParams};
use super::window::window_coefficients;

/// Frames per parallel task: large enough to amortise scheduling, small enough to balance.
const FRAMES_PER_TASK: usize = 128;

/// dB (floored) or linear power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Levels {
    Db,
    Power,
}

/// Reusable per-thread buffers for [`Stft::frame_into`].
pub struct StftScratch {
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    fft_scratch: Vec<Complex<f32>>,
    bins: Vec<f32>,
}

impl std::fmt::Debug for StftScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StftScratch")
            .field("frame_len", &self.frame.len())
            .finish()
    }
}

/// A block of spectrogram in dB, frame-major: `db[frame * bands + band]`, band 0 lowest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spectrogram {
    pub frames: usize,
    pub bands: usize,
    pub db: Vec<f32>,
}

impl Spectrogram {
    /// The bands of one frame.
    #[must_use]
    pub fn frame(&self, frame: usize) -> &[f32] {
        &self.db[frame * self.bands..(frame + 1) * self.bands]
    }

    #[must_use]
    pub fn at(&self, frame: usize, band: usize) -> f32 {
        self.db[frame * self.bands + band]
    }
}

/// An STFT for one parameter set and sample rate.
#[derive(Clone)]
pub struct Stft {
    params: SpectrogramParams,
    sample_rate_hz: u32,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    /// Bins computed per frame (all a linear crop or the mel filters need).
    bins: usize,
    /// First bin kept on a linear axis.
    first_bin: usize,
    mel: Option<MelFilterbank>,
    bands: usize,
    /// Scales |X|² so that a full-scale sine peaks at 0 dB.
    power_scale: f32,
    min_power: f32,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("params", &self.params)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("bands", &self.bands)
            .finish_non_exhaustive()
    }
}

impl Stft {
    pub fn new(params: &SpectrogramParams, sample_rate_hz: u32) -> Result<Self, DspError> {
        params.validate(sample_rate_hz)?;
        let fft_len = params.window_len as usize;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
        let window = window_coefficients(params.window, fft_len);
        let window_sum: f32 = window.iter().sum();
        let power_scale = (2.0 / window_sum).powi(2);
        let max_hz = params.effective_max_hz(sample_rate_hz);
        let (first_bin, bins, mel, bands) = match params.scale {
            FrequencyScale::Linear => {
                let bins = params.linear_bins(sample_rate_hz);
                (bins.start, bins.end, None, bins.len())
            }
            FrequencyScale::Mel {
                bands,
                norm,
                formula,
            } => {
                let bank = MelFilterbank::new(
                    usize::from(bands),
                    f64::from(params.min_hz),
                    max_hz,
                    norm,
                    formula,
                    fft_len,
                    sample_rate_hz,
                );
                (0, bank.bins_needed(), Some(bank), usize::from(bands))
            }
        };
        Ok(Self {
            params: *params,
            sample_rate_hz,
            window,
            fft,
            bins,
            first_bin,
            mel,
            bands,
            power_scale,
            min_power: 10.0_f32.powf(f32::from(params.floor_db) / 10.0),
        })
    }

    #[must_use]
    pub fn params(&self) -> &SpectrogramParams {
        &self.params
    }

    #[must_use]
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Rows per frame.
    #[must_use]
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// How rows map to frequencies.
    #[must_use]
    pub fn axis(&self) -> FrequencyAxis {
        self.params.axis(self.sample_rate_hz)
    }

    #[must_use]
    pub fn scratch(&self) -> StftScratch {
        StftScratch {
            frame: vec![0.0; self.window.len()],
            spectrum: self.fft.make_output_vec(),
            fft_scratch: self.fft.make_scratch_vec(),
            bins: vec![0.0; self.bins],
        }
    }

    /// One frame: `samples` (exactly `window_len` long) to `out` (`bands` long), in dB.
    pub fn frame_into(&self, samples: &[f32], scratch: &mut StftScratch, out: &mut [f32]) {
        self.frame(samples, scratch, out, Levels::Db);
    }

    /// One frame as linear power (scaled like the dB values, not floored): for averaging frames
    /// before converting to dB with [`power_to_db`](Self::power_to_db).
    pub fn frame_power_into(&self, samples: &[f32], scratch: &mut StftScratch, out: &mut [f32]) {
        self.frame(samples, scratch, out, Levels::Power);
    }

    /// Converts power values (from the `*_power_*` methods, or averages of them) to dB with this
    /// STFT's floor.
    pub fn power_to_db(&self, values: &mut [f32]) {
        power_to_db_in_place(values, self.min_power);
    }

    fn frame(&self, samples: &[f32], scratch: &mut StftScratch, out: &mut [f32], levels: Levels) {
        for ((dst, s), w) in scratch.frame.iter_mut().zip(samples).zip(&self.window) {
            *dst = s * w;
        }
        // Lengths are fixed at construction, so the FFT cannot fail here.
        if self
            .fft
            .process_with_scratch(
                &mut scratch.frame,
                &mut scratch.spectrum,
                &mut scratch.fft_scratch,
            )
            .is_err()
        {
            out.fill(0.0);
            if levels == Levels::Db {
                self.power_to_db(out);
            }
            return;
        }
        let scale = self.power_scale;
        match &self.mel {
            None => {
                let kept = &scratch.spectrum[self.first_bin..self.bins];
                for (dst, c) in out.iter_mut().zip(kept) {
                    *dst = (c.re * c.re + c.im * c.im) * scale;
                }
            }
            Some(bank) => {
                for (dst, c) in scratch.bins.iter_mut().zip(&scratch.spectrum) {
                    *dst = (c.re * c.re + c.im * c.im) * scale;
                }
                if self.params.amplitude == Amplitude::Magnitude {
                    for v in &mut scratch.bins {
                        *v = v.sqrt();
                    }
                    bank.apply(&scratch.bins, out);
                    for v in out.iter_mut() {
                        *v *= *v;
                    }
                } else {
                    bank.apply(&scratch.bins, out);
                }
            }
        }
        if levels == Levels::Db {
            self.power_to_db(out);
        }
    }

    /// Spectrogram of `samples` on this thread, into `out` (resized); returns the frame count.
    pub fn compute_serial_into(
        &self,
        samples: &[f32],
        scratch: &mut StftScratch,
        out: &mut Vec<f32>,
    ) -> usize {
        self.compute_serial(samples, scratch, out, Levels::Db)
    }

    /// Like [`compute_serial_into`](Self::compute_serial_into), in linear power.
    pub fn compute_power_serial_into(
        &self,
        samples: &[f32],
        scratch: &mut StftScratch,
        out: &mut Vec<f32>,
    ) -> usize {
        self.compute_serial(samples, scratch, out, Levels::Power)
    }

    fn compute_serial(
        &self,
        samples: &[f32],
        scratch: &mut StftScratch,
        out: &mut Vec<f32>,
        levels: Levels,
    ) -> usize {
        let frames = self.params.frame_count(samples.len());
        out.resize(frames * self.bands, 0.0);
        let (window, hop) = (self.window.len(), self.params.hop_len as usize);
        for (frame, row) in out.chunks_exact_mut(self.bands).enumerate() {
            self.frame(
                &samples[frame * hop..frame * hop + window],
                scratch,
                row,
                levels,
            );
        }
        frames
    }

    /// Spectrogram of `samples` into `out` (resized), split across rayon's threads for long
    /// spans; returns the frame count.
    pub fn compute_into(&self, samples: &[f32], out: &mut Vec<f32>) -> usize {
        self.compute_parallel(samples, out, Levels::Db)
    }

    /// Like [`compute_into`](Self::compute_into), in linear power.
    pub fn compute_power_into(&self, samples: &[f32], out: &mut Vec<f32>) -> usize {
        self.compute_parallel(samples, out, Levels::Power)
    }

    fn compute_parallel(&self, samples: &[f32], out: &mut Vec<f32>, levels: Levels) -> usize {
        let frames = self.params.frame_count(samples.len());
        out.resize(frames * self.bands, 0.0);
        let (window, hop) = (self.window.len(), self.params.hop_len as usize);
        out.par_chunks_mut(FRAMES_PER_TASK * self.bands)
            .enumerate()
            .for_each_init(
                || self.scratch(),
                |scratch, (task, block)| {
                    let first_frame = task * FRAMES_PER_TASK;
                    for (i, row) in block.chunks_exact_mut(self.bands).enumerate() {
                        let start = (first_frame + i) * hop;
                        self.frame(&samples[start..start + window], scratch, row, levels);
                    }
                },
            );
        frames
    }

    /// Spectrogram of `samples` (parallel for long spans).
    #[must_use]
    pub fn compute(&self, samples: &[f32]) -> Spectrogram {
        let mut db = Vec::new();
        let frames = self.compute_into(samples, &mut db);
        Spectrogram {
            frames,
            bands: self.bands,
            db,
        }
    }
}

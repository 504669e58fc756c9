//! Sample-rate conversion with rubato's synchronous FFT resampler: whole buffers, and spans of a
//! recording read at another rate (the model's) with the same result as resampling it all.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::error::AudioError;
use super::reader::{AudioReader, RecordingInfo};

/// Input chunk for the FFT resampler; sub-chunks of ~256 frames keep its filter short, so a
/// little context around a span is enough to make span reads match whole-file resampling.
const CHUNK_FRAMES: usize = 1024;
/// Source frames of context read on each side of a span.
const CONTEXT_FRAMES: u64 = 4096;

/// Errors from resampling a buffer that is not tied to a file.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {from_hz} Hz to {to_hz} Hz: {detail}")]
pub struct ResampleError {
    pub from_hz: u32,
    pub to_hz: u32,
    pub detail: String,
}

fn make_resampler(from_hz: u32, to_hz: u32) -> Result<Fft<f32>, ResampleError> {
    Fft::<f32>::new(
        from_hz as usize,
        to_hz as usize,
        CHUNK_FRAMES,
        1,
        FixedSync::Input,
    )
    .map_err(|e| ResampleError {
        from_hz,
        to_hz,
        detail: e.to_string(),
    })
}

fn run(
    resampler: &mut Fft<f32>,
    samples: &[f32],
    from_hz: u32,
    to_hz: u32,
) -> Result<Vec<f32>, ResampleError> {
    let error = |detail: String| ResampleError {
        from_hz,
        to_hz,
        detail,
    };
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    let input =
        InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| error(e.to_string()))?;
    let output = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| error(e.to_string()))?;
    Ok(output.take_data())
}

/// Resamples a whole mono buffer. Equal rates return a copy.
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>, ResampleError> {
    if from_hz == to_hz {
        return Ok(samples.to_vec());
    }
    let mut resampler = make_resampler(from_hz, to_hz)?;
    run(&mut resampler, samples, from_hz, to_hz)
}

/// Reads spans of a recording at another sample rate. Frame `k` at the target rate is the
/// instant `k / target_hz` seconds into the recording, whatever span it was read with.
#[derive(Debug)]
pub struct ResamplingReader {
    reader: AudioReader,
    target_hz: u32,
    resampler: Option<Fft<f32>>,
    /// Both rates' frame grids meet every `grid_source` source frames (`grid_target` target ones).
    grid_source: u64,
    grid_target: u64,
    scratch: Vec<f32>,
}

impl ResamplingReader {
    /// `len` samples from `start_sample`, which may be before 0: silence outside the recording
    /// (before its start and after its end), as model inputs with context are padded.
    pub fn read_padded(&mut self, start_sample: i64, len: usize) -> Result<Vec<f32>, AudioError> {
        let skipped = usize::try_from(-start_sample).unwrap_or(0).min(len);
        let mut audio = vec![0.0_f32; skipped];
        let first = u64::try_from(start_sample.max(0)).unwrap_or(0);
        audio.extend(self.read_frames(first, len - skipped)?);
        audio.resize(len, 0.0);
        Ok(audio)
    }

    pub fn new(reader: AudioReader, target_hz: u32) -> Result<Self, AudioError> {
        let source_hz = reader.info().sample_rate_hz;
        let resampler = if source_hz == target_hz {
            None
        } else {
            Some(
                make_resampler(source_hz, target_hz).map_err(|e| AudioError::Resample {
                    path: reader.info().path.clone(),
                    from_hz: source_hz,
                    to_hz: target_hz,
                    detail: e.detail,
                })?,
            )
        };
        let gcd = gcd(u64::from(source_hz), u64::from(target_hz));
        Ok(Self {
            grid_source: u64::from(source_hz) / gcd,
            grid_target: u64::from(target_hz) / gcd,
            reader,
            target_hz,
            resampler,
            scratch: Vec::new(),
        })
    }

    #[must_use]
    pub fn info(&self) -> &RecordingInfo {
        self.reader.info()
    }

    #[must_use]
    pub fn target_hz(&self) -> u32 {
        self.target_hz
    }

    /// Frames of the recording at the target rate.
    #[must_use]
    pub fn frame_count(&self) -> u64 {
        let info = self.reader.info();
        info.frame_count * u64::from(self.target_hz) / u64::from(info.sample_rate_hz)
    }

    /// The underlying reader (warnings, bytes read).
    pub fn reader_mut(&mut self) -> &mut AudioReader {
        &mut self.reader
    }

    /// Target-rate frames `[start_frame, start_frame + frame_count)`, clamped to the recording.
    pub fn read_frames(
        &mut self,
        start_frame: u64,
        frame_count: usize,
    ) -> Result<Vec<f32>, AudioError> {
        if self.resampler.is_none() {
            return self.reader.read_frames(start_frame, frame_count);
        }
        let total = self.frame_count();
        let start = start_frame.min(total);
        let end = start.saturating_add(frame_count as u64).min(total);
        if start == end {
            return Ok(Vec::new());
        }
        // Start the source read on a frame both grids share, `CONTEXT_FRAMES` or more before the
        // span, so output frame j is exactly target frame `block_start_target + j`.
        let context_target =
            CONTEXT_FRAMES * self.grid_target / self.grid_source + self.grid_target;
        let block = start.saturating_sub(context_target) / self.grid_target;
        let block_start_target = block * self.grid_target;
        let source_start = block * self.grid_source;
        let info = self.reader.info();
        let source_end = ((end * u64::from(info.sample_rate_hz))
            .div_ceil(u64::from(self.target_hz))
            + CONTEXT_FRAMES)
            .min(info.frame_count);
        let source_hz = info.sample_rate_hz;
        self.reader.read_frames_into(
            source_start,
            usize::try_from(source_end - source_start).unwrap_or(0),
            &mut self.scratch,
        )?;
        let Some(resampler) = self.resampler.as_mut() else {
            return Ok(Vec::new());
        };
        let resampled = run(resampler, &self.scratch, source_hz, self.target_hz).map_err(|e| {
            AudioError::Resample {
                path: self.reader.info().path.clone(),
                from_hz: source_hz,
                to_hz: self.target_hz,
                detail: e.detail,
            }
        })?;
        let from = usize::try_from(start - block_start_target).unwrap_or(usize::MAX);
        let to = usize::try_from(end - block_start_target).unwrap_or(usize::MAX);
        Ok(resampled
            .get(from.min(resampled.len())..to.min(resampled.len()))
            .unwrap_or_default()
            .to_vec())
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq_hz: f32, rate_hz: u32, secs: f32) -> Vec<f32> {
        let n = (secs * rate_hz as f32) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq_hz * i as f32 / rate_hz as f32).sin())
            .collect()
    }

    #[test]
    fn length_follows_the_rate_ratio() {
        let out = resample(&tone(440.0, 48_000, 1.0), 48_000, 22_050).unwrap();
        assert!((out.len() as i64 - 22_050).abs() <= 1, "{}", out.len());
    }

    #[test]
    fn gcd_is_right() {
        assert_eq!(gcd(44_100, 22_050), 22_050);
        assert_eq!(gcd(48_000, 22_050), 150);
        assert_eq!(gcd(7, 0), 7);
    }
}

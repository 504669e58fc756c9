//! The spectrogram of a span of a recording, computed block by block in bounded memory.

use super::SpectrogramError;
use crate::audio::AudioReader;
use crate::dsp::Stft;

/// Frames computed per block (a few MB of dB values for typical settings).
const BLOCK_FRAMES: usize = 4096;

/// Computes the spectrogram of samples `[start_sample, end_sample)` of `reader`'s recording
/// block by block (frame `k` starts at `start_sample + k × hop`), handing each block to `visit`
/// as `(first_frame, frame-major linear power, frame count)`. Power, not dB, so that callers
/// can average frames into coarser columns before the (costly) conversion to dB
/// ([`Stft::power_to_db`]). Returns the frames computed, fewer
/// than expected only if the recording ends early. `parallel` spreads each block's FFTs over
/// rayon's threads (for a command line); background workers of the app pass `false` so that
/// they leave a core for the user interface.
pub fn stream_spectrogram(
    reader: &mut AudioReader,
    stft: &Stft,
    start_sample: u64,
    end_sample: u64,
    parallel: bool,
    mut visit: impl FnMut(usize, &[f32], usize),
) -> Result<usize, SpectrogramError> {
    let params = stft.params();
    let (window, hop) = (params.window_len as usize, params.hop_len as usize);
    let span = usize::try_from(end_sample.saturating_sub(start_sample)).unwrap_or(usize::MAX);
    let total_frames = params.frame_count(span);
    let mut samples: Vec<f32> = Vec::new();
    let mut samples_start = start_sample;
    let mut next_read = start_sample;
    let mut chunk = Vec::new();
    let mut db = Vec::new();
    let mut scratch = stft.scratch();
    let mut done = 0;
    while done < total_frames {
        let count = BLOCK_FRAMES.min(total_frames - done);
        let needed_end = start_sample + ((done + count - 1) * hop + window) as u64;
        reader.read_frames_into(
            next_read,
            usize::try_from(needed_end - next_read).unwrap_or(0),
            &mut chunk,
        )?;
        samples.extend_from_slice(&chunk);
        next_read += chunk.len() as u64;
        let offset =
            usize::try_from(start_sample + (done * hop) as u64 - samples_start).unwrap_or(0);
        let available = samples.len().saturating_sub(offset);
        let usable = params.frame_count(available).min(count);
        if usable == 0 {
            break;
        }
        let block = &samples[offset..offset + (usable - 1) * hop + window];
        if parallel {
            stft.compute_power_into(block, &mut db);
        } else {
            stft.compute_power_serial_into(block, &mut scratch, &mut db);
        }
        visit(done, &db, usable);
        done += usable;
        if usable < count {
            break; // The recording ended early (truncated file).
        }
        let keep_from = usize::try_from(start_sample + (done * hop) as u64 - samples_start)
            .unwrap_or(0)
            .min(samples.len());
        samples.drain(..keep_from);
        samples_start += keep_from as u64;
    }
    Ok(done)
}

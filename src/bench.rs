//! `syrinx bench`: throughput of decoding and spectrograms on generated hour-long recordings,
//! reported as "× real time". Inputs are generated deterministically and cached on disk.

use std::path::Path;

use crate::audio::Mp3Index;

/// Errors while preparing or running benchmarks.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot prepare benchmark input: {detail}: {}", path.display())]
    Input {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
}

/// Writes an MP3 of at least `min_secs` by repeating the audio frames of `source` (MP3 frames
/// are independent once the first frame of the source starts with an empty bit reservoir, which
/// encoders guarantee). Returns the duration written.
pub fn repeat_mp3(source: &Path, dest: &Path, min_secs: f64) -> Result<f64, BenchError> {
    let input_error = |path: &Path, detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = std::fs::read(source).map_err(|e| input_error(source, e.to_string()))?;
    let (frames, sample_rate_hz, samples_per_frame) = Mp3Index::audio_frames(&bytes)
        .ok_or_else(|| input_error(source, "no MPEG Layer III frames".to_owned()))?;
    if frames.is_empty() {
        return Err(input_error(source, "no audio frames".to_owned()));
    }
    let frame_secs = f64::from(samples_per_frame) / f64::from(sample_rate_hz);
    let needed = (min_secs / frame_secs).ceil() as usize;
    let mut out = Vec::with_capacity(needed * frames[0].len());
    for frame in frames.iter().cycle().take(needed) {
        out.extend_from_slice(frame);
    }
    std::fs::write(dest, out).map_err(|e| input_error(dest, e.to_string()))?;
    Ok(needed as f64 * frame_secs)
}

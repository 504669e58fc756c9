//! WAV writing (hound): clips for export and generated fixtures.

use std::path::Path;

use super::error::AudioError;

/// Sample encoding of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavEncoding {
    /// 16-bit integer PCM (what Raven and most tools expect).
    Pcm16,
    /// 24-bit integer PCM.
    Pcm24,
    /// 32-bit float.
    Float32,
}

/// Writes mono `samples` (in [-1, 1]; clipped) as a WAV file.
pub fn write_wav(
    path: &Path,
    samples: &[f32],
    sample_rate_hz: u32,
    encoding: WavEncoding,
) -> Result<(), AudioError> {
    write_wav_channels(path, &[samples], sample_rate_hz, encoding)
}

/// Writes several equally long channels as one interleaved WAV file.
pub fn write_wav_channels(
    path: &Path,
    channels: &[&[f32]],
    sample_rate_hz: u32,
    encoding: WavEncoding,
) -> Result<(), AudioError> {
    let error = |detail: String| AudioError::Write {
        path: path.to_path_buf(),
        detail,
    };
    let frames = channels.first().map_or(0, |c| c.len());
    if channels.iter().any(|c| c.len() != frames) {
        return Err(error("channels differ in length".to_owned()));
    }
    let (bits_per_sample, sample_format) = match encoding {
        WavEncoding::Pcm16 => (16, hound::SampleFormat::Int),
        WavEncoding::Pcm24 => (24, hound::SampleFormat::Int),
        WavEncoding::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels: u16::try_from(channels.len())
            .map_err(|_| error("too many channels".to_owned()))?,
        sample_rate: sample_rate_hz,
        bits_per_sample,
        sample_format,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| error(e.to_string()))?;
    let full_scale = match encoding {
        WavEncoding::Pcm16 => f32::from(i16::MAX),
        WavEncoding::Pcm24 => 8_388_607.0,
        WavEncoding::Float32 => 1.0,
    };
    for frame in 0..frames {
        for channel in channels {
            let sample = channel[frame].clamp(-1.0, 1.0);
            let result = if encoding == WavEncoding::Float32 {
                writer.write_sample(sample)
            } else {
                // Rounded, clamped conversion to the integer range.
                writer.write_sample((sample * full_scale).round() as i32)
            };
            result.map_err(|e| error(e.to_string()))?;
        }
    }
    writer.finalize().map_err(|e| error(e.to_string()))
}

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

/// Writes `frame_count` mono frames, asking `fill` for the samples (in [-1, 1]; clipped) a block
/// at a time, in order: any length in bounded memory.
pub fn write_wav_streaming(
    path: &Path,
    sample_rate_hz: u32,
    encoding: WavEncoding,
    frame_count: u64,
    mut fill: impl FnMut(&mut [f32]),
) -> Result<(), AudioError> {
    let error = |detail: String| AudioError::Write {
        path: path.to_path_buf(),
        detail,
    };
    let mut writer = hound::WavWriter::create(path, spec(1, sample_rate_hz, encoding))
        .map_err(|e| error(e.to_string()))?;
    let mut block = vec![0.0_f32; 1 << 16];
    let mut written = 0_u64;
    while written < frame_count {
        let n = usize::try_from((frame_count - written).min(block.len() as u64)).unwrap_or(0);
        fill(&mut block[..n]);
        for &sample in &block[..n] {
            write_sample(&mut writer, sample, encoding).map_err(|e| error(e.to_string()))?;
        }
        written += n as u64;
    }
    writer.finalize().map_err(|e| error(e.to_string()))
}

fn spec(channels: u16, sample_rate_hz: u32, encoding: WavEncoding) -> hound::WavSpec {
    let (bits_per_sample, sample_format) = match encoding {
        WavEncoding::Pcm16 => (16, hound::SampleFormat::Int),
        WavEncoding::Pcm24 => (24, hound::SampleFormat::Int),
        WavEncoding::Float32 => (32, hound::SampleFormat::Float),
    };
    hound::WavSpec {
        channels,
        sample_rate: sample_rate_hz,
        bits_per_sample,
        sample_format,
    }
}

/// One sample, clipped to [-1, 1] and rounded to the integer range for PCM.
fn write_sample<W: std::io::Write + std::io::Seek>(
    writer: &mut hound::WavWriter<W>,
    sample: f32,
    encoding: WavEncoding,
) -> Result<(), hound::Error> {
    let sample = sample.clamp(-1.0, 1.0);
    match encoding {
        WavEncoding::Float32 => writer.write_sample(sample),
        WavEncoding::Pcm16 => writer.write_sample((sample * f32::from(i16::MAX)).round() as i16),
        WavEncoding::Pcm24 => writer.write_sample((sample * 8_388_607.0).round() as i32),
    }
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
    let channel_count =
        u16::try_from(channels.len()).map_err(|_| error("too many channels".to_owned()))?;
    let mut writer = hound::WavWriter::create(path, spec(channel_count, sample_rate_hz, encoding))
        .map_err(|e| error(e.to_string()))?;
    for frame in 0..frames {
        for channel in channels {
            write_sample(&mut writer, channel[frame], encoding)
                .map_err(|e| error(e.to_string()))?;
        }
    }
    writer.finalize().map_err(|e| error(e.to_string()))
}

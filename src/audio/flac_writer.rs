//! Streaming FLAC writing (flacenc): long recordings for benchmarks and fixtures are encoded a
//! batch of blocks at a time, in parallel, without holding the whole signal in memory.

use std::io::Write;
use std::path::Path;

use flacenc::component::{BitRepr, Stream};
use flacenc::error::Verify;
use flacenc::source::{Fill, FrameBuf};
use rayon::prelude::*;

use super::error::AudioError;

/// Samples per FLAC frame (the reference encoder's default at these rates).
const BLOCK_FRAMES: usize = 4096;
/// Blocks generated and encoded per batch.
const BATCH_BLOCKS: usize = 64;

/// Writes `frame_count` mono frames as a 16- or 24-bit FLAC file, asking `fill` for the samples
/// (in [-1, 1]) a batch at a time, in order.
pub fn write_flac(
    path: &Path,
    sample_rate_hz: u32,
    bits_per_sample: u8,
    frame_count: u64,
    mut fill: impl FnMut(&mut [f32]),
) -> Result<(), AudioError> {
    let error = |detail: String| AudioError::Write {
        path: path.to_path_buf(),
        detail,
    };
    if !matches!(bits_per_sample, 16 | 24) {
        return Err(error(format!(
            "{bits_per_sample}-bit FLAC is not supported (use 16 or 24)"
        )));
    }
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|e| error(format!("{e:?}")))?;
    let mut stream = Stream::new(sample_rate_hz as usize, 1, usize::from(bits_per_sample))
        .map_err(|e| error(format!("{e:?}")))?;
    stream
        .stream_info_mut()
        .set_block_sizes(BLOCK_FRAMES, BLOCK_FRAMES)
        .map_err(|e| error(format!("{e:?}")))?;
    stream
        .stream_info_mut()
        .set_total_samples(usize::try_from(frame_count).unwrap_or(usize::MAX));
    let stream_info = stream.stream_info().clone();

    let file = std::fs::File::create(path).map_err(|e| error(e.to_string()))?;
    let mut file = std::io::BufWriter::new(file);
    let mut header = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut header)
        .map_err(|e| error(format!("{e:?}")))?;
    file.write_all(header.as_slice())
        .map_err(|e| error(e.to_string()))?;

    let full_scale = ((1_i32 << (bits_per_sample - 1)) - 1) as f32;
    let mut samples = vec![0.0_f32; BLOCK_FRAMES * BATCH_BLOCKS];
    let mut quantised = vec![0_i32; BLOCK_FRAMES * BATCH_BLOCKS];
    let mut written = 0_u64;
    let mut frame_number = 0_usize;
    while written < frame_count {
        let n = usize::try_from((frame_count - written).min(samples.len() as u64)).unwrap_or(0);
        fill(&mut samples[..n]);
        for (q, s) in quantised[..n].iter_mut().zip(&samples[..n]) {
            *q = (s.clamp(-1.0, 1.0) * full_scale).round() as i32;
        }
        let encoded: Vec<Vec<u8>> = quantised[..n]
            .par_chunks(BLOCK_FRAMES)
            .enumerate()
            .map(|(i, block)| {
                let mut frame_buf =
                    FrameBuf::with_size(1, BLOCK_FRAMES).map_err(|e| error(format!("{e:?}")))?;
                frame_buf
                    .fill_interleaved(block)
                    .map_err(|e| error(format!("{e:?}")))?;
                let frame = flacenc::encode_fixed_size_frame(
                    &config,
                    &frame_buf,
                    frame_number + i,
                    &stream_info,
                )
                .map_err(|e| error(format!("{e:?}")))?;
                let mut sink = flacenc::bitsink::ByteSink::new();
                frame
                    .write(&mut sink)
                    .map_err(|e| error(format!("{e:?}")))?;
                Ok(sink.into_inner())
            })
            .collect::<Result<_, _>>()?;
        for bytes in &encoded {
            file.write_all(bytes).map_err(|e| error(e.to_string()))?;
        }
        frame_number += encoded.len();
        written += n as u64;
    }
    file.flush().map_err(|e| error(e.to_string()))
}

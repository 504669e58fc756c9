//! Sound through the default output device (cpal). The data callback copies from the ring buffer
//! into the device buffer and counts frames; on an empty ring it plays silence.

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};
use rtrb::Consumer;

use super::PlaybackError;
use super::player::{AudioOutput, OpenOutput, OutputClock};

/// The system's default output device.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpalOutput;

impl AudioOutput for CpalOutput {
    fn open(
        &self,
        consumer: Consumer<f32>,
        clock: Arc<OutputClock>,
    ) -> Result<OpenOutput, PlaybackError> {
        let host = cpal::default_host();
        let device = host
            .default_output_device()
            .ok_or_else(|| PlaybackError::NoDevice {
                detail: "the system reports no output device".to_owned(),
            })?;
        let supported = device
            .default_output_config()
            .map_err(|e| PlaybackError::NoDevice {
                detail: e.to_string(),
            })?;
        let config: StreamConfig = supported.config();
        let sample_rate_hz = config.sample_rate;
        let stream = match supported.sample_format() {
            SampleFormat::F32 => build::<f32>(&device, &config, consumer, clock),
            SampleFormat::I16 => build::<i16>(&device, &config, consumer, clock),
            SampleFormat::U16 => build::<u16>(&device, &config, consumer, clock),
            SampleFormat::I32 => build::<i32>(&device, &config, consumer, clock),
            SampleFormat::F64 => build::<f64>(&device, &config, consumer, clock),
            other => Err(PlaybackError::Device {
                detail: format!("the device wants {other} samples, which Syrinx does not produce"),
            }),
        }?;
        stream.play().map_err(|e| PlaybackError::Device {
            detail: e.to_string(),
        })?;
        Ok(OpenOutput {
            sample_rate_hz,
            guard: Box::new(stream),
        })
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut consumer: Consumer<f32>,
    clock: Arc<OutputClock>,
) -> Result<cpal::Stream, PlaybackError>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels).max(1);
    let error_clock = Arc::clone(&clock);
    device
        .build_output_stream(
            *config,
            move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
                // Real-time context: no allocation, no locks, no logging.
                let frames = data.len() / channels;
                let available = consumer.slots().min(frames);
                let mut written = 0;
                if let Ok(chunk) = consumer.read_chunk(available) {
                    let (first, second) = chunk.as_slices();
                    for (frame, sample) in data
                        .chunks_exact_mut(channels)
                        .zip(first.iter().chain(second))
                    {
                        frame.fill(T::from_sample(*sample));
                    }
                    written = chunk.len();
                    chunk.commit_all();
                }
                for frame in data.chunks_exact_mut(channels).skip(written) {
                    frame.fill(T::EQUILIBRIUM);
                }
                clock.add_played(written as u64);
            },
            move |error: cpal::Error| {
                // Under- and overruns are glitches, not failures.
                if !matches!(
                    error.kind(),
                    cpal::ErrorKind::Xrun | cpal::ErrorKind::RealtimeDenied
                ) {
                    error_clock.mark_failed();
                }
            },
            None,
        )
        .map_err(|e| PlaybackError::Device {
            detail: e.to_string(),
        })
}

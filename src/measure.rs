//! Measurements of a selection: duration, bandwidth, peak frequency and levels, from its audio.

use crate::audio::{AudioError, AudioReader};
use crate::dsp::{SpectrogramParams, Stft};

/// What the app shows for a selected box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub duration_secs: f64,
    pub bandwidth_hz: f64,
    /// Frequency with the most energy inside the box (spectrogram bin centre).
    pub peak_hz: f64,
    /// RMS level of the waveform over the box's time span, dB re full scale.
    pub rms_dbfs: f64,
    /// Energy inside the box's frequency range, dB re full scale (as the spectrogram measures).
    pub band_level_db: f64,
}

/// Window for measuring: fine enough in frequency for a peak, short enough for short calls.
const MEASURE_WINDOW: u32 = 1024;

/// Measures `[start_secs, end_secs) × [low_hz, high_hz]` of `reader`'s recording.
pub fn measure(
    reader: &mut AudioReader,
    start_secs: f64,
    end_secs: f64,
    low_hz: f64,
    high_hz: f64,
) -> Result<Measurement, AudioError> {
    let rate = reader.info().sample_rate_hz;
    let samples = reader.read_secs(start_secs, end_secs)?;
    let rms = (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
        / samples.len().max(1) as f64)
        .sqrt();
    // A window no longer than the selection (zero-padded up to 1024 when shorter).
    let window_len = MEASURE_WINDOW
        .min(u32::try_from(samples.len()).unwrap_or(u32::MAX))
        .max(16);
    let params = SpectrogramParams {
        window_len,
        hop_len: window_len / 2,
        ..SpectrogramParams::default()
    };
    let (mut peak_hz, mut band_level_db) = (f64::NAN, f64::NEG_INFINITY);
    if let Ok(stft) = Stft::new(&params, rate) {
        let mut padded = samples.clone();
        if padded.len() < window_len as usize {
            padded.resize(window_len as usize, 0.0);
        }
        let mut power = Vec::new();
        let frames = stft.compute_power_into(&padded, &mut power);
        let bands = stft.bands();
        let axis = stft.axis();
        let mut mean = vec![0.0_f64; bands];
        for frame in power.chunks_exact(bands) {
            for (m, p) in mean.iter_mut().zip(frame) {
                *m += f64::from(*p) / frames.max(1) as f64;
            }
        }
        let in_band = |band: usize| (low_hz..=high_hz).contains(&axis.hz_at_row(band as f64));
        let (best, energy) =
            (0..bands)
                .filter(|b| in_band(*b))
                .fold((None, 0.0), |(best, sum), b| {
                    let better = best.is_none_or(|(_, p)| mean[b] > p);
                    (
                        if better { Some((b, mean[b])) } else { best },
                        sum + mean[b],
                    )
                });
        if let Some((band, _)) = best {
            peak_hz = axis.hz_at_row(band as f64);
            band_level_db = 10.0 * energy.max(1e-20).log10();
        }
    }
    Ok(Measurement {
        duration_secs: end_secs - start_secs,
        bandwidth_hz: high_hz - low_hz,
        peak_hz,
        rms_dbfs: 20.0 * rms.max(1e-10).log10(),
        band_level_db,
    })
}

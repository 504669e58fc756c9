//! Deterministic synthetic audio: field-recording-like scenes for benchmarks, fixtures and demos,
//! and simple test signals (tones, chirps, clicks). Same seed, same samples, on every machine.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A pure tone, `amplitude` peak.
#[must_use]
pub fn tone(freq_hz: f64, amplitude: f32, frame_count: usize, sample_rate_hz: u32) -> Vec<f32> {
    let step = std::f64::consts::TAU * freq_hz / f64::from(sample_rate_hz);
    (0..frame_count)
        .map(|i| amplitude * (step * i as f64).sin() as f32)
        .collect()
}

/// A linear chirp from `start_hz` to `end_hz`.
#[must_use]
pub fn linear_chirp(
    start_hz: f64,
    end_hz: f64,
    amplitude: f32,
    frame_count: usize,
    sample_rate_hz: u32,
) -> Vec<f32> {
    let rate = f64::from(sample_rate_hz);
    let secs = frame_count as f64 / rate;
    let sweep = (end_hz - start_hz) / secs.max(f64::EPSILON);
    (0..frame_count)
        .map(|i| {
            let t = i as f64 / rate;
            amplitude * (std::f64::consts::TAU * (start_hz * t + 0.5 * sweep * t * t)).sin() as f32
        })
        .collect()
}

/// Pink (−3 dB/octave) noise from white noise: Paul Kellet's refined filter, accurate to 0.05 dB.
#[derive(Debug, Clone, Default)]
pub struct PinkFilter {
    b: [f32; 7],
}

impl PinkFilter {
    /// The next pink sample for one white (unit-variance) sample; roughly unit variance too.
    pub fn next(&mut self, white: f32) -> f32 {
        let b = &mut self.b;
        b[0] = 0.998_86 * b[0] + white * 0.055_517_9;
        b[1] = 0.993_32 * b[1] + white * 0.075_075_9;
        b[2] = 0.969_00 * b[2] + white * 0.153_852;
        b[3] = 0.866_50 * b[3] + white * 0.310_485_6;
        b[4] = 0.550_00 * b[4] + white * 0.532_952_2;
        b[5] = -0.761_6 * b[5] - white * 0.016_898_0;
        let pink = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362;
        b[6] = white * 0.115_926;
        pink * 0.11
    }
}

/// Generates an endless field-recording-like signal in chunks: pink background noise, bird-like
/// frequency-modulated calls with a harmonic every second or two, and occasional clicks.
#[derive(Debug, Clone)]
pub struct FieldSynth {
    sample_rate_hz: u32,
    rng: ChaCha8Rng,
    pink: PinkFilter,
    noise_amplitude: f32,
    frames_until_call: u64,
    call: Option<Call>,
}

#[derive(Debug, Clone)]
struct Call {
    len_frames: u64,
    at_frame: u64,
    base_hz: f64,
    sweep_hz: f64,
    vibrato_hz: f64,
    vibrato_depth_hz: f64,
    amplitude: f32,
    phase: f64,
}

impl FieldSynth {
    #[must_use]
    pub fn new(sample_rate_hz: u32, seed: u64) -> Self {
        Self {
            sample_rate_hz,
            rng: ChaCha8Rng::seed_from_u64(seed),
            pink: PinkFilter::default(),
            noise_amplitude: 0.02,
            frames_until_call: u64::from(sample_rate_hz) / 2,
            call: None,
        }
    }

    /// Writes the next `out.len()` samples.
    pub fn fill(&mut self, out: &mut [f32]) {
        let rate = f64::from(self.sample_rate_hz);
        for sample in out.iter_mut() {
            let white: f32 = StandardNormal.sample(&mut self.rng);
            let mut value = self.noise_amplitude * self.pink.next(white);
            if self.call.is_none() {
                if self.frames_until_call == 0 {
                    self.call = Some(self.new_call());
                } else {
                    self.frames_until_call -= 1;
                }
            }
            if let Some(call) = &mut self.call {
                let t = call.at_frame as f64 / rate;
                let progress = call.at_frame as f64 / call.len_frames as f64;
                let freq = call.base_hz
                    + call.sweep_hz * progress
                    + call.vibrato_depth_hz * (std::f64::consts::TAU * call.vibrato_hz * t).sin();
                call.phase =
                    (call.phase + std::f64::consts::TAU * freq / rate) % std::f64::consts::TAU;
                let envelope = (std::f64::consts::PI * progress).sin().powi(2) as f32;
                let harmonic = if 2.0 * freq < 0.45 * rate {
                    0.3 * (2.0 * call.phase).sin()
                } else {
                    0.0
                };
                value += call.amplitude * envelope * (call.phase.sin() + harmonic) as f32;
                call.at_frame += 1;
                if call.at_frame >= call.len_frames {
                    self.call = None;
                    self.frames_until_call = (self.rng.random_range(0.5..2.0) * rate) as u64;
                }
            }
            if self.rng.random_range(0.0..1.0) < 2.0 / rate {
                value += self.rng.random_range(-0.3..0.3); // a click every half second or so
            }
            *sample = value.clamp(-1.0, 1.0);
        }
    }

    /// `frame_count` samples as a new buffer.
    #[must_use]
    pub fn take(&mut self, frame_count: usize) -> Vec<f32> {
        let mut out = vec![0.0; frame_count];
        self.fill(&mut out);
        out
    }

    fn new_call(&mut self) -> Call {
        let rate = f64::from(self.sample_rate_hz);
        let top_hz = (0.4 * rate).min(9_000.0);
        let base_hz = self.rng.random_range(1_500.0..top_hz.max(1_600.0));
        Call {
            len_frames: (self.rng.random_range(0.15..0.6) * rate) as u64,
            at_frame: 0,
            base_hz,
            sweep_hz: self.rng.random_range(-0.3..0.3) * base_hz,
            vibrato_hz: self.rng.random_range(5.0..30.0),
            vibrato_depth_hz: self.rng.random_range(0.0..0.08) * base_hz,
            amplitude: self.rng.random_range(0.05..0.4),
            phase: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_samples_in_any_chunking() {
        let whole = FieldSynth::new(22_050, 7).take(50_000);
        let mut synth = FieldSynth::new(22_050, 7);
        let mut pieces = synth.take(12_345);
        pieces.extend(synth.take(50_000 - 12_345));
        assert_eq!(whole, pieces);
        assert_ne!(whole, FieldSynth::new(22_050, 8).take(50_000));
    }

    #[test]
    fn field_signal_is_bounded_and_not_silent() {
        let samples = FieldSynth::new(44_100, 1).take(44_100 * 3);
        let peak = samples.iter().fold(0.0_f32, |m, s| m.max(s.abs()));
        assert!(peak <= 1.0 && peak > 0.05, "peak {peak}");
    }
}

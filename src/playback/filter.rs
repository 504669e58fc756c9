//! High- and low-pass filtering for playback (4th-order Butterworth: two biquads each), in the
//! recording's own frequencies, so a bat biologist can cut everything below 15 kHz before slowing
//! the sound down.

use biquad::{Biquad, Coefficients, DirectForm2Transposed, Q_BUTTERWORTH_F32, ToHertz, Type};
use serde::{Deserialize, Serialize};

/// Which frequencies to keep while listening (`None`: no filter on that side).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaybackFilter {
    pub high_pass_hz: Option<f32>,
    pub low_pass_hz: Option<f32>,
}

/// The filter's running state at one sample rate.
#[derive(Debug, Clone)]
pub(crate) struct FilterChain {
    stages: Vec<DirectForm2Transposed<f32>>,
}

impl FilterChain {
    /// Stages for `filter` at `sample_rate_hz`; cut-offs at or beyond the Nyquist frequency (or at
    /// or below zero) are ignored.
    pub fn new(filter: PlaybackFilter, sample_rate_hz: u32) -> Self {
        let fs = (sample_rate_hz as f32).hz();
        let nyquist = sample_rate_hz as f32 / 2.0;
        let mut stages = Vec::new();
        let mut add = |kind: Type<f32>, cutoff: Option<f32>| {
            if let Some(hz) = cutoff.filter(|hz| *hz > 0.0 && *hz < 0.98 * nyquist)
                && let Ok(coefficients) =
                    Coefficients::<f32>::from_params(kind, fs, hz.hz(), Q_BUTTERWORTH_F32)
            {
                stages.push(DirectForm2Transposed::<f32>::new(coefficients));
                stages.push(DirectForm2Transposed::<f32>::new(coefficients));
            }
        };
        add(Type::HighPass, filter.high_pass_hz);
        add(Type::LowPass, filter.low_pass_hz);
        Self { stages }
    }

    pub fn run_in_place(&mut self, samples: &mut [f32]) {
        for stage in &mut self.stages {
            for s in samples.iter_mut() {
                *s = stage.run(*s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::synth::tone;

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    #[test]
    fn high_pass_removes_low_tones_and_keeps_high_ones() {
        let filter = PlaybackFilter {
            high_pass_hz: Some(2000.0),
            low_pass_hz: None,
        };
        let mut low = tone(200.0, 0.5, 8000, 16_000);
        let mut high = tone(5000.0, 0.5, 8000, 16_000);
        FilterChain::new(filter, 16_000).run_in_place(&mut low);
        FilterChain::new(filter, 16_000).run_in_place(&mut high);
        assert!(rms(&low[4000..]) < 0.001, "{}", rms(&low[4000..]));
        assert!((rms(&high[4000..]) - 0.5 / 2.0_f32.sqrt()).abs() < 0.02);
    }

    #[test]
    fn cutoffs_beyond_nyquist_are_ignored() {
        let filter = PlaybackFilter {
            high_pass_hz: Some(0.0),
            low_pass_hz: Some(50_000.0),
        };
        let mut signal = tone(440.0, 0.5, 1000, 8000);
        let original = signal.clone();
        FilterChain::new(filter, 8000).run_in_place(&mut signal);
        assert_eq!(signal, original);
    }
}

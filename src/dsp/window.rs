//! Window functions (periodic form, as used for spectral analysis).

use std::f64::consts::TAU;

use serde::{Deserialize, Serialize};

/// The taper applied to each frame before the FFT.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum WindowFunction {
    #[default]
    Hann,
    Hamming,
    Blackman,
    BlackmanHarris,
    Rectangular,
}

impl WindowFunction {
    /// Every variant, in declaration order (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// Name for people ("Blackman-Harris").
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Hann => "Hann",
            Self::Hamming => "Hamming",
            Self::Blackman => "Blackman",
            Self::BlackmanHarris => "Blackman-Harris",
            Self::Rectangular => "rectangular",
        }
    }

    /// Name for command lines and files ("blackman-harris").
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Hann => "hann",
            Self::Hamming => "hamming",
            Self::Blackman => "blackman",
            Self::BlackmanHarris => "blackman-harris",
            Self::Rectangular => "rectangular",
        }
    }
}

impl std::str::FromStr for WindowFunction {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::all(), Self::name, "window function")
    }
}

/// `len` coefficients of `function`.
#[must_use]
pub fn window_coefficients(function: WindowFunction, len: usize) -> Vec<f32> {
    let n = len as f64;
    let cosine_sum = |a: &[f64]| -> Vec<f32> {
        (0..len)
            .map(|i| {
                let x = TAU * i as f64 / n;
                a.iter()
                    .enumerate()
                    .map(|(k, ak)| {
                        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                        sign * ak * (k as f64 * x).cos()
                    })
                    .sum::<f64>() as f32
            })
            .collect()
    };
    match function {
        WindowFunction::Hann => cosine_sum(&[0.5, 0.5]),
        WindowFunction::Hamming => cosine_sum(&[0.54, 0.46]),
        WindowFunction::Blackman => cosine_sum(&[0.42, 0.5, 0.08]),
        WindowFunction::BlackmanHarris => cosine_sum(&[0.358_75, 0.488_29, 0.141_28, 0.011_68]),
        WindowFunction::Rectangular => vec![1.0; len],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_right() {
        let hann = window_coefficients(WindowFunction::Hann, 8);
        assert!(hann[0].abs() < 1e-7);
        assert!((hann[4] - 1.0).abs() < 1e-7);
        let hamming = window_coefficients(WindowFunction::Hamming, 8);
        assert!((hamming[0] - 0.08).abs() < 1e-6);
        let bh = window_coefficients(WindowFunction::BlackmanHarris, 64);
        assert!(bh[0] < 1e-4 && (bh[32] - 1.0).abs() < 1e-6);
        assert!(
            window_coefficients(WindowFunction::Rectangular, 5)
                .iter()
                .all(|w| *w == 1.0)
        );
        // Symmetric around the centre (periodic windows).
        let blackman = window_coefficients(WindowFunction::Blackman, 10);
        assert!((blackman[1] - blackman[9]).abs() < 1e-6);
    }
}

//! Colour maps for spectrograms: perceptually uniform (viridis, magma) and grey scales.

use serde::{Deserialize, Serialize};

/// A colour map from level (0 = floor, 1 = ceiling) to colour.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum Colormap {
    #[default]
    Viridis,
    Magma,
    /// Black (quiet) to white (loud).
    Grey,
    /// White (quiet) to black (loud), as printed in papers and Raven's default.
    InvertedGrey,
}

impl Colormap {
    /// Every variant, in declaration order (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Viridis => "viridis",
            Self::Magma => "magma",
            Self::Grey => "grey",
            Self::InvertedGrey => "inverted-grey",
        }
    }

    /// 256 colours from floor to ceiling.
    #[must_use]
    pub fn lut(self) -> [[u8; 3]; 256] {
        let mut lut = [[0_u8; 3]; 256];
        for (i, entry) in lut.iter_mut().enumerate() {
            let t = i as f64 / 255.0;
            *entry = match self {
                Self::Viridis => colorous::VIRIDIS.eval_continuous(t).as_array(),
                Self::Magma => colorous::MAGMA.eval_continuous(t).as_array(),
                Self::Grey => [i as u8; 3],
                Self::InvertedGrey => [255 - i as u8; 3],
            };
        }
        lut
    }
}

impl std::str::FromStr for Colormap {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::all(), Self::name, "colour map")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luts_run_from_dark_to_bright_or_reverse() {
        let brightness = |c: [u8; 3]| u32::from(c[0]) + u32::from(c[1]) + u32::from(c[2]);
        for map in [Colormap::Viridis, Colormap::Magma, Colormap::Grey] {
            let lut = map.lut();
            assert!(brightness(lut[0]) < brightness(lut[255]), "{map:?}");
        }
        let inverted = Colormap::InvertedGrey.lut();
        assert_eq!((inverted[0], inverted[255]), ([255; 3], [0; 3]));
        assert_eq!("Gray".parse::<Colormap>(), Ok(Colormap::Grey));
        assert_eq!(
            "inverted_gray".parse::<Colormap>(),
            Ok(Colormap::InvertedGrey)
        );
        assert!("jet".parse::<Colormap>().is_err());
    }
}

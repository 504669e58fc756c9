//! Tiles turned into GPU textures with the current colour settings; the most recently used are
//! kept, so panning re-uploads only new tiles and a colour change re-colours only what is seen.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui;

use super::prefs::DisplaySettings;
use crate::render::Colormap;
use crate::spectrogram::{Tile, TileKey};

/// Textures kept (a screen needs a dozen or two per pane).
const MAX_TEXTURES: usize = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TextureKey {
    tile: TileKey,
    columns: usize,
    display: (u32, u32, u32, Colormap),
}

/// Colours dB values: the colour map's lookup table plus the display mapping.
#[derive(Debug, Clone)]
pub struct Colorizer {
    lut: [egui::Color32; 256],
    floor_db: f32,
    scale: f32,
    gain_db: f32,
}

impl Colorizer {
    #[must_use]
    pub fn new(display: &DisplaySettings) -> Self {
        let lut = display
            .colormap
            .lut()
            .map(|[r, g, b]| egui::Color32::from_rgb(r, g, b));
        Self {
            lut,
            floor_db: display.floor_db,
            scale: 255.0 / display.range_db.max(1.0),
            gain_db: display.gain_db,
        }
    }

    #[must_use]
    pub fn color(&self, db: f32) -> egui::Color32 {
        let index = ((db + self.gain_db - self.floor_db) * self.scale).clamp(0.0, 255.0);
        // NaN (never produced, but harmless) clamps to 0 through `as`.
        self.lut[index as usize]
    }
}

/// An image of a column-major dB block: column → x, band 0 at the bottom. A block larger than
/// `max_side` (the graphics card's largest texture: egui refuses bigger ones) is pooled to fit,
/// each pixel the loudest value it covers, so a very long window (65,536 samples gives 32,769
/// bands) draws at a coarser resolution instead of stopping the app.
#[must_use]
pub fn image_of_columns(
    db: &[f32],
    columns: usize,
    bands: usize,
    colorizer: &Colorizer,
    max_side: usize,
) -> egui::ColorImage {
    let max_side = max_side.max(1);
    let (column_step, band_step) = (columns.div_ceil(max_side), bands.div_ceil(max_side));
    if column_step <= 1 && band_step <= 1 {
        let mut pixels = vec![egui::Color32::BLACK; columns * bands];
        for column in 0..columns {
            let values = &db[column * bands..(column + 1) * bands];
            for (band, value) in values.iter().enumerate() {
                pixels[(bands - 1 - band) * columns + column] = colorizer.color(*value);
            }
        }
        return egui::ColorImage::new([columns.max(1), bands.max(1)], pixels);
    }
    let (column_step, band_step) = (column_step.max(1), band_step.max(1));
    let (width, height) = (columns.div_ceil(column_step), bands.div_ceil(band_step));
    let mut pixels = vec![egui::Color32::BLACK; width * height];
    for x in 0..width {
        for y in 0..height {
            let mut loudest = f32::NEG_INFINITY;
            for column in x * column_step..((x + 1) * column_step).min(columns) {
                let values = &db[column * bands..(column + 1) * bands];
                for value in &values[y * band_step..((y + 1) * band_step).min(bands)] {
                    loudest = loudest.max(*value);
                }
            }
            pixels[(height - 1 - y) * width + x] = colorizer.color(loudest);
        }
    }
    egui::ColorImage::new([width, height], pixels)
}

/// Textures of tiles, least recently used dropped first.
#[derive(Default)]
pub struct TextureCache {
    textures: HashMap<TextureKey, (egui::TextureHandle, u64)>,
    clock: u64,
}

impl TextureCache {
    /// The texture of `tile` under `display`, made now if needed.
    pub fn texture(
        &mut self,
        ctx: &egui::Context,
        tile: &Arc<Tile>,
        display: &DisplaySettings,
    ) -> egui::TextureId {
        self.clock += 1;
        let key = TextureKey {
            tile: tile.key,
            columns: tile.columns,
            display: display.key(),
        };
        if let Some((handle, used)) = self.textures.get_mut(&key) {
            *used = self.clock;
            return handle.id();
        }
        let image = image_of_columns(
            &tile.db,
            tile.columns,
            tile.bands,
            &Colorizer::new(display),
            ctx.input(|i| i.max_texture_side),
        );
        let handle = ctx.load_texture(
            format!("tile-{}-{}", tile.key.level, tile.key.index),
            image,
            egui::TextureOptions::LINEAR,
        );
        let id = handle.id();
        self.textures.insert(key, (handle, self.clock));
        if self.textures.len() > MAX_TEXTURES {
            let oldest = self
                .textures
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                self.textures.remove(&oldest);
            }
        }
        id
    }

    /// Drops every texture (e.g. a recording closed).
    pub fn clear(&mut self) {
        self.textures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_floor_range_and_gain() {
        let display = DisplaySettings {
            floor_db: -100.0,
            range_db: 50.0,
            gain_db: 0.0,
            colormap: Colormap::Grey,
        };
        let colorizer = Colorizer::new(&display);
        assert_eq!(colorizer.color(-120.0), egui::Color32::from_gray(0));
        assert_eq!(colorizer.color(-50.0), egui::Color32::from_gray(255));
        assert_eq!(colorizer.color(-75.0), egui::Color32::from_gray(127));
        let brighter = Colorizer::new(&DisplaySettings {
            gain_db: 25.0,
            ..display
        });
        assert_eq!(brighter.color(-75.0), egui::Color32::from_gray(255));
    }

    #[test]
    fn images_put_low_bands_at_the_bottom() {
        let colorizer = Colorizer::new(&DisplaySettings {
            colormap: Colormap::Grey,
            ..DisplaySettings::default()
        });
        // 2 columns × 3 bands; band 0 loud in column 1.
        let db = [-120.0, -120.0, -120.0, 0.0, -120.0, -120.0];
        let image = image_of_columns(&db, 2, 3, &colorizer, 2048);
        assert_eq!(image.size, [2, 3]);
        assert_eq!(
            image.pixels[2 * 2 + 1],
            egui::Color32::from_gray(255),
            "bottom row, second column"
        );
        assert_eq!(
            image.pixels[1],
            egui::Color32::from_gray(0),
            "top row is quiet"
        );
    }

    #[test]
    fn a_block_taller_than_the_largest_texture_is_pooled_by_its_loudest_value() {
        let colorizer = Colorizer::new(&DisplaySettings {
            colormap: Colormap::Grey,
            ..DisplaySettings::default()
        });
        // 3 columns × 2,049 bands (a 4,096-sample window), one loud band in the middle column.
        let bands = 2049;
        let mut db = vec![-120.0_f32; 3 * bands];
        db[bands + 1500] = 0.0;
        let image = image_of_columns(&db, 3, bands, &colorizer, 2048);
        assert_eq!(image.size, [3, 1025], "every two bands one row");
        let loud: Vec<(usize, usize)> = (0..1025)
            .flat_map(|row| (0..3).map(move |x| (row, x)))
            .filter(|(row, x)| image.pixels[row * 3 + x] == egui::Color32::from_gray(255))
            .collect();
        assert_eq!(
            loud,
            vec![(1024 - 750, 1)],
            "band 1,500 is row 750 from the bottom"
        );
    }
}

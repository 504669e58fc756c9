//! Tiles: fixed-width pieces of a recording's spectrogram at power-of-two zoom levels, and a
//! byte-capped least-recently-used cache for them. Pure logic; the engine computes them.
//!
//! At level `L` each tile column is the average power of `2^L` consecutive STFT frames, in dB (a
//! long-term spectral average, as used for hours-long recordings: the mean keeps noise where it
//! is, where a maximum over thousands of frames would paint every column bright). A tile holds
//! [`TILE_COLUMNS`] columns. Values are dB, so brightness, contrast and colour map can change
//! without recomputing anything.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::audio::ChannelMode;
use crate::dsp::SpectrogramParams;

/// Columns per tile.
pub const TILE_COLUMNS: usize = 256;
/// Coarsest level a view ever asks for (2^40 frames per column is far beyond any recording).
const MAX_LEVEL: u8 = 40;

/// Identifies an open recording within one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordingId(pub u64);

/// Which tile: recording, everything that determines its values, zoom level and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub recording: RecordingId,
    pub params: SpectrogramParams,
    pub channel: ChannelMode,
    pub level: u8,
    pub index: u64,
}

impl TileKey {
    #[must_use]
    pub fn frames_per_column(&self) -> u64 {
        1_u64 << self.level
    }

    /// Frames one tile spans.
    #[must_use]
    pub fn frame_span(&self) -> u64 {
        TILE_COLUMNS as u64 * self.frames_per_column()
    }

    #[must_use]
    pub fn first_frame(&self) -> u64 {
        self.index * self.frame_span()
    }

    /// The tile one level coarser that contains this one.
    #[must_use]
    pub fn parent(&self) -> Self {
        Self {
            level: self.level + 1,
            index: self.index / 2,
            ..*self
        }
    }
}

/// A computed tile. Column-major dB: `db[column * bands + band]`, band 0 lowest. The last tile of
/// a recording may have fewer than [`TILE_COLUMNS`] columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub key: TileKey,
    pub columns: usize,
    pub bands: usize,
    pub db: Vec<f32>,
}

impl Tile {
    /// Memory the tile holds.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.db.len() * std::mem::size_of::<f32>() + std::mem::size_of::<Self>()
    }

    #[must_use]
    pub fn column(&self, column: usize) -> &[f32] {
        &self.db[column * self.bands..(column + 1) * self.bands]
    }
}

/// The level whose columns are at most one pixel wide: the coarsest level with no more than
/// `frames_per_pixel` frames per column.
#[must_use]
pub fn level_for_frames_per_pixel(frames_per_pixel: f64) -> u8 {
    if frames_per_pixel.is_nan() || frames_per_pixel <= 1.0 {
        return 0;
    }
    (frames_per_pixel.log2().floor() as u8).min(MAX_LEVEL)
}

/// Indices of the level-`level` tiles overlapping frames `[first_frame, end_frame)`.
#[must_use]
pub fn tiles_covering(first_frame: f64, end_frame: f64, level: u8) -> Range<u64> {
    let span = (TILE_COLUMNS as u64) << level;
    let first = (first_frame.max(0.0) as u64) / span;
    let end = (end_frame.max(0.0).ceil() as u64).div_ceil(span);
    first..end.max(first)
}

/// Averages rows of `bands` linear power values (frames, or columns of a finer level) in groups
/// of `factor` (a last partial group averages what there is). Input and output share the layout
/// `values[row * bands + band]`.
#[must_use]
pub fn average_power(power: &[f32], rows: usize, bands: usize, factor: usize) -> Vec<f32> {
    let factor = factor.max(1);
    let columns = rows.div_ceil(factor);
    let mut out = vec![0.0_f32; columns * bands];
    for column in 0..columns {
        let first = column * factor;
        let count = factor.min(rows - first);
        let dst = &mut out[column * bands..(column + 1) * bands];
        for row in first..first + count {
            for (d, s) in dst.iter_mut().zip(&power[row * bands..(row + 1) * bands]) {
                *d += s;
            }
        }
        let scale = 1.0 / count as f32;
        for d in dst.iter_mut() {
            *d *= scale;
        }
    }
    out
}

#[derive(Debug)]
struct Entry {
    tile: Arc<Tile>,
    last_use: u64,
}

/// Tiles kept up to a byte budget; the least recently used go first.
#[derive(Debug)]
pub struct TileCache {
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    entries: HashMap<TileKey, Entry>,
}

impl TileCache {
    #[must_use]
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            bytes: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The tile, marked as just used.
    pub fn get(&mut self, key: &TileKey) -> Option<Arc<Tile>> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|entry| {
            entry.last_use = clock;
            Arc::clone(&entry.tile)
        })
    }

    #[must_use]
    pub fn contains(&self, key: &TileKey) -> bool {
        self.entries.contains_key(key)
    }

    /// Adds a tile, then drops least recently used ones (never the new one) until the cache fits
    /// its budget.
    pub fn insert(&mut self, tile: Arc<Tile>) {
        self.clock += 1;
        let key = tile.key;
        self.bytes += tile.bytes();
        if let Some(old) = self.entries.insert(
            key,
            Entry {
                tile,
                last_use: self.clock,
            },
        ) {
            self.bytes -= old.tile.bytes();
        }
        while self.bytes > self.max_bytes && self.entries.len() > 1 {
            let oldest = self
                .entries
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, e)| e.last_use)
                .map(|(k, _)| *k);
            let Some(oldest) = oldest else { break };
            if let Some(entry) = self.entries.remove(&oldest) {
                self.bytes -= entry.tile.bytes();
            }
        }
    }

    /// Forgets every tile of a recording (it was closed).
    pub fn remove_recording(&mut self, recording: RecordingId) {
        self.entries.retain(|key, entry| {
            let keep = key.recording != recording;
            if !keep {
                self.bytes -= entry.tile.bytes();
            }
            keep
        });
    }

    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    #[must_use]
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(level: u8, index: u64) -> TileKey {
        TileKey {
            recording: RecordingId(1),
            params: SpectrogramParams::default(),
            channel: ChannelMode::Mix,
            level,
            index,
        }
    }

    fn tile(level: u8, index: u64, bands: usize) -> Arc<Tile> {
        Arc::new(Tile {
            key: key(level, index),
            columns: TILE_COLUMNS,
            bands,
            db: vec![0.0; TILE_COLUMNS * bands],
        })
    }

    #[test]
    fn levels_keep_columns_no_wider_than_a_pixel() {
        assert_eq!(level_for_frames_per_pixel(0.25), 0);
        assert_eq!(level_for_frames_per_pixel(1.0), 0);
        assert_eq!(level_for_frames_per_pixel(1.99), 0);
        assert_eq!(level_for_frames_per_pixel(2.0), 1);
        assert_eq!(level_for_frames_per_pixel(1000.0), 9);
        assert_eq!(level_for_frames_per_pixel(f64::NAN), 0);
        assert_eq!(level_for_frames_per_pixel(1e30), 40);
    }

    #[test]
    fn tiles_cover_exactly_the_range() {
        assert_eq!(tiles_covering(0.0, 256.0, 0), 0..1);
        assert_eq!(tiles_covering(0.0, 257.0, 0), 0..2);
        assert_eq!(tiles_covering(300.0, 600.0, 0), 1..3);
        assert_eq!(tiles_covering(300.0, 600.0, 1), 0..2);
        assert_eq!(tiles_covering(-50.0, 10.0, 3), 0..1);
        let k = key(2, 3);
        assert_eq!((k.first_frame(), k.frame_span()), (3 * 1024, 1024));
        assert_eq!(k.parent(), key(3, 1));
    }

    #[test]
    fn pooling_averages_power() {
        // 5 frames × 2 bands, pooled by 2: columns [0,1], [2,3], [4].
        let frames = [1.0, 5.0, 3.0, 7.0, 2.0, 1.0, 0.0, 9.0, 4.0, 2.0];
        assert_eq!(
            average_power(&frames, 5, 2, 2),
            vec![2.0, 6.0, 1.0, 5.0, 4.0, 2.0]
        );
        assert_eq!(average_power(&frames, 5, 2, 1), frames.to_vec());
    }

    #[test]
    fn cache_evicts_least_recently_used_by_bytes() {
        let one = tile(0, 0, 10).bytes();
        let mut cache = TileCache::new(3 * one);
        for i in 0..3 {
            cache.insert(tile(0, i, 10));
        }
        assert_eq!((cache.len(), cache.bytes()), (3, 3 * one));
        assert!(cache.get(&key(0, 0)).is_some()); // 0 is now the most recent; 1 is the oldest
        cache.insert(tile(0, 3, 10));
        assert!(!cache.contains(&key(0, 1)));
        assert!(
            cache.contains(&key(0, 0)) && cache.contains(&key(0, 2)) && cache.contains(&key(0, 3))
        );
        assert!(cache.bytes() <= cache.max_bytes());
        // A tile bigger than the whole budget is still kept (alone) rather than thrashing.
        cache.insert(tile(1, 0, 100));
        assert_eq!(cache.len(), 1);
        assert!(cache.contains(&key(1, 0)));
        cache.remove_recording(RecordingId(1));
        assert_eq!((cache.len(), cache.bytes()), (0, 0));
    }

    #[test]
    fn replacing_a_tile_keeps_the_byte_count_right() {
        let mut cache = TileCache::new(usize::MAX);
        cache.insert(tile(0, 0, 10));
        cache.insert(tile(0, 0, 20));
        assert_eq!(cache.bytes(), tile(0, 0, 20).bytes());
    }
}

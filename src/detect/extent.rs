//! Where a detected call begins and ends, and which band it uses: the score curve only says
//! that some windows hold a call (windows overlap, so the span they share is narrower than the
//! call and their union is wider); the loudness of the model's band around the peak says where
//! the call itself is. [`BandEnvelope`] is that loudness over a recording, made while scoring
//! (from the spectrogram the model already computes) and stored with the scores, so that a
//! re-merge at another threshold frames its calls again without reading audio. Pure.

use serde::{Deserialize, Serialize};

/// The loudest point of the model's band, frame by frame, over one recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BandEnvelope {
    /// Seconds between frames.
    pub hop_secs: f64,
    /// Centre of frame 0, seconds from the start of the recording.
    pub first_secs: f64,
    /// The band measured (the model's calls' band, or its input's).
    pub low_hz: f64,
    pub high_hz: f64,
    /// The loudest row's level in the band, dB.
    pub level_db: Vec<f32>,
    /// That row's frequency, Hz: the call's contour when the call is tonal.
    pub peak_hz: Vec<f32>,
}

/// A call's box: its time and, where the energy says, its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallBox {
    pub start_secs: f64,
    pub end_secs: f64,
    pub band_hz: Option<(f64, f64)>,
}

/// A call must stand this far above the noise around it for its energy to frame it.
const MIN_CONTRAST_DB: f32 = 6.0;
/// The edge of a call: this share of its contrast above the noise (at least 3 dB above it).
const EDGE_SHARE: f32 = 0.3;
/// The noise is this quantile of the levels around the call.
const NOISE_QUANTILE: f64 = 0.2;

impl BandEnvelope {
    /// The frame whose centre is nearest `secs`.
    fn frame_at(&self, secs: f64) -> usize {
        let last = self.level_db.len().saturating_sub(1);
        if self.hop_secs <= 0.0 {
            return 0;
        }
        (((secs - self.first_secs) / self.hop_secs).round().max(0.0) as usize).min(last)
    }

    fn centre_of(&self, frame: usize) -> f64 {
        self.first_secs + frame as f64 * self.hop_secs
    }

    /// The call in `span_secs` (the union of the windows that scored it) whose loudest point
    /// lies in `core_secs` (where those windows overlap): grown from that point while the band
    /// stays `EDGE_SHARE` of its contrast above the noise, bridging dips shorter than
    /// `max_gap_secs`; its band is the range of the loudest frequencies over it, with a margin.
    /// `None` when the band there is not clearly louder than around it (a faint call, or a
    /// recording without an envelope): the caller keeps the score curve's box.
    #[must_use]
    pub fn call_box(
        &self,
        core_secs: (f64, f64),
        span_secs: (f64, f64),
        max_gap_secs: f64,
    ) -> Option<CallBox> {
        let n = self.level_db.len().min(self.peak_hz.len());
        if n < 3 || self.hop_secs <= 0.0 {
            return None;
        }
        let (span_first, span_last) = (self.frame_at(span_secs.0), self.frame_at(span_secs.1));
        if span_last <= span_first {
            return None;
        }
        // The noise: a low quantile of the levels over the span and as much again around it.
        let reach = span_last - span_first;
        let context = span_first.saturating_sub(reach)..(span_last + reach).min(n - 1) + 1;
        let mut around: Vec<f32> = self.level_db[context].to_vec();
        around.sort_by(f32::total_cmp);
        let noise_db = around[((around.len() - 1) as f64 * NOISE_QUANTILE) as usize];
        // The loudest point where the windows agree (at least a frame each side of it).
        let core_first = self.frame_at(core_secs.0).saturating_sub(1).max(span_first);
        let core_last = (self.frame_at(core_secs.1) + 1).min(span_last);
        let peak = (core_first..=core_last).max_by(|a, b| {
            self.level_db[*a]
                .total_cmp(&self.level_db[*b])
                .then(b.cmp(a))
        })?;
        let contrast_db = self.level_db[peak] - noise_db;
        if contrast_db < MIN_CONTRAST_DB {
            return None;
        }
        let edge_db = noise_db + (EDGE_SHARE * contrast_db).max(3.0);
        let max_gap = (max_gap_secs / self.hop_secs).round().max(1.0) as usize;
        let loud = |k: usize| self.level_db[k] >= edge_db;
        let grow = |step: &dyn Fn(usize) -> Option<usize>| -> usize {
            let (mut edge, mut at, mut quiet) = (peak, peak, 0_usize);
            while let Some(next) = step(at) {
                at = next;
                if loud(at) {
                    edge = at;
                    quiet = 0;
                } else {
                    quiet += 1;
                    if quiet > max_gap {
                        break;
                    }
                }
            }
            edge
        };
        let first = grow(&|k| (k > span_first).then(|| k - 1));
        let last = grow(&|k| (k < span_last).then_some(k + 1));
        let start_secs = (self.centre_of(first) - self.hop_secs / 2.0).max(span_secs.0);
        let end_secs = (self.centre_of(last) + self.hop_secs / 2.0).min(span_secs.1);
        Some(CallBox {
            start_secs,
            end_secs,
            band_hz: self.band_over(first..=last, edge_db),
        })
    }

    /// The band of the loud frames in `frames`: their loudest frequencies' 5th to 95th
    /// percentiles, widened by a tenth of the measured band's width (a tonal call's bins
    /// spread around its contour), kept inside the measured band.
    fn band_over(
        &self,
        frames: std::ops::RangeInclusive<usize>,
        edge_db: f32,
    ) -> Option<(f64, f64)> {
        let mut peaks: Vec<f32> = frames
            .filter(|k| self.level_db[*k] >= edge_db)
            .map(|k| self.peak_hz[k])
            .collect();
        if peaks.is_empty() || self.high_hz <= self.low_hz {
            return None;
        }
        peaks.sort_by(f32::total_cmp);
        let at = |q: f64| f64::from(peaks[((peaks.len() - 1) as f64 * q).round() as usize]);
        let margin = 0.1 * (self.high_hz - self.low_hz);
        let low_hz = (at(0.05) - margin).max(self.low_hz);
        let high_hz = (at(0.95) + margin).min(self.high_hz);
        (high_hz > low_hz).then_some((low_hz, high_hz))
    }
}

/// How long a row's background level is averaged over (seconds): far longer than a call, so
/// that calls barely lift it, and short enough to follow wind, rain and passing ships.
const BACKGROUND_SECS: f64 = 5.0;

/// Builds a [`BandEnvelope`] from spectrogram frames as they are computed, block by block: each
/// frame's loudest row in the band above that row's own background (a slow running average, so
/// that a steady hum in one row is not taken for a call), and the loudest of every `group`
/// frames kept (so an hour of a fine spectrogram stays a few hundred kilobytes).
#[derive(Debug, Clone)]
pub struct EnvelopeBuilder {
    envelope: BandEnvelope,
    /// Rows in the band, with their frequencies.
    rows: Vec<(usize, f32)>,
    /// Each row's background level (dB), once a frame has been seen.
    background_db: Vec<f32>,
    /// How far the background moves towards each new frame.
    background_step: f32,
    group: usize,
    pending: Option<(f32, f32)>,
    pending_frames: usize,
}

impl EnvelopeBuilder {
    /// For spectrogram frames `frame_secs` apart whose first centre is at `first_secs`, with
    /// `row_hz[r]` the frequency of row `r`; levels kept every `group` frames.
    #[must_use]
    pub fn new(
        row_hz: &[f64],
        band_hz: (f64, f64),
        frame_secs: f64,
        first_secs: f64,
        group: usize,
    ) -> Self {
        let group = group.max(1);
        let mut rows: Vec<(usize, f32)> = row_hz
            .iter()
            .enumerate()
            .filter(|(_, hz)| **hz >= band_hz.0 && **hz <= band_hz.1)
            .map(|(r, hz)| (r, *hz as f32))
            .collect();
        if rows.is_empty() {
            // A band narrower than a row: the row nearest its middle.
            let middle = f64::midpoint(band_hz.0, band_hz.1);
            if let Some((r, hz)) = row_hz
                .iter()
                .enumerate()
                .min_by(|a, b| (a.1 - middle).abs().total_cmp(&(b.1 - middle).abs()))
            {
                rows.push((r, *hz as f32));
            }
        }
        Self {
            envelope: BandEnvelope {
                hop_secs: frame_secs * group as f64,
                first_secs: first_secs + frame_secs * (group - 1) as f64 / 2.0,
                low_hz: band_hz.0,
                high_hz: band_hz.1,
                level_db: Vec::new(),
                peak_hz: Vec::new(),
            },
            rows,
            background_db: Vec::new(),
            background_step: (frame_secs / BACKGROUND_SECS).clamp(0.0, 1.0) as f32,
            group,
            pending: None,
            pending_frames: 0,
        }
    }

    /// Adds `frames` frames of `bands` rows each (frame-major, dB).
    pub fn push_frames(&mut self, db: &[f32], bands: usize) {
        if bands == 0 {
            return;
        }
        for frame in db.chunks_exact(bands) {
            let level = |r: usize| frame.get(r).copied().unwrap_or(f32::MIN);
            if self.background_db.is_empty() {
                self.background_db = self.rows.iter().map(|(r, _)| level(*r)).collect();
            }
            let loudest = self
                .rows
                .iter()
                .zip(&self.background_db)
                .map(|((r, hz), background)| (level(*r) - background, *hz))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            for ((r, _), background) in self.rows.iter().zip(&mut self.background_db) {
                *background += self.background_step * (level(*r) - *background);
            }
            if let Some(loudest) = loudest {
                self.pending = match self.pending {
                    Some(kept) if kept.0 >= loudest.0 => Some(kept),
                    _ => Some(loudest),
                };
            }
            self.pending_frames += 1;
            if self.pending_frames == self.group {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if let Some((level, hz)) = self.pending.take() {
            self.envelope.level_db.push(level);
            self.envelope.peak_hz.push(hz);
        }
        self.pending_frames = 0;
    }

    /// The envelope (a last, partial group included).
    #[must_use]
    pub fn finish(mut self) -> BandEnvelope {
        self.flush();
        self.envelope
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An envelope at 10 ms frames over 10 s: noise at −60 dB (a little ripple), and calls at
    /// `(start, end, hz)` 30 dB above it.
    fn envelope(calls: &[(f64, f64, f32)]) -> BandEnvelope {
        let hop_secs = 0.01;
        let mut out = BandEnvelope {
            hop_secs,
            first_secs: hop_secs / 2.0,
            low_hz: 1_000.0,
            high_hz: 9_000.0,
            ..BandEnvelope::default()
        };
        for k in 0..1_000 {
            let t = out.first_secs + k as f64 * hop_secs;
            let ripple = 2.0 * ((k as f32) * 0.9).sin();
            match calls.iter().find(|(s, e, _)| t >= *s && t < *e) {
                Some((_, _, hz)) => {
                    out.level_db.push(-30.0 + ripple);
                    out.peak_hz.push(*hz + 50.0 * ripple);
                }
                None => {
                    out.level_db.push(-60.0 + ripple);
                    out.peak_hz.push(1_000.0 + 800.0 * (k % 10) as f32);
                }
            }
        }
        out
    }

    #[test]
    fn a_call_inside_the_windows_is_framed_by_its_energy() {
        let env = envelope(&[(4.0, 4.8, 5_000.0)]);
        // Windows of 2 s that scored it start from 3.0 to 4.0: they share [4.0, 5.0].
        let found = env.call_box((4.0, 5.0), (3.0, 6.0), 0.05).unwrap();
        assert!((found.start_secs - 4.0).abs() <= 0.02, "{found:?}");
        assert!((found.end_secs - 4.8).abs() <= 0.02, "{found:?}");
        let (low, high) = found.band_hz.unwrap();
        assert!(low < 4_900.0 && low > 3_500.0, "{found:?}");
        assert!(high > 5_100.0 && high < 6_500.0, "{found:?}");
    }

    #[test]
    fn a_louder_sound_outside_the_shared_span_is_not_taken_for_the_call() {
        // The call at 4.2–4.6 s; a louder neighbour at 5.5–6.0 s inside the windows' union.
        let mut env = envelope(&[(4.2, 4.6, 5_000.0), (5.5, 6.0, 2_000.0)]);
        for k in 550..600 {
            env.level_db[k] += 10.0;
        }
        let found = env.call_box((4.0, 4.8), (3.0, 6.0), 0.05).unwrap();
        assert!(
            found.start_secs >= 4.15 && found.end_secs <= 4.65,
            "{found:?}"
        );
    }

    #[test]
    fn a_short_dip_is_bridged_and_a_long_one_ends_the_call() {
        // Two syllables 40 ms apart are one call; 300 ms apart the second is another.
        let env = envelope(&[(4.0, 4.3, 5_000.0), (4.34, 4.6, 5_000.0)]);
        let found = env.call_box((4.0, 4.6), (3.0, 6.0), 0.05).unwrap();
        assert!((found.end_secs - 4.6).abs() <= 0.02, "{found:?}");
        let apart = envelope(&[(4.0, 4.3, 5_000.0), (4.6, 4.9, 5_000.0)]);
        let found = apart.call_box((4.0, 4.3), (3.0, 6.0), 0.05).unwrap();
        assert!((found.end_secs - 4.3).abs() <= 0.02, "{found:?}");
    }

    #[test]
    fn no_contrast_no_box() {
        let env = envelope(&[]);
        assert_eq!(env.call_box((4.0, 5.0), (3.0, 6.0), 0.05), None);
        assert_eq!(
            BandEnvelope::default().call_box((4.0, 5.0), (3.0, 6.0), 0.05),
            None
        );
    }

    #[test]
    fn the_builder_keeps_the_loudest_row_in_the_band_of_each_group() {
        // Three rows at 500, 2,000 and 4,000 Hz; the band holds the last two. Levels are above
        // each row's own background: the first frame sets it.
        let mut builder = EnvelopeBuilder::new(
            &[500.0, 2_000.0, 4_000.0],
            (1_000.0, 5_000.0),
            0.01,
            0.005,
            2,
        );
        builder.push_frames(&[0.0, -10.0, -20.0, 0.0, -30.0, -5.0, 0.0, -40.0, -50.0], 3);
        let env = builder.finish();
        // Frames 0–1 → 15 dB above the background at 4 kHz; frame 2 alone → at 2 kHz.
        assert_eq!(env.peak_hz, vec![4_000.0, 2_000.0]);
        assert!((env.level_db[0] - 15.0).abs() < 1e-4, "{env:?}");
        assert!((env.level_db[1] + 29.96).abs() < 1e-3, "{env:?}");
        assert!((env.hop_secs - 0.02).abs() < 1e-12);
        assert!((env.first_secs - 0.01).abs() < 1e-12);
    }

    #[test]
    fn a_steady_hum_louder_than_the_call_is_not_taken_for_it() {
        // A hum at 2 kHz, 20 dB louder than a call at 4 kHz, all the time; the call in frames
        // 50–59 (of 100, 10 ms each) is 20 dB above its own row's noise.
        let mut builder =
            EnvelopeBuilder::new(&[2_000.0, 4_000.0], (1_000.0, 5_000.0), 0.01, 0.005, 1);
        let frames: Vec<f32> = (0..100)
            .flat_map(|k| [-20.0, if (50..60).contains(&k) { -40.0 } else { -60.0 }])
            .collect();
        builder.push_frames(&frames, 2);
        let env = builder.finish();
        for k in 50..60 {
            assert_eq!(env.peak_hz[k], 4_000.0, "frame {k}");
            assert!(env.level_db[k] > 19.0, "frame {k}: {}", env.level_db[k]);
        }
        assert!(env.level_db[..50].iter().all(|l| l.abs() < 0.5));
        let found = env.call_box((0.5, 0.6), (0.0, 1.0), 0.02).unwrap();
        assert!(
            (found.start_secs - 0.5).abs() < 0.011 && (found.end_secs - 0.6).abs() < 0.011,
            "{found:?}"
        );
    }
}

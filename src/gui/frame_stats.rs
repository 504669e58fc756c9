//! CPU time spent building each frame of the user interface, for the status bar and
//! `--frame-stats`.

use std::collections::VecDeque;
use std::time::Duration;

/// Frames remembered.
const WINDOW: usize = 600;

/// The last few hundred frame times.
#[derive(Debug, Clone, Default)]
pub struct FrameStats {
    times: VecDeque<Duration>,
    total_frames: u64,
}

impl FrameStats {
    pub fn record(&mut self, time: Duration) {
        if self.times.len() == WINDOW {
            self.times.pop_front();
        }
        self.times.push_back(time);
        self.total_frames += 1;
    }

    /// The `percent`th percentile in milliseconds (nearest rank).
    #[must_use]
    pub fn percentile_ms(&self, percent: f64) -> Option<f64> {
        if self.times.is_empty() {
            return None;
        }
        let mut sorted: Vec<Duration> = self.times.iter().copied().collect();
        sorted.sort_unstable();
        let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3)
    }

    #[must_use]
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// `frames N, p50 X ms, p95 Y ms, max Z ms`.
    #[must_use]
    pub fn summary(&self) -> String {
        let p = |q| self.percentile_ms(q).unwrap_or(0.0);
        format!(
            "frames {}, UI CPU time per frame: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            self.total_frames,
            p(50.0),
            p(95.0),
            p(100.0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut stats = FrameStats::default();
        for ms in 1..=100 {
            stats.record(Duration::from_millis(ms));
        }
        assert_eq!(stats.percentile_ms(50.0), Some(50.0));
        assert_eq!(stats.percentile_ms(95.0), Some(95.0));
        assert_eq!(stats.percentile_ms(100.0), Some(100.0));
        for _ in 0..1000 {
            stats.record(Duration::from_millis(2));
        }
        assert_eq!(
            stats.percentile_ms(100.0),
            Some(2.0),
            "only the recent window counts"
        );
        assert_eq!(stats.total_frames(), 1100);
    }
}

//! Where a training window may start, per the crop rules in DESIGN.md: a short selection lies
//! wholly inside the window, a long one contains it, a clip may be cropped anywhere, and no
//! window reaches outside its recording.

/// The span of allowed window starts, in seconds from the start of the recording.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CropRange {
    pub min_start_secs: f64,
    pub max_start_secs: f64,
}

impl CropRange {
    /// A window start chosen at `fraction` (0 = earliest, 1 = latest) of the range.
    #[must_use]
    pub fn at(&self, fraction: f64) -> f64 {
        self.min_start_secs + (self.max_start_secs - self.min_start_secs) * fraction.clamp(0.0, 1.0)
    }

    /// The middle of the range: the deterministic crop used for validation and test.
    #[must_use]
    pub fn centre(&self) -> f64 {
        self.at(0.5)
    }
}

/// Allowed starts of a `window_secs` window for a selection `[start_secs, end_secs]` in a recording
/// of `duration_secs`. A selection shorter than the window lies wholly inside it; a longer one
/// contains it. Near the edges the range is clamped to the recording; a recording shorter than
/// the window gives the single start 0 (the window is padded).
#[must_use]
pub fn selection_crop(
    start_secs: f64,
    end_secs: f64,
    window_secs: f64,
    duration_secs: f64,
) -> CropRange {
    let (low, high) = if end_secs - start_secs <= window_secs {
        (end_secs - window_secs, start_secs)
    } else {
        (start_secs, end_secs - window_secs)
    };
    clamp_to_recording(low, high, window_secs, duration_secs)
}

/// Allowed starts for a whole-file clip: anywhere, or 0 (padded) when the clip is shorter than
/// the window.
#[must_use]
pub fn clip_crop(window_secs: f64, duration_secs: f64) -> CropRange {
    clamp_to_recording(0.0, duration_secs - window_secs, window_secs, duration_secs)
}

fn clamp_to_recording(low: f64, high: f64, window_secs: f64, duration_secs: f64) -> CropRange {
    let last_start = (duration_secs - window_secs).max(0.0);
    let min_start_secs = low.clamp(0.0, last_start);
    let max_start_secs = high.clamp(min_start_secs, last_start);
    CropRange {
        min_start_secs,
        max_start_secs,
    }
}

/// Starts of background windows in `[0, duration_secs)` that keep `guard_secs` clear of every
/// positive span in `positives` (sorted or not), stepping by the window length.
#[must_use]
pub fn background_starts(
    positives: &[(f64, f64)],
    window_secs: f64,
    guard_secs: f64,
    duration_secs: f64,
) -> Vec<f64> {
    let mut starts = Vec::new();
    if window_secs <= 0.0 {
        return starts;
    }
    let mut start = 0.0;
    while start + window_secs <= duration_secs + 1e-9 {
        let (low, high) = (start - guard_secs, start + window_secs + guard_secs);
        if !positives.iter().any(|&(s, e)| s < high && low < e) {
            starts.push(start);
        }
        start += window_secs;
    }
    starts
}

/// Starts of "partial call" windows: each positive cut by a window edge so that only
/// `fraction` of it (e.g. 0.3) lies inside — its end at the window's start, or its start at the
/// window's end — where no positive lies wholly inside the window and the window stays in the
/// recording. Taught as negatives, they make a model's scores dip between calls closer together
/// than a window, so detection counts them one by one.
#[must_use]
pub fn partial_call_starts(
    positives: &[(f64, f64)],
    window_secs: f64,
    fraction: f64,
    duration_secs: f64,
) -> Vec<f64> {
    let mut starts = Vec::new();
    for &(start, end) in positives {
        let length = end - start;
        if length <= 0.0 || length > window_secs {
            continue;
        }
        for window_start in [
            end - fraction * length,
            start - window_secs + fraction * length,
        ] {
            let window_end = window_start + window_secs;
            let inside = window_start >= 0.0 && window_end <= duration_secs;
            let holds_a_call = positives
                .iter()
                .any(|&(s, e)| s >= window_start - 1e-9 && e <= window_end + 1e-9);
            if inside && !holds_a_call {
                starts.push(window_start);
            }
        }
    }
    starts.sort_by(f64::total_cmp);
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: f64 = 2.5;

    #[test]
    fn partial_call_windows_hold_a_piece_of_a_call_and_no_whole_one() {
        // Two 1 s calls 0.5 s apart, one alone later.
        let calls = [(10.0, 11.0), (11.5, 12.5), (20.0, 21.0)];
        let starts = partial_call_starts(&calls, WINDOW, 0.3, 60.0);
        for start in &starts {
            let end = start + WINDOW;
            assert!(
                !calls.iter().any(|&(s, e)| s >= *start && e <= end),
                "{start}"
            );
            let pieces = calls
                .iter()
                .filter(|&&(s, e)| s < end && *start < e)
                .count();
            assert!(pieces >= 1);
        }
        // The lone call gives two (its end at a window start, its start at a window end); of the
        // pair's four, those that would hold the other call whole are left out.
        assert!(starts.iter().any(|s| (s - 20.7).abs() < 1e-9));
        assert!(starts.iter().any(|s| (s - 17.8).abs() < 1e-9));
        assert!(
            !starts.iter().any(|s| (s - 10.7).abs() < 1e-9),
            "holds the second call"
        );
        assert!(partial_call_starts(&[(0.1, 0.5)], WINDOW, 0.3, 60.0).len() == 1);
    }

    #[test]
    fn a_short_selection_lies_wholly_inside_every_allowed_crop() {
        let range = selection_crop(10.0, 10.5, WINDOW, 60.0);
        assert!((range.min_start_secs - 8.0).abs() < 1e-12);
        assert!((range.max_start_secs - 10.0).abs() < 1e-12);
        for fraction in [0.0, 0.3, 1.0] {
            let start = range.at(fraction);
            assert!(start <= 10.0 && start + WINDOW >= 10.5);
        }
    }

    #[test]
    fn a_long_selection_contains_every_allowed_crop() {
        let range = selection_crop(10.0, 20.0, WINDOW, 60.0);
        assert!((range.min_start_secs - 10.0).abs() < 1e-12);
        assert!((range.max_start_secs - 17.5).abs() < 1e-12);
    }

    #[test]
    fn crops_near_the_edges_stay_inside_the_recording() {
        let start = selection_crop(0.2, 0.6, WINDOW, 60.0);
        assert!(start.min_start_secs.abs() < 1e-12 && (start.max_start_secs - 0.2).abs() < 1e-12);
        let end = selection_crop(59.5, 59.9, WINDOW, 60.0);
        assert!((end.min_start_secs - 57.4).abs() < 1e-9);
        assert!((end.max_start_secs - 57.5).abs() < 1e-9);
        // A selection ending past the recording still gives a window inside it.
        let past = selection_crop(59.0, 61.0, WINDOW, 60.0);
        assert!(past.max_start_secs + WINDOW <= 60.0 + 1e-9);
    }

    #[test]
    fn clips_shorter_than_the_window_start_at_zero_and_longer_ones_anywhere() {
        let short = clip_crop(WINDOW, 1.0);
        assert_eq!((short.min_start_secs, short.max_start_secs), (0.0, 0.0));
        let long = clip_crop(WINDOW, 10.0);
        assert_eq!((long.min_start_secs, long.max_start_secs), (0.0, 7.5));
        let recording_shorter_than_window = selection_crop(0.1, 0.4, WINDOW, 1.0);
        assert_eq!(recording_shorter_than_window.max_start_secs, 0.0);
    }

    #[test]
    fn background_windows_keep_clear_of_positives() {
        let starts = background_starts(&[(6.0, 7.0)], WINDOW, 0.5, 20.0);
        assert_eq!(starts, vec![0.0, 2.5, 7.5, 10.0, 12.5, 15.0, 17.5]);
        for s in &starts {
            assert!(s + WINDOW + 0.5 <= 6.0 || *s - 0.5 >= 7.0);
        }
    }
}

//! Axis ticks and labels shared by PNG figures and the desktop view: round times (s, m:ss or
//! h:mm:ss) and round frequencies on linear or mel axes.

use crate::dsp::FrequencyAxis;
use crate::util::timefmt::trim_decimals;

/// Round steps for time ticks, smallest first.
const TIME_STEPS_SECS: [f64; 28] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0,
    60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10_800.0, 21_600.0, 43_200.0,
    86_400.0,
];

/// Round frequencies tried for ticks, coarsest first.
const FREQUENCY_STEPS_HZ: [f64; 14] = [
    50_000.0, 20_000.0, 10_000.0, 5_000.0, 2_000.0, 1_000.0, 500.0, 200.0, 100.0, 50.0, 20.0, 10.0,
    5.0, 1.0,
];

/// At most `max_ticks` round times within `[start_secs, end_secs]`, evenly spaced.
#[must_use]
pub fn time_ticks(start_secs: f64, end_secs: f64, max_ticks: usize) -> Vec<f64> {
    let span = end_secs - start_secs;
    let step = TIME_STEPS_SECS
        .iter()
        .copied()
        .find(|step| span / step <= max_ticks.max(1) as f64)
        .unwrap_or(86_400.0);
    multiples(start_secs, end_secs, step)
}

/// Round levels for a colour bar: at most `max_ticks` multiples of 5, 10, 20 or 50 dB within
/// `[low_db, high_db]`.
#[must_use]
pub fn level_ticks(low_db: f64, high_db: f64, max_ticks: usize) -> Vec<f64> {
    let span = (high_db - low_db).max(1e-6);
    let step = [5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|step| span / step <= max_ticks.max(1) as f64)
        .unwrap_or(100.0);
    multiples(low_db, high_db, step)
}

/// Multiples of `step` within `[low, high]`, computed so that 66 × 0.05 comes out as 3.3.
fn multiples(low: f64, high: f64, step: f64) -> Vec<f64> {
    // Dividing by the (integer) reciprocal of sub-unit steps avoids 3.3000000000000003.
    let per_unit = (1.0 / step).round();
    let value = |k: i64| {
        if step < 1.0 {
            k as f64 / per_unit
        } else {
            k as f64 * step
        }
    };
    let first = (low / step - 1e-9).ceil() as i64;
    let last = (high / step + 1e-9).floor() as i64;
    (first..=last).map(value).collect()
}

/// Round frequencies within `[low_hz, high_hz]` for an axis whose screen position is
/// `position(hz)` (0–1). Linear axes get evenly spaced ticks; on a mel axis coarse round values
/// come first and finer ones fill in where there is room, so the low end (where mels spread) gets
/// more ticks.
#[must_use]
pub fn frequency_ticks(
    axis: &FrequencyAxis,
    low_hz: f64,
    high_hz: f64,
    max_ticks: usize,
    position: impl Fn(f64) -> f64,
) -> Vec<f64> {
    let max_ticks = max_ticks.max(2);
    if axis.mel.is_none() {
        let step = FREQUENCY_STEPS_HZ
            .iter()
            .rev()
            .copied()
            .find(|step| (high_hz - low_hz) / step <= max_ticks as f64)
            .unwrap_or(FREQUENCY_STEPS_HZ[0]);
        let (first, last) = (
            (low_hz / step).ceil() as i64,
            (high_hz / step).floor() as i64,
        );
        return (first..=last).map(|k| k as f64 * step).collect();
    }
    let min_gap = 1.0 / max_ticks as f64;
    let mut chosen: Vec<f64> = Vec::new();
    for step in FREQUENCY_STEPS_HZ {
        let (first, last) = (
            (low_hz / step).ceil() as i64,
            (high_hz / step).floor() as i64,
        );
        if last - first > 200 {
            continue;
        }
        for k in first..=last {
            let hz = k as f64 * step;
            let at = position(hz);
            if chosen.iter().all(|c| (position(*c) - at).abs() >= min_gap) {
                chosen.push(hz);
            }
        }
    }
    chosen.sort_by(f64::total_cmp);
    chosen
}

/// A frequency label: kHz (`2.5`) when the axis reaches 2 kHz, else Hz (`440`).
#[must_use]
pub fn format_frequency(hz: f64, axis_top_hz: f64) -> String {
    if axis_top_hz >= 2000.0 {
        trim_decimals(hz / 1000.0, 2)
    } else {
        trim_decimals(hz, 0)
    }
}

/// The axis title matching [`format_frequency`].
#[must_use]
pub fn frequency_unit_label(axis_top_hz: f64) -> &'static str {
    if axis_top_hz >= 2000.0 {
        "Frequency (kHz)"
    } else {
        "Frequency (Hz)"
    }
}

/// The axis title matching [`format_time_secs`](crate::util::timefmt::format_time_secs).
#[must_use]
pub fn time_unit_label(longest_secs: f64) -> &'static str {
    if longest_secs >= 3600.0 {
        "Time (h:mm:ss)"
    } else if longest_secs >= 60.0 {
        "Time (m:ss)"
    } else {
        "Time (s)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_ticks_are_round_decibels_inside_the_range() {
        assert_eq!(
            level_ticks(-100.0, -20.0, 5),
            vec![-100.0, -80.0, -60.0, -40.0, -20.0]
        );
        assert_eq!(level_ticks(-93.0, -78.0, 4), vec![-90.0, -85.0, -80.0]);
        assert!(level_ticks(-100.0, -20.0, 20).len() <= 20);
    }

    #[test]
    fn time_ticks_are_round() {
        assert_eq!(
            time_ticks(0.0, 12.0, 10),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
        );
        assert_eq!(time_ticks(0.0, 36_000.0, 10)[1], 3600.0);
        assert_eq!(time_ticks(3.3, 3.5, 5), vec![3.3, 3.35, 3.4, 3.45, 3.5]);
    }

    #[test]
    fn frequency_ticks_suit_the_axis() {
        let linear = FrequencyAxis {
            mel: None,
            first_center: 0.0,
            step: 11_025.0 / 256.0,
            rows: 257,
        };
        let position = |hz: f64| (linear.row_at_hz(hz) + 0.5) / 257.0;
        assert_eq!(
            frequency_ticks(&linear, 0.0, 11_025.0, 8, position),
            vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10_000.0]
        );
        let mel = FrequencyAxis {
            mel: Some(crate::dsp::MelFormula::Slaney),
            first_center: 1.0,
            step: 0.3,
            rows: 128,
        };
        let position = |hz: f64| (mel.row_at_hz(hz) + 0.5) / 128.0;
        let ticks = frequency_ticks(&mel, 100.0, 11_000.0, 8, position);
        assert!(
            ticks.contains(&1000.0) && ticks.contains(&10_000.0),
            "{ticks:?}"
        );
        let below_2k = ticks.iter().filter(|t| **t < 2000.0).count();
        assert!(
            below_2k >= 2,
            "mel axes get ticks at the low end: {ticks:?}"
        );
        assert_eq!(format_frequency(2500.0, 11_025.0), "2.5");
        assert_eq!(format_frequency(440.0, 1000.0), "440");
    }
}

//! Detections from window scores: every window's score of a recording ([`WindowScores`], made
//! by [`crate::scoring`]), cut into calls by peak picking or by merging runs of positive
//! windows ([`merge`]), with the settings a model carries ([`DetectionDefaults`]), each framed
//! by the energy of the model's band where the scores carry it ([`extent`]). Pure: no model,
//! no audio, so thresholds and merging change without running the model again.

pub mod extent;

use serde::{Deserialize, Serialize};

pub use extent::{BandEnvelope, CallBox, EnvelopeBuilder};

/// Every window's score over one recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowScores {
    pub window_secs: f64,
    /// Start of each window, seconds from the start of the recording.
    pub start_secs: Vec<f64>,
    pub scores: Vec<f32>,
    /// The loudness of the model's band over the recording, which frames each call (`None`
    /// for scores made without it: detections then span what their windows share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<BandEnvelope>,
}

/// How a model's scores become calls by default, stored in its artifact: chosen at training
/// from the training calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectionDefaults {
    /// Seconds between window starts (dense: a fraction of the window).
    pub hop_secs: f64,
    pub peaks: PeakSettings,
    /// Median length of the training calls.
    pub call_secs: f64,
    /// The training calls' band (5th percentile of low edges, 95th of high), shown on
    /// detections and exported with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_hz: Option<(f64, f64)>,
}

impl DetectionDefaults {
    /// Dense scoring (a sixth of the window, 0.02–0.25 s) and peaks separated by the plateau a
    /// typical call leaves in the score curve.
    #[must_use]
    pub fn for_calls(call_secs: f64, window_secs: f64, band_hz: Option<(f64, f64)>) -> Self {
        let hop_secs = (window_secs / 6.0).clamp(0.02, 0.25);
        Self {
            hop_secs,
            peaks: PeakSettings::for_calls(call_secs, window_secs, hop_secs),
            call_secs,
            band_hz,
        }
    }
}

/// How scores become detections.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MergeSettings {
    pub threshold: f32,
    /// Detections closer than this are joined.
    pub min_gap_secs: f64,
    /// Shorter detections are dropped.
    pub min_duration_secs: f64,
    /// One detection per peak of the score curve (see [`pick_peaks`]) instead of one per run
    /// of positive windows; `None` merges runs (what runs made before peaks existed do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peaks: Option<PeakSettings>,
}

/// How the score curve is cut into calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakSettings {
    /// Peaks whose windows start closer than this are one call.
    pub min_separation_secs: f64,
    /// A peak must rise this far (in logits, `ln(p / (1 − p))`) above the valley towards any
    /// higher peak to count as a call of its own; the highest peak of a run always counts.
    pub min_prominence: f32,
}

impl PeakSettings {
    /// Separation from the training calls: a call of `call_secs` lies whole inside a
    /// `window_secs` window for `window_secs − call_secs` of window starts (the plateau of its
    /// scores), so peaks closer than that are one call; never closer than two hops.
    #[must_use]
    pub fn for_calls(call_secs: f64, window_secs: f64, hop_secs: f64) -> Self {
        let plateau = (window_secs - call_secs).max(0.0);
        Self {
            min_separation_secs: plateau.max(2.0 * hop_secs),
            min_prominence: 1.0,
        }
    }
}

/// A call the model found: its box (the time the call's energy spans, or what its windows
/// share when the energy cannot tell), with the scores of the windows that found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub start_secs: f64,
    pub end_secs: f64,
    pub max_score: f32,
    pub mean_score: f32,
    /// Positive windows merged into it.
    pub windows: usize,
    /// The call's band from its energy (`None`: the model's calls' band, or the whole
    /// spectrum, applies; see [`Detection::band_or`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_hz: Option<(f64, f64)>,
}

impl Detection {
    /// The detection's band: its own, else `fallback_hz` (the run's band).
    #[must_use]
    pub fn band_or(&self, fallback_hz: Option<(f64, f64)>) -> Option<(f64, f64)> {
        self.band_hz.or(fallback_hz)
    }
}

/// Window scores → detections: with `settings.peaks`, one per call by [`pick_peaks`];
/// otherwise overlapping or touching positive windows (and those closer than `min_gap_secs`)
/// merged. Then detections shorter than `min_duration_secs` are dropped. The count of calls is
/// the count of detections.
#[must_use]
pub fn merge(scores: &WindowScores, settings: &MergeSettings) -> Vec<Detection> {
    if let Some(peaks) = &settings.peaks {
        return pick_peaks_filtered(
            scores,
            settings.threshold,
            peaks,
            settings.min_duration_secs,
        );
    }
    let mut detections: Vec<Detection> = Vec::new();
    let mut sum = 0.0_f64;
    for (&start, &score) in scores.start_secs.iter().zip(&scores.scores) {
        if score < settings.threshold {
            continue;
        }
        let end = start + scores.window_secs;
        match detections.last_mut() {
            Some(last) if start <= last.end_secs + settings.min_gap_secs.max(0.0) + 1e-9 => {
                last.end_secs = last.end_secs.max(end);
                last.max_score = last.max_score.max(score);
                last.windows += 1;
                sum += f64::from(score);
                last.mean_score = (sum / last.windows as f64) as f32;
            }
            _ => {
                sum = f64::from(score);
                detections.push(Detection {
                    start_secs: start,
                    end_secs: end,
                    max_score: score,
                    mean_score: score,
                    windows: 1,
                    band_hz: None,
                });
            }
        }
    }
    detections.retain(|d| d.end_secs - d.start_secs >= settings.min_duration_secs);
    if let Some(envelope) = &scores.envelope {
        for d in &mut detections {
            let span = (d.start_secs, d.end_secs);
            frame(d, envelope.call_box(span, span, max_gap_secs(scores)));
        }
    }
    detections
}

/// Dips in a call's energy shorter than this are inside the call: a tenth of the window.
fn max_gap_secs(scores: &WindowScores) -> f64 {
    scores.window_secs / 10.0
}

/// Gives a detection the box its energy found.
fn frame(detection: &mut Detection, found: Option<CallBox>) {
    if let Some(found) = found {
        detection.start_secs = found.start_secs;
        detection.end_secs = found.end_secs;
        detection.band_hz = found.band_hz;
    }
}

/// [`pick_peaks`] without the calls whose windows share less than `min_duration_secs`.
fn pick_peaks_filtered(
    scores: &WindowScores,
    threshold: f32,
    settings: &PeakSettings,
    min_duration_secs: f64,
) -> Vec<Detection> {
    let mut spans = peak_spans(scores, threshold, settings);
    spans.retain(|(d, _)| d.end_secs - d.start_secs >= min_duration_secs);
    spans
        .into_iter()
        .map(|(mut d, span)| {
            if let Some(envelope) = &scores.envelope {
                let core = (d.start_secs, d.end_secs);
                frame(&mut d, envelope.call_box(core, span, max_gap_secs(scores)));
            }
            d
        })
        .collect()
}

fn logit(score: f32) -> f32 {
    let p = score.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// One detection per call: the local maxima of the score curve at or above `threshold`, each
/// kept when it rises `min_prominence` (logits) above the valley towards any higher peak and lies
/// `min_separation_secs` from every higher peak kept. A call's windows are the positive windows
/// around its peak, up to the lowest point towards the next call; the call lies where all of
/// them overlap, `[last start, first start + window]` (or, when they overlap nowhere, a hop-wide
/// span at their middle). Where the scores carry the band's energy, each call is then framed
/// by it within its windows (see [`BandEnvelope::call_box`]).
#[must_use]
pub fn pick_peaks(
    scores: &WindowScores,
    threshold: f32,
    settings: &PeakSettings,
) -> Vec<Detection> {
    pick_peaks_filtered(scores, threshold, settings, 0.0)
}

/// The calls of [`pick_peaks`] as the score curve frames them, each with the union of its
/// windows (where its energy may be looked for).
fn peak_spans(
    scores: &WindowScores,
    threshold: f32,
    settings: &PeakSettings,
) -> Vec<(Detection, (f64, f64))> {
    let values = &scores.scores;
    let starts = &scores.start_secs;
    let n = values.len().min(starts.len());
    let hop_secs = if n > 1 {
        (starts[n - 1] - starts[0]) / (n - 1) as f64
    } else {
        scores.window_secs
    };
    // Local maxima (the middle of a flat top) at or above the threshold.
    let mut candidates = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[j + 1] == values[i] {
            j += 1;
        }
        let rises = i == 0 || values[i - 1] < values[i];
        let falls = j + 1 == n || values[j + 1] < values[i];
        if values[i] >= threshold && rises && falls {
            candidates.push(usize::midpoint(i, j));
        }
        i = j + 1;
    }
    // Prominence within the peak's run of positive windows: the valley towards the nearest
    // higher point on each side, the higher of the two valleys being the base. A side that
    // leaves the run first has no higher point, so the highest peak of a run always counts.
    let prominent = |peak: usize| -> bool {
        let height = logit(values[peak]);
        let valley = |range: &mut dyn Iterator<Item = usize>| -> Option<f32> {
            let mut low = height;
            for k in range {
                if values[k] < threshold {
                    return None;
                }
                if values[k] > values[peak] {
                    return Some(low);
                }
                low = low.min(logit(values[k]));
            }
            None
        };
        let left = valley(&mut (0..peak).rev());
        let right = valley(&mut (peak + 1..n));
        match (left, right) {
            (None, None) => true,
            (Some(v), None) | (None, Some(v)) => height - v >= settings.min_prominence,
            (Some(a), Some(b)) => height - a.max(b) >= settings.min_prominence,
        }
    };
    let mut order: Vec<usize> = candidates.into_iter().filter(|p| prominent(*p)).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    let mut kept: Vec<usize> = Vec::new();
    for peak in order {
        let far = kept
            .iter()
            .all(|k| (starts[*k] - starts[peak]).abs() + 1e-9 >= settings.min_separation_secs);
        if far {
            kept.push(peak);
        }
    }
    kept.sort_unstable();
    let mut detections = Vec::with_capacity(kept.len());
    for (index, &peak) in kept.iter().enumerate() {
        // The call's windows: positive, and not past the lowest point towards a neighbour.
        let lowest_between = |from: usize, to: usize| -> usize {
            (from..=to)
                .min_by(|a, b| values[*a].total_cmp(&values[*b]))
                .unwrap_or(from)
        };
        let left_limit = if index > 0 {
            lowest_between(kept[index - 1], peak) + 1
        } else {
            0
        };
        let right_limit = if index + 1 < kept.len() {
            lowest_between(peak, kept[index + 1]).saturating_sub(1)
        } else {
            n - 1
        };
        let mut first = peak;
        while first > left_limit && values[first - 1] >= threshold {
            first -= 1;
        }
        let mut last = peak;
        while last < right_limit && values[last + 1] >= threshold {
            last += 1;
        }
        let (mut start_secs, mut end_secs) = (starts[last], starts[first] + scores.window_secs);
        if end_secs - start_secs < hop_secs {
            let middle = f64::midpoint(starts[first], starts[last]) + scores.window_secs / 2.0;
            start_secs = middle - hop_secs / 2.0;
            end_secs = middle + hop_secs / 2.0;
        }
        let support = &values[first..=last];
        let detection = Detection {
            start_secs,
            end_secs,
            max_score: values[peak],
            mean_score: support.iter().sum::<f32>() / support.len() as f32,
            windows: support.len(),
            band_hz: None,
        };
        detections.push((
            detection,
            (starts[first], starts[last] + scores.window_secs),
        ));
    }
    detections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: &[f32]) -> WindowScores {
        WindowScores {
            window_secs: 2.0,
            start_secs: (0..values.len()).map(|i| i as f64).collect(),
            scores: values.to_vec(),
            envelope: None,
        }
    }

    /// Windows of 1 s starting every second.
    fn one_second_windows(values: &[f32]) -> WindowScores {
        WindowScores {
            window_secs: 1.0,
            ..scores(values)
        }
    }

    const PLAIN: MergeSettings = MergeSettings {
        threshold: 0.5,
        min_gap_secs: 0.0,
        min_duration_secs: 0.0,
        peaks: None,
    };

    /// Scores of windows `window_secs` long every `hop_secs` over `secs` for calls at
    /// `(start, end)`: 0.95 while a window holds a call whole, 0.6 when it holds half of it,
    /// 0.02 otherwise, plus a little deterministic ripple.
    fn curve(calls: &[(f64, f64)], window_secs: f64, hop_secs: f64, secs: f64) -> WindowScores {
        let mut out = WindowScores {
            window_secs,
            ..WindowScores::default()
        };
        let mut start = 0.0;
        let mut k = 0_u32;
        while start + window_secs <= secs + 1e-9 {
            let held = calls
                .iter()
                .map(|(s, e)| {
                    let inside = (e.min(start + window_secs) - s.max(start)).max(0.0);
                    inside / (e - s)
                })
                .fold(0.0_f64, f64::max);
            let base = if held > 0.999 {
                0.95
            } else if held >= 0.5 {
                0.6
            } else {
                0.02
            };
            let ripple = 0.03 * ((f64::from(k) * 1.7).sin() as f32);
            out.start_secs.push(start);
            out.scores.push((base + ripple).clamp(0.0, 1.0));
            start += hop_secs;
            k += 1;
        }
        out
    }

    #[test]
    fn calls_closer_than_a_window_are_counted_one_by_one() {
        // Five 0.5 s calls 1.2 s apart (gaps of 0.7 s) under a 1.5 s window: merging the run
        // of positive windows finds one detection; peaks find five, each on its call.
        let calls: Vec<(f64, f64)> = (0..5)
            .map(|i| (3.0 + 1.2 * f64::from(i), 3.5 + 1.2 * f64::from(i)))
            .collect();
        let scores = curve(&calls, 1.5, 0.1, 12.0);
        assert_eq!(merge(&scores, &PLAIN).len(), 1);
        let peaks = PeakSettings::for_calls(0.5, 1.5, 0.1);
        let found = merge(
            &scores,
            &MergeSettings {
                peaks: Some(peaks),
                ..PLAIN
            },
        );
        assert_eq!(found.len(), 5, "{found:?}");
        for (detection, (start, end)) in found.iter().zip(&calls) {
            let centre = f64::midpoint(detection.start_secs, detection.end_secs);
            assert!(
                (centre - f64::midpoint(*start, *end)).abs() < 0.3,
                "{detection:?}"
            );
        }
    }

    #[test]
    fn one_call_gives_one_detection_however_the_plateau_ripples() {
        let scores = curve(&[(4.0, 4.4)], 2.0, 0.05, 10.0);
        let found = pick_peaks(&scores, 0.5, &PeakSettings::for_calls(0.4, 2.0, 0.05));
        assert_eq!(found.len(), 1, "{found:?}");
        // Windows holding at least half the call score high here, so where they all overlap is
        // narrower than the call: the detection sits on it, centred.
        let centre = f64::midpoint(found[0].start_secs, found[0].end_secs);
        assert!((centre - 4.2).abs() < 0.06, "{found:?}");
        assert!(
            found[0].start_secs >= 3.95 && found[0].end_secs <= 4.45,
            "{found:?}"
        );
        // Nothing above the threshold: nothing found.
        assert!(pick_peaks(&scores, 0.99, &PeakSettings::for_calls(0.4, 2.0, 0.05)).is_empty());
    }

    #[test]
    fn runs_apart_are_separate_calls_however_shallow_the_dip() {
        // A weak model: 0.6 peaks and a dip to 0.45 below the 0.5 threshold between them.
        let scores = one_second_windows(&[0.3, 0.55, 0.6, 0.55, 0.45, 0.55, 0.58, 0.52, 0.3]);
        let settings = PeakSettings {
            min_separation_secs: 1.0,
            min_prominence: 1.0,
        };
        assert_eq!(pick_peaks(&scores, 0.5, &settings).len(), 2);
        assert_eq!(merge(&scores, &PLAIN).len(), 2);
    }

    #[test]
    fn a_shallow_second_peak_is_part_of_the_first_call() {
        // Two peaks 4 s apart; the valley between them (0.85) is shallow next to 0.9.
        let scores = one_second_windows(&[0.1, 0.8, 0.97, 0.9, 0.85, 0.88, 0.9, 0.2, 0.1]);
        let settings = PeakSettings {
            min_separation_secs: 1.0,
            min_prominence: 1.0,
        };
        assert_eq!(pick_peaks(&scores, 0.5, &settings).len(), 1);
        let deep = WindowScores {
            scores: vec![0.1, 0.8, 0.97, 0.6, 0.3, 0.7, 0.9, 0.2, 0.1],
            ..scores
        };
        assert_eq!(pick_peaks(&deep, 0.5, &settings).len(), 2);
    }

    #[test]
    fn overlapping_positive_windows_become_one_detection() {
        // Windows 2 s long, 1 s apart: those at 1 and 2 s overlap; 5 and 8 s stand alone.
        let found = merge(
            &scores(&[0.1, 0.9, 0.7, 0.2, 0.1, 0.6, 0.1, 0.1, 0.8]),
            &PLAIN,
        );
        assert_eq!(found.len(), 3);
        assert_eq!((found[0].start_secs, found[0].end_secs), (1.0, 4.0));
        assert_eq!(found[0].windows, 2);
        assert!((found[0].max_score - 0.9).abs() < 1e-6);
        assert!((found[0].mean_score - 0.8).abs() < 1e-6);
        assert_eq!((found[1].start_secs, found[1].end_secs), (5.0, 7.0));
    }

    #[test]
    fn touching_windows_merge_and_gaps_and_durations_apply() {
        let touching = WindowScores {
            window_secs: 1.0,
            start_secs: vec![0.0, 1.0, 3.0],
            scores: vec![0.9, 0.9, 0.9],
            envelope: None,
        };
        assert_eq!(merge(&touching, &PLAIN).len(), 2);
        let bridged = MergeSettings {
            min_gap_secs: 1.0,
            ..PLAIN
        };
        assert_eq!(merge(&touching, &bridged).len(), 1);
        let long_only = MergeSettings {
            min_duration_secs: 1.5,
            ..PLAIN
        };
        let kept = merge(&touching, &long_only);
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].start_secs, kept[0].end_secs), (0.0, 2.0));
        // A higher threshold finds fewer calls without scoring again.
        let strict = MergeSettings {
            threshold: 0.95,
            ..PLAIN
        };
        assert!(merge(&touching, &strict).is_empty());
    }
}

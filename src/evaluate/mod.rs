//! Event-level evaluation, in one place: the matcher (a detection matches a reference event
//! when they overlap in time or its centre lies within a tolerance of the event's; each
//! reference is matched at most once, best-scoring detections first), as `syrinx evaluate` runs
//! it over tables; the validation recordings scored and counted during training
//! ([`validation`]); and a reviewed run against the project's fully annotated recordings
//! ([`runs`]).

pub mod runs;
pub mod validation;

pub use crate::metrics::EventMetrics;

use serde::{Deserialize, Serialize};

/// A detection as evaluation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredSpan {
    pub start_secs: f64,
    pub end_secs: f64,
    pub score: f32,
}

impl From<&crate::detect::Detection> for ScoredSpan {
    /// A detection scored by its best window.
    fn from(d: &crate::detect::Detection) -> Self {
        Self {
            start_secs: d.start_secs,
            end_secs: d.end_secs,
            score: d.max_score,
        }
    }
}

/// Metrics of the detections that `settings` cuts from `scores` (one recording), against
/// `references`: the counts detection would give, matched as `syrinx evaluate` matches them.
#[must_use]
pub fn evaluate_scores(
    scores: &crate::detect::WindowScores,
    settings: &crate::detect::MergeSettings,
    references: &[(f64, f64)],
    tolerance_secs: f64,
    audio_secs: f64,
) -> EventMetrics {
    let spans: Vec<ScoredSpan> = crate::detect::merge(scores, settings)
        .iter()
        .map(ScoredSpan::from)
        .collect();
    evaluate(
        &spans,
        references,
        tolerance_secs,
        settings.threshold,
        audio_secs,
    )
}

/// Intersection over union of two time spans (0 when they do not meet).
#[must_use]
pub fn time_iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let overlap = (a.1.min(b.1) - a.0.max(b.0)).max(0.0);
    let union = a.1.max(b.1) - a.0.min(b.0);
    if union > 0.0 { overlap / union } else { 0.0 }
}

/// How well boxes frame the reference events: for each reference, the best [`time_iou`] of
/// any detection with it (0 for a call no detection touches).
#[must_use]
pub fn best_time_ious(detections: &[(f64, f64)], references: &[(f64, f64)]) -> Vec<f64> {
    references
        .iter()
        .map(|r| {
            detections
                .iter()
                .map(|d| time_iou(*d, *r))
                .fold(0.0, f64::max)
        })
        .collect()
}

/// Which detections (by index) match a reference event: `matched[i]` for detection `i`.
#[must_use]
pub fn match_events(
    detections: &[ScoredSpan],
    references: &[(f64, f64)],
    tolerance_secs: f64,
) -> Vec<bool> {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    order.sort_by(|a, b| detections[*b].score.total_cmp(&detections[*a].score));
    let mut used = vec![false; references.len()];
    let mut matched = vec![false; detections.len()];
    for i in order {
        let d = detections[i];
        let centre = f64::midpoint(d.start_secs, d.end_secs);
        // The closest unused reference that qualifies.
        let best = references
            .iter()
            .enumerate()
            .filter(|(j, _)| !used[*j])
            .filter(|(_, (start, end))| {
                let overlaps = d.start_secs < *end && *start < d.end_secs;
                let reference_centre = f64::midpoint(*start, *end);
                overlaps || (centre - reference_centre).abs() <= tolerance_secs
            })
            .min_by(|(_, a), (_, b)| {
                let distance = |(s, e): &(f64, f64)| (centre - f64::midpoint(*s, *e)).abs();
                distance(a).total_cmp(&distance(b))
            })
            .map(|(j, _)| j);
        if let Some(j) = best {
            used[j] = true;
            matched[i] = true;
        }
    }
    matched
}

/// Metrics of the detections scoring at least `threshold`, over `audio_secs` of audio.
#[must_use]
pub fn evaluate(
    detections: &[ScoredSpan],
    references: &[(f64, f64)],
    tolerance_secs: f64,
    threshold: f32,
    audio_secs: f64,
) -> EventMetrics {
    let kept: Vec<ScoredSpan> = detections
        .iter()
        .copied()
        .filter(|d| d.score >= threshold)
        .collect();
    let matched = match_events(&kept, references, tolerance_secs);
    let true_positives = matched.iter().filter(|m| **m).count();
    let false_positives = kept.len() - true_positives;
    let false_negatives = references.len() - true_positives;
    rates(
        EventMetrics {
            threshold,
            true_positives,
            false_positives,
            false_negatives,
            ..EventMetrics::default()
        },
        audio_secs,
    )
}

/// Fills precision, recall, F1 and false positives per hour from the counts (summed over
/// recordings, say) and the seconds of audio they came from.
#[must_use]
pub fn rates(counts: EventMetrics, audio_secs: f64) -> EventMetrics {
    let detected = counts.true_positives + counts.false_positives;
    let references = counts.true_positives + counts.false_negatives;
    let precision = if detected == 0 {
        1.0
    } else {
        counts.true_positives as f64 / detected as f64
    };
    let recall = if references == 0 {
        1.0
    } else {
        counts.true_positives as f64 / references as f64
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    EventMetrics {
        precision,
        recall,
        f1,
        false_positives_per_hour: counts.false_positives as f64 * 3600.0 / audio_secs.max(1e-9),
        ..counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start_secs: f64, end_secs: f64, score: f32) -> ScoredSpan {
        ScoredSpan {
            start_secs,
            end_secs,
            score,
        }
    }

    #[test]
    fn time_iou_is_shared_time_over_joint_time() {
        assert!((time_iou((1.0, 3.0), (2.0, 4.0)) - 1.0 / 3.0).abs() < 1e-12);
        assert!((time_iou((1.0, 2.0), (1.0, 2.0)) - 1.0).abs() < 1e-12);
        assert!(time_iou((1.0, 2.0), (3.0, 4.0)).abs() < 1e-12);
        // A narrow strip inside a call frames it badly.
        assert!((time_iou((1.4, 1.6), (1.0, 2.0)) - 0.2).abs() < 1e-12);
        let best = best_time_ious(&[(0.0, 1.0), (1.1, 2.0)], &[(1.0, 2.0), (5.0, 6.0)]);
        assert!((best[0] - 0.9).abs() < 1e-12);
        assert!(best[1].abs() < 1e-12);
    }

    #[test]
    fn each_reference_is_matched_once_by_overlap_or_tolerance() {
        let references = [(10.0, 11.0), (20.0, 21.0), (40.0, 41.0)];
        let detections = [
            span(9.5, 10.5, 0.9),  // overlaps the first
            span(10.2, 10.8, 0.8), // the first again: already used → false positive
            span(22.0, 23.0, 0.7), // centre 22.5 is 2 s from 20.5: outside 1.5 s
            span(41.5, 42.5, 0.6), // centre 42 is 1.5 s from 40.5: inside
        ];
        let matched = match_events(&detections, &references, 1.5);
        assert_eq!(matched, vec![true, false, false, true]);
        let m = evaluate(&detections, &references, 1.5, 0.0, 3600.0);
        assert_eq!(
            (m.true_positives, m.false_positives, m.false_negatives),
            (2, 2, 1)
        );
        assert!((m.precision - 0.5).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.false_positives_per_hour - 2.0).abs() < 1e-12);
        // A higher threshold keeps the better detections only.
        let strict = evaluate(&detections, &references, 1.5, 0.85, 1800.0);
        assert_eq!((strict.true_positives, strict.false_positives), (1, 0));
    }
}

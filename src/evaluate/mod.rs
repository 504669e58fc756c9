//! Event-level evaluation, in one place: the matcher (a detection matches a reference event
//! when they overlap in time or its centre lies within a tolerance of the event's; each
//! reference is matched at most once, best-scoring detections first), as `syrinx evaluate` runs
//! it over tables; the DCASE few-shot task's rule beside it ([`MatchRule::Dcase`]: one to one,
//! time IoU ≥ 0.3, as many pairs as can be made), so figures compare with the literature; the
//! validation recordings scored and counted during training ([`validation`]); and a reviewed
//! run against the project's fully annotated recordings ([`runs`]); what an iteration changed,
//! run against run ([`iterations`]).

pub mod iterations;
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
    pair_events(detections, references, tolerance_secs)
        .iter()
        .map(Option::is_some)
        .collect()
}

/// The reference event each detection matches (see [`match_events`]), by index.
#[must_use]
pub fn pair_events(
    detections: &[ScoredSpan],
    references: &[(f64, f64)],
    tolerance_secs: f64,
) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    order.sort_by(|a, b| detections[*b].score.total_cmp(&detections[*a].score));
    let mut used = vec![false; references.len()];
    let mut matched = vec![None; detections.len()];
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
            matched[i] = Some(j);
        }
    }
    matched
}

/// What changed between two runs over one recording: detections of `after` that match one of
/// `before` by Syrinx's event rule ([`pair_events`], `before` taking the place of the
/// references) are kept; the rest of `after` are gained, the unmatched of `before` lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDiff {
    /// `(index in before, index in after)`.
    pub kept: Vec<(usize, usize)>,
    /// Indices in `after`.
    pub gained: Vec<usize>,
    /// Indices in `before`.
    pub lost: Vec<usize>,
}

/// [`RunDiff`] of `before` and `after`.
#[must_use]
pub fn diff_runs(before: &[ScoredSpan], after: &[ScoredSpan], tolerance_secs: f64) -> RunDiff {
    let spans: Vec<(f64, f64)> = before.iter().map(|d| (d.start_secs, d.end_secs)).collect();
    let pairs = pair_events(after, &spans, tolerance_secs);
    let mut diff = RunDiff::default();
    let mut matched_before = vec![false; before.len()];
    for (a, pair) in pairs.iter().enumerate() {
        match pair {
            Some(b) => {
                matched_before[*b] = true;
                diff.kept.push((*b, a));
            }
            None => diff.gained.push(a),
        }
    }
    diff.lost = (0..before.len()).filter(|b| !matched_before[*b]).collect();
    diff.kept.sort_unstable();
    diff
}

/// How a detection is matched to a reference event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MatchRule {
    /// Syrinx's rule ([`match_events`]): overlap, or centres within `tolerance_secs`; each
    /// event once, best-scoring detections first. Lenient with boxes that frame a call badly,
    /// which is what counting calls needs.
    Tolerance { tolerance_secs: f64 },
    /// The DCASE few-shot bioacoustic task's rule ([`match_events_by_iou`]): a pair needs a
    /// time IoU of at least `min_iou` (0.3 there), and the pairs are one to one, as many as can
    /// be made. Strict about boxes: a detection of half a call may count as a miss and a false
    /// positive.
    Dcase { min_iou: f64 },
}

impl MatchRule {
    /// The DCASE task's threshold on time IoU.
    pub const DCASE_MIN_IOU: f64 = 0.3;

    /// The DCASE rule at the task's IoU.
    #[must_use]
    pub fn dcase() -> Self {
        Self::Dcase {
            min_iou: Self::DCASE_MIN_IOU,
        }
    }

    /// Which detections match a reference event under this rule.
    #[must_use]
    pub fn matches(&self, detections: &[ScoredSpan], references: &[(f64, f64)]) -> Vec<bool> {
        match *self {
            Self::Tolerance { tolerance_secs } => {
                match_events(detections, references, tolerance_secs)
            }
            Self::Dcase { min_iou } => match_events_by_iou(detections, references, min_iou),
        }
    }

    /// One line saying what the rule is, for reports.
    #[must_use]
    pub fn describe(&self) -> String {
        match *self {
            Self::Tolerance { tolerance_secs } => format!(
                "overlap or centres within {tolerance_secs} s, each event once (Syrinx's rule)"
            ),
            Self::Dcase { min_iou } => {
                format!("one to one at time IoU ≥ {min_iou} (the DCASE few-shot rule)")
            }
        }
    }
}

/// Which detections (by index) the DCASE few-shot rule matches: each pair's time IoU is at
/// least `min_iou`, each detection and each event is in one pair at most, and there are as
/// many pairs as can be made (a maximum bipartite matching, as the task's scorer computes;
/// scores play no part). With `min_iou` ≥ 0.3 a detection overlaps few events, so augmenting
/// paths over the overlapping pairs are cheap.
#[must_use]
pub fn match_events_by_iou(
    detections: &[ScoredSpan],
    references: &[(f64, f64)],
    min_iou: f64,
) -> Vec<bool> {
    // Events by start, to find each detection's overlapping ones without trying them all.
    let mut by_start: Vec<usize> = (0..references.len()).collect();
    by_start.sort_by(|a, b| references[*a].0.total_cmp(&references[*b].0));
    // Events are never longer than this: those starting before `d.start − longest` end
    // before it.
    let longest = references
        .iter()
        .map(|(s, e)| e - s)
        .fold(0.0_f64, f64::max);
    let edges: Vec<Vec<usize>> = detections
        .iter()
        .map(|d| {
            let from = by_start.partition_point(|&j| references[j].0 < d.start_secs - longest);
            by_start[from..]
                .iter()
                .copied()
                .take_while(|&j| references[j].0 < d.end_secs)
                .filter(|&j| time_iou((d.start_secs, d.end_secs), references[j]) >= min_iou - 1e-12)
                .collect()
        })
        .collect();
    // Kuhn's augmenting paths, iteratively (no recursion depth to run out of).
    let mut owner: Vec<Option<usize>> = vec![None; references.len()];
    for start in 0..detections.len() {
        let mut seen = vec![false; references.len()];
        // The path so far: (detection, index of the next edge to try).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        // The event each detection on the stack would take.
        let mut taking: Vec<usize> = Vec::new();
        let mut augmented = false;
        while let Some(&mut (d, ref mut next)) = stack.last_mut() {
            let Some(&j) = edges[d].get(*next) else {
                stack.pop();
                taking.pop();
                continue;
            };
            *next += 1;
            if seen[j] {
                continue;
            }
            seen[j] = true;
            taking.push(j);
            match owner[j] {
                None => {
                    augmented = true;
                    break;
                }
                Some(other) => stack.push((other, 0)),
            }
        }
        if augmented {
            for (&(d, _), &j) in stack.iter().zip(&taking) {
                owner[j] = Some(d);
            }
        }
    }
    let mut matched = vec![false; detections.len()];
    for d in owner.into_iter().flatten() {
        matched[d] = true;
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
    evaluate_by(
        &MatchRule::Tolerance { tolerance_secs },
        detections,
        references,
        threshold,
        audio_secs,
    )
}

/// [`evaluate`] under any [`MatchRule`].
#[must_use]
pub fn evaluate_by(
    rule: &MatchRule,
    detections: &[ScoredSpan],
    references: &[(f64, f64)],
    threshold: f32,
    audio_secs: f64,
) -> EventMetrics {
    let kept: Vec<ScoredSpan> = detections
        .iter()
        .copied()
        .filter(|d| d.score >= threshold)
        .collect();
    let matched = rule.matches(&kept, references);
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

    #[test]
    fn the_dcase_rule_pairs_one_to_one_at_an_iou_of_0_3() {
        // Hand-worked: D0 (0.5–4.0) meets E0 (0–2) and E1 (2.5–4.5) at IoU 1.5/4 = 0.375
        // each; D1 (0–1.2) meets E0 only (IoU 0.6). The most pairs is two: D1–E0 and D0–E1,
        // although D0 scores higher and would take E0 first if pairs were made greedily.
        let references = [(0.0, 2.0), (2.5, 4.5)];
        let detections = [span(0.5, 4.0, 0.9), span(0.0, 1.2, 0.5)];
        assert_eq!(
            match_events_by_iou(&detections, &references, 0.3),
            vec![true, true]
        );
        // Half a call is IoU 0.25: a miss and a false positive for DCASE, a hit for Syrinx.
        let half = [span(0.0, 1.0, 0.9)];
        assert_eq!(match_events_by_iou(&half, &[(0.0, 4.0)], 0.3), vec![false]);
        assert_eq!(match_events(&half, &[(0.0, 4.0)], 1.5), vec![true]);
        // Exactly 0.3 counts; two detections of one call: one pair, one false positive.
        let edge = [span(0.0, 0.3, 0.9)];
        assert_eq!(match_events_by_iou(&edge, &[(0.0, 1.0)], 0.3), vec![true]);
        let twice = [span(0.0, 0.3, 0.9), span(0.1, 0.9, 0.8)];
        let pairs = match_events_by_iou(&twice, &[(0.0, 1.0)], 0.3);
        assert_eq!(pairs.iter().filter(|m| **m).count(), 1);
        // Centres 1 s apart without overlap: Syrinx's tolerance matches, DCASE does not.
        let near = [span(5.0, 5.5, 0.9)];
        assert_eq!(match_events_by_iou(&near, &[(6.0, 6.5)], 0.3), vec![false]);
        let rule = MatchRule::dcase();
        let m = evaluate_by(&rule, &detections, &references, 0.0, 3600.0);
        assert_eq!(
            (m.true_positives, m.false_positives, m.false_negatives),
            (2, 0, 0)
        );
        // At 0.6 only D0 is kept, and it takes one of the two events.
        let m = evaluate_by(&rule, &detections, &references, 0.6, 3600.0);
        assert_eq!(
            (m.true_positives, m.false_positives, m.false_negatives),
            (1, 0, 1)
        );
    }

    /// The most pairs any one-to-one matching of `edges` (detection → events) makes.
    fn most_pairs(edges: &[Vec<usize>], used: &mut Vec<bool>, from: usize) -> usize {
        if from == edges.len() {
            return 0;
        }
        let mut best = most_pairs(edges, used, from + 1);
        for &j in &edges[from] {
            if !used[j] {
                used[j] = true;
                best = best.max(1 + most_pairs(edges, used, from + 1));
                used[j] = false;
            }
        }
        best
    }

    #[test]
    fn the_dcase_matching_is_as_large_as_any_over_random_cases() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut total = 0;
        for _ in 0..400 {
            let draw = |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<(f64, f64)> {
                let count = rng.random_range(0..6);
                (0..count)
                    .map(|_| {
                        let start = rng.random_range(0.0..6.0);
                        (start, start + rng.random_range(0.2..3.0))
                    })
                    .collect()
            };
            let references = draw(&mut rng);
            let detections: Vec<ScoredSpan> = draw(&mut rng)
                .into_iter()
                .map(|(s, e)| span(s, e, 0.5))
                .collect();
            let matched = match_events_by_iou(&detections, &references, 0.3);
            let edges: Vec<Vec<usize>> = detections
                .iter()
                .map(|d| {
                    (0..references.len())
                        .filter(|&j| time_iou((d.start_secs, d.end_secs), references[j]) >= 0.3)
                        .collect()
                })
                .collect();
            // Every matched detection has an event to pair with, and there are as many pairs
            // as the best matching has.
            for (i, m) in matched.iter().enumerate() {
                assert!(!m || !edges[i].is_empty());
            }
            let pairs = matched.iter().filter(|m| **m).count();
            let best = most_pairs(&edges, &mut vec![false; references.len()], 0);
            assert_eq!(pairs, best, "{detections:?} {references:?}");
            total += pairs;
        }
        assert!(total > 100, "the cases pair something: {total}");
    }

    #[test]
    fn a_diff_keeps_what_both_runs_found_and_names_what_one_did_not() {
        let before = [
            span(10.0, 11.0, 0.9), // found again, a little shifted
            span(20.0, 21.0, 0.8), // gone
            span(30.0, 31.0, 0.7), // found again as two: one kept, one gained
        ];
        let after = [
            span(10.3, 11.2, 0.95),
            span(30.0, 30.5, 0.9),
            span(30.6, 31.0, 0.6),
            span(50.0, 51.0, 0.8), // new
        ];
        let diff = diff_runs(&before, &after, 1.5);
        assert_eq!(diff.kept, vec![(0, 0), (2, 1)]);
        assert_eq!(diff.gained, vec![2, 3]);
        assert_eq!(diff.lost, vec![1]);
        // Identical runs: everything kept.
        let same = diff_runs(&before, &before, 1.5);
        assert_eq!(same.kept.len(), 3);
        assert!(same.gained.is_empty() && same.lost.is_empty());
    }
}

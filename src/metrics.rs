//! Classification metrics from scores and truth: confusion matrix, precision, recall, F1,
//! accuracy, ROC-AUC and the precision–recall curve.

use serde::{Deserialize, Serialize};

/// Counts at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
}

impl Confusion {
    /// Counts of `scores ≥ threshold` against `truth`.
    #[must_use]
    pub fn at(scores: &[f32], truth: &[bool], threshold: f32) -> Self {
        let mut c = Self::default();
        for (score, positive) in scores.iter().zip(truth) {
            match (*score >= threshold, *positive) {
                (true, true) => c.true_positives += 1,
                (true, false) => c.false_positives += 1,
                (false, false) => c.true_negatives += 1,
                (false, true) => c.false_negatives += 1,
            }
        }
        c
    }

    #[must_use]
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// Of the windows called positive, the share that were (1 when none was called).
    #[must_use]
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
            1.0,
        )
    }

    /// Of the positive windows, the share found (0 when there were none).
    #[must_use]
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
            0.0,
        )
    }

    #[must_use]
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    #[must_use]
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total(), 0.0)
    }
}

fn ratio(numerator: usize, denominator: usize, empty: f64) -> f64 {
    if denominator == 0 {
        empty
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Area under the ROC curve (the probability that a random positive scores above a random
/// negative, ties counting half); `None` without both classes.
#[must_use]
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f32, bool)> = scores.iter().copied().zip(truth.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = pairs.iter().filter(|p| p.1).count();
    let negatives = pairs.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Mann–Whitney U with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j + 1 < pairs.len() && pairs[j + 1].0 == pairs[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average_rank * pairs[i..=j].iter().filter(|p| p.1).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives * negatives) as f64)
}

/// `(recall, precision, threshold)` points from the highest threshold down.
#[must_use]
pub fn pr_curve(scores: &[f32], truth: &[bool]) -> Vec<(f64, f64, f32)> {
    let mut pairs: Vec<(f32, bool)> = scores.iter().copied().zip(truth.iter().copied()).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = pairs.iter().filter(|p| p.1).count().max(1);
    let (mut tp, mut fp) = (0, 0);
    let mut points = Vec::new();
    for (i, (score, positive)) in pairs.iter().enumerate() {
        if *positive {
            tp += 1;
        } else {
            fp += 1;
        }
        if pairs.get(i + 1).is_none_or(|next| next.0 != *score) {
            points.push((
                tp as f64 / positives as f64,
                tp as f64 / (tp + fp) as f64,
                *score,
            ));
        }
    }
    points
}

/// The threshold with the best F1 on `scores` against `truth`: halfway between the lowest score
/// it calls positive and the next score below (so small shifts in scores do not flip it);
/// `None` without positives.
#[must_use]
pub fn best_f1_threshold(scores: &[f32], truth: &[bool]) -> Option<f32> {
    let positives = truth.iter().filter(|t| **t).count();
    if positives == 0 {
        return None;
    }
    let curve = pr_curve(scores, truth);
    let f1 = |(recall, precision, _): &(f64, f64, f32)| {
        if recall + precision > 0.0 {
            2.0 * recall * precision / (recall + precision)
        } else {
            0.0
        }
    };
    let best = curve
        .iter()
        .enumerate()
        .max_by(|a, b| f1(a.1).total_cmp(&f1(b.1)).then(b.0.cmp(&a.0)))?;
    let (index, &(_, _, score)) = best;
    let below = curve.get(index + 1).map_or(0.0, |next| next.2);
    Some(f32::midpoint(score, below))
}

/// The summary a model artifact and the CLI report for one split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitMetrics {
    pub windows: usize,
    pub threshold: f32,
    pub loss: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub roc_auc: Option<f64>,
    pub confusion: Confusion,
}

impl SplitMetrics {
    /// Metrics of `scores` against `truth` at `threshold`; `loss` is the mean BCE.
    #[must_use]
    pub fn new(scores: &[f32], truth: &[bool], threshold: f32) -> Self {
        let confusion = Confusion::at(scores, truth, threshold);
        let loss = scores
            .iter()
            .zip(truth)
            .map(|(s, t)| {
                let p = f64::from(*s).clamp(1e-7, 1.0 - 1e-7);
                if *t { -p.ln() } else { -(1.0 - p).ln() }
            })
            .sum::<f64>()
            / scores.len().max(1) as f64;
        Self {
            windows: scores.len(),
            threshold,
            loss,
            accuracy: confusion.accuracy(),
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1(),
            roc_auc: roc_auc(scores, truth),
            confusion,
        }
    }
}

/// Counts and rates at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EventMetrics {
    pub threshold: f32,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// False positives per hour of audio.
    pub false_positives_per_hour: f64,
}

impl EventMetrics {
    /// Adds the counts of `other` (e.g. another recording's) to these.
    pub fn add_counts(&mut self, other: &Self) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }

    /// One line for people: "12 of 14 calls found, 1 false positive(s) · precision …".
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} of {} calls found, {} false positive(s) · precision {:.3} · recall {:.3} · F1 \
             {:.3} at threshold {:.2}",
            self.true_positives,
            self.true_positives + self.false_negatives,
            self.false_positives,
            self.precision,
            self.recall,
            self.f1,
            self.threshold
        )
    }
}

/// One class of a multi-class model: its threshold (picked on validation) and its metrics, by
/// window and, on fully annotated recordings, by call (its detections matched to its own calls).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub name: String,
    pub threshold: f32,
    pub validation: Option<SplitMetrics>,
    pub test: Option<SplitMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_events: Option<EventMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_events: Option<EventMetrics>,
}

/// Which class windows hold against which class the model names, on one split: rows are the
/// truth, columns the prediction, the classes in order and then "none of these". A window's
/// truth is its first class; its prediction the class whose score lies furthest above that
/// class's threshold (relative to it), or none when no score reaches its threshold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassConfusion {
    pub split: String,
    /// The classes and, last, "none".
    pub labels: Vec<String>,
    /// `counts[truth][prediction]`.
    pub counts: Vec<Vec<usize>>,
}

/// The label of windows of no class in a [`ClassConfusion`].
pub const NO_CLASS: &str = "none";

impl ClassConfusion {
    /// From row-major scores `[windows, classes]`, each window's true class and the classes'
    /// thresholds.
    #[must_use]
    pub fn new(
        split: &str,
        classes: &[String],
        scores: &[f32],
        truth: &[Option<usize>],
        thresholds: &[f32],
    ) -> Self {
        let k = classes.len();
        let mut counts = vec![vec![0; k + 1]; k + 1];
        for (row, truth) in scores.chunks(k.max(1)).zip(truth) {
            let predicted = predicted_class(row, thresholds).unwrap_or(k);
            counts[truth.unwrap_or(k).min(k)][predicted] += 1;
        }
        let mut labels = classes.to_vec();
        labels.push(NO_CLASS.to_owned());
        Self {
            split: split.to_owned(),
            labels,
            counts,
        }
    }

    /// Share of windows on the diagonal.
    #[must_use]
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.counts.iter().flatten().sum();
        let right: usize = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        right as f64 / total.max(1) as f64
    }
}

/// The class a window's scores name: the one furthest above its threshold (score ÷
/// threshold), or `None` when no score reaches its class's threshold.
#[must_use]
pub fn predicted_class(scores: &[f32], thresholds: &[f32]) -> Option<usize> {
    scores
        .iter()
        .zip(thresholds)
        .enumerate()
        .filter(|(_, (s, t))| **s >= **t)
        .max_by(|(_, (a, ta)), (_, (b, tb))| (**a / ta.max(1e-6)).total_cmp(&(**b / tb.max(1e-6))))
        .map(|(c, _)| c)
}

/// Column `c` of row-major values with `k` columns.
#[must_use]
pub fn column(values: &[f32], k: usize, c: usize) -> Vec<f32> {
    values
        .chunks(k.max(1))
        .filter_map(|row| row.get(c).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_and_ratios() {
        let scores = [0.9, 0.8, 0.3, 0.6, 0.1];
        let truth = [true, false, true, true, false];
        let c = Confusion::at(&scores, &truth, 0.5);
        assert_eq!(
            (
                c.true_positives,
                c.false_positives,
                c.true_negatives,
                c.false_negatives
            ),
            (2, 1, 1, 1)
        );
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.accuracy() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_is_the_share_of_correctly_ordered_pairs() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        // Three of four pairs ordered, one tie: (3 + 0.5) / 4.
        let auc = roc_auc(&[0.1, 0.5, 0.5, 0.9], &[false, true, false, true]).unwrap();
        assert!((auc - 0.875).abs() < 1e-12, "{auc}");
        assert_eq!(roc_auc(&[0.1], &[true]), None);
    }

    #[test]
    fn the_best_threshold_separates_what_can_be_separated() {
        // Positives score 0.3–0.4, negatives 0.1–0.2: the default 0.5 would find none.
        let scores = [0.4, 0.35, 0.3, 0.2, 0.15, 0.1];
        let truth = [true, true, true, false, false, false];
        let threshold = best_f1_threshold(&scores, &truth).unwrap();
        assert!((threshold - 0.25).abs() < 1e-6, "{threshold}");
        assert!((Confusion::at(&scores, &truth, threshold).f1() - 1.0).abs() < 1e-12);
        assert_eq!(best_f1_threshold(&[0.1], &[false]), None);
    }

    #[test]
    fn the_pr_curve_ends_at_full_recall() {
        let points = pr_curve(&[0.9, 0.8, 0.3], &[true, false, true]);
        assert_eq!(points.len(), 3);
        assert_eq!(points[0], (0.5, 1.0, 0.9));
        assert!((points[2].0 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_class_confusion_names_the_class_furthest_above_its_threshold() {
        let classes = vec!["a".to_owned(), "b".to_owned()];
        // Rows: a (0.9, 0.1), b (0.3, 0.35: b's threshold is 0.2, so b), none (0.1, 0.1),
        // a mistaken for b (0.2, 0.8), none mistaken for a (0.7, 0.0).
        let scores = [0.9, 0.1, 0.3, 0.35, 0.1, 0.1, 0.2, 0.8, 0.7, 0.0];
        let truth = [Some(0), Some(1), None, Some(0), None];
        let confusion = ClassConfusion::new("validation", &classes, &scores, &truth, &[0.5, 0.2]);
        assert_eq!(confusion.labels, vec!["a", "b", "none"]);
        assert_eq!(
            confusion.counts,
            vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 1]]
        );
        assert!((confusion.accuracy() - 0.6).abs() < 1e-12);
        assert_eq!(column(&scores, 2, 1), vec![0.1, 0.35, 0.1, 0.8, 0.0]);
        assert_eq!(predicted_class(&[0.1, 0.1], &[0.5, 0.2]), None);
    }
}

//! Calibration from review: what a detection's score means as a probability that it is a call.
//!
//! A reviewer judges a *stratified* sample — a few detections from each score band, drawn with
//! a seed — instead of a full review or the top of the list. Because the sample is drawn by
//! score, the share of calls among the sampled detections of a band estimates that band's
//! precision, and a logistic fit of verdict on the score's logit estimates P(call | score)
//! without bias from how many were drawn where (Wood & Kahl 2024 fit BirdNET scores this
//! way). From it, over every detection of the run:
//! - the precision above any threshold is the mean probability of the detections above it, and
//!   the threshold reaching a target precision follows, with the share of the run's calls it
//!   keeps (its expected recall among what the run detected);
//! - the number of calls among the detections is the sum of their probabilities (Navine et al.
//!   2024 estimate call density from a stratified review the same way), with an interval.
//!
//! Intervals come from the fit's uncertainty (a normal approximation of the two parameters,
//! drawn [`DRAWS`] times) and, for counts, the Bernoulli spread of the calls themselves.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The column of a detection's calibrated probability of being a call, in exported tables.
pub const PROBABILITY_COLUMN: &str = "Probability";

/// Parameter draws behind every interval.
pub const DRAWS: usize = 2_000;

/// Scores are clamped this far from 0 and 1 before taking logits (network scores reach 1.0 in
/// f32).
const SCORE_EPSILON: f64 = 1e-6;

/// A weak Gaussian prior (precision on each standardised parameter): keeps the fit finite when
/// every verdict of the sample agrees or the verdicts separate perfectly by score, and is
/// negligible against a few dozen verdicts otherwise.
const PRIOR_PRECISION: f64 = 0.1;

/// Errors of calibration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalibrateError {
    #[error(
        "no verdicts to calibrate from: judge the sampled detections first (true or false positive)"
    )]
    NoVerdicts,
    #[error("{0} verdict(s) are too few to calibrate from: judge at least {1}")]
    TooFew(usize, usize),
    #[error("cannot read the table: {detail}: {}", path.display())]
    Table {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("no scored detections in {}", .0.display())]
    NoDetections(std::path::PathBuf),
    #[error("class {class}: {detail} ({})", path.display())]
    Class {
        class: String,
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("cannot write {}: {detail}", path.display())]
    Write {
        path: std::path::PathBuf,
        detail: String,
    },
}

/// Fewest verdicts a calibration is fitted from.
pub const MIN_VERDICTS: usize = 8;

/// `logit(score)`, clamped.
#[must_use]
pub fn score_logit(score: f32) -> f64 {
    let p = f64::from(score).clamp(SCORE_EPSILON, 1.0 - SCORE_EPSILON);
    (p / (1.0 - p)).ln()
}

#[must_use]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The score bands of a stratified sample: up to `bands` ranges of equal width in the scores'
/// logits between the lowest and the highest score, lowest first, as `(low, high)` with `low`
/// inclusive; empty ones are left out. Equal widths in logits because network scores crowd near
/// 1: bands of equal numbers of detections (quantiles) spent the review on the many low scores.
/// Measured on the real right-whale recordings (a left-out recording, 473 detections from 0.2,
/// 20 of them calls): quantile bands drew 2 calls into 30 verdicts and left the precision above
/// the chosen threshold at 0.91 (0.00–1.00) against a true 0.77.
#[must_use]
pub fn score_bands(scores: &[f32], bands: usize) -> Vec<(f32, f32)> {
    let logits: Vec<f64> = scores
        .iter()
        .filter(|s| s.is_finite())
        .map(|s| score_logit(*s))
        .collect();
    if logits.is_empty() || bands == 0 {
        return Vec::new();
    }
    let low = logits.iter().copied().fold(f64::INFINITY, f64::min);
    let high = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = (high - low) / bands as f64;
    let edge = |k: usize| sigmoid(low + width * k as f64) as f32;
    let mut out: Vec<(f32, f32)> = Vec::new();
    for k in 0..bands {
        let last = k + 1 == bands;
        let (from, to) = (edge(k), edge(k + 1));
        let filled = scores
            .iter()
            .any(|s| *s >= from && (*s < to || (last && *s >= to)));
        if filled {
            out.push((from, to));
        } else if let Some(previous) = out.last_mut() {
            // An empty band joins the one below, so the bands still cover every score.
            previous.1 = to;
        }
    }
    // Scores at the very bottom: the first band starts at the lowest score.
    if let Some(first) = out.first_mut() {
        first.0 = first.0.min(
            scores
                .iter()
                .copied()
                .filter(|s| s.is_finite())
                .fold(f32::INFINITY, f32::min),
        );
    }
    out
}

/// Which band of `bands` a score falls in (the last band includes its top).
#[must_use]
pub fn band_of(bands: &[(f32, f32)], score: f32) -> Option<usize> {
    let last = bands.len().checked_sub(1)?;
    bands
        .iter()
        .position(|&(low, high)| score >= low && score < high)
        .or_else(|| (score >= bands[last].0).then_some(last))
}

/// Indices of `scores` to review: up to `per_band` from each of `bands` score bands, drawn
/// without replacement with `seed` (the same seed draws the same sample). Sorted by score.
#[must_use]
pub fn stratified_sample(scores: &[f32], bands: usize, per_band: usize, seed: u64) -> Vec<usize> {
    let edges = score_bands(scores, bands);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = Vec::new();
    for band in 0..edges.len() {
        let mut members: Vec<usize> = (0..scores.len())
            .filter(|&i| band_of(&edges, scores[i]) == Some(band))
            .collect();
        // A partial Fisher–Yates shuffle: the first `per_band` are a uniform draw.
        let take = per_band.min(members.len());
        for k in 0..take {
            let pick = rng.random_range(k..members.len());
            members.swap(k, pick);
        }
        chosen.extend_from_slice(&members[..take]);
    }
    chosen.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]).then(a.cmp(b)));
    chosen
}

/// One reviewed detection: its score and whether it was a call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    pub score: f32,
    pub is_call: bool,
}

/// A band's verdicts: how many were judged and how many were calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandPrecision {
    pub low: f32,
    pub high: f32,
    pub judged: usize,
    pub calls: usize,
}

impl BandPrecision {
    /// The share of calls among the judged (`None` when none was judged).
    #[must_use]
    pub fn precision(&self) -> Option<f64> {
        (self.judged > 0).then(|| self.calls as f64 / self.judged as f64)
    }
}

/// The verdicts of `judged` per band of `bands`.
#[must_use]
pub fn band_precision(bands: &[(f32, f32)], judged: &[Judged]) -> Vec<BandPrecision> {
    bands
        .iter()
        .enumerate()
        .map(|(k, &(low, high))| {
            let mine: Vec<&Judged> = judged
                .iter()
                .filter(|j| band_of(bands, j.score) == Some(k))
                .collect();
            BandPrecision {
                low,
                high,
                judged: mine.len(),
                calls: mine.iter().filter(|j| j.is_call).count(),
            }
        })
        .collect()
}

/// A value and its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    /// Whether `x` lies in the interval.
    #[must_use]
    pub fn covers(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// Calls in the audio from these calls among the detections, divided by the recall that
    /// fully annotated recordings measured (`found` of `references` calls detected): the
    /// recall's Wilson 95 % interval widens the bounds (the lowest count over the highest
    /// recall, the highest over the lowest). `None` without references or with nothing found.
    #[must_use]
    pub fn corrected_by_recall(&self, found: usize, references: usize) -> Option<Self> {
        if references == 0 || found == 0 || found > references {
            return None;
        }
        let (low, high) = wilson_interval(found, references);
        let recall = found as f64 / references as f64;
        Some(Self {
            value: self.value / recall,
            low: self.low / high,
            high: self.high / low,
        })
    }
}

impl Estimate {
    /// The total of independent estimates: values add, and the distances to each bound add in
    /// quadrature (a normal approximation: the parts' calls vary independently).
    #[must_use]
    pub fn sum(parts: &[Self]) -> Self {
        let value: f64 = parts.iter().map(|p| p.value).sum();
        let spread = |d: fn(&Self) -> f64| parts.iter().map(|p| d(p).powi(2)).sum::<f64>().sqrt();
        Self {
            value,
            low: (value - spread(|p| p.value - p.low)).max(0.0),
            high: value + spread(|p| p.high - p.value),
        }
    }
}

/// Fewest verdicts a site needs for a calibration of its own (with [`MIN_SITE_CLASS`] calls
/// and as many false positives); a site with fewer goes by the pooled fit.
pub const MIN_SITE_VERDICTS: usize = 12;
/// Fewest calls, and fewest false positives, among a site's verdicts for its own fit.
pub const MIN_SITE_CLASS: usize = 2;

/// Each site's own calibration where its verdicts allow (see [`MIN_SITE_VERDICTS`]): a site's
/// noise and its calls' loudness change what a score means, so a site judged enough is
/// calibrated on its own verdicts. `judged` pairs each verdict with its site (`audio::NO_SITE`
/// ones count only in the pooled fit).
#[must_use]
pub fn fit_sites(judged: &[(String, Judged)]) -> std::collections::BTreeMap<String, Calibration> {
    let mut by_site: std::collections::BTreeMap<&str, Vec<Judged>> =
        std::collections::BTreeMap::new();
    // Recordings whose names give no site are no site of their own.
    for (site, j) in judged
        .iter()
        .filter(|(site, _)| site != crate::audio::NO_SITE)
    {
        by_site.entry(site.as_str()).or_default().push(*j);
    }
    by_site
        .into_iter()
        .filter(|(_, verdicts)| {
            let calls = verdicts.iter().filter(|j| j.is_call).count();
            verdicts.len() >= MIN_SITE_VERDICTS
                && calls >= MIN_SITE_CLASS
                && verdicts.len() - calls >= MIN_SITE_CLASS
        })
        .filter_map(|(site, verdicts)| Some((site.to_owned(), Calibration::fit(&verdicts).ok()?)))
        .collect()
}

/// The calls among detections of several sites: each site's scores through its own
/// calibration (from `sites`) or the pooled one, the estimates summed (see
/// [`Estimate::sum`]). `scores` pairs each score with its site.
#[must_use]
pub fn expected_calls_by_site(
    pooled: &Calibration,
    sites: &std::collections::BTreeMap<String, Calibration>,
    scores: &[(&str, f32)],
) -> Estimate {
    let mut by_site: std::collections::BTreeMap<&str, Vec<f32>> = std::collections::BTreeMap::new();
    for (site, score) in scores {
        by_site.entry(site).or_default().push(*score);
    }
    let parts: Vec<Estimate> = by_site
        .into_iter()
        .map(|(site, scores)| sites.get(site).unwrap_or(pooled).expected_calls(&scores))
        .collect();
    match parts.as_slice() {
        [one] => *one,
        _ => Estimate::sum(&parts),
    }
}

/// The Wilson score interval (95 %) of a proportion `k` of `n`.
#[must_use]
pub fn wilson_interval(k: usize, n: usize) -> (f64, f64) {
    const Z: f64 = 1.959_964;
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let denominator = 1.0 + Z * Z / n_f;
    let centre = (p + Z * Z / (2.0 * n_f)) / denominator;
    let half = Z * (p * (1.0 - p) / n_f + Z * Z / (4.0 * n_f * n_f)).sqrt() / denominator;
    // Rounding must not leave the proportion itself outside (k = n gives 1 − ε otherwise).
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} ({:.2}–{:.2})", self.value, self.low, self.high)
    }
}

/// P(call | score) = σ(`intercept` + `slope` · logit(score)), fitted to verdicts, with the
/// parameters' covariance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub intercept: f64,
    pub slope: f64,
    /// Covariance of (intercept, slope): `[var_a, cov_ab, var_b]`.
    pub covariance: [f64; 3],
    /// Verdicts it was fitted to, and how many were calls.
    pub verdicts: usize,
    pub calls: usize,
}

impl Calibration {
    /// Fits the logistic calibration to `judged` by Newton's method (penalised maximum
    /// likelihood, see [`PRIOR_PRECISION`]).
    pub fn fit(judged: &[Judged]) -> Result<Self, CalibrateError> {
        if judged.is_empty() {
            return Err(CalibrateError::NoVerdicts);
        }
        if judged.len() < MIN_VERDICTS {
            return Err(CalibrateError::TooFew(judged.len(), MIN_VERDICTS));
        }
        // Standardise the logits so the prior means the same at any scale.
        let xs: Vec<f64> = judged.iter().map(|j| score_logit(j.score)).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let spread = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
            .sqrt()
            .max(1e-3);
        let zs: Vec<f64> = xs.iter().map(|x| (x - mean) / spread).collect();
        let ys: Vec<f64> = judged
            .iter()
            .map(|j| if j.is_call { 1.0 } else { 0.0 })
            .collect();
        let (mut a, mut b) = (0.0_f64, 0.0_f64);
        let mut hessian = [0.0_f64; 3];
        for _ in 0..100 {
            let (mut ga, mut gb) = (-PRIOR_PRECISION * a, -PRIOR_PRECISION * b);
            let (mut haa, mut hab, mut hbb) = (PRIOR_PRECISION, 0.0, PRIOR_PRECISION);
            for (z, y) in zs.iter().zip(&ys) {
                let p = sigmoid(a + b * z);
                let w = p * (1.0 - p);
                ga += y - p;
                gb += (y - p) * z;
                haa += w;
                hab += w * z;
                hbb += w * z * z;
            }
            hessian = [haa, hab, hbb];
            let det = haa * hbb - hab * hab;
            let step_a = (hbb * ga - hab * gb) / det;
            let step_b = (haa * gb - hab * ga) / det;
            a += step_a;
            b += step_b;
            if step_a.abs() + step_b.abs() < 1e-10 {
                break;
            }
        }
        // Covariance of (a, b) in standardised units, then back to logit units:
        // intercept = a − b·mean/spread, slope = b/spread.
        let [haa, hab, hbb] = hessian;
        let det = haa * hbb - hab * hab;
        let (vaa, vab, vbb) = (hbb / det, -hab / det, haa / det);
        let k = mean / spread;
        let slope = b / spread;
        let intercept = a - b * k;
        let var_intercept = vaa - 2.0 * k * vab + k * k * vbb;
        let cov = (vab - k * vbb) / spread;
        let var_slope = vbb / (spread * spread);
        Ok(Self {
            intercept,
            slope,
            covariance: [var_intercept, cov, var_slope],
            verdicts: judged.len(),
            calls: judged.iter().filter(|j| j.is_call).count(),
        })
    }

    /// P(call | `score`).
    #[must_use]
    pub fn probability(&self, score: f32) -> f64 {
        sigmoid(self.intercept + self.slope * score_logit(score))
    }

    /// [`DRAWS`] parameter pairs from the fit's normal approximation (seeded: the same
    /// calibration gives the same intervals).
    fn draws(&self) -> Vec<(f64, f64)> {
        let [vaa, vab, vbb] = self.covariance;
        // Cholesky of [[vaa, vab], [vab, vbb]].
        let l11 = vaa.max(0.0).sqrt();
        let l21 = if l11 > 0.0 { vab / l11 } else { 0.0 };
        let l22 = (vbb - l21 * l21).max(0.0).sqrt();
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
        (0..DRAWS)
            .map(|_| {
                let u: f64 = StandardNormal.sample(&mut rng);
                let v: f64 = StandardNormal.sample(&mut rng);
                (self.intercept + l11 * u, self.slope + l21 * u + l22 * v)
            })
            .collect()
    }

    /// P(call | `score`) with its interval.
    #[must_use]
    pub fn probability_estimate(&self, score: f32) -> Estimate {
        let x = score_logit(score);
        let values: Vec<f64> = self
            .draws()
            .iter()
            .map(|(a, b)| sigmoid(a + b * x))
            .collect();
        estimate(self.probability(score), values)
    }

    /// The expected precision of the detections scoring at least `threshold` among `scores`
    /// (the mean probability above it), with an interval for the precision they really have;
    /// `None` when none scores that high.
    #[must_use]
    pub fn precision_above(&self, scores: &[f32], threshold: f32) -> Option<Estimate> {
        let above: Vec<f64> = scores
            .iter()
            .filter(|s| **s >= threshold)
            .map(|s| score_logit(*s))
            .collect();
        if above.is_empty() {
            return None;
        }
        // The interval is for the precision these detections really have.
        let n = above.len() as f64;
        let calls = self.calls_among(&above);
        Some(Estimate {
            value: calls.value / n,
            low: calls.low / n,
            high: calls.high / n,
        })
    }

    /// The expected number of calls among the detections with `scores` (the sum of their
    /// probabilities), with an interval from the fit's uncertainty and the calls' own Bernoulli
    /// spread.
    #[must_use]
    pub fn expected_calls(&self, scores: &[f32]) -> Estimate {
        let xs: Vec<f64> = scores.iter().map(|s| score_logit(*s)).collect();
        self.calls_among(&xs)
    }

    /// The calls among detections whose score logits are `xs`: the sum of their probabilities,
    /// with an interval from the fit's uncertainty (each parameter draw) and the Bernoulli
    /// spread of which detections are calls (normal, clamped to 0…n).
    fn calls_among(&self, xs: &[f64]) -> Estimate {
        let sum_at = |a: f64, b: f64| xs.iter().map(|x| sigmoid(a + b * x)).sum::<f64>();
        let mut rng = ChaCha8Rng::seed_from_u64(0xc0de);
        let values = self
            .draws()
            .iter()
            .map(|(a, b)| {
                let (mean, variance) = xs.iter().fold((0.0, 0.0), |(m, v), x| {
                    let p = sigmoid(a + b * x);
                    (m + p, v + p * (1.0 - p))
                });
                let noise: f64 = StandardNormal.sample(&mut rng);
                (mean + noise * variance.sqrt()).clamp(0.0, xs.len() as f64)
            })
            .collect();
        estimate(sum_at(self.intercept, self.slope), values)
    }

    /// [`threshold_for_precision`](Self::threshold_for_precision) over all of `scores` (the
    /// floor is the lowest of them: what the detections were cut at).
    #[must_use]
    pub fn threshold_among(&self, scores: &[f32], target: f64) -> Option<ThresholdChoice> {
        let floor = scores.iter().copied().fold(f32::INFINITY, f32::min);
        self.threshold_for_precision(scores, floor, target)
    }

    /// The lowest threshold (one of `scores`, at or above `floor`) whose expected precision
    /// reaches `target`; `None` when none does.
    #[must_use]
    pub fn threshold_for_precision(
        &self,
        scores: &[f32],
        floor: f32,
        target: f64,
    ) -> Option<ThresholdChoice> {
        let mut kept: Vec<f32> = scores.iter().copied().filter(|s| *s >= floor).collect();
        kept.sort_by(f32::total_cmp);
        let probabilities: Vec<f64> = kept.iter().map(|s| self.probability(*s)).collect();
        // Expected calls at or above each position.
        let mut above = vec![0.0; kept.len() + 1];
        for k in (0..kept.len()).rev() {
            above[k] = above[k + 1] + probabilities[k];
        }
        (0..kept.len())
            // Ties: a threshold at a score keeps every detection with that score.
            .filter(|&k| k == 0 || kept[k] > kept[k - 1])
            .map(|k| ThresholdChoice {
                threshold: kept[k],
                precision: above[k] / (kept.len() - k) as f64,
                kept_share: if above[0] > 0.0 {
                    above[k] / above[0]
                } else {
                    0.0
                },
                detections: kept.len() - k,
            })
            .find(|choice| choice.precision >= target)
    }
}

/// A threshold chosen for a target precision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    pub threshold: f32,
    /// Expected precision of the detections at or above it.
    pub precision: f64,
    /// The share of the expected calls among all the detections (at or above the floor) that
    /// it keeps: its expected recall relative to what the run found.
    pub kept_share: f64,
    /// Detections at or above it.
    pub detections: usize,
}

/// An estimate from its point value and draws (2.5 % and 97.5 % quantiles).
fn estimate(value: f64, mut draws: Vec<f64>) -> Estimate {
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| {
        draws
            .get(((draws.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(value)
    };
    Estimate {
        value,
        low: at(0.025).min(value),
        high: at(0.975).max(value),
    }
}

#[cfg(test)]
mod tests;

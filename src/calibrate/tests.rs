use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    CalibrateError, Calibration, Estimate, Judged, MIN_VERDICTS, band_of, band_precision,
    score_bands, score_logit, sigmoid, stratified_sample,
};

/// The true P(call | score) of the synthetic runs: σ(−2 + 1.2·logit(score)).
fn truth(score: f32) -> f64 {
    sigmoid(-2.0 + 1.2 * score_logit(score))
}

/// A run of `n` detections: scores spread over logits −2…9 (network scores crowd near 1), and
/// whether each is really a call, drawn from [`truth`].
fn run(n: usize, seed: u64) -> (Vec<f32>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let scores: Vec<f32> = (0..n)
        .map(|_| sigmoid(rng.random_range(-2.0..9.0)) as f32)
        .collect();
    let calls = scores
        .iter()
        .map(|s| rng.random::<f64>() < truth(*s))
        .collect();
    (scores, calls)
}

fn judged(indices: &[usize], scores: &[f32], calls: &[bool]) -> Vec<Judged> {
    indices
        .iter()
        .map(|&i| Judged {
            score: scores[i],
            is_call: calls[i],
        })
        .collect()
}

#[test]
fn bands_are_equal_in_logits_and_every_score_has_one() {
    let (scores, _) = run(600, 1);
    let bands = score_bands(&scores, 6);
    assert_eq!(bands.len(), 6);
    let widths: Vec<f64> = bands
        .iter()
        .map(|(low, high)| score_logit(*high) - score_logit(*low))
        .collect();
    assert!(
        widths
            .iter()
            .all(|w| (w - widths[1]).abs() < 0.01 * widths[1]),
        "{widths:?}"
    );
    let mut members = vec![0; 6];
    for s in &scores {
        members[band_of(&bands, *s).unwrap()] += 1;
    }
    assert!(members.iter().all(|m| *m > 0), "{members:?}");
    assert!(
        bands
            .windows(2)
            .all(|w| w[0].1 == w[1].0 && w[0].0 < w[1].0)
    );
    // Most scores low, a few high: the few high ones still get bands of their own (quantile
    // bands would give five of six bands to the low ones).
    let mut skewed: Vec<f32> = (0..470).map(|k| 0.2 + 0.6 * k as f32 / 470.0).collect();
    skewed.extend([0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999_999]);
    let bands = score_bands(&skewed, 6);
    let top = band_of(&bands, 0.999).unwrap();
    assert!(top >= 3, "{bands:?}");
    // Scores crowding at one value make fewer bands, never empty ones.
    let crowded = [0.999_f32, 0.999, 0.999, 0.999, 0.5, 0.6];
    let bands = score_bands(&crowded, 6);
    for (k, _) in bands.iter().enumerate() {
        assert!(crowded.iter().any(|s| band_of(&bands, *s) == Some(k)));
    }
}

#[test]
fn a_stratified_sample_takes_a_few_from_every_band_and_its_seed_repeats_it() {
    let (scores, _) = run(600, 2);
    let sample = stratified_sample(&scores, 6, 5, 7);
    assert_eq!(sample.len(), 30);
    let bands = score_bands(&scores, 6);
    for k in 0..6 {
        let in_band = sample
            .iter()
            .filter(|i| band_of(&bands, scores[**i]) == Some(k))
            .count();
        assert_eq!(in_band, 5, "band {k}");
    }
    let mut unique = sample.clone();
    unique.dedup();
    assert_eq!(unique.len(), 30, "without replacement");
    assert_eq!(stratified_sample(&scores, 6, 5, 7), sample);
    assert_ne!(stratified_sample(&scores, 6, 5, 8), sample);
    // A band with fewer detections than asked gives what it has.
    assert_eq!(stratified_sample(&scores[..8], 4, 5, 1).len(), 8);
}

#[test]
fn many_verdicts_recover_the_true_calibration() {
    let (scores, calls) = run(4_000, 3);
    let all: Vec<usize> = (0..scores.len()).collect();
    let fit = Calibration::fit(&judged(&all, &scores, &calls)).unwrap();
    assert!((fit.intercept + 2.0).abs() < 0.3, "{fit:?}");
    assert!((fit.slope - 1.2).abs() < 0.1, "{fit:?}");
    for score in [0.3_f32, 0.9, 0.99, 0.9999] {
        assert!(
            (fit.probability(score) - truth(score)).abs() < 0.04,
            "{score}: {} against {}",
            fit.probability(score),
            truth(score)
        );
    }
}

#[test]
fn band_precision_counts_the_verdicts_of_each_band() {
    let bands = [(0.1, 0.5), (0.5, 0.9), (0.9, 1.0)];
    let verdicts = [
        (0.2, false),
        (0.3, false),
        (0.6, true),
        (0.7, false),
        (0.95, true),
        (1.0, true),
    ]
    .map(|(score, is_call)| Judged { score, is_call });
    let precision: Vec<_> = band_precision(&bands, &verdicts)
        .iter()
        .map(|b| (b.judged, b.calls, b.precision()))
        .collect();
    assert_eq!(
        precision,
        [(2, 0, Some(0.0)), (2, 1, Some(0.5)), (2, 2, Some(1.0))]
    );
}

#[test]
fn thirty_stratified_verdicts_estimate_precision_and_counts_with_honest_intervals() {
    // Over many runs and samples: the 95 % intervals of the precision above a threshold and of
    // the number of calls among all detections cover the truth of each run most of the time,
    // and the point estimates are close on average.
    let (mut precision_covered, mut count_covered, mut error_sum) = (0, 0, 0.0);
    let seeds = 120;
    for seed in 0..seeds {
        let (scores, calls) = run(800, 100 + seed);
        let sample = stratified_sample(&scores, 6, 5, seed);
        let fit = Calibration::fit(&judged(&sample, &scores, &calls)).unwrap();
        let threshold = 0.8;
        let above: Vec<usize> = (0..scores.len())
            .filter(|i| scores[*i] >= threshold)
            .collect();
        let true_precision =
            above.iter().filter(|i| calls[**i]).count() as f64 / above.len() as f64;
        let estimated = fit.precision_above(&scores, threshold).unwrap();
        precision_covered += usize::from(estimated.covers(true_precision));
        error_sum += (estimated.value - true_precision).abs();
        let true_calls = calls.iter().filter(|c| **c).count() as f64;
        count_covered += usize::from(fit.expected_calls(&scores).covers(true_calls));
    }
    let share = |n: usize| n as f64 / seeds as f64;
    eprintln!(
        "coverage: precision {}, count {}; mean |error| of precision {}",
        share(precision_covered),
        share(count_covered),
        error_sum / seeds as f64
    );
    assert!(
        share(precision_covered) >= 0.88,
        "{}",
        share(precision_covered)
    );
    assert!(share(count_covered) >= 0.88, "{}", share(count_covered));
    assert!(
        error_sum / seeds as f64 <= 0.06,
        "{}",
        error_sum / seeds as f64
    );
}

#[test]
fn the_threshold_for_a_target_precision_is_the_lowest_that_reaches_it() {
    let (scores, calls) = run(2_000, 5);
    let all: Vec<usize> = (0..scores.len()).collect();
    let fit = Calibration::fit(&judged(&all, &scores, &calls)).unwrap();
    let choice = fit.threshold_for_precision(&scores, 0.0, 0.9).unwrap();
    assert!(choice.precision >= 0.9);
    // The next lower score falls short.
    let lower = scores
        .iter()
        .copied()
        .filter(|s| *s < choice.threshold)
        .fold(f32::MIN, f32::max);
    assert!(fit.precision_above(&scores, lower).unwrap().value < 0.9);
    // Its precision is what the detections above it really have, within a few points.
    let above: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| scores[*i] >= choice.threshold)
        .collect();
    let real = above.iter().filter(|i| calls[**i]).count() as f64 / above.len() as f64;
    assert!(
        (real - choice.precision).abs() < 0.05,
        "{real} against {choice:?}"
    );
    assert_eq!(choice.detections, above.len());
    assert!(choice.kept_share > 0.0 && choice.kept_share < 1.0);
    // Nothing reaches a precision of 1.
    assert!(fit.threshold_for_precision(&scores, 0.0, 1.0).is_none());
}

#[test]
fn unanimous_or_few_verdicts() {
    let few = [Judged {
        score: 0.9,
        is_call: true,
    }; 3];
    assert_eq!(
        Calibration::fit(&few),
        Err(CalibrateError::TooFew(3, MIN_VERDICTS))
    );
    assert_eq!(Calibration::fit(&[]), Err(CalibrateError::NoVerdicts));
    // Every sampled detection a call: finite, high, and unsure where nothing was judged.
    let all_calls: Vec<Judged> = (0..10)
        .map(|k| Judged {
            score: 0.9 + 0.009 * k as f32,
            is_call: true,
        })
        .collect();
    let fit = Calibration::fit(&all_calls).unwrap();
    assert!(fit.intercept.is_finite() && fit.slope.is_finite());
    assert!(fit.probability(0.95) > 0.8);
    let far = fit.probability_estimate(0.01);
    assert!(far.high - far.low > 0.3, "{far:?}");
}

#[test]
fn a_count_divided_by_a_measured_recall_covers_the_calls_in_the_audio() {
    // 200 calls in the survey, each detected with probability 0.7; the recall measured on 40
    // annotated calls detected the same way. The count among the detections is taken as exact,
    // so the interval is the recall's alone.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (calls, recall, trials) = (200, 0.7, 400);
    let mut covered = 0;
    for _ in 0..trials {
        let detected = (0..calls).filter(|_| rng.random::<f64>() < recall).count() as f64;
        let found = (0..40).filter(|_| rng.random::<f64>() < recall).count();
        let counted = Estimate {
            value: detected,
            low: detected,
            high: detected,
        };
        let corrected = counted.corrected_by_recall(found, 40).expect("found some");
        assert!(corrected.low <= corrected.value && corrected.value <= corrected.high);
        if corrected.covers(f64::from(calls)) {
            covered += 1;
        }
    }
    let coverage = f64::from(covered) / f64::from(trials);
    assert!(coverage >= 0.9, "coverage {coverage}");
    let exact = Estimate {
        value: 70.0,
        low: 70.0,
        high: 70.0,
    };
    let corrected = exact.corrected_by_recall(7, 10).expect("7 of 10");
    assert!((corrected.value - 100.0).abs() < 1e-9);
    assert!(exact.corrected_by_recall(0, 10).is_none());
    assert!(exact.corrected_by_recall(3, 0).is_none());
}

#[test]
fn the_wilson_interval_holds_the_proportion_and_stays_in_zero_one() {
    for (k, n) in [(0, 10), (10, 10), (3, 7), (50, 100)] {
        let (low, high) = super::wilson_interval(k, n);
        let p = k as f64 / n as f64;
        assert!(
            0.0 <= low && low <= p && p <= high && high <= 1.0,
            "{k}/{n}"
        );
    }
    let (low, high) = super::wilson_interval(50, 100);
    assert!((low - 0.4038).abs() < 1e-3 && (high - 0.5962).abs() < 1e-3);
}

#[test]
fn sites_judged_enough_get_their_own_calibration() {
    // Site A: calls only above 0.9; site B: calls from 0.6. Twenty verdicts each; site C has
    // four. Pooled, the two sites' meanings of a score blur.
    let mut judged = Vec::new();
    for i in 0..20 {
        let score = 0.5 + 0.025 * i as f32;
        judged.push((
            "A".to_owned(),
            Judged {
                score,
                is_call: score > 0.9,
            },
        ));
        judged.push((
            "B".to_owned(),
            Judged {
                score,
                is_call: score > 0.6,
            },
        ));
    }
    for score in [0.6, 0.7, 0.8, 0.9] {
        judged.push((
            "C".to_owned(),
            Judged {
                score,
                is_call: true,
            },
        ));
    }
    let sites = super::fit_sites(&judged);
    assert_eq!(
        sites.keys().collect::<Vec<_>>(),
        ["A", "B"],
        "C has too few"
    );
    assert!(sites["A"].probability(0.75) < 0.2 && sites["B"].probability(0.75) > 0.8);
    // Counting: each site's detections through its own fit, C's through the pooled one.
    let pooled = Calibration::fit(&judged.iter().map(|(_, j)| *j).collect::<Vec<_>>()).unwrap();
    let scores = [("A", 0.75_f32), ("B", 0.75), ("C", 0.75)];
    let by_site = super::expected_calls_by_site(&pooled, &sites, &scores);
    let parts = [
        sites["A"].expected_calls(&[0.75]),
        sites["B"].expected_calls(&[0.75]),
        pooled.expected_calls(&[0.75]),
    ];
    assert!((by_site.value - parts.iter().map(|p| p.value).sum::<f64>()).abs() < 1e-9);
    assert!(by_site.low <= by_site.value && by_site.value <= by_site.high);
    let one = super::expected_calls_by_site(&pooled, &sites, &scores[..1]);
    assert_eq!(one, parts[0], "one site: its own estimate");
}

#[test]
fn independent_estimates_sum_with_their_spreads_in_quadrature() {
    let part = Estimate {
        value: 10.0,
        low: 7.0,
        high: 14.0,
    };
    let total = Estimate::sum(&[part, part]);
    assert!((total.value - 20.0).abs() < 1e-12);
    assert!((total.low - (20.0 - 18f64.sqrt())).abs() < 1e-9);
    assert!((total.high - (20.0 + 32f64.sqrt())).abs() < 1e-9);
}

//! Blocked cross-validation of a small project (see `dataset::folds`): one network per fold,
//! trained without that fold's blocks (and their guard gaps) and judged, every epoch, on the
//! calls of its blocks. The folds' out-of-fold calls are pooled, so the number of epochs and the
//! threshold are chosen on every call of the project rather than on one recording's handful;
//! the epoch count comes from a smoothed curve, never from one lucky epoch. The final model then
//! trains on everything for that many epochs.

use crate::dataset::DatasetFolds;
use crate::evaluate::validation::{EventValidation, pooled_at, pooled_summary};
use crate::metrics::{EventMetrics, SplitMetrics};
use crate::model::artifact::CrossValidation;
use crate::project::Split;

use super::{MemberContext, MemberPlan, plain_inputs, truth};
use crate::train::{TrainError, TrainEvent};

/// What the folds chose, and the out-of-fold evidence.
pub(crate) struct CrossValidated {
    /// Epochs the final model trains.
    pub(crate) epochs: usize,
    pub(crate) threshold: f32,
    /// The folds' calls pooled at `threshold` (`None`: no fully annotated block).
    pub(crate) events: Option<EventMetrics>,
    /// Out-of-fold windows (each scored by the network that did not train on it), at the
    /// chosen epoch, with their inputs.
    pub(crate) windows: Vec<usize>,
    pub(crate) window_scores: Vec<f32>,
    pub(crate) window_inputs: Vec<f32>,
    pub(crate) summary: CrossValidation,
}

/// One fold's run.
struct FoldRun {
    windows: Vec<usize>,
    inputs: Vec<f32>,
    truth: Vec<bool>,
    /// Its blocks' event validation at the coarse hop (every epoch).
    events: Option<EventValidation>,
    /// Per epoch: window scores, coarse event-window scores.
    scores: Vec<(Vec<f32>, Vec<f32>)>,
    /// Per epoch: the network.
    snapshots: Vec<crate::model::CallNet>,
}

impl FoldRun {
    /// The epoch (1-based) the fold stands for at `epoch`: itself, or the last epoch the fold
    /// ran when it stopped early.
    fn epoch(&self, epoch: usize) -> usize {
        epoch.min(self.scores.len()).max(1)
    }

    fn at(&self, epoch: usize) -> &(Vec<f32>, Vec<f32>) {
        &self.scores[self.epoch(epoch) - 1]
    }
}

/// Epochs around each one averaged when choosing (a centred moving average).
const SMOOTHING_EPOCHS: usize = 3;

/// Every epoch's curve scores the folds' calls this many detection hops apart (a third of the
/// cost; enough to rank epochs). The threshold is then chosen at detection's own hop, on the
/// chosen epoch's networks.
const CURVE_HOP_FACTOR: f64 = 3.0;

/// Trains one network per fold of `folds` and chooses the final model's epochs and threshold.
pub(crate) fn run(
    context: &MemberContext<'_>,
    folds: &DatasetFolds,
    input: &crate::dsp::ModelInputSpec,
    detection: &crate::detect::DetectionDefaults,
    report: &mut (dyn FnMut(TrainEvent) + Send),
    warnings: &mut Vec<String>,
) -> Result<CrossValidated, TrainError> {
    let (dataset, settings) = (context.dataset, context.settings);
    let n_folds = folds.plan.folds;
    let mut runs = Vec::with_capacity(n_folds);
    for fold in 0..n_folds {
        report(TrainEvent::Stage(format!(
            "cross-validation: fold {} of {n_folds}",
            fold + 1
        )));
        let mask: Vec<bool> = (0..dataset.windows.len())
            .map(|i| folds.trains(dataset, fold, i))
            .collect();
        let windows: Vec<usize> = dataset
            .of_split(Split::Train)
            .filter(|(_, w)| w.label != crate::dataset::PARTIAL_CALL_LABEL)
            .map(|(i, _)| i)
            .filter(|i| context.maker.cache.has(*i))
            .filter(|i| folds.validated_in(dataset, *i) == Some(fold))
            .collect();
        let inputs = plain_inputs(context.maker, &windows);
        let truth = truth(dataset, &windows);
        let coarse = crate::detect::DetectionDefaults {
            hop_secs: detection.hop_secs * CURVE_HOP_FACTOR,
            ..*detection
        };
        let events = EventValidation::build_spans(
            dataset,
            input,
            &coarse,
            &folds.event_spans(dataset, fold),
            context.cancel,
            warnings,
        );
        let plan = MemberPlan {
            train_mask: Some(&mask),
            validation: &windows,
            validation_inputs: &inputs,
            validation_truth: &truth,
            events: events.as_ref(),
            fixed_epochs: None,
            keep_scores: true,
        };
        let trained = context.train_member(0, &plan, report)?;
        runs.push(FoldRun {
            windows,
            inputs,
            truth,
            events,
            scores: trained.epoch_scores,
            snapshots: trained.snapshots,
        });
    }
    let last_epoch = runs.iter().map(|r| r.scores.len()).max().unwrap_or(0);
    if last_epoch == 0 {
        return Err(TrainError::Failed(
            "no cross-validation fold finished an epoch".to_owned(),
        ));
    }
    let with_events = |epoch: usize| -> Vec<(&EventValidation, &[f32])> {
        runs.iter()
            .filter_map(|r| r.events.as_ref().map(|e| (e, r.at(epoch).1.as_slice())))
            .collect()
    };
    let has_events = runs.iter().any(|r| r.events.is_some());
    let pooled_windows = |epoch: usize| -> (Vec<f32>, Vec<bool>) {
        let scores = runs
            .iter()
            .flat_map(|r| r.at(epoch).0.iter().copied())
            .collect();
        let truth = runs.iter().flat_map(|r| r.truth.iter().copied()).collect();
        (scores, truth)
    };
    let curve: Vec<f64> = (1..=last_epoch)
        .map(|epoch| {
            if has_events {
                pooled_summary(&with_events(epoch)).1
            } else {
                let (scores, truth) = pooled_windows(epoch);
                -SplitMetrics::new(&scores, &truth, settings.threshold).loss
            }
        })
        .collect();
    let epochs = best_smoothed(&curve, SMOOTHING_EPOCHS) + 1;
    let (scores, truth) = pooled_windows(epochs);
    // The chosen epoch's networks score their folds' calls at detection's hop: the threshold
    // and the figures are those detection will give.
    let mut fine: Vec<(EventValidation, Vec<f32>)> = Vec::new();
    if has_events {
        for (fold, run) in runs.iter().enumerate() {
            let Some(validation) = EventValidation::build_spans(
                dataset,
                input,
                detection,
                &folds.event_spans(dataset, fold),
                context.cancel,
                warnings,
            ) else {
                continue;
            };
            let net = run.snapshots[run.epoch(epochs) - 1].folded();
            let scores = validation.scores(&[net], context.base_device);
            // Only the counts are kept: the inputs go once scored.
            fine.push((validation.without_inputs(), scores));
        }
    }
    let pooled: Vec<(&EventValidation, &[f32])> =
        fine.iter().map(|(v, s)| (v, s.as_slice())).collect();
    let threshold = if !settings.pick_threshold {
        settings.threshold
    } else if !pooled.is_empty() {
        pooled_summary(&pooled).0.threshold
    } else {
        crate::metrics::best_f1_threshold(&scores, &truth).unwrap_or(settings.threshold)
    };
    let events = (!pooled.is_empty()).then(|| pooled_at(&pooled, threshold));
    let mut fine_of_fold = fine.iter();
    let fold_events = runs
        .iter()
        .map(|r| {
            r.events.as_ref()?;
            fine_of_fold
                .next()
                .map(|(v, scores)| v.metrics_at(scores, threshold))
        })
        .collect();
    let description = folds.describe();
    Ok(CrossValidated {
        epochs,
        threshold,
        events,
        windows: runs
            .iter()
            .flat_map(|r| r.windows.iter().copied())
            .collect(),
        window_scores: scores,
        window_inputs: runs.iter().flat_map(|r| r.inputs.iter().copied()).collect(),
        summary: CrossValidation {
            folds: n_folds,
            description,
            chosen_epochs: epochs,
            curve,
            fold_events,
        },
    })
}

/// The index of the highest value of `curve` averaged over `width` epochs centred on each
/// (fewer at the ends); the first of ties.
fn best_smoothed(curve: &[f64], width: usize) -> usize {
    let half = width / 2;
    let smoothed: Vec<f64> = (0..curve.len())
        .map(|i| {
            let (from, to) = (i.saturating_sub(half), (i + half + 1).min(curve.len()));
            curve[from..to].iter().sum::<f64>() / (to - from) as f64
        })
        .collect();
    let mut best = 0;
    for (i, value) in smoothed.iter().enumerate() {
        if *value > smoothed[best] + 1e-12 {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoothed_curve_ignores_one_lucky_epoch() {
        // Epoch 3 is a spike between two poor epochs; epochs 7–9 are good together.
        let curve = [0.2, 0.3, 0.9, 0.3, 0.5, 0.6, 0.75, 0.8, 0.78, 0.7];
        assert_eq!(best_smoothed(&curve, 3), 7);
        // Without smoothing the spike would win.
        assert_eq!(best_smoothed(&curve, 1), 2);
        assert_eq!(best_smoothed(&[0.5], 3), 0);
        // Ties: the earliest.
        assert_eq!(best_smoothed(&[0.5, 0.5, 0.5], 1), 0);
    }
}

//! Small projects: every call trains, blocked cross-validation chooses the epochs and the
//! threshold, and the final model trains on everything.

use std::sync::atomic::AtomicBool;

use syrinx::dataset::{Dataset, DatasetConfig};
use syrinx::project::Split;
use syrinx::train::{TrainEvent, train};

use crate::train::{Layout, generated_project, generated_recordings, small_input, small_settings};

pub fn config() -> DatasetConfig {
    DatasetConfig {
        input: small_input(),
        seed: 3,
        max_background_per_recording: 6,
        ..DatasetConfig::default()
    }
}

/// Two long recordings (150 s, chirps every 3–5 s) and a short one.
fn long_project(dir: &std::path::Path) -> syrinx::project::Project {
    generated_recordings(
        dir,
        2,
        &Layout {
            secs: 150.0,
            first_secs: 1.0,
            end_margin_secs: 1.5,
            gap_secs: 3.0..5.0,
            seed_base: 40,
            stem: "long",
            fully_annotated: true,
        },
    )
}

#[test]
fn a_small_project_keeps_every_call_and_its_folds_never_train_on_what_they_validate() {
    let dir = tempfile::tempdir().unwrap();
    let project = long_project(dir.path());
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    assert!(dataset.small);
    assert!(dataset.windows.iter().all(|w| w.split == Split::Train));
    let folds = dataset
        .folds(&config)
        .expect("a small project is cross-validated");
    assert_eq!(folds.plan.folds, 3);
    let plan = dataset.validation_plan(&config);
    assert!(plan.contains("blocked cross-validation"), "{plan}");
    // Every positive is validated in exactly one fold, and no fold trains on a window it
    // validates (nor on any within the guard gap of its blocks).
    let positives: Vec<usize> = (0..dataset.windows.len())
        .filter(|i| dataset.windows[*i].is_positive())
        .collect();
    assert!(positives.len() > 25, "{} positives", positives.len());
    for i in &positives {
        let fold = folds
            .validated_in(&dataset, *i)
            .expect("every positive in a fold");
        assert!(!folds.trains(&dataset, fold, *i));
        // It trains the other folds, unless it sits within a guard gap of one of their blocks.
        let elsewhere = (0..3)
            .filter(|k| *k != fold)
            .filter(|k| folds.trains(&dataset, *k, *i));
        assert!(elsewhere.count() <= 2);
    }
    for fold in 0..3 {
        for (i, w) in dataset.windows.iter().enumerate() {
            if !folds.trains(&dataset, fold, i) {
                continue;
            }
            // A training window of this fold keeps the guard gap from all the fold's blocks.
            let recording = dataset
                .recordings
                .iter()
                .position(|r| r.path == w.path)
                .unwrap();
            let plan_recording = folds
                .recordings
                .iter()
                .position(|r| *r == recording)
                .unwrap();
            for block in folds
                .plan
                .blocks_of(fold)
                .filter(|b| b.recording == plan_recording)
            {
                let (from, to) = (
                    w.crop.min_start_secs.min(w.start_secs),
                    (w.crop.max_start_secs + config.input.window_secs()).max(w.end_secs),
                );
                assert!(
                    to <= block.start_secs - folds.plan.guard_secs
                        || from >= block.end_secs + folds.plan.guard_secs,
                    "window {from}–{to} trains fold {fold} beside its block {}–{}",
                    block.start_secs,
                    block.end_secs
                );
            }
        }
        // Each fold validates some calls and still trains on most of them.
        let validated = positives
            .iter()
            .filter(|i| folds.validated_in(&dataset, **i) == Some(fold))
            .count();
        let training = positives
            .iter()
            .filter(|i| folds.trains(&dataset, fold, **i))
            .count();
        assert!(validated >= 5, "fold {fold} validates {validated} calls");
        assert!(
            training * 2 > positives.len(),
            "fold {fold} trains on {training}"
        );
    }
}

#[test]
fn the_folds_choose_the_epochs_and_the_final_model_trains_on_everything() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let (positives, negatives) = dataset.counts(Split::Train);
    let mut stages = Vec::new();
    let mut epochs_per_stage: Vec<usize> = Vec::new();
    let outcome = train(
        &dataset,
        &config,
        &small_settings(4),
        Default::default(),
        &AtomicBool::new(false),
        &mut |event| match event {
            TrainEvent::Stage(stage) => {
                stages.push(stage);
                epochs_per_stage.push(0);
            }
            TrainEvent::Epoch(_) => {
                if let Some(last) = epochs_per_stage.last_mut() {
                    *last += 1;
                }
            }
            _ => {}
        },
    )
    .unwrap();
    let info = &outcome.artifact.info;
    let cv = info.cross_validation.as_ref().expect("cross-validated");
    assert_eq!(cv.folds, 3);
    assert_eq!(stages.len(), 4, "{stages:?}");
    assert!(stages[0].contains("fold 1 of 3"));
    assert!(stages[3].starts_with("final model"));
    // The final model trained exactly the epochs the folds chose, on every window.
    assert!((1..=4).contains(&cv.chosen_epochs));
    assert_eq!(cv.curve.len(), 4);
    assert_eq!(epochs_per_stage[3], cv.chosen_epochs);
    assert_eq!(info.epochs.len(), cv.chosen_epochs);
    assert_eq!(info.best_epoch, cv.chosen_epochs);
    assert!(info.epochs.iter().all(|e| e.validation.is_none()));
    let trained: (usize, usize) = info
        .manifest
        .groups
        .iter()
        .filter(|(_, split, _, _)| split == "train")
        .fold((0, 0), |(p, n), (_, _, gp, gn)| (p + gp, n + gn));
    assert_eq!(trained, (positives, negatives));
    // The validation figures are the folds' out-of-fold calls: every call once.
    let events = info.validation_events.expect("calls counted out of fold");
    let calls: usize = dataset.recordings.iter().map(|r| r.positives.len()).sum();
    assert_eq!(events.true_positives + events.false_negatives, calls);
    assert_eq!(events.threshold, info.threshold);
    assert_eq!(cv.fold_events.len(), 3);
    let validation = info.validation.as_ref().expect("out-of-fold windows");
    assert!(validation.windows >= positives);
    // Saved and loaded with the model.
    let model_dir = dir.path().join("model");
    outcome.artifact.save(&model_dir).unwrap();
    let device = syrinx::model::ComputeDevice::Cpu.device().unwrap();
    let loaded = syrinx::model::ModelArtifact::load(&model_dir, &device).unwrap();
    assert_eq!(loaded.info.cross_validation, info.cross_validation);
}

#[test]
fn a_recording_pinned_to_validation_is_used_instead_of_folds() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 4);
    project.recordings[1].split = Split::Validation;
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    assert!(dataset.folds(&config).is_none());
    assert!(dataset.counts(Split::Validation).0 > 0);
}

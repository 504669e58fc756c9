//! The README's first session done in the app, as a user does it, through egui_kittest: the demo
//! project opened, Train clicked, Detect run over its default (the survey), every detection
//! reviewed with the Up and Down keys (the reviewer is the demo's truth), N, Retrain, and both
//! iterations run over the test split and matched to the truth as `syrinx evaluate` does.

use std::sync::Arc;
use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use syrinx::annotation::SelectionKind;
use syrinx::demo::{TARGET_LABEL, write_demo};
use syrinx::gui::{DetectScope, SyrinxApp};
use syrinx::project::runs::DetectionRun;

use super::demo_loop::{test_metrics, truth_calls};
use super::gui::{app_with, settle};
use super::gui_train::step_until;

/// Clicks Start detection in the Detect window and waits for the run.
fn detect(harness: &mut Harness<'static, SyrinxApp>) -> u32 {
    harness.get_by_label("Start detection").click();
    harness.run_steps(1);
    step_until(harness, |app| !app.ui.detect.is_running());
    settle(harness);
    harness
        .state()
        .session
        .document
        .project
        .detection_runs
        .last()
        .unwrap()
        .id
}

/// The project's run `id`.
fn run_of(app: &SyrinxApp, id: u32) -> &DetectionRun {
    app.session
        .document
        .project
        .detection_runs
        .iter()
        .find(|r| r.id == id)
        .unwrap()
}

#[test]
fn the_first_session_in_the_app_makes_iteration_two_better_on_the_test_sites() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    write_demo(&demo).unwrap();
    let mut harness = app_with(
        vec![demo.join("demo.syrinx")],
        Arc::default(),
        Some(dir.path().join("data")),
        Duration::from_secs(3600),
    );
    settle(&mut harness);

    // 3. Train: Ctrl+T, Start training.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::T);
    settle(&mut harness);
    harness.get_by_label("Start training").click();
    harness.run_steps(1);
    step_until(&mut harness, |app| !app.ui.training.is_running());
    settle(&mut harness);
    let model_1 = demo.join("models/model_01");
    assert!(
        model_1.join("model.json").is_file(),
        "{:?}",
        harness.state().session.messages
    );

    // 4. Detect: Ctrl+D; the default is the survey.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    harness.run_steps(2);
    assert_eq!(harness.state().ui.detect.scope, DetectScope::Survey);
    let survey_run = detect(&mut harness);
    assert!(
        harness.state().ui.review.open,
        "Review opens on the first detection"
    );

    // 5. Review every detection with Up (a warbler) or Down (not one).
    let queued = harness.state().ui.review.queue.len();
    assert!(queued > 0);
    for _ in 0..queued {
        let key = {
            let app = harness.state();
            let run = app.ui.review.run(&app.session.document.project).unwrap();
            let at = app.ui.review.current().unwrap();
            let d = &run.get(at).unwrap().detection;
            let recording = app
                .session
                .document
                .project
                .recording(run.recording_of(at).unwrap())
                .unwrap();
            let is_call = truth_calls(&demo, &recording.path)
                .iter()
                .any(|(start, end)| d.start_secs < *end && *start < d.end_secs);
            if is_call {
                egui::Key::ArrowUp
            } else {
                egui::Key::ArrowDown
            }
        };
        harness.key_press(key);
        harness.run_steps(1);
    }
    let counts = run_of(harness.state(), survey_run).counts();
    assert_eq!(counts.reviewed(), counts.detections);
    assert!(counts.false_positives > 0, "{counts:?}");

    // 6. N: the false positives become "not syrinx warbler" negatives; Retrain.
    harness.key_press(egui::Key::N);
    harness.run_steps(2);
    let label = format!("not {TARGET_LABEL}");
    let negatives = harness
        .state()
        .session
        .document
        .project
        .selections
        .items()
        .iter()
        .filter(|s| s.kind == SelectionKind::Negative && s.label == label)
        .count();
    assert_eq!(negatives, counts.false_positives);
    // (Below the negatives; the Iterations table has one too.)
    harness.get_all_by_label("Retrain").next().unwrap().click();
    harness.run_steps(1);
    step_until(&mut harness, |app| !app.ui.training.is_running());
    settle(&mut harness);
    let model_2 = demo.join("models/model_02");
    assert!(
        model_2.join("model.json").is_file(),
        "{:?}",
        harness.state().session.messages
    );

    // 7. Compare: each model over the test split.
    let mut metrics = Vec::new();
    for model in [&model_1, &model_2] {
        {
            let app = harness.state_mut();
            app.open_detect();
            app.ui.detect.model_text = model.display().to_string();
            app.ui.detect.scope = DetectScope::TestSplit;
        }
        harness.run_steps(2);
        let id = detect(&mut harness);
        let app = harness.state();
        let run = run_of(app, id);
        assert_eq!(run.recordings.len(), 3);
        metrics.push(test_metrics(&app.session.document.project, &demo, run));
    }
    let (before, after) = (metrics[0], metrics[1]);
    eprintln!(
        "in the app, test recordings: iteration 1 {} found, {} FP, {} missed, F1 {:.3}; iteration 2 {} found, {} FP, {} missed, F1 {:.3}",
        before.true_positives,
        before.false_positives,
        before.false_negatives,
        before.f1,
        after.true_positives,
        after.false_positives,
        after.false_negatives,
        after.f1
    );
    assert!(after.false_positives < before.false_positives);
    assert!(after.f1 > before.f1);
}

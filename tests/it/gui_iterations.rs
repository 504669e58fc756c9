//! What an iteration changed, in the app: the Iterations table shows the second model's gain
//! (a false positive the first run's review found is gone) without reviewing the second run,
//! the earlier verdicts carry to the kept detections, and the queue can hold only the gained
//! ones.

use std::path::{Path, PathBuf};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use syrinx::annotation::ProjectRecordingId;
use syrinx::detect::WindowScores;
use syrinx::gui::{ReviewAction, SyrinxApp};
use syrinx::project::runs::{DetectionRef, DetectionRun, Verdict};

use super::gui::settle;
use super::gui_train::{open_project, step_until};
use super::review::sparse_project;

/// Run `id` of `model_dir` over `recording`: one-second windows a second apart, high where
/// `calls` says (one detection each).
fn run_of(
    id: u32,
    model_dir: &Path,
    recording: ProjectRecordingId,
    calls: &[usize],
) -> DetectionRun {
    let mut run = super::common::empty_run(id, model_dir, vec![recording]);
    run.add_scores(recording, super::common::scores_with_calls(30, calls));
    run
}

fn at(detection_idx: usize) -> DetectionRef {
    DetectionRef {
        recording_idx: 0,
        detection_idx,
    }
}

/// A project whose model 1 found calls at 2 and 6 s (reviewed: a call and a false positive)
/// and whose model 2 finds them at 2 and 20 s (not reviewed).
fn project_with_two_iterations(dir: &Path) -> PathBuf {
    let mut project = sparse_project(dir, 1);
    let recording = project.recordings[0].id;
    let models: Vec<PathBuf> = ["model_01", "model_02"]
        .iter()
        .map(|m| dir.join("models").join(m))
        .collect();
    let mut first = run_of(1, &models[0], recording, &[2, 6]);
    first.set_verdict(at(0), Some(Verdict::TruePositive));
    first.set_verdict(at(1), Some(Verdict::FalsePositive));
    project.add_run(first);
    project.add_run(run_of(2, &models[1], recording, &[2, 20]));
    project.models = models;
    let path = dir.join("calls.syrinx");
    project.save(&path).unwrap();
    path
}

fn reviewed_run(harness: &Harness<'static, SyrinxApp>) -> DetectionRun {
    let app = harness.state();
    app.ui
        .review
        .run(&app.session.document.project)
        .unwrap()
        .clone()
}

#[test]
fn the_iterations_table_shows_a_gain_without_reviewing_the_new_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_two_iterations(dir.path());
    let mut harness = open_project(&path, dir.path());
    // A tall screen: the panel's sections all in view at once (clicks land where widgets are).
    harness.set_size(egui::vec2(1400.0, 2400.0));
    let ctx = harness.ctx.clone();
    assert!(harness.state_mut().run_command_named(&ctx, "Review panel"));
    settle(&mut harness);
    assert_eq!(reviewed_run(&harness).id, 2, "the newest run is reviewed");
    // Model 2's row: one gained, one lost, and the lost one was a reviewed false positive.
    step_until(&mut harness, |app| {
        !app.ui.review.model_descriptions().is_empty()
    });
    harness.run_steps(2);
    harness.get_by_label("+1 −1 (1 FP gone)");

    // What changed, against model 1's run.
    harness.get_by_label("Against an earlier run").click();
    harness.run_steps(2);
    harness.get_by_label_contains("1 kept, 1 gained, 1 lost (1 false positive)");
    harness
        .get_by_label("Take 1 verdict(s) from the earlier run")
        .click();
    harness.run_steps(2);
    let run = reviewed_run(&harness);
    assert_eq!(
        run.get(at(0)).and_then(|d| d.verdict),
        Some(Verdict::TruePositive),
        "the kept call keeps its verdict"
    );
    assert_eq!(run.get(at(1)).and_then(|d| d.verdict), None);

    // Only the gained detection is left to review.
    harness.get_by_label("Review only the 1 gained").click();
    harness.run_steps(2);
    assert_eq!(harness.state().ui.review.queue, vec![at(1)]);
    harness.get_by_label_contains("1 / 1");
    harness.key_press(egui::Key::ArrowUp);
    harness.run_steps(2);
    let run = reviewed_run(&harness);
    assert_eq!(
        run.counts().true_positives,
        2,
        "the whole run is judged after one verdict"
    );
    // Undo takes the carried verdicts back as one step after the single verdict.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(reviewed_run(&harness).counts().reviewed(), 0);
}

/// A project with one run of 18 detections scoring 0.55 to 0.98, the upper half judged calls
/// and the lower half false positives, and one left unjudged.
fn project_with_judged_run(dir: &Path) -> PathBuf {
    let mut project = sparse_project(dir, 1);
    let recording = project.recordings[0].id;
    let model = dir.join("models/model_01");
    let mut run = run_of(1, &model, recording, &[]);
    let scores: Vec<f32> = (0..40)
        .map(|i| {
            if i % 2 == 1 && i < 38 {
                0.55 + 0.025 * (i / 2) as f32
            } else {
                0.1
            }
        })
        .collect();
    run.recordings.clear();
    run.pending = vec![recording];
    run.add_scores(
        recording,
        WindowScores {
            window_secs: 1.0,
            start_secs: (0..40).map(f64::from).collect(),
            scores,
            envelope: None,
        },
    );
    let n = run.recordings[0].detections.len();
    assert_eq!(n, 19);
    for i in 0..n - 1 {
        let call = run.recordings[0].detections[i].detection.max_score > 0.77;
        run.set_verdict(
            at(i),
            Some(if call {
                Verdict::TruePositive
            } else {
                Verdict::FalsePositive
            }),
        );
    }
    // The same model over the same recording again, not reviewed: where the calibration is
    // applied.
    let mut again = run.clone();
    again.id = 2;
    for d in &mut again.recordings[0].detections {
        d.verdict = None;
    }
    project.add_run(run);
    project.add_run(again);
    project.models = vec![model];
    let path = dir.join("calls.syrinx");
    project.save(&path).unwrap();
    path
}

#[test]
fn scores_become_probabilities_kept_with_the_run_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_judged_run(dir.path());
    let mut harness = open_project(&path, dir.path());
    harness.set_size(egui::vec2(1400.0, 2400.0));
    let ctx = harness.ctx.clone();
    assert!(harness.state_mut().run_command_named(&ctx, "Review panel"));
    settle(&mut harness);
    harness
        .state_mut()
        .review_action(ReviewAction::SelectRun(1));
    harness.run_steps(2);
    harness.get_by_label("Scores as probabilities").click();
    harness.run_steps(2);
    settle(&mut harness);
    harness.get_by_label("Fitted from 18 verdict(s), 9 of them calls.");
    // The sample: 5 from each of 6 bands of equal width in logits, fewer where a band holds
    // fewer (the top bands of this run hold one or two).
    harness
        .get_by_label_contains("Review only the sample")
        .click();
    harness.run_steps(2);
    let sample = harness.state().ui.review.queue.clone();
    assert!(
        (6..19).contains(&sample.len()),
        "{} sampled of 19",
        sample.len()
    );
    let run = reviewed_run(&harness);
    let scores: Vec<f32> = sample
        .iter()
        .map(|a| run.get(*a).unwrap().detection.max_score)
        .collect();
    assert!(
        scores[0] < 0.6
            && scores[scores.len() - 1] > 0.95
            && scores.windows(2).all(|w| w[0] <= w[1]),
        "from the lowest band to the highest, lowest first: {scores:?}"
    );

    harness.get_by_label("Keep with the run").click();
    harness.run_steps(2);
    let run = reviewed_run(&harness);
    let calibration = run.calibration.clone().expect("kept with the run");
    assert!(
        calibration.probability(0.95) > 0.8 && calibration.probability(0.6) < 0.2,
        "{calibration:?}"
    );
    // Exports give each detection its probability.
    let out = dir.path().join("export");
    let project = harness.state().session.document.project.clone();
    syrinx::export::export_run(
        &project,
        &run,
        &out,
        &[syrinx::annotation::TableFormat::Csv],
    )
    .unwrap();
    let table =
        syrinx::annotation::read_table(&out.join(syrinx::export::DETECTIONS_CSV_FILE)).unwrap();
    assert_eq!(table.rows.len(), 19);
    for row in &table.rows {
        let p: f64 = row.values[syrinx::calibrate::PROBABILITY_COLUMN]
            .parse()
            .unwrap();
        let expected = calibration.probability(row.score.unwrap() as f32);
        assert!((p - expected).abs() < 1e-3, "{p} vs {expected}");
    }
    // Counted with it, per recording and site; undone in one step.
    harness.get_by_label("Calls and activity").click();
    harness.run_steps(2);
    settle(&mut harness);
    harness.get_by_label("Per site");
    harness.get_by_label_contains("the run's calibration");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert!(reviewed_run(&harness).calibration.is_none());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.run_steps(2);
    assert!(reviewed_run(&harness).calibration.is_some(), "redone");

    // The model's other run takes it: its counts and threshold without a verdict of its own.
    harness
        .state_mut()
        .review_action(ReviewAction::SelectRun(2));
    harness.run_steps(2);
    settle(&mut harness);
    harness.get_by_label_contains("no verdicts to calibrate from");
    harness
        .get_by_label_contains("Use the calibration of run 1")
        .click();
    harness.run_steps(2);
    settle(&mut harness);
    let applied = reviewed_run(&harness);
    assert_eq!(applied.id, 2);
    assert_eq!(applied.calibration.as_ref(), Some(&calibration));
    harness.get_by_label("The run's calibration, fitted from 18 verdict(s), 9 of them calls.");
    harness.get_by_label_contains("Threshold 0.");
}

//! Detection and review in the desktop app through egui_kittest: a background detection run
//! over the project, review keys, the one-click "Add false positives to negatives", threshold
//! changes that keep verdicts, a missed call drawn during review, and verdicts saved.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use syrinx::annotation::SelectionKind;
use syrinx::dataset::DatasetConfig;
use syrinx::gui::{DetectScope, ReviewAction, SyrinxApp};
use syrinx::project::Project;
use syrinx::project::runs::Verdict;
use syrinx::review;

use super::gui::settle;
use super::gui_annotate::{drag, point};
use super::gui_train::{open_project, step_until};
use super::review::sparse_project;
use super::train::{small_input, small_settings};

/// A saved project of generated chirps and tones with a small trained model (iteration 1).
fn project_with_model(dir: &Path) -> PathBuf {
    let mut project = sparse_project(dir, 3);
    project.model_input = small_input();
    // These tests are about reviewing: a quick model without cross-validation's folds.
    let config = DatasetConfig {
        input: small_input(),
        seed: 3,
        max_background_per_recording: 4,
        cv_folds: 0,
        ..DatasetConfig::default()
    };
    let outcome = syrinx::train::train_project(
        &project,
        None,
        &[],
        &config,
        &small_settings(10),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    // The small test network barely separates the classes in ten epochs; these tests are about
    // reviewing, so its runs merge positive windows as models from before peak picking do
    // (which also keeps that path tested in the app).
    let mut outcome = outcome;
    outcome.artifact.info.detection = None;
    let model_dir = dir.join("models/model_01");
    outcome.artifact.save(&model_dir).unwrap();
    project.models.push(model_dir);
    let path = dir.join("calls.syrinx");
    project.save(&path).unwrap();
    path
}

/// Runs detection over the whole project from the Detect window (the model's threshold).
fn detect_all(harness: &mut Harness<'static, SyrinxApp>) {
    harness.state_mut().open_detect();
    harness.state_mut().ui.detect.scope = DetectScope::Project;
    harness.state_mut().ui.detect.threshold = None;
    harness.state_mut().ui.detect.hop_secs = Some(0.25);
    harness.run_steps(3);
    harness.get_by_label("Start detection").click();
    harness.run_steps(1);
    assert!(harness.state().ui.detect.is_running());
    step_until(harness, |app| !app.ui.detect.is_running());
    settle(harness);
}

/// Clicks Start detection and cancels in the same frame; waits until the job has ended.
fn start_and_cancel_detection(harness: &mut Harness<'static, SyrinxApp>) {
    harness.run_steps(3);
    harness.get_by_label("Start detection").click();
    harness.run_steps(1);
    harness.state_mut().ui.detect.cancel();
    step_until(harness, |app| !app.ui.detect.is_running());
    settle(harness);
}

fn verdict_at(app: &SyrinxApp, n: usize) -> Option<Verdict> {
    let run = app.ui.review.run(&app.session.document.project).unwrap();
    run.get(app.ui.review.queue[n]).unwrap().verdict
}

#[test]
fn detection_runs_in_the_background_and_review_keys_set_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let mut harness = open_project(&path, dir.path());
    detect_all(&mut harness);
    {
        let app = harness.state();
        let run = &app.session.document.project.detection_runs[0];
        assert_eq!(run.recordings.len(), 3, "{:?}", app.session.messages);
        assert!(run.pending.is_empty());
        assert_eq!(run.iteration, 1);
        assert!(run.counts().detections >= 4, "{:?}", run.counts());
        assert!(run.merge.peaks.is_none(), "the model merges runs");
        assert!(
            app.ui.review.open,
            "the Review panel opens when detection finishes"
        );
        assert!(app.session.document.is_dirty());
    }
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Reviewed 0 of").is_some());
    // Review opened on the first detection: its recording is shown, the detection in view.
    settle(&mut harness);
    {
        let app = harness.state();
        let run = app.ui.review.run(&app.session.document.project).unwrap();
        let first = app.ui.review.queue[0];
        let d = &run.get(first).unwrap().detection;
        let shown = app.active_recording().unwrap();
        assert_eq!(shown.project_id, run.recording_of(first).unwrap());
        assert!(
            shown.viewport.start_secs <= d.start_secs && d.end_secs <= shown.viewport.end_secs(),
            "{d:?} in {:?}",
            shown.viewport
        );
    }

    // With no box selected, Find more like this searches for the detection under review.
    {
        let ctx = harness.ctx.clone();
        harness.state_mut().workspace.annotator.selected.clear();
        assert!(
            harness
                .state_mut()
                .run_command_named(&ctx, "Find more like this")
        );
        let app = harness.state();
        let run = app.ui.review.run(&app.session.document.project).unwrap();
        let at = app.ui.review.current().unwrap();
        let query = app.ui.similar.query.clone().unwrap();
        assert_eq!(Some(query.query.recording), run.recording_of(at));
        assert_eq!(
            query.query.start_secs,
            run.get(at).unwrap().detection.start_secs
        );
        assert_eq!(query.label, run.label);
        settle(&mut harness);
        assert!(harness.state().ui.similar.outcome.is_some());
        harness.state_mut().ui.similar.open = false;
    }

    // ↑/T true, ↓/F false, U unsure, each moving on; Z undoes; ← goes back.
    harness.key_press(egui::Key::T);
    harness.run_steps(1);
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(1);
    harness.key_press(egui::Key::U);
    harness.run_steps(1);
    {
        let app = harness.state();
        assert_eq!(verdict_at(app, 0), Some(Verdict::TruePositive));
        assert_eq!(verdict_at(app, 1), Some(Verdict::FalsePositive));
        assert_eq!(verdict_at(app, 2), Some(Verdict::Unsure));
        assert_eq!(app.ui.review.position, 3);
    }
    harness.key_press(egui::Key::Z);
    harness.run_steps(1);
    assert_eq!(verdict_at(harness.state(), 2), None);
    assert_eq!(harness.state().ui.review.position, 2);
    harness.key_press(egui::Key::ArrowLeft);
    harness.run_steps(1);
    assert_eq!(harness.state().ui.review.position, 1);
    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(1);
    harness.key_press(egui::Key::F);
    harness.run_steps(2);
    assert_eq!(verdict_at(harness.state(), 2), Some(Verdict::FalsePositive));
    // The view centres on the current detection.
    {
        let app = harness.state();
        let run = app.ui.review.run(&app.session.document.project).unwrap();
        let at = app.ui.review.current().unwrap();
        let d = &run.get(at).unwrap().detection;
        let shown = app.active_recording().unwrap();
        assert_eq!(Some(shown.project_id), run.recording_of(at));
        let centre = f64::midpoint(d.start_secs, d.end_secs);
        let view = shown.viewport;
        assert!(
            view.start_secs <= d.start_secs.max(0.0) && centre <= view.end_secs(),
            "{view:?} does not show {d:?}"
        );
    }
    assert!(harness.query_by_label_contains("Reviewed 3 of").is_some());
    // Verdicts are steps of the project's one history: Ctrl+Z takes the last back and shows
    // its detection; Ctrl+Shift+Z gives it again.
    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(1);
    assert_eq!(verdict_at(harness.state(), 2), None);
    assert_eq!(harness.state().ui.review.position, 2);
    harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Z,
    );
    harness.run_steps(1);
    assert_eq!(verdict_at(harness.state(), 2), Some(Verdict::FalsePositive));

    // One click: both false positives become negatives with provenance; undo takes them back;
    // the N key adds them again.
    let before = harness.state().session.document.project.selections.len();
    harness
        .get_by_label("Add false positives to negatives (2)")
        .click();
    harness.run_steps(2);
    let negatives = |app: &SyrinxApp| -> Vec<syrinx::annotation::Selection> {
        app.session
            .document
            .project
            .selections
            .items()
            .iter()
            .filter(|s| {
                s.extra.get(review::SOURCE_COLUMN).map(String::as_str)
                    == Some(review::FALSE_POSITIVE_SOURCE)
            })
            .cloned()
            .collect()
    };
    let added = negatives(harness.state());
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|s| s.kind == SelectionKind::Negative));
    assert!(
        added
            .iter()
            .all(|s| s.extra[review::ITERATION_COLUMN] == "1")
    );
    assert_eq!(
        harness.state().session.document.project.selections.len(),
        before + 2
    );
    assert!(
        harness
            .query_by_label("Add false positives to negatives (0)")
            .is_some()
    );
    harness.state_mut().undo();
    harness.run_steps(1);
    assert!(negatives(harness.state()).is_empty());
    harness.key_press(egui::Key::N);
    harness.run_steps(1);
    assert_eq!(negatives(harness.state()).len(), 2);

    // A stricter threshold re-merges at once; going back restores the verdicts.
    let counts = |harness: &Harness<'static, SyrinxApp>| {
        harness.state().session.document.project.detection_runs[0].counts()
    };
    let all = counts(&harness);
    let threshold = harness.state().session.document.project.detection_runs[0]
        .merge
        .threshold;
    harness
        .state_mut()
        .review_action(ReviewAction::SetThreshold(0.999));
    harness.run_steps(1);
    let strict = counts(&harness);
    assert!(strict.detections < all.detections);
    // A threshold change is an undo step (a slider's drag is one).
    harness.state_mut().undo();
    harness.run_steps(1);
    assert_eq!(counts(&harness), all);
    harness.state_mut().redo();
    harness.run_steps(1);
    assert_eq!(counts(&harness), strict);
    harness
        .state_mut()
        .review_action(ReviewAction::SetThreshold(threshold));
    harness.run_steps(1);
    assert_eq!(counts(&harness), all);

    // Verdicts and runs are saved in the project.
    harness.state_mut().save_project();
    settle(&mut harness);
    assert!(
        !harness.state().session.document.is_dirty(),
        "{:?}",
        harness.state().session.messages
    );
    let (saved, _) = Project::load(&path).unwrap();
    assert_eq!(saved.detection_runs[0].counts(), all);
    assert_eq!(
        saved.detection_runs,
        harness.state().session.document.project.detection_runs
    );
}

#[test]
fn a_box_drawn_while_reviewing_is_a_missed_call_and_detections_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let mut harness = open_project(&path, dir.path());
    detect_all(&mut harness);
    // Draw with the Negative kind chosen: during review the box is still a positive.
    harness.state_mut().workspace.annotator.kind = SelectionKind::Negative;
    // Review jumped to the first detection; back to the recording's start.
    harness.key_press(egui::Key::Home);
    harness.run_steps(2);
    let start_secs = harness
        .state()
        .active_recording()
        .unwrap()
        .viewport
        .start_secs;
    let before = harness.state().session.document.project.selections.len();
    // Sounds start at 1 s: the first second is free.
    assert!(start_secs < 0.1);
    let from = point(&harness, 0.1, 1_500.0);
    let to = point(&harness, 0.7, 2_500.0);
    drag(&mut harness, from, to, egui::Modifiers::NONE);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.session.document.project.selections.len(), before + 1);
    let drawn = app
        .session
        .document
        .project
        .selections
        .items()
        .iter()
        .find(|s| {
            s.extra.get(review::SOURCE_COLUMN).map(String::as_str)
                == Some(review::MISSED_CALL_SOURCE)
        })
        .expect("the drawn box carries its provenance");
    assert_eq!(drawn.kind, SelectionKind::Positive);
    assert_eq!(drawn.extra[review::ITERATION_COLUMN], "1");

    harness.key_press(egui::Key::T);
    harness.run_steps(1);
    // Export writes per-recording Raven tables with scores and file columns, plus the rest.
    harness
        .state_mut()
        .review_action(ReviewAction::ExportDetections);
    settle(&mut harness);
    let out = dir.path().join("detections/run_01");
    let combined =
        std::fs::read_to_string(out.join(syrinx::export::DETECTIONS_RAVEN_FILE)).unwrap();
    let header = combined.lines().next().unwrap();
    for column in [
        "Begin File",
        "File Offset (s)",
        "Begin Path",
        "Score",
        "Verdict",
    ] {
        assert!(header.contains(column), "{column} missing from {header}");
    }
    let counts = std::fs::read_to_string(out.join(syrinx::export::COUNTS_FILE)).unwrap();
    assert_eq!(counts.lines().count(), 4, "{counts}");
    assert!(out.join("sparse00.selections.txt").is_file());
    assert!(out.join("sparse00.txt").is_file());
    assert!(out.join(syrinx::export::DETECTIONS_CSV_FILE).is_file());
}

#[test]
fn an_interrupted_run_resumes_and_a_threshold_from_review_is_saved_in_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    // A run that was cut short before scoring anything: all its recordings are pending.
    let (mut project, _) = Project::load(&path).unwrap();
    let model_dir = project.models[0].clone();
    let info = syrinx::model::ModelArtifact::read_info(&model_dir).unwrap();
    let ids = project.recordings.iter().map(|r| r.id).collect();
    project
        .detection_runs
        .push(syrinx::project::runs::DetectionRun::new(
            1,
            model_dir.clone(),
            &info,
            0.25,
            syrinx::detect::MergeSettings {
                threshold: info.threshold,
                min_gap_secs: 0.0,
                min_duration_secs: 0.0,
                peaks: None,
            },
            ids,
        ));
    project.save(&path).unwrap();
    let mut harness = open_project(&path, dir.path());
    harness.state_mut().open_detect();
    harness.run_steps(3);
    harness.get_by_label("Resume run 1 (3 left)").click();
    harness.run_steps(1);
    assert!(harness.state().ui.detect.is_running());
    step_until(&mut harness, |app| !app.ui.detect.is_running());
    settle(&mut harness);
    {
        let run = &harness.state().session.document.project.detection_runs[0];
        assert!(run.pending.is_empty());
        assert_eq!(run.recordings.len(), 3);
        assert_eq!(
            harness
                .state()
                .session
                .document
                .project
                .detection_runs
                .len(),
            1
        );
    }
    harness
        .state_mut()
        .review_action(ReviewAction::SaveThreshold(0.77));
    settle(&mut harness);
    let saved = syrinx::model::ModelArtifact::read_info(&model_dir).unwrap();
    assert!((saved.threshold - 0.77).abs() < 1e-6);
    // Deleting a run asks first.
    harness.run_steps(2);
    harness.get_by_label("Delete run").click();
    harness.run_steps(2);
    assert_eq!(
        harness
            .state()
            .session
            .document
            .project
            .detection_runs
            .len(),
        1
    );
    let run_before = harness.state().session.document.project.detection_runs[0].clone();
    harness.get_by_label("Really delete").click();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .session
            .document
            .project
            .detection_runs
            .is_empty()
    );
    // An autosave meanwhile keeps its scores, so undo brings it back whole.
    harness.state_mut().save_project();
    settle(&mut harness);
    harness.state_mut().undo();
    harness.run_steps(2);
    assert_eq!(
        harness.state().session.document.project.detection_runs,
        vec![run_before.clone()]
    );
    harness.state_mut().redo();
    harness.run_steps(1);
    assert!(
        harness
            .state()
            .session
            .document
            .project
            .detection_runs
            .is_empty()
    );
    harness.state_mut().undo();
    harness
        .state_mut()
        .review_action(ReviewAction::SetThreshold(0.01));
    harness.run_steps(1);
    assert!(
        harness.state().session.document.project.detection_runs[0].recordings[0]
            .scores
            .get()
            .is_ok(),
        "the scores are still readable"
    );
    harness.state_mut().undo();
    harness.run_steps(1);
    assert_eq!(
        harness.state().session.document.project.detection_runs,
        vec![run_before]
    );
    // The weights are untouched: the model still loads.
    syrinx::model::ModelArtifact::load(
        &model_dir,
        &syrinx::model::ComputeDevice::Cpu.device().unwrap(),
    )
    .unwrap();
}

#[test]
fn cancelling_detection_at_once_keeps_the_project_and_model_and_a_crashed_job_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let model_json = dir.path().join("models/model_01/model.json");
    let model_before = std::fs::read(&model_json).unwrap();
    let mut harness = open_project(&path, dir.path());
    let selections_before = harness.state().session.document.project.selections.clone();
    harness.state_mut().open_detect();
    harness.state_mut().ui.detect.scope = DetectScope::Project;
    // Cancel in the same frame the batch started: however far it got, nothing is lost.
    start_and_cancel_detection(&mut harness);
    {
        let app = harness.state();
        assert_eq!(app.session.document.project.selections, selections_before);
        if let Some(run) = app.session.document.project.detection_runs.first() {
            assert_eq!(run.recordings.len() + run.pending.len(), 3, "{run:?}");
            assert!(run.failed.is_empty());
        }
    }
    assert_eq!(std::fs::read(&model_json).unwrap(), model_before);
    // A background job that panics becomes an error message; the app goes on working.
    harness.state_mut().spawn_panicking_job_for_tests();
    settle(&mut harness);
    assert!(
        harness
            .state()
            .session
            .messages
            .iter()
            .any(|m| m.is_error && m.text.contains("deliberate failure")),
        "{:?}",
        harness.state().session.messages
    );
    // A search that fails stops its spinner, so the window does not wait for ever.
    harness.state_mut().spawn_panicking_search_for_tests();
    assert!(harness.state().ui.similar.searching);
    settle(&mut harness);
    assert!(!harness.state().ui.similar.searching);
    harness.state_mut().save_project();
    settle(&mut harness);
    assert!(!harness.state().session.document.is_dirty());
    let (saved, _) = Project::load(&path).unwrap();
    assert_eq!(saved.selections, selections_before);
}

/// The spectrogram's width on screen: from the view's start to its end.
fn spectrogram_width(app: &SyrinxApp) -> f32 {
    let view = app.active_recording().unwrap().viewport;
    let left = app.screen_point(view.start_secs, 1_000.0).unwrap();
    let right = app.screen_point(view.end_secs(), 1_000.0).unwrap();
    right.x - left.x
}

#[test]
fn a_laptop_screen_keeps_a_usable_spectrogram_with_review_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let mut harness = open_project(&path, dir.path());
    harness.set_size(egui::vec2(1280.0, 720.0));
    detect_all(&mut harness);
    assert!(harness.state().ui.review.open);
    harness.run_steps(3);
    let width = spectrogram_width(harness.state());
    // Recordings list and the side panel (Review and the settings as tabs) leave over half to
    // the spectrogram: its plot (612 px) and, right of it, its colour bar in dB (54 px).
    assert!(width > 600.0, "{width} px of 1280");
    // Switching tabs does not change it, and many frames later it has not crept.
    harness.get_by_label("Spectrogram").click();
    harness.run_steps(3);
    assert!(!harness.state().ui.review.open);
    assert!((spectrogram_width(harness.state()) - width).abs() < 1.0);
    harness.get_by_label("Review").click();
    for _ in 0..30 {
        harness.key_press(egui::Key::ArrowRight);
        harness.run_steps(2);
    }
    assert!((spectrogram_width(harness.state()) - width).abs() < 1.0);
    // Hidden, the side panel leaves a narrow strip.
    harness.get_by_label("»").click();
    harness.run_steps(3);
    assert!(spectrogram_width(harness.state()) > width + 200.0);
}

#[test]
fn a_cancelled_detection_run_does_not_take_review_from_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let mut harness = open_project(&path, dir.path());
    detect_all(&mut harness);
    let first = harness.state().session.document.project.detection_runs[0].id;
    harness
        .state_mut()
        .review_action(ReviewAction::Verdict(Some(Verdict::TruePositive)));
    harness.state_mut().open_detect();
    start_and_cancel_detection(&mut harness);
    let app = harness.state();
    let shown = app.ui.review.run(&app.session.document.project).unwrap();
    assert_eq!(shown.id, first, "Review still shows the finished run");
    assert_eq!(shown.counts().true_positives, 1, "with its verdicts");
}

#[test]
fn every_finished_run_takes_review_to_its_first_detection() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let mut harness = open_project(&path, dir.path());
    // The Detect window says which model will run and what it learnt from.
    harness.state_mut().open_detect();
    step_until(&mut harness, |app| {
        !app.ui.detect.model_descriptions.is_empty()
    });
    harness.run_steps(2);
    let said = harness.state().ui.detect.chosen_model_text();
    assert!(
        said.starts_with("model_01: ")
            && said.contains("iteration 1")
            && said.contains("positive and"),
        "{said}"
    );
    assert!(harness.query_by_label(&said).is_some());
    // A folder typed that is not one of the project's models is read in the background.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for file in std::fs::read_dir(dir.path().join("models/model_01")).unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(&file, elsewhere.join(file.file_name().unwrap())).unwrap();
    }
    let typed = harness.state().ui.detect.model_text.clone();
    harness.state_mut().ui.detect.model_text = "elsewhere".to_owned();
    step_until(&mut harness, |app| {
        app.ui.detect.chosen_model_text().contains("iteration 1")
    });
    assert!(
        harness
            .state()
            .ui
            .detect
            .chosen_model_text()
            .starts_with("elsewhere: ")
    );
    harness.state_mut().ui.detect.model_text = "nowhere".to_owned();
    step_until(&mut harness, |app| {
        app.ui.detect.chosen_model_text().contains("cannot be read")
    });
    harness.state_mut().ui.detect.model_text = typed;
    detect_all(&mut harness);
    let first_name = harness.state().session.document.project.detection_runs[0].name();
    assert!(first_name.ends_with("· whole project"), "{first_name}");
    // Review moves on to a detection of another recording than the first's.
    let moved = {
        let app = harness.state();
        let run = app.ui.review.run(&app.session.document.project).unwrap();
        let first = run.recording_of(app.ui.review.queue[0]);
        app.ui
            .review
            .queue
            .iter()
            .position(|at| run.recording_of(*at) != first)
            .expect("detections on two recordings")
    };
    for _ in 0..moved {
        harness
            .state_mut()
            .review_action(ReviewAction::Verdict(Some(Verdict::TruePositive)));
    }
    settle(&mut harness);
    let before = harness.state().active_recording().unwrap().project_id;
    // A second run, with Review open on the first's later detection.
    detect_all(&mut harness);
    let app = harness.state();
    let runs = &app.session.document.project.detection_runs;
    assert_eq!(runs.len(), 2);
    let run = app.ui.review.run(&app.session.document.project).unwrap();
    assert_eq!(
        run.id, runs[1].id,
        "Review shows the run that just finished"
    );
    assert_eq!(app.ui.review.position, 0, "at its first detection");
    let first = app.ui.review.queue[0];
    let d = &run.get(first).unwrap().detection;
    let shown = app.active_recording().unwrap();
    assert_eq!(shown.project_id, run.recording_of(first).unwrap());
    assert_ne!(
        shown.project_id, before,
        "the spectrogram left the recording the last verdict was on"
    );
    assert!(
        shown.viewport.start_secs <= d.start_secs && d.end_secs <= shown.viewport.end_secs(),
        "{d:?} in {:?}",
        shown.viewport
    );
    // The pane draws each detection's own box: its energy's time and band, the current one
    // marked.
    let views = app.ui.review.detection_views(
        &app.session.document.project,
        shown.project_id,
        shown.viewport.start_secs,
        shown.viewport.end_secs(),
    );
    let current = views
        .iter()
        .find(|v| v.current)
        .expect("the current detection");
    assert_eq!(
        (current.start_secs, current.end_secs),
        (d.start_secs, d.end_secs)
    );
    assert!(d.band_hz.is_some(), "framed by its energy: {d:?}");
    assert_eq!(current.band_hz, d.band_hz);
}

#[test]
fn a_run_from_syrinx_detect_with_project_is_reviewed_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    let (project, _) = Project::load(&path).unwrap();
    let mut args: Vec<String> = [
        "detect",
        "--model",
        dir.path().join("models/model_01").to_str().unwrap(),
        "--out",
        dir.path().join("cluster_out").to_str().unwrap(),
        "--project",
        path.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(
        project
            .recordings
            .iter()
            .map(|r| r.path.display().to_string()),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut harness = open_project(&path, dir.path());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::R);
    settle(&mut harness);
    {
        let app = harness.state();
        let run = app
            .ui
            .review
            .run(&app.session.document.project)
            .expect("the CLI's run");
        assert_eq!(run.recordings.len(), 3);
        assert_eq!(run.iteration, 1, "model_01 is the project's first model");
        // Named by what it covered: three paths given.
        assert!(run.name().ends_with("· 3 paths"), "{}", run.name());
        assert!(!app.ui.review.queue.is_empty());
        // Review opened on its first detection.
        let first = app.ui.review.queue[0];
        assert_eq!(
            app.active_recording().unwrap().project_id,
            run.recording_of(first).unwrap()
        );
    }
    harness.key_press(egui::Key::ArrowUp);
    harness.run_steps(1);
    let app = harness.state();
    let run = app.ui.review.run(&app.session.document.project).unwrap();
    assert_eq!(run.counts().true_positives, 1);
}

#[test]
fn a_run_scored_by_the_command_line_is_reviewed_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let path = project_with_model(dir.path());
    // What a cluster job does: score the project's recordings headless, into the project.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args([
            "detect",
            "--model",
            dir.path().join("models/model_01").to_str().unwrap(),
            "--hop-secs",
            "0.25",
            "--project",
            path.to_str().unwrap(),
            "--scope",
            "all",
            "--out",
            dir.path().join("cluster_out").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut harness = open_project(&path, dir.path());
    assert!(
        harness.state().session.document.project.detection_runs[0]
            .recordings
            .iter()
            .all(|r| !r.scores.is_loaded()),
        "opening the project leaves the scores on disk"
    );
    // Review opens on the run as if the app had made it.
    let ctx = harness.ctx.clone();
    assert!(harness.state_mut().run_command_named(&ctx, "Review panel"));
    settle(&mut harness);
    let detections = {
        let app = harness.state();
        let run = app
            .ui
            .review
            .run(&app.session.document.project)
            .expect("the command line's run is shown");
        assert_eq!(run.recordings.len(), 3);
        assert!(run.pending.is_empty());
        assert_eq!(run.iteration, 1, "it knows the project's model");
        run.counts().detections
    };
    assert!(detections >= 4, "{detections}");
    harness
        .get_by_label_contains(&format!("Reviewed 0 of {detections}"))
        .hover();
    // Verdicts by key, saved into the same project.
    harness.key_press(egui::Key::T);
    harness.run_steps(2);
    assert_eq!(verdict_at(harness.state(), 0), Some(Verdict::TruePositive));
    // A new threshold re-merges from the scores on disk; going back brings the verdict back.
    let counts = |harness: &Harness<'static, SyrinxApp>| {
        let app = harness.state();
        app.ui
            .review
            .run(&app.session.document.project)
            .unwrap()
            .counts()
    };
    let reviewed = counts(&harness);
    assert_eq!(reviewed.true_positives, 1);
    let threshold = harness.state().session.document.project.detection_runs[0]
        .merge
        .threshold;
    harness
        .state_mut()
        .review_action(ReviewAction::SetThreshold(0.999));
    harness.run_steps(2);
    assert!(counts(&harness).detections < reviewed.detections);
    harness
        .state_mut()
        .review_action(ReviewAction::SetThreshold(threshold));
    harness.run_steps(2);
    assert_eq!(counts(&harness), reviewed);
    assert!(
        harness.state().session.messages.iter().all(|m| !m.is_error),
        "{:?}",
        harness.state().session.messages
    );
    let app = harness.state();
    let run = app.ui.review.run(&app.session.document.project).unwrap();
    assert!(run.recordings.iter().all(|r| r.scores.is_loaded()));
}

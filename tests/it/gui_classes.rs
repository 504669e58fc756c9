//! A multi-class model in the desktop app: the Detect window makes one run per class, and
//! review keys say a detection is another class (a positive of it, with provenance, and a
//! false positive of its run), as one undo step.

use eframe::egui;
use egui_kittest::kittest::Queryable;
use syrinx::annotation::SelectionKind;
use syrinx::gui::DetectScope;
use syrinx::project::Project;
use syrinx::project::runs::Verdict;
use syrinx::review;

use super::gui::settle;
use super::gui_train::{open_project, step_until};
use super::multiclass::{CLASSES, train_three_species};
use super::train::small_input;

#[test]
fn a_multi_class_model_detects_one_run_per_class_and_review_keys_set_a_detections_class() {
    let dir = tempfile::tempdir().unwrap();
    let demo = syrinx::demo::species::write_species_demo(dir.path()).unwrap();
    let (mut project, _) = Project::load(&demo.project).unwrap();
    project.model_input = small_input();
    let outcome = train_three_species(&project);
    let model_dir = dir.path().join("models/model_01");
    outcome.artifact.save(&model_dir).unwrap();
    project.models.push(model_dir.clone());
    project.save(&demo.project).unwrap();

    let mut harness = open_project(&demo.project, dir.path());
    harness.state_mut().open_detect();
    harness.state_mut().ui.detect.scope = DetectScope::Project;
    harness.run_steps(3);
    harness.get_by_label("Start detection").click();
    harness.run_steps(1);
    assert!(harness.state().ui.detect.is_running());
    step_until(&mut harness, |app| !app.ui.detect.is_running());
    settle(&mut harness);

    // One run per class, each over every recording, cut at its class's threshold.
    let recordings = harness.state().session.document.project.recordings.len();
    {
        let app = harness.state();
        let runs = &app.session.document.project.detection_runs;
        let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, CLASSES, "{:?}", app.session.messages);
        for (run, class) in runs.iter().zip(&outcome.artifact.info.class_metrics) {
            assert_eq!(run.recordings.len(), recordings);
            assert!(run.pending.is_empty());
            assert_eq!(run.merge.threshold, class.threshold);
            assert!(run.counts().detections > 0, "{}", run.label);
        }
        // Review shows the first class's run.
        let shown = app.ui.review.run(&app.session.document.project).unwrap();
        assert_eq!(shown.label, "fall");
    }
    assert!(harness.query_by_label_contains("in 3 class runs").is_some());

    // C opens the other classes; 2 picks the second ("tone": the run is "fall").
    let selections_before = harness.state().session.document.project.selections.len();
    let at = harness.state().ui.review.current().unwrap();
    harness.key_press(egui::Key::C);
    harness.run_steps(2);
    assert!(harness.state().ui.review.picking_class);
    assert!(harness.query_by_label("2 tone").is_some());
    harness.key_press(egui::Key::Num2);
    harness.run_steps(2);
    {
        let app = harness.state();
        let project = &app.session.document.project;
        assert!(!app.ui.review.picking_class);
        assert_eq!(project.selections.len(), selections_before + 1);
        let run = &project.detection_runs[0];
        let detection = run.get(at).unwrap();
        assert_eq!(detection.verdict, Some(Verdict::FalsePositive));
        let made = project.selections.get(detection.negative.unwrap()).unwrap();
        assert_eq!(made.kind, SelectionKind::Positive);
        assert_eq!(made.label, "tone");
        assert_eq!(made.recording, run.recording_of(at).unwrap());
        assert!((made.start_secs - detection.detection.start_secs).abs() < 1e-9);
        assert_eq!(
            made.extra[review::SOURCE_COLUMN],
            review::RECLASSIFIED_SOURCE
        );
        assert_eq!(made.extra[review::DETECTED_AS_COLUMN], "fall");
        // No negative is made for it: the positive already says "not fall".
        let plan = review::plan_false_positive_negatives(
            project,
            run,
            &review::NegativeOptions {
                include_test: true,
                ..review::NegativeOptions::default()
            },
        );
        assert!(!plan.sources.contains(&at), "{plan:?}");
        // Review moved on.
        assert_eq!(app.ui.review.position, 1);
    }
    // Z takes the whole step back.
    harness.key_press(egui::Key::Z);
    harness.run_steps(2);
    let app = harness.state();
    let project = &app.session.document.project;
    assert_eq!(project.selections.len(), selections_before);
    let detection = project.detection_runs[0].get(at).unwrap();
    assert_eq!(detection.verdict, None);
    assert_eq!(detection.negative, None);
}

//! The README's first session through the core functions the app and the command line call,
//! with every default: train on the demo, detect over the survey, review it (the reviewer here is
//! the demo's truth), add the false positives as negatives, train again, and judge both
//! iterations on the held-out test recordings event by event, as `syrinx evaluate` does.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use syrinx::annotation::{Edit, ProjectRecordingId, SelectionKind};
use syrinx::demo::{TARGET_LABEL, write_demo};
use syrinx::evaluate::EventMetrics;
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::project::UndoStack;
use syrinx::project::runs::{DetectionRun, ReviewOrder, Verdict};
use syrinx::project::{Project, Split};
use syrinx::review::{self, NegativeOptions, plan_false_positive_negatives};
use syrinx::scoring::score_recording;
use syrinx::train::{InputSource, TrainSettings, project_config_from, train_project};

/// Trains the next iteration with the app's and the CLI's defaults and adds it to the project.
fn train_next(project: &mut Project, dir: &Path) -> std::path::PathBuf {
    let (config, settings, _) =
        project_config_from(project, &[], &TrainSettings::default(), InputSource::Auto);
    let outcome = train_project(
        project,
        None,
        &[],
        &config,
        &settings,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model_dir = dir.join(format!("models/model_{:02}", project.next_iteration()));
    outcome.artifact.save(&model_dir).unwrap();
    project.models.push(model_dir.clone());
    model_dir
}

/// The model over `recordings` with its own hop and merge settings (what Detect does).
fn detect(project: &Project, model_dir: &Path, recordings: &[ProjectRecordingId]) -> DetectionRun {
    let model = ModelArtifact::load(model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let hop_secs = model.info.detection_hop_secs();
    let mut run = DetectionRun::new(
        project.next_run_id(),
        model_dir.to_path_buf(),
        &model.info,
        hop_secs,
        model.info.merge_settings(),
        recordings.to_vec(),
    );
    for id in recordings {
        let path = &project.recording(*id).unwrap().path;
        let scores = score_recording(
            &model,
            path,
            hop_secs,
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        run.add_scores(*id, scores);
    }
    run
}

/// The target's calls in a demo recording's truth table.
pub fn truth_calls(demo: &Path, recording: &Path) -> Vec<(f64, f64)> {
    syrinx::demo::truth_calls(demo, recording).unwrap()
}

/// Event-level figures of a run against the demo's truth, matched as `syrinx evaluate` does.
pub fn test_metrics(project: &Project, demo: &Path, run: &DetectionRun) -> EventMetrics {
    syrinx::demo::run_metrics(project, demo, run).unwrap()
}

#[test]
fn reviewing_the_survey_teaches_the_second_iteration_what_the_first_got_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path();
    write_demo(demo).unwrap();
    let (mut project, _) = Project::load(&demo.join("demo.syrinx")).unwrap();
    let survey: Vec<ProjectRecordingId> = project.survey_recordings().map(|r| r.id).collect();
    let test: Vec<ProjectRecordingId> = project
        .recordings
        .iter()
        .filter(|r| r.split == Split::Test)
        .map(|r| r.id)
        .collect();
    assert_eq!((survey.len(), test.len()), (4, 3));

    let model_1 = train_next(&mut project, demo);
    let mut run = detect(&project, &model_1, &survey);
    // The reviewer: a detection over a warbler's call is a true positive, anything else false.
    for at in run.queue(ReviewOrder::ScoreHighFirst) {
        let recording = project.recording(run.recording_of(at).unwrap()).unwrap();
        let d = run.get(at).unwrap().detection.clone();
        let is_call = truth_calls(demo, &recording.path)
            .iter()
            .any(|(start, end)| d.start_secs < *end && *start < d.end_secs);
        let verdict = if is_call {
            Verdict::TruePositive
        } else {
            Verdict::FalsePositive
        };
        run.set_verdict(at, Some(verdict));
    }
    let false_positives = run.counts().false_positives;
    assert!(
        false_positives > 0,
        "the first model should mistake the survey sites' look-alikes: {:?}",
        run.counts()
    );

    let plan = plan_false_positive_negatives(&project, &run, &NegativeOptions::default());
    assert_eq!(plan.selections.len(), false_positives);
    let band_hz = run.band_hz.expect("the model knows its calls' band");
    for negative in &plan.selections {
        // What they are, over their own band (framed by their energy, within the band the
        // model's calls use), with where they came from.
        assert_eq!(negative.kind, SelectionKind::Negative);
        assert_eq!(negative.label, format!("not {TARGET_LABEL}"));
        assert!(
            negative.low_hz >= band_hz.0 && negative.high_hz <= band_hz.1,
            "{negative:?} outside {band_hz:?}"
        );
        assert_eq!(
            negative.extra[review::SOURCE_COLUMN],
            review::FALSE_POSITIVE_SOURCE
        );
        assert_eq!(negative.extra[review::ITERATION_COLUMN], "1");
    }
    let mut history = UndoStack::default();
    history.apply(
        &mut project.selections,
        "add false positives to negatives",
        vec![Edit::Insert(plan.selections.clone())],
    );
    run.mark_negatives(plan.made());
    project.detection_runs.push(run);
    // Counted apart from the target.
    let summary = project.summary();
    assert_eq!(
        summary
            .by_label
            .get(&(SelectionKind::Negative, format!("not {TARGET_LABEL}")))
            .copied(),
        Some(false_positives)
    );

    let model_2 = train_next(&mut project, demo);
    let negatives_in = |model: &Path| {
        let info = ModelArtifact::read_info(model).unwrap();
        info.manifest
            .selections
            .iter()
            .filter(|id| {
                project
                    .selections
                    .get(syrinx::annotation::SelectionId(**id))
                    .is_some_and(|s| s.kind == SelectionKind::Negative)
            })
            .count()
    };
    let (negatives_1, negatives_2) = (negatives_in(&model_1), negatives_in(&model_2));
    assert_eq!(
        negatives_2,
        negatives_1 + false_positives,
        "iteration 2 trains on the reviewed false positives"
    );

    let before = test_metrics(&project, demo, &detect(&project, &model_1, &test));
    let after = test_metrics(&project, demo, &detect(&project, &model_2, &test));
    eprintln!(
        "test recordings: iteration 1 {} FP, {} missed, F1 {:.3}; iteration 2 {} FP, {} missed, F1 {:.3}",
        before.false_positives,
        before.false_negatives,
        before.f1,
        after.false_positives,
        after.false_negatives,
        after.f1
    );
    // Iteration 2 is better: fewer false positives, or (when iteration 1 made none on the test
    // recordings, as some runs of its multi-threaded training do) a higher F1 without any.
    assert!(
        after.false_positives < before.false_positives
            || (before.false_positives == 0 && after.false_positives == 0),
        "false positives on the test recordings: iteration 1 {}, iteration 2 {}",
        before.false_positives,
        after.false_positives
    );
    assert!(after.f1 > before.f1, "{before:?} → {after:?}");

    // The boxes frame the calls: each found call's box is its time within a fifth of its
    // length at either end, and the median intersection over union is at least 0.6.
    let run = detect(&project, &model_2, &test);
    let mut ious = syrinx::demo::run_box_ious(&project, demo, &run).unwrap();
    let found: Vec<f64> = ious.iter().copied().filter(|iou| *iou > 0.0).collect();
    ious.sort_by(f64::total_cmp);
    let median = ious[ious.len() / 2];
    // For comparison: the boxes the windows alone give (what their shared span says).
    let mut windows_only = Vec::new();
    for part in &run.recordings {
        let recording = project.recording(part.recording).unwrap();
        let scores = syrinx::detect::WindowScores {
            envelope: None,
            ..(*part.scores.get().unwrap()).clone()
        };
        let spans: Vec<(f64, f64)> = syrinx::detect::merge(&scores, &run.merge)
            .iter()
            .map(|d| (d.start_secs, d.end_secs))
            .collect();
        let calls = truth_calls(demo, &recording.path);
        windows_only.extend(syrinx::evaluate::best_time_ious(&spans, &calls));
    }
    windows_only.sort_by(f64::total_cmp);
    eprintln!(
        "test recordings, iteration 2: box IoU median {median:.2}, min {:.2}, {} calls (windows alone: median {:.2})",
        ious[0],
        ious.len(),
        windows_only[windows_only.len() / 2]
    );
    assert!(median >= 0.6, "median time IoU {median:.2}: {ious:?}");
    let mut framed = 0;
    for part in &run.recordings {
        let recording = project.recording(part.recording).unwrap();
        for (start, end) in truth_calls(demo, &recording.path) {
            let slack = 0.2 * (end - start);
            framed += usize::from(part.detections.iter().any(|d| {
                (d.detection.start_secs - start).abs() <= slack
                    && (d.detection.end_secs - end).abs() <= slack
            }));
        }
    }
    assert!(
        framed * 10 >= found.len() * 8,
        "{framed} of {} found calls framed within 20 % at both ends: {ious:?}",
        found.len()
    );
}

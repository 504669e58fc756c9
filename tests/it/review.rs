//! The loop through the public API: train → detect → review → false positives become negatives
//! (with provenance, undoably) → retrain → fewer false positives on look-alikes.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use syrinx::annotation::{Edit, ProjectRecordingId, Selection, SelectionKind};
use syrinx::audio::{WavEncoding, probe, write_wav};
use syrinx::dataset::DatasetConfig;
use syrinx::detect::MergeSettings;
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::project::UndoStack;
use syrinx::project::runs::{DetectionRun, ReviewOrder, Verdict};
use syrinx::project::{Project, Split};
use syrinx::review::{self, plan_false_positive_negatives};
use syrinx::scoring::score_recording;
use syrinx::train::train_project;

use super::train::{Layout, generated_project, generated_recordings, small_input, small_settings};

/// `n` recordings of 40 s with chirps (the target) and steady tones (look-alikes) 3–4 s apart,
/// so that each detection holds one sound; every sound is listed as a selection.
pub fn sparse_project(dir: &Path, n: u32) -> Project {
    generated_recordings(
        dir,
        n,
        &Layout {
            secs: 40.0,
            first_secs: 1.0,
            end_margin_secs: 1.5,
            gap_secs: 3.0..4.0,
            seed_base: 1_000,
            stem: "sparse",
            fully_annotated: false,
        },
    )
}

/// Runs `model_dir` over `recordings` of `project` as a new detection run.
fn detect(project: &Project, model_dir: &Path, recordings: &[ProjectRecordingId]) -> DetectionRun {
    let model = ModelArtifact::load(model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let merge = MergeSettings {
        threshold: model.info.threshold,
        min_gap_secs: 0.0,
        min_duration_secs: 0.0,
        peaks: None,
    };
    let mut run = DetectionRun::new(
        project.next_run_id(),
        model_dir.to_path_buf(),
        &model.info,
        0.25,
        merge,
        recordings.to_vec(),
    );
    for id in recordings {
        let path = &project.recording(*id).unwrap().path;
        let scores =
            score_recording(&model, path, 0.25, &AtomicBool::new(false), &mut |_, _| {}).unwrap();
        run.add_scores(*id, scores);
    }
    assert!(run.pending.is_empty());
    run
}

/// An empty run of a made-up model (threshold 0.5, label `chirp`) over `pending`.
pub fn test_run(
    dir: &Path,
    model_id: String,
    iteration: u32,
    pending: Vec<ProjectRecordingId>,
) -> DetectionRun {
    DetectionRun {
        id: 1,
        model_dir: dir.join("m"),
        model_id,
        iteration,
        hop_secs: 0.5,
        merge: MergeSettings {
            threshold: 0.5,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: None,
        },
        label: "chirp".to_owned(),
        band_hz: None,
        scope: String::new(),
        recordings: Vec::new(),
        pending,
        failed: Vec::new(),
        calibration: None,
    }
}

/// Detections of `run` that overlap none of `truth`'s Positive events.
fn false_positives(run: &DetectionRun, truth: &[Selection]) -> usize {
    run.recordings
        .iter()
        .flat_map(|part| part.detections.iter().map(move |d| (part.recording, d)))
        .filter(|(recording, d)| {
            !truth.iter().any(|t| {
                t.recording == *recording
                    && t.kind == SelectionKind::Positive
                    && t.overlaps_time(d.detection.start_secs, d.detection.end_secs)
            })
        })
        .count()
}

fn train_iteration(project: &mut Project, dir: &Path) -> std::path::PathBuf {
    let config = DatasetConfig {
        input: small_input(),
        seed: 3,
        ..DatasetConfig::default()
    };
    let outcome = train_project(
        project,
        None,
        &[],
        &config,
        &small_settings(12),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        outcome.artifact.info.manifest.iteration,
        project.next_iteration()
    );
    let model_dir = dir.join(format!("model_{:02}", project.next_iteration()));
    outcome.artifact.save(&model_dir).unwrap();
    project.models.push(model_dir.clone());
    model_dir
}

#[test]
fn false_positives_fed_back_as_negatives_cut_false_positives_on_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    // Chirps are the target, tones the look-alikes. Recordings 6 and 7 are held out as the test.
    let mut project = sparse_project(dir.path(), 8);
    let held_out: Vec<ProjectRecordingId> = project.recordings[6..].iter().map(|r| r.id).collect();
    let truth: Vec<Selection> = project.selections.items().to_vec();
    // Iteration 1 knows the calls but not the look-alikes: only chirps are labelled, and the
    // negatives are a stretch of plain noise.
    let mut kept: Vec<Selection> = truth
        .iter()
        .filter(|s| s.kind == SelectionKind::Positive && !held_out.contains(&s.recording))
        .cloned()
        .collect();
    for recording in &mut project.recordings {
        recording.fully_annotated = false;
        if held_out.contains(&recording.id) {
            recording.split = Split::Test;
        }
    }
    let noise_path = dir.path().join("noise.wav");
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let noise: Vec<f32> = (0..8_000 * 20)
        .map(|_| rng.random_range(-0.02_f32..0.02))
        .collect();
    write_wav(&noise_path, &noise, 8_000, WavEncoding::Pcm16).unwrap();
    let noise_id = project.add_recording(&probe(&noise_path).unwrap()).unwrap();
    let mut ids = project.selections.clone();
    kept.push(Selection {
        id: ids.new_id(),
        recording: noise_id,
        start_secs: 0.0,
        end_secs: 20.0,
        low_hz: 0.0,
        high_hz: 4_000.0,
        label: "noise".to_owned(),
        kind: SelectionKind::Negative,
        extra: Default::default(),
    });
    project.selections = syrinx::annotation::SelectionSet::from_items(kept);
    let model_1 = train_iteration(&mut project, dir.path());

    // Detect on the training recordings, where the calls are known, and review.
    let train_recordings: Vec<ProjectRecordingId> =
        project.recordings[..6].iter().map(|r| r.id).collect();
    let mut run = detect(&project, &model_1, &train_recordings);
    assert_eq!(run.iteration, 1);
    for at in run.queue(ReviewOrder::ScoreHighFirst) {
        let recording = run.recording_of(at).unwrap();
        let d = run.get(at).unwrap().detection.clone();
        let is_call = project.selections.of_recording(recording).any(|s| {
            s.kind == SelectionKind::Positive && s.overlaps_time(d.start_secs, d.end_secs)
        });
        run.set_verdict(
            at,
            Some(if is_call {
                Verdict::TruePositive
            } else {
                Verdict::FalsePositive
            }),
        );
    }
    let counts = run.counts();
    assert!(
        counts.false_positives > 0,
        "iteration 1 should mistake some look-alikes: {counts:?}"
    );
    project.detection_runs.push(run);

    // One step adds every false positive as a Negative selection with its provenance.
    let plan =
        plan_false_positive_negatives(&project, &project.detection_runs[0], &Default::default());
    assert_eq!(plan.selections.len(), counts.false_positives);
    assert!(plan.test_recordings.is_empty());
    let first = &plan.selections[0];
    assert_eq!(first.kind, SelectionKind::Negative);
    assert_eq!(
        first.extra[review::SOURCE_COLUMN],
        review::FALSE_POSITIVE_SOURCE
    );
    assert_eq!(first.extra[review::ITERATION_COLUMN], "1");
    assert_eq!(
        first.extra[review::MODEL_COLUMN],
        project.detection_runs[0].model_id
    );
    assert!(first.extra[review::SCORE_COLUMN].parse::<f32>().unwrap() >= 0.0);
    let before = project.selections.clone();
    let mut history = UndoStack::default();
    history.apply(
        &mut project.selections,
        "add false positives to negatives",
        vec![Edit::Insert(plan.selections.clone())],
    );
    project.detection_runs[0].mark_negatives(plan.made());
    assert_eq!(
        project.selections.len(),
        before.len() + plan.selections.len()
    );
    // Asking again adds nothing; undo removes them all and they can be added again.
    assert!(
        plan_false_positive_negatives(&project, &project.detection_runs[0], &Default::default())
            .selections
            .is_empty()
    );
    history.undo(&mut project.selections);
    assert_eq!(project.selections.items(), before.items());
    assert_eq!(
        plan_false_positive_negatives(&project, &project.detection_runs[0], &Default::default())
            .selections
            .len(),
        counts.false_positives
    );
    history.redo(&mut project.selections);
    assert_eq!(
        project.selections.len(),
        before.len() + plan.selections.len()
    );

    // The project keeps runs, verdicts and models across a save.
    let project_path = dir.path().join("loop.syrinx");
    project.save(&project_path).unwrap();
    let (reloaded, _) = Project::load(&project_path).unwrap();
    assert_eq!(reloaded.detection_runs, project.detection_runs);
    assert_eq!(reloaded.models, project.models);

    // Iteration 2 with the same settings: fewer false positives on the held-out recordings.
    let model_2 = train_iteration(&mut project, dir.path());
    let before_fp = false_positives(&detect(&project, &model_1, &held_out), &truth);
    let after = detect(&project, &model_2, &held_out);
    let after_fp = false_positives(&after, &truth);
    eprintln!(
        "held out: iteration 1 {before_fp} FP, iteration 2 {after_fp} FP, {} detections",
        after.counts().detections
    );
    assert_eq!(after.iteration, 2);
    assert!(
        after_fp < before_fp,
        "false positives on held-out recordings: iteration 1 {before_fp}, iteration 2 {after_fp}"
    );
    // The new model still finds calls.
    let found = after.counts().detections - after_fp;
    assert!(found > 0, "iteration 2 finds no calls");
}

#[test]
fn negatives_from_test_recordings_are_kept_for_evaluation_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 1);
    project.recordings[0].split = Split::Test;
    let id = project.recordings[0].id;
    let mut run = test_run(dir.path(), "2026-11-22T10:00:00Z".to_owned(), 3, vec![id]);
    run.add_scores(
        id,
        syrinx::detect::WindowScores {
            window_secs: 1.0,
            start_secs: vec![0.0, 0.5, 5.0],
            scores: vec![0.9, 0.8, 0.7],
            envelope: None,
        },
    );
    assert_eq!(run.recordings[0].detections.len(), 2);
    let queue = run.queue(ReviewOrder::Time);
    run.set_verdict(queue[1], Some(Verdict::FalsePositive));
    // By default a test recording's false positives are kept for evaluation only.
    let kept = plan_false_positive_negatives(&project, &run, &Default::default());
    assert!(kept.selections.is_empty());
    assert_eq!(kept.test_false_positives, 1);
    assert_eq!(kept.test_recordings, vec![project.recordings[0].name()]);
    // Asked to, it makes them negatives, labelled as the reviewer says.
    let options = review::NegativeOptions {
        include_test: true,
        label: Some("wind".to_owned()),
    };
    let plan = plan_false_positive_negatives(&project, &run, &options);
    assert_eq!(plan.selections.len(), 1);
    assert_eq!(plan.selections[0].label, "wind");
    assert_eq!(plan.test_recordings, vec![project.recordings[0].name()]);
    let negative = &plan.selections[0];
    assert_eq!((negative.start_secs, negative.end_secs), (5.0, 6.0));
    assert_eq!(negative.extra[review::ITERATION_COLUMN], "3");
    assert_eq!(negative.extra[review::SOURCE_TIME_COLUMN], "5.000");
    // A higher threshold re-merges without scoring again; the verdict stays with its detection.
    let unread = run.set_merge(MergeSettings {
        threshold: 0.75,
        ..run.merge
    });
    assert!(unread.is_empty());
    assert_eq!(run.recordings[0].detections.len(), 1);
    assert_eq!(run.counts().false_positives, 0);
    let unread = run.set_merge(MergeSettings {
        threshold: 0.5,
        ..run.merge
    });
    assert!(unread.is_empty());
    // … and comes back when the threshold does.
    assert_eq!(run.counts().false_positives, 1);
    // The clip of a negative is written flat into neg_iteration_NN.
    let out = syrinx::clips::negative_iteration_dir(dir.path(), 3);
    let refs: Vec<&Selection> = plan.selections.iter().collect();
    let written = syrinx::clips::export_clips_flat(&project, &refs, &out, 0.25).unwrap();
    assert_eq!(written.written.len(), 1);
    assert_eq!(written.written[0].parent().unwrap(), out);
    assert!(out.ends_with("neg_iteration_03"));
    // Exported detections span the whole spectrum, or the model's calls' band when it knows it.
    let rows = |run: &DetectionRun| {
        syrinx::export::detection_rows(&project, &run.recordings[0], &run.label, run.band_hz)
    };
    let whole = rows(&run);
    assert_eq!(whole[0].low_hz, Some(0.0));
    assert_eq!(whole[0].high_hz, Some(project.recordings[0].nyquist_hz()));
    run.band_hz = Some((900.0, 3_100.0));
    let banded = rows(&run);
    assert_eq!(
        (banded[0].low_hz, banded[0].high_hz),
        (Some(900.0), Some(3_100.0))
    );
}

#[test]
fn a_run_is_evaluated_against_fully_annotated_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = sparse_project(dir.path(), 2);
    // Only the first recording's calls are known.
    project.recordings[0].fully_annotated = true;
    let first = project.recordings[0].id;
    let calls: Vec<(f64, f64)> = project
        .selections
        .of_recording(first)
        .filter(|s| s.kind == SelectionKind::Positive)
        .map(|s| (s.start_secs, s.end_secs))
        .collect();
    assert!(calls.len() >= 3);
    // Scores: a window on every call but the last (score 0.9), and one false alarm between the
    // first two calls (which are 3–4 s apart), clear of both (score 0.6); windows are 1 s long.
    let mut starts = Vec::new();
    let mut scores = Vec::new();
    for (start, _) in &calls[..calls.len() - 1] {
        starts.push(*start - 0.3);
        scores.push(0.9);
    }
    starts.push(calls[0].0 + 1.2);
    scores.push(0.6);
    let order: Vec<usize> = {
        let mut o: Vec<usize> = (0..starts.len()).collect();
        o.sort_by(|a, b| starts[*a].total_cmp(&starts[*b]));
        o
    };
    let window_scores = syrinx::detect::WindowScores {
        window_secs: 1.0,
        start_secs: order.iter().map(|i| starts[*i]).collect(),
        scores: order.iter().map(|i| scores[*i]).collect(),
        envelope: None,
    };
    let mut run = test_run(
        dir.path(),
        String::new(),
        1,
        vec![first, project.recordings[1].id],
    );
    run.add_scores(first, window_scores);
    run.add_failure(project.recordings[1].id, "unreadable".to_owned());
    assert_eq!(run.failed.len(), 1);
    assert!(run.pending.is_empty());
    let evaluation = syrinx::evaluate::runs::evaluate_run(&project, &run, 0.5)
        .unwrap()
        .unwrap();
    assert_eq!(evaluation.recordings, 1);
    assert_eq!(evaluation.references, calls.len());
    let m = evaluation.at_threshold;
    let found = calls.len() - 1;
    assert_eq!(
        (m.true_positives, m.false_positives, m.false_negatives),
        (found, 1, 1)
    );
    assert!((m.precision - found as f64 / (found + 1) as f64).abs() < 1e-12);
    // At 0.7 the false alarm is gone: precision 1, the same recall for the real calls.
    let strict = evaluation
        .curve
        .iter()
        .find(|c| (c.threshold - 0.7).abs() < 1e-6)
        .unwrap();
    assert_eq!(strict.false_positives, 0);
    assert_eq!(strict.true_positives, found);
    assert!((strict.precision - 1.0).abs() < 1e-12);
    // Without a fully annotated recording there is nothing to evaluate against.
    project.recordings[0].fully_annotated = false;
    assert!(
        syrinx::evaluate::runs::evaluate_run(&project, &run, 0.5)
            .unwrap()
            .is_none()
    );
}

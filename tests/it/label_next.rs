//! What to label next: the queue prefers the windows a run's model is least sure of, leaves out
//! what is labelled, reviewed or in the test split, spreads over recordings, and its answers
//! (in the app or as a filled table on the command line) become selections with provenance.

use std::path::Path;
use std::process::Command;

use syrinx::annotation::{Edit, Selection, SelectionId, SelectionKind, parse_table, write_raven};
use syrinx::detect::WindowScores;
use syrinx::project::runs::{DetectionRun, ReviewOrder, Verdict};
use syrinx::project::{Project, Split, UndoStack};
use syrinx::review::SOURCE_COLUMN;
use syrinx::review::label_next::{
    ANSWER_COLUMN, Answer, LABEL_NEXT_SOURCE, LabelNextOptions, added_by_iteration,
    answer_selection, label_next, plan_table_answers, queue_rows,
};

use super::review::test_run;
use super::train::generated_project;

/// Window starts every 0.5 s over 24 s, 1 s windows, scored by `score(start)`.
fn scores(score: impl Fn(f64) -> f32) -> WindowScores {
    let start_secs: Vec<f64> = (0..47).map(|i| f64::from(i) * 0.5).collect();
    WindowScores {
        window_secs: 1.0,
        scores: start_secs.iter().map(|s| score(*s)).collect(),
        start_secs,
        envelope: None,
    }
}

/// Four recordings scored by a made-up model (threshold 0.5):
/// - 0: unsure (0.49) from 2 to 6 s, a reviewed detection (0.6) from 15 to 17 s, sure elsewhere;
/// - 1: a little less unsure (0.45) everywhere, with a selection at 10.0–10.3 s;
/// - 2: sure (0.05) everywhere but one window (0.25) at 20 s;
/// - 3: in the test split, unsure everywhere (0.48).
fn scored_project(dir: &Path) -> (Project, DetectionRun) {
    let mut project = generated_project(dir, 4);
    let doomed: Vec<Selection> = project.selections.items().to_vec();
    UndoStack::default().apply(&mut project.selections, "clear", vec![Edit::Delete(doomed)]);
    for recording in &mut project.recordings {
        recording.fully_annotated = false;
        recording.split = Split::Train;
    }
    project.recordings[3].split = Split::Test;
    let ids: Vec<_> = project.recordings.iter().map(|r| r.id).collect();
    let id = project.selections.next_free_id();
    UndoStack::default().apply(
        &mut project.selections,
        "add",
        vec![Edit::Insert(vec![Selection {
            id,
            recording: ids[1],
            start_secs: 10.0,
            end_secs: 10.3,
            low_hz: 500.0,
            high_hz: 3_000.0,
            label: "chirp".to_owned(),
            kind: SelectionKind::Positive,
            extra: Default::default(),
        }])],
    );
    let mut run = test_run(dir, "2026-12-04T10:00:00Z".to_owned(), 1, ids.clone());
    run.add_scores(
        ids[0],
        scores(|s| {
            if (2.0..=6.0).contains(&s) {
                0.49
            } else if (15.0..=16.0).contains(&s) {
                0.6
            } else {
                0.01
            }
        }),
    );
    run.add_scores(ids[1], scores(|_| 0.45));
    run.add_scores(ids[2], scores(|s| if s == 20.0 { 0.25 } else { 0.05 }));
    run.add_scores(ids[3], scores(|_| 0.48));
    // The detection at 15–17 s is reviewed.
    let reviewed = run
        .queue(ReviewOrder::Time)
        .into_iter()
        .find(|at| {
            run.recording_of(*at) == Some(ids[0])
                && run.get(*at).unwrap().detection.start_secs >= 14.0
        })
        .unwrap();
    run.set_verdict(reviewed, Some(Verdict::TruePositive));
    (project, run)
}

#[test]
fn the_queue_prefers_unsure_windows_spreads_over_recordings_and_skips_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let (project, run) = scored_project(dir.path());
    let ids: Vec<_> = project.recordings.iter().map(|r| r.id).collect();
    let options = LabelNextOptions {
        count: 8,
        ..LabelNextOptions::default()
    };
    let queue = label_next(&project, &run, &options);
    assert_eq!(queue.windows.len(), 8);
    assert_eq!(queue.recordings, 3, "the test recording is left out");
    // The least sure window comes first.
    let first = queue.windows[0];
    assert_eq!((first.recording, first.score), (ids[0], 0.49));
    assert!(
        queue
            .windows
            .iter()
            .all(|w| w.uncertainty <= first.uncertainty)
    );
    // Spread: the first four alternate between the two unsure recordings rather than taking
    // recording 0's 0.49s first.
    let firsts: Vec<_> = queue.windows[..4].iter().map(|w| w.recording).collect();
    assert_eq!(firsts, vec![ids[0], ids[1], ids[0], ids[1]]);
    // Sure windows are not asked about: recording 2 only for its 0.25 window, 0's sure time never.
    for w in &queue.windows {
        assert_ne!(w.recording, ids[3]);
        if w.recording == ids[2] {
            assert_eq!(w.score, 0.25);
        }
        assert!(w.score > 0.1, "{w:?}");
    }
    // Nothing overlaps the selection or the reviewed detection.
    for w in &queue.windows {
        let overlaps = |start: f64, end: f64| w.start_secs < end && w.end_secs > start;
        assert!(!(w.recording == ids[1] && overlaps(10.0, 10.3)), "{w:?}");
        assert!(!(w.recording == ids[0] && overlaps(15.0, 17.0)), "{w:?}");
    }
    // No two queued windows of a recording overlap (the separation is the window).
    for a in &queue.windows {
        for b in &queue.windows {
            if a != b && a.recording == b.recording {
                assert!((a.start_secs - b.start_secs).abs() >= 1.0, "{a:?} {b:?}");
            }
        }
    }
    // Asked to, test recordings are searched too.
    let with_test = label_next(
        &project,
        &run,
        &LabelNextOptions {
            include_test: true,
            ..options
        },
    );
    assert!(with_test.windows.iter().any(|w| w.recording == ids[3]));
}

#[test]
fn an_answer_becomes_a_selection_with_provenance_and_leaves_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, mut run) = scored_project(dir.path());
    run.band_hz = Some((900.0, 3_100.0));
    let queue = label_next(&project, &run, &LabelNextOptions::default());
    let first = queue.windows[0];
    let id = project.selections.next_free_id();
    let call = answer_selection(&project, &run, &first, Answer::Call, id);
    assert_eq!(call.kind, SelectionKind::Positive);
    assert_eq!(call.label, "chirp");
    assert_eq!((call.low_hz, call.high_hz), (900.0, 3_100.0));
    assert_eq!(
        (call.start_secs, call.end_secs),
        (first.start_secs, first.end_secs)
    );
    assert_eq!(call.extra[SOURCE_COLUMN], LABEL_NEXT_SOURCE);
    assert_eq!(call.extra[syrinx::review::ITERATION_COLUMN], "1");
    let second = queue.windows[1];
    let no_call = answer_selection(
        &project,
        &run,
        &second,
        Answer::NoCall,
        SelectionId(id.0 + 1),
    );
    assert_eq!(no_call.kind, SelectionKind::Negative);
    assert_eq!(no_call.label, "not chirp");
    UndoStack::default().apply(
        &mut project.selections,
        "answer",
        vec![Edit::Insert(vec![call, no_call])],
    );
    // Answered windows (and any overlapping them) are not asked again.
    let again = label_next(&project, &run, &LabelNextOptions::default());
    for w in &again.windows {
        for answered in [first, second] {
            assert!(
                !(w.recording == answered.recording
                    && w.start_secs < answered.end_secs
                    && w.end_secs > answered.start_secs),
                "{w:?} overlaps an answered window"
            );
        }
    }
    assert!(again.candidates + 4 <= queue.candidates);
    // The iteration history counts what this model's review added.
    let added = added_by_iteration(&project);
    assert_eq!(added[&1][LABEL_NEXT_SOURCE], 2);
}

#[test]
fn a_filled_queue_table_adds_its_answers_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, run) = scored_project(dir.path());
    let queue = label_next(
        &project,
        &run,
        &LabelNextOptions {
            count: 5,
            ..LabelNextOptions::default()
        },
    );
    let text = write_raven(&queue_rows(&project, &run, &queue));
    let mut rows = parse_table(&text).unwrap().rows;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.values[ANSWER_COLUMN].is_empty()));
    rows[0]
        .values
        .insert(ANSWER_COLUMN.to_owned(), "call".to_owned());
    rows[1]
        .values
        .insert(ANSWER_COLUMN.to_owned(), "No call".to_owned());
    rows[2]
        .values
        .insert(ANSWER_COLUMN.to_owned(), "perhaps".to_owned());
    let plan = plan_table_answers(&project, &run, &rows, None);
    assert_eq!(plan.selections.len(), 2);
    assert_eq!(plan.unanswered, 2);
    assert_eq!(plan.problems.len(), 1, "{:?}", plan.problems);
    assert!(plan.problems[0].contains("perhaps"));
    let first = &plan.selections[0];
    assert_eq!(first.kind, SelectionKind::Positive);
    assert_eq!(first.recording, queue.windows[0].recording);
    assert!((first.start_secs - queue.windows[0].start_secs).abs() < 1e-3);
    assert_eq!(plan.selections[1].kind, SelectionKind::Negative);
    UndoStack::default().apply(
        &mut project.selections,
        "answers",
        vec![Edit::Insert(plan.selections.clone())],
    );
    let twice = plan_table_answers(&project, &run, &rows, None);
    assert!(twice.selections.is_empty());
    assert_eq!(twice.already, 2);
}

#[test]
fn the_command_line_writes_the_queue_and_adds_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, run) = scored_project(dir.path());
    project.detection_runs.push(run);
    let project_path = dir.path().join("survey.syrinx");
    project.save(&project_path).unwrap();
    let table = dir.path().join("next.selections.txt");
    let syrinx = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_syrinx"))
            .args(args)
            .output()
            .unwrap()
    };
    let project_arg = project_path.to_str().unwrap();
    let out = syrinx(&[
        "label-next",
        "--project",
        project_arg,
        "--count",
        "4",
        "--out",
        table.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(printed.lines().count(), 1 + 4, "{printed}");
    assert!(
        printed.lines().nth(1).unwrap().contains("0.490"),
        "{printed}"
    );
    // The reviewer fills the Answer column of the first row.
    let text = std::fs::read_to_string(&table).unwrap();
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    let column = lines[0].iter().position(|h| h == ANSWER_COLUMN).unwrap();
    lines[1][column] = "call".to_owned();
    let filled: Vec<String> = lines.iter().map(|l| l.join("\t")).collect();
    std::fs::write(&table, filled.join("\n") + "\n").unwrap();
    // Answered from the folder above, naming the project by a relative path: its recordings'
    // paths must stay right when it is saved.
    let parent = dir.path().parent().unwrap();
    let relative_project = project_path.strip_prefix(parent).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .current_dir(parent)
        .args([
            "label-next".as_ref(),
            "--project".as_ref(),
            relative_project.as_os_str(),
            "--answers".as_ref(),
            table.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("1 call(s) added as positives and 0 as negatives (3 unanswered"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (saved, report) = Project::load(&project_path).unwrap();
    assert!(report.missing.is_empty(), "{:?}", saved.recordings[0].path);
    let added: Vec<&Selection> = saved
        .selections
        .items()
        .iter()
        .filter(|s| s.extra.get(SOURCE_COLUMN).map(String::as_str) == Some(LABEL_NEXT_SOURCE))
        .collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].kind, SelectionKind::Positive);
    // A project with no run says what to do.
    let empty = dir.path().join("empty.syrinx");
    Project::default().save(&empty).unwrap();
    let out = syrinx(&["label-next", "--project", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no detection runs"));
}

#[cfg(feature = "gui")]
#[test]
fn the_review_panel_finds_windows_to_label_and_answers_them_undoably() {
    use eframe::egui;
    use egui_kittest::kittest::Queryable;

    use super::gui::{app_with, settle};
    use super::gui_train::step_until;

    let dir = tempfile::tempdir().unwrap();
    let (mut project, run) = scored_project(dir.path());
    project.detection_runs.push(run);
    let path = dir.path().join("survey.syrinx");
    project.save(&path).unwrap();
    let mut harness = app_with(
        vec![path.clone()],
        std::sync::Arc::default(),
        Some(dir.path().join("data")),
        std::time::Duration::from_secs(3600),
    );
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::R);
    settle(&mut harness);
    harness.get_by_label("What to label next").click();
    harness.run_steps(2);
    harness.get_by_label("Find windows to label").click();
    harness.run_steps(1);
    step_until(&mut harness, |app| app.ui.review.label_next.queue.is_some());
    settle(&mut harness);
    let first = harness
        .state()
        .ui
        .review
        .label_next
        .queue
        .as_ref()
        .unwrap()
        .windows[0];
    assert_eq!(first.score, 0.49);
    // Answer the first window: a positive box over it, and the next window is shown.
    harness.get_all_by_label("a call").next().unwrap().click();
    harness.run_steps(2);
    settle(&mut harness);
    let label_next_boxes = |app: &syrinx::gui::SyrinxApp| -> Vec<Selection> {
        app.session
            .document
            .project
            .selections
            .items()
            .iter()
            .filter(|s| s.extra.get(SOURCE_COLUMN).map(String::as_str) == Some(LABEL_NEXT_SOURCE))
            .cloned()
            .collect()
    };
    {
        let app = harness.state();
        let added = label_next_boxes(app);
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].kind, SelectionKind::Positive);
        assert_eq!(added[0].recording, first.recording);
        assert_eq!(app.ui.review.label_next.position, 1);
        let second = app.ui.review.label_next.queue.as_ref().unwrap().windows[1];
        assert_eq!(app.active_recording().unwrap().project_id, second.recording);
        // It is framed on the spectrogram in place of the detection under review.
        assert_eq!(app.ui.review.label_next.shown_window(), Some(second));
    }
    harness.get_by_label_contains("answered: a call").hover();
    // One undo step takes it back, and the window can be answered again.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert!(label_next_boxes(harness.state()).is_empty());
    assert!(
        harness
            .query_by_label_contains("answered: a call")
            .is_none()
    );
}

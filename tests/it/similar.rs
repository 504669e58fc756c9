//! "Find more like this" on the demo: a call's box finds other calls of its type.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use syrinx::annotation::{ImportOptions, read_table};
use syrinx::demo::{CRICKET_LABEL, TARGET_LABEL, WHISTLE_LABEL, write_demo};
use syrinx::project::Project;
use syrinx::similar::{Match, QueryBox};
use syrinx::workflow::similar::{Embedding, IndexPlace, find_similar};

/// Every sound of every demo recording, from the truth tables: (recording stem, start, end, label).
fn truth(dir: &Path) -> Vec<(String, f64, f64, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir.join("truth")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name.split('.').next().unwrap().to_owned();
        let table = read_table(&path).unwrap();
        let options = ImportOptions::suggested(&table);
        for row in &table.rows {
            all.push((
                stem.clone(),
                row.start_secs,
                row.end_secs,
                options.label_of(row),
            ));
        }
    }
    all
}

/// Whether a match lies mostly on a sound labelled `label`.
fn is_hit(project: &Project, truth: &[(String, f64, f64, String)], m: &Match, label: &str) -> bool {
    let recording = project.recording(m.recording).unwrap();
    let stem = recording.path.file_stem().unwrap().to_string_lossy();
    truth.iter().any(|(s, start, end, l)| {
        *s == stem
            && l == label
            && m.end_secs.min(*end) - m.start_secs.max(*start)
                >= 0.5 * (m.end_secs - m.start_secs).min(end - start)
    })
}

#[test]
fn a_box_finds_calls_of_its_type_in_its_top_ten() {
    let dir = tempfile::tempdir().unwrap();
    let summary = write_demo(dir.path()).unwrap();
    let project_path = summary.project.unwrap();
    let (project, _) = Project::load(&project_path).unwrap();
    let truth = truth(dir.path());
    let place = IndexPlace::beside(Some(&project_path));
    let cancel = AtomicBool::new(false);
    let mut report = Vec::new();
    for label in [TARGET_LABEL, CRICKET_LABEL, WHISTLE_LABEL] {
        // The first three boxes of each type, each a query.
        let queries: Vec<_> = project
            .selections
            .items()
            .iter()
            .filter(|s| s.label == label)
            .take(3)
            .cloned()
            .collect();
        assert_eq!(queries.len(), 3, "{label}");
        for query in queries {
            let outcome = find_similar(
                &project,
                &[],
                QueryBox {
                    recording: query.recording,
                    start_secs: query.start_secs,
                    end_secs: query.end_secs,
                    low_hz: query.low_hz,
                    high_hz: query.high_hz,
                },
                10,
                &Embedding::Spectrogram,
                &place,
                &cancel,
                &mut |_, _| {},
            )
            .unwrap();
            assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
            let hits = outcome
                .matches
                .iter()
                .filter(|m| is_hit(&project, &truth, m, label))
                .count();
            // None of them is the query itself.
            assert!(outcome.matches.iter().all(|m| {
                m.recording != query.recording
                    || m.end_secs <= query.start_secs
                    || m.start_secs >= query.end_secs
                    || (m.end_secs.min(query.end_secs) - m.start_secs.max(query.start_secs))
                        < 0.5 * (query.end_secs - query.start_secs)
            }));
            report.push((label, query.kind, hits, outcome.computed));
        }
    }
    eprintln!("{report:?}");
    // Indexes were computed once and read back from their side files afterwards.
    assert!(report[0].3 > 0);
    assert!(report[1..].iter().all(|r| r.3 == 0), "{report:?}");
    let precision = |label: &str| {
        let rows: Vec<_> = report.iter().filter(|r| r.0 == label).collect();
        rows.iter().map(|r| r.2).sum::<usize>() as f64 / (10 * rows.len()) as f64
    };
    for label in [TARGET_LABEL, CRICKET_LABEL, WHISTLE_LABEL] {
        eprintln!("precision@10 {label}: {:.2}", precision(label));
    }
    for label in [TARGET_LABEL, CRICKET_LABEL, WHISTLE_LABEL] {
        assert!(precision(label) >= 0.8, "{label}: {report:?}");
    }
}

#[test]
fn syrinx_similar_prints_writes_and_adds_the_matches() {
    let dir = tempfile::tempdir().unwrap();
    let project_path = write_demo(dir.path()).unwrap().project.unwrap();
    let (project, _) = Project::load(&project_path).unwrap();
    let query = project
        .selections
        .items()
        .iter()
        .find(|s| s.label == TARGET_LABEL)
        .unwrap()
        .clone();
    let before = project.selections.len();
    let table = dir.path().join("matches.txt");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["similar", "--project"])
        .arg(&project_path)
        .args([
            "--selection",
            &query.id.0.to_string(),
            "--top",
            "5",
            "--out",
        ])
        .arg(&table)
        .args(["--add-as", "positive"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().count(),
        6,
        "a header and five matches:\n{stdout}"
    );
    let written = read_table(&table).unwrap();
    assert_eq!(written.rows.len(), 5);
    assert!(
        written
            .rows
            .iter()
            .all(|r| r.score.is_some_and(|s| s > 0.5))
    );
    let (after, _) = Project::load(&project_path).unwrap();
    assert_eq!(after.selections.len(), before + 5);
    let added: Vec<_> = after
        .selections
        .items()
        .iter()
        .filter(|s| {
            s.extra.get("Source").map(String::as_str)
                == Some(syrinx::workflow::similar::SIMILAR_SOURCE)
        })
        .collect();
    assert_eq!(added.len(), 5);
    assert!(added.iter().all(|s| s.label == TARGET_LABEL));

    // A span of a recording by name, and a name that is not one of the project's.
    let name = project.recording(query.recording).unwrap().name();
    let span = format!("{name}:{:.3}-{:.3}", query.start_secs, query.end_secs);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["similar", "--project"])
        .arg(&project_path)
        .args(["--query", &span, "--band", "3000-6500", "--top", "3"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 4);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["similar", "--project"])
        .arg(&project_path)
        .args(["--query", "nowhere.wav:1-2"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere.wav"));
}

#[cfg(feature = "gui")]
#[test]
fn find_more_like_this_in_the_app_lists_matches_that_become_boxes_in_one_step() {
    use egui_kittest::kittest::Queryable;

    let dir = tempfile::tempdir().unwrap();
    let project_path = write_demo(dir.path()).unwrap().project.unwrap();
    let mut harness = crate::gui::app_with(
        vec![project_path],
        std::sync::Arc::default(),
        Some(dir.path().join("data")),
        std::time::Duration::from_secs(3600),
    );
    crate::gui::settle(&mut harness);
    let ctx = harness.ctx.clone();
    assert!(
        !harness
            .state_mut()
            .run_command_named(&ctx, "Find more like this"),
        "no box selected"
    );
    let query = harness
        .state()
        .session
        .document
        .project
        .selections
        .items()
        .iter()
        .find(|s| s.label == TARGET_LABEL)
        .unwrap()
        .clone();
    harness.state_mut().workspace.annotator.selected = std::collections::BTreeSet::from([query.id]);
    assert!(
        harness
            .state_mut()
            .run_command_named(&ctx, "Find more like this")
    );
    crate::gui::settle(&mut harness);
    harness.run_steps(2);
    let outcome = harness
        .state()
        .ui
        .similar
        .outcome
        .clone()
        .expect("searched");
    assert_eq!(outcome.matches.len(), syrinx::gui::similar::SIMILAR_TOP);
    assert_eq!(outcome.thumbnails.len(), outcome.matches.len());
    let before = harness.state().session.document.project.selections.len();
    // The first match's "+ positive" adds it as a positive box, provenance and all; undo takes it
    // back.
    harness
        .get_all_by_label("+ positive")
        .next()
        .unwrap()
        .click();
    harness.run_steps(2);
    let project = &harness.state().session.document.project;
    assert_eq!(project.selections.len(), before + 1);
    let added = project.selections.items().last().unwrap();
    assert_eq!(added.label, TARGET_LABEL);
    assert_eq!(added.recording, outcome.matches[0].recording);
    assert_eq!(
        added.extra.get("Source").map(String::as_str),
        Some(syrinx::workflow::similar::SIMILAR_SOURCE)
    );
    assert!(harness.query_by_label("added").is_some());
    // Clicking a match shows it.
    let third = outcome.matches[2].clone();
    harness
        .get_by(|node| node.label().is_some_and(|label| label.starts_with("3. ")))
        .click();
    crate::gui::settle(&mut harness);
    let shown = harness.state().active_recording().unwrap();
    assert_eq!(shown.project_id, third.recording);
    assert!(
        shown.viewport.start_secs <= third.start_secs
            && third.end_secs <= shown.viewport.end_secs()
    );
    harness.state_mut().undo();
    harness.run_steps(1);
    assert_eq!(
        harness.state().session.document.project.selections.len(),
        before
    );
}

#[test]
fn a_models_embedding_finds_windows_it_sees_alike_and_keeps_its_indexes_beside_it() {
    use syrinx::dataset::DatasetConfig;

    let dir = tempfile::tempdir().unwrap();
    let mut project = crate::review::sparse_project(dir.path(), 2);
    project.model_input = crate::train::small_input();
    let config = DatasetConfig {
        input: crate::train::small_input(),
        seed: 3,
        max_background_per_recording: 4,
        ..DatasetConfig::default()
    };
    let outcome = syrinx::train::train_project(
        &project,
        None,
        &[],
        &config,
        &crate::train::small_settings(10),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model_dir = dir.path().join("model_01");
    outcome.artifact.save(&model_dir).unwrap();
    let query = project.selections.items()[0].clone();
    let search = || {
        find_similar(
            &project,
            &[],
            QueryBox {
                recording: query.recording,
                start_secs: query.start_secs,
                end_secs: query.end_secs,
                low_hz: query.low_hz,
                high_hz: query.high_hz,
            },
            5,
            &Embedding::Model(model_dir.clone()),
            &IndexPlace(None),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap()
    };
    let first = search();
    assert_eq!(first.computed, 2, "one index per recording");
    assert_eq!(first.matches.len(), 5);
    let window_secs = crate::train::small_input().window_secs();
    for (i, m) in first.matches.iter().enumerate() {
        assert!(
            (m.end_secs - m.start_secs - window_secs).abs() < 1e-9,
            "a match is a window"
        );
        if i > 0 {
            assert!(m.similarity <= first.matches[i - 1].similarity);
        }
        if m.recording == query.recording {
            let centre = f64::midpoint(query.start_secs, query.end_secs);
            assert!(
                (f64::midpoint(m.start_secs, m.end_secs) - centre).abs() > window_secs / 4.0,
                "not the query's own window: {m:?}"
            );
        }
    }
    let label_at = |m: &Match| {
        project
            .selections
            .items()
            .iter()
            .filter(|s| s.recording == m.recording)
            .find(|s| s.end_secs > m.start_secs && s.start_secs < m.end_secs)
            .map(|s| s.label.clone())
    };
    let same = first
        .matches
        .iter()
        .filter(|m| label_at(m).as_deref() == Some(query.label.as_str()))
        .count();
    assert!(
        same >= 4,
        "{same} of 5 like {:?}: {:?}",
        query.label,
        first.matches.iter().map(label_at).collect::<Vec<_>>()
    );
    // Kept beside the model, and read from there the next time.
    assert!(model_dir.join("embeddings").is_dir());
    let again = search();
    assert_eq!(again.computed, 0);
    assert_eq!(again.matches, first.matches);
}

#[test]
fn a_call_copied_to_the_other_side_of_the_split_is_reported_and_distinct_calls_are_not() {
    use syrinx::annotation::{Edit, Selection, SelectionKind};
    use syrinx::dataset::DatasetConfig;
    use syrinx::project::Split;
    use syrinx::workflow::similar::split_duplicate_warnings;

    let dir = tempfile::tempdir().unwrap();
    let project_path = write_demo(dir.path()).unwrap().project.unwrap();
    let (mut project, _) = Project::load(&project_path).unwrap();
    let config = DatasetConfig {
        input: project.model_input,
        ..DatasetConfig::default()
    };
    let cancel = AtomicBool::new(false);
    // The demo's calls are all different (validation sites have their own calls).
    assert_eq!(
        split_duplicate_warnings(&project, &[], &config, Some(&project_path), &cancel),
        Vec::<String>::new()
    );
    // The same recording added again under another name, in the test split, cut 10 ms later
    // (a quarter of a cell: the copy's cells do not line up with the original's).
    let original = project.recordings[0].clone();
    let copy_path = dir.path().join("copy_of_first.wav");
    let mut reader = syrinx::audio::AudioReader::open(&original.path).unwrap();
    let rate = reader.info().sample_rate_hz;
    let shift_secs = 0.01;
    let shift = (f64::from(rate) * shift_secs) as u64;
    let samples = reader.read_frames(shift, usize::MAX / 2).unwrap();
    syrinx::audio::write_wav(
        &copy_path,
        &samples,
        rate,
        syrinx::audio::WavEncoding::Float32,
    )
    .unwrap();
    let copy = project
        .add_recording(&syrinx::audio::probe(&copy_path).unwrap())
        .unwrap();
    let mut history = syrinx::project::UndoStack::default();
    let mut flags = project.recording(original.id).unwrap().flags();
    flags.split = Split::Train;
    if let Some(change) = project.flags_change(original.id, flags.clone()) {
        history.apply_project_change(&mut project, "train", change);
    }
    flags.split = Split::Test;
    flags.group = Some("elsewhere".to_owned());
    let change = project.flags_change(copy, flags).unwrap();
    history.apply_project_change(&mut project, "test", change);
    let mut next = project.selections.next_free_id().0;
    let copied: Vec<Selection> = project
        .selections
        .of_recording(original.id)
        .filter(|s| s.kind == SelectionKind::Positive)
        .map(|s| {
            next += 1;
            Selection {
                id: syrinx::annotation::SelectionId(next),
                recording: copy,
                start_secs: s.start_secs - shift_secs,
                end_secs: s.end_secs - shift_secs,
                ..s.clone()
            }
        })
        .collect();
    let n = copied.len();
    assert!(n >= 3);
    history.apply(&mut project.selections, "copy", vec![Edit::Insert(copied)]);
    let warnings = split_duplicate_warnings(&project, &[], &config, Some(&project_path), &cancel);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&format!("{n} validation/test call(s) are near-copies")),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("copy_of_first") && warnings[0].contains("(test"));
}

//! Project schema 1 → 2: window scores move out of the project file into side files, read only
//! when needed. The fixture is a version-1 project as Syrinx 0.1 wrote it, holding one run.

use std::path::{Path, PathBuf};

use syrinx::detect::MergeSettings;
use syrinx::project::runs::Verdict;
use syrinx::project::score_files::{ScoreFileError, score_file};
use syrinx::project::{Project, scores_dir};

/// The fixture project copied next to a copy of the audio it names (`../tones.flac`).
fn copy_fixture(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let project_dir = dir.join("project");
    std::fs::create_dir_all(&project_dir).unwrap();
    std::fs::copy(fixtures.join("tones.flac"), dir.join("tones.flac")).unwrap();
    let path = project_dir.join("survey.syrinx");
    std::fs::copy(fixtures.join("project_v1/survey.syrinx"), &path).unwrap();
    path
}

const SCORES: [f32; 7] = [0.1, 0.8, 0.9, 0.2, 0.1, 0.7, 0.3];

#[test]
fn a_version_1_project_with_a_run_migrates_to_side_files_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(dir.path());
    let (project, report) = Project::load(&path).unwrap();
    assert_eq!(report.migrated_from, Some(1));
    assert!(report.missing.is_empty(), "{report:?}");
    let run = &project.detection_runs[0];
    let part = &run.recordings[0];
    // Inline scores are read into memory as they are.
    assert!(part.scores.is_loaded());
    assert_eq!(part.scores.get().unwrap().scores, SCORES);
    let verdicts: Vec<_> = part.detections.iter().map(|d| d.verdict).collect();
    assert_eq!(
        verdicts,
        [Some(Verdict::TruePositive), Some(Verdict::FalsePositive)]
    );

    // The first save writes them beside the project and leaves them out of it.
    project.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"schema_version\": 2"), "{text}");
    assert!(
        !text.contains("start_secs\": ["),
        "scores stayed inline: {text}"
    );
    let side = score_file(&scores_dir(&path), 1, part.recording);
    assert!(side.exists(), "{}", side.display());

    // Loaded again: nothing migrates, the scores wait on disk until asked for.
    let (mut again, report) = Project::load(&path).unwrap();
    assert_eq!(report.migrated_from, None);
    let part_again = &again.detection_runs[0].recordings[0];
    assert!(!part_again.scores.is_loaded());
    assert_eq!(part_again.scores.file().as_deref(), Some(side.as_path()));
    assert_eq!(again.detection_runs[0], project.detection_runs[0]);
    assert!(part_again.scores.is_loaded(), "comparing read them");
    // A re-merge from them keeps the verdicts.
    let run = &mut again.detection_runs[0];
    let unread = run.set_merge(MergeSettings {
        threshold: 0.6,
        ..run.merge
    });
    assert!(unread.is_empty());
    assert_eq!(run.counts().true_positives, 1);
    assert_eq!(run.counts().false_positives, 1);
}

#[test]
fn damaged_or_missing_side_files_are_errors_naming_the_file_and_detections_stay() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(dir.path());
    let (project, _) = Project::load(&path).unwrap();
    project.save(&path).unwrap();
    let side = score_file(
        &scores_dir(&path),
        1,
        project.detection_runs[0].recordings[0].recording,
    );
    let mut bytes = std::fs::read(&side).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&side, &bytes).unwrap();

    // The project still opens (the scores are read lazily) with its detections and verdicts.
    let (mut damaged, _) = Project::load(&path).unwrap();
    let run = &mut damaged.detection_runs[0];
    assert_eq!(run.counts().reviewed(), 2);
    let unread = run.set_merge(MergeSettings {
        threshold: 0.95,
        ..run.merge
    });
    assert_eq!(unread.len(), 1);
    assert!(
        matches!(unread[0], ScoreFileError::Damaged { .. }),
        "{}",
        unread[0]
    );
    assert!(
        unread[0].to_string().contains("recording-0.scores"),
        "{}",
        unread[0]
    );
    assert_eq!(
        run.recordings[0].detections.len(),
        2,
        "detections stay as they were"
    );
    let error = syrinx::evaluate::runs::evaluate_run(&damaged, &damaged.detection_runs[0], 0.5)
        .unwrap_err();
    assert!(error.to_string().contains("recording-0.scores"), "{error}");

    std::fs::remove_file(&side).unwrap();
    let (missing, _) = Project::load(&path).unwrap();
    let error = missing.detection_runs[0].recordings[0]
        .scores
        .get()
        .unwrap_err();
    assert!(matches!(error, ScoreFileError::Read { .. }), "{error}");
}

#[test]
fn save_as_copies_unread_scores_and_a_removed_run_loses_its_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_fixture(dir.path());
    let (project, _) = Project::load(&path).unwrap();
    project.save(&path).unwrap();
    let (mut project, _) = Project::load(&path).unwrap();
    let moved = dir.path().join("project/copy/elsewhere.syrinx");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    project.save(&moved).unwrap();
    assert!(
        !project.detection_runs[0].recordings[0].scores.is_loaded(),
        "copied without being read into memory"
    );
    // The copy stands on its own.
    std::fs::remove_dir_all(scores_dir(&path)).unwrap();
    let (copy, _) = Project::load(&moved).unwrap();
    assert_eq!(
        copy.detection_runs[0].recordings[0]
            .scores
            .get()
            .unwrap()
            .scores,
        SCORES
    );
    let run_dir = score_file(
        &scores_dir(&moved),
        1,
        project.detection_runs[0].recordings[0].recording,
    )
    .parent()
    .unwrap()
    .to_path_buf();
    assert!(run_dir.exists());
    let deleted = project.detection_runs.clone();
    project.detection_runs.clear();
    // While an undo can bring the run back, its scores stay on disk; it comes back whole.
    project.save_keeping(&moved, &[1]).unwrap();
    assert!(run_dir.exists(), "held by the undo history");
    let (mut back, _) = Project::load(&moved).unwrap();
    back.detection_runs = deleted;
    back.save(&moved).unwrap();
    let (back, _) = Project::load(&moved).unwrap();
    assert_eq!(
        back.detection_runs[0].recordings[0]
            .scores
            .get()
            .unwrap()
            .scores,
        SCORES
    );
    project.save(&moved).unwrap();
    assert!(
        !run_dir.exists(),
        "the removed run's scores are removed with it"
    );
}

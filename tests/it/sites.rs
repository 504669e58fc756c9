//! Recorders name files by their start time: two sites' AudioMoth cards both hold
//! `20240518_052000.WAV`. A project with both keeps them apart from the export to the report:
//! each gets its own table (one used to overwrite the other), its rows carry its path and the
//! project's Site/group, the combined Raven table runs them one after the other, and
//! `syrinx report` counts the sites the user named.

use std::path::{Path, PathBuf};

use syrinx::annotation::{ProjectRecordingId, read_table};
use syrinx::audio::{WavEncoding, write_wav};
use syrinx::project::Project;
use syrinx::project::runs::{DetectionRef, DetectionRun, Verdict};

use super::cli::{stderr, stdout, syrinx};

const SECS: usize = 30;

/// A quiet 30 s recording at `dir/site/20240518_052000.WAV`.
fn card(dir: &Path, site: &str) -> PathBuf {
    let folder = dir.join(site);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("20240518_052000.WAV");
    let samples: Vec<f32> = (0..8_000 * SECS)
        .map(|i| 0.01 * (i as f32 * 0.3).sin())
        .collect();
    write_wav(&path, &samples, 8_000, WavEncoding::Pcm16).unwrap();
    path
}

/// A run with a detection at each second of `calls` in each recording, the first judged a call.
fn run_over(model_dir: &Path, recordings: &[(ProjectRecordingId, &[usize])]) -> DetectionRun {
    let ids = recordings.iter().map(|(id, _)| *id).collect();
    let mut run = super::common::empty_run(1, model_dir, ids);
    for (recording_idx, (id, calls)) in recordings.iter().enumerate() {
        run.add_scores(*id, super::common::scores_with_calls(SECS, calls));
        run.set_verdict(
            DetectionRef {
                recording_idx,
                detection_idx: 0,
            },
            Some(Verdict::TruePositive),
        );
    }
    run
}

#[test]
fn recordings_named_alike_at_two_sites_stay_apart_from_export_to_report() {
    let dir = tempfile::tempdir().unwrap();
    let north = card(dir.path(), "north");
    let south = card(dir.path(), "south");
    let project_path = dir.path().join("season.syrinx");
    let p = project_path.to_str().unwrap();
    assert!(syrinx(&["project", "new", p]).status.success());
    for (file, site) in [(&north, "North"), (&south, "South")] {
        let added = syrinx(&["project", "add", p, file.to_str().unwrap(), "--group", site]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let (mut project, _) = Project::load(&project_path).unwrap();
    let id_of = |path: &Path| project.recording_at(path).unwrap().id;
    let run = run_over(
        &dir.path().join("models/model_01"),
        &[(id_of(&north), &[2, 6, 10]), (id_of(&south), &[4])],
    );
    project.add_run(run);
    project.save(&project_path).unwrap();

    let out = dir.path().join("detections");
    let exported = syrinx(&[
        "project",
        "export-detections",
        p,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "raven",
        "--format",
        "csv",
    ]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    // A table each, named with its folder.
    for (name, rows) in [("north", 3), ("south", 1)] {
        let table = out.join(format!("{name}_20240518_052000.selections.txt"));
        assert_eq!(read_table(&table).unwrap().rows.len(), rows, "{name}");
        let csv = out.join(format!("{name}_20240518_052000.csv"));
        assert_eq!(read_table(&csv).unwrap().rows.len(), rows, "{name}");
    }
    // counts.csv: a line each, told apart by the path.
    let counts = std::fs::read_to_string(out.join("counts.csv")).unwrap();
    let lines: Vec<&str> = counts.lines().collect();
    assert_eq!(
        lines,
        [
            "recording,detections,audio_s,path".to_owned(),
            format!("20240518_052000.WAV,3,30.000,{}", north.display()),
            format!("20240518_052000.WAV,1,30.000,{}", south.display()),
        ]
    );
    // Every detection knows its recording's path and site.
    let all = read_table(&out.join("all_detections.csv")).unwrap();
    let sites_and_paths: Vec<(String, String)> = all
        .rows
        .iter()
        .map(|r| {
            let path = r.file.as_ref().and_then(|f| f.path.clone());
            (r.site(), path.unwrap_or_default())
        })
        .collect();
    let north_path = north.display().to_string();
    let south_path = south.display().to_string();
    assert_eq!(
        sites_and_paths,
        [
            ("North".to_owned(), north_path.clone()),
            ("North".to_owned(), north_path.clone()),
            ("North".to_owned(), north_path),
            ("South".to_owned(), south_path.clone()),
        ]
    );
    // The combined Raven table runs the files one after the other: the south detection at
    // 4 s into the second 30 s file is at 34 s of the sequence.
    let combined = std::fs::read_to_string(out.join("all_detections.selections.txt")).unwrap();
    let mut lines = combined.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (begin, begin_path) = (column("Begin Time (s)"), column("Begin Path"));
    let south_begins: Vec<&str> = lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|cells| cells[begin_path] == south_path)
        .map(|cells| cells[begin])
        .collect();
    assert_eq!(south_begins.len(), 1);
    let south_begin: f64 = south_begins[0].parse().unwrap();
    assert!((south_begin - 34.0).abs() < 0.01, "{combined}");

    // The report counts the sites the project names (the file names give none).
    let report = syrinx(&[
        "report",
        out.to_str().unwrap(),
        "--out",
        dir.path().join("report").to_str().unwrap(),
    ]);
    assert!(report.status.success(), "{}", stderr(&report));
    assert!(
        stdout(&report).contains("4 detection(s) at 2 site(s) (North, South), 2024-05-18"),
        "{}",
        stdout(&report)
    );
}

/// Clips cut from two sites' recordings of one name are named apart (at the same times one
/// used to overwrite the other), and a clip of the test site's recording stays in test (it
/// used to follow whichever recording of that stem the project listed last).
#[test]
fn clips_of_recordings_named_alike_are_kept_apart_and_follow_their_own_split() {
    use syrinx::annotation::Selection;
    use syrinx::dataset::Dataset;
    use syrinx::project::Split;

    let dir = tempfile::tempdir().unwrap();
    let mut project = super::train::generated_project(dir.path(), 3);
    // The test site's card first, the training site's second.
    for (index, (site, split)) in [("south", Split::Test), ("north", Split::Train)]
        .into_iter()
        .enumerate()
    {
        let folder = dir.path().join(site);
        std::fs::create_dir_all(&folder).unwrap();
        let moved = folder.join("20240518_052000.wav");
        std::fs::rename(&project.recordings[index].path, &moved).unwrap();
        project.recordings[index].path = moved;
        project.recordings[index].split = split;
        project.recordings[index].group = Some(site.to_owned());
    }
    let (south, north) = (project.recordings[0].id, project.recordings[1].id);
    let first_of = |recording: ProjectRecordingId| -> Selection {
        project
            .selections
            .items()
            .iter()
            .find(|s| s.recording == recording)
            .cloned()
            .unwrap()
    };
    let south_box = first_of(south);
    // A box at the very same times on the other card.
    let north_box = Selection {
        recording: north,
        ..south_box.clone()
    };
    let clips = dir.path().join("neg_iteration_01");
    let written =
        syrinx::clips::export_clips_flat(&project, &[&south_box, &north_box], &clips, 0.0)
            .unwrap()
            .written;
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].starts_with("south_20240518_052000_")
            && names[1].starts_with("north_20240518_052000_"),
        "{names:?}"
    );
    assert!(written.iter().all(|p| p.is_file()));
    // Only the south clip in the folder: it follows the south recording into test.
    std::fs::remove_file(&written[1]).unwrap();
    project.add_clip_folder(&clips, syrinx::annotation::SelectionKind::Negative, None);
    let dataset = Dataset::from_project(&project, &[], &super::train::config()).unwrap();
    let clip = dataset
        .windows
        .iter()
        .find(|w| w.source == names[0])
        .unwrap();
    assert_eq!((clip.split, clip.group.as_str()), (Split::Test, "south"));
}

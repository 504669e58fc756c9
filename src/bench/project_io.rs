//! What a season of detection runs costs the project file: a generated project whose runs cover
//! many hours of audio (every window scored, a call a minute, some verdicts), loaded and saved
//! as the app's autosave does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::BenchError;
use crate::annotation::ProjectRecordingId;
use crate::detect::{MergeSettings, PeakSettings, WindowScores};
use crate::project::runs::{DetectionRun, Verdict};
use crate::project::{Project, ProjectRecording, Split};

/// Seconds between window starts of the generated runs: a sixth of a 1.05 s window, the
/// default hop of models trained on the demo.
const HOP_SECS: f64 = 0.175;
/// A generated call every this many seconds.
const CALL_EVERY_SECS: f64 = 60.0;

/// Load and save times and sizes of one project.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProjectIoTimes {
    /// Hours of audio the project's runs cover.
    pub run_hours: f64,
    /// Reading the project (what opening it in the app waits for).
    pub load_secs: f64,
    /// Saving it again after a verdict changed (what each autosave costs).
    pub save_secs: f64,
    /// The project file.
    pub project_bytes: u64,
    /// Everything next to it that belongs to it (window-score side files).
    pub side_bytes: u64,
}

/// Writes `dir/runs.syrinx`: `recordings` one-hour recordings (the audio files themselves are
/// not written: the project notes them as missing, which costs nothing) and `runs` runs over all
/// of them, with every window's score.
pub fn write_run_project(
    dir: &Path,
    recordings: usize,
    runs: usize,
) -> Result<PathBuf, BenchError> {
    let input_error = |path: &Path, detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    std::fs::create_dir_all(dir).map_err(|e| input_error(dir, e.to_string()))?;
    let mut project = Project::default();
    for index in 0..recordings {
        project.recordings.push(ProjectRecording {
            id: ProjectRecordingId(u32::try_from(index).unwrap_or(u32::MAX)),
            path: dir.join(format!("site_{:02}/rec_{index:04}.wav", index % 20)),
            duration_secs: 3600.0,
            sample_rate_hz: 22_050,
            channels: 1,
            size_bytes: 158_760_044,
            fingerprint: format!("{index:016x}"),
            fully_annotated: false,
            split: Split::Train,
            group: Some(format!("site {}", index % 20)),
        });
    }
    let merge = MergeSettings {
        threshold: 0.5,
        min_gap_secs: 0.0,
        min_duration_secs: 0.0,
        peaks: Some(PeakSettings {
            min_separation_secs: 0.6,
            min_prominence: 1.0,
        }),
    };
    for run_index in 0..runs {
        let id = u32::try_from(run_index + 1).unwrap_or(u32::MAX);
        let mut run = DetectionRun {
            id,
            model_dir: dir.join(format!("models/model_{id:02}")),
            model_id: format!("2026-12-0{id}T00:00:00Z"),
            iteration: id,
            hop_secs: HOP_SECS,
            merge,
            label: "syrinx warbler".to_owned(),
            band_hz: Some((2_000.0, 8_000.0)),
            scope: String::new(),
            recordings: Vec::new(),
            pending: Vec::new(),
            failed: Vec::new(),
            calibration: None,
        };
        for recording in &project.recordings {
            run.add_scores(recording.id, generated_scores(recording.id.0, id));
        }
        // A reviewer's pass over the first detection of every recording.
        for part in &mut run.recordings {
            if let Some(first) = part.detections.first_mut() {
                first.verdict = Some(Verdict::TruePositive);
            }
        }
        project.detection_runs.push(run);
    }
    let path = dir.join("runs.syrinx");
    project
        .save(&path)
        .map_err(|e| input_error(&path, e.to_string()))?;
    Ok(path)
}

/// One hour of scores: low noise with a call-shaped bump every minute.
fn generated_scores(recording: u32, run: u32) -> WindowScores {
    let windows = (3600.0 / HOP_SECS) as usize;
    let mut state = u64::from(recording) << 32 | u64::from(run);
    let mut scores = WindowScores {
        window_secs: 1.05,
        start_secs: Vec::with_capacity(windows),
        scores: Vec::with_capacity(windows),
        envelope: None,
    };
    for i in 0..windows {
        let start_secs = i as f64 * HOP_SECS;
        // xorshift: cheap, deterministic noise.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state >> 40) as f32 / (1u64 << 24) as f32 * 0.2;
        let from_call = (start_secs % CALL_EVERY_SECS - 30.0).abs();
        let bump = (1.0 - from_call / 1.0).max(0.0) as f32;
        scores.start_secs.push(start_secs);
        scores.scores.push((noise + bump).min(1.0));
    }
    scores
}

/// Loads the project at `path`, changes one verdict, saves it (twice: the first save after
/// loading may migrate) and reports the times of the load and of the second save.
pub fn time_project_io(path: &Path) -> Result<ProjectIoTimes, BenchError> {
    let input_error = |detail: String| BenchError::Input {
        path: path.to_path_buf(),
        detail,
    };
    let started = Instant::now();
    let (mut project, _) = Project::load(path).map_err(|e| input_error(e.to_string()))?;
    let load_secs = started.elapsed().as_secs_f64();
    let run_hours = project
        .detection_runs
        .iter()
        .map(|run| run.audio_secs(&project))
        .sum::<f64>()
        / 3600.0;
    let flip = |project: &mut Project| {
        if let Some(d) = project
            .detection_runs
            .first_mut()
            .and_then(|run| run.recordings.first_mut())
            .and_then(|part| part.detections.first_mut())
        {
            d.verdict = match d.verdict {
                Some(Verdict::TruePositive) => Some(Verdict::FalsePositive),
                _ => Some(Verdict::TruePositive),
            };
        }
    };
    flip(&mut project);
    project.save(path).map_err(|e| input_error(e.to_string()))?;
    flip(&mut project);
    let started = Instant::now();
    project.save(path).map_err(|e| input_error(e.to_string()))?;
    let save_secs = started.elapsed().as_secs_f64();
    let project_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    Ok(ProjectIoTimes {
        run_hours,
        load_secs,
        save_secs,
        project_bytes,
        side_bytes: side_bytes(path),
    })
}

/// Bytes of the project's side files (nothing while runs live inside the project file).
fn side_bytes(project: &Path) -> u64 {
    fn tree_bytes(path: &Path) -> u64 {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::read_dir(path).map_or(0, |entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| tree_bytes(&e.path()))
                    .sum()
            }),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        }
    }
    tree_bytes(&crate::project::scores_dir(project))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_runs_have_a_call_a_minute_and_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_run_project(dir.path(), 2, 1).unwrap();
        let times = time_project_io(&path).unwrap();
        assert!((times.run_hours - 2.0).abs() < 0.01, "{times:?}");
        let (project, _) = Project::load(&path).unwrap();
        let run = &project.detection_runs[0];
        for part in &run.recordings {
            assert_eq!(part.detections.len(), 60, "one call a minute");
        }
        assert!(times.project_bytes > 0);
    }
}

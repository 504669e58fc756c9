//! Projects, recordings and runs for the project modules' tests.

use std::path::PathBuf;

use crate::annotation::ProjectRecordingId;
use crate::detect::{MergeSettings, WindowScores};

use super::runs::DetectionRun;
use super::{ProjectRecording, Split};

/// A one-minute 22.05 kHz recording at `path` (which need not exist).
pub(crate) fn recording(id: u32, path: &str) -> ProjectRecording {
    ProjectRecording {
        id: ProjectRecordingId(id),
        path: PathBuf::from(path),
        duration_secs: 60.0,
        sample_rate_hz: 22_050,
        channels: 1,
        size_bytes: 10,
        fingerprint: "f".to_owned(),
        fully_annotated: false,
        split: Split::Auto,
        group: None,
    }
}

/// Run `id` of model `/models/m1` over `recording`, with one-second windows a second apart
/// scoring `scores`, merged at 0.5.
pub(crate) fn run(id: u32, recording: u32, scores: Vec<f32>) -> DetectionRun {
    let mut run = DetectionRun {
        id,
        model_dir: PathBuf::from("/models/m1"),
        model_id: String::new(),
        iteration: 1,
        hop_secs: 1.0,
        merge: MergeSettings {
            threshold: 0.5,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: None,
        },
        label: "call".to_owned(),
        band_hz: None,
        scope: String::new(),
        recordings: Vec::new(),
        pending: vec![ProjectRecordingId(recording)],
        failed: Vec::new(),
        calibration: None,
    };
    let start_secs = (0..scores.len()).map(|i| i as f64).collect();
    run.add_scores(
        ProjectRecordingId(recording),
        WindowScores {
            window_secs: 1.0,
            start_secs,
            scores,
            envelope: None,
        },
    );
    run
}

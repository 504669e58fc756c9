use std::path::{Path, PathBuf};

/// A committed fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The project's shared data folder, when this checkout sits beside it.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "note: {} is not present; skipping that part",
            path.display()
        );
        None
    }
}

/// Power of `freq_hz` in `samples` (Goertzel), normalised by length.
pub fn tone_power(samples: &[f32], freq_hz: f64, sample_rate_hz: u32) -> f64 {
    let w = std::f64::consts::TAU * freq_hz / f64::from(sample_rate_hz);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0_f64, 0.0_f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (samples.len() as f64).powi(2)
}

/// Whether `samples` is dominated by `hz` rather than `other_hz`.
pub fn dominated_by(samples: &[f32], hz: f64, other_hz: f64, sample_rate_hz: u32) -> bool {
    tone_power(samples, hz, sample_rate_hz) > 100.0 * tone_power(samples, other_hz, sample_rate_hz)
}

/// Run `id` of `model_dir` over `recordings`, not scored yet (add each one's scores with
/// `add_scores`): one-second windows a second apart, merged at 0.5, one detection per run of
/// windows.
pub fn empty_run(
    id: u32,
    model_dir: &Path,
    recordings: Vec<syrinx::annotation::ProjectRecordingId>,
) -> syrinx::project::runs::DetectionRun {
    syrinx::project::runs::DetectionRun {
        id,
        model_dir: model_dir.to_path_buf(),
        model_id: model_dir.display().to_string(),
        iteration: id,
        hop_secs: 1.0,
        merge: syrinx::detect::MergeSettings {
            threshold: 0.5,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            peaks: None,
        },
        label: "call".to_owned(),
        band_hz: None,
        scope: String::new(),
        recordings: Vec::new(),
        pending: recordings,
        failed: Vec::new(),
        calibration: None,
    }
}

/// `secs` one-second windows a second apart scoring 0.9 at the seconds in `calls` and 0.1
/// elsewhere: one detection per call for [`empty_run`]'s runs.
pub fn scores_with_calls(secs: usize, calls: &[usize]) -> syrinx::detect::WindowScores {
    syrinx::detect::WindowScores {
        window_secs: 1.0,
        start_secs: (0..secs).map(|s| s as f64).collect(),
        scores: (0..secs)
            .map(|s| if calls.contains(&s) { 0.9 } else { 0.1 })
            .collect(),
        envelope: None,
    }
}

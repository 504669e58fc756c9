//! A detection batch killed with SIGKILL at random points resumes where it stopped and ends with
//! tables identical to a run never interrupted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use syrinx::audio::{WavEncoding, write_wav};
use syrinx::dsp::{ModelInputSpec, SpectrogramParams};
use syrinx::model::{ComputeDevice, ModelArtifact, NetworkConfig};
use syrinx::util::synth::FieldSynth;
use syrinx::workflow::journal::JOURNAL_FILE;

const FILES: usize = 2_000;
const RATE_HZ: u32 = 8_000;

/// A small untrained network over 0.5 s windows: its scores are fixed once saved, and vary
/// enough around 0.5 to give detections.
fn model(dir: &Path) -> PathBuf {
    let device = ComputeDevice::Cpu.device().unwrap();
    device.seed(11);
    let input = ModelInputSpec {
        sample_rate_hz: RATE_HZ,
        window_samples: 4_000,
        spectrogram: SpectrogramParams::default().mel(32),
        bands: 32,
        ..ModelInputSpec::default()
    };
    let network = NetworkConfig {
        channels: vec![8, 16],
        input_pool: 1,
        ..NetworkConfig::default()
    };
    let model = ModelArtifact::untrained(network, input, &device);
    let path = dir.join("model");
    model.save(&path).unwrap();
    path
}

fn detect(model: &Path, out: &Path, audio: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syrinx"));
    command
        .args(["detect", "--threshold", "0.5", "--model"])
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg(audio)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A folder of `n` one-second recordings of field noise, each its own.
fn survey(dir: &Path, n: usize) -> PathBuf {
    let audio = dir.join("survey");
    std::fs::create_dir(&audio).unwrap();
    for i in 0..n {
        let samples = FieldSynth::new(RATE_HZ, i as u64).take(RATE_HZ as usize);
        write_wav(
            &audio.join(format!("r{i:04}.wav")),
            &samples,
            RATE_HZ,
            WavEncoding::Pcm16,
        )
        .unwrap();
    }
    audio
}

/// Files finished so far: the journal's whole lines less its first (what the batch is).
fn finished(out: &Path) -> usize {
    std::fs::read(out.join(JOURNAL_FILE)).map_or(0, |bytes| {
        bytes
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_sub(1)
    })
}

/// Runs `command` and kills it (SIGKILL) once `point` files are finished in `out`; whether the
/// kill came before it ended by itself.
fn kill_after(mut command: Command, out: &Path, point: usize) -> bool {
    let mut child = command.spawn().unwrap();
    let killed = loop {
        if finished(out) >= point {
            child.kill().unwrap();
            break true;
        }
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    child.wait().unwrap();
    killed
}

/// Every table in `dir` (the journal and its scores aside), by name.
fn tables(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    found.sort();
    found
}

#[test]
fn a_batch_killed_three_times_resumes_to_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let audio = survey(dir.path(), FILES);
    let model = model(dir.path());

    let reference = dir.path().join("reference");
    let whole = detect(&model, &reference, &audio).output().unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let expected = tables(&reference);
    assert_eq!(
        expected.len(),
        FILES + 3,
        "a table per file, combined ones, counts"
    );
    assert!(
        expected
            .iter()
            .any(|(name, bytes)| name.ends_with(".selections.txt")
                && bytes.iter().filter(|b| **b == b'\n').count() > 1),
        "some file has detections"
    );

    let out = dir.path().join("resumed");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut points: Vec<usize> = (0..3).map(|_| rng.random_range(50..FILES - 50)).collect();
    points.sort_unstable();
    let mut kills = 0;
    let last_point = points[2];
    for point in points {
        if kill_after(detect(&model, &out, &audio), &out, point) {
            kills += 1;
            assert!(finished(&out) < FILES, "killed before the end");
        }
    }
    assert_eq!(kills, 3, "every kill landed mid-batch");
    let last = detect(&model, &out, &audio).arg("--json").output().unwrap();
    let said = String::from_utf8_lossy(&last.stderr);
    assert!(last.status.success(), "{said}");
    assert!(said.contains("not scored again"), "{said}");
    // Only the files no run finished were scored.
    let stdout = String::from_utf8_lossy(&last.stdout);
    let summary: serde_json::Value =
        serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    let (scored, resumed) = (
        summary["files"].as_u64().unwrap() as usize,
        summary["resumed"].as_u64().unwrap() as usize,
    );
    assert_eq!(scored + resumed, FILES);
    assert!(
        resumed >= last_point,
        "{resumed} resumed, killed after {last_point}"
    );
    let resumed = tables(&out);
    assert_eq!(resumed.len(), expected.len());
    for ((name, bytes), (expected_name, expected_bytes)) in resumed.iter().zip(&expected) {
        assert_eq!(name, expected_name);
        assert!(
            bytes == expected_bytes,
            "{name} differs from the uninterrupted run's"
        );
    }
}

#[test]
fn a_resumed_batch_stores_every_files_scores_in_the_project() {
    const FEW: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let audio = survey(dir.path(), FEW);
    let model = model(dir.path());
    let project = dir.path().join("survey.syrinx");
    syrinx::project::Project::default().save(&project).unwrap();
    let out = dir.path().join("out");
    let with_project = || {
        let mut command = detect(&model, &out, &audio);
        command.arg("--project").arg(&project);
        command
    };
    assert!(
        kill_after(with_project(), &out, FEW / 2),
        "killed mid-batch"
    );
    assert!(
        syrinx::project::Project::load(&project)
            .unwrap()
            .0
            .detection_runs
            .is_empty(),
        "a killed batch stores no run"
    );
    let last = with_project().output().unwrap();
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
    let (stored, _) = syrinx::project::Project::load(&project).unwrap();
    assert_eq!(stored.detection_runs.len(), 1);
    let run = &stored.detection_runs[0];
    assert_eq!(
        run.recordings.len(),
        FEW,
        "every file's scores, resumed ones too"
    );
    for part in &run.recordings {
        assert!(!part.scores.get().unwrap().scores.is_empty());
    }
}

#[test]
fn a_stored_run_exports_the_detections_folder_its_batch_wrote() {
    const FEW: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    let audio = survey(dir.path(), FEW);
    // Named as recorders name them: their start times reach the tables as clock times.
    for i in 0..FEW {
        std::fs::rename(
            audio.join(format!("r{i:04}.wav")),
            audio.join(format!("r{i:04}_20210614_0530{i:02}.wav")),
        )
        .unwrap();
    }
    let model = model(dir.path());
    let project = dir.path().join("survey.syrinx");
    syrinx::project::Project::default().save(&project).unwrap();
    let batch = dir.path().join("batch");
    let ran = detect(&model, &batch, &audio)
        .args(["--format", "raven", "--project"])
        .arg(&project)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    // What Review's "Export detections" writes, from the command line.
    let exported = dir.path().join("exported");
    let export = Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["project", "export-detections"])
        .arg(&project)
        .args(["--format", "raven", "--out"])
        .arg(&exported)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let written = tables(&batch);
    assert_eq!(
        written.len(),
        FEW + 3,
        "a table per file, two combined, counts"
    );
    let rows: usize = written
        .iter()
        .filter(|(name, _)| name == "all_detections.csv")
        .map(|(_, bytes)| bytes.iter().filter(|b| **b == b'\n').count())
        .sum();
    assert!(rows > 1, "the batch found detections to compare");
    assert_eq!(tables(&exported), written, "one writer, the same files");
    // Every detection has its date and clock time: its file's start plus its offset.
    let combined =
        syrinx::annotation::read_table(&batch.join(syrinx::export::DETECTIONS_RAVEN_FILE)).unwrap();
    assert!(!combined.rows.is_empty());
    for row in &combined.rows {
        let file = row.file.as_ref().unwrap();
        let second: u32 = file.name[19..21].parse().unwrap();
        let start = file.start.unwrap();
        assert_eq!(
            start.format("%Y-%m-%d %H:%M:%S").to_string(),
            format!("2021-06-14 05:30:{second:02}"),
            "{}",
            file.name
        );
    }
}

#[test]
fn detect_with_a_calibration_gives_probabilities_and_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let audio = survey(dir.path(), 24);
    let model = model(dir.path());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_syrinx"))
            .args(args)
            .output()
            .unwrap()
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (m, a) = (model.to_str().unwrap(), audio.to_str().unwrap());
    let raw = dir.path().join("raw");
    let r = raw.to_str().unwrap();
    let ran = run(&[
        "detect",
        "--model",
        m,
        "--threshold",
        "0.3",
        "--format",
        "csv",
        "--out",
        r,
        a,
    ]);
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let sampled = run(&[
        "calibrate",
        "sample",
        "--detections",
        r,
        "--bands",
        "3",
        "--per-band",
        "4",
    ]);
    assert!(sampled.status.success(), "{}", text(&sampled.stderr));
    // The reviewer finds the higher-scoring half to be calls.
    let sample_path = raw.join("review_sample.csv");
    let mut rows = syrinx::annotation::read_table(&sample_path).unwrap().rows;
    assert!(rows.len() >= 8, "{} sampled", rows.len());
    let mut scores: Vec<f64> = rows.iter().map(|r| r.score.unwrap()).collect();
    scores.sort_by(f64::total_cmp);
    let median = scores[scores.len() / 2];
    for row in &mut rows {
        let call = row.score.unwrap() >= median;
        row.verdict = Some(
            if call {
                "TruePositive"
            } else {
                "FalsePositive"
            }
            .to_owned(),
        );
    }
    syrinx::annotation::write_table(&sample_path, syrinx::annotation::TableFormat::Csv, &rows)
        .unwrap();
    let fitted = run(&[
        "calibrate",
        "fit",
        "--detections",
        r,
        "--bands",
        "3",
        "--target-precision",
        "0.6",
        "--json",
    ]);
    assert!(fitted.status.success(), "{}", text(&fitted.stderr));
    let classes: serde_json::Value =
        serde_json::from_str(text(&fitted.stdout).trim().lines().last().unwrap()).unwrap();
    let threshold = classes[0]["choice"]["threshold"].as_f64().unwrap();
    let (a_, b_) = (
        classes[0]["calibration"]["intercept"].as_f64().unwrap(),
        classes[0]["calibration"]["slope"].as_f64().unwrap(),
    );
    // Detection with the calibration: its threshold, and every row's probability.
    let calibration = raw.join("calibration.json");
    let c = calibration.to_str().unwrap();
    let out = dir.path().join("calibrated");
    let o = out.to_str().unwrap();
    let ran = run(&[
        "detect",
        "--model",
        m,
        "--calibration",
        c,
        "--format",
        "csv",
        "--out",
        o,
        a,
    ]);
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    assert!(
        text(&ran.stderr).contains("target 0.60"),
        "{}",
        text(&ran.stderr)
    );
    let table = syrinx::annotation::read_table(&out.join("all_detections.csv")).unwrap();
    assert!(!table.rows.is_empty());
    for row in &table.rows {
        let score = row.score.unwrap();
        assert!(score >= threshold - 1e-4, "{score} below {threshold}");
        let logit = (score / (1.0 - score)).ln();
        let expected = 1.0 / (1.0 + (-(a_ + b_ * logit)).exp());
        let probability: f64 = row.values["Probability"].parse().unwrap();
        assert!(
            (probability - expected).abs() < 2e-3,
            "{probability} against {expected}"
        );
    }
    // Another target picks another threshold from the same calibration, or says none reaches it.
    let strict = dir.path().join("strict");
    let ran = run(&[
        "detect",
        "--model",
        m,
        "--calibration",
        c,
        "--target-precision",
        "0.999",
        "--out",
        strict.to_str().unwrap(),
        a,
    ]);
    let said = text(&ran.stderr);
    assert!(
        said.contains("(target 1.00)") || said.contains("no threshold reaches precision 1.00"),
        "{said}"
    );
    // A threshold of one's own and a calibration's are one too many.
    let both = run(&[
        "detect",
        "--model",
        m,
        "--calibration",
        c,
        "--threshold",
        "0.5",
        "--out",
        o,
        a,
    ]);
    assert!(!both.status.success());
    // Without a calibration a target precision means nothing.
    let alone = run(&[
        "detect",
        "--model",
        m,
        "--target-precision",
        "0.9",
        "--out",
        o,
        a,
    ]);
    assert!(!alone.status.success() && text(&alone.stderr).contains("--calibration"));
}

//! Hard generated cases for the recogniser's defaults, measured event by event with the matcher
//! of `syrinx evaluate` (overlap or centres within 1.5 s, each call once):
//!
//! - `hydrophone`: 2 kHz recordings of ~1 s upcalls sweeping 60→220 Hz in low-frequency sea
//!   noise; the test day's calls are 7 dB fainter and a ship's hum drifts through them;
//! - `real_noise`: the same upcalls in real sea noise (the shared right-whale day's call-free
//!   background recordings, read at run time and skipped when absent), about a dozen calls a
//!   recording (few positives), the test recording's calls 6 dB fainter;
//! - `bats`: 250 kHz recordings of 5 ms FM sweeps 100→35 kHz in sequences 60–120 ms apart
//!   (calls far closer together than any window the old default had).
//!
//! Each case trains twice on the same project — with the first defaults (22.05 kHz, 128 mel bands
//! over the whole band, a fixed dB range, 2.5 s windows, runs of positive windows merged at a
//! 0.5 s hop) and with today's (the input proposed from the data, the default front end, event-
//! level validation, peak picking) — and prints precision, recall and F1 on unseen test
//! recordings. Run: `cargo run --release --example hard_cases [DIR] [hydrophone|real_noise|bats]`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use syrinx::annotation::{ProjectRecordingId, Selection, SelectionId, SelectionKind, SelectionSet};
use syrinx::audio::{WavEncoding, probe, write_wav};
use syrinx::dataset::DatasetConfig;
use syrinx::detect::MergeSettings;
use syrinx::evaluate::{EventMetrics, evaluate_scores, rates};
use syrinx::model::ModelArtifact;
use syrinx::project::Project;
use syrinx::scoring::score_recording;
use syrinx::train::{TrainSettings, project_config, train_project};

/// A call: start, end, low and high frequency.
type Call = (f64, f64, f64, f64);

/// One generated recording.
struct Recording {
    path: PathBuf,
    calls: Vec<Call>,
}

/// How a case sounds.
#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    rate_hz: u32,
    secs: f64,
    train_files: usize,
    test_files: usize,
}

const HYDROPHONE: Case = Case {
    name: "hydrophone",
    rate_hz: 2_000,
    secs: 600.0,
    train_files: 4,
    test_files: 2,
};

/// Upcalls in real sea noise (the shared right-whale day's call-free background recordings,
/// read at run time when present): two 15-minute training recordings with about a dozen calls
/// each (few positives), a test recording of the third with calls 6 dB fainter.
const REAL_NOISE: Case = Case {
    name: "real_noise",
    rate_hz: 2_000,
    secs: 900.0,
    train_files: 2,
    test_files: 1,
};

const BATS: Case = Case {
    name: "bats",
    rate_hz: 250_000,
    secs: 30.0,
    train_files: 4,
    test_files: 2,
};

/// Low-frequency sea noise: brown-ish (leaky integrated white) plus white.
fn sea_noise(rng: &mut ChaCha8Rng, samples: usize, level: f32) -> Vec<f32> {
    let mut low = 0.0_f32;
    (0..samples)
        .map(|_| {
            let white: f32 = StandardNormal.sample(&mut *rng);
            low = 0.98 * low + 0.2 * white;
            level * (low + 0.3 * white)
        })
        .collect()
}

/// Adds a sweep from `from_hz` to `to_hz` over `secs` with a sin² envelope.
fn add_sweep(
    audio: &mut [f32],
    rate_hz: u32,
    start_secs: f64,
    secs: f64,
    from_hz: f64,
    to_hz: f64,
    amplitude: f32,
) {
    let rate = f64::from(rate_hz);
    let first = (start_secs * rate) as usize;
    let len = (secs * rate) as usize;
    let mut phase = 0.0_f64;
    for (i, sample) in audio.iter_mut().skip(first).take(len).enumerate() {
        let p = i as f64 / len as f64;
        // Upcalls bend upwards; bat calls fall fast, then level out.
        let freq = from_hz + (to_hz - from_hz) * p.powf(if to_hz > from_hz { 1.4 } else { 0.5 });
        phase = (phase + std::f64::consts::TAU * freq / rate) % std::f64::consts::TAU;
        let envelope = (std::f64::consts::PI * p).sin().powi(2) as f32;
        *sample += amplitude * envelope * phase.sin() as f32;
    }
}

fn hydrophone(dir: &Path, index: usize, test: bool) -> Recording {
    let case = HYDROPHONE;
    let mut rng = ChaCha8Rng::seed_from_u64(100 + index as u64 + if test { 50 } else { 0 });
    let samples = (case.secs * f64::from(case.rate_hz)) as usize;
    let noise_level = rng.random_range(0.01..0.02);
    let mut audio = sea_noise(&mut rng, samples, noise_level);
    // Test day: 7 dB fainter calls, a ship's hum drifting between 90 and 150 Hz.
    let call_gain = if test { 10f32.powf(-7.0 / 20.0) } else { 1.0 };
    if test {
        let mut phase = 0.0_f64;
        for (i, s) in audio.iter_mut().enumerate() {
            let t = i as f64 / f64::from(case.rate_hz);
            let hum_hz = 120.0 + 30.0 * (t / 90.0).sin();
            phase += std::f64::consts::TAU * hum_hz / f64::from(case.rate_hz);
            *s += 0.02 * phase.sin() as f32;
        }
    }
    let mut calls = Vec::new();
    // The last training recording has no calls (call-free time, as in real surveys).
    let calling = test || index != case.train_files - 1;
    let mut t = rng.random_range(2.0..20.0);
    while calling && t < case.secs - 3.0 {
        let secs = rng.random_range(0.8..1.2);
        let (from, to) = (rng.random_range(55.0..75.0), rng.random_range(190.0..240.0));
        let amplitude = call_gain * rng.random_range(0.03..0.09);
        add_sweep(&mut audio, case.rate_hz, t, secs, from, to, amplitude);
        calls.push((t, t + secs, from - 10.0, to + 20.0));
        // Pairs now and then: upcalls 1.5–2.5 s apart.
        t += if rng.random_bool(0.2) {
            secs + rng.random_range(0.5..1.5)
        } else {
            secs + rng.random_range(8.0..40.0)
        };
    }
    save(dir, case, index, test, &audio, calls)
}

/// The shared background recordings (evaluation data, never copied into the repository).
fn real_backgrounds() -> Vec<PathBuf> {
    let folder = std::env::var_os("SYRINX_RECOGNISERS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/recognisers"),
        PathBuf::from,
    );
    let mut files = syrinx::audio::audio_files_in(&folder.join("right_whale_day1/background"))
        .unwrap_or_default();
    files.sort();
    files
}

fn real_noise(dir: &Path, index: usize, test: bool) -> Recording {
    let case = REAL_NOISE;
    let backgrounds = real_backgrounds();
    let source = &backgrounds[if test { 2 } else { index }];
    let (_, mut audio) = match syrinx::audio::read_all(source, syrinx::audio::ChannelMode::Mix) {
        Ok(read) => read,
        Err(error) => {
            eprintln!("cannot read {}: {error}", source.display());
            std::process::exit(1);
        }
    };
    let rms = (audio
        .iter()
        .map(|v| f64::from(*v) * f64::from(*v))
        .sum::<f64>()
        / audio.len().max(1) as f64)
        .sqrt() as f32;
    let mut rng = ChaCha8Rng::seed_from_u64(500 + index as u64 + if test { 50 } else { 0 });
    let call_gain = if test { 10f32.powf(-6.0 / 20.0) } else { 1.0 };
    let mut calls = Vec::new();
    let mut t = rng.random_range(10.0..40.0);
    while t < case.secs - 3.0 {
        let secs = rng.random_range(0.8..1.4);
        let (from, to) = (rng.random_range(60.0..90.0), rng.random_range(180.0..260.0));
        // Peaks 0–10 dB above the noise's overall level.
        let amplitude = call_gain * rms * rng.random_range(1.0..3.0);
        add_sweep(&mut audio, case.rate_hz, t, secs, from, to, amplitude);
        calls.push((t, t + secs, from - 10.0, to + 20.0));
        t += secs + rng.random_range(40.0..100.0);
    }
    save(dir, case, index, test, &audio, calls)
}

fn bats(dir: &Path, index: usize, test: bool) -> Recording {
    let case = BATS;
    let mut rng = ChaCha8Rng::seed_from_u64(300 + index as u64 + if test { 50 } else { 0 });
    let samples = (case.secs * f64::from(case.rate_hz)) as usize;
    let mut audio: Vec<f32> = (0..samples)
        .map(|_| {
            let white: f32 = StandardNormal.sample(&mut rng);
            0.01 * white
        })
        .collect();
    let call_gain = if test { 10f32.powf(-6.0 / 20.0) } else { 1.0 };
    let mut calls = Vec::new();
    let mut t = rng.random_range(0.2..1.0);
    while t < case.secs - 1.0 {
        // A pass: 5–15 calls 60–120 ms apart, then silence.
        let n = rng.random_range(5..=15);
        let interval = rng.random_range(0.06..0.12);
        let amplitude = call_gain * rng.random_range(0.05..0.2);
        for k in 0..n {
            let start = t + f64::from(k) * interval;
            let secs = rng.random_range(0.004..0.007);
            let (from, to) = (
                rng.random_range(90_000.0..110_000.0),
                rng.random_range(33_000.0..40_000.0),
            );
            add_sweep(&mut audio, case.rate_hz, start, secs, from, to, amplitude);
            calls.push((start, start + secs, to - 2_000.0, from + 2_000.0));
        }
        t += f64::from(n) * interval + rng.random_range(1.0..4.0);
    }
    save(dir, case, index, test, &audio, calls)
}

/// Writes `<case>_<train|test>NN.wav` in `dir`.
fn save(
    dir: &Path,
    case: Case,
    index: usize,
    test: bool,
    audio: &[f32],
    calls: Vec<Call>,
) -> Recording {
    let side = if test { "test" } else { "train" };
    let path = dir.join(format!("{}_{side}{index:02}.wav", case.name));
    write(&path, audio, case.rate_hz);
    Recording { path, calls }
}

fn write(path: &Path, audio: &[f32], rate_hz: u32) {
    let clipped: Vec<f32> = audio.iter().map(|v| v.clamp(-1.0, 1.0)).collect();
    if let Err(error) = write_wav(path, &clipped, rate_hz, WavEncoding::Pcm16) {
        eprintln!("cannot write {}: {error}", path.display());
        std::process::exit(1);
    }
}

/// A project of the training recordings: every call a positive, every recording fully
/// annotated, in its own group.
fn project(recordings: &[Recording]) -> Project {
    let mut project = Project::default();
    let mut items = Vec::new();
    for recording in recordings {
        let Ok(info) = probe(&recording.path) else {
            continue;
        };
        let Ok(id) = project.add_recording(&info) else {
            continue;
        };
        if let Some(r) = project.recording_mut(id) {
            r.fully_annotated = true;
        }
        for &(start_secs, end_secs, low_hz, high_hz) in &recording.calls {
            items.push(Selection {
                id: SelectionId(items.len() as u64),
                recording: id,
                start_secs,
                end_secs,
                low_hz,
                high_hz,
                label: "call".to_owned(),
                kind: SelectionKind::Positive,
                extra: Default::default(),
            });
        }
    }
    project.selections = SelectionSet::from_items(items);
    project
}

/// Event metrics of `model` over `tests`, at its threshold, with `settings` and `hop_secs`.
fn score(
    model: &ModelArtifact,
    tests: &[Recording],
    hop_secs: f64,
    settings: &MergeSettings,
) -> (EventMetrics, f64) {
    let mut total = EventMetrics::default();
    let (mut secs, started) = (0.0, Instant::now());
    for test in tests {
        let mut length = 0.0;
        let Ok(scores) = score_recording(
            model,
            &test.path,
            hop_secs,
            &AtomicBool::new(false),
            &mut |_, total| length = total,
        ) else {
            continue;
        };
        secs += length;
        let references: Vec<(f64, f64)> = test.calls.iter().map(|c| (c.0, c.1)).collect();
        total.add_counts(&evaluate_scores(
            &scores,
            settings,
            &references,
            1.5,
            length,
        ));
    }
    (
        rates(total, secs),
        secs / started.elapsed().as_secs_f64().max(1e-9),
    )
}

fn run_case(dir: &Path, case: Case) {
    let make = match case.name {
        "bats" => bats,
        "real_noise" => {
            if real_backgrounds().len() < 3 {
                println!(
                    "\nreal_noise: skipped (the shared recognisers folder is absent; set \
                     SYRINX_RECOGNISERS to it)"
                );
                return;
            }
            real_noise
        }
        _ => hydrophone,
    };
    let folder = dir.join(case.name);
    if let Err(error) = std::fs::create_dir_all(&folder) {
        eprintln!("cannot create {}: {error}", folder.display());
        return;
    }
    let train: Vec<Recording> = (0..case.train_files)
        .map(|i| make(&folder, i, false))
        .collect();
    let tests: Vec<Recording> = (0..case.test_files)
        .map(|i| make(&folder, i, true))
        .collect();
    let project = project(&train);
    let calls: usize = tests.iter().map(|t| t.calls.len()).sum();
    println!(
        "\n{}: {} training recordings ({} calls), {} test recordings ({calls} calls), {} Hz",
        case.name,
        train.len(),
        project.selections.len(),
        tests.len(),
        case.rate_hz
    );
    let old_input = syrinx::dsp::ModelInputSpec::default();
    let mut old_project = project.clone();
    old_project.model_input = old_input;
    old_project.propose_model_input = Some(false);
    for (label, project, old) in [
        ("first defaults", &old_project, true),
        ("today's defaults", &project, false),
    ] {
        let (config, settings, proposal): (DatasetConfig, TrainSettings, _) = project_config(
            project,
            &[] as &[ProjectRecordingId],
            &TrainSettings::default(),
        );
        if let Some(p) = &proposal {
            for reason in &p.reasons {
                println!("  {reason}");
            }
        }
        let started = Instant::now();
        let outcome = match train_project(
            project,
            None,
            &[],
            &config,
            &settings,
            &AtomicBool::new(false),
            &mut |_| {},
        ) {
            Ok(outcome) => outcome,
            Err(error) => {
                println!("  {label}: training failed: {error}");
                continue;
            }
        };
        let train_secs = started.elapsed().as_secs_f64();
        let model = outcome.artifact;
        let (hop_secs, merge_settings) = if old {
            (
                0.5,
                MergeSettings {
                    peaks: None,
                    ..model.info.merge_settings()
                },
            )
        } else {
            (model.info.detection_hop_secs(), model.info.merge_settings())
        };
        let (m, speed) = score(&model, &tests, hop_secs, &merge_settings);
        println!(
            "  {label:<17} trained in {train_secs:>5.1} s · test: {} of {} calls, {} false positive(s) · P {:.3} R {:.3} F1 {:.3} · detection {speed:.0}× real time",
            m.true_positives,
            m.true_positives + m.false_negatives,
            m.false_positives,
            m.precision,
            m.recall,
            m.f1
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join("syrinx-hard-cases"),
        PathBuf::from,
    );
    let only = args.next();
    for case in [HYDROPHONE, REAL_NOISE, BATS] {
        if only.as_deref().is_none_or(|o| o == case.name) {
            run_case(&dir, case);
        }
    }
}

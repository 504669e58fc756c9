//! The recogniser's defaults judged on real recordings: `../shared/data/recognisers/` (read at
//! run time, never copied; evaluation only). Every figure is event by event, with the matcher of
//! `syrinx evaluate` (overlap, or centres within 1.5 s; each call once), at the threshold the
//! model chose for itself.
//!
//! `right_whale_day1` (3 × 15 min with 21, 24 and 8 upcalls, 3 × 15 min of call-free
//! background from another site):
//! - **leave one out**: for each call recording, a project of the other two and two background
//!   recordings (all fully annotated, splits left to Syrinx, every default), then detection in
//!   the recording left out —
//!   - as it is,
//!   - as a *new day*: attenuated by 6 and by 10 dB, with the background recording that the
//!     fold did not train on added at the left-out recording's original level in the calls'
//!     band (50–300 Hz): fainter calls in partly other noise;
//! - **few shots**: the first 10 calls of the first recording (the recording cut just after the
//!   10th call, fully annotated) and two background recordings; detection in the other two call
//!   recordings.
//!
//! Besides the model's own threshold, each row gives the best recall any threshold reaches at
//! ≤ 2 false positives per hour ("oracle"): how well the model ranks, apart from the threshold
//! it picked. Run: `cargo run --release --example recognisers [DATA_DIR] [WORK_DIR]`
//! (`DATA_DIR` defaults to `../shared/data/recognisers`); it skips with a message when the data
//! is absent.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use syrinx::annotation::{
    ProjectRecordingId, Selection, SelectionId, SelectionKind, SelectionSet, read_table,
};
use syrinx::audio::{ChannelMode, WavEncoding, probe, read_all, write_wav};
use syrinx::detect::MergeSettings;
use syrinx::evaluate::{EventMetrics, evaluate_scores, rates};
use syrinx::model::ModelArtifact;
use syrinx::project::Project;
use syrinx::scoring::score_recording;
use syrinx::train::{TrainSettings, project_config, train_project};

/// A call: start and end (seconds), low and high frequency (Hz).
type Call = (f64, f64, f64, f64);

/// The tolerance of `syrinx evaluate`.
const TOLERANCE_SECS: f64 = 1.5;
/// The calls' band, where a new day's noise is levelled.
const BAND_HZ: (f64, f64) = (50.0, 300.0);

/// One recording and its reference calls.
#[derive(Clone)]
struct Recording {
    path: PathBuf,
    calls: Vec<Call>,
}

impl Recording {
    fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The calls of `table` (a Raven selection table), in time order.
fn calls_of(table: &Path) -> Vec<Call> {
    let parsed = match read_table(table) {
        Ok(parsed) => parsed,
        Err(error) => fail(&format!("cannot read {}: {error}", table.display())),
    };
    let mut calls: Vec<Call> = parsed
        .rows
        .iter()
        .map(|row| {
            (
                row.start_secs,
                row.end_secs,
                row.low_hz.unwrap_or(0.0),
                row.high_hz.unwrap_or(1_000.0),
            )
        })
        .collect();
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    calls
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

/// Audio files of `dir`, sorted.
fn wavs(dir: &Path) -> Vec<PathBuf> {
    match syrinx::audio::audio_files_in(dir) {
        Ok(mut files) => {
            files.sort();
            files
        }
        Err(error) => fail(&format!("cannot list {}: {error}", dir.display())),
    }
}

/// A project of `recordings`, every one fully annotated, every call a positive `upcall`.
fn project(recordings: &[Recording]) -> Project {
    let mut project = Project::default();
    let mut items = Vec::new();
    for recording in recordings {
        let info = probe(&recording.path).unwrap_or_else(|e| fail(&e.to_string()));
        let id = project
            .add_recording(&info)
            .unwrap_or_else(|e| fail(&e.to_string()));
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
                label: "upcall".to_owned(),
                kind: SelectionKind::Positive,
                extra: Default::default(),
            });
        }
    }
    project.selections = SelectionSet::from_items(items);
    project
}

/// Mean power per sample of `samples` between `band_hz` (one-sided spectrum).
fn band_power(samples: &[f32], rate_hz: f64, band_hz: (f64, f64)) -> f64 {
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(samples.len());
    let mut input: Vec<f64> = samples.iter().map(|s| f64::from(*s)).collect();
    let mut spectrum = fft.make_output_vec();
    if fft.process(&mut input, &mut spectrum).is_err() {
        fail("FFT failed");
    }
    let bin_hz = rate_hz / samples.len() as f64;
    let energy: f64 = spectrum
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let hz = *k as f64 * bin_hz;
            hz >= band_hz.0 && hz <= band_hz.1
        })
        .map(|(_, c)| c.norm_sqr())
        .sum();
    2.0 * energy / (samples.len() as f64).powi(2)
}

/// `recording` as a new day: attenuated by `attenuation_db`, with `noise` added at the
/// recording's original in-band level. Written under `dir`.
fn new_day(recording: &Recording, noise: &Path, attenuation_db: f64, dir: &Path) -> Recording {
    let read =
        |path: &Path| read_all(path, ChannelMode::Mix).unwrap_or_else(|e| fail(&e.to_string()));
    let (info, audio) = read(&recording.path);
    let (_, noise_audio) = read(noise);
    let rate_hz = f64::from(info.sample_rate_hz);
    let noise_gain = (band_power(&audio, rate_hz, BAND_HZ)
        / band_power(&noise_audio, rate_hz, BAND_HZ).max(1e-30))
    .sqrt() as f32;
    let gain = 10f32.powf(-(attenuation_db as f32) / 20.0);
    let mixed: Vec<f32> = audio
        .iter()
        .enumerate()
        .map(|(i, s)| {
            gain * s
                + noise_gain
                    * noise_audio
                        .get(i % noise_audio.len())
                        .copied()
                        .unwrap_or(0.0)
        })
        .collect();
    let path = dir.join(format!(
        "{}_minus{attenuation_db:.0}dB.wav",
        recording.name()
    ));
    if let Err(error) = write_wav(&path, &mixed, info.sample_rate_hz, WavEncoding::Float32) {
        fail(&format!("cannot write {}: {error}", path.display()));
    }
    Recording {
        path,
        calls: recording.calls.clone(),
    }
}

/// The first `n` calls of `recording`, cut 5 s after the last of them, written under `dir`.
fn first_calls(recording: &Recording, n: usize, dir: &Path) -> Recording {
    let (info, audio) =
        read_all(&recording.path, ChannelMode::Mix).unwrap_or_else(|e| fail(&e.to_string()));
    let calls: Vec<Call> = recording.calls.iter().take(n).copied().collect();
    let end_secs = calls.last().map_or(60.0, |c| c.1 + 5.0);
    let frames = ((end_secs * f64::from(info.sample_rate_hz)) as usize).min(audio.len());
    let path = dir.join(format!("{}_first{n}.wav", recording.name()));
    if let Err(error) = write_wav(
        &path,
        &audio[..frames],
        info.sample_rate_hz,
        WavEncoding::Float32,
    ) {
        fail(&format!("cannot write {}: {error}", path.display()));
    }
    Recording { path, calls }
}

/// What one detection target gave.
struct Row {
    fold: String,
    target: String,
    metrics: EventMetrics,
    oracle: EventMetrics,
    /// At the model's threshold, after adapting its batch norms to the target (AdaBN).
    adapted: EventMetrics,
    /// The target's distance from the training statistics, and the limit beyond which
    /// detection warns.
    domain: Option<(f64, f64)>,
    /// Seconds of audio scored.
    secs: f64,
    /// How well the boxes frame the calls found: each found call's best time intersection over
    /// union with a detection at the model's threshold; framed by the band's energy, and by the
    /// windows' shared span alone.
    ious: Vec<f64>,
    ious_windows_only: Vec<f64>,
}

/// Event metrics of `model` over `tests` at its threshold, the best recall at ≤ 2 false
/// positives per hour over thresholds, the seconds scored, and the found calls' box IoUs.
fn score(
    model: &ModelArtifact,
    tests: &[Recording],
) -> (EventMetrics, EventMetrics, f64, [Vec<f64>; 2]) {
    let hop_secs = model.info.detection_hop_secs();
    let base = model.info.merge_settings();
    // Finer near 1, where an overconfident network puts calls and look-alikes alike.
    let thresholds: Vec<f32> = (1..100)
        .map(|i| i as f32 / 100.0)
        .chain([0.995, 0.998, 0.999, 0.9995, 0.9999])
        .collect();
    let mut at_model = EventMetrics::default();
    let mut per_threshold = vec![EventMetrics::default(); thresholds.len()];
    let mut secs = 0.0;
    let mut ious = [Vec::new(), Vec::new()];
    for test in tests {
        let mut length = 0.0;
        let scores = match score_recording(
            model,
            &test.path,
            hop_secs,
            &AtomicBool::new(false),
            &mut |_, total| length = total,
        ) {
            Ok(scores) => scores,
            Err(error) => fail(&format!("cannot score {}: {error}", test.path.display())),
        };
        secs += length;
        let references: Vec<(f64, f64)> = test.calls.iter().map(|c| (c.0, c.1)).collect();
        let at = |threshold: f32| {
            let settings = MergeSettings { threshold, ..base };
            evaluate_scores(&scores, &settings, &references, TOLERANCE_SECS, length)
        };
        at_model.add_counts(&at(base.threshold));
        let windows_only = syrinx::detect::WindowScores {
            envelope: None,
            ..scores.clone()
        };
        for (kept, scores) in ious.iter_mut().zip([&scores, &windows_only]) {
            let boxes: Vec<(f64, f64)> = syrinx::detect::merge(scores, &base)
                .iter()
                .map(|d| (d.start_secs, d.end_secs))
                .collect();
            kept.extend(
                syrinx::evaluate::best_time_ious(&boxes, &references)
                    .into_iter()
                    .filter(|iou| *iou > 0.0),
            );
        }
        for (sum, t) in per_threshold.iter_mut().zip(&thresholds) {
            sum.add_counts(&at(*t));
        }
        // SYRINX_SHOW_FP=1: where the detections that match no call lie (seconds from the
        // nearest call; a second detection on one call counts as a false positive).
        if std::env::var("SYRINX_SHOW_FP").is_ok_and(|v| v == "1") {
            let gaps: Vec<String> = syrinx::detect::merge(&scores, &base)
                .iter()
                .filter_map(|d| {
                    let gap = references
                        .iter()
                        .map(|(s, e)| (s - d.end_secs).max(d.start_secs - e).max(0.0))
                        .fold(f64::MAX, f64::min);
                    (gap > 0.0).then(|| format!("{gap:.1}"))
                })
                .collect();
            println!(
                "  {}: detections clear of every call, seconds from the nearest: {}",
                test.path.display(),
                gaps.join(" ")
            );
        }
    }
    let mut at_model = rates(at_model, secs);
    at_model.threshold = base.threshold;
    let oracle = per_threshold
        .into_iter()
        .zip(&thresholds)
        .map(|(m, t)| {
            let mut m = rates(m, secs);
            m.threshold = *t;
            m
        })
        .filter(|m| m.false_positives_per_hour <= 2.0)
        .max_by(|a, b| {
            a.recall
                .total_cmp(&b.recall)
                .then(b.threshold.total_cmp(&a.threshold))
        })
        .unwrap_or_default();
    (at_model, oracle, secs, ious)
}

/// A copy of `model` (loaded afresh from `dir`) with its batch norms adapted to `tests`, and
/// the first test's distance from the training statistics with the warning limit.
fn adapted(
    model: &ModelArtifact,
    tests: &[Recording],
    dir: &Path,
) -> (ModelArtifact, Option<(f64, f64)>) {
    use syrinx::scoring::domain::{DomainCheck, SAMPLE_WINDOWS, sample_inputs};
    let device = syrinx::model::ComputeDevice::Cpu
        .device()
        .unwrap_or_else(|e| fail(&e.to_string()));
    if let Err(error) = model.save(dir) {
        fail(&format!("cannot save {}: {error}", dir.display()));
    }
    let copy = ModelArtifact::load(dir, &device).unwrap_or_else(|e| fail(&e.to_string()));
    let paths: Vec<PathBuf> = tests.iter().map(|t| t.path.clone()).collect();
    let domain = DomainCheck::measure(&copy, &paths[..1], 1, &device)
        .and_then(|check| check.distances.first().map(|(_, d)| (*d, check.limit)));
    let inputs: Vec<f32> = paths
        .iter()
        .filter_map(|p| sample_inputs(&copy.info.input, p, SAMPLE_WINDOWS * 4).ok())
        .flatten()
        .collect();
    let (bands, frames) = copy.info.input.shape();
    copy.net
        .reestimate_norms(&inputs, bands, frames, 64, &device);
    (copy, domain)
}

/// A number from the environment, for comparisons against the defaults only.
fn env_number(name: &str) -> Option<f32> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Trains on `recordings` with every default; prints what training said. `None` when it failed.
fn train(label: &str, recordings: &[Recording]) -> Option<(ModelArtifact, f64)> {
    let project = project(recordings);
    // For comparisons only: SYRINX_PRECISE_NORMS=0 turns off what the defaults do; the other
    // SYRINX_ variables try other values of a setting (SYRINX_CONTEXT=1: context around each
    // window, scored densely; SYRINX_SEED: another seed).
    let requested = TrainSettings {
        precise_norms: std::env::var("SYRINX_PRECISE_NORMS").map_or(true, |v| v != "0"),
        seed: std::env::var("SYRINX_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(TrainSettings::default().seed),
        context: std::env::var("SYRINX_CONTEXT")
            .map_or(TrainSettings::default().context, |v| v != "0"),
        label_smoothing: env_number("SYRINX_LABEL_SMOOTHING")
            .unwrap_or(TrainSettings::default().label_smoothing),
        augmentation: {
            let mut augmentation = TrainSettings::default().augmentation;
            if let Some(low) = env_number("SYRINX_MIX_SNR_LOW") {
                augmentation.mix_snr_db.0 = low;
            }
            if let Some(probability) = env_number("SYRINX_MIX_PROBABILITY") {
                augmentation.mix_probability = probability;
            }
            augmentation
        },
        ..TrainSettings::default()
    };
    let (config, settings, _) = project_config(&project, &[] as &[ProjectRecordingId], &requested);
    let started = Instant::now();
    match train_project(
        &project,
        None,
        &[],
        &config,
        &settings,
        &AtomicBool::new(false),
        &mut |event| match event {
            syrinx::train::TrainEvent::Stage(stage) => eprintln!("  {stage}"),
            syrinx::train::TrainEvent::Epoch(e) => eprintln!(
                "    epoch {}: loss {:.3}{}",
                e.epoch,
                e.train_loss,
                e.validation_events_mean_f1
                    .map_or_else(String::new, |f1| format!(", mean event F1 {f1:.3}"))
            ),
            _ => {}
        },
    ) {
        Ok(outcome) => {
            let secs = started.elapsed().as_secs_f64();
            let info = &outcome.artifact.info;
            println!(
                "{label}: trained in {secs:.0} s, {} epoch(s) (kept {}), threshold {:.2}",
                outcome.epochs_run, info.best_epoch, info.threshold
            );
            let input = &info.input;
            println!(
                "  input {} × {} at {} Hz ({:.2} s window, {} frames of context), hop {:.3} s",
                input.shape().0,
                input.shape().1,
                input.sample_rate_hz,
                input.window_secs(),
                input.context_frames,
                info.detection_hop_secs()
            );
            for (group, split, positives, negatives) in &info.manifest.groups {
                println!("  {group}: {split}, {positives} positive / {negatives} negative windows");
            }
            for warning in &outcome.warnings {
                println!("  warning: {warning}");
            }
            if let Some(cv) = &info.cross_validation {
                println!("  cross-validated: {}", cv.description);
                let curve: Vec<String> = cv.curve.iter().map(|v| format!("{v:.2}")).collect();
                println!(
                    "  chose {} epoch(s); pooled mean event F1 by epoch: {}",
                    cv.chosen_epochs,
                    curve.join(" ")
                );
                if let Some(events) = &info.validation_events {
                    println!("  out of fold: {}", events.summary());
                }
            }
            Some((outcome.artifact, secs))
        }
        Err(error) => {
            println!("{label}: training failed: {error}");
            None
        }
    }
}

fn right_whale_day1(data: &Path, work: &Path) {
    let day = data.join("right_whale_day1");
    let tables = day.join("tables");
    let calls: Vec<Recording> = wavs(&day.join("calls"))
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let calls = calls_of(&tables.join(format!("{stem}.Table.1.selections.txt")));
            Recording { path, calls }
        })
        .collect();
    let background: Vec<Recording> = wavs(&day.join("background"))
        .into_iter()
        .map(|path| Recording {
            path,
            calls: Vec::new(),
        })
        .collect();
    if calls.len() != 3 || background.len() != 3 {
        fail("right_whale_day1 should hold 3 call and 3 background recordings");
    }
    let mut rows = Vec::new();
    let mut train_secs_total = 0.0;
    for (fold, left_out) in calls.iter().enumerate() {
        let mut training: Vec<Recording> = calls
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != fold)
            .map(|(_, r)| r.clone())
            .collect();
        training.extend(
            background
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != fold)
                .map(|(_, r)| r.clone()),
        );
        let label = format!("leave out {}", left_out.name());
        let Some((model, secs)) = train(&label, &training) else {
            continue;
        };
        train_secs_total += secs;
        let unseen_noise = &background[fold].path;
        let targets = [
            ("as it is".to_owned(), left_out.clone()),
            (
                "new day −6 dB".to_owned(),
                new_day(left_out, unseen_noise, 6.0, work),
            ),
            (
                "new day −10 dB".to_owned(),
                new_day(left_out, unseen_noise, 10.0, work),
            ),
        ];
        for (target, recording) in targets {
            let tests = std::slice::from_ref(&recording);
            let (metrics, oracle, secs, [ious, ious_windows_only]) = score(&model, tests);
            let (copy, domain) = adapted(&model, tests, &work.join("adapted"));
            let (adapted, _, _, _) = score(&copy, tests);
            rows.push(Row {
                fold: left_out.name(),
                target,
                metrics,
                oracle,
                adapted,
                domain,
                secs,
                ious,
                ious_windows_only,
            });
        }
    }
    let few = first_calls(&calls[0], 10, work);
    let mut few_training = vec![few];
    few_training.extend(background.iter().take(2).cloned());
    if let Some((model, secs)) = train("few shots (10 calls)", &few_training) {
        train_secs_total += secs;
        let (metrics, oracle, secs, [ious, ious_windows_only]) = score(&model, &calls[1..]);
        let (copy, domain) = adapted(&model, &calls[1..], &work.join("adapted"));
        let (adapted, _, _, _) = score(&copy, &calls[1..]);
        rows.push(Row {
            fold: format!("few shots: first 10 of {}", calls[0].name()),
            target: "the other two call recordings".to_owned(),
            metrics,
            oracle,
            adapted,
            domain,
            secs,
            ious,
            ious_windows_only,
        });
    }
    println!(
        "\n| fold | detected in | calls found | false positives | P | R | FP/h | threshold | oracle R at ≤ 2 FP/h (threshold) | adapted: R, FP/h | distance (limit) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        let m = &row.metrics;
        println!(
            "| {} | {} | {} of {} | {} | {:.2} | {:.2} | {:.1} | {:.3} | {:.2} ({:.4}) | {:.2}, {:.1} | {} |",
            row.fold,
            row.target,
            m.true_positives,
            m.true_positives + m.false_negatives,
            m.false_positives,
            m.precision,
            m.recall,
            m.false_positives_per_hour,
            m.threshold,
            row.oracle.recall,
            row.oracle.threshold,
            row.adapted.recall,
            row.adapted.false_positives_per_hour,
            row.domain.map_or_else(
                || "–".to_owned(),
                |(d, limit)| format!("{d:.2} ({limit:.2})")
            )
        );
    }
    for target in ["as it is", "new day −6 dB", "new day −10 dB"] {
        for (what, of) in [
            ("", (|r: &Row| r.metrics) as fn(&Row) -> EventMetrics),
            (" (adapted)", |r: &Row| r.adapted),
        ] {
            let mut sum = EventMetrics::default();
            let mut secs = 0.0;
            for row in rows.iter().filter(|r| r.target == target) {
                sum.add_counts(&of(row));
                secs += row.secs;
            }
            let m = rates(sum, secs);
            println!(
                "leave one out, {target}{what}: {} of {} calls, recall {:.2}, precision {:.2}, {:.1} false positives per hour",
                m.true_positives,
                m.true_positives + m.false_negatives,
                m.recall,
                m.precision,
                m.false_positives_per_hour
            );
        }
    }
    let median = |mut ious: Vec<f64>| {
        ious.sort_by(f64::total_cmp);
        ious.get(ious.len() / 2)
            .map_or_else(|| "–".to_owned(), |m| format!("{m:.2}"))
    };
    for target in [
        "as it is",
        "new day −6 dB",
        "new day −10 dB",
        "the other two call recordings",
    ] {
        let of = |pick: fn(&Row) -> &Vec<f64>| -> Vec<f64> {
            rows.iter()
                .filter(|r| r.target == target)
                .flat_map(|r| pick(r).iter().copied())
                .collect()
        };
        let (framed, windows) = (of(|r| &r.ious), of(|r| &r.ious_windows_only));
        println!(
            "{target}: boxes of the {} calls found, time IoU median {} framed by the band's energy, {} by the windows alone",
            framed.len(),
            median(framed),
            median(windows)
        );
    }
    println!("training time, all four trainings: {train_secs_total:.0} s");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/recognisers"),
        PathBuf::from,
    );
    if !data.join("right_whale_day1").is_dir() {
        println!(
            "skipped: no real recordings at {} (the shared recognisers folder is evaluation data, \
             never part of the repository)",
            data.display()
        );
        return;
    }
    let work = args.next().map_or_else(
        || std::env::temp_dir().join("syrinx-recognisers"),
        PathBuf::from,
    );
    if let Err(error) = std::fs::create_dir_all(&work) {
        fail(&format!("cannot create {}: {error}", work.display()));
    }
    right_whale_day1(&data, &work);
}

//! Datasets and training through the public API, on generated recordings: rising chirps are the
//! target (positive), steady tones the look-alikes (negative), in pink-ish noise.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use syrinx::annotation::{Selection, SelectionId, SelectionKind, SelectionSet};
use syrinx::audio::{WavEncoding, probe, write_wav};
use syrinx::dataset::{Augmentation, Dataset, DatasetConfig, InputMaker, SpectrogramCache};
use syrinx::dsp::{ModelInputSpec, SpectrogramParams, Stft};
use syrinx::model::{ComputeDevice, ModelArtifact, NetworkConfig};
use syrinx::project::{Project, Split};
use syrinx::train::{TrainError, TrainEvent, TrainSettings, train};

const RATE_HZ: u32 = 8_000;
const SECS: f64 = 24.0;

/// One second windows at 8 kHz, 256/128 STFT, 32 mel bands: 32 × 61 inputs.
pub fn small_input() -> ModelInputSpec {
    let mut spectrogram = SpectrogramParams::default().mel(32);
    spectrogram.window_len = 256;
    spectrogram.hop_len = 128;
    ModelInputSpec {
        sample_rate_hz: RATE_HZ,
        window_samples: RATE_HZ,
        spectrogram,
        bands: 32,
        ..ModelInputSpec::default()
    }
}

pub fn small_settings(epochs: usize) -> TrainSettings {
    TrainSettings {
        epochs,
        batch_size: 8,
        learning_rate: 5e-3,
        patience: 0,
        seed: 5,
        network: NetworkConfig {
            channels: vec![8, 16],
            input_pool: 1,
            dropout: 0.0,
            outputs: 1,
        },
        device: ComputeDevice::Cpu,
        threads: 1,
        augmentation: Augmentation {
            random_crop: true,
            ..Augmentation::none()
        },
        ..TrainSettings::default()
    }
}

/// How [`generated_recordings`] lays sounds out.
pub struct Layout {
    pub secs: f64,
    /// Start of the first sound.
    pub first_secs: f64,
    /// No sound starts within this of the end.
    pub end_margin_secs: f64,
    /// Seconds from one sound's start to the next's, drawn uniformly.
    pub gap_secs: std::ops::Range<f64>,
    pub seed_base: u64,
    /// File names: `<stem>NN.wav`.
    pub stem: &'static str,
    pub fully_annotated: bool,
}

/// `n` recordings in their own groups, each with chirps (positive) and tones (negative) listed
/// as selections; all fully annotated.
pub fn generated_project(dir: &Path, n: u32) -> Project {
    generated_recordings(
        dir,
        n,
        &Layout {
            secs: SECS,
            first_secs: 0.5,
            end_margin_secs: 0.9,
            gap_secs: 1.2..2.0,
            seed_base: 0,
            stem: "rec",
            fully_annotated: true,
        },
    )
}

/// `n` recordings of noise with 0.3 s rising chirps (positive) and steady tones (negative) at
/// random, every sound listed as a selection.
pub fn generated_recordings(dir: &Path, n: u32, layout: &Layout) -> Project {
    let mut project = Project::default();
    let mut selections = Vec::new();
    let mut next_id = 0;
    for r in 0..n {
        let mut rng = ChaCha8Rng::seed_from_u64(layout.seed_base + u64::from(r));
        let total = (layout.secs * f64::from(RATE_HZ)) as usize;
        let mut audio: Vec<f32> = (0..total)
            .map(|_| rng.random_range(-0.02_f32..0.02))
            .collect();
        let path = dir.join(format!("{}{r:02}.wav", layout.stem));
        let mut events = Vec::new();
        let mut t = layout.first_secs;
        while t + layout.end_margin_secs < layout.secs {
            let positive = rng.random_bool(0.5);
            let len = (0.3 * f64::from(RATE_HZ)) as usize;
            let start = (t * f64::from(RATE_HZ)) as usize;
            let amplitude = rng.random_range(0.1_f32..0.4);
            let call = if positive {
                syrinx::util::synth::linear_chirp(1_000.0, 3_000.0, amplitude, len, RATE_HZ)
            } else {
                syrinx::util::synth::tone(
                    rng.random_range(1_200.0..2_800.0),
                    amplitude,
                    len,
                    RATE_HZ,
                )
            };
            for (i, v) in call.iter().enumerate() {
                audio[start + i] += v;
            }
            events.push((t, t + 0.3, positive));
            t += rng.random_range(layout.gap_secs.clone());
        }
        write_wav(&path, &audio, RATE_HZ, WavEncoding::Pcm16).unwrap();
        let id = project.add_recording(&probe(&path).unwrap()).unwrap();
        project.recording_mut(id).unwrap().fully_annotated = layout.fully_annotated;
        for (start_secs, end_secs, positive) in events {
            selections.push(Selection {
                id: SelectionId(next_id),
                recording: id,
                start_secs,
                end_secs,
                low_hz: 900.0,
                high_hz: 3_100.0,
                label: if positive { "chirp" } else { "tone" }.to_owned(),
                kind: if positive {
                    SelectionKind::Positive
                } else {
                    SelectionKind::Negative
                },
                extra: Default::default(),
            });
            next_id += 1;
        }
    }
    project.selections = SelectionSet::from_items(selections);
    project
}

pub fn config() -> DatasetConfig {
    DatasetConfig {
        input: small_input(),
        seed: 3,
        max_background_per_recording: 4,
        ..DatasetConfig::default()
    }
}

#[test]
fn windows_follow_their_recording_into_one_split_and_epochs_are_balanced() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 6);
    project.recordings[0].split = Split::Test;
    let dataset = Dataset::from_project(&project, &[], &config()).unwrap();
    let mut split_of = std::collections::BTreeMap::new();
    for w in &dataset.windows {
        assert_ne!(w.split, Split::Auto);
        let first = *split_of.entry(w.path.clone()).or_insert(w.split);
        assert_eq!(first, w.split, "{} is on two sides", w.source);
    }
    assert_eq!(split_of[&project.recordings[0].path], Split::Test);
    // A small project: every recording not pinned elsewhere trains (cross-validation then
    // validates it).
    assert!(dataset.small);
    assert!(split_of.values().all(|s| *s != Split::Validation));
    // Background windows were drawn from the gaps of fully annotated recordings.
    assert!(dataset.windows.iter().any(|w| w.label == "background"));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let epoch = dataset.balanced_epoch(&mut rng);
    let positives = epoch
        .iter()
        .filter(|i| dataset.windows[**i].is_positive())
        .count();
    assert_eq!(
        positives * 2,
        epoch.len(),
        "positives oversampled to match negatives"
    );
    let (train_positives, _) = dataset.counts(Split::Train);
    assert!(positives >= train_positives);
}

#[test]
fn cached_crops_equal_the_whole_recordings_spectrogram() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 3);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let cache =
        SpectrogramCache::build(&dataset, &config.input, &AtomicBool::new(false), &|_, _| {})
            .unwrap();
    assert!(cache.failed.is_empty());
    let stft = Stft::new(&config.input.spectrogram, RATE_HZ).unwrap();
    let (_, audio) =
        syrinx::audio::read_all(&project.recordings[0].path, syrinx::audio::ChannelMode::Mix)
            .unwrap();
    let mut whole = Vec::new();
    stft.compute_serial_into(&audio, &mut stft.scratch(), &mut whole);
    let bands = stft.bands();
    let hop = f64::from(config.input.spectrogram.hop_len);
    let mut checked = 0;
    for (i, window) in dataset.windows.iter().enumerate() {
        if window.path != project.recordings[0].path {
            continue;
        }
        for fraction in [0.0, 0.37, 1.0] {
            let start_secs = window.crop.at(fraction);
            let frame = (start_secs * f64::from(RATE_HZ) / hop).round() as usize;
            let crop = cache.crop_db(i, start_secs);
            let expected = &whole[frame * bands..frame * bands + crop.len()];
            let worst = crop
                .iter()
                .zip(expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f32, f32::max);
            assert!(
                worst < 1e-3,
                "window {i} at {start_secs} s differs by {worst} dB"
            );
            assert_eq!(crop.len(), config.input.native_frames() * bands);
            checked += 1;
        }
    }
    assert!(checked > 10);
    // Augmented inputs keep the model's shape.
    let maker = InputMaker::new(&dataset, &cache);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let input = maker.input(0, Some((&Augmentation::default(), &mut rng)));
    let (b, f) = config.input.shape();
    assert_eq!(input.len(), b * f);
    assert!(input.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn training_on_generated_calls_beats_chance_and_the_saved_model_scores_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 8);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let mut epochs_seen = 0;
    let outcome = train(
        &dataset,
        &config,
        &small_settings(10),
        Default::default(),
        &AtomicBool::new(false),
        &mut |event| match event {
            // Each fold, then the final model, counts its epochs from 1.
            TrainEvent::Stage(_) => epochs_seen = 0,
            TrainEvent::Epoch(_) => epochs_seen += 1,
            _ => {}
        },
    )
    .unwrap();
    let info = &outcome.artifact.info;
    let chosen = info.cross_validation.as_ref().map(|cv| cv.chosen_epochs);
    assert_eq!(
        Some(epochs_seen),
        chosen,
        "the final model trains the chosen epochs"
    );
    let validation = info.validation.as_ref().expect("validation metrics");
    assert!(validation.windows > 5);
    assert!(
        validation.accuracy > 0.75,
        "validation accuracy {} after training",
        validation.accuracy
    );
    // Save → load → identical scores.
    let model_dir = dir.path().join("model");
    outcome.artifact.save(&model_dir).unwrap();
    let device = ComputeDevice::Cpu.device().unwrap();
    let loaded = ModelArtifact::load(&model_dir, &device).unwrap();
    assert_eq!(loaded.info, *info);
    let cache =
        SpectrogramCache::build(&dataset, &config.input, &AtomicBool::new(false), &|_, _| {})
            .unwrap();
    let maker = InputMaker::new(&dataset, &cache);
    let indices: Vec<usize> = (0..dataset.windows.len()).collect();
    let (inputs, _) = maker.batch(&indices, None);
    let (bands, frames) = config.input.shape();
    let before = syrinx::model::scores(&outcome.artifact.net, &inputs, bands, frames, 32, &device);
    let after = syrinx::model::scores(&loaded.net, &inputs, bands, frames, 32, &device);
    assert_eq!(before, after);
    assert!(loaded.mismatch(&config.input).is_none());
    let other = ModelInputSpec::default();
    assert!(loaded.mismatch(&other).unwrap().contains("sample rate"));
    // A folder that is not a model says so.
    let err = ModelArtifact::load(dir.path(), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("model.json"), "{err}");
}

#[test]
fn the_same_seed_trains_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let run = || {
        let outcome = train(
            &dataset,
            &config,
            &small_settings(2),
            Default::default(),
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        outcome.scored.iter().map(|s| s.score).collect::<Vec<_>>()
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}

#[test]
fn cancel_stops_within_one_batch_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let before = project.clone();
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let cancel = AtomicBool::new(false);
    let mut batches = 0;
    let result = train(
        &dataset,
        &config,
        &small_settings(20),
        Default::default(),
        &cancel,
        &mut |event| {
            if let TrainEvent::Batch { .. } = event {
                batches += 1;
                cancel.store(true, Ordering::Relaxed);
            }
        },
    );
    assert!(matches!(result, Err(TrainError::Cancelled)), "{result:?}");
    assert_eq!(batches, 1, "one batch ran after the cancel request");
    assert_eq!(project, before);
}

#[test]
fn a_project_without_negatives_says_what_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 2);
    for r in &mut project.recordings {
        r.fully_annotated = false;
    }
    let positives: Vec<Selection> = project
        .selections
        .items()
        .iter()
        .filter(|s| s.kind == SelectionKind::Positive)
        .cloned()
        .collect();
    project.selections = SelectionSet::from_items(positives);
    let err = Dataset::from_project(&project, &[], &config())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("negative") && err.contains("fully annotated"),
        "{err}"
    );
}

#[test]
fn background_can_come_from_a_noise_folder() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let noise_dir = dir.path().join("noise");
    std::fs::create_dir(&noise_dir).unwrap();
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    // A folder without audio is refused, naming it.
    let settings = TrainSettings {
        noise_dir: Some(noise_dir.clone()),
        ..small_settings(1)
    };
    let err = train(
        &dataset,
        &config,
        &settings,
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("noise"), "{err}");
    // Loud noise mixed into every window changes the inputs; training still runs.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let noise: Vec<f32> = (0..RATE_HZ as usize * 3)
        .map(|_| rng.random_range(-0.5_f32..0.5))
        .collect();
    write_wav(
        &noise_dir.join("rain.wav"),
        &noise,
        RATE_HZ,
        WavEncoding::Pcm16,
    )
    .unwrap();
    std::fs::write(noise_dir.join("notes.wav"), b"not audio").unwrap();
    let noise_set = Dataset::noise_clips(&noise_dir, &config.input).unwrap();
    assert_eq!(noise_set.windows.len(), 1);
    assert_eq!(
        noise_set.warnings.len(),
        1,
        "the broken file is named in a warning"
    );
    let cancel = AtomicBool::new(false);
    let cache = SpectrogramCache::build(&dataset, &config.input, &cancel, &|_, _| {}).unwrap();
    let noise_cache =
        SpectrogramCache::build(&noise_set, &config.input, &cancel, &|_, _| {}).unwrap();
    let always_mix = Augmentation {
        mix_probability: 1.0,
        mix_snr_db: (-10.0, -10.0),
        ..Augmentation::none()
    };
    let plain = InputMaker::new(&dataset, &cache).input(0, None);
    let mixed = InputMaker::new(&dataset, &cache)
        .with_noise(&noise_set, &noise_cache)
        .input(0, Some((&always_mix, &mut rng)));
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    assert!(
        mean(&mixed) > mean(&plain) + 0.05,
        "noise at -10 dB SNR raises the level"
    );
    let outcome = train(
        &dataset,
        &config,
        &settings,
        Default::default(),
        &cancel,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(outcome.epochs_run, 1);
}

#[test]
fn clips_cut_from_a_test_recording_stay_in_test_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 5);
    project.recordings[0].split = Split::Test;
    let stem = project.recordings[0]
        .path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let clips = dir.path().join("neg_iteration_01");
    std::fs::create_dir(&clips).unwrap();
    let noise: Vec<f32> = (0..RATE_HZ as usize)
        .map(|i| ((i % 50) as f32 - 25.0) / 500.0)
        .collect();
    write_wav(
        &clips.join(format!("{stem}_3.000_4.000.wav")),
        &noise,
        RATE_HZ,
        WavEncoding::Pcm16,
    )
    .unwrap();
    write_wav(
        &clips.join("elsewhere.wav"),
        &noise,
        RATE_HZ,
        WavEncoding::Pcm16,
    )
    .unwrap();
    project.add_clip_folder(&clips, SelectionKind::Negative, None);
    let dataset = Dataset::from_project(&project, &[], &config()).unwrap();
    let clip_split = |name: &str| {
        dataset
            .windows
            .iter()
            .find(|w| w.source == name)
            .map(|w| w.split)
            .unwrap()
    };
    assert_eq!(clip_split(&format!("{stem}_3.000_4.000.wav")), Split::Test);
    assert!(
        dataset
            .warnings
            .iter()
            .any(|w| w.contains("1 clip(s) were cut from test recordings")),
        "{:?}",
        dataset.warnings
    );
}

#[test]
fn validation_counts_calls_as_detection_does_and_an_ensemble_saves_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_project(dir.path(), 6);
    project.recordings[1].split = Split::Validation;
    project.recordings[2].split = Split::Validation;
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let settings = TrainSettings {
        ensemble: 2,
        ..small_settings(4)
    };
    let outcome = train(
        &dataset,
        &config,
        &settings,
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let info = &outcome.artifact.info;
    // Both members ran their epochs; every epoch of the first reports event metrics.
    assert_eq!(info.ensemble, 2);
    assert_eq!(outcome.artifact.members.len(), 1);
    assert!(info.epochs.iter().all(|e| e.validation_events.is_some()));
    let events = info.validation_events.expect("event-level validation");
    assert_eq!(
        info.threshold, events.threshold,
        "the threshold comes from events"
    );
    let detection = info.detection.expect("detection defaults");
    assert!(detection.hop_secs <= 0.25 && detection.peaks.min_separation_secs > 0.0);
    assert!(
        (detection.call_secs - 0.3).abs() < 1e-6,
        "the chirps last 0.3 s"
    );
    // Saved and loaded: both members, the same scores.
    let model_dir = dir.path().join("ensemble");
    outcome.artifact.save(&model_dir).unwrap();
    assert!(model_dir.join("weights_2.bpk").is_file());
    let device = ComputeDevice::Cpu.device().unwrap();
    let loaded = ModelArtifact::load(&model_dir, &device).unwrap();
    assert_eq!(loaded.members.len(), 1);
    assert_eq!(loaded.info, *info);
    // Detecting over the validation recordings and matching as `syrinx evaluate` does gives
    // the counts training reported.
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let validation: Vec<_> = dataset
        .recordings
        .iter()
        .filter(|r| r.split == Split::Validation)
        .collect();
    assert!(
        validation.len() >= 2,
        "the pinned ones and any the split added"
    );
    for recording in validation {
        let scores = syrinx::scoring::score_recording(
            &loaded,
            &recording.path,
            info.detection_hop_secs(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        let m = syrinx::evaluate::evaluate_scores(
            &scores,
            &info.merge_settings(),
            &recording.positives,
            1.5,
            recording.duration_secs,
        );
        tp += m.true_positives;
        fp += m.false_positives;
        fn_ += m.false_negatives;
    }
    assert_eq!(
        (tp, fp, fn_),
        (
            events.true_positives,
            events.false_positives,
            events.false_negatives
        )
    );
    // The ensemble's score is the mean of its members'.
    let cache =
        SpectrogramCache::build(&dataset, &config.input, &AtomicBool::new(false), &|_, _| {})
            .unwrap();
    let (inputs, _) = InputMaker::new(&dataset, &cache).batch(&[0, 1, 2], None);
    let (bands, frames) = config.input.shape();
    let one = syrinx::model::scores(&loaded.net, &inputs, bands, frames, 8, &device);
    let two = syrinx::model::scores(&loaded.members[0], &inputs, bands, frames, 8, &device);
    let mean = syrinx::model::ensemble_scores(&loaded.folded(), &inputs, bands, frames, 8, &device);
    for ((a, b), m) in one.iter().zip(&two).zip(&mean) {
        assert!(((a + b) / 2.0 - m).abs() < 1e-5);
    }
}

#[test]
fn a_project_trains_on_the_input_proposed_from_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 2);
    // A new project proposes: the recordings' 8 kHz, the chirps' band, a short window.
    assert!(project.proposes_model_input());
    let (config, settings, proposal) =
        syrinx::train::project_config(&project, &[], &TrainSettings::default());
    let proposal = proposal.expect("proposed");
    assert_eq!(config.input, proposal.input);
    assert_eq!(config.input.sample_rate_hz, RATE_HZ);
    assert!(config.input.spectrogram.min_hz >= 500 && config.input.spectrogram.min_hz <= 700);
    assert!(
        config.input.window_secs() < 0.6,
        "{}",
        config.input.window_secs()
    );
    assert_eq!(settings.network.input_pool, proposal.input_pool);
    // Once the user sets an input, the project keeps it.
    let mut fixed = project.clone();
    fixed.model_input = small_input();
    assert!(!fixed.proposes_model_input());
    let (config, _, proposal) =
        syrinx::train::project_config(&fixed, &[], &TrainSettings::default());
    assert!(proposal.is_none());
    assert_eq!(config.input, small_input());
    fixed.propose_model_input = Some(true);
    assert!(syrinx::train::training_input(&fixed, &[]).1.is_some());
}

#[test]
fn detection_scores_equal_window_by_window_scores() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let outcome = train(
        &dataset,
        &config,
        &small_settings(1),
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model = &outcome.artifact;
    let path = &project.recordings[1].path;
    let mut reports = 0;
    let found =
        syrinx::scoring::score_recording(model, path, 0.5, &AtomicBool::new(false), &mut |_, _| {
            reports += 1;
        })
        .unwrap();
    assert!(reports > 0);
    // 0.5 s is 31.25 frames of 128 samples at 8 kHz: windows start every 31 frames.
    let step = syrinx::scoring::hop_frames(model, 0.5);
    assert_eq!(step, 31);
    assert_eq!(found.scores.len(), found.start_secs.len());
    let input = model.info.input;
    let stft = input.stft().unwrap();
    let (_, audio) = syrinx::audio::read_all(path, syrinx::audio::ChannelMode::Mix).unwrap();
    let window = input.window_samples as usize;
    let expected_windows = (audio.len() - window) / (step * 128) + 1;
    assert!(
        found.scores.len() >= expected_windows - 1 && found.scores.len() <= expected_windows + 1
    );
    let (bands, frames) = input.shape();
    let device = ComputeDevice::Cpu.device().unwrap();
    let mut worst = 0.0_f32;
    for (start_secs, score) in found.start_secs.iter().zip(&found.scores) {
        let start = (start_secs * f64::from(RATE_HZ)).round() as usize;
        let built = input.build(&stft, &audio[start..start + window]).unwrap();
        let alone = syrinx::model::scores(&model.net, &built.values, bands, frames, 1, &device)[0];
        worst = worst.max((alone - score).abs());
    }
    assert!(worst < 1e-4, "scores differ by up to {worst}");
    // Small blocks (edges every 100 frames) give the same windows and scores.
    let blocked = syrinx::scoring::score_recording_in_blocks(
        model,
        path,
        0.5,
        100,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(blocked.start_secs, found.start_secs);
    for (a, b) in blocked.scores.iter().zip(&found.scores) {
        assert!((a - b).abs() < 1e-5);
    }
    // The band's envelope too: every spectrogram frame once, whatever the blocks.
    let envelope = found
        .envelope
        .as_ref()
        .expect("detection measures the band");
    assert!(!envelope.level_db.is_empty());
    assert_eq!(blocked.envelope, found.envelope);
    // Cancelling stops it.
    let cancelled =
        syrinx::scoring::score_recording(model, path, 0.5, &AtomicBool::new(true), &mut |_, _| {});
    assert!(matches!(
        cancelled,
        Err(syrinx::scoring::DetectError::Cancelled)
    ));
}

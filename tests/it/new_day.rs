//! A new day or site: recordings unlike the training recordings are named before scoring, the
//! network can be adapted to them (AdaBN), and a project with too few calls is refused with a
//! message instead of a useless model.

use std::sync::atomic::AtomicBool;

use syrinx::audio::{ChannelMode, WavEncoding, read_all, write_wav};
use syrinx::dataset::Dataset;
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::scoring::domain::{DomainCheck, distance_of, sample_inputs};
use syrinx::train::train;
use syrinx::workflow::detect::{BatchEvent, BatchPlan, run_batch};

use crate::cross_validation::config;
use crate::train::{Layout, generated_project, generated_recordings, small_settings};

fn layout(stem: &'static str, seed_base: u64) -> Layout {
    Layout {
        secs: 24.0,
        first_secs: 0.5,
        end_margin_secs: 0.9,
        gap_secs: 1.2..2.0,
        seed_base,
        stem,
        fully_annotated: true,
    }
}

#[test]
fn recordings_unlike_the_training_recordings_are_named_and_the_network_adapts_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 4);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let outcome = train(
        &dataset,
        &config,
        &small_settings(3),
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model_dir = dir.path().join("model");
    outcome.artifact.save(&model_dir).unwrap();
    let device = ComputeDevice::Cpu.device().unwrap();
    let model = ModelArtifact::load(&model_dir, &device).unwrap();
    let reference = model
        .info
        .domain
        .clone()
        .expect("training measures its recordings");
    assert_eq!(reference.training.len(), 4);
    // Another recording like the training ones, and the same made a new day: 26 dB quieter
    // under loud noise.
    let like_dir = dir.path().join("like");
    std::fs::create_dir_all(&like_dir).unwrap();
    let like = generated_recordings(&like_dir, 1, &layout("like", 77)).recordings[0]
        .path
        .clone();
    let (info, audio) = read_all(&like, ChannelMode::Mix).unwrap();
    let new_day: Vec<f32> = audio
        .iter()
        .enumerate()
        .map(|(i, s)| 0.05 * s + 0.3 * (((i * 7_919) % 1_000) as f32 / 500.0 - 1.0))
        .collect();
    let new_day_path = dir.path().join("new_day.wav");
    write_wav(
        &new_day_path,
        &new_day,
        info.sample_rate_hz,
        WavEncoding::Float32,
    )
    .unwrap();

    let check =
        DomainCheck::measure(&model, &[like.clone(), new_day_path.clone()], 8, &device).unwrap();
    let unlike: Vec<&std::path::PathBuf> = check.unlike().iter().map(|(p, _)| p).collect();
    assert_eq!(unlike, vec![&new_day_path], "{check:?}");
    let warning = check.warning().unwrap();
    assert!(warning.contains("new_day.wav"), "{warning}");

    // The whole batch says so, and with adaptation the network's statistics become the new
    // day's own.
    let mut warnings = Vec::new();
    let mut scored = 0;
    run_batch(
        &BatchPlan {
            model_dir: model_dir.clone(),
            files: vec![like, new_day_path.clone()],
            folder: None,
            hop_secs: None,
            per_class: false,
            adapt: true,
        },
        &AtomicBool::new(false),
        &mut |event| match event {
            BatchEvent::Unlike(warning) => warnings.push(warning),
            BatchEvent::Scored { result, .. } => {
                assert!(result.is_ok());
                scored += 1;
            }
            _ => {}
        },
    )
    .unwrap();
    assert_eq!(scored, 2);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("new_day.wav"));

    let inputs = sample_inputs(&model.info.input, &new_day_path, 48).unwrap();
    let before = distance_of(&model.net, &inputs, &model.info.input, &device).unwrap();
    let (bands, frames) = model.info.input.shape();
    model
        .net
        .reestimate_norms(&inputs, bands, frames, 16, &device);
    let after = distance_of(&model.net, &inputs, &model.info.input, &device).unwrap();
    assert!(before > check.limit, "{before} vs {}", check.limit);
    assert!(after < 1e-3, "after adapting: {after}");
}

#[test]
fn too_few_calls_are_refused_with_a_message_and_a_few_are_cross_validated() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = generated_recordings(
        dir.path(),
        1,
        &Layout {
            secs: 60.0,
            ..layout("few", 90)
        },
    );
    // Keep the first positives only (the recording is no longer fully annotated).
    let keep = |n: usize, project: &mut syrinx::project::Project| {
        let mut positives = 0;
        let items: Vec<_> = project
            .selections
            .items()
            .iter()
            .filter(|s| {
                let positive = s.kind == syrinx::annotation::SelectionKind::Positive;
                positives += usize::from(positive);
                !positive || positives <= n
            })
            .cloned()
            .collect();
        project.selections = syrinx::annotation::SelectionSet::from_items(items);
        project.recordings[0].fully_annotated = false;
    };
    let mut three = project.clone();
    keep(3, &mut three);
    let error = Dataset::from_project(&three, &[], &config())
        .unwrap_err()
        .to_string();
    assert!(error.contains("at least 5"), "{error}");

    keep(8, &mut project);
    let config = config();
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let folds = dataset.folds(&config).expect("8 calls make two folds");
    assert_eq!(folds.plan.folds, 2);
    let outcome = train(
        &dataset,
        &config,
        &small_settings(2),
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        outcome.artifact.info.cross_validation.map(|cv| cv.folds),
        Some(2)
    );
}

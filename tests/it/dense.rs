//! Dense scoring (issue 31): a model whose input carries context scores every window from one
//! pass of its convolutions over the recording, and gets what scoring each window on its own
//! gets, and what training cropped.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use syrinx::audio::{ChannelMode, WavEncoding, read_all, write_wav};
use syrinx::dataset::{Dataset, DatasetConfig, InputMaker, SpectrogramCache};
use syrinx::dsp::{InputNormalization, ModelInputSpec};
use syrinx::model::{ComputeDevice, ModelArtifact, NetworkConfig};
use syrinx::scoring::{
    hop_frames, score_recording, score_recording_in_blocks, score_recording_window_by_window,
};

use crate::train::{generated_project, small_input};

const RATE_HZ: u32 = 8_000;

/// Networks of other depths and pools: strides of 32 (the default's shape), 4 and 8 frames.
fn networks() -> Vec<NetworkConfig> {
    let net = |channels: Vec<usize>, input_pool: usize| NetworkConfig {
        channels,
        input_pool,
        dropout: 0.0,
        outputs: 1,
    };
    vec![
        net(vec![4, 8, 8, 8], 2),
        net(vec![6, 8], 1),
        net(vec![4, 8, 8], 1),
    ]
}

/// `input` with the context `network` needs.
fn with_context(network: &NetworkConfig, normalization: InputNormalization) -> ModelInputSpec {
    let mut input = ModelInputSpec {
        normalization,
        ..small_input()
    };
    input.context_frames = network.context_frames_for(&input);
    assert!(input.context_frames > 0, "{normalization:?} streams");
    input
}

fn model(network: &NetworkConfig, input: ModelInputSpec, members: usize) -> ModelArtifact {
    let device = ComputeDevice::Cpu.device().unwrap();
    let mut model = ModelArtifact::untrained(network.clone(), input, &device);
    model.members = (1..members)
        .map(|_| network.init(&input, &device))
        .collect();
    model.info.ensemble = members;
    model
}

/// The tests' dataset settings (as `train::config`) for `input`.
fn config_for(input: ModelInputSpec) -> DatasetConfig {
    DatasetConfig {
        input,
        seed: 3,
        max_background_per_recording: 4,
        ..DatasetConfig::default()
    }
}

/// The largest difference between two lists of scores.
fn worst_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max)
}

/// A recording's first `secs` written on its own (a file end anywhere, or shorter than a
/// window).
fn cut(from: &Path, to: &Path, secs: f64) {
    let (_, audio) = read_all(from, ChannelMode::Mix).unwrap();
    let n = (secs * f64::from(RATE_HZ)) as usize;
    write_wav(to, &audio[..n], RATE_HZ, WavEncoding::Pcm16).unwrap();
}

#[test]
fn dense_scores_equal_window_by_window_scores() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 1);
    let long = project.recordings[0].path.clone();
    let odd = dir.path().join("odd.wav");
    let short = dir.path().join("short.wav");
    cut(&long, &odd, 3.37);
    cut(&long, &short, 0.6);
    let cancel = AtomicBool::new(false);
    let mut cases = 0;
    for (n, network) in networks().iter().enumerate() {
        for normalization in [InputNormalization::DB_RANGE, InputNormalization::PCEN] {
            let input = with_context(network, normalization);
            // An ensemble of two on one network: members share the strip and the front end.
            let model = model(network, input, if n == 0 { 2 } else { 1 });
            let hop_secs = 0.25;
            let step = hop_frames(&model, hop_secs);
            assert_eq!(
                step % network.dense_hop_frames(),
                0,
                "the hop is on the grid"
            );
            for path in [&long, &odd, &short] {
                let one_by_one =
                    score_recording_window_by_window(&model, path, hop_secs, 4_096, &cancel)
                        .unwrap();
                // Whole blocks, and blocks of 40 frames (an edge every few windows).
                for block_frames in [4_096, 40] {
                    let dense = score_recording_in_blocks(
                        &model,
                        path,
                        hop_secs,
                        block_frames,
                        &cancel,
                        &mut |_, _| {},
                    )
                    .unwrap();
                    assert_eq!(dense.start_secs, one_by_one.start_secs);
                    let worst = worst_difference(&dense.scores, &one_by_one.scores);
                    assert!(
                        worst < 1e-4,
                        "{network:?} {normalization:?} {} blocks of {block_frames}: {worst}",
                        path.display()
                    );
                    cases += 1;
                }
                assert!(!one_by_one.scores.is_empty());
            }
        }
    }
    assert_eq!(cases, 3 * 2 * 3 * 2);
}

#[test]
fn a_model_trained_with_context_scores_densely_as_window_by_window() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 3);
    let settings = crate::train::small_settings(3);
    let input = with_context(&settings.network, InputNormalization::PCEN);
    let config = config_for(input);
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    let outcome = syrinx::train::train(
        &dataset,
        &config,
        &settings,
        Default::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model = &outcome.artifact;
    assert_eq!(model.info.input.context_frames, input.context_frames);
    // Saved and loaded, the network still pools only the window's cells.
    let saved = dir.path().join("model");
    model.save(&saved).unwrap();
    let loaded = ModelArtifact::load(&saved, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let cancel = AtomicBool::new(false);
    let path = &project.recordings[2].path;
    let one_by_one = score_recording_window_by_window(model, path, 0.25, 4_096, &cancel).unwrap();
    let dense =
        score_recording_in_blocks(&loaded, path, 0.25, 4_096, &cancel, &mut |_, _| {}).unwrap();
    assert_eq!(dense.start_secs, one_by_one.start_secs);
    let worst = worst_difference(&dense.scores, &one_by_one.scores);
    // The comparison means something: a trained model's scores move along the recording.
    let (low, high) = one_by_one
        .scores
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), s| (l.min(*s), h.max(*s)));
    assert!(high - low > 0.1, "scores only span {low}..{high}");
    assert!(worst < 1e-4, "dense scores differ by {worst}");
}

#[test]
fn training_crops_score_as_detection_slices_do() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 2);
    let network = &networks()[1];
    for (normalization, tolerance) in [
        (InputNormalization::DB_RANGE, 1e-4_f32),
        (InputNormalization::PCEN, 1e-4),
    ] {
        let input = with_context(network, normalization);
        let config = config_for(input);
        let dataset = Dataset::from_project(&project, &[], &config).unwrap();
        let cache =
            SpectrogramCache::build(&dataset, &input, &AtomicBool::new(false), &|_, _| {}).unwrap();
        let maker = InputMaker::new(&dataset, &cache);
        let model = model(network, input, 1);
        let hop = f64::from(input.spectrogram.hop_len);
        let grid = network.dense_hop_frames();
        let frame_secs = hop / f64::from(RATE_HZ);
        let (bands, frames) = input.shape();
        let device = ComputeDevice::Cpu.device().unwrap();
        let mut compared = 0;
        let mut worst = 0.0_f32;
        for recording in &project.recordings {
            let detected = score_recording(
                &model,
                &recording.path,
                grid as f64 * frame_secs,
                &AtomicBool::new(false),
                &mut |_, _| {},
            )
            .unwrap();
            for (i, window) in dataset.windows.iter().enumerate() {
                let frame = (window.crop.centre() / frame_secs).round() as usize;
                if window.path != recording.path || !frame.is_multiple_of(grid) {
                    continue;
                }
                let Some(k) = detected
                    .start_secs
                    .iter()
                    .position(|s| (s / frame_secs).round() as usize == frame)
                else {
                    continue;
                };
                let crop = maker.input(i, None);
                assert_eq!(crop.len(), bands * frames);
                let trained =
                    syrinx::model::scores(&model.net, &crop, bands, frames, 1, &device)[0];
                worst = worst.max((trained - detected.scores[k]).abs());
                compared += 1;
            }
        }
        assert!(
            compared >= 10,
            "{normalization:?}: {compared} windows compared"
        );
        assert!(
            worst < tolerance,
            "{normalization:?}: scores differ by {worst}"
        );
        eprintln!("{normalization:?}: {compared} training crops within {worst} of detection");
    }
}

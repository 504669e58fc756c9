//! Scoring a list of files as one stream gives each file the scores it gets alone.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use syrinx::audio::{WavEncoding, write_wav};
use syrinx::detect::WindowScores;
use syrinx::dsp::ModelInputSpec;
use syrinx::model::{ComputeDevice, ModelArtifact, NetworkConfig};
use syrinx::scoring::{DetectError, FileEvent, score_recording, score_recordings};
use syrinx::util::synth::FieldSynth;

fn wav(dir: &Path, name: &str, rate_hz: u32, secs: f64, seed: u64) -> PathBuf {
    let path = dir.join(name);
    let samples = FieldSynth::new(rate_hz, seed).take((f64::from(rate_hz) * secs) as usize);
    write_wav(&path, &samples, rate_hz, WavEncoding::Pcm16).unwrap();
    path
}

fn model(outputs: usize) -> ModelArtifact {
    let device = ComputeDevice::Cpu.device().unwrap();
    device.seed(5);
    let network = NetworkConfig {
        outputs,
        ..NetworkConfig::default()
    };
    let mut model = ModelArtifact::untrained(network, ModelInputSpec::default(), &device);
    if outputs > 1 {
        model.info.classes = (0..outputs).map(|i| format!("class{i}")).collect();
    }
    model
}

fn assert_same(streamed: &WindowScores, alone: &WindowScores, what: &str) {
    assert_eq!(
        streamed.start_secs, alone.start_secs,
        "{what}: window starts"
    );
    assert_eq!(streamed.scores.len(), alone.scores.len(), "{what}: scores");
    assert!(!alone.scores.is_empty(), "{what}: no windows");
    for (a, b) in streamed.scores.iter().zip(&alone.scores) {
        assert!((a - b).abs() < 1e-5, "{what}: {a} vs {b}");
    }
}

/// Files of different lengths and rates (shorter than one window, shorter than a batch, several
/// batches, resampled), a stereo file and a missing one: streamed, every file scores as it
/// does alone, in order, and the missing file fails on its own.
#[test]
fn streamed_files_score_as_they_do_alone() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    let files = vec![
        wav(dir.path(), "a.wav", 22_050, 10.0, 1),
        wav(dir.path(), "b_short.wav", 22_050, 0.7, 2),
        missing.clone(),
        wav(dir.path(), "c_16k.wav", 16_000, 23.3, 3),
        crate::common::fixture("stereo_lr.flac"),
        wav(dir.path(), "d.wav", 22_050, 4.0, 4),
    ];
    let model = model(1);
    let hop_secs = 0.25;
    let mut events = Vec::new();
    score_recordings(
        &model,
        &files,
        hop_secs,
        &AtomicBool::new(false),
        &mut |e| {
            events.push(e);
        },
    )
    .unwrap();
    let mut started = Vec::new();
    let mut done = Vec::new();
    for event in events {
        match event {
            FileEvent::Started { index, .. } => started.push(index),
            FileEvent::Done { index, result, .. } => done.push((index, result)),
            FileEvent::Position { index, .. } => assert!(started.contains(&index)),
        }
    }
    assert_eq!(started, (0..files.len()).collect::<Vec<_>>());
    assert_eq!(
        done.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..files.len()).collect::<Vec<_>>()
    );
    for ((index, result), path) in done.into_iter().zip(&files) {
        let alone = score_recording(
            &model,
            path,
            hop_secs,
            &AtomicBool::new(false),
            &mut |_, _| {},
        );
        if *path == missing {
            let error = result.unwrap_err().to_string();
            assert!(error.contains("missing.wav"), "{error}");
            assert!(alone.is_err());
            continue;
        }
        let streamed = result.unwrap();
        assert_eq!(streamed.len(), 1);
        assert_same(&streamed[0], &alone.unwrap(), &format!("file {index}"));
    }
}

/// A multi-class model's columns are split back per file and class.
#[test]
fn streamed_files_keep_each_class() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        wav(dir.path(), "a.wav", 22_050, 3.0, 7),
        wav(dir.path(), "b.wav", 22_050, 5.5, 8),
    ];
    let model = model(3);
    let mut done = Vec::new();
    score_recordings(&model, &files, 0.5, &AtomicBool::new(false), &mut |e| {
        if let FileEvent::Done { result, .. } = e {
            done.push(result.unwrap());
        }
    })
    .unwrap();
    assert_eq!(done.len(), 2);
    for (streamed, path) in done.iter().zip(&files) {
        let alone = syrinx::scoring::score_recording_per_class(
            &model,
            path,
            0.5,
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(streamed.len(), 3);
        for (class, (a, b)) in streamed.iter().zip(&alone).enumerate() {
            assert_same(a, b, &format!("class {class}"));
        }
    }
}

#[test]
fn a_cancelled_stream_stops() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![wav(dir.path(), "a.wav", 22_050, 2.0, 1)];
    let result = score_recordings(&model(1), &files, 0.5, &AtomicBool::new(true), &mut |_| {});
    assert!(matches!(result, Err(DetectError::Cancelled)));
}

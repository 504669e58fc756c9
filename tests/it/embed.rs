//! Bring your own pretrained embedder: the tiny ONNX model committed in `tests/data/tiny_embedder`
//! (made by the script beside it) is loaded by tract, embeds recordings at its own rate and
//! window, and a head trained on the demo's boxes detects the demo's calls on its unseen test
//! sites; the model it makes works with detection and "find more like this" as a network does.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use syrinx::embed::{Embedder, HeadSettings, OnnxEmbedder};
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::project::Project;

fn tiny_embedder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny_embedder/tiny_embedder.json")
}

/// A linear sweep from `from_hz` to `to_hz` over `samples` at 16 kHz.
fn sweep(from_hz: f64, to_hz: f64, samples: usize, gain: f32) -> Vec<f32> {
    let mut phase = 0.0_f64;
    (0..samples)
        .map(|i| {
            let f = from_hz + (to_hz - from_hz) * i as f64 / samples as f64;
            phase += std::f64::consts::TAU * f / 16_000.0;
            gain * phase.sin() as f32
        })
        .collect()
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt()
}

#[test]
fn the_tiny_onnx_embedder_loads_and_tells_rising_from_falling_sweeps() {
    let embedder = OnnxEmbedder::load(&tiny_embedder()).unwrap();
    assert_eq!(embedder.dims(), 128);
    assert!((embedder.window_secs() - 0.512).abs() < 1e-9);
    // The same file gives the same key (its side files are found again); the .onnx path with
    // its JSON beside it loads the same embedder.
    let again = OnnxEmbedder::load(&tiny_embedder().with_extension("onnx")).unwrap();
    assert_eq!(embedder.key(), again.key());
    let rising = embedder
        .embed_windows(&sweep(1_000.0, 4_000.0, 8_192, 0.5))
        .unwrap();
    let quieter = embedder
        .embed_windows(&sweep(1_000.0, 4_000.0, 8_192, 0.25))
        .unwrap();
    let falling = embedder
        .embed_windows(&sweep(4_000.0, 1_000.0, 8_192, 0.5))
        .unwrap();
    assert_eq!(rising.len(), 128);
    assert!(
        distance(&rising, &quieter) * 2.0 < distance(&rising, &falling),
        "{} vs {}",
        distance(&rising, &quieter),
        distance(&rising, &falling)
    );
    // Several windows in one call (a batch and a part batch) give each window's own vector.
    let mut three = sweep(1_000.0, 4_000.0, 8_192, 0.5);
    three.extend(sweep(4_000.0, 1_000.0, 8_192, 0.5));
    three.extend(sweep(1_000.0, 4_000.0, 8_192, 0.25));
    let batch = embedder.embed_windows(&three).unwrap();
    assert_eq!(batch.len(), 3 * 128);
    assert!(distance(&batch[..128], &rising) < 1e-3);
    assert!(distance(&batch[128..256], &falling) < 1e-3);

    // A recording at another rate is resampled to the model's and cut a hop apart.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("sweeps.wav");
    let samples: Vec<f32> = (0..96_000).map(|i| 0.3 * (i as f32 * 0.2).sin()).collect();
    syrinx::audio::write_wav(&wav, &samples, 32_000, syrinx::audio::WavEncoding::Float32).unwrap();
    let embeddings = embedder
        .embed_file(&wav, 0.128, &AtomicBool::new(false))
        .unwrap();
    assert!((embeddings.step_secs - 0.128).abs() < 1e-9);
    assert_eq!(embeddings.rows(), (48_000 - 8_192) / 2_048 + 1);
}

#[test]
fn a_broken_embedder_is_named_with_its_problem() {
    let dir = tempfile::tempdir().unwrap();
    // No description beside the ONNX file.
    let lone = dir.path().join("lone.onnx");
    std::fs::copy(tiny_embedder().with_extension("onnx"), &lone).unwrap();
    let error = OnnxEmbedder::load(&lone).unwrap_err().to_string();
    assert!(
        error.contains("lone.json") && error.contains("JSON"),
        "{error}"
    );
    // A description whose window is not the model's.
    let wrong = dir.path().join("wrong.json");
    std::fs::write(
        &wrong,
        r#"{"model": "lone.onnx", "sample_rate_hz": 16000, "window_samples": 8000}"#,
    )
    .unwrap();
    let error = OnnxEmbedder::load(&wrong).unwrap_err().to_string();
    assert!(
        error.contains("lone.onnx") && error.contains("8192") && error.contains("8000"),
        "{error}"
    );
    // A damaged ONNX file.
    let broken = dir.path().join("broken.onnx");
    std::fs::write(&broken, b"not a model at all").unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        r#"{"model": "broken.onnx", "sample_rate_hz": 16000, "window_samples": 8192}"#,
    )
    .unwrap();
    let error = OnnxEmbedder::load(&broken).unwrap_err().to_string();
    assert!(error.contains("broken.onnx"), "{error}");
    // A model folder whose head names an embedder that is gone says so.
    let missing = dir.path().join("gone.json");
    let error = syrinx::embed::EmbedderSpec::read(&missing)
        .unwrap_err()
        .to_string();
    assert!(error.contains("gone.json"), "{error}");
}

#[test]
fn a_head_on_the_onnx_embedder_detects_the_demo_calls_and_finds_more_like_this() {
    let dir = tempfile::tempdir().unwrap();
    let summary = syrinx::demo::write_demo(dir.path()).unwrap();
    let project_path = summary.project.unwrap();
    let (project, _) = Project::load(&project_path).unwrap();
    let model_dir = dir.path().join("models/head_01");
    let cache = syrinx::similar::embeddings_dir(&project_path);
    let config = syrinx::dataset::DatasetConfig {
        input: project.model_input,
        ..syrinx::dataset::DatasetConfig::default()
    };
    let outcome = syrinx::workflow::head::train_head_model(
        &project,
        Some(&project_path),
        &[],
        &tiny_embedder(),
        &config,
        &HeadSettings::default(),
        Some(&cache),
        &model_dir,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    eprintln!(
        "head: {:.2} s training ({} epochs), {:.1} s embedding; rows {:?}",
        outcome.train_secs, outcome.epochs_run, outcome.embed_secs, outcome.rows
    );
    let info = &outcome.artifact.info;
    let validation = info.validation_events.unwrap();
    eprintln!("validation calls: {}", validation.summary());
    assert!(validation.f1 >= 0.7, "{}", validation.summary());
    let embedder = info.embedder.as_ref().unwrap();
    assert_eq!(embedder.dims, 128);
    assert!(model_dir.join("head.json").is_file());
    assert!(!model_dir.join("weights.bpk").exists());

    // Loaded like any model, it scores the unseen test sites: calls found as `syrinx evaluate`
    // counts them.
    let model = ModelArtifact::load(&model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    assert!(model.head.is_some());
    let mut total = syrinx::evaluate::EventMetrics::default();
    let mut secs = 0.0;
    for recording in summary
        .recordings
        .iter()
        .filter(|p| p.starts_with(dir.path().join("test")))
    {
        let scores = syrinx::scoring::score_recording(
            &model,
            recording,
            model.info.detection_hop_secs(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        let truth = syrinx::demo::truth_calls(dir.path(), recording).unwrap();
        let duration = scores.start_secs.last().copied().unwrap_or(0.0) + scores.window_secs;
        total.add_counts(&syrinx::evaluate::evaluate_scores(
            &scores,
            &model.info.merge_settings(),
            &truth,
            1.5,
            duration,
        ));
        secs += duration;
    }
    total.threshold = model.info.threshold;
    let test = syrinx::evaluate::rates(total, secs);
    eprintln!("test sites, calls: {}", test.summary());
    // A crude hand-made embedder (log band powers per quarter window) on the demo's hardest
    // sites (fainter calls, a look-alike never heard in training): far better than chance.
    assert!(test.f1 >= 0.5, "{}", test.summary());

    // "Find more like this" on its embedding: a training call's box finds other calls.
    let query = project
        .selections
        .items()
        .iter()
        .find(|s| s.label == syrinx::demo::TARGET_LABEL)
        .unwrap();
    let query_box = syrinx::similar::QueryBox {
        recording: query.recording,
        start_secs: query.start_secs,
        end_secs: query.end_secs,
        low_hz: query.low_hz,
        high_hz: query.high_hz,
    };
    let outcome = syrinx::workflow::similar::find_similar(
        &project,
        &[],
        query_box,
        10,
        &syrinx::workflow::similar::Embedding::Model(model_dir.clone()),
        &syrinx::workflow::similar::IndexPlace::beside(Some(&project_path)),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(outcome.matches.len(), 10);
    let hits = outcome
        .matches
        .iter()
        .filter(|m| {
            project.selections.of_recording(m.recording).any(|s| {
                s.label == syrinx::demo::TARGET_LABEL
                    && s.start_secs < m.end_secs
                    && m.start_secs < s.end_secs
            })
        })
        .count();
    eprintln!("find more like this on the head's features: {hits} of 10 are calls");
    assert!(hits >= 8, "{hits}");

    // Before any head, the embedder alone: its vectors are kept beside the project.
    let raw = syrinx::workflow::similar::find_similar(
        &project,
        &[],
        query_box,
        10,
        &syrinx::workflow::similar::Embedding::Embedder(tiny_embedder()),
        &syrinx::workflow::similar::IndexPlace::beside(Some(&project_path)),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(raw.matches.len(), 10);
    assert!(
        raw.computed < project.recordings.len(),
        "the training recordings' vectors are reused: {} computed",
        raw.computed
    );
}

#[test]
fn syrinx_train_embedder_trains_a_head_that_syrinx_detect_runs() {
    let dir = tempfile::tempdir().unwrap();
    let project_path = syrinx::demo::write_demo(dir.path())
        .unwrap()
        .project
        .unwrap();
    let model_dir = dir.path().join("head_model");
    let out = super::cli::syrinx(&[
        "train",
        project_path.to_str().unwrap(),
        "--out",
        model_dir.to_str().unwrap(),
        "--embedder",
        tiny_embedder().to_str().unwrap(),
        "--head-hidden",
        "0",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("head trained in"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["embedder"]["dims"], 128);
    assert!(summary["head_train_secs"].as_f64().unwrap() > 0.0);
    let detections = dir.path().join("detections");
    let detect = super::cli::syrinx(&[
        "detect",
        "--model",
        model_dir.to_str().unwrap(),
        "--out",
        detections.to_str().unwrap(),
        dir.path().join("test").to_str().unwrap(),
    ]);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    let counts = std::fs::read_to_string(detections.join("counts.csv")).unwrap();
    assert_eq!(counts.lines().count(), 4, "{counts}");
}

#[test]
fn a_multi_class_head_scores_each_species_on_its_own_calls() {
    let dir = tempfile::tempdir().unwrap();
    let demo = syrinx::demo::species::write_species_demo(dir.path()).unwrap();
    let (project, _) = Project::load(&demo.project).unwrap();
    let classes: Vec<String> = syrinx::demo::species::SPECIES
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    let config = syrinx::dataset::DatasetConfig {
        input: project.model_input,
        classes: classes.clone(),
        ..syrinx::dataset::DatasetConfig::default()
    };
    let model_dir = dir.path().join("head");
    let outcome = syrinx::workflow::head::train_head_model(
        &project,
        Some(&demo.project),
        &[],
        &tiny_embedder(),
        &config,
        &HeadSettings::default(),
        None,
        &model_dir,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    let info = &outcome.artifact.info;
    assert_eq!(info.network.outputs, 3);
    let names: Vec<&str> = info.class_metrics.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, classes);
    for class in &info.class_metrics {
        let test = class.test_events.unwrap();
        eprintln!("{}: test calls {}", class.name, test.summary());
        assert!(
            test.true_positives + test.false_negatives > 0,
            "{}",
            class.name
        );
        // The crude embedder sees 0.3 s calls in 0.5 s windows of log band powers: well above
        // chance for every species, far from the trained network's 1.000.
        assert!(test.f1 >= 0.5, "{}: {}", class.name, test.summary());
    }
    // Detection scores each class: one curve per species over a recording.
    let model = ModelArtifact::load(&model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let per_class = syrinx::scoring::score_recording_per_class(
        &model,
        &project.recordings[1].path,
        model.info.detection_hop_secs(),
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(per_class.len(), 3);
    assert!(
        per_class
            .iter()
            .all(|s| s.scores.len() == s.start_secs.len())
    );
}

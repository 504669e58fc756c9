//! Many species in one model: a project of three call types (rising chirps, falling chirps,
//! tones), some calling over each other, trains one network with an output per class; each
//! class is told from the others on unseen recordings, and single-class models stay as they were.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use syrinx::dataset::{Dataset, DatasetConfig, NOISE_CLASS};
use syrinx::demo::species::{SPECIES, SpeciesCall, write_species_demo};
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::project::Project;
use syrinx::scoring::{DetectError, score_recording, score_recording_per_class};
use syrinx::train::train_project;

use super::train::{small_input, small_settings};

const SECS: f64 = 40.0;
pub const CLASSES: [&str; 3] = SPECIES;

/// A generated call: start and end (seconds) and class.
type Call = SpeciesCall;

/// The species demo's project and each recording's calls.
fn three_species(dir: &Path) -> (Project, Vec<Vec<Call>>) {
    let demo = write_species_demo(dir).unwrap();
    let (project, _) = Project::load(&demo.project).unwrap();
    (
        project,
        demo.recordings.into_iter().map(|(_, c)| c).collect(),
    )
}

pub fn config() -> DatasetConfig {
    DatasetConfig {
        input: small_input(),
        seed: 3,
        max_background_per_recording: 8,
        classes: CLASSES.iter().map(|c| (*c).to_owned()).collect(),
        ..DatasetConfig::default()
    }
}

#[test]
fn overlapping_calls_of_two_classes_count_for_both_and_classes_are_balanced() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = three_species(dir.path());
    let dataset = Dataset::from_project(&project, &[], &config()).unwrap();
    assert_eq!(dataset.outputs(), 3);
    let mut both = 0;
    for w in dataset.windows.iter().filter(|w| w.is_positive()) {
        let own = CLASSES.iter().position(|c| *c == w.label).unwrap();
        assert_eq!(w.classes[0], own, "{w:?}");
        assert_eq!(w.targets(3)[own], 1.0);
        both += usize::from(w.classes.len() > 1);
    }
    // Every overlap is seen from both of its calls.
    assert!(both >= 2 && both % 2 == 0, "{both}");
    for w in dataset.windows.iter().filter(|w| !w.is_positive()) {
        assert!(w.classes.is_empty());
        assert_eq!(w.targets(3), vec![0.0; 3]);
    }
    // An epoch feeds each class about equally, and calls as often as "none of these".
    let epoch = dataset.balanced_epoch(&mut ChaCha8Rng::seed_from_u64(1));
    let mut per_class = [0_usize; 4];
    for i in &epoch {
        per_class[dataset.windows[*i].classes.first().copied().unwrap_or(3)] += 1;
    }
    let calls: usize = per_class[..3].iter().sum();
    assert!(
        per_class[..3].iter().all(|n| *n == per_class[0]),
        "{per_class:?}"
    );
    assert!(calls.abs_diff(per_class[3]) <= 3, "{per_class:?}");
    // Without classes, the same project is a single-class dataset as before.
    let single = Dataset::from_project(
        &project,
        &[],
        &DatasetConfig {
            classes: Vec::new(),
            ..config()
        },
    )
    .unwrap();
    assert_eq!(single.outputs(), 1);
    assert!(single.windows.iter().all(|w| w.classes.is_empty()));
}

#[test]
fn an_explicit_noise_class_learns_the_negatives_and_is_never_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = three_species(dir.path());
    let config = DatasetConfig {
        noise_class: true,
        ..config()
    };
    let dataset = Dataset::from_project(&project, &[], &config).unwrap();
    assert_eq!(dataset.outputs(), 4);
    assert_eq!(dataset.classes[3], NOISE_CLASS);
    assert_eq!(dataset.called_classes(), CLASSES);
    for w in &dataset.windows {
        if w.is_positive() {
            assert!(w.classes.iter().all(|c| *c < 3), "{w:?}");
        } else {
            assert_eq!(w.classes, [3], "{w:?}");
        }
    }
    // Each of the four classes is fed about equally.
    let epoch = dataset.balanced_epoch(&mut ChaCha8Rng::seed_from_u64(1));
    let mut per_class = [0_usize; 4];
    for i in &epoch {
        per_class[dataset.windows[*i].classes[0]] += 1;
    }
    assert!(
        per_class.iter().all(|n| *n == per_class[0]),
        "{per_class:?}"
    );
    // Trained, the model has four outputs; its classes, thresholds, call metrics and
    // confusions are of the three called classes, and detection scores those three.
    let mut settings = small_settings(2);
    settings.network.outputs = 4;
    let outcome = train_project(
        &project,
        None,
        &[],
        &config,
        &settings,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let info = &outcome.artifact.info;
    assert_eq!(info.network.outputs, 4);
    assert_eq!(info.classes.len(), 4);
    let names: Vec<&str> = info.class_metrics.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, CLASSES);
    assert!(info.class_metrics.iter().all(|c| c.test_events.is_some()));
    for confusion in &info.confusions {
        assert_eq!(confusion.labels, ["fall", "rise", "tone", "none"]);
    }
    let model_dir = dir.path().join("noise_model");
    outcome.artifact.save(&model_dir).unwrap();
    let model = ModelArtifact::load(&model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let plan = syrinx::workflow::detect::BatchPlan {
        model_dir: model_dir.clone(),
        files: vec![project.recordings[1].path.clone()],
        folder: None,
        hop_secs: Some(0.25),
        per_class: true,
        adapt: false,
    };
    let mut per_file = Vec::new();
    syrinx::workflow::detect::run_batch(&plan, &AtomicBool::new(false), &mut |event| {
        if let syrinx::workflow::detect::BatchEvent::ScoredClasses { result, .. } = event {
            per_file.push(result.unwrap().len());
        }
    })
    .unwrap();
    assert_eq!(per_file, [4], "the scorer gives every output");
    let mut project = project;
    let runs = syrinx::workflow::detect::RunTarget::start_per_class(
        &mut project,
        &model_dir,
        &model.info,
        0.25,
        model.info.merge_settings(),
        None,
        &[],
    );
    assert_eq!(runs.len(), 3, "no run for the noise class");
}

/// The small three-class network the tests train on the species demo's `project`.
pub fn train_three_species(project: &Project) -> syrinx::train::TrainOutcome {
    let mut settings = small_settings(14);
    settings.network.channels = vec![8, 16, 24];
    settings.network.outputs = CLASSES.len();
    train_project(
        project,
        None,
        &[],
        &config(),
        &settings,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn one_network_tells_three_call_types_apart_on_an_unseen_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (project, truth) = three_species(dir.path());
    let outcome = train_three_species(&project);
    let info = &outcome.artifact.info;
    assert_eq!(info.network.outputs, 3);
    assert_eq!(info.classes, CLASSES);
    assert_eq!(info.class_metrics.len(), 3);
    for class in &info.class_metrics {
        let test = class.test.as_ref().unwrap();
        eprintln!(
            "{}: threshold {:.2}, validation F1 {:.3}, test F1 {:.3}",
            class.name,
            class.threshold,
            class.validation.as_ref().unwrap().f1,
            test.f1
        );
        assert!(test.f1 >= 0.8, "{}: test F1 {:.3}", class.name, test.f1);
        // Calls, as that class's own detection run counts them on the fully annotated
        // validation and test recordings; the threshold is the one validation's calls chose.
        let validation_events = class.validation_events.unwrap();
        let test_events = class.test_events.unwrap();
        eprintln!("{}: test calls {}", class.name, test_events.summary());
        assert_eq!(validation_events.threshold, class.threshold);
        assert!(
            test_events.f1 >= 0.8,
            "{}: {}",
            class.name,
            test_events.summary()
        );
    }
    // The model's call figures are its classes' counts added up.
    let pooled = info.test_events.unwrap();
    let sum = |of: fn(&syrinx::evaluate::EventMetrics) -> usize| -> usize {
        info.class_metrics
            .iter()
            .map(|c| of(c.test_events.as_ref().unwrap()))
            .sum()
    };
    assert_eq!(pooled.true_positives, sum(|m| m.true_positives));
    assert_eq!(pooled.false_positives, sum(|m| m.false_positives));
    assert_eq!(pooled.false_negatives, sum(|m| m.false_negatives));
    assert!(info.validation_events.is_some());
    let test_confusion = info.confusions.iter().find(|c| c.split == "test").unwrap();
    assert_eq!(test_confusion.labels, ["fall", "rise", "tone", "none"]);
    assert!(test_confusion.accuracy() >= 0.8, "{test_confusion:?}");

    // Saved and loaded, it scores each class over the unseen test recording: at each lone call
    // its own class scores above threshold and the others stay below (a stated rate).
    let model_dir = dir.path().join("model");
    outcome.artifact.save(&model_dir).unwrap();
    let model = ModelArtifact::load(&model_dir, &ComputeDevice::Cpu.device().unwrap()).unwrap();
    let test_path = &project.recordings[1].path;
    let per_class = score_recording_per_class(
        &model,
        test_path,
        0.1,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(per_class.len(), 3);
    let calls = &truth[1];
    let lone: Vec<&Call> = calls
        .iter()
        .filter(|(s, e, _)| {
            calls
                .iter()
                .filter(|(s2, e2, _)| *s2 < e + 0.5 && s - 0.5 < *e2)
                .count()
                == 1
        })
        .collect();
    let (mut found, mut confused, mut chances) = (0, 0, 0);
    for (start, end, class) in &lone {
        let centre = 0.5 * (start + end);
        for (c, scores) in per_class.iter().enumerate() {
            // The window centred on the call.
            let best = scores
                .start_secs
                .iter()
                .zip(&scores.scores)
                .filter(|(s, _)| (**s + 0.5 - centre).abs() <= 0.1)
                .map(|(_, v)| *v)
                .fold(0.0_f32, f32::max);
            let above = best >= info.class_metrics[c].threshold;
            if c == *class {
                found += usize::from(above);
            } else {
                chances += 1;
                confused += usize::from(above);
            }
        }
    }
    eprintln!(
        "lone test calls: {found} of {} found by their class; other classes fired on {confused} of {chances}",
        lone.len()
    );
    assert!(
        found as f64 >= 0.85 * lone.len() as f64,
        "{found} of {}",
        lone.len()
    );
    assert!(
        confused as f64 <= 0.1 * chances as f64,
        "{confused} of {chances}"
    );
    // Calls, class by class, as `syrinx evaluate` counts them: each class's scores cut into
    // detections at its threshold, matched against that class's calls only.
    for (c, scores) in per_class.iter().enumerate() {
        let settings = syrinx::detect::MergeSettings {
            threshold: info.class_metrics[c].threshold,
            ..info.merge_settings()
        };
        let references: Vec<(f64, f64)> = calls
            .iter()
            .filter(|(_, _, class)| *class == c)
            .map(|(s, e, _)| (*s, *e))
            .collect();
        let events = syrinx::evaluate::rates(
            syrinx::evaluate::evaluate_scores(scores, &settings, &references, 1.5, SECS),
            SECS,
        );
        eprintln!("{}: test calls {}", CLASSES[c], events.summary());
        assert!(events.f1 >= 0.8, "{}: {}", CLASSES[c], events.summary());
    }
    // Single-class scoring says what the model is.
    let error = score_recording(
        &model,
        test_path,
        0.5,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(matches!(error, DetectError::MultiClass(3, _)), "{error}");
}

#[test]
fn a_single_class_model_file_has_no_class_fields_and_old_ones_load() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = three_species(dir.path());
    let outcome = train_project(
        &project,
        None,
        &[],
        &DatasetConfig {
            classes: Vec::new(),
            ..config()
        },
        &small_settings(1),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let model_dir = dir.path().join("model");
    outcome.artifact.save(&model_dir).unwrap();
    let json = std::fs::read_to_string(model_dir.join("model.json")).unwrap();
    for field in ["\"outputs\"", "\"class_metrics\"", "\"confusions\""] {
        assert!(!json.contains(field), "{field} in a single-class model");
    }
    assert_eq!(outcome.artifact.info.classes, ["negative", "positive"]);
    // Read back, it has one output, as models from before classes (no `outputs` field) do.
    let info = ModelArtifact::read_info(&model_dir).unwrap();
    assert_eq!(info.network.outputs, 1);
}

#[test]
fn syrinx_train_classes_and_detect_write_per_class_results() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = three_species(dir.path());
    let project_path = dir.path().join("species.syrinx");
    project.save(&project_path).unwrap();
    let model_dir = dir.path().join("model");
    let syrinx = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
            .args(args)
            .output()
            .unwrap()
    };
    let (project_arg, model_arg) = (project_path.to_str().unwrap(), model_dir.to_str().unwrap());
    // A label the project does not have is refused, naming the ones it has.
    let wrong = syrinx(&[
        "train",
        project_arg,
        "--out",
        model_arg,
        "--classes",
        "rise,owl",
    ]);
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("\"owl\"") && stderr.contains("fall, rise, tone"),
        "{stderr}"
    );
    let out = syrinx(&[
        "train",
        project_arg,
        "--out",
        model_arg,
        "--classes",
        "all",
        "--noise-class",
        "--epochs",
        "1",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("classes: fall, rise, tone (and an explicit noise class)"),
        "{stdout}"
    );
    assert!(stdout.contains("confusion (validation"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["classes"].as_array().unwrap().len(), 3);
    let info = ModelArtifact::read_info(&model_dir).unwrap();
    // Three classes and the noise class; detection finds the three.
    assert_eq!(info.network.outputs, 4);
    // Detection writes its tables per class: a Class column, counts per recording and class.
    let out_dir = dir.path().join("detections");
    let test_file = project.recordings[1].path.to_str().unwrap();
    let detect = syrinx(&[
        "detect",
        "--model",
        model_arg,
        "--out",
        out_dir.to_str().unwrap(),
        test_file,
    ]);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    let counts = std::fs::read_to_string(out_dir.join("counts.csv")).unwrap();
    let lines: Vec<&str> = counts.lines().collect();
    assert_eq!(lines[0], "recording,class,detections,audio_s,path");
    for (line, class) in lines[1..].iter().zip(["fall", "rise", "tone"]) {
        assert!(
            line.starts_with(&format!("species01.wav,{class},")),
            "{counts}"
        );
    }
    assert_eq!(lines.len(), 4, "{counts}");
    let raven = std::fs::read_to_string(out_dir.join("all_detections.selections.txt")).unwrap();
    assert!(raven.lines().next().unwrap().contains("\tClass"), "{raven}");
    // With a calibration per class: each class cut at its calibration's threshold, every
    // detection with its probability.
    let calibrated_at = [("fall", 0.55_f32), ("rise", 0.75), ("tone", 0.95)];
    let classes: Vec<syrinx::export::calibration::ClassCalibration> = calibrated_at
        .iter()
        .map(|(class, threshold)| {
            let estimate = syrinx::calibrate::Estimate {
                value: 0.9,
                low: 0.8,
                high: 1.0,
            };
            syrinx::export::calibration::ClassCalibration {
                class: (*class).to_owned(),
                detections: 10,
                bands: Vec::new(),
                calibration: syrinx::calibrate::Calibration {
                    intercept: 0.5,
                    slope: 1.0,
                    covariance: [0.01, 0.0, 0.01],
                    verdicts: 30,
                    calls: 15,
                },
                precision_of_all: estimate,
                target_precision: 0.9,
                choice: Some(syrinx::calibrate::ThresholdChoice {
                    threshold: *threshold,
                    precision: 0.9,
                    kept_share: 0.8,
                    detections: 5,
                }),
                precision_at_choice: Some(estimate),
                recordings: Vec::new(),
                calls: estimate,
                scores: Vec::new(),
                sites: Vec::new(),
            }
        })
        .collect();
    let calibration = dir.path().join("calibration.json");
    std::fs::write(&calibration, serde_json::to_string(&classes).unwrap()).unwrap();
    let calibrated_dir = dir.path().join("calibrated");
    let detect = syrinx(&[
        "detect",
        "--model",
        model_arg,
        "--calibration",
        calibration.to_str().unwrap(),
        "--format",
        "csv",
        "--out",
        calibrated_dir.to_str().unwrap(),
        test_file,
    ]);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    let table = syrinx::annotation::read_table(&calibrated_dir.join("all_detections.csv")).unwrap();
    for row in &table.rows {
        let (_, threshold) = calibrated_at
            .iter()
            .find(|(class, _)| *class == row.label)
            .unwrap_or_else(|| panic!("a detection of {}", row.label));
        let score = row.score.unwrap();
        assert!(
            score >= f64::from(*threshold) - 1e-6,
            "{}: {score}",
            row.label
        );
        let logit = (score.clamp(1e-6, 1.0 - 1e-6) / (1.0 - score.clamp(1e-6, 1.0 - 1e-6))).ln();
        let expected = 1.0 / (1.0 + (-(0.5 + logit)).exp());
        let probability: f64 = row.values["Probability"].parse().unwrap();
        assert!(
            (probability - expected).abs() < 2e-3,
            "{probability} against {expected}"
        );
    }
    // In a project: one run per class, labelled with it and cut at its threshold, with its
    // scores for review.
    let detect = syrinx(&[
        "detect",
        "--model",
        model_arg,
        "--out",
        out_dir.to_str().unwrap(),
        "--project",
        project_arg,
        test_file,
    ]);
    assert!(
        detect.status.success(),
        "{}",
        String::from_utf8_lossy(&detect.stderr)
    );
    let (saved, _) = Project::load(&project_path).unwrap();
    let labels: Vec<&str> = saved
        .detection_runs
        .iter()
        .map(|r| r.label.as_str())
        .collect();
    assert_eq!(labels, ["fall", "rise", "tone"]);
    for (run, class) in saved.detection_runs.iter().zip(&info.class_metrics) {
        assert_eq!(run.merge.threshold, class.threshold);
        assert_eq!(run.recordings.len(), 1);
        assert!(run.pending.is_empty());
        assert_eq!(
            run.recordings[0].scores.get().unwrap().scores.len(),
            run.recordings[0].scores.get().unwrap().start_secs.len()
        );
    }
    // A cluster job array of a multi-class model: each shard's project holds a run per class;
    // merged, the classes stay apart, each run holding every shard's recordings.
    let mut shard_dirs = Vec::new();
    for k in 1..=2 {
        let shard_out = dir.path().join(format!("shard{k}"));
        let sharded = syrinx(&[
            "detect",
            "--model",
            model_arg,
            "--out",
            shard_out.to_str().unwrap(),
            "--project",
            project_arg,
            "--shard",
            &format!("{k}/2"),
            project.recordings[0].path.to_str().unwrap(),
            test_file,
        ]);
        assert!(
            sharded.status.success(),
            "{}",
            String::from_utf8_lossy(&sharded.stderr)
        );
        shard_dirs.push(shard_out);
    }
    let merged = syrinx(&[
        "project",
        "merge-shards",
        project_arg,
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
    ]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let (saved, _) = Project::load(&project_path).unwrap();
    let merged_runs = &saved.detection_runs[3..];
    let labels: Vec<&str> = merged_runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["fall", "rise", "tone"]);
    for run in merged_runs {
        assert_eq!(run.recordings.len(), 2, "{}", run.label);
    }
}

#[test]
fn syrinx_demo_species_writes_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["demo", "--species", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("calls of fall, rise, tone"));
    let (project, report) = Project::load(&dir.path().join("species.syrinx")).unwrap();
    assert!(report.missing.is_empty());
    assert_eq!(project.recordings.len(), 6);
    assert_eq!(project.class_candidates(3), SPECIES);
}

/// The settings say the network's outputs (the plan resolves one per class); training never
/// patches them, so settings made for other classes are refused, naming both counts.
#[test]
fn settings_made_for_other_classes_are_refused_not_patched() {
    let dir = tempfile::tempdir().unwrap();
    let (project, _) = three_species(dir.path());
    let error = train_project(
        &project,
        None,
        &[],
        &config(),
        &small_settings(1),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            syrinx::train::TrainError::Outputs {
                network: 1,
                classes: 3
            }
        ),
        "{error}"
    );
}

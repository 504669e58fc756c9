//! Training from the desktop app through egui_kittest: the Train window, a background run with
//! progress and curves, cancel, and a finished run's model and metrics.

use std::sync::Arc;
use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use syrinx::gui::SyrinxApp;
use syrinx::project::Project;

use super::gui::{app_with, settle};
use super::train::{generated_project, small_settings};

/// Steps the app until `done` holds, waiting on its wake-ups (never on the clock).
pub fn step_until(harness: &mut Harness<'static, SyrinxApp>, done: impl Fn(&SyrinxApp) -> bool) {
    // Every batch of a training wakes the app: a cross-validated training (three folds and
    // the final model) takes many thousands of steps.
    for _ in 0..50_000 {
        if done(harness.state()) {
            return;
        }
        let seen = harness.state().activity_count();
        harness.run_steps(1);
        if !done(harness.state()) {
            harness
                .state()
                .wait_for_activity(seen, Duration::from_millis(200));
        }
    }
    panic!("the app never reached the expected state");
}

/// The app on the project at `path`, its data folder in `dir`, settled.
pub fn open_project(path: &std::path::Path, dir: &std::path::Path) -> Harness<'static, SyrinxApp> {
    let mut harness = app_with(
        vec![path.to_path_buf()],
        Arc::default(),
        Some(dir.join("data")),
        Duration::from_secs(3600),
    );
    settle(&mut harness);
    harness
}

/// Clicks Start training, waits for the run to end and returns its result.
fn train_in_window(harness: &mut Harness<'static, SyrinxApp>) -> syrinx::gui::TrainResult {
    harness.get_by_label("Start training").click();
    harness.run_steps(1);
    assert!(harness.state().ui.training.is_running());
    step_until(harness, |app| !app.ui.training.is_running());
    harness.run_steps(2);
    match &harness.state().ui.training.result {
        Some(Ok(result)) => result.clone(),
        Some(Err(e)) => panic!("{e}"),
        None => panic!("no result"),
    }
}

fn project_app(dir: &std::path::Path) -> (Harness<'static, SyrinxApp>, Project) {
    let mut project = generated_project(dir, 4);
    // A small project trains on every recording it is not told to hold out: one is pinned to
    // test, so the finished run has test figures too.
    project.recordings[3].split = syrinx::project::Split::Test;
    let path = dir.join("calls.syrinx");
    project.save(&path).unwrap();
    let (saved, _) = Project::load(&path).unwrap();
    let mut harness = app_with(
        vec![path],
        Arc::default(),
        Some(dir.join("data")),
        Duration::from_secs(3600),
    );
    settle(&mut harness);
    (harness, saved)
}

#[test]
fn train_shows_progress_and_cancel_leaves_the_project_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, saved) = project_app(dir.path());
    harness.state_mut().ui.training.settings = syrinx::train::TrainSettings {
        patience: 0,
        ..small_settings(1_000)
    };
    harness.get_by_label("Train…").click();
    settle(&mut harness);
    assert!(harness.state().ui.training.open);
    // The dataset summary lists the labels it found.
    assert!(harness.query_all_by_label("chirp").count() > 0);
    harness.get_by_label("Start training").click();
    harness.run_steps(1);
    assert!(harness.state().ui.training.is_running());
    step_until(&mut harness, |app| !app.ui.training.epochs.is_empty());
    harness.run_steps(1);
    assert!(harness.query_by_label("Cancel training").is_some());
    // The curves' names are a row of labels above the plots, not a legend over the curves.
    for name in ["train loss", "validation loss", "validation recall"] {
        assert!(
            harness
                .query_by_role_and_label(egui::accesskit::Role::Label, name)
                .is_some(),
            "{name}"
        );
    }
    harness.get_by_label("Cancel training").click();
    step_until(&mut harness, |app| !app.ui.training.is_running());
    harness.run_steps(2);
    let app = harness.state();
    assert!(app.ui.training.cancelled);
    assert!(app.ui.training.epochs.len() < 1_000);
    assert_eq!(app.session.document.project, saved);
    assert!(!app.session.document.is_dirty());
    assert!(
        app.session
            .messages
            .iter()
            .any(|m| m.text.contains("cancelled"))
    );
    assert!(!dir.path().join("models/model_01").exists());
}

#[test]
fn a_finished_run_saves_the_model_beside_the_project_and_shows_its_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = project_app(dir.path());
    harness.state_mut().ui.training.settings = small_settings(3);
    harness.state_mut().open_training();
    settle(&mut harness);
    harness.get_by_label("Start training").click();
    harness.run_steps(1);
    assert!(harness.state().ui.training.is_running());
    step_until(&mut harness, |app| !app.ui.training.is_running());
    harness.run_steps(2);
    let model_dir = dir.path().join("models/model_01");
    assert!(
        model_dir.join("model.json").is_file(),
        "{:?}",
        harness.state().session.messages
    );
    assert!(harness.query_all_by_label_contains("Model saved").count() >= 1);
    assert!(
        harness
            .query_by_label_contains("Misclassified windows")
            .is_some()
    );
    // The recordings are fully annotated: calls are counted on validation and test recordings,
    // in a table of their own above the windows'.
    assert!(
        harness
            .query_by_label_contains("Calls (as Detect and syrinx evaluate count them)")
            .is_some()
    );
    {
        let result = match &harness.state().ui.training.result {
            Some(Ok(result)) => result.clone(),
            _ => panic!("no result"),
        };
        let (validation, test) = (
            result.validation_events.unwrap(),
            result.test_events.unwrap(),
        );
        assert!(validation.true_positives + validation.false_negatives > 0);
        assert!(test.true_positives + test.false_negatives > 0, "{test:?}");
        assert!(
            harness
                .query_by_label_contains("Windows (what the network classifies")
                .is_some()
        );
    }
    assert_eq!(harness.state().ui.training.epochs.len(), 3);
    // The next run goes to a new folder.
    assert_eq!(
        syrinx::gui::next_model_dir(Some(&dir.path().join("calls.syrinx")), None),
        dir.path().join("models/model_02")
    );

    // A second run, cancelled: the first run's curves and result come back.
    harness.state_mut().ui.training.settings = syrinx::train::TrainSettings {
        patience: 0,
        ..small_settings(1_000)
    };
    harness.get_by_label("Start training").click();
    harness.run_steps(1);
    step_until(&mut harness, |app| !app.ui.training.epochs.is_empty());
    harness.state_mut().ui.training.cancel();
    step_until(&mut harness, |app| !app.ui.training.is_running());
    harness.run_steps(2);
    let training = &harness.state().ui.training;
    assert!(training.cancelled);
    assert_eq!(training.epochs.len(), 3, "the first run's curves");
    match &training.result {
        Some(Ok(result)) => assert_eq!(result.model_dir, model_dir),
        other => panic!("the first run's result is gone: {:?}", other.is_some()),
    }
    assert!(!dir.path().join("models/model_02").exists());
}

#[test]
fn the_preview_shows_augmented_inputs_of_training_windows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = project_app(dir.path());
    harness.state_mut().open_training();
    settle(&mut harness);
    harness.get_by_label("Augmentation preview").click();
    harness.run_steps(1);
    harness.get_by_label("Preview inputs").click();
    harness.run_steps(1);
    settle(&mut harness);
    let tiles = match &harness.state().ui.training.preview {
        Some(Ok(tiles)) => tiles.clone(),
        other => panic!(
            "no preview: {:?}",
            other.as_ref().map(|r| r.as_ref().map(Vec::len))
        ),
    };
    // Two positives and a negative, each as recorded, with each augmentation alone, and with
    // all of them (the test settings turn some off).
    assert!(tiles.len() >= 6 && tiles.len() <= 15, "{}", tiles.len());
    let (bands, frames) = harness.state().ui.training.input.shape();
    assert!(
        tiles
            .iter()
            .all(|(_, input)| input.values.len() == bands * frames)
    );
    assert!(
        tiles
            .iter()
            .any(|(caption, _)| caption.starts_with("positive 'chirp'"))
    );
    assert!(
        tiles
            .iter()
            .any(|(caption, _)| caption.starts_with("negative"))
    );
    for shown in ["as recorded", "all, as in training"] {
        assert!(
            tiles.iter().any(|(caption, _)| caption.ends_with(shown)),
            "{shown}"
        );
    }
    harness.run_steps(1);
    assert!(harness.query_by_label("New random crops").is_some());
}

#[test]
fn a_misclassified_selection_can_be_relabelled_from_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, saved) = project_app(dir.path());
    let dataset = syrinx::dataset::Dataset::from_project(
        &saved,
        &[],
        &syrinx::dataset::DatasetConfig::default(),
    )
    .unwrap();
    let window = dataset
        .windows
        .iter()
        .find(|w| w.is_positive())
        .unwrap()
        .clone();
    let syrinx::dataset::WindowOrigin::Selection { id, .. } = window.origin else {
        panic!("a selection window");
    };
    harness.state_mut().open_training();
    settle(&mut harness);
    {
        let app = harness.state_mut();
        app.ui.training.result = Some(Ok(syrinx::gui::TrainResult {
            model_dir: dir.path().join("models/model_01"),
            validation_events: None,
            test_events: None,
            validation: None,
            test: None,
            scored: vec![syrinx::train::ScoredWindow {
                start_secs: window.crop.centre(),
                window,
                score: 0.1,
                class_scores: Vec::new(),
                input: Some(syrinx::dsp::ModelInput {
                    bands: 4,
                    frames: 6,
                    values: vec![0.5; 24],
                }),
            }],
            epochs_run: 1,
            best_epoch: 1,
            train_secs: 1.0,
            samples_per_sec: 1.0,
            threshold: 0.5,
            warnings: Vec::new(),
            class_metrics: Vec::new(),
            confusions: Vec::new(),
            embedder: None,
            cross_validation: None,
        }));
    }
    settle(&mut harness);
    assert!(harness.query_by_label("Misclassified windows: 1").is_some());
    assert_eq!(harness.state().ui.training.thumbnail_count(), 1);
    harness.get_by_label("Make negative").click();
    harness.run_steps(2);
    let kind = |app: &SyrinxApp| {
        app.session
            .document
            .project
            .selections
            .get(id)
            .unwrap()
            .kind
    };
    assert_eq!(
        kind(harness.state()),
        syrinx::annotation::SelectionKind::Negative
    );
    assert!(harness.state().session.document.is_dirty());
    harness.state_mut().undo();
    assert_eq!(
        kind(harness.state()),
        syrinx::annotation::SelectionKind::Positive
    );
    // Show opens the selection's recording at the window.
    harness.get_by_label_contains("score 0.10").click();
    settle(&mut harness);
    let active = harness.state().active_recording().unwrap().project_id;
    assert_eq!(active, saved.selections.get(id).unwrap().recording);
}

#[test]
fn the_model_input_can_take_the_workbench_spectrogram_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, saved) = project_app(dir.path());
    harness.state_mut().open_training();
    settle(&mut harness);
    let mut params = syrinx::dsp::SpectrogramParams::default().mel(64);
    params.window_len = 1024;
    harness.state_mut().prefs.primary.params = params;
    harness.get_by_label("Use the workbench's settings").click();
    harness.run_steps(2);
    let input = harness.state().session.document.project.model_input;
    assert_eq!(input.spectrogram, params);
    assert_eq!(input.bands, 64);
    // It starts from the input training would use: proposed, at the recordings' own 8 kHz; the
    // project keeps it from now on.
    assert_eq!(input.sample_rate_hz, saved.recordings[0].sample_rate_hz);
    assert_eq!(
        harness.state().session.document.project.propose_model_input,
        Some(false)
    );
    assert!(harness.state().session.document.is_dirty());
    settle(&mut harness);
    // Settings that cannot make an input are refused with a message, and nothing changes.
    let bad = syrinx::dsp::SpectrogramParams {
        window_len: 200_000,
        ..Default::default()
    };
    harness.state_mut().prefs.primary.params = bad;
    harness.get_by_label("Use the workbench's settings").click();
    harness.run_steps(2);
    assert_eq!(harness.state().session.document.project.model_input, input);
    assert!(
        harness
            .state()
            .session
            .messages
            .iter()
            .any(|m| m.is_error && m.text.contains("cannot make a model input"))
    );
}

#[test]
fn the_train_window_shows_the_proposed_input_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, saved) = project_app(dir.path());
    assert!(saved.proposes_model_input());
    harness.state_mut().open_training();
    settle(&mut harness);
    // The generated recordings are 8 kHz with chirps boxed at 900–3100 Hz.
    assert_eq!(harness.state().ui.training.input.sample_rate_hz, 8_000);
    harness.get_by_label("Why these choices").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Sample rate 8000 Hz: the recordings' own rate")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Band 600–4200 Hz")
            .is_some()
    );
    assert!(harness.query_by_label_contains("cut to 4000 Hz").is_some());
    // Keeping a fixed input: the project's own, starting from the proposal.
    harness.get_by_label("The project's own").click();
    harness.run_steps(2);
    let project = &harness.state().session.document.project;
    assert_eq!(project.propose_model_input, Some(false));
    assert_eq!(project.model_input, harness.state().ui.training.input);
    assert_eq!(project.model_input.sample_rate_hz, 8_000);
    // And back.
    harness.get_by_label("Proposed from the data").click();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .session
            .document
            .project
            .proposes_model_input()
    );
}

#[test]
fn the_train_window_trains_one_model_for_the_ticked_labels() {
    let dir = tempfile::tempdir().unwrap();
    let demo = syrinx::demo::species::write_species_demo(dir.path()).unwrap();
    let mut harness = open_project(&demo.project, dir.path());
    harness.state_mut().ui.training.settings = small_settings(3);
    harness.state_mut().open_training();
    settle(&mut harness);
    // Every species has enough calls: all are ticked, but a single-class model stays the
    // default until the user asks for classes.
    let choice = harness.state().ui.training.classes.clone();
    assert_eq!(choice.ticked.len(), 3, "{choice:?}");
    assert!(choice.classes().is_empty());
    harness
        .get_by_label("One output per label (multi-class)")
        .click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().ui.training.classes.classes(),
        ["fall", "rise", "tone"]
    );
    // One label left is no multi-class model: training cannot start.
    for label in ["rise", "tone"] {
        harness.get_by_label_contains(&format!("{label} (")).click();
        harness.run_steps(1);
    }
    harness.run_steps(1);
    assert!(
        harness
            .query_by_label("Tick two or more labels for a multi-class model.")
            .is_some()
    );
    {
        use egui_kittest::kittest::NodeT;
        assert!(
            harness
                .get_by_label("Start training")
                .accesskit_node()
                .is_disabled()
        );
    }
    harness.get_by_label_contains("rise (").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().ui.training.classes.classes(),
        ["fall", "rise"]
    );
    let result = train_in_window(&mut harness);
    let names: Vec<&str> = result
        .class_metrics
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["fall", "rise"]);
    let saved = std::fs::read_to_string(result.model_dir.join("model.json")).unwrap();
    let info: syrinx::model::artifact::ModelInfo = serde_json::from_str(&saved).unwrap();
    assert_eq!(info.network.outputs, 2);
    assert_eq!(info.classes, ["fall", "rise"]);
    // The window shows each class's calls and the confusion matrices.
    assert!(
        harness
            .query_by_label("Classes (each scored on its own calls)")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Confusion matrix, validation windows")
            .is_some()
    );
    assert!(result.class_metrics.iter().all(|c| c.test_events.is_some()));
}

#[test]
fn the_train_window_trains_a_head_on_a_pretrained_embedder() {
    let dir = tempfile::tempdir().unwrap();
    let project = syrinx::demo::write_demo(dir.path())
        .unwrap()
        .project
        .unwrap();
    let mut harness = open_project(&project, dir.path());
    harness.state_mut().open_training();
    settle(&mut harness);
    harness.get_by_label("Recogniser").click();
    harness.run_steps(2);
    harness
        .get_by_label("A head on a pretrained embedder (ONNX)")
        .click();
    harness.run_steps(2);
    // Without an embedder there is nothing to train on.
    harness.get_by_label("Start training").click();
    harness.run_steps(2);
    assert!(matches!(
        &harness.state().ui.training.result,
        Some(Err(syrinx::gui::TrainingFailed::NoEmbedder))
    ));
    // "Choose embedder…" asks for its path (typed here: tests have no file dialog).
    harness.get_by_label("Choose embedder…").click();
    harness.run_steps(2);
    assert!(harness.state().ui.projects.prompt.is_some());
    let embedder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tiny_embedder/tiny_embedder.json");
    harness.state_mut().ui.projects.prompt = None;
    harness.state_mut().ui.training.embedder = Some(embedder);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Embedder: ").is_some());
    let result = train_in_window(&mut harness);
    assert!(result.model_dir.join("head.json").is_file());
    assert!(result.validation_events.is_some());
    assert!(
        harness
            .query_by_label_contains("A head on the embedder tiny test embedder")
            .is_some()
    );
    // The model joins the project's iterations, and Find more like this can compare by the
    // embedder.
    let app = harness.state();
    assert_eq!(app.session.document.project.models.len(), 1);
    assert_eq!(app.session.document.project.models[0], result.model_dir);
}

#[test]
fn the_train_window_and_the_command_line_resolve_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let project = generated_project(dir.path(), 2);
    let path = dir.path().join("calls.syrinx");
    project.save(&path).unwrap();
    let output = super::cli::syrinx(&["train", path.to_str().unwrap(), "--show-input"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let from_cli: syrinx::train::TrainPlan =
        serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    // The window, on the project as the command line read it.
    let (project, _) = Project::load(&path).unwrap();
    let mut window = syrinx::gui::TrainingWindow::default();
    window.update_input(&project, &[]);
    let from_window = window.plan().cloned().unwrap().unwrap();
    assert_eq!(from_window, from_cli);
    assert!(from_cli.input.proposed && !from_cli.input.reasons.is_empty());
    // The plan is not patched afterwards: what trains is what it says.
    assert_eq!(from_cli.dataset.input, from_cli.input.spec);
    assert_eq!(from_cli.settings.network.outputs, 1);
}

#[test]
fn the_context_setting_shows_what_it_does_and_reaches_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = project_app(dir.path());
    harness.state_mut().open_training();
    settle(&mut harness);
    // Off by default (syrinx::train::CONTEXT_BY_DEFAULT); turned on here.
    assert!(!harness.state().ui.training.settings.context);
    harness.state_mut().ui.training.settings.context = true;
    settle(&mut harness);
    let line = "of context each side: detection scores densely";
    assert!(harness.query_by_label_contains(line).is_some());
    let plan = |harness: &Harness<'static, SyrinxApp>| {
        harness
            .state()
            .ui
            .training
            .plan()
            .cloned()
            .unwrap()
            .unwrap()
    };
    let with = plan(&harness);
    assert!(with.input.spec.context_frames > 0);
    assert!(with.input.reasons.iter().any(|r| r.starts_with("Context:")));
    // Folding the sections above brings the settings into the window.
    for section in ["Model input", "Dataset"] {
        harness.get_by_label(section).click();
        harness.run_steps(2);
    }
    let checkbox = "context around each window (detection scores densely)";
    harness.get_by_label(checkbox).click();
    settle(&mut harness);
    assert!(!harness.state().ui.training.settings.context);
    // Unfolded again, the input says nothing of context any more.
    harness.get_by_label("Model input").click();
    settle(&mut harness);
    assert!(harness.query_by_label_contains("Front end").is_some());
    assert!(harness.query_by_label_contains(line).is_none());
    let without = plan(&harness);
    assert_eq!(without.input.spec.context_frames, 0);
    assert_eq!(without.dataset.input, without.input.spec);
}

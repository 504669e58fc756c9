//! The desktop app driven through egui_kittest: widgets found by their labels, clicked and typed
//! into, state checked. No display needed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use syrinx::audio::{WavEncoding, write_wav};
use syrinx::dsp::FrequencyScale;
use syrinx::gui::{AppOptions, NoFileDialog, SyrinxApp};
use syrinx::playback::CaptureOutput;
use syrinx::render::Colormap;
use syrinx::util::synth::FieldSynth;

/// A 60 s field-like recording at 22.05 kHz.
pub fn recording(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_wav(
        &path,
        &FieldSynth::new(22_050, 3).take(22_050 * 60),
        22_050,
        WavEncoding::Pcm16,
    )
    .unwrap();
    path
}

fn app(files: Vec<PathBuf>, captured: Arc<Mutex<Vec<f32>>>) -> Harness<'static, SyrinxApp> {
    app_with(files, captured, None, Duration::from_secs(3600))
}

/// The app on `files`, autosaving untitled projects under `data_dir` every `autosave_interval`.
pub fn app_with(
    files: Vec<PathBuf>,
    captured: Arc<Mutex<Vec<f32>>>,
    data_dir: Option<PathBuf>,
    autosave_interval: Duration,
) -> Harness<'static, SyrinxApp> {
    app_of(options(files, captured, data_dir, autosave_interval))
}

/// What [`app_with`] opens the app with.
fn options(
    files: Vec<PathBuf>,
    captured: Arc<Mutex<Vec<f32>>>,
    data_dir: Option<PathBuf>,
    autosave_interval: Duration,
) -> AppOptions {
    AppOptions {
        files,
        demo_dir: None,
        open_demo_on_first_run: false,
        file_dialog: Arc::new(NoFileDialog),
        audio_output: Arc::new(CaptureOutput {
            sample_rate_hz: 22_050,
            captured,
        }),
        tile_threads: 1,
        frame_stats: false,
        data_dir,
        autosave_interval,
    }
}

/// The app with `options`, in a 1400 × 900 harness.
fn app_of(options: AppOptions) -> Harness<'static, SyrinxApp> {
    let app = SyrinxApp::new(&egui::Context::default(), None, options);
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut SyrinxApp| app.ui_root(ui), app)
}

/// Steps the app until its background work (opening, tiles, playback) is done, waiting on the
/// app's wake-ups rather than on the clock.
pub fn settle(harness: &mut Harness<'static, SyrinxApp>) {
    for _ in 0..500 {
        let seen = harness.state().activity_count();
        harness.run_steps(2);
        if harness.state().is_idle() {
            harness.run_steps(2);
            if harness.state().is_idle() {
                return;
            }
        }
        assert!(
            harness
                .state()
                .wait_for_activity(seen, Duration::from_secs(60)),
            "background work stopped making progress"
        );
    }
    panic!("the app never settled");
}

#[test]
fn opens_a_recording_and_computes_its_spectrogram() {
    let dir = tempfile::tempdir().unwrap();
    let path = recording(dir.path(), "dawn_chorus.wav");
    let mut harness = app(vec![path.clone()], Arc::default());
    settle(&mut harness);
    harness.get_by_label_contains("dawn_chorus.wav");
    let app = harness.state();
    assert_eq!(app.workspace.recordings.len(), 1);
    assert_eq!(app.active_recording().unwrap().path, path);
    assert_eq!(app.pending_tiles(), 0, "every visible tile was computed");
    assert!(
        app.session.messages.iter().all(|m| !m.is_error),
        "{:?}",
        app.session.messages
    );
}

#[test]
fn settings_change_through_the_widgets() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);

    harness.get_by_value("512 samples").click();
    harness.run();
    harness.get_by_label("1024 samples").click();
    settle(&mut harness);
    assert_eq!(harness.state().prefs.primary.params.window_len, 1024);

    harness.get_by_label("Mel").click();
    settle(&mut harness);
    assert!(matches!(
        harness.state().prefs.primary.params.scale,
        FrequencyScale::Mel { bands: 128, .. }
    ));

    harness.get_by_value("viridis").click();
    harness.run();
    harness.get_by_label("magma").click();
    harness.run();
    assert_eq!(
        harness.state().prefs.primary.display.colormap,
        Colormap::Magma
    );

    harness.get_by_value("Hann").click();
    harness.run();
    harness.get_by_label("Blackman-Harris").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().prefs.primary.params.window,
        syrinx::dsp::WindowFunction::BlackmanHarris
    );
    assert_eq!(harness.state().pending_tiles(), 0);
}

#[test]
fn keys_zoom_and_page_through_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);
    let view = |h: &Harness<'static, SyrinxApp>| h.state().active_recording().unwrap().viewport;
    assert!((view(&harness).span_secs - 20.0).abs() < 1e-9);

    harness.key_press(egui::Key::Plus);
    harness.run();
    assert!((view(&harness).span_secs - 10.0).abs() < 1e-9, "+ zooms in");
    harness.key_press(egui::Key::PageDown);
    harness.run();
    let after_page = view(&harness);
    assert!(
        (after_page.start_secs - (5.0 + 9.0)).abs() < 1e-9,
        "a page minus 10 %: {after_page:?}"
    );
    harness.key_press(egui::Key::End);
    harness.run();
    assert!((view(&harness).end_secs() - 60.0).abs() < 1e-9);
    harness.key_press(egui::Key::Home);
    harness.key_press(egui::Key::Minus);
    harness.run();
    assert!(
        (view(&harness).span_secs - 20.0).abs() < 1e-9,
        "− zooms out"
    );
    harness.key_press(egui::Key::ArrowUp);
    harness.run();
    let zoomed = view(&harness);
    assert!(
        (zoomed.high_fraction - zoomed.low_fraction - 0.5).abs() < 1e-9,
        "↑ zooms frequency"
    );
    settle(&mut harness);

    // Ctrl+Plus / Minus / 0 size the text as desktop apps do, and leave time alone.
    let span = view(&harness).span_secs;
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Plus);
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    harness.run();
    assert!((harness.state().prefs.text_scale - 1.25).abs() < 1e-6);
    assert!((harness.ctx.zoom_factor() - 1.25).abs() < 1e-6);
    assert!(
        (view(&harness).span_secs - span).abs() < 1e-9,
        "Ctrl+Plus is not a time zoom"
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Minus);
    harness.run();
    assert!((harness.state().prefs.text_scale - 1.1).abs() < 1e-6);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
    harness.run();
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < 1e-6);
    assert!((view(&harness).span_secs - span).abs() < 1e-9);
    // The View menu has it too, and it lasts (preferences).
    let ctx = harness.ctx.clone();
    assert!(
        harness
            .state_mut()
            .run_command_named(&ctx, "Text size: larger")
    );
    harness.run();
    assert!((harness.ctx.zoom_factor() - 1.1).abs() < 1e-6);
    settle(&mut harness);
}

#[test]
fn the_train_window_opens_unfolded_even_after_it_was_folded() {
    let mut harness = app(Vec::new(), Arc::default());
    settle(&mut harness);
    let ctx = harness.ctx.clone();
    assert!(harness.state_mut().run_command_named(&ctx, "Train…"));
    settle(&mut harness);
    assert!(harness.query_by_label("Start training").is_some());
    // Folded to its title bar (as its triangle does), then closed.
    let mut folded = egui::collapsing_header::CollapsingState::load_with_default_open(
        &ctx,
        egui::Id::unique("Train window").with("collapsing"),
        true,
    );
    folded.set_open(false);
    folded.store(&ctx);
    settle(&mut harness);
    assert!(harness.query_by_label("Start training").is_none(), "folded");
    harness.state_mut().ui.training.open = false;
    settle(&mut harness);
    assert!(harness.state_mut().run_command_named(&ctx, "Train…"));
    settle(&mut harness);
    assert!(
        harness.query_by_label("Start training").is_some(),
        "Train… opens it whole"
    );
}

#[test]
fn go_to_time_centres_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);
    harness.get_by_label("Go to").focus();
    harness.get_by_label("Go to").type_text("0:40");
    harness.run();
    harness.get_by_label("Go").click();
    harness.run();
    let recording = harness.state().active_recording().unwrap();
    assert!(
        (recording.viewport.start_secs - 30.0).abs() < 1e-9,
        "{:?}",
        recording.viewport
    );
    assert_eq!(recording.cursor_secs, Some(40.0));
    settle(&mut harness);
}

#[test]
fn compare_mode_shows_a_second_pane_with_its_own_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);
    harness.get_by_label("View").click();
    harness.run();
    harness.get_by_label("Compare two settings").click();
    settle(&mut harness);
    assert!(harness.state().prefs.compare_mode);
    harness.get_by_label("Lower pane");
    // The lower pane has its own (mel) settings; both panes' tiles were computed.
    assert!(matches!(
        harness.state().prefs.compare.params.scale,
        FrequencyScale::Mel { .. }
    ));
    assert!(matches!(
        harness.state().prefs.primary.params.scale,
        FrequencyScale::Linear
    ));
    assert_eq!(harness.state().pending_tiles(), 0);
    // Stacked: the upper pane is the full width. Side by side: each pane is half of it, as tall
    // as the area, and the time zoom is shared.
    let stacked = harness.state().workspace.primary_plot.unwrap();
    let ctx = harness.ctx.clone();
    assert!(
        harness
            .state_mut()
            .run_command_named(&ctx, "Compare side by side")
    );
    settle(&mut harness);
    let beside = harness.state().workspace.primary_plot.unwrap();
    assert!(
        beside.width() < stacked.width() * 0.6,
        "{beside:?} vs {stacked:?}"
    );
    assert!(
        beside.height() > stacked.height() * 1.5,
        "{beside:?} vs {stacked:?}"
    );
    assert_eq!(harness.state().pending_tiles(), 0);
}

#[test]
fn space_plays_from_the_cursor_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let captured: Arc<Mutex<Vec<f32>>> = Arc::default();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::clone(&captured));
    settle(&mut harness);
    harness.get_by_label("Go to").focus();
    harness.get_by_label("Go to").type_text("58");
    harness.run();
    harness.get_by_label("Go").click();
    harness.run();
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert!(harness.state().is_playing() || !captured.lock().unwrap().is_empty());
    settle(&mut harness);
    // Played from 58 s to the end: 2 s at the output's 22.05 kHz.
    let samples = captured.lock().unwrap().len();
    assert!(
        (samples as i64 - 44_100).abs() < 50,
        "{samples} samples played"
    );
    assert!(!harness.state().is_playing());
}

#[test]
fn a_broken_file_gives_a_message_and_the_app_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let good = recording(dir.path(), "good.wav");
    let mut harness = app(vec![empty, good], Arc::default());
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.workspace.recordings.len(), 1);
    let error = app
        .session
        .messages
        .iter()
        .find(|m| m.is_error)
        .expect("an error message");
    assert!(
        error.text.contains("empty.wav") && error.text.contains("empty"),
        "{}",
        error.text
    );
    harness.get_by_label_contains("cannot read audio file");
}

#[test]
fn the_shortcuts_window_lists_every_shortcut() {
    let mut harness = app(Vec::new(), Arc::default());
    harness.run();
    harness.get_by_label("Help").click();
    harness.run();
    harness.get_by_label("Keyboard shortcuts").click();
    harness.run();
    for (keys, action) in syrinx::gui::shortcut_rows() {
        assert!(
            harness.query_all_by_label(&keys).next().is_some(),
            "no row for {keys}"
        );
        assert!(
            harness.query_all_by_label(&action).next().is_some(),
            "no row for {action}"
        );
    }
    // With nothing open, the welcome screen offers the ways in.
    harness.get_by_label("Open recordings…");
    harness.get_by_label("Open the demo");
}

#[test]
fn the_readme_lists_every_shortcut_the_app_knows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<String> = syrinx::gui::shortcut_rows()
        .iter()
        .map(|(keys, action)| format!("| {keys} | {action} |"))
        .collect();
    let missing: Vec<&String> = rows
        .iter()
        .filter(|row| !readme.contains(row.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "README lacks {missing:?}; the whole table:\n{}",
        rows.join("\n")
    );
}

#[test]
fn every_command_is_in_its_menu_and_the_palette_runs_commands_by_name() {
    use syrinx::gui::commands::{Command, Menu};
    for menu in Menu::all() {
        // A fresh window per menu: the Edit menu's Undo must not be the annotation bar's.
        let mut harness = app(Vec::new(), Arc::default());
        harness.run();
        harness.get_by_label(menu.name()).click();
        harness.run();
        for command in Command::all().filter(|c| c.menu() == menu) {
            assert!(
                harness.query_all_by_label(command.name()).next().is_some(),
                "{} is not in the {} menu",
                command.name(),
                menu.name()
            );
        }
    }
    let mut harness = app(Vec::new(), Arc::default());
    harness.run();
    // Ctrl+K opens the palette with the field focused; typing filters; Enter runs the first.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    assert!(harness.state().palette_is_open());
    harness.get_by_label("Command palette");
    // An empty query lists every enabled command (the palette itself aside).
    let enabled = Command::all()
        .filter(|c| harness.state().command_enabled(*c) && *c != Command::CommandPalette);
    for command in enabled.collect::<Vec<_>>() {
        let row = format!("{} > {}", command.menu().name(), command.name());
        assert!(
            harness.query_by_label(&row).is_some(),
            "{row} not in the palette"
        );
    }
    // The field has the focus: typed text goes to it.
    harness.event(egui::Event::Text("train".to_owned()));
    harness.run();
    assert!(harness.query_by_label("Model > Train…").is_some());
    assert!(
        harness.query_by_label("File > Save project").is_none(),
        "filtered out"
    );
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert!(!harness.state().palette_is_open());
    assert!(harness.state().ui.training.open, "Enter ran Train…");
    // Tests (and scripts) drive commands by name; disabled ones do not run.
    let ctx = harness.ctx.clone();
    assert!(
        harness
            .state_mut()
            .run_command_named(&ctx, "Keyboard shortcuts")
    );
    assert!(
        !harness.state_mut().run_command_named(&ctx, "Undo"),
        "nothing to undo"
    );
    assert!(
        !harness
            .state_mut()
            .run_command_named(&ctx, "No such command")
    );
    harness.run();
    harness.get_by_label("Keyboard shortcuts");
}

#[test]
fn the_first_start_opens_the_demo_with_getting_started_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_of(AppOptions {
        demo_dir: Some(dir.path().join("demo")),
        open_demo_on_first_run: true,
        ..options(Vec::new(), Arc::default(), None, Duration::from_secs(3600))
    });
    harness.run_steps(2);
    assert!(harness.state().ui.show_getting_started);
    harness.get_by_label("1. Look.");
    settle(&mut harness);
    assert!(
        harness.state().session.document.save_path().is_some(),
        "the demo project is open: {:?}",
        harness.state().session.messages
    );
    // Closed, it stays closed: Help ▸ Getting started brings it back.
    harness.state_mut().ui.show_getting_started = false;
    harness.run_steps(2);
    assert!(harness.query_by_label("1. Look.").is_none());
}

#[test]
fn getting_started_is_the_readmes_first_session() {
    let mut harness = app(Vec::new(), Arc::default());
    settle(&mut harness);
    harness.get_by_label("Help").click();
    harness.run();
    harness.get_by_label("Getting started").click();
    harness.run();
    assert!(harness.state().ui.show_getting_started);
    harness.get_by_label("1. Look.");
    harness.get_by_label("6. Feed the mistakes back.");
    // Each step with a command has its button: Train opens the Train window.
    harness.get_by_label("Train… (Ctrl+T)").scroll_to_me();
    harness.run();
    harness.get_by_label("Train… (Ctrl+T)").click();
    settle(&mut harness);
    assert!(harness.state().ui.training.open);
    // The README's first session has the same steps, in the same order.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let session = readme
        .split("## A first session")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a first session");
    let mut at = 0;
    for (n, (title, _, _)) in syrinx::gui::GETTING_STARTED_STEPS.iter().enumerate() {
        let step = format!("{}. **{title}**", n + 1);
        let found = session[at..]
            .find(&step)
            .unwrap_or_else(|| panic!("README first session lacks {step:?} (in order)"));
        at += found + step.len();
    }
}

#[test]
fn messages_are_notifications_that_never_move_the_spectrogram() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);
    let before = harness.state().screen_point(5.0, 3000.0).unwrap();
    // Errors and information pile up: nothing below or beside them moves.
    for n in 0..6 {
        harness
            .state_mut()
            .open_paths(vec![dir.path().join(format!("missing_{n}.wav"))]);
        settle(&mut harness);
        harness.state_mut().workbench().apply_to_selected();
        harness.run_steps(2);
        assert_eq!(harness.state().screen_point(5.0, 3000.0).unwrap(), before);
    }
    let app = harness.state();
    assert!(
        app.session.messages.len() <= 6,
        "{}",
        app.session.messages.len()
    );
    assert!(
        app.session
            .messages
            .iter()
            .any(|m| m.is_error && m.text.contains("missing_5.wav"))
    );
    // The status bar is for users: no frame times (those come with --frame-stats).
    assert!(harness.query_by_label_contains("frame p95").is_none());
    // Every one stays in the log.
    harness.get_by_label_contains("Messages (").click();
    harness.run();
    harness.get_by_label_contains("error(s) this session");
}

#[test]
fn the_jobs_window_shows_what_runs_and_cancels_it() {
    let mut harness = app(Vec::new(), Arc::default());
    harness.run();
    assert!(harness.state().running_jobs().is_empty());
    assert!(harness.query_by_label_contains("Jobs (").is_none());
    harness.state_mut().spawn_waiting_job_for_tests();
    harness.run_steps(2);
    let rows = harness.state().running_jobs();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "waiting");
    harness.get_by_label("Jobs (1)").click();
    harness.run_steps(2);
    harness.get_by_label("Cancel waiting").click();
    harness.run_steps(2);
    settle(&mut harness);
    let app = harness.state();
    assert!(app.running_jobs().is_empty());
    let last = app.session.messages.last().unwrap();
    assert!(!last.is_error, "a cancel is not an error: {}", last.text);
    assert_eq!(last.text, "waiting was cancelled");
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Jobs").is_none()
            && harness.query_by_label("Nothing is running.").is_none(),
        "the window closes when its last job ends"
    );
}

/// An instructor's round trip: a bigger window and back gives the same picture (the overlap
/// stays the chosen percentage, the hop follows), and Reset to defaults undoes everything.
#[test]
fn a_window_size_round_trip_keeps_the_overlap_and_reset_restores_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(vec![recording(dir.path(), "a.wav")], Arc::default());
    settle(&mut harness);
    let start = harness.state().prefs.primary.params;
    assert_eq!(start.window_len, 512);
    // 4096 samples make 2,049 bands, taller than the test renderer's largest texture (2,048):
    // the picture is pooled to fit instead of stopping the app.
    let pick = |harness: &mut Harness<'static, SyrinxApp>, from: &str, to: &str| {
        harness.get_by_value(from).click();
        harness.run();
        harness.get_by_label(to).click();
        settle(harness);
    };
    pick(&mut harness, "512 samples", "4096 samples");
    let big = harness.state().prefs.primary.params;
    assert_eq!(big.window_len, 4096);
    assert!(
        (big.overlap_percent() - start.overlap_percent()).abs() < 1e-9,
        "{big:?}"
    );
    pick(&mut harness, "4096 samples", "512 samples");
    assert_eq!(
        harness.state().prefs.primary.params,
        start,
        "the same picture"
    );

    // At 90 % the hop is not a whole fraction of the window: the round trip is still exact.
    harness.state_mut().prefs.primary.overlap_percent = Some(90.0);
    harness.state_mut().prefs.primary.params = start.with_overlap_percent(90.0);
    settle(&mut harness);
    let dense = harness.state().prefs.primary.params;
    pick(&mut harness, "512 samples", "2048 samples");
    pick(&mut harness, "2048 samples", "1024 samples");
    pick(&mut harness, "1024 samples", "512 samples");
    assert_eq!(harness.state().prefs.primary.params, dense);

    harness.get_by_value("viridis").click();
    harness.run();
    harness.get_by_label("magma").click();
    settle(&mut harness);
    harness.get_by_label("Reset to defaults").click();
    settle(&mut harness);
    let defaults = syrinx::gui::Preferences::default().primary;
    assert_eq!(harness.state().prefs.primary.params, defaults.params);
    assert_eq!(harness.state().prefs.primary.display, defaults.display);
}

/// Menus and the palette show each command's key, and a command that cannot run now is still
/// found (greyed, saying why): typing "undo" with nothing to undo finds Undo, Enter does not
/// run it, Esc closes the palette.
#[test]
fn menus_and_the_palette_show_keys_and_why_a_command_cannot_run() {
    use egui_kittest::kittest::NodeT;
    use syrinx::gui::commands::{Command, shortcut_text};
    let mut harness = app(Vec::new(), Arc::default());
    harness.run();
    harness.get_by_label("Edit").click();
    harness.run();
    let keys = shortcut_text(&Command::Undo.shortcuts()[0]);
    let menu_undo: Vec<_> = harness
        .query_all_by_label("Undo")
        .filter(|n| n.accesskit_node().data().keyboard_shortcut() == Some(keys.as_str()))
        .collect();
    assert_eq!(menu_undo.len(), 1, "the Edit menu's Undo shows {keys}");
    assert!(
        menu_undo[0].accesskit_node().is_disabled(),
        "nothing to undo"
    );
    harness.key_press(egui::Key::Escape);
    harness.run();

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.run();
    harness.event(egui::Event::Text("undo".to_owned()));
    harness.run();
    let row = harness.get_by_label("Edit > Undo");
    assert!(row.accesskit_node().is_disabled());
    assert_eq!(
        row.accesskit_node().data().keyboard_shortcut(),
        Some(keys.as_str())
    );
    assert!(
        harness.query_by_label_contains("nothing to undo").is_some(),
        "the palette says why"
    );
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert!(harness.state().palette_is_open(), "Enter does not run it");
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(!harness.state().palette_is_open(), "Esc closes the palette");
}

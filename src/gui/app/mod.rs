//! The shell of the window: the frame in order, the layout, and routing. Everything slow
//! (opening files, tiles, the model view, playback, loading and saving projects, imports,
//! exports, measurements) runs on background threads; the shell only routes it.
//!
//! [`SyrinxApp`] is `{ session, prefs, workspace, ui }`: the project with its history, saves,
//! jobs and messages; the preferences; the open recordings and what shows them; and what else
//! is on screen (`app/state.rs`), the features' own panel state among it. The features
//! (`gui::review`, `gui::detection`, `gui::training`, `gui::similar`, `gui::projects`,
//! `gui::recordings_panel`) handle their actions as functions of their state and a
//! [`Workbench`] (the session, workspace and preferences lent together: the `workbench!`
//! macro). The shell is four files: this one (the frame; the app's API for tests),
//! `lifecycle.rs`, `layout.rs` (panels and bars) and `routing.rs` (commands, the requests
//! features make of each other, and job events, each sent to the feature it is for).

/// Lends the app's session, workspace and preferences to a feature as one [`Workbench`] (a
/// macro, not a method, so the panels' own state can be borrowed beside it).
macro_rules! workbench {
    ($app:expr) => {
        crate::gui::workbench::Workbench {
            session: &mut $app.session,
            workspace: &mut $app.workspace,
            prefs: &mut $app.prefs,
        }
    };
}

mod routing;

mod layout;
mod lifecycle;
mod state;

pub use state::UiState;

use crate::gui::workbench::{Cleanup, Event, Overview, Search, Workbench, edit_target};
pub use crate::gui::workbench::{OpenRecording, Session, Workspace};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use super::commands::Command;
use super::dialogs::{self};
use super::files::FileDialog;
use super::prefs::{PaneSettings, Preferences};
use crate::playback::AudioOutput;
use crate::spectrogram::viewport::ViewStep;

/// Memory for cached tiles.
const TILE_CACHE_BYTES: usize = 384 * 1024 * 1024;
/// The side panel (settings / Review tabs): its first width and the least it can be dragged to.
const SIDE_PANEL_WIDTH: f32 = 320.0;
const SIDE_PANEL_MIN_WIDTH: f32 = 250.0;
/// How often unsaved changes are written without being asked.
pub const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(30);

/// How the app is set up (the desktop launcher and the tests differ only here).
pub struct AppOptions {
    /// Recordings to open at start.
    pub files: Vec<PathBuf>,
    /// Where the demo lives (written on first use); `None`: no demo.
    pub demo_dir: Option<PathBuf>,
    /// Open the demo when started with no files and no previous session.
    pub open_demo_on_first_run: bool,
    pub file_dialog: Arc<dyn FileDialog>,
    pub audio_output: Arc<dyn AudioOutput>,
    /// Background threads computing tiles.
    pub tile_threads: usize,
    /// Print frame-time statistics when the app closes.
    pub frame_stats: bool,
    /// The app's data folder: untitled projects are autosaved under it (`None`: they are not).
    pub data_dir: Option<PathBuf>,
    /// How often unsaved changes are written ([`AUTOSAVE_INTERVAL`] in the app).
    pub autosave_interval: Duration,
}

impl std::fmt::Debug for AppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOptions")
            .field("files", &self.files)
            .field("demo_dir", &self.demo_dir)
            .field("tile_threads", &self.tile_threads)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SyrinxApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyrinxApp")
            .field("recordings", &self.workspace.recordings.len())
            .field("active", &self.workspace.active)
            .finish_non_exhaustive()
    }
}

/// The desktop app.
pub struct SyrinxApp {
    /// What the user is working on: the project with its history and saves, the jobs working
    /// on it and what they reported.
    pub session: Session,
    pub prefs: Preferences,
    /// The open recordings and what shows and plays them, with the box editor.
    pub workspace: Workspace,
    /// What else is on screen: the features' panels (with their own runs), the project's
    /// windows, the small windows.
    pub ui: UiState,
}

impl SyrinxApp {
    /// Opens what the user named: a project, folders or recordings (see
    /// [`Workbench::open_paths`]).
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        workbench!(self).open_paths(paths);
        self.run_requests();
    }

    /// The session, workspace and preferences lent as one (tests and tools drive the
    /// workspace's features through it).
    pub fn workbench(&mut self) -> Workbench<'_> {
        workbench!(self)
    }

    /// Everything running now, oldest kind first.
    #[must_use]
    pub fn running_jobs(&self) -> Vec<crate::gui::jobs_window::JobRow> {
        crate::gui::jobs_window::rows(&self.session, &self.ui.training, &self.ui.detect)
    }

    /// Asks a job to stop (it stops at its next check; what it did so far is kept or undone as
    /// the job decides).
    pub fn cancel_job(&mut self, target: crate::gui::jobs_window::CancelTarget) {
        crate::gui::jobs_window::cancel(
            target,
            &self.session,
            &mut self.ui.training,
            &mut self.ui.detect,
        );
    }

    /// Starts loading a project; it replaces the current one (saved first) when it arrives.
    pub fn open_project(&mut self, path: PathBuf) {
        workbench!(self).open_project(path);
    }

    /// Writes the project where it belongs; an untitled one asks for a name first.
    pub fn save_project(&mut self) {
        self.ui.projects.save_project(&mut workbench!(self));
    }

    /// Writes the demo (first time only) and opens its project.
    pub fn open_demo(&mut self) {
        workbench!(self).open_demo();
    }

    /// Takes back the project's last step (Edit ▸ Undo).
    pub fn undo(&mut self) {
        if let Some(done) = workbench!(self).undo() {
            self.ui.review.after_step(&mut workbench!(self), &done);
        }
    }

    /// Makes the last step undone again (Edit ▸ Redo).
    pub fn redo(&mut self) {
        if let Some(done) = workbench!(self).redo() {
            self.ui.review.after_step(&mut workbench!(self), &done);
        }
    }

    /// Opens the Detect window (as Detect… does).
    pub fn open_detect(&mut self) {
        self.ui.detect.open_window(&mut workbench!(self));
    }

    /// Opens the Train window (as Train… does).
    pub fn open_training(&mut self) {
        self.ui.training.open_window(&mut workbench!(self));
    }

    /// Does what the Review panel (or a review key) asked.
    pub fn review_action(&mut self, action: crate::gui::review::ReviewAction) {
        self.ui.review.scoring_run = self.ui.detect.scoring_run();
        self.ui.review.apply(&mut workbench!(self), action);
        self.run_requests();
    }

    #[must_use]
    pub fn active_recording(&self) -> Option<&OpenRecording> {
        self.workspace.active_recording()
    }

    /// Where `(secs, hz)` of the active recording was drawn in the upper pane last frame (for
    /// driving the window in tests and tools).
    #[must_use]
    pub fn screen_point(&self, secs: f64, hz: f64) -> Option<egui::Pos2> {
        self.workspace
            .screen_point(&self.prefs.primary.params, secs, hz)
    }

    #[must_use]
    pub fn is_playing(&self) -> bool {
        self.workspace.player.is_playing()
    }

    /// Tiles still wanted by the view (for tests and the status bar).
    #[must_use]
    pub fn pending_tiles(&self) -> usize {
        self.workspace.engine.pending()
    }

    /// Whether no background work the window waits for is under way (files opening, tiles,
    /// playback, the file dialog).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.workspace.opening.is_empty()
            && self.workspace.engine.pending() == 0
            && !self.workspace.player.is_playing()
            && !self.session.dialog_open
            && !self.session.saves.busy()
            && !self.session.loading_project
            && self.session.jobs.is_empty()
            && !self.ui.training.is_busy()
            && !self.ui.detect.is_running()
            && !self.ui.review.is_busy()
    }

    /// Wake-ups from background work so far.
    #[must_use]
    pub fn activity_count(&self) -> u64 {
        self.session.activity.count()
    }

    /// Blocks until background work reports something after `seen` (or `timeout`); for tests
    /// and tools that drive the app without a window.
    pub fn wait_for_activity(&self, seen: u64, timeout: std::time::Duration) -> bool {
        self.session.activity.wait_past(seen, timeout)
    }

    /// Keyboard shortcuts (ignored while typing in a field): the keys of the current context
    /// first (reviewing, box editing, the view), then the command table's.
    fn shortcuts(&mut self, ctx: &egui::Context) {
        // While the palette is open its keys are its own (Esc closes it, arrows choose), even
        // when its field has lost the focus.
        if ctx.egui_wants_keyboard_input() || self.ui.palette.open {
            return;
        }
        // Review keys come first while reviewing; then box editing (with boxes selected the
        // arrows nudge them).
        self.ui.review.keys(&mut workbench!(self), ctx);
        workbench!(self).annotation_shortcuts(ctx);
        self.command_keys(ctx);
        let steps: Vec<ViewStep> = ctx.input(|i| {
            VIEW_KEYS
                .iter()
                .filter(|(keys, _)| keys.iter().any(|k| i.key_pressed(*k)))
                .map(|(_, step)| *step)
                .collect()
        });
        if let Some(recording) = self.workspace.active_recording_mut() {
            for step in steps {
                recording.viewport.step(step);
            }
        }
    }

    /// The whole window. Public so tests can drive it without eframe.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        // View ▸ Text size scales the whole interface (egui's zoom keys are the app's own).
        let scale = self.prefs.text_scale.clamp(0.5, 3.0);
        if (ctx.zoom_factor() - scale).abs() > 1e-3 {
            ctx.set_zoom_factor(scale);
        }
        self.poll_events();
        workbench!(self).keep_selection_on_screen();
        if let Some(model) = self.ui.training.poll_run(&mut workbench!(self)) {
            // Detect offers the model just trained.
            self.ui.detect.model_text = model.display().to_string();
        }
        self.ui
            .detect
            .poll_batch(&mut workbench!(self), &mut self.ui.review);
        self.ui.review.scoring_run = self.ui.detect.scoring_run();
        self.ui
            .review
            .update_missed_call_mode(&mut workbench!(self));
        // The model view shows what training will use: the proposal or the project's input.
        let missing: Vec<_> = self.session.document.missing.iter().copied().collect();
        self.workspace.model_view.spec = self
            .ui
            .training
            .update_input(&self.session.document.project, &missing);
        self.workspace.model_view.poll(&ctx, &self.session.waker);
        self.accept_dropped_files(&ctx);
        if ctx.input(|i| i.pointer.any_pressed()) {
            // A press anywhere takes focus from the spectrogram; one on it gives it back below.
            self.workspace.spectrogram_focused = false;
        }
        self.shortcuts(&ctx);
        self.menu_bar_ui(ui);
        self.toolbar_ui(ui);
        let train_label = if self.ui.training.is_running() {
            "Training…"
        } else {
            "Train…"
        };
        workbench!(self).annotation_bar_ui(ui, train_label);
        let job_count = self.running_jobs().len();
        let frame_stats = self.ui.print_frame_stats.then_some(&self.ui.frame_stats);
        self.ui.messages.status_ui(
            ui,
            &mut workbench!(self),
            &mut self.ui.jobs,
            job_count,
            frame_stats,
        );
        workbench!(self).selection_panel_ui(ui);
        crate::gui::recordings_panel::show(ui, &mut workbench!(self));
        self.side_panel_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        if self.ui.show_shortcuts {
            crate::gui::palette::shortcuts_window(&ctx, &mut self.ui.show_shortcuts);
        }
        let blocked: Vec<(Command, &'static str)> = Command::all()
            .filter(|_| self.ui.palette.open)
            .filter_map(|c| self.command_blocked(c).map(|why| (c, why)))
            .collect();
        let why_not = |c: Command| blocked.iter().find(|(b, _)| *b == c).map(|(_, why)| *why);
        if let Some(command) = self.ui.palette.show(&ctx, why_not) {
            self.queue_command(command);
        }
        let rows = self.running_jobs();
        for target in self.ui.jobs.show(&ctx, &rows) {
            self.cancel_job(target);
        }
        if self.ui.messages.log_open {
            self.ui.messages.log_window(&ctx, &mut self.session);
        }
        if self.ui.show_getting_started {
            let mut open = true;
            if let Some(command) = super::getting_started::window(&ctx, &mut open) {
                self.queue_command(command);
            }
            self.ui.show_getting_started = open;
        }
        self.ui.projects.show(&mut workbench!(self), &ctx);
        if self.ui.training.open {
            self.ui.training.show(&mut workbench!(self), &ctx);
        }
        if self.ui.detect.open {
            // The models' descriptions are read in the background, as for the history.
            self.ui
                .review
                .refresh_history(&self.session.document.project, &self.session.waker);
            self.ui.detect.model_descriptions = self.ui.review.model_descriptions();
            let project_dir = self
                .session
                .document
                .path
                .as_deref()
                .and_then(std::path::Path::parent);
            self.ui
                .detect
                .look_up_typed_model(&self.session.waker, project_dir);
            self.ui.detect.show(&mut workbench!(self), &ctx);
        }
        let embedder = self.ui.training.embedder.clone();
        self.ui
            .similar
            .show(&ctx, &mut workbench!(self), embedder.as_deref());
        // A panel may have shown another recording this frame: its selection goes before the
        // commands (Delete, Ctrl+L) run.
        workbench!(self).keep_selection_on_screen();
        self.drain_commands(&ctx);
        self.workspace.annotator.prune(&self.session.document);
        workbench!(self).update_measurement();
        workbench!(self).autosave();
        self.update_title(&ctx);
        if self.workspace.player.is_playing() {
            if let Some(secs) = self.workspace.playhead_secs()
                && self.prefs.follow_playback
                && let Some(recording) = self.workspace.active_recording_mut()
            {
                recording.viewport.follow(secs);
            }
            ctx.request_repaint();
        }
        self.ui.frame_stats.record(started.elapsed());
        if self.ui.print_frame_stats && self.ui.frame_stats.total_frames().is_multiple_of(600) {
            eprintln!("{}", self.ui.frame_stats.summary());
        }
    }

    /// The window's title: the project's name, with a dot while it has unsaved changes.
    fn update_title(&mut self, ctx: &egui::Context) {
        let document = &self.session.document;
        let title = format!(
            "Syrinx — {}{}",
            document.title(),
            if document.is_dirty() { " •" } else { "" }
        );
        if title != self.ui.window_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.ui.window_title = title;
        }
    }

    fn accept_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() {
            workbench!(self).open_paths(dropped);
        }
    }
}

/// The toolbar's go-to-time field (Ctrl+G focuses it).
const GO_TO_FIELD: &str = "go to time";

/// Keys that move the view.
const VIEW_KEYS: [(&[egui::Key], ViewStep); 10] = [
    (&[egui::Key::ArrowLeft], ViewStep::PanBack),
    (&[egui::Key::ArrowRight], ViewStep::PanForward),
    (&[egui::Key::Plus, egui::Key::Equals], ViewStep::ZoomIn),
    (&[egui::Key::Minus], ViewStep::ZoomOut),
    (&[egui::Key::PageUp], ViewStep::PageBack),
    (&[egui::Key::PageDown], ViewStep::PageForward),
    (&[egui::Key::Home], ViewStep::Start),
    (&[egui::Key::End], ViewStep::End),
    (&[egui::Key::ArrowUp], ViewStep::ZoomFrequencyIn),
    (&[egui::Key::ArrowDown], ViewStep::ZoomFrequencyOut),
];

fn pane_title(settings: &PaneSettings) -> String {
    let params = &settings.params;
    let scale = match params.scale {
        crate::dsp::FrequencyScale::Linear => "linear".to_owned(),
        crate::dsp::FrequencyScale::Mel { bands, .. } => format!("{bands} mel"),
    };
    format!(
        "{} {} · {:.0} % · {scale}",
        params.window_len,
        params.window.label(),
        params.overlap_percent()
    )
}

/// A cut-off that can be switched off.
fn filter_field_ui(ui: &mut egui::Ui, name: &str, value: &mut Option<f32>, default_hz: f32) {
    let mut enabled = value.is_some();
    if ui
        .checkbox(&mut enabled, name)
        .on_hover_text(format!("Playback {name} filter"))
        .changed()
    {
        *value = enabled.then_some(default_hz);
    }
    if let Some(hz) = value {
        ui.add(
            egui::DragValue::new(hz)
                .range(10.0..=200_000.0)
                .suffix(" Hz")
                .speed(50.0),
        )
        .on_hover_text(format!("{name} cut-off"));
    }
}

/// The app's data folder (preferences, demo, autosaves of untitled projects).
#[must_use]
pub fn default_data_dir() -> Option<PathBuf> {
    eframe::storage_dir(super::APP_ID)
}

/// Where the demo goes: the app's data folder.
#[must_use]
pub fn default_demo_dir() -> Option<PathBuf> {
    default_data_dir().map(|dir| dir.join("demo"))
}

/// Hooks the integration tests drive the app with.
#[cfg(feature = "test-hooks")]
impl SyrinxApp {
    /// Starts a background job that panics (tests check that the app reports it and goes on).
    #[cfg(feature = "test-hooks")]
    #[allow(clippy::panic)] // the point of it
    pub fn spawn_panicking_job_for_tests(&mut self) {
        self.session.spawn_job("test job", Cleanup::Nothing, || {
            panic!("deliberate failure");
        });
    }

    /// Starts Find more like this's spinner and a search job that panics (tests check that the
    /// spinner stops and the failure is reported).
    #[cfg(feature = "test-hooks")]
    #[allow(clippy::panic)] // the point of it
    pub fn spawn_panicking_search_for_tests(&mut self) {
        self.ui.similar.searching = true;
        self.session.spawn_cancellable_job(
            "finding similar boxes",
            Cleanup::Search(Search::Similar),
            |_| panic!("deliberate failure"),
        );
    }

    /// Starts a job that runs until it is cancelled (tests check the jobs window with it).
    #[cfg(feature = "test-hooks")]
    pub fn spawn_waiting_job_for_tests(&mut self) {
        let waker = std::sync::Arc::clone(&self.session.waker);
        match crate::util::jobs::Job::spawn("waiting", waker, |context| {
            while !context.is_cancelled() {
                // Woken by nothing: looks at the flag a hundred times a second.
                std::thread::park_timeout(std::time::Duration::from_millis(10));
            }
            Err(context.cancelled())
        }) {
            Ok(job) => self.session.jobs.push((job, Cleanup::Cancellable)),
            Err(error) => self.session.error(error.to_string()),
        }
    }
}

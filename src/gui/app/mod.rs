//! The workbench window: the project's recordings, the spectrogram panes with their selection
//! boxes, live settings, playback. Everything slow (opening files, tiles, the model view,
//! playback, loading and saving projects, imports, exports, measurements) runs on background
//! threads; this file only schedules it and draws what has arrived.
//!
//! [`SyrinxApp`] is `{ session, prefs, ui }` (`app/state.rs`): the project with its history,
//! saves and jobs; the preferences; what is on screen. Panels (`gui::recordings_panel`,
//! `gui::review`, `gui::detection`, `gui::training`, the selection table, the import dialog)
//! read the project and return actions; the `app/*.rs` files apply them, every project edit as
//! a step of the one undo history (`app/history.rs`). Project flows live in `app/projects.rs`
//! and `app/saving.rs`, the annotation bars and keys in `app/annotating.rs`.

mod annotating;
mod bars;
mod commands;
mod detecting;
mod events;
mod history;
mod jobs_panel;
mod label_next;
mod layout;
mod lifecycle;
mod messages;
mod playback;
mod recordings;
mod recordings_panel;
mod restoring;
pub use commands::shortcut_rows;
pub use jobs_panel::{CancelTarget, JobRow};
mod projects;
mod reviewing;
mod saving;
mod similar;
mod state;
mod training;

pub use state::{Session, UiState};

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use super::annotate::EditTarget;
use super::dialogs::{self};
use super::files::FileDialog;
use super::prefs::{PaneSettings, Preferences};
use crate::annotation::ProjectRecordingId;
use crate::audio::{AudioError, AudioReader, RecordingInfo};
use crate::playback::AudioOutput;
use crate::session::Document;
use crate::spectrogram::viewport::{ViewStep, Viewport};
use crate::spectrogram::{RecordingId, SpectrogramKey};

/// Memory for cached tiles.
const TILE_CACHE_BYTES: usize = 384 * 1024 * 1024;
/// Messages kept for the notifications (the newest few are shown, see `toasts`).
const MAX_MESSAGES: usize = 6;
/// Messages kept in the log (Help ▸ Messages): enough for a folder of hundreds of bad files,
/// bounded so a long session does not grow without end.
const MAX_LOGGED_MESSAGES: usize = 2_000;
/// The side panel (settings / Review tabs): its first width and the least it can be dragged to.
const SIDE_PANEL_WIDTH: f32 = 320.0;
const SIDE_PANEL_MIN_WIDTH: f32 = 250.0;
/// The recordings list on the left.
const RECORDINGS_PANEL_WIDTH: f32 = 190.0;
const RECORDINGS_PANEL_MIN_WIDTH: f32 = 150.0;
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

/// One open recording.
#[derive(Debug)]
pub struct OpenRecording {
    pub id: RecordingId,
    /// The recording's entry in the project.
    pub project_id: ProjectRecordingId,
    /// When it was asked for (the list keeps this order).
    order: u64,
    pub path: PathBuf,
    pub info: RecordingInfo,
    /// Kept to clone readers for playback and the model view.
    reader: AudioReader,
    pub viewport: Viewport,
    /// Where a click put the cursor (playback starts there).
    pub cursor_secs: Option<f64>,
}

impl OpenRecording {
    #[must_use]
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// A file opened in the background.
struct OpenedFile {
    reader: AudioReader,
    /// Size and fingerprint, taken for files not yet in the project.
    fingerprint: Option<std::io::Result<(u64, String)>>,
}

/// What background threads send back.
/// A project read for the window: itself, what loading found, what the window knows of its file.
type Loaded = (crate::session::Document, crate::session::OpenReport);

/// Why background work of the window failed: each job's own error, typed.
#[derive(Debug, thiserror::Error)]
pub enum WorkFailed {
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error(transparent)]
    Export(#[from] crate::workflow::export::SelectionExportError),
    #[error(transparent)]
    Tables(#[from] crate::export::ExportError),
    #[error(transparent)]
    Clips(#[from] crate::clips::ClipError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    /// Done in part: what was written, and what was not and why.
    #[error("{0}")]
    Partly(String),
}

enum Event {
    Opened {
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        result: Box<Result<OpenedFile, AudioError>>,
    },
    /// The demo project, written (first time) and ready to open.
    DemoReady(Result<PathBuf, WorkFailed>),
    Picked(Option<Vec<PathBuf>>),
    /// The native dialog's answer for the path prompt or the export folder.
    PathPicked(Option<PathBuf>),
    ProjectLoaded {
        path: PathBuf,
        /// This window's mark on the project, and who else has it open.
        mark: (Option<crate::project::lock::OpenMark>, Option<String>),
        result: Box<Result<Loaded, crate::project::ProjectError>>,
    },
    Saved {
        /// Which document it was (a save of a replaced project only reports errors).
        generation: u64,
        done: Box<crate::session::SaveDone>,
    },
    TableRead(
        PathBuf,
        Box<Result<crate::annotation::ParsedTable, crate::annotation::AnnotationError>>,
    ),
    /// A project's kept versions, read for the Restore window.
    VersionsListed(PathBuf, Vec<crate::gui::restore_dialog::VersionRow>),
    /// An earlier version was restored (and the project loaded again), or could not be.
    Restored {
        path: PathBuf,
        /// When the restored version was saved, in words.
        saved: String,
        result: Box<Result<Loaded, crate::project::ProjectError>>,
    },
    FolderRead(
        PathBuf,
        Box<Result<projects::FolderContents, crate::workflow::folders::FolderError>>,
    ),
    Relinked(
        ProjectRecordingId,
        Box<Result<(RecordingInfo, crate::project::Relinked), WorkFailed>>,
    ),
    Measured(
        annotating::MeasureKey,
        Result<crate::measure::Measurement, crate::audio::AudioError>,
    ),
    Exported(Result<String, WorkFailed>),
    /// A "Find more like this" search ended.
    SimilarFound(
        Box<Result<crate::workflow::similar::SimilarOutcome, crate::similar::SimilarError>>,
    ),
    /// The windows to label next were found.
    LabelNextFound(Box<crate::review::label_next::LabelNextQueue>),
    /// A background job panicked; `cleanup` says what was waiting for it.
    JobFailed {
        message: String,
        cleanup: Cleanup,
    },
    /// A job stopped because it was asked to.
    JobCancelled {
        message: String,
        cleanup: Cleanup,
    },
}

/// What to reset when a background job dies without answering.
#[derive(Debug, Clone)]
enum Cleanup {
    Nothing,
    Opening(PathBuf),
    Saving,
    Dialog,
    /// Nothing to reset, and the job stops when asked (the jobs window offers Cancel); only
    /// the tests' waiting job is one yet.
    #[cfg(feature = "test-hooks")]
    Cancellable,
    /// A cancellable search whose panel shows a spinner until it ends: a job that panics or is
    /// cancelled stops the spinner.
    Search(Search),
}

/// A panel's background search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    Similar,
    LabelNext,
}

impl Cleanup {
    fn is_cancellable(&self) -> bool {
        #[cfg(feature = "test-hooks")]
        if matches!(self, Self::Cancellable) {
            return true;
        }
        matches!(self, Self::Search(_))
    }
}

/// The overview picture of the active recording.
struct Overview {
    key: SpectrogramKey,
    columns_done: usize,
    display: super::prefs::DisplaySettings,
    texture: egui::TextureHandle,
    progress: f32,
}

impl std::fmt::Debug for SyrinxApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyrinxApp")
            .field("recordings", &self.ui.recordings.len())
            .field("active", &self.ui.active)
            .finish_non_exhaustive()
    }
}

/// The desktop app.
pub struct SyrinxApp {
    /// What the user is working on: the project with its history and saves, the jobs working
    /// on it and what they reported.
    pub session: Session,
    pub prefs: Preferences,
    /// What is on screen: open recordings, panels (with their own runs), dialogs, and the
    /// caches that draw them.
    pub ui: UiState,
}

/// Counts wake-ups from background threads, so a caller can wait for work to arrive (tests wait
/// on this instead of sleeping).
#[derive(Debug, Default)]
struct Activity {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Activity {
    fn bump(&self) {
        if let Ok(mut count) = self.count.lock() {
            *count += 1;
        }
        self.changed.notify_all();
    }

    fn count(&self) -> u64 {
        self.count.lock().map_or(0, |c| *c)
    }

    /// Waits until the count passes `seen` or `timeout` elapses; true if it did.
    fn wait_past(&self, seen: u64, timeout: std::time::Duration) -> bool {
        let Ok(guard) = self.count.lock() else {
            return false;
        };
        self.changed
            .wait_timeout_while(guard, timeout, |count| *count <= seen)
            .is_ok_and(|(_, result)| !result.timed_out())
    }
}

impl SyrinxApp {
    #[must_use]
    pub fn is_playing(&self) -> bool {
        self.ui.player.is_playing()
    }

    /// Tiles still wanted by the view (for tests and the status bar).
    #[must_use]
    pub fn pending_tiles(&self) -> usize {
        self.ui.engine.pending()
    }

    /// Whether no background work the window waits for is under way (files opening, tiles,
    /// playback, the file dialog).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.ui.opening.is_empty()
            && self.ui.engine.pending() == 0
            && !self.ui.player.is_playing()
            && !self.ui.dialog_open
            && !self.session.saves.busy()
            && !self.session.loading_project
            && self.session.jobs.is_empty()
            && !self.ui.training.is_busy()
            && !self.ui.detect.is_running()
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
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        // Review keys come first while reviewing; then box editing (with boxes selected the
        // arrows nudge them).
        self.review_keys(ctx);
        self.annotation_shortcuts(ctx);
        self.command_keys(ctx);
        let steps: Vec<ViewStep> = ctx.input(|i| {
            VIEW_KEYS
                .iter()
                .filter(|(keys, _)| keys.iter().any(|k| i.key_pressed(*k)))
                .map(|(_, step)| *step)
                .collect()
        });
        if let Some(recording) = self.active_recording_mut() {
            for step in steps {
                recording.viewport.step(step);
            }
        }
    }

    /// The whole window. Public so tests can drive it without eframe.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        self.poll_events();
        self.poll_training();
        self.poll_detection();
        self.update_missed_call_mode();
        // The model view shows what training will use: the proposal or the project's input.
        let missing: Vec<_> = self.session.document.missing.iter().copied().collect();
        self.ui.model_view.spec = self
            .ui
            .training
            .update_input(&self.session.document.project, &missing);
        self.ui.model_view.poll(&ctx, &self.session.waker);
        self.accept_dropped_files(&ctx);
        if ctx.input(|i| i.pointer.any_pressed()) {
            // A press anywhere takes focus from the spectrogram; one on it gives it back below.
            self.ui.spectrogram_focused = false;
        }
        self.shortcuts(&ctx);
        self.menu_bar_ui(ui);
        self.toolbar_ui(ui);
        self.annotation_bar_ui(ui);
        self.messages_panel_ui(ui);
        self.selection_panel_ui(ui);
        self.recordings_panel_ui(ui);
        self.side_panel_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        if self.ui.show_shortcuts {
            self.shortcuts_window(&ctx);
        }
        self.palette_ui(&ctx);
        self.jobs_window(&ctx);
        if self.ui.show_message_log {
            self.message_log_window(&ctx);
        }
        if self.ui.show_getting_started {
            let mut open = true;
            super::getting_started::window(&ctx, &mut open);
            self.ui.show_getting_started = open;
        }
        self.dialogs(&ctx);
        self.training_window(&ctx);
        self.detect_window(&ctx);
        self.similar_window(&ctx);
        self.drain_commands(&ctx);
        self.ui.annotator.prune(&self.session.document);
        self.update_measurement();
        self.autosave();
        self.update_title(&ctx);
        if self.ui.player.is_playing() {
            if let Some(secs) = self.playhead_secs()
                && self.prefs.follow_playback
                && let Some(recording) = self.active_recording_mut()
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

    fn accept_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() {
            self.open_paths(dropped);
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

/// What the box editor needs to know about `recording`.
fn edit_target(recording: &OpenRecording, document: &Document) -> EditTarget {
    let nyquist_hz = f64::from(recording.info.sample_rate_hz) / 2.0;
    let duration_secs = document
        .project
        .recording(recording.project_id)
        .map_or(recording.info.duration_secs(), |r| {
            r.duration_secs.max(recording.info.duration_secs())
        });
    EditTarget {
        recording: recording.project_id,
        duration_secs,
        nyquist_hz,
        // A drag shorter than about 3 pixels on a 1000-pixel view is a click.
        min_secs: recording.viewport.span_secs * 0.003,
        min_hz: nyquist_hz * 0.003,
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

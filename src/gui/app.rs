//! The workbench window: the project's recordings, the spectrogram panes with their selection
//! boxes, live settings, playback. Everything slow (opening files, tiles, the model view,
//! playback, loading and saving projects, imports, exports, measurements) runs on background
//! threads; this file only schedules it and draws what has arrived. Project flows live in
//! `app/projects.rs`, the annotation panels and keys in `app/annotating.rs`.

mod annotating;
mod commands;
mod jobs_panel;
pub use commands::shortcut_rows;
pub use jobs_panel::{CancelTarget, JobRow};
mod projects;
mod reviewing;
mod training;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use super::annotate::{Annotator, EditTarget};
use super::commands::Menu;
use super::dialogs::{self, ExportDialog, PathPrompt};
use super::document::Document;
use super::files::FileDialog;
use super::frame_stats::FrameStats;
use super::import_dialog::ImportDialog;
use super::model_view::ModelView;
use super::prefs::{PREFERENCES_KEY, PaneSettings, Preferences};
use super::selection_table::SelectionTable;
use super::settings_panel::pane_settings_ui;
use super::spectrogram_view::{HoverReadout, PaneInput, overview_ui, spectrogram_pane_ui};
use super::textures::{Colorizer, TextureCache, image_of_columns};
use super::toasts;
use crate::annotation::{ProjectRecordingId, SelectionId};
use crate::audio::{AudioError, AudioReader, ChannelMode, RecordingInfo};
use crate::playback::{AudioOutput, PlaybackFilter, PlaybackRequest, Player, SPEED_RANGE};
use crate::spectrogram::{RecordingId, SpectrogramKey, TileEngine, TileKey};
use crate::timefmt::{format_time_secs, parse_time_secs};
use crate::viewport::{ViewStep, Viewport};

/// Memory for cached tiles.
const TILE_CACHE_BYTES: usize = 384 * 1024 * 1024;
/// Messages kept for the notifications (the newest few are shown, see `toasts`).
const MAX_MESSAGES: usize = 6;
/// Messages kept in the log (Help ▸ Messages): enough for a folder of hundreds of bad files,
/// bounded so a long session does not grow without end.
const MAX_LOGGED_MESSAGES: usize = 2_000;
/// What Remove from project does (its hover text).
const REMOVE_HELP: &str =
    "Take it and its selections out of the project (the file is left alone; Ctrl+Z undoes)";
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

/// A note for the user: an error (red) or information.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
    /// When it was first shown as a notification (`None`: not yet).
    pub shown_secs: Option<f64>,
}

/// A file opened in the background.
struct OpenedFile {
    reader: AudioReader,
    /// Size and fingerprint, taken for files not yet in the project.
    fingerprint: Option<std::io::Result<(u64, String)>>,
}

/// What background threads send back.
enum Event {
    Opened {
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        result: Box<Result<OpenedFile, AudioError>>,
    },
    /// The demo project, written (first time) and ready to open.
    DemoReady(Result<PathBuf, String>),
    Picked(Option<Vec<PathBuf>>),
    /// The native dialog's answer for the path prompt or the export folder.
    PathPicked(Option<PathBuf>),
    ProjectLoaded {
        path: PathBuf,
        untitled: bool,
        result: Box<Result<(crate::project::Project, crate::project::LoadReport), String>>,
    },
    Saved {
        path: PathBuf,
        revision: super::document::Revision,
        /// Which document it was (a save of a replaced project only reports errors).
        generation: u64,
        result: Result<(), String>,
    },
    TableRead(PathBuf, Box<Result<crate::annotation::ParsedTable, String>>),
    FolderRead(PathBuf, Box<Result<projects::FolderContents, String>>),
    Relinked(
        ProjectRecordingId,
        Box<Result<(RecordingInfo, crate::project::Relinked), String>>,
    ),
    Measured(
        annotating::MeasureKey,
        Result<crate::measure::Measurement, String>,
    ),
    Exported(Result<String, String>),
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
    /// Nothing to reset, and the job stops when asked (the jobs window offers Cancel).
    Cancellable,
}

impl Cleanup {
    fn is_cancellable(&self) -> bool {
        matches!(self, Self::Cancellable)
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
            .field("recordings", &self.recordings.len())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The desktop app.
pub struct SyrinxApp {
    pub prefs: Preferences,
    pub recordings: Vec<OpenRecording>,
    pub active: Option<RecordingId>,
    engine: TileEngine,
    textures: TextureCache,
    player: Player,
    playing_recording: Option<RecordingId>,
    model_view: ModelView,
    overview: Option<Overview>,
    /// Background jobs started with `spawn_job`, each with what to undo if it fails.
    jobs: Vec<(crate::jobs::Job<(), Event>, Cleanup)>,
    waker: Arc<dyn Fn() + Send + Sync>,
    file_dialog: Arc<dyn FileDialog>,
    demo_dir: Option<PathBuf>,
    /// Files being opened (shown as "opening…").
    pub opening: Vec<PathBuf>,
    /// When each recording was asked for, until its first screen is complete (time to first
    /// screen, reported with `--frame-stats`).
    first_screen_pending: Vec<(PathBuf, Instant)>,
    pub messages: Vec<Message>,
    /// Every message of the session, oldest first (the last [`MAX_LOGGED_MESSAGES`]): the
    /// status bar shows only the latest few.
    pub message_log: std::collections::VecDeque<Message>,
    show_message_log: bool,
    next_id: u64,
    next_order: u64,
    /// The recording to show when it has opened.
    focus_next: Option<PathBuf>,
    last_request: (Vec<TileKey>, Vec<SpectrogramKey>),
    pub hover: Option<HoverReadout>,
    pub go_to_text: String,
    pub path_text: String,
    show_shortcuts: bool,
    /// The jobs window.
    show_jobs: bool,
    /// The command palette (Ctrl+K).
    palette: commands::Palette,
    dialog_open: bool,
    pub frame_stats: FrameStats,
    print_frame_stats: bool,
    activity: Arc<Activity>,
    /// The project: recordings, selections, labels (always one, untitled at first).
    pub document: Document,
    pub annotator: Annotator,
    pub table: SelectionTable,
    pub import: Option<ImportDialog>,
    pub prompt: Option<PathPrompt>,
    pub export: Option<ExportDialog>,
    show_labels: bool,
    new_label: String,
    data_dir: Option<PathBuf>,
    autosave_interval: Duration,
    /// Saves being written.
    saving: usize,
    save_sequence: u64,
    save_gate: Arc<projects::SaveGate>,
    /// Counts documents installed (see `Event::Saved`).
    generation: u64,
    last_save_attempt: Instant,
    /// A project is being loaded.
    pub loading_project: bool,
    /// Selection to show once its recording has opened.
    pending_jump: Option<SelectionId>,
    measurement: Option<annotating::MeasurementState>,
    /// Play selected boxes through a band-pass of their frequencies.
    pub play_band_limited: bool,
    window_title: String,
    /// Jobs started by `spawn_job` whose event has not arrived.
    /// Where the (upper) spectrogram was drawn last frame.
    primary_plot: Option<egui::Rect>,
    /// Help ▸ Getting started is open.
    pub show_getting_started: bool,
    /// The spectrogram was clicked last (label hotkeys act only then).
    spectrogram_focused: bool,
    /// The pointer is on the notifications (they stay while it is).
    notifications_hovered: bool,
    /// Selections per recording, for the list, with the (generation, version) they were counted at.
    counts: (
        (u64, u64),
        Arc<std::collections::BTreeMap<ProjectRecordingId, usize>>,
    ),
    /// The Train window and its background run.
    pub training: super::training::TrainingWindow,
    /// The Detect window and its background batch.
    pub detect: super::detection::DetectWindow,
    /// The Review panel.
    pub review: super::review::ReviewState,
    /// The review queue's current detection waits for its recording to open.
    pending_detection: bool,
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
    /// The app with preferences from `storage` (if any).
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        options: AppOptions,
    ) -> Self {
        let prefs: Preferences = storage
            .and_then(|s| eframe::get_value(s, PREFERENCES_KEY))
            .unwrap_or_default();
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        ctx.set_theme(if prefs.dark_theme {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        let repaint_ctx = ctx.clone();
        let activity = Arc::new(Activity::default());
        let counter = Arc::clone(&activity);
        let waker: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            counter.bump();
            repaint_ctx.request_repaint();
        });
        let mut app = Self {
            engine: TileEngine::new(TILE_CACHE_BYTES, options.tile_threads, Arc::clone(&waker)),
            player: Player::new(options.audio_output, Some(Arc::clone(&waker))),
            playing_recording: None,
            textures: TextureCache::default(),
            model_view: ModelView::default(),
            overview: None,
            recordings: Vec::new(),
            active: None,
            jobs: Vec::new(),
            waker,
            file_dialog: options.file_dialog,
            demo_dir: options.demo_dir,
            opening: Vec::new(),
            first_screen_pending: Vec::new(),
            messages: Vec::new(),
            next_id: 1,
            next_order: 0,
            focus_next: None,
            last_request: (Vec::new(), Vec::new()),
            hover: None,
            go_to_text: String::new(),
            path_text: String::new(),
            show_shortcuts: false,
            show_jobs: false,
            palette: commands::Palette::default(),
            message_log: std::collections::VecDeque::new(),
            show_message_log: false,
            dialog_open: false,
            frame_stats: FrameStats::default(),
            print_frame_stats: options.frame_stats,
            activity,
            document: Document::untitled(projects::untitled_path(options.data_dir.as_deref())),
            annotator: Annotator::default(),
            table: SelectionTable::default(),
            import: None,
            prompt: None,
            export: None,
            show_labels: false,
            new_label: String::new(),
            data_dir: options.data_dir,
            autosave_interval: options.autosave_interval,
            saving: 0,
            save_sequence: 0,
            save_gate: Arc::default(),
            generation: 0,
            last_save_attempt: Instant::now(),
            loading_project: false,
            pending_jump: None,
            measurement: None,
            play_band_limited: true,
            window_title: String::new(),
            primary_plot: None,
            show_getting_started: false,
            spectrogram_focused: false,
            notifications_hovered: false,
            counts: ((u64::MAX, 0), Arc::default()),
            training: super::training::TrainingWindow::default(),
            detect: super::detection::DetectWindow::default(),
            review: super::review::ReviewState::default(),
            pending_detection: false,
            prefs,
        };
        let files = options.files;
        let last_project = app.prefs.last_project.clone().filter(|p| p.exists());
        if !files.is_empty() {
            app.open_paths(files);
        } else if let Some(project) = last_project {
            app.open_project(project);
        } else if !app.prefs.last_session.is_empty() {
            let files = app
                .prefs
                .last_session
                .iter()
                .filter(|p| p.exists())
                .cloned()
                .collect();
            app.open_paths(files);
        } else if options.open_demo_on_first_run && !app.prefs.demo_offered {
            app.open_demo();
        }
        app
    }

    /// Opens what the user named: a project (`.syrinx`), folders (audio paired with tables of
    /// the same stem) or recordings (added to the project). Recordings open in the background;
    /// the first becomes the active one when it arrives.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        let (projects, rest): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .into_iter()
            .partition(|p| projects::is_project_path(p));
        if let Some(project) = projects.into_iter().next() {
            self.open_project(project);
        }
        let (folders, files): (Vec<PathBuf>, Vec<PathBuf>) =
            rest.into_iter().partition(|p| p.is_dir());
        for folder in folders {
            self.open_folder(folder);
        }
        if let Some(first) = files.first() {
            self.focus_next = Some(first.clone());
        }
        for path in files {
            let project_id = self.document.project.recording_at(&path).map(|r| r.id);
            self.open_audio(path, project_id);
        }
    }

    /// Starts opening one recording (just shows it if it is open already).
    fn open_audio(&mut self, path: PathBuf, project_id: Option<ProjectRecordingId>) {
        if let Some(open) = self.recordings.iter().find(|r| r.path == path) {
            self.active = Some(open.id);
            return;
        }
        if self.opening.contains(&path) {
            return;
        }
        self.opening.push(path.clone());
        self.first_screen_pending
            .push((path.clone(), Instant::now()));
        let order = self.next_order;
        self.next_order += 1;
        let cleanup = Cleanup::Opening(path.clone());
        self.spawn_job("opening a recording", cleanup, move || {
            let result = AudioReader::open(&path).map(|reader| OpenedFile {
                fingerprint: project_id
                    .is_none()
                    .then(|| crate::project::fingerprint(&path)),
                reader,
            });
            Event::Opened {
                path,
                order,
                project_id,
                result: Box::new(result),
            }
        });
    }

    /// Runs `job` on its own thread; its event (or, if it panics, a message) comes back through
    /// the event channel.
    fn spawn_job(
        &mut self,
        name: &'static str,
        cleanup: Cleanup,
        job: impl FnOnce() -> Event + Send + 'static,
    ) {
        match crate::jobs::Job::spawn(name, Arc::clone(&self.waker), move |_| Ok(job())) {
            Ok(job) => self.jobs.push((job, cleanup)),
            Err(error) => {
                self.error(error.to_string());
                self.apply_cleanup(&cleanup);
            }
        }
    }

    /// Starts a background job that panics (tests check that the app reports it and goes on).
    #[doc(hidden)]
    #[allow(clippy::panic)] // the point of it
    pub fn spawn_panicking_job_for_tests(&mut self) {
        self.spawn_job("test job", Cleanup::Nothing, || {
            panic!("deliberate failure");
        });
    }

    fn apply_cleanup(&mut self, cleanup: &Cleanup) {
        match cleanup {
            Cleanup::Nothing | Cleanup::Cancellable => {}
            Cleanup::Opening(path) => {
                self.opening.retain(|p| p != path);
                self.first_screen_pending.retain(|(p, _)| p != path);
            }
            Cleanup::Saving => self.saving = self.saving.saturating_sub(1),
            Cleanup::Dialog => {
                self.dialog_open = false;
                if let Some(prompt) = &mut self.prompt {
                    prompt.browsing = false;
                }
                if let Some(export) = &mut self.export {
                    export.browsing = false;
                }
            }
        }
    }

    /// Writes the demo (first time only) and opens its project.
    pub fn open_demo(&mut self) {
        self.prefs.demo_offered = true;
        let Some(dir) = self.demo_dir.clone() else {
            self.error("no folder is available for the demo data".to_owned());
            return;
        };
        self.info(format!(
            "preparing the demo recordings in {}…",
            dir.display()
        ));
        self.spawn_job("preparing the demo", Cleanup::Nothing, move || {
            let project = dir.join(crate::demo::DEMO_PROJECT_FILE);
            let result = if project.exists() {
                Ok(project)
            } else {
                crate::demo::write_demo(&dir)
                    .map(|_| project)
                    .map_err(|e| e.to_string())
            };
            Event::DemoReady(result)
        });
    }

    /// Opens the platform's file dialog without blocking the window.
    pub fn pick_files(&mut self) {
        if self.dialog_open {
            return;
        }
        self.dialog_open = true;
        let dialog = Arc::clone(&self.file_dialog);
        let folder = self.prefs.last_folder.clone();
        self.spawn_job("the file dialog", Cleanup::Dialog, move || {
            Event::Picked(dialog.pick_audio_files(folder.as_deref()))
        });
    }

    pub fn close_recording(&mut self, id: RecordingId) {
        if self.playing_recording == Some(id) {
            self.player.stop();
            self.playing_recording = None;
        }
        self.engine.remove_recording(id);
        self.recordings.retain(|r| r.id != id);
        self.textures.clear();
        if self.active == Some(id) {
            self.active = self.recordings.first().map(|r| r.id);
        }
        self.overview = None;
        self.measurement = None;
    }

    /// Closes every recording (a different project is opening).
    fn close_all_recordings(&mut self) {
        let ids: Vec<RecordingId> = self.recordings.iter().map(|r| r.id).collect();
        for id in ids {
            self.close_recording(id);
        }
        self.opening.clear();
        self.first_screen_pending.clear();
        self.focus_next = None;
    }

    /// Selections per recording (recounted only when the selections change).
    fn selection_counts(&mut self) -> Arc<std::collections::BTreeMap<ProjectRecordingId, usize>> {
        let key = (self.generation, self.document.project.selections.version());
        if self.counts.0 != key {
            let mut counts = std::collections::BTreeMap::new();
            for selection in self.document.project.selections.items() {
                *counts.entry(selection.recording).or_insert(0) += 1;
            }
            self.counts = (key, Arc::new(counts));
        }
        Arc::clone(&self.counts.1)
    }

    /// The open recording of a project recording.
    fn open_recording_of(&self, project_id: ProjectRecordingId) -> Option<&OpenRecording> {
        self.recordings.iter().find(|r| r.project_id == project_id)
    }

    #[must_use]
    pub fn active_recording(&self) -> Option<&OpenRecording> {
        let id = self.active?;
        self.recordings.iter().find(|r| r.id == id)
    }

    fn active_recording_mut(&mut self) -> Option<&mut OpenRecording> {
        let id = self.active?;
        self.recordings.iter_mut().find(|r| r.id == id)
    }

    #[must_use]
    pub fn is_playing(&self) -> bool {
        self.player.is_playing()
    }

    /// Tiles still wanted by the view (for tests and the status bar).
    #[must_use]
    pub fn pending_tiles(&self) -> usize {
        self.engine.pending()
    }

    /// Whether no background work the window waits for is under way (files opening, tiles,
    /// playback, the file dialog).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.opening.is_empty()
            && self.engine.pending() == 0
            && !self.player.is_playing()
            && !self.dialog_open
            && self.saving == 0
            && !self.loading_project
            && self.jobs.is_empty()
            && !self.training.is_busy()
            && !self.detect.is_running()
    }

    /// Wake-ups from background work so far.
    #[must_use]
    pub fn activity_count(&self) -> u64 {
        self.activity.count()
    }

    /// Blocks until background work reports something after `seen` (or `timeout`); for tests
    /// and tools that drive the app without a window.
    pub fn wait_for_activity(&self, seen: u64, timeout: std::time::Duration) -> bool {
        self.activity.wait_past(seen, timeout)
    }

    fn error(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: true,
            shown_secs: None,
        });
    }

    fn info(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: false,
            shown_secs: None,
        });
    }

    fn push_message(&mut self, message: Message) {
        self.message_log.push_back(message.clone());
        while self.message_log.len() > MAX_LOGGED_MESSAGES {
            self.message_log.pop_front();
        }
        // The same message again is shown afresh, not twice.
        self.messages
            .retain(|m| m.text != message.text || m.is_error != message.is_error);
        self.messages.push(message);
        while self.messages.len() > MAX_MESSAGES {
            self.messages.remove(0);
        }
    }

    /// Takes what background threads finished.
    fn poll_events(&mut self) {
        let mut finished = Vec::new();
        self.jobs.retain_mut(|(job, cleanup)| match job.poll() {
            None => true,
            Some(Ok(event)) => {
                finished.push(event);
                false
            }
            // Stopped by the user: said so, not as an error.
            Some(Err(error @ crate::jobs::JobError::Cancelled { .. })) => {
                finished.push(Event::JobCancelled {
                    message: error.to_string(),
                    cleanup: cleanup.clone(),
                });
                false
            }
            // A panic in the job: reported, and what it started undone.
            Some(Err(error)) => {
                finished.push(Event::JobFailed {
                    message: error.to_string(),
                    cleanup: cleanup.clone(),
                });
                false
            }
        });
        for event in finished {
            match event {
                Event::Opened {
                    path,
                    order,
                    project_id,
                    result,
                } => {
                    self.opening.retain(|p| p != &path);
                    match *result {
                        Ok(opened) => self.add_recording(path, order, project_id, opened),
                        Err(error) => {
                            self.first_screen_pending.retain(|(p, _)| p != &path);
                            self.error(error.to_string());
                        }
                    }
                }
                Event::DemoReady(Ok(project)) => {
                    self.messages
                        .retain(|m| !m.text.starts_with("preparing the demo"));
                    self.open_project(project);
                }
                Event::DemoReady(Err(error)) => self.error(error),
                Event::Picked(picked) => {
                    self.dialog_open = false;
                    match picked {
                        Some(files) => self.open_paths(files),
                        None => self.info(
                            "No files chosen. If no dialog appeared (no desktop portal), use File > Open path… to type one."
                                .to_owned(),
                        ),
                    }
                }
                Event::JobFailed { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.error(message);
                }
                Event::JobCancelled { message, cleanup } => {
                    self.apply_cleanup(&cleanup);
                    self.info(message);
                }
                other => self.project_event(other),
            }
        }
        for error in self.engine.take_errors() {
            self.error(error);
        }
        if let Some(error) = self.player.take_error() {
            self.error(error.to_string());
        }
    }

    fn add_recording(
        &mut self,
        path: PathBuf,
        order: u64,
        project_id: Option<ProjectRecordingId>,
        opened: OpenedFile,
    ) {
        let OpenedFile {
            reader,
            fingerprint,
        } = opened;
        let info = reader.info().clone();
        for warning in &info.warnings {
            self.info(format!("{}: {warning}", path.display()));
        }
        let project_id = match project_id {
            Some(id) => id,
            None => {
                let (size, print) = match fingerprint {
                    Some(Ok(found)) => found,
                    Some(Err(error)) => {
                        self.error(format!("cannot read {}: {error}", path.display()));
                        (0, String::new())
                    }
                    None => (0, String::new()),
                };
                let id = self.document.project.add_fingerprinted(&info, size, print);
                self.document.touch();
                id
            }
        };
        if self.recordings.iter().any(|r| r.project_id == project_id) {
            return;
        }
        let id = RecordingId(self.next_id);
        self.next_id += 1;
        match reader.try_clone() {
            Ok(clone) => self.engine.add_recording(id, clone),
            Err(error) => {
                self.error(error.to_string());
                return;
            }
        }
        self.prefs.remember_recent(&path);
        let viewport = Viewport::new(info.duration_secs(), self.prefs.initial_span_secs);
        // Recordings of one batch arrive in any order; keep the order they were asked for.
        let position = self
            .recordings
            .iter()
            .position(|r| r.order > order)
            .unwrap_or(self.recordings.len());
        self.recordings.insert(
            position,
            OpenRecording {
                order,
                id,
                project_id,
                path,
                info,
                reader,
                viewport,
                cursor_secs: None,
            },
        );
        if self.active.is_none()
            || self.focus_next.as_ref() == Some(&self.recordings[position].path)
        {
            self.active = Some(id);
            self.focus_next = None;
        }
        if let Some(selection) = self.pending_jump
            && self
                .document
                .project
                .selections
                .get(selection)
                .is_some_and(|s| s.recording == project_id)
        {
            self.pending_jump = None;
            self.jump_to_selection(selection);
        }
        self.after_recording_opened(project_id);
    }

    /// Plays from the cursor (or the visible start) to the end; again stops.
    pub fn toggle_playback(&mut self) {
        if self.player.is_playing() {
            self.player.stop();
            return;
        }
        let Some(recording) = self.active_recording() else {
            return;
        };
        let start = recording
            .cursor_secs
            .filter(|s| *s < recording.info.duration_secs())
            .unwrap_or(recording.viewport.start_secs);
        let end = recording.info.duration_secs();
        self.play_span(start, end, self.prefs.playback_filter);
    }

    /// Plays what is on screen.
    pub fn play_visible(&mut self) {
        let Some(recording) = self.active_recording() else {
            return;
        };
        let (start, end) = (recording.viewport.start_secs, recording.viewport.end_secs());
        self.play_span(start, end, self.prefs.playback_filter);
    }

    fn play_span(&mut self, start_secs: f64, end_secs: f64, filter: PlaybackFilter) {
        let Some(recording) = self.active_recording() else {
            return;
        };
        let reader = match recording.reader.try_clone() {
            Ok(reader) => reader,
            Err(error) => {
                self.error(error.to_string());
                return;
            }
        };
        let request = PlaybackRequest {
            start_frame: recording.info.frame_at_secs(start_secs),
            end_frame: recording.info.frame_at_secs(end_secs),
            speed: self.prefs.playback_speed,
            filter,
        };
        self.playing_recording = Some(recording.id);
        self.player.play(reader, request);
    }

    /// Where playback is, in seconds of the active recording.
    #[must_use]
    pub fn playhead_secs(&self) -> Option<f64> {
        let recording = self.active_recording()?;
        if self.playing_recording != Some(recording.id) {
            return None;
        }
        let frame = self.player.position_frame()?;
        Some(frame as f64 / f64::from(recording.info.sample_rate_hz))
    }

    /// Where `(secs, hz)` of the active recording was drawn in the upper pane last frame (for
    /// driving the window in tests and tools).
    #[must_use]
    pub fn screen_point(&self, secs: f64, hz: f64) -> Option<egui::Pos2> {
        let plot = self.primary_plot?;
        let recording = self.active_recording()?;
        let axis = self
            .prefs
            .primary
            .params
            .axis(recording.info.sample_rate_hz);
        let view = &recording.viewport;
        Some(egui::pos2(
            plot.left() + view.x_of_secs(secs, f64::from(plot.width())) as f32,
            plot.top() + view.y_of_hz(hz, f64::from(plot.height()), &axis) as f32,
        ))
    }

    /// Parses the go-to field and jumps there.
    pub fn go_to(&mut self) {
        match parse_time_secs(&self.go_to_text) {
            Ok(secs) => {
                if let Some(recording) = self.active_recording_mut() {
                    recording.viewport.center_on(secs);
                    recording.cursor_secs = Some(secs.min(recording.info.duration_secs()));
                }
            }
            Err(error) => self.error(error),
        }
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
        let missing: Vec<_> = self.document.missing.iter().copied().collect();
        self.model_view.spec = self.training.update_input(&self.document.project, &missing);
        self.model_view.poll(&ctx, &self.waker);
        self.accept_dropped_files(&ctx);
        if ctx.input(|i| i.pointer.any_pressed()) {
            // A press anywhere takes focus from the spectrogram; one on it gives it back below.
            self.spectrogram_focused = false;
        }
        self.shortcuts(&ctx);
        self.menu_bar(ui);
        self.toolbar(ui);
        self.annotation_bar(ui);
        self.messages_panel(ui);
        self.selection_panel(ui);
        self.recordings_panel(ui);
        self.side_panel(ui);
        egui::CentralPanel::default().show(ui, |ui| self.central(ui));
        if self.show_shortcuts {
            self.shortcuts_window(&ctx);
        }
        self.palette_ui(&ctx);
        self.jobs_window(&ctx);
        if self.show_message_log {
            self.message_log_window(&ctx);
        }
        if self.show_getting_started {
            let mut open = true;
            super::getting_started::window(&ctx, &mut open);
            self.show_getting_started = open;
        }
        self.dialogs(&ctx);
        self.training_window(&ctx);
        self.detect_window(&ctx);
        self.annotator.prune(&self.document);
        self.update_measurement();
        self.autosave();
        self.update_title(&ctx);
        if self.player.is_playing() {
            if let Some(secs) = self.playhead_secs()
                && self.prefs.follow_playback
                && let Some(recording) = self.active_recording_mut()
            {
                recording.viewport.follow(secs);
            }
            ctx.request_repaint();
        }
        self.frame_stats.record(started.elapsed());
        if self.print_frame_stats && self.frame_stats.total_frames().is_multiple_of(600) {
            eprintln!("{}", self.frame_stats.summary());
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

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                for menu in Menu::ALL {
                    ui.menu_button(menu.name(), |ui| self.command_menu_ui(ui, menu));
                }
            });
        });
    }

    fn recent_projects_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Recent projects", |ui| {
            if self.prefs.recent_projects.is_empty() {
                ui.label("No recent projects");
            }
            for path in self.prefs.recent_projects.clone() {
                if ui.button(path.display().to_string()).clicked() {
                    self.open_project(path);
                    ui.close();
                }
            }
        });
    }

    fn recent_recordings_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Recent recordings", |ui| {
            if self.prefs.recent_files.is_empty() {
                ui.label("No recent files");
            }
            for path in self.prefs.recent_files.clone() {
                if ui.button(path.display().to_string()).clicked() {
                    self.open_paths(vec![path]);
                    ui.close();
                }
            }
        });
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let playing = self.player.is_playing();
                if ui
                    .button(if playing { "Stop" } else { "Play" })
                    .on_hover_text("Space: play from the cursor")
                    .clicked()
                {
                    self.toggle_playback();
                }
                if ui
                    .button("Play visible")
                    .on_hover_text("Shift+Space: play what is on screen")
                    .clicked()
                {
                    self.play_visible();
                }
                ui.add(
                    egui::Slider::new(
                        &mut self.prefs.playback_speed,
                        *SPEED_RANGE.start()..=*SPEED_RANGE.end(),
                    )
                    .logarithmic(true)
                    .text("speed")
                    .suffix("×"),
                )
                .on_hover_text("Below 1× slows down and lowers the pitch (bats, insects)");
                filter_field(
                    ui,
                    "high-pass",
                    &mut self.prefs.playback_filter.high_pass_hz,
                    1000.0,
                );
                filter_field(
                    ui,
                    "low-pass",
                    &mut self.prefs.playback_filter.low_pass_hz,
                    8000.0,
                );
                ui.checkbox(&mut self.prefs.follow_playback, "follow")
                    .on_hover_text("F: the view scrolls with the playhead");
                ui.separator();
                let label = ui.label("Go to");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.go_to_text)
                            .id(egui::Id::unique(GO_TO_FIELD))
                            .desired_width(80.0)
                            .hint_text("h:mm:ss"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Ctrl+G; seconds, m:ss or h:mm:ss");
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    self.go_to();
                }
                if ui
                    .button("Go")
                    .on_hover_text("Centre the view on this time")
                    .clicked()
                {
                    self.go_to();
                }
                ui.separator();
                if let Some(recording) = self.active_recording_mut() {
                    let view = &mut recording.viewport;
                    if ui.button("−").on_hover_text("Zoom out (−)").clicked() {
                        view.step(ViewStep::ZoomOut);
                    }
                    if ui.button("+").on_hover_text("Zoom in (+)").clicked() {
                        view.step(ViewStep::ZoomIn);
                    }
                    if ui
                        .button("All")
                        .on_hover_text("Show the whole recording")
                        .clicked()
                    {
                        let duration = view.duration_secs;
                        view.show_span(0.0, duration);
                    }
                    let duration = recording.info.duration_secs();
                    ui.label(format!(
                        "{} – {} of {}",
                        format_time_secs(view.start_secs, duration),
                        format_time_secs(view.end_secs(), duration),
                        format_time_secs(duration, duration)
                    ));
                }
            });
        });
    }

    /// Notifications over the bottom-right corner (they never move the layout) and the status
    /// bar: one line, whatever the messages.
    fn messages_panel(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let now_secs = ctx.input(|i| i.time);
        let hovered = self.notifications_hovered;
        if let Some(secs) = toasts::prune(&mut self.messages, now_secs, hovered) {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(secs.max(0.05)));
        }
        let hidden = self.message_log.len().saturating_sub(self.messages.len());
        let (dismiss, open_log, hovered) = toasts::show(&ctx, &self.messages, hidden);
        self.notifications_hovered = hovered;
        if let Some(i) = dismiss {
            self.messages.remove(i);
        }
        if open_log {
            self.show_message_log = true;
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                match self.hover {
                    Some(h) => {
                        let duration = self
                            .active_recording()
                            .map_or(0.0, |r| r.info.duration_secs());
                        let level =
                            h.db.map_or_else(|| "—".to_owned(), |db| format!("{db:.1} dB"));
                        ui.monospace(format!(
                            "{}  ·  {:.0} Hz  ·  {level}",
                            format_time_secs(h.secs, duration),
                            h.hz
                        ));
                    }
                    None => {
                        ui.weak("Point at the spectrogram for time, frequency and level");
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    // Frame times are for developers: shown with --frame-stats only.
                    if self.print_frame_stats {
                        let p95 = self.frame_stats.percentile_ms(95.0).unwrap_or(0.0);
                        ui.weak(format!(
                            "frame p95 {p95:.1} ms · tiles {:.0} MB",
                            self.engine.cache_bytes() as f64 / 1e6
                        ));
                    }
                    if ui
                        .small_button(format!("Messages ({})", self.message_log.len()))
                        .on_hover_text("Every message and error of this session")
                        .clicked()
                    {
                        self.show_message_log = true;
                    }
                    self.jobs_button_ui(ui);
                    if !self.opening.is_empty() {
                        ui.weak(format!("opening {}…", self.opening.len()));
                    }
                });
            });
        });
    }

    /// The project's recordings (open or not, missing ones marked), and the flags of the one
    /// on screen.
    fn recordings_panel(&mut self, ui: &mut egui::Ui) {
        let max_width = (ui.available_width() * 0.25).max(RECORDINGS_PANEL_MIN_WIDTH);
        egui::Panel::left("recordings")
            .resizable(true)
            .default_size(RECORDINGS_PANEL_WIDTH)
            .min_size(RECORDINGS_PANEL_MIN_WIDTH)
            .max_size(max_width)
            .show(ui, |ui| {
                ui.heading("Recordings");
                ui.weak(self.document.title());
                let counts = self.selection_counts();
                let active_project = self.active_recording().map(|r| r.project_id);
                let mut open = None;
                let mut relink = None;
                let mut close = None;
                let mut remove = None;
                egui::ScrollArea::vertical()
                    .id_salt("recordings list")
                    .max_height(ui.available_height() - 150.0)
                    .show(ui, |ui| {
                        for recording in &self.document.project.recordings {
                            let missing = self.document.missing.contains(&recording.id);
                            let changed = self.document.changed_files.contains(&recording.id);
                            let is_open = self.open_recording_of(recording.id);
                            let n = counts.get(&recording.id).copied().unwrap_or(0);
                            let mut text = format!(
                                "{}\n{} · {:.1} kHz · {n} sel.",
                                recording.name(),
                                format_time_secs(recording.duration_secs, recording.duration_secs),
                                f64::from(recording.sample_rate_hz) / 1000.0,
                            );
                            if recording.fully_annotated {
                                text.push_str(" · full");
                            }
                            ui.horizontal(|ui| {
                                if let Some(r) = is_open
                                    && ui.small_button("×").on_hover_text(CLOSE_HELP).clicked()
                                {
                                    close = Some(r.id);
                                }
                                let selected = active_project == Some(recording.id);
                                let mut label = egui::RichText::new(text);
                                if missing {
                                    label = label.color(ui.visuals().error_fg_color);
                                } else if is_open.is_none() {
                                    label = label.weak();
                                }
                                let response = ui
                                    .selectable_label(selected, label)
                                    .on_hover_text(recording.path.display().to_string());
                                if response.clicked() {
                                    open = Some(recording.id);
                                }
                                response.context_menu(|ui| {
                                    if ui
                                        .button("Remove from project")
                                        .on_hover_text(REMOVE_HELP)
                                        .clicked()
                                    {
                                        remove = Some(recording.id);
                                        ui.close();
                                    }
                                });
                            });
                            if missing {
                                ui.horizontal(|ui| {
                                    ui.colored_label(ui.visuals().error_fg_color, "file not found");
                                    if ui
                                        .small_button("Relink…")
                                        .on_hover_text(
                                            "Point it at the file's new place (checked to be the same recording)",
                                        )
                                        .clicked()
                                    {
                                        relink = Some(recording.id);
                                    }
                                });
                            } else if changed {
                                ui.colored_label(ui.visuals().warn_fg_color, "file changed")
                                    .on_hover_text(CHANGED_HELP);
                            }
                        }
                        for path in &self.opening {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label(
                                    path.file_name()
                                        .map(|n| n.to_string_lossy().into_owned())
                                        .unwrap_or_default(),
                                );
                            });
                        }
                        if self.loading_project {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label("opening project…");
                            });
                        }
                    });
                if let Some(id) = close {
                    self.close_recording(id);
                }
                if let Some(id) = open {
                    self.show_project_recording(id);
                }
                if let Some(id) = relink {
                    self.ask_relink(id);
                }
                if let Some(id) = remove {
                    self.remove_from_project(id);
                }
                ui.separator();
                self.recording_flags_ui(ui);
            });
    }

    /// Fully annotated, split and group of the recording on screen.
    fn recording_flags_ui(&mut self, ui: &mut egui::Ui) {
        let Some(id) = self.active_recording().map(|r| r.project_id) else {
            ui.weak("Open a recording to set its training flags.");
            return;
        };
        let Some(before) = self
            .document
            .project
            .recording(id)
            .map(crate::project::ProjectRecording::flags)
        else {
            return;
        };
        let mut flags = before.clone();
        ui.checkbox(&mut flags.fully_annotated, "Fully annotated")
            .on_hover_text(FULLY_ANNOTATED_HELP);
        ui.horizontal(|ui| {
            ui.label("Split");
            egui::ComboBox::from_id_salt("recording split")
                .selected_text(flags.split.name())
                .show_ui(ui, |ui| {
                    for split in crate::project::Split::ALL {
                        ui.selectable_value(&mut flags.split, split, split.name());
                    }
                })
                .response
                .accessible_name("Split")
                .on_hover_text(SPLIT_HELP);
        });
        ui.horizontal(|ui| {
            let label = ui.label("Site/group");
            let mut group = flags.group.clone().unwrap_or_default();
            if ui
                .add(
                    egui::TextEdit::singleline(&mut group)
                        .hint_text("e.g. SITE1")
                        .desired_width(110.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Recordings of one group always land in the same split")
                .changed()
            {
                flags.group = (!group.trim().is_empty()).then_some(group);
            }
        });
        // One undo step per flag (typing a group name is one step).
        if let Some(change) = self.document.project.flags_change(id, flags.clone()) {
            let name = if flags.fully_annotated != before.fully_annotated {
                "mark fully annotated"
            } else if flags.split != before.split {
                "change the split"
            } else {
                "change the group"
            };
            self.document.change_project(name, change);
        }
        if ui
            .button("Remove from project")
            .on_hover_text(REMOVE_HELP)
            .clicked()
        {
            self.remove_from_project(id);
        }
    }

    /// Takes a recording and its selections out of the project (one undo step); the file
    /// stays where it is.
    pub fn remove_from_project(&mut self, id: ProjectRecordingId) {
        let Some((edit, change)) = self.document.project.removal_of(id) else {
            return;
        };
        if let Some(open) = self.open_recording_of(id).map(|r| r.id) {
            self.close_recording(open);
        }
        let name = self
            .document
            .project
            .recording(id)
            .map(crate::project::ProjectRecording::name)
            .unwrap_or_default();
        let selections = match &edit {
            crate::annotation::Edit::Delete(s) => s.len(),
            _ => 0,
        };
        self.document
            .edit_project(&format!("remove {name}"), vec![edit], change);
        self.annotator.prune(&self.document);
        self.info(format!(
            "Removed {name} and its {selections} selection(s) from the project; the file is untouched (Ctrl+Z undoes)."
        ));
    }

    /// The right side: the spectrogram settings and Review share it as tabs, so opening Review
    /// never takes a second strip off the spectrogram. Collapsed, it is a narrow strip.
    fn side_panel(&mut self, ui: &mut egui::Ui) {
        if !self.prefs.show_settings_panel && !self.review.open {
            egui::Panel::right("side collapsed")
                .resizable(false)
                .exact_size(28.0)
                .show(ui, |ui| {
                    if ui
                        .button("«")
                        .on_hover_text("Show the side panel (spectrogram settings, Review)")
                        .clicked()
                    {
                        self.prefs.show_settings_panel = true;
                    }
                });
            return;
        }
        // Bounded so that panels can never squeeze the spectrogram below a usable width.
        let max_width = (ui.available_width() * 0.4).max(SIDE_PANEL_MIN_WIDTH);
        egui::Panel::right("side")
            .resizable(true)
            .default_size(SIDE_PANEL_WIDTH)
            .min_size(SIDE_PANEL_MIN_WIDTH)
            .max_size(max_width)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let review = self.review.open;
                    if ui
                        .selectable_label(!review, "Spectrogram")
                        .on_hover_text("Window size, overlap, scale, colours; what the model sees")
                        .clicked()
                    {
                        self.review.open = false;
                        self.prefs.show_settings_panel = true;
                    }
                    if ui
                        .selectable_label(review, "Review")
                        .on_hover_text("Ctrl+R: review detections, close the loop, iterations")
                        .clicked()
                        && !review
                    {
                        self.open_review();
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .small_button("»")
                            .on_hover_text("Hide the side panel (View menu, Ctrl+R bring it back)")
                            .clicked()
                        {
                            self.review.open = false;
                            self.prefs.show_settings_panel = false;
                        }
                    });
                });
                ui.separator();
                // Content wider than the panel scrolls sideways: it must never widen the panel
                // (egui keeps a panel as wide as its widest frame: the width crept up).
                // (Both tabs scroll vertically inside.)
                egui::ScrollArea::horizontal()
                    .id_salt("side panel")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if self.review.open {
                            self.review_panel(ui);
                        } else {
                            self.settings_panel(ui);
                        }
                    });
            });
    }

    /// The Spectrogram tab's contents.
    fn settings_panel(&mut self, ui: &mut egui::Ui) {
        let rate = self.active_recording().map(|r| r.info.sample_rate_hz);
        egui::ScrollArea::vertical()
            .id_salt("settings scroll")
            .show(ui, |ui| {
                ui.heading("Spectrogram");
                pane_settings_ui(ui, &mut self.prefs.primary, rate, "primary");
                if self.prefs.compare_mode {
                    ui.separator();
                    ui.heading("Lower pane");
                    pane_settings_ui(ui, &mut self.prefs.compare, rate, "compare");
                }
                ui.separator();
                ui.checkbox(
                    &mut self.prefs.show_model_view,
                    egui::RichText::new("What the model sees").heading(),
                )
                .on_hover_text(
                    "The exact input the recogniser gets for the window under the pointer",
                );
                if self.prefs.show_model_view {
                    self.model_view.ui(ui);
                }
            });
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        let Some(index) = self
            .active
            .and_then(|id| self.recordings.iter().position(|r| r.id == id))
        else {
            self.welcome(ui);
            return;
        };
        let ctx = ui.ctx().clone();
        let playhead = self.playhead_secs();
        let compare = self.prefs.compare_mode;
        let (primary, lower) = (self.prefs.primary, self.prefs.compare);

        // Overview of the whole recording from the primary pane's summary.
        let overview_target = {
            let key = SpectrogramKey {
                recording: self.recordings[index].id,
                params: primary.params,
                channel: ChannelMode::Mix,
            };
            self.update_overview(&ctx, key, &primary);
            let recording = &self.recordings[index];
            let (texture, progress) = match &self.overview {
                Some(o) if o.key == key => (Some(o.texture.id()), Some(o.progress)),
                _ => (None, None),
            };
            overview_ui(
                ui,
                &recording.viewport,
                texture,
                progress,
                recording.info.duration_secs(),
            )
        };
        // Detections near the view (a span either side: the pane may pan this frame).
        let detections = {
            let recording = &self.recordings[index];
            let view = &recording.viewport;
            self.detection_views(
                recording.project_id,
                view.start_secs - view.span_secs,
                view.end_secs() + view.span_secs,
            )
        };
        let recording = &mut self.recordings[index];
        if let Some(secs) = overview_target {
            recording.viewport.center_on(secs);
        }
        let target = edit_target(recording, &self.document);
        let available = ui.available_height();
        let pane_height = if compare {
            (available / 2.0).max(120.0)
        } else {
            available.max(160.0)
        };
        let mut wanted = Vec::new();
        let mut summaries = Vec::new();
        let mut hover = None;
        let mut loading = false;
        let panes: Vec<(PaneSettings, bool, Option<String>)> = if compare {
            vec![
                (primary, false, Some(pane_title(&primary))),
                (lower, true, Some(pane_title(&lower))),
            ]
        } else {
            vec![(primary, true, None)]
        };
        for (pane_index, (settings, show_time_axis, title)) in panes.into_iter().enumerate() {
            let boxes = self.annotator.boxes(
                &self.document,
                &target,
                recording.viewport.start_secs,
                recording.viewport.end_secs(),
            );
            let output = spectrogram_pane_ui(
                ui,
                &mut recording.viewport,
                PaneInput {
                    engine: &self.engine,
                    textures: &mut self.textures,
                    recording: recording.id,
                    info: &recording.info,
                    settings: &settings,
                    channel: ChannelMode::Mix,
                    playhead_secs: playhead,
                    cursor_secs: recording.cursor_secs,
                    show_time_axis,
                    title,
                    boxes: &boxes,
                    preview: self.annotator.preview(&target),
                    detections: &detections,
                },
                pane_height,
            );
            if pane_index == 0 {
                self.primary_plot = output.plot;
            }
            wanted.extend(output.wanted_tiles);
            summaries.extend(output.summary);
            loading |= output.loading;
            if let Some(event) = output.pointer {
                self.spectrogram_focused = true;
                let drew = matches!(event, super::spectrogram_view::PanePointer::Released { .. });
                if let Some(secs) = self.annotator.pointer(&mut self.document, &target, event) {
                    recording.cursor_secs = Some(secs);
                }
                if drew {
                    annotating::remember_label(&mut self.document, &self.annotator);
                }
            }
            hover = hover.or(output.hover);
        }
        self.hover = hover;
        if !loading {
            let path = self.recordings[index].path.clone();
            if let Some(at) = self
                .first_screen_pending
                .iter()
                .position(|(p, _)| *p == path)
            {
                let (_, asked) = self.first_screen_pending.remove(at);
                let millis = asked.elapsed().as_secs_f64() * 1e3;
                if self.print_frame_stats {
                    eprintln!(
                        "first screen of {} after {millis:.0} ms (from asking to open it)",
                        path.display()
                    );
                }
            }
        }
        let request = (wanted, summaries);
        if request != self.last_request {
            self.engine.request(&request.0, &request.1);
            self.last_request = request;
        }
        if self.prefs.show_model_view
            && let Some(h) = hover
        {
            let reader = &self.recordings[index].reader;
            self.model_view.request(reader, h.secs, &self.waker);
        }
    }

    /// Rebuilds the overview texture when the summary has grown or the colours changed.
    fn update_overview(
        &mut self,
        ctx: &egui::Context,
        key: SpectrogramKey,
        settings: &PaneSettings,
    ) {
        let Some(progress) = self.engine.summary_progress(&key) else {
            return;
        };
        let current = self
            .overview
            .as_ref()
            .filter(|o| o.key == key && o.display == settings.display);
        if current.is_some_and(|o| o.columns_done == progress.columns_done) {
            return;
        }
        let Some(overview) = self.engine.overview(&key) else {
            return;
        };
        let image = image_of_columns(
            &overview.db,
            overview.columns,
            overview.rows,
            &Colorizer::new(&settings.display),
        );
        let texture = ctx.load_texture("overview", image, egui::TextureOptions::LINEAR);
        self.overview = Some(Overview {
            key,
            columns_done: progress.columns_done,
            display: settings.display,
            texture,
            progress: overview.progress,
        });
    }

    fn welcome(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 4.0);
            ui.heading("Syrinx");
            ui.label("Open long field recordings and explore them as spectrograms.");
            ui.add_space(12.0);
            if ui
                .button("Open recordings…")
                .on_hover_text("Ctrl+O: wav, flac, mp3, ogg or aiff files of any length")
                .clicked()
            {
                self.pick_files();
            }
            if ui
                .button("Open the demo")
                .on_hover_text("Fifteen one-minute recordings of an invented warbler: annotated, to survey and to test")
                .clicked()
            {
                self.open_demo();
            }
            ui.add_space(8.0);
            ui.label("or type a path (or drop files onto the window):");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.path_text)
                        .hint_text("/path/to/recording.wav"),
                )
                .on_hover_text("A recording, a folder or a .syrinx project; Enter opens it");
            if field.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && !self.path_text.trim().is_empty()
            {
                self.open_paths(vec![PathBuf::from(self.path_text.trim())]);
            }
        });
    }

    /// Every message of the session, newest last, errors in red.
    fn message_log_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_message_log;
        let errors = self.message_log.iter().filter(|m| m.is_error).count();
        egui::Window::new("Messages")
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} message(s), {errors} error(s) this session",
                    self.message_log.len()
                ));
                ui.horizontal(|ui| {
                    if ui
                        .button("Copy all")
                        .on_hover_text("Copy every message to the clipboard, one per line")
                        .clicked()
                    {
                        let text: Vec<&str> =
                            self.message_log.iter().map(|m| m.text.as_str()).collect();
                        ui.ctx().copy_text(text.join("\n"));
                    }
                    if ui
                        .button("Clear")
                        .on_hover_text("Empty the log and the notifications")
                        .clicked()
                    {
                        self.message_log.clear();
                        self.messages.clear();
                    }
                });
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for message in &self.message_log {
                            if message.is_error {
                                ui.colored_label(ui.visuals().error_fg_color, &message.text);
                            } else {
                                ui.label(&message.text);
                            }
                        }
                    });
            });
        self.show_message_log = open;
    }

    fn save_preferences(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.last_session.clear();
        self.prefs.last_project = self.document.save_path().map(Path::to_path_buf);
        eframe::set_value(storage, PREFERENCES_KEY, &self.prefs);
    }
}

/// The toolbar's go-to-time field (Ctrl+G focuses it).
const GO_TO_FIELD: &str = "go to time";
const CLOSE_HELP: &str = "Close (it stays in the project)";
const CHANGED_HELP: &str = "Its size or content differs from when it was added to the project: \
    check that the selections still fit.";
const FULLY_ANNOTATED_HELP: &str = "Every call in it is marked: time not covered by a positive \
    box can serve as negative examples";
const SPLIT_HELP: &str = "Which part of training uses this recording (auto: the seeded split by \
    recording or group)";

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
fn filter_field(ui: &mut egui::Ui, name: &str, value: &mut Option<f32>, default_hz: f32) {
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

impl eframe::App for SyrinxApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_root(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.save_preferences(storage);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.player.stop();
        // A run in progress stops at its next batch; nothing of the project depends on it.
        self.training.cancel();
        // Scores already in are kept; the run keeps its pending list and resumes later.
        self.detect.cancel();
        self.save_before_exit();
        if self.print_frame_stats {
            eprintln!("{}", self.frame_stats.summary());
        }
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

//! The app's state in two parts besides the preferences: the session (the project, its history
//! and saves, the jobs working on it and what they reported) and what is on screen (open
//! recordings, panels with their own runs, dialogs, and the caches that draw them).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use crate::annotation::{ProjectRecordingId, SelectionId};
use crate::gui::annotate::Annotator;
use crate::gui::dialogs::{ExportDialog, PathPrompt};
use crate::gui::files::FileDialog;
use crate::gui::frame_stats::FrameStats;
use crate::gui::import_dialog::ImportDialog;
use crate::gui::model_view::ModelView;
use crate::gui::selection_table::SelectionTable;
use crate::gui::spectrogram_view::HoverReadout;
use crate::gui::textures::TextureCache;
use crate::gui::toasts::Message;
use crate::playback::Player;
use crate::session::Document;
use crate::spectrogram::{RecordingId, SpectrogramKey, TileEngine, TileKey};

use super::{Activity, Cleanup, Event, OpenRecording, Overview, annotating, commands};

/// What the user is working on: kept however the window is laid out.
pub struct Session {
    /// The project: recordings, selections, labels, runs, with its undo history (always one,
    /// untitled at first).
    pub document: Document,

    // Saving.
    /// The app's data folder (untitled projects are autosaved under it).
    pub(super) data_dir: Option<PathBuf>,
    /// Saves in order, and autosave.
    pub(super) saves: crate::session::Saves,
    /// Counts documents installed (see `Event::Saved`).
    pub(super) generation: u64,
    /// A project is being loaded.
    pub loading_project: bool,

    // Jobs and what they report.
    /// Background jobs started with `spawn_job`, each with what to undo if it fails.
    pub(super) jobs: Vec<(crate::util::jobs::Job<(), Event>, Cleanup)>,
    /// Wakes the window when a job sends something.
    pub(super) waker: Arc<dyn Fn() + Send + Sync>,
    /// Counts wake-ups (tests wait on it instead of sleeping).
    pub(super) activity: Arc<Activity>,
    /// The latest messages (the notifications show the newest few).
    pub messages: Vec<Message>,
    /// Every message of the session, oldest first (the last [`MAX_LOGGED_MESSAGES`]): the
    /// status bar shows only the latest few.
    pub message_log: std::collections::VecDeque<Message>,

    // The platform.
    pub(super) file_dialog: Arc<dyn FileDialog>,
    /// Where the demo lives (`None`: no demo).
    pub(super) demo_dir: Option<PathBuf>,
}

/// What is on screen.
pub struct UiState {
    // Open recordings.
    pub recordings: Vec<OpenRecording>,
    pub active: Option<RecordingId>,
    /// Files being opened (shown as "opening…").
    pub opening: Vec<PathBuf>,
    /// The recording to show when it has opened.
    pub(super) focus_next: Option<PathBuf>,
    pub(super) next_id: u64,
    pub(super) next_order: u64,
    /// Selection to show once its recording has opened.
    pub(super) pending_jump: Option<SelectionId>,
    /// The review queue's current detection waits for its recording to open.
    pub(super) pending_detection: bool,
    /// A stretch to show once its recording has opened (a "Find more like this" match).
    pub(super) pending_span: Option<(ProjectRecordingId, f64, f64)>,
    /// Selections per recording, for the list, with the (generation, version) they were
    /// counted at.
    pub(super) counts: (
        (u64, u64),
        Arc<std::collections::BTreeMap<ProjectRecordingId, usize>>,
    ),

    // The spectrogram and what draws it.
    pub(super) engine: TileEngine,
    pub(super) textures: TextureCache,
    pub(super) model_view: ModelView,
    pub(super) overview: Option<Overview>,
    pub(super) last_request: (Vec<TileKey>, Vec<SpectrogramKey>),
    /// Where the (upper) spectrogram was drawn last frame.
    pub(super) primary_plot: Option<egui::Rect>,
    /// The spectrogram was clicked last (label hotkeys act only then).
    pub(super) spectrogram_focused: bool,
    pub hover: Option<HoverReadout>,
    pub go_to_text: String,
    pub frame_stats: FrameStats,
    pub(super) print_frame_stats: bool,
    /// When each recording was asked for, until its first screen is complete (time to first
    /// screen, reported with `--frame-stats`).
    pub(super) first_screen_pending: Vec<(PathBuf, Instant)>,

    // Boxes.
    pub annotator: Annotator,
    pub table: SelectionTable,
    pub(super) measurement: Option<annotating::MeasurementState>,

    // Playback.
    pub(super) player: Player,
    pub(super) playing_recording: Option<RecordingId>,
    /// Play selected boxes through a band-pass of their frequencies.
    pub play_band_limited: bool,

    // Panels, each with its own state (and its background run).
    /// The Train window.
    pub training: crate::gui::training::TrainingWindow,
    /// The Detect window.
    pub detect: crate::gui::detection::DetectWindow,
    /// The Review panel.
    pub review: crate::gui::review::ReviewState,
    /// The Find more like this window.
    pub similar: crate::gui::similar::SimilarWindow,

    // Dialogs and small windows.
    pub import: Option<ImportDialog>,
    pub prompt: Option<PathPrompt>,
    pub path_text: String,
    pub export: Option<ExportDialog>,
    /// File ▸ Restore an earlier version.
    pub restore: Option<crate::gui::restore_dialog::RestoreDialog>,
    /// A project that did not load: File ▸ Restore offers its kept versions.
    pub failed_project: Option<PathBuf>,
    /// A native file dialog is open.
    pub(super) dialog_open: bool,
    pub(super) show_labels: bool,
    pub(super) new_label: String,
    pub(super) show_shortcuts: bool,
    /// The jobs window.
    pub(super) show_jobs: bool,
    /// Whether the jobs window has shown a job since it opened.
    pub(super) jobs_window_had_rows: bool,
    /// Commands given during this frame, run once it is drawn.
    pub(super) queued_commands: Vec<crate::gui::commands::Command>,
    /// The command palette (Ctrl+K).
    pub(super) palette: commands::Palette,
    pub(super) show_message_log: bool,
    /// Help ▸ Getting started is open.
    pub show_getting_started: bool,
    /// The pointer is on the notifications (they stay while it is).
    pub(super) notifications_hovered: bool,
    pub(super) window_title: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("project", &self.document.title())
            .field("jobs", &self.jobs.len())
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for UiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiState")
            .field("recordings", &self.recordings.len())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

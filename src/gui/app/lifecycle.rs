//! The app's life: made from its options (preferences, the last project, the demo on first
//! run), each frame handed to `ui_root`, and what it saves when the window closes.

use std::path::Path;
use std::sync::Arc;

use eframe::egui;

use crate::gui::frame_stats::FrameStats;
use crate::gui::prefs::{PREFERENCES_KEY, Preferences};
use crate::playback::Player;
use crate::session::Document;
use crate::spectrogram::TileEngine;

use super::{AppOptions, Session, SyrinxApp, TILE_CACHE_BYTES, UiState, Workspace};
use crate::gui::workbench::Activity;

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
            session: Session {
                jobs: Vec::new(),
                waker: Arc::clone(&waker),
                file_dialog: options.file_dialog,
                demo_dir: options.demo_dir,
                messages: Vec::new(),
                message_log: std::collections::VecDeque::new(),
                activity,
                document: Document::untitled(crate::session::untitled_path(
                    options.data_dir.as_deref(),
                )),
                data_dir: options.data_dir,
                saves: crate::session::Saves::new(options.autosave_interval, "the Syrinx app"),
                generation: 0,
                loading_project: false,
                dialog_open: false,
                unstarted: Vec::new(),
                requests: Vec::new(),
            },
            prefs,
            workspace: Workspace::new(
                TileEngine::new(TILE_CACHE_BYTES, options.tile_threads, Arc::clone(&waker)),
                Player::new(options.audio_output, Some(Arc::clone(&waker))),
            ),
            ui: UiState {
                go_to_text: String::new(),
                path_text: String::new(),
                show_shortcuts: false,
                jobs: crate::gui::jobs_window::JobsWindow::default(),
                queued_commands: Vec::new(),
                palette: crate::gui::palette::Palette::default(),
                messages: crate::gui::messages::MessagesView::default(),
                frame_stats: FrameStats::default(),
                print_frame_stats: options.frame_stats,
                projects: crate::gui::projects::ProjectFlows::default(),
                window_title: String::new(),
                show_getting_started: false,
                training: crate::gui::training::TrainingWindow::default(),
                detect: crate::gui::detection::DetectWindow::default(),
                review: crate::gui::review::ReviewState::default(),
                similar: crate::gui::similar::SimilarWindow::default(),
            },
        };
        // The embedder chosen in an earlier session is offered again.
        app.ui.training.embedder.clone_from(&app.prefs.embedder);
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
            // A first start: the first session, step by step, beside the demo.
            app.ui.show_getting_started = true;
        }
        app
    }

    pub(super) fn save_preferences(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.last_session.clear();
        self.prefs.last_project = self.session.document.save_path().map(Path::to_path_buf);
        eframe::set_value(storage, PREFERENCES_KEY, &self.prefs);
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
        self.workspace.player.stop();
        // A run in progress stops at its next batch; nothing of the project depends on it.
        self.ui.training.cancel();
        // Scores already in are kept; the run keeps its pending list and resumes later.
        self.ui.detect.cancel();
        workbench!(self).save_before_exit();
        if self.ui.print_frame_stats {
            eprintln!("{}", self.ui.frame_stats.summary());
        }
    }
}

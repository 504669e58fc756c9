//! The app's life: made from its options (preferences, the last project, the demo on first
//! run), each frame handed to `ui_root`, and what it saves when the window closes.

use std::path::Path;
use std::sync::Arc;

use eframe::egui;

use crate::gui::annotate::Annotator;
use crate::gui::frame_stats::FrameStats;
use crate::gui::model_view::ModelView;
use crate::gui::prefs::{PREFERENCES_KEY, Preferences};
use crate::gui::selection_table::SelectionTable;
use crate::gui::textures::TextureCache;
use crate::playback::Player;
use crate::session::Document;
use crate::spectrogram::TileEngine;

use super::{Activity, AppOptions, Session, SyrinxApp, TILE_CACHE_BYTES, UiState, commands};

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
            },
            prefs,
            ui: UiState {
                engine: TileEngine::new(TILE_CACHE_BYTES, options.tile_threads, Arc::clone(&waker)),
                player: Player::new(options.audio_output, Some(Arc::clone(&waker))),
                playing_recording: None,
                textures: TextureCache::default(),
                model_view: ModelView::default(),
                overview: None,
                recordings: Vec::new(),
                active: None,
                opening: Vec::new(),
                first_screen_pending: Vec::new(),
                next_id: 1,
                next_order: 0,
                focus_next: None,
                last_request: (Vec::new(), Vec::new()),
                hover: None,
                go_to_text: String::new(),
                path_text: String::new(),
                show_shortcuts: false,
                show_jobs: false,
                jobs_window_had_rows: false,
                queued_commands: Vec::new(),
                palette: commands::Palette::default(),
                show_message_log: false,
                dialog_open: false,
                frame_stats: FrameStats::default(),
                print_frame_stats: options.frame_stats,
                annotator: Annotator::default(),
                table: SelectionTable::default(),
                import: None,
                restore: None,
                failed_project: None,
                prompt: None,
                export: None,
                show_labels: false,
                new_label: String::new(),
                pending_jump: None,
                measurement: None,
                play_band_limited: true,
                window_title: String::new(),
                primary_plot: None,
                show_getting_started: false,
                spectrogram_focused: false,
                notifications_hovered: false,
                counts: ((u64::MAX, 0), Arc::default()),
                training: crate::gui::training::TrainingWindow::default(),
                detect: crate::gui::detection::DetectWindow::default(),
                review: crate::gui::review::ReviewState::default(),
                pending_detection: false,
                pending_span: None,
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
        self.ui.player.stop();
        // A run in progress stops at its next batch; nothing of the project depends on it.
        self.ui.training.cancel();
        // Scores already in are kept; the run keeps its pending list and resumes later.
        self.ui.detect.cancel();
        self.save_before_exit();
        if self.ui.print_frame_stats {
            eprintln!("{}", self.ui.frame_stats.summary());
        }
    }
}

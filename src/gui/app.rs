//! The workbench window: open recordings, the spectrogram panes, live settings, playback.
//! Everything slow (opening files, tiles, the model view, playback, the demo) runs on background
//! threads; this file only schedules it and draws what has arrived.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use eframe::egui;

use super::files::{FileDialog, is_audio_path};
use super::frame_stats::FrameStats;
use super::model_view::ModelView;
use super::prefs::{PREFERENCES_KEY, PaneSettings, Preferences};
use super::settings_panel::pane_settings_ui;
use super::spectrogram_view::{HoverReadout, PaneInput, overview_ui, spectrogram_pane_ui};
use super::textures::{Colorizer, TextureCache, image_of_columns};
use crate::audio::{AudioError, AudioReader, ChannelMode, RecordingInfo};
use crate::playback::{AudioOutput, PlaybackRequest, Player, SPEED_RANGE};
use crate::spectrogram::{RecordingId, SpectrogramKey, TileEngine, TileKey};
use crate::timefmt::{format_time_secs, parse_time_secs};
use crate::viewport::{ViewStep, Viewport};

/// Memory for cached tiles.
const TILE_CACHE_BYTES: usize = 384 * 1024 * 1024;
/// Messages kept on screen.
const MAX_MESSAGES: usize = 6;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
}

/// What background threads send back.
enum Event {
    Opened(PathBuf, u64, Box<Result<AudioReader, AudioError>>),
    DemoReady(Result<Vec<PathBuf>, String>),
    Picked(Option<Vec<PathBuf>>),
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
    events: Receiver<Event>,
    sender: Sender<Event>,
    waker: Arc<dyn Fn() + Send + Sync>,
    file_dialog: Arc<dyn FileDialog>,
    demo_dir: Option<PathBuf>,
    /// Files being opened (shown as "opening…").
    pub opening: Vec<PathBuf>,
    /// When each recording was asked for, until its first screen is complete (time to first
    /// screen, reported with `--frame-stats`).
    first_screen_pending: Vec<(PathBuf, Instant)>,
    pub messages: Vec<Message>,
    next_id: u64,
    next_order: u64,
    /// The recording to show when it has opened.
    focus_next: Option<PathBuf>,
    last_request: (Vec<TileKey>, Vec<SpectrogramKey>),
    pub hover: Option<HoverReadout>,
    pub go_to_text: String,
    pub path_text: String,
    show_shortcuts: bool,
    dialog_open: bool,
    pub frame_stats: FrameStats,
    print_frame_stats: bool,
    activity: Arc<Activity>,
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
        let (sender, events) = channel();
        let mut app = Self {
            engine: TileEngine::new(TILE_CACHE_BYTES, options.tile_threads, Arc::clone(&waker)),
            player: Player::new(options.audio_output, Some(Arc::clone(&waker))),
            playing_recording: None,
            textures: TextureCache::default(),
            model_view: ModelView::default(),
            overview: None,
            recordings: Vec::new(),
            active: None,
            events,
            sender,
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
            dialog_open: false,
            frame_stats: FrameStats::default(),
            print_frame_stats: options.frame_stats,
            activity,
            prefs,
        };
        let mut files = options.files;
        if files.is_empty() {
            files = app
                .prefs
                .last_session
                .iter()
                .filter(|p| p.exists())
                .cloned()
                .collect();
        }
        if !files.is_empty() {
            app.open_paths(files);
        } else if options.open_demo_on_first_run && !app.prefs.demo_offered {
            app.open_demo();
        }
        app
    }

    /// Starts opening recordings in the background (already open ones are just shown); the first
    /// of them becomes the active recording when it arrives.
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        self.focus_next = paths.first().cloned();
        for path in paths {
            if let Some(open) = self.recordings.iter().find(|r| r.path == path) {
                self.active = Some(open.id);
                continue;
            }
            if self.opening.contains(&path) {
                continue;
            }
            self.opening.push(path.clone());
            self.first_screen_pending
                .push((path.clone(), Instant::now()));
            let order = self.next_order;
            self.next_order += 1;
            let sender = self.sender.clone();
            let waker = Arc::clone(&self.waker);
            let spawned = std::thread::Builder::new()
                .name("syrinx-open".to_owned())
                .spawn(move || {
                    let result = AudioReader::open(&path);
                    let _ = sender.send(Event::Opened(path, order, Box::new(result)));
                    waker();
                });
            if let Err(e) = spawned {
                self.error(format!("cannot start opening a file: {e}"));
            }
        }
    }

    /// Writes the demo (first time only) and opens its training recordings.
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
        let sender = self.sender.clone();
        let waker = Arc::clone(&self.waker);
        let _ = std::thread::Builder::new()
            .name("syrinx-demo".to_owned())
            .spawn(move || {
                let result = (|| {
                    if !dir.join("README.txt").exists() {
                        crate::demo::write_demo(&dir).map_err(|e| e.to_string())?;
                    }
                    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("train"))
                        .map_err(|e| {
                            format!("cannot read the demo folder: {e}: {}", dir.display())
                        })?
                        .filter_map(|entry| entry.ok().map(|e| e.path()))
                        .filter(|p| is_audio_path(p))
                        .collect();
                    files.sort();
                    Ok(files)
                })();
                let _ = sender.send(Event::DemoReady(result));
                waker();
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
        let sender = self.sender.clone();
        let waker = Arc::clone(&self.waker);
        let _ = std::thread::Builder::new()
            .name("syrinx-file-dialog".to_owned())
            .spawn(move || {
                let picked = dialog.pick_audio_files(folder.as_deref());
                let _ = sender.send(Event::Picked(picked));
                waker();
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
        });
    }

    fn info(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: false,
        });
    }

    fn push_message(&mut self, message: Message) {
        if !self.messages.contains(&message) {
            self.messages.push(message);
        }
        while self.messages.len() > MAX_MESSAGES {
            self.messages.remove(0);
        }
    }

    /// Takes what background threads finished.
    fn poll_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            match event {
                Event::Opened(path, order, result) => {
                    self.opening.retain(|p| p != &path);
                    match *result {
                        Ok(reader) => self.add_recording(path, order, reader),
                        Err(error) => {
                            self.first_screen_pending.retain(|(p, _)| p != &path);
                            self.error(error.to_string());
                        }
                    }
                }
                Event::DemoReady(Ok(files)) => {
                    self.messages
                        .retain(|m| !m.text.starts_with("preparing the demo"));
                    self.open_paths(files);
                }
                Event::DemoReady(Err(error)) => self.error(error),
                Event::Picked(picked) => {
                    self.dialog_open = false;
                    match picked {
                        Some(files) => self.open_paths(files),
                        None => self.info(
                            "No files chosen. If no dialog appeared (no desktop portal), type a path in File > Open path."
                                .to_owned(),
                        ),
                    }
                }
            }
        }
        for error in self.engine.take_errors() {
            self.error(error);
        }
        if let Some(error) = self.player.take_error() {
            self.error(error.to_string());
        }
    }

    fn add_recording(&mut self, path: PathBuf, order: u64, reader: AudioReader) {
        let id = RecordingId(self.next_id);
        self.next_id += 1;
        let info = reader.info().clone();
        for warning in &info.warnings {
            self.info(format!("{}: {warning}", path.display()));
        }
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
        self.play_span(start, end);
    }

    /// Plays what is on screen.
    pub fn play_visible(&mut self) {
        let Some(recording) = self.active_recording() else {
            return;
        };
        let (start, end) = (recording.viewport.start_secs, recording.viewport.end_secs());
        self.play_span(start, end);
    }

    fn play_span(&mut self, start_secs: f64, end_secs: f64) {
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
            filter: self.prefs.playback_filter,
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

    /// Keyboard shortcuts (ignored while typing in a field).
    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        use egui::{Key, KeyboardShortcut, Modifiers};
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let go_to = KeyboardShortcut::new(Modifiers::COMMAND, Key::G);
        let quit = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
        if ctx.input_mut(|i| i.consume_shortcut(&quit)) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.pick_files();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&go_to)) {
            ctx.memory_mut(|m| m.request_focus(egui::Id::unique("go to time")));
        }
        let (space, shift_space, follow, steps) = ctx.input(|i| {
            let steps: Vec<ViewStep> = VIEW_KEYS
                .iter()
                .filter(|(keys, _)| keys.iter().any(|k| i.key_pressed(*k)))
                .map(|(_, step)| *step)
                .collect();
            let space = i.key_pressed(Key::Space);
            (
                space && !i.modifiers.shift,
                space && i.modifiers.shift,
                i.key_pressed(Key::F),
                steps,
            )
        });
        if space {
            self.toggle_playback();
        }
        if shift_space {
            self.play_visible();
        }
        if follow {
            self.prefs.follow_playback = !self.prefs.follow_playback;
        }
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
        self.model_view.poll(&ctx, &self.waker);
        self.accept_dropped_files(&ctx);
        self.shortcuts(&ctx);
        self.menu_bar(ui);
        self.toolbar(ui);
        self.messages_panel(ui);
        self.recordings_panel(ui);
        if self.prefs.show_settings_panel {
            self.settings_panel(ui);
        }
        egui::CentralPanel::default().show(ui, |ui| self.central(ui));
        if self.show_shortcuts {
            self.shortcuts_window(&ctx);
        }
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
                ui.menu_button("File", |ui| {
                    if ui
                        .button("Open recordings…")
                        .on_hover_text("Ctrl+O")
                        .clicked()
                    {
                        self.pick_files();
                        ui.close();
                    }
                    ui.label("Open path:");
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut self.path_text)
                            .hint_text("/path/to/recording.wav"),
                    );
                    if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
                        || ui.button("Open this path").clicked()
                    {
                        let path = PathBuf::from(self.path_text.trim());
                        if !self.path_text.trim().is_empty() {
                            self.open_paths(vec![path]);
                        }
                        ui.close();
                    }
                    ui.menu_button("Recent", |ui| {
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
                    if ui.button("Open the demo").clicked() {
                        self.open_demo();
                        ui.close();
                    }
                    if let Some(id) = self.active
                        && ui.button("Close recording").clicked()
                    {
                        self.close_recording(id);
                        ui.close();
                    }
                    ui.separator();
                    if ui.button("Quit").on_hover_text("Ctrl+Q").clicked() {
                        ui.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.menu_button("View", |ui| {
                    ui.checkbox(&mut self.prefs.compare_mode, "Compare two settings");
                    ui.checkbox(
                        &mut self.prefs.show_settings_panel,
                        "Spectrogram settings panel",
                    );
                    ui.checkbox(&mut self.prefs.show_model_view, "What the model sees");
                    if ui
                        .checkbox(&mut self.prefs.dark_theme, "Dark theme")
                        .changed()
                    {
                        ui.ctx().set_theme(if self.prefs.dark_theme {
                            egui::Theme::Dark
                        } else {
                            egui::Theme::Light
                        });
                    }
                    if ui.button("Reset frequency zoom").clicked()
                        && let Some(recording) = self.active_recording_mut()
                    {
                        recording.viewport.reset_frequency();
                    }
                });
                ui.menu_button("Playback", |ui| {
                    if ui
                        .button(if self.player.is_playing() {
                            "Stop (Space)"
                        } else {
                            "Play (Space)"
                        })
                        .clicked()
                    {
                        self.toggle_playback();
                        ui.close();
                    }
                    if ui.button("Play visible range (Shift+Space)").clicked() {
                        self.play_visible();
                        ui.close();
                    }
                    ui.checkbox(&mut self.prefs.follow_playback, "View follows playback (F)");
                });
                ui.menu_button("Help", |ui| {
                    if ui.button("Keyboard shortcuts").clicked() {
                        self.show_shortcuts = true;
                        ui.close();
                    }
                });
            });
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
                ui.checkbox(&mut self.prefs.follow_playback, "follow");
                ui.separator();
                let label = ui.label("Go to");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.go_to_text)
                            .id(egui::Id::unique("go to time"))
                            .desired_width(80.0)
                            .hint_text("h:mm:ss"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Ctrl+G; seconds, m:ss or h:mm:ss");
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    self.go_to();
                }
                if ui.button("Go").clicked() {
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

    fn messages_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            let mut dismiss = None;
            for (i, message) in self.messages.iter().enumerate() {
                ui.horizontal(|ui| {
                    let color = if message.is_error {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().text_color()
                    };
                    if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                        dismiss = Some(i);
                    }
                    ui.colored_label(color, &message.text);
                });
            }
            if let Some(i) = dismiss {
                self.messages.remove(i);
            }
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
                    let p95 = self.frame_stats.percentile_ms(95.0).unwrap_or(0.0);
                    ui.weak(format!(
                        "frame p95 {p95:.1} ms · tiles {:.0} MB",
                        self.engine.cache_bytes() as f64 / 1e6
                    ));
                    if !self.opening.is_empty() {
                        ui.spinner();
                        ui.weak(format!("opening {}…", self.opening.len()));
                    }
                });
            });
        });
    }

    fn recordings_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("recordings")
            .resizable(true)
            .default_size(220.0)
            .show(ui, |ui| {
                ui.heading("Recordings");
                let mut close = None;
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for recording in &self.recordings {
                        ui.horizontal(|ui| {
                            if ui.small_button("×").on_hover_text("Close").clicked() {
                                close = Some(recording.id);
                            }
                            let selected = self.active == Some(recording.id);
                            let text = format!(
                                "{}\n{} · {:.1} kHz · {} ch",
                                recording.name(),
                                format_time_secs(
                                    recording.info.duration_secs(),
                                    recording.info.duration_secs()
                                ),
                                f64::from(recording.info.sample_rate_hz) / 1000.0,
                                recording.info.channels
                            );
                            if ui
                                .selectable_label(selected, text)
                                .on_hover_text(recording.path.display().to_string())
                                .clicked()
                            {
                                self.active = Some(recording.id);
                            }
                        });
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
                });
                if let Some(id) = close {
                    self.close_recording(id);
                }
            });
    }

    fn settings_panel(&mut self, ui: &mut egui::Ui) {
        let rate = self.active_recording().map(|r| r.info.sample_rate_hz);
        egui::Panel::right("settings")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
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
        let recording = &mut self.recordings[index];
        if let Some(secs) = overview_target {
            recording.viewport.center_on(secs);
        }
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
        for (settings, show_time_axis, title) in panes {
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
                },
                pane_height,
            );
            wanted.extend(output.wanted_tiles);
            summaries.extend(output.summary);
            loading |= output.loading;
            if let Some(secs) = output.clicked_secs {
                recording.cursor_secs = Some(secs);
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
            if ui.button("Open recordings…").clicked() {
                self.pick_files();
            }
            if ui.button("Open the demo").clicked() {
                self.open_demo();
            }
            ui.add_space(8.0);
            ui.label("or type a path (or drop files onto the window):");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.path_text).hint_text("/path/to/recording.wav"),
            );
            if field.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && !self.path_text.trim().is_empty()
            {
                self.open_paths(vec![PathBuf::from(self.path_text.trim())]);
            }
        });
    }

    fn shortcuts_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_shortcuts;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (keys, action) in SHORTCUTS {
                        ui.monospace(*keys);
                        ui.label(*action);
                        ui.end_row();
                    }
                });
            });
        self.show_shortcuts = open;
    }

    fn save_preferences(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.last_session = self.recordings.iter().map(|r| r.path.clone()).collect();
        eframe::set_value(storage, PREFERENCES_KEY, &self.prefs);
    }
}

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

/// Every shortcut, for the help window and the README.
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Space",
        "play / stop from the cursor (or the visible start)",
    ),
    ("Shift+Space", "play the visible range"),
    ("Left / Right", "pan by a tenth of the view"),
    ("Page Up / Page Down", "previous / next page (10 % overlap)"),
    ("Home / End", "start / end of the recording"),
    ("+ / −", "zoom time in / out"),
    ("Up / Down", "zoom frequency in / out"),
    ("wheel", "pan time"),
    ("Ctrl+wheel", "zoom time at the pointer"),
    ("Shift+wheel", "zoom frequency at the pointer"),
    ("drag", "pan (time, and frequency when zoomed)"),
    ("click", "set the cursor"),
    ("F", "view follows playback on/off"),
    ("Ctrl+G", "go to time"),
    ("Ctrl+O", "open recordings"),
    ("Ctrl+Q", "quit"),
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
        if self.print_frame_stats {
            eprintln!("{}", self.frame_stats.summary());
        }
    }
}

/// Where the demo goes: the app's data folder.
#[must_use]
pub fn default_demo_dir() -> Option<PathBuf> {
    eframe::storage_dir(super::APP_ID).map(|dir| dir.join("demo"))
}

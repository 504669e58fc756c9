//! The window's layout: the menu bar (made from the command table) and the toolbar, the right
//! side panel (Spectrogram | Review tabs), the settings panel, the central spectrogram panes
//! with their overview, and the welcome screen.

use std::path::PathBuf;

use eframe::egui;

use crate::audio::ChannelMode;
use crate::gui::commands::Menu;
use crate::gui::prefs::PaneSettings;
use crate::gui::settings_panel::pane_settings_ui;
use crate::gui::spectrogram_view::{PaneInput, overview_ui, spectrogram_pane_ui};
use crate::gui::textures::{Colorizer, image_of_columns};
use crate::playback::SPEED_RANGE;
use crate::spectrogram::SpectrogramKey;
use crate::spectrogram::viewport::ViewStep;
use crate::util::timefmt::format_time_secs;

use super::{
    GO_TO_FIELD, Overview, SIDE_PANEL_MIN_WIDTH, SIDE_PANEL_WIDTH, SyrinxApp, edit_target,
    filter_field_ui, pane_title,
};

impl SyrinxApp {
    pub(super) fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                for menu in Menu::all() {
                    ui.menu_button(menu.name(), |ui| self.command_menu_ui(ui, menu));
                }
            });
        });
    }

    pub(super) fn recent_projects_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Recent projects", |ui| {
            if self.prefs.recent_projects.is_empty() {
                ui.label("No recent projects");
            }
            for path in self.prefs.recent_projects.clone() {
                if ui.button(path.display().to_string()).clicked() {
                    workbench!(self).open_project(path);
                    ui.close();
                }
            }
        });
    }

    pub(super) fn recent_recordings_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Recent recordings", |ui| {
            if self.prefs.recent_files.is_empty() {
                ui.label("No recent files");
            }
            for path in self.prefs.recent_files.clone() {
                if ui.button(path.display().to_string()).clicked() {
                    workbench!(self).open_paths(vec![path]);
                    ui.close();
                }
            }
        });
    }

    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let playing = self.workspace.player.is_playing();
                if ui
                    .button(if playing { "Stop" } else { "Play" })
                    .on_hover_text("Space: play from the cursor")
                    .clicked()
                {
                    workbench!(self).toggle_playback();
                }
                if ui
                    .button("Play visible")
                    .on_hover_text("Shift+Space: play what is on screen")
                    .clicked()
                {
                    workbench!(self).play_visible();
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
                filter_field_ui(
                    ui,
                    "high-pass",
                    &mut self.prefs.playback_filter.high_pass_hz,
                    1000.0,
                );
                filter_field_ui(
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
                        egui::TextEdit::singleline(&mut self.ui.go_to_text)
                            .id(egui::Id::unique(GO_TO_FIELD))
                            .desired_width(80.0)
                            .hint_text("h:mm:ss"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Ctrl+G; seconds, m:ss or h:mm:ss");
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    workbench!(self).go_to(&self.ui.go_to_text);
                }
                if ui
                    .button("Go")
                    .on_hover_text("Centre the view on this time")
                    .clicked()
                {
                    workbench!(self).go_to(&self.ui.go_to_text);
                }
                ui.separator();
                if let Some(recording) = self.workspace.active_recording_mut() {
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

    /// The right side: the spectrogram settings and Review share it as tabs, so opening Review
    /// never takes a second strip off the spectrogram. Collapsed, it is a narrow strip.
    pub(super) fn side_panel_ui(&mut self, ui: &mut egui::Ui) {
        if !self.prefs.show_settings_panel && !self.ui.review.open {
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
                    let review = self.ui.review.open;
                    if ui
                        .selectable_label(!review, "Spectrogram")
                        .on_hover_text("Window size, overlap, scale, colours; what the model sees")
                        .clicked()
                    {
                        self.ui.review.open = false;
                        self.prefs.show_settings_panel = true;
                    }
                    if ui
                        .selectable_label(review, "Review")
                        .on_hover_text("Ctrl+R: review detections, close the loop, iterations")
                        .clicked()
                        && !review
                    {
                        self.ui.review.open_panel(&mut workbench!(self));
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .small_button("»")
                            .on_hover_text("Hide the side panel (View menu, Ctrl+R bring it back)")
                            .clicked()
                        {
                            self.ui.review.open = false;
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
                        if self.ui.review.open {
                            self.ui.review.panel(&mut workbench!(self), ui);
                        } else {
                            self.settings_panel_ui(ui);
                        }
                    });
            });
    }

    /// The Spectrogram tab's contents.
    pub(super) fn settings_panel_ui(&mut self, ui: &mut egui::Ui) {
        let rate = self
            .workspace
            .active_recording()
            .map(|r| r.info.sample_rate_hz);
        egui::ScrollArea::vertical()
            .id_salt("settings scroll")
            .show(ui, |ui| {
                let defaults = crate::gui::prefs::Preferences::default();
                ui.heading("Spectrogram");
                pane_settings_ui(
                    ui,
                    &mut self.prefs.primary,
                    &defaults.primary,
                    rate,
                    "primary",
                );
                if self.prefs.compare_mode {
                    ui.separator();
                    ui.heading("Lower pane");
                    pane_settings_ui(
                        ui,
                        &mut self.prefs.compare,
                        &defaults.compare,
                        rate,
                        "compare",
                    );
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
                    self.workspace.model_view.view_ui(ui);
                }
            });
    }

    pub(super) fn central_ui(&mut self, ui: &mut egui::Ui) {
        let Some(index) = self
            .workspace
            .active
            .and_then(|id| self.workspace.recordings.iter().position(|r| r.id == id))
        else {
            self.welcome_ui(ui);
            return;
        };
        let ctx = ui.ctx().clone();
        let playhead = self.workspace.playhead_secs();
        let compare = self.prefs.compare_mode;
        let (primary, lower) = (self.prefs.primary, self.prefs.compare);

        // Overview of the whole recording from the primary pane's summary.
        let overview_target = {
            let key = SpectrogramKey {
                recording: self.workspace.recordings[index].id,
                params: primary.params,
                channel: ChannelMode::Mix,
            };
            self.update_overview(&ctx, key, &primary);
            let recording = &self.workspace.recordings[index];
            let (texture, progress) = match &self.workspace.overview {
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
            let recording = &self.workspace.recordings[index];
            let view = &recording.viewport;
            self.ui.review.detection_views(
                &self.session.document.project,
                recording.project_id,
                view.start_secs - view.span_secs,
                view.end_secs() + view.span_secs,
            )
        };
        let recording = &mut self.workspace.recordings[index];
        if let Some(secs) = overview_target {
            recording.viewport.center_on(secs);
        }
        let target = edit_target(recording, &self.session.document);
        let available = ui.available_height();
        let area = ui.available_rect_before_wrap();
        // Side by side while each pane keeps a usable width; stacked when the window (or the
        // text size) leaves less.
        let side_by_side = compare
            && self.prefs.compare_side_by_side
            && area.width() / 2.0 >= MIN_SIDE_BY_SIDE_PANE;
        let pane_height = if compare && !side_by_side {
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
                (primary, side_by_side, Some(pane_title(&primary))),
                (lower, true, Some(pane_title(&lower))),
            ]
        } else {
            vec![(primary, true, None)]
        };
        for (pane_index, (settings, show_time_axis, title)) in panes.into_iter().enumerate() {
            let boxes = self.workspace.annotator.boxes(
                &self.session.document,
                &target,
                recording.viewport.start_secs,
                recording.viewport.end_secs(),
            );
            // Side by side: each pane in its half of the area, both with a time axis.
            let mut half = side_by_side.then(|| {
                let width = area.width() / 2.0;
                let rect = egui::Rect::from_min_size(
                    egui::pos2(area.left() + width * pane_index as f32, area.top()),
                    egui::vec2(width, pane_height),
                );
                ui.new_child(egui::UiBuilder::new().max_rect(rect))
            });
            let output = spectrogram_pane_ui(
                half.as_mut().unwrap_or(ui),
                &mut recording.viewport,
                PaneInput {
                    engine: &self.workspace.engine,
                    textures: &mut self.workspace.textures,
                    recording: recording.id,
                    info: &recording.info,
                    settings: &settings,
                    channel: ChannelMode::Mix,
                    playhead_secs: playhead,
                    cursor_secs: recording.cursor_secs,
                    show_time_axis,
                    title,
                    boxes: &boxes,
                    preview: self.workspace.annotator.preview(&target),
                    detections: &detections,
                },
                pane_height,
            );
            if pane_index == 0 {
                self.workspace.primary_plot = output.plot;
            }
            wanted.extend(output.wanted_tiles);
            summaries.extend(output.summary);
            loading |= output.loading;
            if let Some(event) = output.pointer {
                self.workspace.spectrogram_focused = true;
                let drew = matches!(
                    event,
                    crate::gui::spectrogram_view::PanePointer::Released { .. }
                );
                if let Some(secs) =
                    self.workspace
                        .annotator
                        .pointer(&mut self.session.document, &target, event)
                {
                    recording.cursor_secs = Some(secs);
                }
                if drew {
                    crate::gui::workbench::remember_label(
                        &mut self.session.document,
                        &self.workspace.annotator,
                    );
                }
            }
            hover = hover.or(output.hover);
        }
        if side_by_side {
            ui.allocate_rect(
                egui::Rect::from_min_size(area.min, egui::vec2(area.width(), pane_height)),
                egui::Sense::hover(),
            );
        }
        self.workspace.hover = hover;
        if !loading {
            let path = self.workspace.recordings[index].path.clone();
            if let Some(at) = self
                .workspace
                .first_screen_pending
                .iter()
                .position(|(p, _)| *p == path)
            {
                let (_, asked) = self.workspace.first_screen_pending.remove(at);
                let millis = asked.elapsed().as_secs_f64() * 1e3;
                if self.ui.print_frame_stats {
                    eprintln!(
                        "first screen of {} after {millis:.0} ms (from asking to open it)",
                        path.display()
                    );
                }
            }
        }
        let request = (wanted, summaries);
        if request != self.workspace.last_request {
            self.workspace.engine.request(&request.0, &request.1);
            self.workspace.last_request = request;
        }
        if self.prefs.show_model_view
            && let Some(h) = hover
        {
            let reader = &self.workspace.recordings[index].reader;
            self.workspace
                .model_view
                .request(reader, h.secs, &self.session.waker);
        }
    }

    /// Rebuilds the overview texture when the summary has grown or the colours changed.
    pub(super) fn update_overview(
        &mut self,
        ctx: &egui::Context,
        key: SpectrogramKey,
        settings: &PaneSettings,
    ) {
        let Some(progress) = self.workspace.engine.summary_progress(&key) else {
            return;
        };
        let current = self
            .workspace
            .overview
            .as_ref()
            .filter(|o| o.key == key && o.display == settings.display);
        if current.is_some_and(|o| o.columns_done == progress.columns_done) {
            return;
        }
        let Some(overview) = self.workspace.engine.overview(&key) else {
            return;
        };
        let image = image_of_columns(
            &overview.db,
            overview.columns,
            overview.rows,
            &Colorizer::new(&settings.display),
            ctx.input(|i| i.max_texture_side),
        );
        let texture = ctx.load_texture("overview", image, egui::TextureOptions::LINEAR);
        self.workspace.overview = Some(Overview {
            key,
            columns_done: progress.columns_done,
            display: settings.display,
            texture,
            progress: overview.progress,
        });
    }

    pub(super) fn welcome_ui(&mut self, ui: &mut egui::Ui) {
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
                workbench!(self).pick_files();
            }
            if ui
                .button("Open the demo")
                .on_hover_text("Fifteen one-minute recordings of an invented warbler: annotated, to survey and to test")
                .clicked()
            {
                workbench!(self).open_demo();
            }
            ui.add_space(8.0);
            ui.label("or type a path (or drop files onto the window):");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.ui.path_text)
                        .hint_text("/path/to/recording.wav"),
                )
                .on_hover_text("A recording, a folder or a .syrinx project; Enter opens it");
            if field.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && !self.ui.path_text.trim().is_empty()
            {
                workbench!(self).open_paths(vec![PathBuf::from(self.ui.path_text.trim())]);
            }
        });
    }
}

/// The narrowest a compare pane gets beside the other (points; below it they stack).
const MIN_SIDE_BY_SIDE_PANE: f32 = 240.0;

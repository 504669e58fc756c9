//! The menu bar (made from the command table) and the toolbar.

use eframe::egui;

use crate::gui::commands::Menu;
use crate::playback::SPEED_RANGE;
use crate::spectrogram::viewport::ViewStep;
use crate::util::timefmt::format_time_secs;

use super::{GO_TO_FIELD, SyrinxApp, filter_field_ui};

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
                    self.open_project(path);
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
                    self.open_paths(vec![path]);
                    ui.close();
                }
            }
        });
    }

    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let playing = self.ui.player.is_playing();
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
}

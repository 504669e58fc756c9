//! Messages: info and errors as notifications, the bottom messages area, and the log of the
//! session (Help > Messages).

use eframe::egui;

use crate::gui::toasts;
use crate::gui::toasts::Message;
use crate::util::timefmt::format_time_secs;

use super::{MAX_LOGGED_MESSAGES, MAX_MESSAGES, SyrinxApp};

impl SyrinxApp {
    pub(super) fn error(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: true,
            shown_secs: None,
        });
    }

    pub(super) fn info(&mut self, text: String) {
        self.push_message(Message {
            text,
            is_error: false,
            shown_secs: None,
        });
    }

    pub(super) fn push_message(&mut self, message: Message) {
        self.session.message_log.push_back(message.clone());
        while self.session.message_log.len() > MAX_LOGGED_MESSAGES {
            self.session.message_log.pop_front();
        }
        // The same message again is shown afresh, not twice.
        self.session
            .messages
            .retain(|m| m.text != message.text || m.is_error != message.is_error);
        self.session.messages.push(message);
        while self.session.messages.len() > MAX_MESSAGES {
            self.session.messages.remove(0);
        }
    }

    /// Notifications over the bottom-right corner (they never move the layout) and the status
    /// bar: one line, whatever the messages.
    pub(super) fn messages_panel_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let now_secs = ctx.input(|i| i.time);
        let hovered = self.ui.notifications_hovered;
        if let Some(secs) = toasts::prune(&mut self.session.messages, now_secs, hovered) {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(secs.max(0.05)));
        }
        let hidden = self
            .session
            .message_log
            .len()
            .saturating_sub(self.session.messages.len());
        let (dismiss, open_log, hovered) = toasts::show(&ctx, &self.session.messages, hidden);
        self.ui.notifications_hovered = hovered;
        if let Some(i) = dismiss {
            self.session.messages.remove(i);
        }
        if open_log {
            self.ui.show_message_log = true;
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                match self.ui.hover {
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
                    if self.ui.print_frame_stats {
                        let p95 = self.ui.frame_stats.percentile_ms(95.0).unwrap_or(0.0);
                        ui.weak(format!(
                            "frame p95 {p95:.1} ms · tiles {:.0} MB",
                            self.ui.engine.cache_bytes() as f64 / 1e6
                        ));
                    }
                    if ui
                        .small_button(format!("Messages ({})", self.session.message_log.len()))
                        .on_hover_text("Every message and error of this session")
                        .clicked()
                    {
                        self.ui.show_message_log = true;
                    }
                    self.jobs_button_ui(ui);
                    if !self.ui.opening.is_empty() {
                        ui.weak(format!("opening {}…", self.ui.opening.len()));
                    }
                });
            });
        });
    }

    /// Every message of the session, newest last, errors in red.
    pub(super) fn message_log_window(&mut self, ctx: &egui::Context) {
        let mut open = self.ui.show_message_log;
        let errors = self
            .session
            .message_log
            .iter()
            .filter(|m| m.is_error)
            .count();
        egui::Window::new("Messages")
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} message(s), {errors} error(s) this session",
                    self.session.message_log.len()
                ));
                ui.horizontal(|ui| {
                    if ui
                        .button("Copy all")
                        .on_hover_text("Copy every message to the clipboard, one per line")
                        .clicked()
                    {
                        let text: Vec<&str> = self
                            .session
                            .message_log
                            .iter()
                            .map(|m| m.text.as_str())
                            .collect();
                        ui.ctx().copy_text(text.join("\n"));
                    }
                    if ui
                        .button("Clear")
                        .on_hover_text("Empty the log and the notifications")
                        .clicked()
                    {
                        self.session.message_log.clear();
                        self.session.messages.clear();
                    }
                });
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for message in &self.session.message_log {
                            if message.is_error {
                                ui.colored_label(ui.visuals().error_fg_color, &message.text);
                            } else {
                                ui.label(&message.text);
                            }
                        }
                    });
            });
        self.ui.show_message_log = open;
    }
}

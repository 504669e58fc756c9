//! Messages: info and errors as notifications, the status bar under the window, and the log
//! of the session (Help ▸ Messages).

use eframe::egui;

use crate::gui::frame_stats::FrameStats;
use crate::gui::jobs_window::JobsWindow;
use crate::gui::toasts;
use crate::gui::workbench::{Session, Workbench};
use crate::util::timefmt::format_time_secs;

/// The messages' windows: the log (open or not) and the notifications (pointed at or not).
#[derive(Debug, Default)]
pub struct MessagesView {
    /// Help ▸ Messages is open.
    pub log_open: bool,
    /// The pointer is on the notifications (they stay while it is).
    notifications_hovered: bool,
}

impl MessagesView {
    /// Notifications over the bottom-right corner (they never move the layout) and the status
    /// bar: one line, whatever the messages.
    pub fn status_ui(
        &mut self,
        ui: &mut egui::Ui,
        bench: &mut Workbench,
        jobs: &mut JobsWindow,
        job_count: usize,
        frame_stats: Option<&FrameStats>,
    ) {
        let ctx = ui.ctx().clone();
        let now_secs = ctx.input(|i| i.time);
        let hovered = self.notifications_hovered;
        if let Some(secs) = toasts::prune(&mut bench.session.messages, now_secs, hovered) {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(secs.max(0.05)));
        }
        let hidden = bench
            .session
            .message_log
            .len()
            .saturating_sub(bench.session.messages.len());
        let (dismiss, open_log, hovered) = toasts::show(&ctx, &bench.session.messages, hidden);
        self.notifications_hovered = hovered;
        if let Some(i) = dismiss {
            bench.session.messages.remove(i);
        }
        if open_log {
            self.log_open = true;
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                match bench.workspace.hover {
                    Some(h) => {
                        let duration = bench
                            .workspace
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
                    if let Some(frame_stats) = frame_stats {
                        let p95 = frame_stats.percentile_ms(95.0).unwrap_or(0.0);
                        ui.weak(format!(
                            "frame p95 {p95:.1} ms · tiles {:.0} MB",
                            bench.workspace.engine.cache_bytes() as f64 / 1e6
                        ));
                    }
                    if ui
                        .small_button(format!("Messages ({})", bench.session.message_log.len()))
                        .on_hover_text("Every message and error of this session")
                        .clicked()
                    {
                        self.log_open = true;
                    }
                    jobs.button_ui(ui, job_count);
                    if !bench.workspace.opening.is_empty() {
                        ui.weak(format!("opening {}…", bench.workspace.opening.len()));
                    }
                });
            });
        });
    }

    /// Every message of the session, newest last, errors in red.
    pub fn log_window(&mut self, ctx: &egui::Context, session: &mut Session) {
        let mut open = self.log_open;
        let errors = session.message_log.iter().filter(|m| m.is_error).count();
        egui::Window::new("Messages")
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{} message(s), {errors} error(s) this session",
                    session.message_log.len()
                ));
                ui.horizontal(|ui| {
                    if ui
                        .button("Copy all")
                        .on_hover_text("Copy every message to the clipboard, one per line")
                        .clicked()
                    {
                        let text: Vec<&str> = session
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
                        session.message_log.clear();
                        session.messages.clear();
                    }
                });
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for message in &session.message_log {
                            if message.is_error {
                                ui.colored_label(ui.visuals().error_fg_color, &message.text);
                            } else {
                                ui.label(&message.text);
                            }
                        }
                    });
            });
        self.log_open = open;
    }
}

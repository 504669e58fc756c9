//! One registry of what runs in the background, shown as the status bar's *Jobs (N)* and a
//! small window with a progress bar and a Cancel button per job: training, detection, and the
//! app's own jobs (opening, saving, reading folders).

use eframe::egui;

use crate::gui::detection::DetectWindow;
use crate::gui::training::TrainingWindow;
use crate::gui::workbench::Session;

/// What Cancel stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelTarget {
    Training,
    Detection,
    /// One of the app's jobs, by its place in the list.
    Job(usize),
}

/// A running job as the jobs window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub name: String,
    /// How far it is (`None`: it cannot tell).
    pub fraction: Option<f32>,
    pub detail: String,
    /// `None`: it cannot be stopped half-way (a save, say).
    pub cancel: Option<CancelTarget>,
    pub cancelling: bool,
}

/// The Jobs window: open or not, and whether it has shown a job since it opened.
#[derive(Debug, Default)]
pub struct JobsWindow {
    pub open: bool,
    had_rows: bool,
}

/// Everything running now, oldest kind first.
#[must_use]
pub fn rows(session: &Session, training: &TrainingWindow, detect: &DetectWindow) -> Vec<JobRow> {
    let mut rows = Vec::new();
    if training.is_running() {
        let progress = training.progress();
        rows.push(JobRow {
            name: "training".to_owned(),
            fraction: progress.map(|(fraction, _)| fraction),
            detail: progress
                .and_then(|(_, eta)| eta)
                .map_or_else(String::new, |secs| format!("about {secs:.0} s left")),
            cancel: Some(CancelTarget::Training),
            cancelling: false,
        });
    }
    if let Some(job) = &detect.job {
        let (index, files) = job.file;
        let (done, total) = job.secs;
        let within = if total > 0.0 { done / total } else { 0.0 };
        rows.push(JobRow {
            name: "detection".to_owned(),
            fraction: (files > 0).then(|| ((index as f64 + within) / files as f64) as f32),
            detail: format!(
                "recording {} of {files} · {} failed",
                (index + 1).min(files.max(1)),
                job.failed
            ),
            cancel: Some(CancelTarget::Detection),
            cancelling: job.job.is_cancelling(),
        });
    }
    for (index, (job, cancellable)) in session
        .jobs
        .iter()
        .map(|(job, cleanup)| (job, cleanup.is_cancellable()))
        .enumerate()
    {
        rows.push(JobRow {
            name: job.name().to_owned(),
            fraction: None,
            detail: String::new(),
            cancel: cancellable.then_some(CancelTarget::Job(index)),
            cancelling: job.is_cancelling(),
        });
    }
    rows
}

/// Asks a job to stop (it stops at its next check; what it did so far is kept or undone as
/// the job decides).
pub fn cancel(
    target: CancelTarget,
    session: &Session,
    training: &mut TrainingWindow,
    detect: &mut DetectWindow,
) {
    match target {
        CancelTarget::Training => training.cancel(),
        CancelTarget::Detection => detect.cancel(),
        CancelTarget::Job(index) => {
            if let Some((job, _)) = session.jobs.get(index) {
                job.cancel();
            }
        }
    }
}

impl JobsWindow {
    /// The status bar's button (only while something runs).
    pub fn button_ui(&mut self, ui: &mut egui::Ui, count: usize) {
        if count == 0 {
            return;
        }
        ui.spinner();
        if ui
            .small_button(format!("Jobs ({count})"))
            .on_hover_text("What runs in the background, with progress and Cancel")
            .clicked()
        {
            self.open = !self.open;
        }
    }

    /// The window over `rows` (when open); returns the jobs whose Cancel was clicked.
    pub fn show(&mut self, ctx: &egui::Context, rows: &[JobRow]) -> Vec<CancelTarget> {
        if !self.open {
            return Vec::new();
        }
        // Closes by itself when the last job it showed ends (it would only cover the
        // notification saying so); opened from the View menu with nothing running, it stays.
        if rows.is_empty() && std::mem::take(&mut self.had_rows) {
            self.open = false;
            return Vec::new();
        }
        self.had_rows |= !rows.is_empty();
        let mut open = true;
        let mut cancel = Vec::new();
        // Above the status bar's Jobs button, where the eye already is.
        let corner = ctx.content_rect().right_bottom() - egui::vec2(12.0, 32.0);
        egui::Window::new("Jobs")
            .open(&mut open)
            .resizable(false)
            .default_width(360.0)
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .default_pos(corner)
            .show(ctx, |ui| {
                if rows.is_empty() {
                    ui.weak("Nothing is running.");
                }
                egui::Grid::new("jobs").num_columns(3).show(ui, |ui| {
                    for row in rows {
                        ui.label(&row.name);
                        match row.fraction {
                            Some(fraction) => {
                                ui.add(
                                    egui::ProgressBar::new(fraction)
                                        .desired_width(160.0)
                                        .show_percentage(),
                                )
                                .on_hover_text(&row.detail);
                            }
                            None => {
                                ui.spinner();
                            }
                        }
                        if let Some(target) = row.cancel {
                            let button = ui.add_enabled(
                                !row.cancelling,
                                egui::Button::new(format!("Cancel {}", row.name)),
                            );
                            if button.clicked() {
                                cancel.push(target);
                            }
                        } else {
                            ui.weak("finishing");
                        }
                        ui.end_row();
                    }
                });
            });
        self.open = open;
        cancel
    }
}

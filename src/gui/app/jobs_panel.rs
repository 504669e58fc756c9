//! One registry of what runs in the background, shown as the status bar's *Jobs (N)* and a
//! small window with a progress bar and a Cancel button per job: training, detection, and the
//! app's own jobs (opening, saving, reading folders).

use eframe::egui;

use super::SyrinxApp;

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

impl SyrinxApp {
    /// Everything running now, oldest kind first.
    #[must_use]
    pub fn running_jobs(&self) -> Vec<JobRow> {
        let mut rows = Vec::new();
        if self.ui.training.is_running() {
            let progress = self.ui.training.progress();
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
        if let Some(job) = &self.ui.detect.job {
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
        for (index, (job, cancellable)) in self
            .session
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
    pub fn cancel_job(&mut self, target: CancelTarget) {
        match target {
            CancelTarget::Training => self.ui.training.cancel(),
            CancelTarget::Detection => self.ui.detect.cancel(),
            CancelTarget::Job(index) => {
                if let Some((job, _)) = self.session.jobs.get(index) {
                    job.cancel();
                }
            }
        }
    }

    /// The status bar's button (only while something runs).
    pub(super) fn jobs_button_ui(&mut self, ui: &mut egui::Ui) {
        let count = self.running_jobs().len();
        if count == 0 {
            return;
        }
        ui.spinner();
        if ui
            .small_button(format!("Jobs ({count})"))
            .on_hover_text("What runs in the background, with progress and Cancel")
            .clicked()
        {
            self.ui.show_jobs = !self.ui.show_jobs;
        }
    }

    pub(super) fn jobs_window(&mut self, ctx: &egui::Context) {
        if !self.ui.show_jobs {
            return;
        }
        let rows = self.running_jobs();
        // Closes by itself when the last job it showed ends (it would only cover the
        // notification saying so); opened from the View menu with nothing running, it stays.
        if rows.is_empty() && std::mem::take(&mut self.ui.jobs_window_had_rows) {
            self.ui.show_jobs = false;
            return;
        }
        self.ui.jobs_window_had_rows |= !rows.is_empty();
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
                    for row in &rows {
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
        for target in cancel {
            self.cancel_job(target);
        }
        self.ui.show_jobs = open;
    }

    /// Starts a job that runs until it is cancelled (tests check the jobs window with it).
    #[cfg(feature = "test-hooks")]
    pub fn spawn_waiting_job_for_tests(&mut self) {
        let waker = std::sync::Arc::clone(&self.session.waker);
        match crate::util::jobs::Job::spawn("waiting", waker, |context| {
            while !context.is_cancelled() {
                // Woken by nothing: looks at the flag a hundred times a second.
                std::thread::park_timeout(std::time::Duration::from_millis(10));
            }
            Err(context.cancelled())
        }) {
            Ok(job) => self.session.jobs.push((job, super::Cleanup::Cancellable)),
            Err(error) => self.error(error.to_string()),
        }
    }
}

//! File ▸ Restore an earlier version: a project's kept versions (see
//! [`crate::project::history`]), newest first, each with what it holds and a Restore button.

use std::path::PathBuf;

use eframe::egui;

use crate::project::history::{KEEP_VERSIONS, Version};

/// One kept version and what it holds (or why it does not load).
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: Version,
    pub summary: Result<String, std::sync::Arc<crate::project::ProjectError>>,
}

/// The window's state.
#[derive(Debug)]
pub struct RestoreDialog {
    pub path: PathBuf,
    /// `None` while they are being read.
    pub rows: Option<Vec<VersionRow>>,
    /// What is under way ("restoring…"); buttons are off meanwhile.
    pub busy: Option<String>,
    /// The version to restore once the open project's changes are saved.
    pub pending: Option<usize>,
    pub error: Option<String>,
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreAction {
    None,
    Close,
    /// Restore the version at this index of `rows`.
    Restore(usize),
}

impl RestoreDialog {
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            rows: None,
            busy: None,
            pending: None,
            error: None,
        }
    }

    pub fn ui(&mut self, ctx: &egui::Context) -> RestoreAction {
        let mut action = RestoreAction::None;
        let mut open = true;
        egui::Window::new("Restore an earlier version")
            .open(&mut open)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 120.0))
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.label(format!(
                    "{}: each save keeps the version it replaces (the newest {KEEP_VERSIONS}, in \
                     .syrinx-history beside the project). Restoring keeps the file it replaces \
                     as a version too, so it can be undone the same way.",
                    self.path.display()
                ));
                ui.add_space(6.0);
                match &self.rows {
                    None => {
                        ui.label("reading the kept versions…");
                    }
                    Some(rows) if rows.is_empty() => {
                        ui.label("No earlier version is kept (versions are kept from the second save on).");
                    }
                    Some(rows) => {
                        egui::Grid::new("versions grid")
                            .striped(true)
                            .num_columns(3)
                            .show(ui, |ui| {
                                for (i, row) in rows.iter().enumerate() {
                                    ui.label(format!("saved {}", row.version.saved_text()));
                                    match &row.summary {
                                        Ok(summary) => ui.label(summary),
                                        Err(error) => ui.colored_label(
                                            ui.visuals().error_fg_color,
                                            format!("does not load: {error}"),
                                        ),
                                    };
                                    let can = row.summary.is_ok() && self.busy.is_none();
                                    if ui
                                        .add_enabled(can, egui::Button::new("Restore"))
                                        .on_hover_text("Make this version the project again")
                                        .clicked()
                                    {
                                        action = RestoreAction::Restore(i);
                                    }
                                    ui.end_row();
                                }
                            });
                    }
                }
                if let Some(busy) = &self.busy {
                    ui.label(busy);
                }
                if let Some(error) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                if ui.button("Close").clicked() {
                    action = RestoreAction::Close;
                }
            });
        if !open {
            action = RestoreAction::Close;
        }
        action
    }
}

//! The project's windows, each frame: the path prompt, the import preview, export, labels and
//! Restore.

use eframe::egui;

use super::ProjectFlows;
use crate::annotation::Edit;
use crate::gui::dialogs::{ExportAction, PromptAction};
use crate::gui::import_dialog::ImportAction;
use crate::gui::workbench::Workbench;

impl ProjectFlows {
    /// The windows: path prompt, import preview, export, labels.
    pub fn show(&mut self, bench: &mut Workbench, ctx: &egui::Context) {
        self.restore_window(bench, ctx);
        if let Some(mut prompt) = self.prompt.take() {
            match prompt.ui(ctx) {
                PromptAction::None => self.prompt = Some(prompt),
                PromptAction::Cancel => {}
                PromptAction::Browse => {
                    bench.browse(prompt.purpose.purpose());
                    self.prompt = Some(prompt);
                }
                PromptAction::Accept(path) => bench.accept_path(prompt.purpose, path),
            }
        }
        if let Some(mut dialog) = self.import.take() {
            match dialog.ui(ctx, &bench.session.document) {
                ImportAction::None => self.import = Some(dialog),
                ImportAction::Cancel => {}
                ImportAction::Import => {
                    let (name, edit) = dialog.import_step(&bench.session.document);
                    let count = match &edit {
                        Edit::Insert(selections) => selections.len(),
                        _ => 0,
                    };
                    bench.session.document.edit(&name, vec![edit]);
                    crate::gui::workbench::remember_labels(&mut bench.session.document);
                    bench.session.info(format!(
                        "Imported {count} selection(s) from {} (Ctrl+Z undoes the import).",
                        dialog.path.display()
                    ));
                }
            }
        }
        if let Some(mut dialog) = self.export.take() {
            match dialog.ui(ctx) {
                ExportAction::None => self.export = Some(dialog),
                ExportAction::Cancel => {}
                ExportAction::Browse => {
                    bench.browse(crate::gui::files::PathPurpose::ExportFolder);
                    self.export = Some(dialog);
                }
                ExportAction::Export => bench.start_export(&dialog),
            }
        }
        if self.show_labels {
            let mut open = true;
            let before = bench.session.document.project.labels.clone();
            let mut labels = before.clone();
            // Edited on a copy: the change is one undo step (typing a name is one).
            if crate::gui::dialogs::labels_window(ctx, &mut open, &mut labels, &mut self.new_label)
                && labels != before
            {
                bench.session.document.change_project(
                    "edit labels",
                    crate::project::ProjectChange::Labels {
                        before,
                        after: labels,
                    },
                );
            }
            self.show_labels = open;
        }
    }
}

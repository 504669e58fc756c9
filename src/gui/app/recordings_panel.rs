//! The app's side of the recordings list (`gui::recordings_panel`): draws it in the left
//! panel and does what it asks.

use eframe::egui;

use crate::annotation::ProjectRecordingId;
use crate::gui::recordings_panel::{RecordingsAction, RecordingsView, recordings_panel_ui};
use crate::spectrogram::RecordingId;

use super::{RECORDINGS_PANEL_MIN_WIDTH, RECORDINGS_PANEL_WIDTH, SyrinxApp};

impl SyrinxApp {
    /// The project's recordings (open or not, missing ones marked), and the flags of the one
    /// on screen.
    pub(super) fn recordings_panel_ui(&mut self, ui: &mut egui::Ui) {
        let max_width = (ui.available_width() * 0.25).max(RECORDINGS_PANEL_MIN_WIDTH);
        let counts = self.selection_counts();
        let open: Vec<(ProjectRecordingId, RecordingId)> = self
            .ui
            .recordings
            .iter()
            .map(|r| (r.project_id, r.id))
            .collect();
        let active = self.active_recording().map(|r| r.project_id);
        let actions = egui::Panel::left("recordings")
            .resizable(true)
            .default_size(RECORDINGS_PANEL_WIDTH)
            .min_size(RECORDINGS_PANEL_MIN_WIDTH)
            .max_size(max_width)
            .show(ui, |ui| {
                let view = RecordingsView {
                    document: &self.session.document,
                    counts: &counts,
                    open: &open,
                    active,
                    opening: &self.ui.opening,
                    loading_project: self.session.loading_project,
                };
                recordings_panel_ui(ui, &view)
            })
            .inner;
        for action in actions {
            self.recordings_action(action);
        }
    }

    /// Does what the recordings list asked.
    pub fn recordings_action(&mut self, action: RecordingsAction) {
        match action {
            RecordingsAction::Show(id) => self.show_project_recording(id),
            RecordingsAction::Close(id) => self.close_recording(id),
            RecordingsAction::Relink(id) => self.ask_relink(id),
            RecordingsAction::Remove(id) => self.remove_from_project(id),
            RecordingsAction::SetFlags { name, change } => {
                self.session.document.change_project(name, *change);
            }
        }
    }

    /// Takes a recording and its selections out of the project (one undo step); the file
    /// stays where it is.
    pub fn remove_from_project(&mut self, id: ProjectRecordingId) {
        let Some((edit, change)) = self.session.document.project.removal_of(id) else {
            return;
        };
        if let Some(open) = self.open_recording_of(id).map(|r| r.id) {
            self.close_recording(open);
        }
        let name = self
            .session
            .document
            .project
            .recording(id)
            .map(crate::project::ProjectRecording::name)
            .unwrap_or_default();
        let selections = match &edit {
            crate::annotation::Edit::Delete(s) => s.len(),
            _ => 0,
        };
        self.session
            .document
            .edit_project(&format!("remove {name}"), vec![edit], change);
        self.ui.annotator.prune(&self.session.document);
        self.info(format!(
            "Removed {name} and its {selections} selection(s) from the project; the file is untouched (Ctrl+Z undoes)."
        ));
    }
}

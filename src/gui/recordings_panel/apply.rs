//! What the recordings list does: drawn in the left panel, its actions show, close, relink,
//! flag or remove a recording (each edit one undo step).

use eframe::egui;

use super::{RecordingsAction, RecordingsView, recordings_panel_ui};
use crate::annotation::ProjectRecordingId;
use crate::gui::workbench::{Request, Workbench};
use crate::spectrogram::RecordingId;

/// The recordings list on the left: its first width and the least it can be dragged to.
const RECORDINGS_PANEL_WIDTH: f32 = 190.0;
const RECORDINGS_PANEL_MIN_WIDTH: f32 = 150.0;

/// The project's recordings (open or not, missing ones marked), and the flags of the one on
/// screen, in the left panel.
pub fn show(ui: &mut egui::Ui, bench: &mut Workbench) {
    let max_width = (ui.available_width() * 0.25).max(RECORDINGS_PANEL_MIN_WIDTH);
    let counts = bench.selection_counts();
    let open: Vec<(ProjectRecordingId, RecordingId)> = bench
        .workspace
        .recordings
        .iter()
        .map(|r| (r.project_id, r.id))
        .collect();
    let active = bench.workspace.active_recording().map(|r| r.project_id);
    let active_start = bench
        .workspace
        .active_recording()
        .and_then(|r| r.info.start.clone());
    let actions = egui::Panel::left("recordings")
        .resizable(true)
        .default_size(RECORDINGS_PANEL_WIDTH)
        .min_size(RECORDINGS_PANEL_MIN_WIDTH)
        .max_size(max_width)
        .show(ui, |ui| {
            let view = RecordingsView {
                document: &bench.session.document,
                counts: &counts,
                open: &open,
                active,
                active_start: active_start.as_ref(),
                opening: &bench.workspace.opening,
                loading_project: bench.session.loading_project,
            };
            recordings_panel_ui(ui, &view)
        })
        .inner;
    for action in actions {
        apply(bench, action);
    }
}

/// Does what the recordings list asked.
pub fn apply(bench: &mut Workbench, action: RecordingsAction) {
    match action {
        RecordingsAction::Show(id) => bench.show_project_recording(id),
        RecordingsAction::Close(id) => bench.close_recording(id),
        RecordingsAction::Relink(id) => bench.session.request(Request::Relink(id)),
        RecordingsAction::Remove(id) => remove_from_project(bench, id),
        RecordingsAction::SetFlags { name, change } => {
            bench.session.document.change_project(name, *change);
        }
    }
}

/// Takes a recording and its selections out of the project (one undo step); the file stays
/// where it is.
pub fn remove_from_project(bench: &mut Workbench, id: ProjectRecordingId) {
    let Some((edit, change)) = bench.session.document.project.removal_of(id) else {
        return;
    };
    if let Some(open) = bench.workspace.open_recording_of(id).map(|r| r.id) {
        bench.close_recording(open);
    }
    let name = bench
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
    bench
        .session
        .document
        .edit_project(&format!("remove {name}"), vec![edit], change);
    bench.workspace.annotator.prune(&bench.session.document);
    bench.session.info(format!(
        "Removed {name} and its {selections} selection(s) from the project; the file is untouched (Ctrl+Z undoes)."
    ));
}

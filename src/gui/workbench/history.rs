//! Undo and redo in the window: the project's one history (see `project::UndoStack`), and
//! bringing the workspace in line with each step taken back or made again. Review follows the
//! step itself (`ReviewState::after_step`).

use crate::project::StepDone;
use crate::spectrogram::RecordingId;

use super::Workbench;

impl Workbench<'_> {
    /// Takes back the project's last step; returns it (for the panels to follow).
    pub fn undo(&mut self) -> Option<StepDone> {
        self.workspace.annotator.cancel_gesture();
        let done = self.session.document.undo();
        match &done {
            Some(done) => {
                self.session.info(format!("Undid {}", done.name));
                self.after_step(done);
            }
            None => self.session.info("Nothing to undo".to_owned()),
        }
        done
    }

    /// Makes the last step undone again; returns it (for the panels to follow).
    pub fn redo(&mut self) -> Option<StepDone> {
        let done = self.session.document.redo();
        match &done {
            Some(done) => {
                self.session.info(format!("Redid {}", done.name));
                self.after_step(done);
            }
            None => self.session.info("Nothing to redo".to_owned()),
        }
        done
    }

    /// Brings the workspace in line with a step undone or redone: recordings it took out of the
    /// project (or back to a path not found) close, boxes it removed are deselected.
    fn after_step(&mut self, done: &StepDone) {
        if let Some(first) = done.problems.first() {
            self.session.error(format!(
                "{} recording(s) keep their old detections: {first}",
                done.problems.len()
            ));
        }
        let document = &self.session.document;
        let gone: Vec<RecordingId> = self
            .workspace
            .recordings
            .iter()
            .filter(|r| {
                document.project.recording(r.project_id).is_none()
                    || document.missing.contains(&r.project_id)
            })
            .map(|r| r.id)
            .collect();
        for id in gone {
            self.close_recording(id);
        }
        self.workspace.annotator.prune(&self.session.document);
    }
}

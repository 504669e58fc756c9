//! Undo and redo in the window: the project's one history (see `project::UndoStack`), and
//! bringing the screen in line with each step taken back or made again.

use super::{RecordingId, SyrinxApp};

impl SyrinxApp {
    pub fn undo(&mut self) {
        self.ui.annotator.cancel_gesture();
        match self.session.document.undo() {
            Some(done) => {
                self.info(format!("Undid {}", done.name));
                self.after_step(&done);
            }
            None => self.info("Nothing to undo".to_owned()),
        }
    }

    pub fn redo(&mut self) {
        match self.session.document.redo() {
            Some(done) => {
                self.info(format!("Redid {}", done.name));
                self.after_step(&done);
            }
            None => self.info("Nothing to redo".to_owned()),
        }
    }

    /// Brings the screen in line with a step undone or redone: recordings it took out of the
    /// project (or back to a path not found) close, review follows its runs and shows the
    /// detection whose verdict changed.
    fn after_step(&mut self, done: &crate::project::StepDone) {
        if let Some(first) = done.problems.first() {
            self.error(format!(
                "{} recording(s) keep their old detections: {first}",
                done.problems.len()
            ));
        }
        let gone: Vec<RecordingId> = self
            .ui
            .recordings
            .iter()
            .filter(|r| {
                self.session
                    .document
                    .project
                    .recording(r.project_id)
                    .is_none()
                    || self.session.document.missing.contains(&r.project_id)
            })
            .map(|r| r.id)
            .collect();
        for id in gone {
            self.close_recording(id);
        }
        self.ui.annotator.prune(&self.session.document);
        if self.ui.review.run(&self.session.document.project).is_none() {
            self.ui.review.reset();
        }
        self.ui.review.refresh_queue(&self.session.document.project);
        if let Some((run_id, at)) = done.verdict_detection {
            self.ui.review.run_id = Some(run_id);
            self.ui.review.refresh_queue(&self.session.document.project);
            if let Some(n) = self.ui.review.queue.iter().position(|q| *q == at) {
                self.ui.review.position = n;
            }
            self.show_current_detection();
        }
    }
}

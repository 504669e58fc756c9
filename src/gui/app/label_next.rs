//! The app's side of "What to label next": the queue is found by a job over a copy of the
//! project (it reads the run's score files); showing a window opens its recording there;
//! an answer adds its selection as one undo step and shows the next window.

use super::{Cleanup, Event, Search, SyrinxApp};
use crate::annotation::Edit;
use crate::review::label_next::{Answer, LabelNextOptions, answer_selection, label_next};

impl SyrinxApp {
    /// Finds the windows of the reviewed run its model is least sure of.
    pub fn find_label_next(&mut self) {
        let Some(run) = self.ui.review.run(&self.session.document.project).cloned() else {
            self.info("Run a model first (Detect): its scores say where it is unsure.".to_owned());
            return;
        };
        self.ui.review.label_next.searching_in(run.id);
        let project = self.session.document.project.clone();
        self.spawn_cancellable_job(
            "finding windows to label",
            Cleanup::Search(Search::LabelNext),
            move |_| {
                let queue = label_next(&project, &run, &LabelNextOptions::default());
                Event::LabelNextFound(Box::new(queue))
            },
        );
    }

    /// Shows the queue's `n`-th window.
    pub fn show_label_next(&mut self, n: usize) {
        let Some(w) = self
            .ui
            .review
            .label_next
            .queue
            .as_ref()
            .and_then(|q| q.windows.get(n).copied())
        else {
            return;
        };
        self.ui.review.label_next.position = n;
        self.ui.review.label_next.showing = true;
        self.show_span(w.recording, w.start_secs, w.end_secs);
    }

    /// Answers the queue's `n`-th window: its selection is added (one undo step), then the next
    /// unanswered window is shown.
    pub fn answer_label_next(&mut self, n: usize, answer: Answer) {
        let state = &self.ui.review.label_next;
        let project = &self.session.document.project;
        let (Some(window), Some(run)) = (
            state.queue.as_ref().and_then(|q| q.windows.get(n).copied()),
            state.run_id.and_then(|id| project.run(id)),
        ) else {
            return;
        };
        if state.answer(project, n).is_some() {
            return;
        }
        let id = project.selections.next_free_id();
        let selection = answer_selection(project, run, &window, answer, id);
        let text = format!(
            "Added a {} box \"{}\" (Ctrl+Z undoes).",
            selection.kind.name(),
            selection.label
        );
        self.session.document.edit(
            &format!("label next: {}", answer.name()),
            vec![Edit::Insert(vec![selection])],
        );
        self.ui.review.label_next.answered.insert(n, (answer, id));
        self.info(text);
        let next = self
            .ui
            .review
            .label_next
            .next_unanswered(&self.session.document.project, n);
        if let Some(next) = next {
            self.show_label_next(next);
        }
    }
}

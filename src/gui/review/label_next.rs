//! The Review panel's "What to label next": the windows of the run its model is least sure
//! of (found by a job over a copy of the project: it reads the run's score files), each one
//! click from its place and answered *call* / *no call* (the answer's selection is one undo
//! step, then the next unanswered window is shown).

use std::collections::BTreeMap;

use eframe::egui;

use crate::annotation::SelectionId;
use crate::project::Project;
use crate::project::runs::DetectionRun;
use crate::review::label_next::{Answer, LabelNextQueue, UncertainWindow};
use crate::util::timefmt::format_time_secs;

use super::{ReviewAction, ReviewState};
use crate::annotation::Edit;
use crate::gui::workbench::{Cleanup, Event, Search, Workbench};
use crate::review::label_next::{LabelNextOptions, answer_selection, label_next};

/// The queue and its answers.
#[derive(Debug, Default)]
pub struct LabelNextState {
    /// A job is finding the windows.
    pub searching: bool,
    /// The run the queue was found in.
    pub run_id: Option<u32>,
    pub queue: Option<LabelNextQueue>,
    /// Answers given here and the selections they made, by queue position (an undone answer
    /// counts as not given).
    pub answered: BTreeMap<usize, (Answer, SelectionId)>,
    /// The window shown last.
    pub position: usize,
    /// Whether that window is on screen (framed on the spectrogram) rather than a detection.
    pub showing: bool,
    pub error: Option<String>,
}

impl LabelNextState {
    /// A search of run `run_id` started.
    pub fn searching_in(&mut self, run_id: u32) {
        self.searching = true;
        self.run_id = Some(run_id);
        self.error = None;
    }

    /// The search ended.
    pub fn finished(&mut self, queue: LabelNextQueue) {
        self.searching = false;
        self.answered.clear();
        self.position = 0;
        self.showing = false;
        self.queue = Some(queue);
    }

    /// The window on screen, if one is.
    #[must_use]
    pub fn shown_window(&self) -> Option<UncertainWindow> {
        self.queue
            .as_ref()
            .filter(|_| self.showing)
            .and_then(|q| q.windows.get(self.position).copied())
    }

    /// The answer to window `n`, if given and not undone.
    #[must_use]
    pub fn answer(&self, project: &Project, n: usize) -> Option<Answer> {
        self.answered
            .get(&n)
            .filter(|(_, id)| project.selections.get(*id).is_some())
            .map(|(answer, _)| *answer)
    }

    /// The first window after `from` not answered yet.
    #[must_use]
    pub fn next_unanswered(&self, project: &Project, from: usize) -> Option<usize> {
        let count = self.queue.as_ref().map_or(0, |q| q.windows.len());
        (from + 1..count).find(|n| self.answer(project, *n).is_none())
    }
}

impl ReviewState {
    pub(super) fn label_next_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    !self.label_next.searching,
                    egui::Button::new("Find windows to label"),
                )
                .on_hover_text(
                    "The windows of this run where the model is least sure (scores nearest the \
                     threshold) on recordings to survey, away from what is labelled or detected, \
                     spread over recordings. Your answers become selections the next training \
                     learns from.",
                )
                .clicked()
            {
                actions.push(ReviewAction::FindLabelNext);
            }
            if self.label_next.searching {
                ui.spinner();
            }
        });
        let state = &self.label_next;
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let Some(queue) = &state.queue else {
            return;
        };
        if state.run_id != Some(run.id) {
            ui.weak("The windows below were found in another run: find them again for this one.");
        }
        ui.weak(format!(
            "{} window(s) from {} unlabelled window(s) in {} recording(s); answered {}",
            queue.windows.len(),
            queue.candidates,
            queue.recordings,
            (0..queue.windows.len())
                .filter(|n| state.answer(project, *n).is_some())
                .count()
        ));
        for problem in &queue.problems {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        for (n, w) in queue.windows.iter().enumerate() {
            let name = project
                .recording(w.recording)
                .map(crate::project::ProjectRecording::name)
                .unwrap_or_default();
            ui.horizontal_wrapped(|ui| {
                let text = format!(
                    "{}{}. score {:.2} · {name} · {}",
                    if n == state.position { "» " } else { "" },
                    n + 1,
                    w.score,
                    format_time_secs(w.start_secs, w.end_secs)
                );
                if ui.link(text).on_hover_text("Show it").clicked() {
                    actions.push(ReviewAction::ShowLabelNext(n));
                }
                if let Some(answer) = state.answer(project, n) {
                    ui.weak(format!("answered: {}", answer.name()));
                } else {
                    for (answer, hover) in [
                        (
                            Answer::Call,
                            format!(
                                "A {} calls here: add a positive box \"{}\" over the window (resize it to the call if you like)",
                                run.label, run.label
                            ),
                        ),
                        (
                            Answer::NoCall,
                            format!(
                                "No {} here: add a negative box \"{}\"",
                                run.label,
                                crate::review::false_positive_label(&run.label)
                            ),
                        ),
                    ] {
                        if ui.small_button(answer.name()).on_hover_text(hover).clicked() {
                            actions.push(ReviewAction::AnswerLabelNext(n, answer));
                        }
                    }
                }
            });
        }
    }
}

/// What the queue's answers and clicks do.
impl ReviewState {
    /// Finds the windows of the reviewed run its model is least sure of.
    pub fn find_label_next(&mut self, bench: &mut Workbench) {
        let Some(run) = self.run(&bench.session.document.project).cloned() else {
            bench
                .session
                .info("Run a model first (Detect): its scores say where it is unsure.".to_owned());
            return;
        };
        self.label_next.searching_in(run.id);
        let project = bench.session.document.project.clone();
        bench.session.spawn_cancellable_job(
            "finding windows to label",
            Cleanup::Search(Search::LabelNext),
            move |_| {
                let queue = label_next(&project, &run, &LabelNextOptions::default());
                Event::LabelNextFound(Box::new(queue))
            },
        );
    }

    /// Shows the queue's `n`-th window.
    pub fn show_label_next(&mut self, bench: &mut Workbench, n: usize) {
        let Some(w) = self
            .label_next
            .queue
            .as_ref()
            .and_then(|q| q.windows.get(n).copied())
        else {
            return;
        };
        self.label_next.position = n;
        self.label_next.showing = true;
        bench.show_span(w.recording, w.start_secs, w.end_secs);
    }

    /// Answers the queue's `n`-th window: its selection is added (one undo step), then the next
    /// unanswered window is shown.
    pub fn answer_label_next(&mut self, bench: &mut Workbench, n: usize, answer: Answer) {
        let state = &self.label_next;
        let project = &bench.session.document.project;
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
        bench.session.document.edit(
            &format!("label next: {}", answer.name()),
            vec![Edit::Insert(vec![selection])],
        );
        self.label_next.answered.insert(n, (answer, id));
        bench.session.info(text);
        let next = self
            .label_next
            .next_unanswered(&bench.session.document.project, n);
        if let Some(next) = next {
            self.show_label_next(bench, next);
        }
    }
}

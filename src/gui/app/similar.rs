//! The app's side of "Find more like this": the search runs as a job (cancellable from the
//! Jobs window) over a copy of the project; the window's actions show a match or add matches
//! as selections, one undo step each.

use std::sync::atomic::AtomicBool;

use super::{Cleanup, Event, Search, SyrinxApp};
use crate::annotation::{Edit, ProjectRecordingId, SelectionKind};
use crate::gui::similar::{SIMILAR_TOP, SimilarAction, SimilarQuery};
use crate::similar::QueryBox;
use crate::workflow::similar::{IndexPlace, find_similar, match_selections};

impl SyrinxApp {
    /// Searches every recording of the project for stretches like the selected box (or, with
    /// no box selected, the detection under review).
    pub fn find_similar_to_selected(&mut self) {
        let query = if let Some(selection) = self.ui.annotator.single(&self.session.document) {
            SimilarQuery {
                query: QueryBox {
                    recording: selection.recording,
                    start_secs: selection.start_secs,
                    end_secs: selection.end_secs,
                    low_hz: selection.low_hz,
                    high_hz: selection.high_hz,
                },
                label: selection.label.clone(),
                kind: selection.kind,
            }
        } else if let Some(detection) = self.review_query() {
            detection
        } else {
            self.info(
                "Select one box (or review a detection) first: Find more like this looks for more of it."
                    .to_owned(),
            );
            return;
        };
        self.search_similar(query);
    }

    /// The detection under review as a query: its span, the run's band and label.
    pub(super) fn review_query(&self) -> Option<SimilarQuery> {
        if !self.ui.review.open {
            return None;
        }
        let (recording, start_secs, end_secs) = self.current_detection()?;
        let run = self.ui.review.run(&self.session.document.project)?;
        let (low_hz, high_hz) = run.band_hz.unwrap_or((0.0, f64::MAX));
        Some(SimilarQuery {
            query: QueryBox {
                recording,
                start_secs,
                end_secs,
                low_hz,
                high_hz,
            },
            label: run.label.clone(),
            kind: SelectionKind::Positive,
        })
    }

    /// Starts the search for `similar` (the window's comparison is the one chosen there).
    fn search_similar(&mut self, similar: SimilarQuery) {
        let query = similar.query;
        self.ui.similar.searching_for(similar);
        let project = self.session.document.project.clone();
        let missing: Vec<ProjectRecordingId> =
            self.session.document.missing.iter().copied().collect();
        let place = IndexPlace::beside(self.session.document.save_path());
        let embedding = self.ui.similar.embedding.clone();
        self.spawn_cancellable_job(
            "finding similar boxes",
            Cleanup::Search(Search::Similar),
            move |cancel: &AtomicBool| {
                let result = find_similar(
                    &project,
                    &missing,
                    query,
                    SIMILAR_TOP,
                    &embedding,
                    &place,
                    cancel,
                    &mut |_, _| {},
                );
                Event::SimilarFound(Box::new(result))
            },
        );
    }

    /// The window, and what it asked for.
    pub(super) fn similar_window(&mut self, ctx: &eframe::egui::Context) {
        self.ui
            .similar
            .embedder
            .clone_from(&self.ui.training.embedder);
        let actions = self
            .ui
            .similar
            .window_ui(ctx, &self.session.document.project);
        for action in actions {
            self.similar_action(action);
        }
    }

    /// Does what the Find more like this window asked.
    pub fn similar_action(&mut self, action: SimilarAction) {
        if action == SimilarAction::SearchAgain {
            if let Some(query) = self.ui.similar.query.clone()
                && !self.ui.similar.searching
            {
                self.search_similar(query);
            }
            return;
        }
        let (Some(outcome), Some(query)) = (&self.ui.similar.outcome, &self.ui.similar.query)
        else {
            return;
        };
        match action {
            SimilarAction::SearchAgain => {}
            SimilarAction::Show(n) => {
                if let Some(m) = outcome.matches.get(n) {
                    self.show_span(m.recording, m.start_secs, m.end_secs);
                }
            }
            SimilarAction::Mark(picked, kind) => {
                let matches: Vec<_> = picked
                    .iter()
                    .filter(|n| !self.ui.similar.marked.contains(n))
                    .filter_map(|n| outcome.matches.get(*n).cloned())
                    .collect();
                if matches.is_empty() {
                    return;
                }
                let selections = match_selections(
                    &self.session.document.project,
                    &matches,
                    kind,
                    &query.label,
                    &query.query,
                );
                let n = selections.len();
                let name = format!("add {n} similar box(es) as {}", kind.name());
                self.session
                    .document
                    .edit(&name, vec![Edit::Insert(selections)]);
                self.ui.similar.marked.extend(picked.iter().copied());
                self.ui.similar.checked.clear();
                let label = &query.label;
                self.info(format!(
                    "Added {n} {} box(es) labelled \"{label}\" (Ctrl+Z undoes).",
                    match kind {
                        SelectionKind::Positive => "positive",
                        SelectionKind::Negative => "negative",
                    }
                ));
            }
        }
    }

    /// Shows `[start_secs, end_secs)` of a recording, opening it first if needed.
    pub(super) fn show_span(
        &mut self,
        recording: ProjectRecordingId,
        start_secs: f64,
        end_secs: f64,
    ) {
        match self.open_recording_of(recording).map(|r| r.id) {
            Some(open) => {
                self.ui.active = Some(open);
                if let Some(shown) = self.active_recording_mut() {
                    shown.viewport.reveal(start_secs, end_secs);
                    shown.cursor_secs = Some(start_secs);
                }
            }
            None => {
                self.ui.pending_span = Some((recording, start_secs, end_secs));
                self.show_project_recording(recording);
            }
        }
    }

    /// After a recording opened: show the match that asked for it.
    pub(super) fn show_pending_span(&mut self, project_id: ProjectRecordingId) {
        if let Some((recording, start_secs, end_secs)) = self.ui.pending_span
            && recording == project_id
        {
            self.ui.pending_span = None;
            self.show_span(recording, start_secs, end_secs);
        }
    }
}

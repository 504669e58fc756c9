//! What "Find more like this" does: the search runs as a job (cancellable from the Jobs
//! window) over a copy of the project; the window's actions show a match or add matches as
//! selections, one undo step each.

use std::sync::atomic::AtomicBool;

use super::{SIMILAR_TOP, SimilarAction, SimilarQuery, SimilarWindow};
use crate::annotation::{Edit, ProjectRecordingId, SelectionKind};
use crate::gui::workbench::{Cleanup, Event, Search, Workbench};
use crate::similar::QueryBox;
use crate::workflow::similar::{IndexPlace, find_similar, match_selections};

impl SimilarWindow {
    /// Searches every recording of the project for stretches like the selected box (or, with
    /// no box selected, `under_review`: the detection being reviewed).
    pub fn find_similar_to_selected(
        &mut self,
        bench: &mut Workbench,
        under_review: Option<SimilarQuery>,
    ) {
        let query = if let Some(selection) =
            bench.workspace.annotator.single(&bench.session.document)
        {
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
        } else if let Some(detection) = under_review {
            detection
        } else {
            bench.session.info(
                "Select one box (or review a detection) first: Find more like this looks for more of it."
                    .to_owned(),
            );
            return;
        };
        self.search_similar(bench, query);
    }

    /// Starts the search for `similar` (the window's comparison is the one chosen there).
    fn search_similar(&mut self, bench: &mut Workbench, similar: SimilarQuery) {
        let query = similar.query;
        self.searching_for(similar);
        let project = bench.session.document.project.clone();
        let missing: Vec<ProjectRecordingId> =
            bench.session.document.missing.iter().copied().collect();
        let place = IndexPlace::beside(bench.session.document.save_path());
        let embedding = self.embedding.clone();
        bench.session.spawn_cancellable_job(
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
    pub fn show(
        &mut self,
        ctx: &eframe::egui::Context,
        bench: &mut Workbench,
        embedder: Option<&std::path::Path>,
    ) {
        // The comparison offered follows the Train window's embedder.
        if self.embedder.as_deref() != embedder {
            self.embedder = embedder.map(std::path::Path::to_path_buf);
        }
        let actions = self.window_ui(ctx, &bench.session.document.project);
        for action in actions {
            self.apply(bench, action);
        }
    }

    /// Does what the Find more like this window asked.
    pub fn apply(&mut self, bench: &mut Workbench, action: SimilarAction) {
        if action == SimilarAction::SearchAgain {
            if let Some(query) = self.query.clone()
                && !self.searching
            {
                self.search_similar(bench, query);
            }
            return;
        }
        let (Some(outcome), Some(query)) = (&self.outcome, &self.query) else {
            return;
        };
        match action {
            SimilarAction::SearchAgain => {}
            SimilarAction::Show(n) => {
                if let Some(m) = outcome.matches.get(n) {
                    bench.show_span(m.recording, m.start_secs, m.end_secs);
                }
            }
            SimilarAction::Mark(picked, kind) => {
                let matches: Vec<_> = picked
                    .iter()
                    .filter(|n| !self.marked.contains(n))
                    .filter_map(|n| outcome.matches.get(*n).cloned())
                    .collect();
                if matches.is_empty() {
                    return;
                }
                let selections = match_selections(
                    &bench.session.document.project,
                    &matches,
                    kind,
                    &query.label,
                    &query.query,
                );
                let n = selections.len();
                let name = format!("add {n} similar box(es) as {}", kind.name());
                bench
                    .session
                    .document
                    .edit(&name, vec![Edit::Insert(selections)]);
                self.marked.extend(picked.iter().copied());
                self.checked.clear();
                let label = &query.label;
                bench.session.info(format!(
                    "Added {n} {} box(es) labelled \"{label}\" (Ctrl+Z undoes).",
                    match kind {
                        SelectionKind::Positive => "positive",
                        SelectionKind::Negative => "negative",
                    }
                ));
            }
        }
    }
}

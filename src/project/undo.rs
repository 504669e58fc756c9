//! Undo and redo of the open project: each step is selection edits and the project changes
//! made with them (labels an import added, a recording taken out, its flags, the model input),
//! undone and redone together.

use crate::annotation::{Edit, ProjectRecordingId, SelectionSet};

use super::runs::DetectionRef;
use super::score_files::ScoreFileError;
use super::{Project, ProjectChange};

/// Most steps kept for undo.
const MAX_UNDO_STEPS: usize = 1000;

/// One undo step: selection edits and the changes to the rest of the project made with them
/// (labels an import added, a recording taken out), undone together.
#[derive(Debug, Clone)]
struct Step {
    name: String,
    edits: Vec<Edit>,
    changes: Vec<ProjectChange>,
}

/// What undoing or redoing a step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDone {
    /// The step's name ("add 3 selections").
    pub name: String,
    /// Score files that could not be read while merging a run again (its detections there
    /// stay as they were).
    pub problems: Vec<ScoreFileError>,
    /// The detection whose verdict the step changed (run id and place), for review to show.
    pub verdict_detection: Option<(u32, DetectionRef)>,
    /// Recordings whose relinking the step made or took back (an undone relink points at the
    /// old path again, which was not found).
    pub relinked: Vec<ProjectRecordingId>,
}

/// Undo and redo history of edits applied to a [`SelectionSet`] (and, through
/// [`undo_project`](Self::undo_project), of the project changes that came with them).
#[derive(Debug, Clone, Default)]
pub struct UndoStack {
    /// Each step is a list of edits undone together (an import is one step).
    undo: Vec<Step>,
    redo: Vec<Step>,
}

impl Step {
    fn done(&self, problems: Vec<ScoreFileError>) -> StepDone {
        StepDone {
            name: self.name.clone(),
            problems,
            verdict_detection: self
                .changes
                .iter()
                .find_map(ProjectChange::verdict_detection),
            relinked: self
                .changes
                .iter()
                .filter_map(|change| match change {
                    ProjectChange::RecordingRelinked { after, .. } => Some(after.id),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl UndoStack {
    /// Applies `edits` as one step called `name` (e.g. "import table").
    pub fn apply(&mut self, set: &mut SelectionSet, name: impl Into<String>, edits: Vec<Edit>) {
        let edits: Vec<Edit> = edits.into_iter().filter(|e| !e.is_empty()).collect();
        if edits.is_empty() {
            return;
        }
        for edit in &edits {
            set.apply(edit);
        }
        self.push(Step {
            name: name.into(),
            edits,
            changes: Vec::new(),
        });
    }

    fn push(&mut self, step: Step) {
        self.undo.push(step);
        if self.undo.len() > MAX_UNDO_STEPS {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Applies `edits` to the project's selections and `change` to the project, as one step.
    pub fn apply_to_project(
        &mut self,
        project: &mut Project,
        name: impl Into<String>,
        edits: Vec<Edit>,
        change: ProjectChange,
    ) {
        let edits: Vec<Edit> = edits.into_iter().filter(|e| !e.is_empty()).collect();
        for edit in &edits {
            project.selections.apply(edit);
        }
        // A change made the first time has been checked by its maker (the problems of a run's
        // new settings are reported where they are chosen, see `apply_project_change`).
        let _ = change.redo(project);
        self.push(Step {
            name: name.into(),
            edits,
            changes: vec![change],
        });
    }

    /// Adds `change` (already made to the project) to the last step, so that undoing that step
    /// undoes it too: the labels an import brought go with the import.
    pub fn attach_to_last(&mut self, change: ProjectChange) {
        if let Some(step) = self.undo.last_mut() {
            step.changes.push(change);
        }
    }

    /// Applies a project change as one step called `name`; when the last step is a change of
    /// the same thing with the same name (see [`ProjectChange::continues_with`]), merges into
    /// it, so that typing a group name or dragging a setting is one undo step.
    /// Returns the score files that could not be read (see [`ProjectChange::redo`]).
    pub fn apply_project_change(
        &mut self,
        project: &mut Project,
        name: impl Into<String>,
        change: ProjectChange,
    ) -> Vec<ScoreFileError> {
        let name = name.into();
        let problems = change.redo(project);
        if let Some(last) = self.undo.last_mut()
            && last.name == name
            && last.edits.is_empty()
            && let [previous] = last.changes.as_mut_slice()
            && previous.continues_with(&change)
        {
            *previous = previous.followed_by(&change);
            self.redo.clear();
            return problems;
        }
        self.push(Step {
            name,
            edits: Vec::new(),
            changes: vec![change],
        });
        problems
    }

    /// Like [`apply`](Self::apply), but when the last step has the same `name` and updated the same
    /// selections, merges into it: typing a label or dragging a time is one undo step, not one per
    /// keystroke.
    pub fn apply_coalescing(&mut self, set: &mut SelectionSet, name: &str, edit: Edit) {
        let Edit::Update { after, .. } = &edit else {
            self.apply(set, name, vec![edit]);
            return;
        };
        let same_ids = |edits: &[Edit]| match edits {
            [
                Edit::Update {
                    after: previous, ..
                },
            ] => {
                previous.len() == after.len()
                    && previous.iter().zip(after).all(|(a, b)| a.id == b.id)
            }
            _ => false,
        };
        if let Some(step) = self.undo.last_mut()
            && step.name == name
            && step.changes.is_empty()
            && same_ids(&step.edits)
            && !edit.is_empty()
        {
            set.apply(&edit);
            if let [Edit::Update { after: merged, .. }] = step.edits.as_mut_slice() {
                merged.clone_from(after);
            }
            self.redo.clear();
            return;
        }
        self.apply(set, name, vec![edit]);
    }

    /// Undoes the last step's selection edits; returns its name. (Steps with project changes
    /// need [`undo_project`](Self::undo_project).)
    pub fn undo(&mut self, set: &mut SelectionSet) -> Option<String> {
        let step = self.undo.pop()?;
        for edit in step.edits.iter().rev() {
            set.apply(&edit.inverse());
        }
        let name = step.name.clone();
        self.redo.push(step);
        Some(name)
    }

    /// Redoes the last undone step's selection edits; returns its name.
    pub fn redo(&mut self, set: &mut SelectionSet) -> Option<String> {
        let step = self.redo.pop()?;
        for edit in &step.edits {
            set.apply(edit);
        }
        let name = step.name.clone();
        self.undo.push(step);
        Some(name)
    }

    /// Undoes the last step, selections and project changes.
    pub fn undo_project(&mut self, project: &mut Project) -> Option<StepDone> {
        let step = self.undo.pop()?;
        let mut problems = Vec::new();
        for change in step.changes.iter().rev() {
            problems.extend(change.undo(project));
        }
        for edit in step.edits.iter().rev() {
            project.selections.apply(&edit.inverse());
        }
        let done = step.done(problems);
        self.redo.push(step);
        Some(done)
    }

    /// Redoes the last undone step, selections and project changes.
    pub fn redo_project(&mut self, project: &mut Project) -> Option<StepDone> {
        let step = self.redo.pop()?;
        for edit in &step.edits {
            project.selections.apply(edit);
        }
        let mut problems = Vec::new();
        for change in &step.changes {
            problems.extend(change.redo(project));
        }
        let done = step.done(problems);
        self.undo.push(step);
        Some(done)
    }

    /// Whether the last step gave a verdict (review's own undo key undoes only those).
    #[must_use]
    pub fn last_is_verdict(&self) -> bool {
        // A verdict step holds no selection edit, except a reclassification's new positive.
        self.undo.last().is_some_and(|step| {
            step.changes.iter().any(|c| c.verdict_detection().is_some())
                && (step.edits.is_empty()
                    || step
                        .changes
                        .iter()
                        .any(|c| matches!(c, super::ProjectChange::Reclassified { .. })))
        })
    }

    /// Runs deleted in steps that can still be undone or redone: their score files must stay
    /// on disk for an undo to bring the run back whole.
    #[must_use]
    pub fn held_run_ids(&self) -> Vec<u32> {
        self.undo
            .iter()
            .chain(&self.redo)
            .flat_map(|step| &step.changes)
            .filter_map(|change| match change {
                ProjectChange::RunDeleted { run, .. } => Some(run.id),
                _ => None,
            })
            .collect()
    }

    #[must_use]
    pub fn undo_name(&self) -> Option<&str> {
        self.undo.last().map(|s| s.name.as_str())
    }

    #[must_use]
    pub fn redo_name(&self) -> Option<&str> {
        self.redo.last().map(|s| s.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::{ProjectRecordingId, Selection, SelectionKind};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn selection(set: &mut SelectionSet, rng: &mut ChaCha8Rng) -> Selection {
        let start = rng.random_range(0.0..100.0);
        Selection {
            id: set.new_id(),
            recording: ProjectRecordingId(rng.random_range(0..3)),
            start_secs: start,
            end_secs: start + rng.random_range(0.1..5.0),
            low_hz: 1000.0,
            high_hz: 5000.0,
            label: format!("l{}", rng.random_range(0..4)),
            kind: if rng.random_range(0..2) == 0 {
                SelectionKind::Positive
            } else {
                SelectionKind::Negative
            },
            extra: Default::default(),
        }
    }

    #[test]
    fn random_edits_then_full_undo_restore_the_original() {
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut set = SelectionSet::default();
            let initial: Vec<Selection> = (0..10).map(|_| selection(&mut set, &mut rng)).collect();
            let mut set = SelectionSet::from_items(initial);
            let original = set.clone();
            let mut history = UndoStack::default();
            for step in 0..60 {
                let edit = match rng.random_range(0..4) {
                    0 => Edit::Insert(
                        (0..rng.random_range(1..4))
                            .map(|_| selection(&mut set, &mut rng))
                            .collect(),
                    ),
                    1 if !set.is_empty() => {
                        let pick = rng.random_range(0..set.len());
                        Edit::Delete(vec![set.items()[pick].clone()])
                    }
                    2 if !set.is_empty() => {
                        let pick = rng.random_range(0..set.len());
                        let shift = rng.random_range(-2.0..2.0);
                        Edit::update(&[&set.items()[pick]], |s| {
                            s.start_secs = (s.start_secs + shift).max(0.0);
                            s.end_secs = s.start_secs + 1.0;
                            s.label.push('!');
                        })
                    }
                    _ => {
                        // Undo sometimes, then carry on editing (drops the redo branch).
                        history.undo(&mut set);
                        continue;
                    }
                };
                history.apply(&mut set, format!("step {step}"), vec![edit]);
            }
            // Steps undone at the end are still redoable: redo them first, so "redo all" below
            // is expected to end where this does.
            while history.redo(&mut set).is_some() {}
            let final_state = set.clone();
            while history.undo(&mut set).is_some() {}
            assert_eq!(set.items(), original.items(), "seed {seed}: undo all");
            while history.redo(&mut set).is_some() {}
            assert_eq!(set.items(), final_state.items(), "seed {seed}: redo all");
        }
    }

    #[test]
    fn typing_is_one_undo_step() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut set = SelectionSet::default();
        let first = selection(&mut set, &mut rng);
        let mut set = SelectionSet::from_items(vec![first.clone()]);
        let mut history = UndoStack::default();
        for letter in ["w", "wa", "war"] {
            let current = set.items()[0].clone();
            history.apply_coalescing(
                &mut set,
                "label",
                Edit::update(&[&current], |s| s.label = letter.to_owned()),
            );
        }
        assert_eq!(set.items()[0].label, "war");
        history.undo(&mut set);
        assert_eq!(
            set.items()[0],
            first,
            "one undo restores the label before typing"
        );
        assert!(history.undo(&mut set).is_none());
        history.redo(&mut set);
        assert_eq!(set.items()[0].label, "war");
    }

    #[test]
    fn a_multi_edit_step_undoes_at_once() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut set = SelectionSet::default();
        let mut history = UndoStack::default();
        let batch: Vec<Selection> = (0..5).map(|_| selection(&mut set, &mut rng)).collect();
        let more: Vec<Selection> = (0..3).map(|_| selection(&mut set, &mut rng)).collect();
        history.apply(
            &mut set,
            "import table",
            vec![Edit::Insert(batch), Edit::Insert(more)],
        );
        assert_eq!(set.len(), 8);
        assert_eq!(history.undo_name(), Some("import table"));
        assert_eq!(history.undo(&mut set).as_deref(), Some("import table"));
        assert!(set.is_empty());
        assert_eq!(history.redo(&mut set).as_deref(), Some("import table"));
        assert_eq!(set.len(), 8);
        // Times stay ordered by recording then start.
        assert!(
            set.items()
                .windows(2)
                .all(|w| (w[0].recording, w[0].start_secs) <= (w[1].recording, w[1].start_secs))
        );
        history.apply(
            &mut set,
            "nothing",
            vec![Edit::Update {
                before: vec![],
                after: vec![],
            }],
        );
        assert_eq!(
            history.undo_name(),
            Some("import table"),
            "empty steps are not recorded"
        );
    }
}

//! The open project as the app edits it: the project, its undo history, where it is saved, and
//! whether it has changes not yet on disk. Writing happens elsewhere (on a background thread);
//! this only knows what to write and what was written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::annotation::{Edit, ProjectRecordingId};
use crate::project::score_files::ScoreFileError;
use crate::project::{LoadReport, Project, ProjectChange, StepDone, UndoStack};

/// A project and its editing state.
#[derive(Debug, Default)]
pub struct Document {
    pub project: Project,
    /// Where the user saved it; `None` while untitled.
    pub path: Option<PathBuf>,
    /// Where an untitled project is autosaved (the app's data folder), so nothing is lost
    /// before the user picks a name.
    pub untitled_autosave: Option<PathBuf>,
    pub undo: UndoStack,
    /// Recordings whose file was not found (kept; relink them).
    pub missing: BTreeSet<ProjectRecordingId>,
    /// Recordings whose file changed since it was added.
    pub changed_files: BTreeSet<ProjectRecordingId>,
    /// What the document knows of its file (as last loaded or saved): a save over a file
    /// changed since by another writer merges that first. `None` until first saved.
    pub on_disk: Option<crate::session::disk::OnDisk>,
    /// This window's mark on the project, so another window opening it is told (see
    /// [`crate::session::lock::OpenMark`]).
    pub open_mark: Option<crate::session::lock::OpenMark>,
    /// Bumped by changes outside the selections (flags, labels, recordings).
    meta_revision: u64,
    /// The revision last written to disk.
    saved_revision: Revision,
}

/// Identifies the state of a document: compare to know whether it changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revision {
    meta: u64,
    selections: u64,
}

impl Document {
    /// An empty untitled project autosaved to `autosave` (if any).
    #[must_use]
    pub fn untitled(autosave: Option<PathBuf>) -> Self {
        Self {
            untitled_autosave: autosave,
            ..Self::default()
        }
    }

    /// A project just loaded from `path`. `untitled` marks one of the app's own autosaves.
    #[must_use]
    pub fn loaded(
        project: Project,
        path: &Path,
        report: &LoadReport,
        on_disk: Option<crate::session::disk::OnDisk>,
        untitled: bool,
    ) -> Self {
        let mut document = Self {
            project,
            on_disk,
            missing: report.missing.iter().copied().collect(),
            changed_files: report.changed.iter().copied().collect(),
            ..Self::default()
        };
        if untitled {
            document.untitled_autosave = Some(path.to_path_buf());
        } else {
            document.path = Some(path.to_path_buf());
        }
        document.saved_revision = document.revision();
        if report.migrated_from.is_some() {
            // Write the migrated form back at the next autosave.
            document.touch();
        }
        document
    }

    #[must_use]
    pub fn revision(&self) -> Revision {
        Revision {
            meta: self.meta_revision,
            selections: self.project.selections.version(),
        }
    }

    /// Whether there are changes not yet written.
    #[must_use]
    pub fn is_dirty(&self) -> bool {
        self.revision() != self.saved_revision
    }

    /// Records that `revision` is on disk.
    pub fn mark_saved(&mut self, revision: Revision) {
        self.saved_revision = revision;
    }

    /// Notes a change outside the selections.
    pub fn touch(&mut self) {
        self.meta_revision += 1;
    }

    /// Where the next save goes: the user's file, else the untitled autosave.
    #[must_use]
    pub fn save_path(&self) -> Option<&Path> {
        self.path.as_deref().or(self.untitled_autosave.as_deref())
    }

    /// The window title's project name.
    #[must_use]
    pub fn title(&self) -> String {
        self.path.as_ref().and_then(|p| p.file_name()).map_or_else(
            || "untitled project".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Applies `edits` as one undoable step.
    pub fn edit(&mut self, name: &str, edits: Vec<Edit>) {
        self.undo.apply(&mut self.project.selections, name, edits);
    }

    /// Applies an update, merged with the previous step when it is the same kind of change to the
    /// same selections (typing, dragging, repeated nudges).
    pub fn edit_coalescing(&mut self, name: &str, edit: Edit) {
        self.undo
            .apply_coalescing(&mut self.project.selections, name, edit);
    }

    /// Applies `edits` and a change to the rest of the project as one undoable step.
    pub fn edit_project(&mut self, name: &str, edits: Vec<Edit>, change: ProjectChange) {
        self.undo
            .apply_to_project(&mut self.project, name, edits, change);
        self.touch();
    }

    /// Makes a change to the project (not its selections) as one undo step called `name`,
    /// merged into the last step when it changed the same thing (see
    /// [`UndoStack::apply_project_change`](crate::project::UndoStack::apply_project_change)).
    pub fn change_project(&mut self, name: &str, change: ProjectChange) {
        // Only run merges can fail to read, and those go through `change_project_checked`.
        self.undo
            .apply_project_change(&mut self.project, name, change);
        self.touch();
    }

    /// Undoes the last step (with the project changes made in it).
    pub fn undo(&mut self) -> Option<StepDone> {
        let done = self.undo.undo_project(&mut self.project)?;
        // Labels, recordings or runs may have changed as well as selections.
        self.touch();
        // An undone relink points at the path that was not found.
        self.missing.extend(done.relinked.iter().copied());
        Some(done)
    }

    pub fn redo(&mut self) -> Option<StepDone> {
        let done = self.undo.redo_project(&mut self.project)?;
        self.touch();
        for id in &done.relinked {
            self.missing.remove(id);
            self.changed_files.remove(id);
        }
        Some(done)
    }

    /// Makes a change as one undo step, reporting the score files it could not read.
    #[must_use]
    pub fn change_project_checked(
        &mut self,
        name: &str,
        change: ProjectChange,
    ) -> Vec<ScoreFileError> {
        let problems = self
            .undo
            .apply_project_change(&mut self.project, name, change);
        self.touch();
        problems
    }
}

//! Saving the project: save, save as, autosave, the save before exit. Writing runs on a job
//! (`spawn_job`); [`SaveGate`] keeps an older save from overwriting a newer one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Cleanup, Event, SyrinxApp};
use crate::gui::dialogs::PromptFor;
use crate::project::disk::{self, DiskStamp, SessionSave};
use crate::project::lock::Wait;
use crate::project::{PROJECT_EXTENSION, Project};

/// Folder under the data folder where untitled projects are autosaved.
pub(super) const AUTOSAVE_FOLDER: &str = "autosave";

/// Orders saves: a save that started earlier never overwrites one that started later.
#[derive(Debug, Default)]
pub struct SaveGate {
    last_written: Mutex<LastWrite>,
}

/// The gate's last write.
#[derive(Debug, Default)]
struct LastWrite {
    sequence: u64,
    /// Where, and the file's stamp then: a file still holding it was written by this app, not
    /// changed by another writer, whatever stamp a save started earlier carries.
    stamp: Option<(PathBuf, DiskStamp)>,
}

/// How long a save waits for another writer of the project (`syrinx detect` storing a run)
/// before reporting it; autosave tries again later and nothing is lost meanwhile.
const SAVE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl SaveGate {
    /// Writes `project` to `path` unless a later save got there first or another writer
    /// changed the file since the document knew it as `known` (then its project comes back to
    /// be merged); `held_run_ids` are deleted runs an undo can still bring back (their score
    /// files stay).
    fn write(
        &self,
        sequence: u64,
        project: &Project,
        path: &Path,
        held_run_ids: &[u32],
        known: Option<&DiskStamp>,
    ) -> Result<Option<SessionSave>, String> {
        let mut last = self
            .last_written
            .lock()
            .map_err(|_| "an earlier save failed unexpectedly".to_owned())?;
        if sequence < last.sequence {
            return Ok(None);
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let own = last
            .stamp
            .as_ref()
            .filter(|(written, stamp)| written == path && stamp.matches(path).unwrap_or(false))
            .map(|(_, stamp)| stamp);
        let outcome = disk::save(
            project,
            path,
            held_run_ids,
            own.or(known),
            "the Syrinx app",
            Wait::Up(SAVE_LOCK_WAIT),
        )
        .map_err(|e| e.to_string())?;
        if let SessionSave::Written(on_disk) = &outcome {
            *last = LastWrite {
                sequence,
                stamp: Some((path.to_path_buf(), on_disk.stamp.clone())),
            };
        }
        Ok(Some(outcome))
    }
}

/// A fresh file name for an untitled project's autosave.
#[must_use]
pub fn untitled_path(data_dir: Option<&Path>) -> Option<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    data_dir.map(|dir| {
        dir.join(AUTOSAVE_FOLDER)
            .join(format!("untitled-{stamp}.{PROJECT_EXTENSION}"))
    })
}

impl SyrinxApp {
    /// Writes the project where it belongs; an untitled one asks for a name first.
    pub fn save_project(&mut self) {
        if self.session.document.path.is_none() {
            self.ask_save_as();
            return;
        }
        self.start_save(None);
    }

    pub fn ask_save_as(&mut self) {
        let suggestion = self
            .session
            .document
            .path
            .clone()
            .or_else(|| {
                self.prefs
                    .last_folder
                    .as_ref()
                    .map(|f| f.join(format!("project.{PROJECT_EXTENSION}")))
            })
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.ask_path(PromptFor::SaveProjectAs, suggestion);
    }

    /// Writes the project in the background to `to` (save as) or where it belongs.
    pub(super) fn start_save(&mut self, to: Option<PathBuf>) {
        // A save as writes a file of the user's choosing, whatever it held.
        let known = to
            .is_none()
            .then(|| {
                self.session
                    .document
                    .on_disk
                    .as_ref()
                    .map(|d| d.stamp.clone())
            })
            .flatten();
        let Some(path) = to.or_else(|| self.session.document.save_path().map(Path::to_path_buf))
        else {
            return;
        };
        self.session.save_sequence += 1;
        let sequence = self.session.save_sequence;
        let project = self.session.document.project.clone();
        let revision = self.session.document.revision();
        let generation = self.session.generation;
        let gate = Arc::clone(&self.session.save_gate);
        let held_run_ids = self.session.document.undo.held_run_ids();
        let base = self
            .session
            .document
            .on_disk
            .as_ref()
            .map(|d| d.base.clone());
        self.session.saving += 1;
        self.session.last_save_attempt = std::time::Instant::now();
        self.spawn_job("saving the project", Cleanup::Saving, move || {
            let result = gate.write(sequence, &project, &path, &held_run_ids, known.as_ref());
            if let (Ok(Some(SessionSave::ChangedOnDisk(theirs))), Some(base)) = (&result, &base) {
                crate::project::merge::read_scores_to_renumber(&project, base, &theirs.base);
            }
            Event::Saved {
                path,
                revision,
                generation,
                result,
            }
        });
    }

    /// Saves unsaved changes every autosave interval.
    pub(super) fn autosave(&mut self) {
        if self.session.saving == 0
            && self.session.document.is_dirty()
            && self.session.document.save_path().is_some()
            && self.session.last_save_attempt.elapsed() >= self.session.autosave_interval
        {
            self.start_save(None);
        }
    }

    /// Writes unsaved changes before the window closes (on this thread: the process is ending).
    pub(super) fn save_before_exit(&mut self) {
        if !self.session.document.is_dirty() {
            return;
        }
        let Some(path) = self.session.document.save_path().map(Path::to_path_buf) else {
            return;
        };
        // A few rounds: each one that finds the file changed by another writer merges it in
        // and tries again.
        for _ in 0..3 {
            self.session.save_sequence += 1;
            let known = self
                .session
                .document
                .on_disk
                .as_ref()
                .map(|d| d.stamp.clone());
            let written = self
                .session
                .save_gate
                // The history ends with the process: deleted runs' score files can go.
                .write(
                    self.session.save_sequence,
                    &self.session.document.project,
                    &path,
                    &[],
                    known.as_ref(),
                );
            match written {
                Ok(Some(SessionSave::ChangedOnDisk(theirs))) => {
                    self.merge_from_disk(&path, theirs, false);
                }
                Ok(_) => {
                    let revision = self.session.document.revision();
                    self.session.document.mark_saved(revision);
                    return;
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    return;
                }
            }
        }
        eprintln!(
            "error: {} kept changing while the app saved it before closing",
            path.display()
        );
    }

    /// Merges what another writer saved to the project's file (`theirs`) into the open
    /// project and says what was merged; then, when `save`, saves the result (the file it
    /// replaces is kept as an earlier version).
    pub(super) fn merge_from_disk(&mut self, path: &Path, theirs: disk::OnDisk, save: bool) {
        let document = &mut self.session.document;
        let base = document.on_disk.as_ref().map_or_else(
            || std::sync::Arc::new(Project::default()),
            |d| d.base.clone(),
        );
        let report =
            crate::project::merge::merge_from_disk(&mut document.project, &base, &theirs.base);
        document.on_disk = Some(theirs);
        document.touch();
        if !report.is_empty() {
            let text = report.describe();
            let mut chars = text.chars();
            let first: String = chars
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            self.info(format!("{}: {first}{}.", path.display(), chars.as_str()));
        }
        if save {
            self.start_save(None);
        }
    }
}

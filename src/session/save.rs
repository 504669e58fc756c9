//! Saving an open project: ordered saves off the user-interface thread, autosave, the save
//! before exit, and merging what another writer saved meanwhile. Both front ends that keep a
//! project open save through this.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::document::{Document, Revision};
use crate::project::merge::DiskMerge;
use crate::project::{PROJECT_EXTENSION, Project, ProjectError};
use crate::session::disk::{self, DiskStamp, OnDisk, SessionSave};
use crate::session::lock::Wait;

/// Folder under the app's data folder where untitled projects are autosaved.
pub const AUTOSAVE_FOLDER: &str = "autosave";

/// How long a save waits for another writer of the project (`syrinx detect` storing a run)
/// before reporting it; autosave tries again later and nothing is lost meanwhile.
const SAVE_LOCK_WAIT: Duration = Duration::from_secs(5);

/// Why a save did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("an earlier save failed unexpectedly; save again")]
    EarlierSaveFailed,
    #[error("cannot create the folder {}: {detail}", path.display())]
    Folder { path: PathBuf, detail: String },
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("{} kept changing while it was being saved", path.display())]
    KeptChanging { path: PathBuf },
}

/// Orders saves: a save that started earlier never overwrites one that started later.
#[derive(Debug, Default)]
pub struct SaveGate {
    last_written: Mutex<LastWrite>,
}

/// The gate's last write.
#[derive(Debug, Default)]
struct LastWrite {
    sequence: u64,
    /// Where, and the file's stamp then: a file still holding it was written by this session,
    /// not changed by another writer, whatever stamp a save started earlier carries.
    stamp: Option<(PathBuf, DiskStamp)>,
}

impl SaveGate {
    /// Writes `project` to `path` unless a later save got there first (`None`) or another
    /// writer changed the file since the document knew it as `known` (then its project comes
    /// back to be merged); `held_run_ids` are deleted runs an undo can still bring back (their
    /// score files stay).
    fn write(
        &self,
        sequence: u64,
        project: &Project,
        path: &Path,
        held_run_ids: &[u32],
        known: Option<&DiskStamp>,
        program: &str,
    ) -> Result<Option<SessionSave>, SaveError> {
        let mut last = self
            .last_written
            .lock()
            .map_err(|_| SaveError::EarlierSaveFailed)?;
        if sequence < last.sequence {
            return Ok(None);
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| SaveError::Folder {
                path: parent.to_path_buf(),
                detail: e.to_string(),
            })?;
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
            program,
            Wait::Up(SAVE_LOCK_WAIT),
        )?;
        if let SessionSave::Written(on_disk) = &outcome {
            *last = LastWrite {
                sequence,
                stamp: Some((path.to_path_buf(), on_disk.stamp.clone())),
            };
        }
        Ok(Some(outcome))
    }
}

/// The saves of one open project: their order, how many are being written, and when the last
/// one started (for autosave).
#[derive(Debug)]
pub struct Saves {
    gate: Arc<SaveGate>,
    sequence: u64,
    /// Saves started and not yet finished.
    in_flight: usize,
    last_attempt: Instant,
    /// Unsaved changes are written this often.
    pub autosave_interval: Duration,
    /// Who saves, in words, for the project's lock file ("the Syrinx app").
    program: String,
}

/// One save, ready to be written on another thread: a copy of the project and what the
/// document knew of its file when the save started.
#[derive(Debug)]
pub struct SaveTicket {
    gate: Arc<SaveGate>,
    sequence: u64,
    project: Project,
    pub path: PathBuf,
    /// The document's revision this save writes.
    pub revision: Revision,
    held_run_ids: Vec<u32>,
    known: Option<DiskStamp>,
    base: Option<Arc<Project>>,
    program: String,
}

/// A save written (or not): hand it back to [`Document::saved`].
#[derive(Debug)]
pub struct SaveDone {
    pub path: PathBuf,
    pub revision: Revision,
    /// `Ok(None)`: a later save got there first.
    pub result: Result<Option<SessionSave>, SaveError>,
}

impl Saves {
    #[must_use]
    pub fn new(autosave_interval: Duration, program: &str) -> Self {
        Self {
            gate: Arc::default(),
            sequence: 0,
            in_flight: 0,
            last_attempt: Instant::now(),
            autosave_interval,
            program: program.to_owned(),
        }
    }

    /// Whether a save is being written.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.in_flight > 0
    }

    /// A save of `document` to `to` (save as) or where it belongs (`None` when it belongs
    /// nowhere yet). Counted as in flight until [`Saves::finished`].
    pub fn start(&mut self, document: &Document, to: Option<PathBuf>) -> Option<SaveTicket> {
        // A save as writes a file of the user's choosing, whatever it held.
        let known = to
            .is_none()
            .then(|| document.on_disk.as_ref().map(|d| d.stamp.clone()))
            .flatten();
        let path = to.or_else(|| document.save_path().map(Path::to_path_buf))?;
        self.sequence += 1;
        self.in_flight += 1;
        self.last_attempt = Instant::now();
        Some(SaveTicket {
            gate: Arc::clone(&self.gate),
            sequence: self.sequence,
            project: document.project.clone(),
            path,
            revision: document.revision(),
            held_run_ids: document.undo.held_run_ids(),
            known,
            base: document.on_disk.as_ref().map(|d| d.base.clone()),
            program: self.program.clone(),
        })
    }

    /// A save started with [`Saves::start`] has finished (or its job ended without a result).
    pub fn finished(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Whether autosave should start a save of `document` now.
    #[must_use]
    pub fn autosave_due(&self, document: &Document) -> bool {
        self.in_flight == 0
            && document.is_dirty()
            && document.save_path().is_some()
            && self.last_attempt.elapsed() >= self.autosave_interval
    }

    /// Writes `document`'s unsaved changes on this thread (the process is ending), merging what
    /// another writer saved meanwhile (a few rounds); what each merge brought in.
    pub fn save_now(&mut self, document: &mut Document) -> Result<Vec<DiskMerge>, SaveError> {
        let mut merges = Vec::new();
        if !document.is_dirty() {
            return Ok(merges);
        }
        let Some(path) = document.save_path().map(Path::to_path_buf) else {
            return Ok(merges);
        };
        for _ in 0..3 {
            self.sequence += 1;
            let known = document.on_disk.as_ref().map(|d| d.stamp.clone());
            // The history ends with the process: deleted runs' score files can go.
            let written = self.gate.write(
                self.sequence,
                &document.project,
                &path,
                &[],
                known.as_ref(),
                &self.program,
            )?;
            match written {
                Some(SessionSave::ChangedOnDisk(theirs)) => {
                    merges.push(document.merge_from_disk(theirs));
                }
                Some(SessionSave::Written(on_disk)) => {
                    let revision = document.revision();
                    document.mark_saved(revision);
                    document.on_disk = Some(on_disk);
                    return Ok(merges);
                }
                None => return Ok(merges),
            }
        }
        Err(SaveError::KeptChanging { path })
    }
}

impl SaveTicket {
    /// Writes the save (slow: call it off the user-interface thread).
    #[must_use]
    pub fn write(self) -> SaveDone {
        let result = self.gate.write(
            self.sequence,
            &self.project,
            &self.path,
            &self.held_run_ids,
            self.known.as_ref(),
            &self.program,
        );
        if let (Ok(Some(SessionSave::ChangedOnDisk(theirs))), Some(base)) = (&result, &self.base) {
            // Score files of runs a merge will renumber are read now, off the window's thread.
            crate::project::merge::read_scores_to_renumber(&self.project, base, &theirs.base);
        }
        SaveDone {
            path: self.path,
            revision: self.revision,
            result,
        }
    }
}

/// What a finished save means for the document.
#[derive(Debug)]
pub enum Saved {
    /// Written where the document belongs.
    Written,
    /// Written somewhere new (a save as): the document now lives there.
    MovedTo(PathBuf),
    /// Another writer had changed the file: their work was merged in and the document is to
    /// be saved again.
    Merged(DiskMerge),
    /// Nothing to do (a later save got there first).
    Superseded,
}

impl Document {
    /// Takes in a finished save. A save as moves the document (its untitled autosave is
    /// removed); a file another writer changed is merged in.
    pub fn saved(&mut self, done: SaveDone) -> Result<Saved, SaveError> {
        match done.result? {
            None => Ok(Saved::Superseded),
            Some(SessionSave::ChangedOnDisk(theirs)) => {
                Ok(Saved::Merged(self.merge_from_disk(theirs)))
            }
            Some(SessionSave::Written(on_disk)) => {
                self.mark_saved(done.revision);
                self.on_disk = Some(on_disk);
                if self.save_path() == Some(done.path.as_path()) {
                    return Ok(Saved::Written);
                }
                if let Some(old) = self.untitled_autosave.take() {
                    // Best effort: a stale autosave only costs disk space.
                    let _ = std::fs::remove_file(old);
                }
                self.path = Some(done.path.clone());
                Ok(Saved::MovedTo(done.path))
            }
        }
    }

    /// Merges what another writer saved to the project's file (`theirs`) into the open
    /// project: three-way, against the project as the document last knew the file.
    pub fn merge_from_disk(&mut self, theirs: OnDisk) -> DiskMerge {
        let base = self
            .on_disk
            .as_ref()
            .map_or_else(|| Arc::new(Project::default()), |d| d.base.clone());
        let report = crate::project::merge::merge_from_disk(&mut self.project, &base, &theirs.base);
        self.on_disk = Some(theirs);
        self.touch();
        report
    }
}

/// A fresh file name for an untitled project's autosave under the app's data folder.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_that_started_earlier_never_overwrites_a_later_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        let mut document = Document::untitled(None);
        document.path = Some(path.clone());
        let mut saves = Saves::new(Duration::from_secs(60), "test");
        document.project.models.push(PathBuf::from("first"));
        document.touch();
        let early = saves.start(&document, None).unwrap();
        document.project.models.push(PathBuf::from("second"));
        document.touch();
        let late = saves.start(&document, None).unwrap();
        let late = late.write();
        assert!(matches!(document.saved(late), Ok(Saved::Written)));
        let early = early.write();
        assert!(matches!(early.result, Ok(None)), "{:?}", early.result);
        let (on_disk, _) = Project::load(&path).unwrap();
        assert_eq!(on_disk.models.len(), 2, "{:?}", on_disk.models);
        assert!(!document.is_dirty());
    }

    #[test]
    fn saving_before_exit_merges_what_another_writer_saved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        Project::default().save(&path).unwrap();
        let (mut document, _) = super::super::open(&path, false).unwrap();
        crate::session::lock::edit(&path, "other", Wait::Forever, false, |p, _| {
            p.models.push(dir.path().join("theirs"));
            Ok::<_, ProjectError>(())
        })
        .unwrap();
        document.project.models.push(dir.path().join("ours"));
        document.touch();
        let mut saves = Saves::new(Duration::from_secs(60), "test");
        let merges = saves.save_now(&mut document).unwrap();
        assert_eq!(merges.len(), 1);
        let (on_disk, _) = Project::load(&path).unwrap();
        assert_eq!(on_disk.models.len(), 2, "{:?}", on_disk.models);
        assert!(!document.is_dirty());
    }
}

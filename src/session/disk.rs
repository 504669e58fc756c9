//! A project held open by a session (the app) while other writers may change its file: what
//! the session knows of the file (the project as it last loaded or saved it, and a stamp of those
//! bytes), and the save that never writes over changes it has not seen. When the file changed,
//! the save writes nothing and hands the file's project back to be merged in
//! ([`crate::project::merge::merge_from_disk`]); the session then saves again.

use std::hash::Hasher;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use super::lock::{ProjectLock, Wait};
use crate::project::{LoadReport, Project, ProjectError};

/// A project file's bytes as a session last saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskStamp {
    len: u64,
    modified: Option<SystemTime>,
    hash: u64,
}

impl DiskStamp {
    fn of(bytes: &[u8], modified: Option<SystemTime>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        hasher.write(bytes);
        Self {
            len: bytes.len() as u64,
            modified,
            hash: hasher.finish(),
        }
    }

    /// The stamp of the file at `path` now (`None`: there is no file).
    pub fn read(path: &Path) -> std::io::Result<Option<Self>> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                Ok(Some(Self::of(&bytes, modified)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the file at `path` still holds these bytes: the same size and time are taken
    /// as the same file; otherwise its contents decide (a file touched but not changed is the
    /// same).
    pub fn matches(&self, path: &Path) -> std::io::Result<bool> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if meta.len() == self.len
            && self.modified.is_some()
            && meta.modified().ok() == self.modified
        {
            return Ok(true);
        }
        Ok(Self::read(path)?.is_some_and(|now| now.len == self.len && now.hash == self.hash))
    }
}

/// What a session knows of its project's file.
#[derive(Debug, Clone)]
pub struct OnDisk {
    /// The project as the session last loaded or saved it: the base of a merge.
    pub base: Arc<Project>,
    pub stamp: DiskStamp,
}

/// Loads a project for a session that will keep it open, with what it knows of the file.
pub fn load(path: &Path) -> Result<(Project, LoadReport, OnDisk), ProjectError> {
    // The stamp is of the bytes as read just before the load; a file changed in between is
    // seen as changed at the next save, and merged then.
    let stamp = DiskStamp::read(path)
        .map_err(|e| ProjectError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?
        .ok_or_else(|| ProjectError::Read {
            path: path.to_path_buf(),
            detail: "no such file".to_owned(),
        })?;
    let (project, report) = Project::load(path)?;
    let on_disk = OnDisk {
        base: Arc::new(project.clone()),
        stamp,
    };
    Ok((project, report, on_disk))
}

/// How a session's save went.
#[derive(Debug)]
pub enum SessionSave {
    /// Written; what the session now knows of the file.
    Written(OnDisk),
    /// Not written: another writer changed the file since the session last saw it. Its
    /// project (`base`) is to be merged in before saving again.
    ChangedOnDisk(OnDisk),
}

/// Saves `project` to `path` for a session that knows the file as `known` (`None`: a new file,
/// or a save as), under the project's lock. When the file changed since `known` and what is
/// there loads, nothing is written and it comes back to be merged; a file that no longer loads
/// is written over (its bytes are kept as an earlier version).
pub fn save(
    project: &Project,
    path: &Path,
    held_run_ids: &[u32],
    known: Option<&DiskStamp>,
    program: &str,
    wait: Wait,
) -> Result<SessionSave, ProjectError> {
    let _lock = ProjectLock::acquire(path, program, wait)?;
    let read_error = |e: std::io::Error| ProjectError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    if let Some(known) = known
        && path.exists()
        && !known.matches(path).map_err(read_error)?
        && let Ok(theirs) = load(path)
    {
        return Ok(SessionSave::ChangedOnDisk(theirs.2.with_base(theirs.0)));
    }
    project.save_keeping(path, held_run_ids)?;
    let stamp = DiskStamp::read(path)
        .map_err(read_error)?
        .ok_or_else(|| ProjectError::Write {
            path: path.to_path_buf(),
            detail: "the saved file is gone".to_owned(),
        })?;
    Ok(SessionSave::Written(OnDisk {
        base: Arc::new(project.clone()),
        stamp,
    }))
}

impl OnDisk {
    fn with_base(self, project: Project) -> Self {
        Self {
            base: Arc::new(project),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_over_a_file_changed_meanwhile_writes_nothing_and_returns_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        Project::default().save(&path).unwrap();
        let (mut ours, _, known) = load(&path).unwrap();
        // Another writer adds a model.
        super::super::lock::edit(&path, "other", Wait::Forever, false, |p, _| {
            p.models.push(dir.path().join("m1"));
            Ok::<_, ProjectError>(())
        })
        .unwrap();
        ours.models.push(dir.path().join("m2"));
        let outcome = save(&ours, &path, &[], Some(&known.stamp), "test", Wait::Forever).unwrap();
        let SessionSave::ChangedOnDisk(theirs) = outcome else {
            panic!("written over a change it had not seen");
        };
        assert_eq!(theirs.base.models.len(), 1);
        assert_eq!(Project::load(&path).unwrap().0.models.len(), 1);
        // Merged, the next save writes both.
        crate::project::merge::merge_from_disk(&mut ours, &known.base, &theirs.base);
        let outcome = save(
            &ours,
            &path,
            &[],
            Some(&theirs.stamp),
            "test",
            Wait::Forever,
        )
        .unwrap();
        assert!(matches!(outcome, SessionSave::Written(_)));
        assert_eq!(Project::load(&path).unwrap().0.models.len(), 2);
    }

    #[test]
    fn a_file_touched_but_not_changed_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        Project::default().save(&path).unwrap();
        let stamp = DiskStamp::read(&path).unwrap().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        assert!(stamp.matches(&path).unwrap());
        std::fs::write(&path, b"{}").unwrap();
        assert!(!stamp.matches(&path).unwrap());
    }
}

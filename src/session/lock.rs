//! One writer at a time: whoever writes a project holds an advisory lock on a file beside it
//! (`.NAME.lock`), through the operating system's own file locks (`std::fs::File::try_lock`), so
//! a process that dies releases it and no stale lock is ever left to clear by hand. The holder
//! writes who it is into the file, so a second writer that gives up can say whom it waited for.
//!
//! Every read-modify-write of a project goes through [`edit`]: load under the lock, change, save,
//! release. Two `syrinx project add` at once then queue instead of each saving its own copy over
//! the other's.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::project::{LoadReport, LockError, Project, ProjectError};

/// How long a writer waits for another by default before it gives up with a message: long
/// enough for any save or quick command, short enough that a user is not left wondering.
pub const BRIEF_WAIT: Duration = Duration::from_secs(10);

/// How often a waiting writer tries again (the OS has no lock-with-timeout).
const RETRY_EVERY: Duration = Duration::from_millis(25);

/// How long to wait for another writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Up to this long, then fail naming the holder.
    Up(Duration),
    /// Queue however long it takes (`--wait`).
    Forever,
}

impl Wait {
    /// [`BRIEF_WAIT`], or forever when `queue` (the command line's `--wait`).
    #[must_use]
    pub fn brief_or_forever(queue: bool) -> Self {
        if queue {
            Self::Forever
        } else {
            Self::Up(BRIEF_WAIT)
        }
    }
}

/// Who holds a lock: written into the lock file by its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// What is writing, in words ("syrinx project add", "the Syrinx app").
    pub program: String,
    pub pid: u32,
    /// Since when, as seconds since the Unix epoch.
    pub since_unix_secs: u64,
}

impl Holder {
    fn this_process(program: &str) -> Self {
        Self {
            program: program.to_owned(),
            pid: std::process::id(),
            since_unix_secs: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// "syrinx project add (pid 4242) since 2026-12-07 02:41:10 UTC".
    #[must_use]
    pub fn describe(&self) -> String {
        let since = i64::try_from(self.since_unix_secs)
            .ok()
            .and_then(|secs| chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0))
            .map_or_else(
                || "an unknown time".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
        format!("{} (pid {}) since {since}", self.program, self.pid)
    }
}

/// A held project lock, released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct ProjectLock {
    /// Open for as long as the lock is held: closing it releases the lock.
    _file: File,
    project: PathBuf,
}

impl ProjectLock {
    /// Takes the lock of the project at `project` for `program`, waiting as `wait` says.
    pub fn acquire(project: &Path, program: &str, wait: Wait) -> Result<Self, LockError> {
        let path = lock_path(project);
        let io_error = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            detail: e.to_string(),
        };
        let mut file = open_lock_file(&path).map_err(io_error)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let waited = started.elapsed();
                    if let Wait::Up(limit) = wait
                        && waited >= limit
                    {
                        return Err(LockError::Busy {
                            project: project.to_path_buf(),
                            holder: holder_of(project)
                                .map_or_else(|| "another process".to_owned(), |h| h.describe()),
                            waited_secs: waited.as_secs_f64(),
                        });
                    }
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(TryLockError::Error(e)) => return Err(io_error(e)),
            }
        }
        write_holder(&mut file, program);
        Ok(Self {
            _file: file,
            project: project.to_path_buf(),
        })
    }

    /// The project this lock guards.
    #[must_use]
    pub fn project(&self) -> &Path {
        &self.project
    }
}

/// A session's mark on a project it holds open (`.NAME.open` beside it, an OS lock like the
/// write lock, so a session that ends however it ends leaves none): a second session opening
/// the project learns who has it open. It stops no one: sessions merge each other's saves
/// ([`super::disk`]).
#[derive(Debug)]
pub struct OpenMark {
    /// Open for as long as the mark is held.
    _file: File,
}

impl OpenMark {
    /// Marks `project` open for `program`. With the mark (`None` when another session holds
    /// it, or the folder cannot take one), who else has it open, in words.
    #[must_use]
    pub fn take(project: &Path, program: &str) -> (Option<Self>, Option<String>) {
        let path = sibling(project, "open");
        let Ok(mut file) = open_lock_file(&path) else {
            return (None, None);
        };
        match file.try_lock() {
            Ok(()) => {
                write_holder(&mut file, program);
                (Some(Self { _file: file }), None)
            }
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read(&path)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Holder>(&bytes).ok())
                    .map_or_else(|| "another Syrinx window".to_owned(), |h| h.describe());
                (None, Some(holder))
            }
            Err(TryLockError::Error(_)) => (None, None),
        }
    }
}

/// A lock file, opened to lock and to say who holds it (created; never truncated on open, so
/// a holder's words stay readable).
fn open_lock_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Writes who holds a lock into its file, for whoever waits next. Not essential: a failure
/// leaves the lock held and only the description unknown.
fn write_holder(file: &mut File, program: &str) {
    let holder = serde_json::to_vec(&Holder::this_process(program)).unwrap_or_default();
    let _ = file
        .set_len(0)
        .and_then(|()| file.write_all(&holder))
        .and_then(|()| file.flush());
}

/// `.NAME.EXTENSION` beside the project.
fn sibling(project: &Path, extension: &str) -> PathBuf {
    let name = project
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    project.with_file_name(format!(".{name}.{extension}"))
}

/// `.NAME.lock` beside the project.
#[must_use]
pub fn lock_path(project: &Path) -> PathBuf {
    sibling(project, "lock")
}

/// Who last took the project's lock, as its lock file says (`None` when it says nothing that
/// can be read, or on systems where a held lock cannot be read through).
#[must_use]
pub fn holder_of(project: &Path) -> Option<Holder> {
    let text = std::fs::read(lock_path(project)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Loads the project at `path` under its lock (a new, empty one when `create` and there is no
/// file yet), lets `change` edit it, and saves it before the lock is released: the
/// read-modify-write every writer uses, so writers at once queue instead of overwriting each
/// other. Nothing is saved when `change` fails.
pub fn edit<T, E>(
    path: &Path,
    program: &str,
    wait: Wait,
    create: bool,
    change: impl FnOnce(&mut Project, &LoadReport) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<ProjectError>,
{
    let _lock = ProjectLock::acquire(path, program, wait).map_err(ProjectError::from)?;
    let (mut project, report) = if create && !path.exists() {
        (Project::default(), LoadReport::default())
    } else {
        Project::load(path)?
    };
    let out = change(&mut project, &report)?;
    project.save(path)?;
    // Every writer of the project holds this lock, so no save of it is under way: whatever
    // temporary files are left were left by killed saves.
    crate::util::fsutil::remove_stale_temp_files(path, None);
    Ok(out)
}

/// What this process is, in words, for lock files: the program and its first two arguments
/// ("syrinx project add").
#[must_use]
pub fn this_program() -> String {
    let mut args = std::env::args();
    let program = args.next().map_or_else(
        || "syrinx".to_owned(),
        |p| {
            Path::new(&p)
                .file_stem()
                .map_or(p.clone(), |s| s.to_string_lossy().into_owned())
        },
    );
    std::iter::once(program)
        .chain(args.take_while(|a| !a.starts_with('-')).take(2))
        .filter(|a| !a.contains(['/', '\\', '.']))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.syrinx");
        let held = ProjectLock::acquire(&project, "syrinx project add", Wait::Forever).unwrap();
        let error = ProjectLock::acquire(&project, "other", Wait::Up(Duration::ZERO))
            .expect_err("the lock is held");
        let message = error.to_string();
        assert!(
            message.contains("syrinx project add")
                && message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(held);
        let again = ProjectLock::acquire(&project, "other", Wait::Up(Duration::ZERO));
        assert!(again.is_ok(), "released when dropped");
    }

    #[test]
    fn a_second_session_learns_who_has_the_project_open() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.syrinx");
        let (first, elsewhere) = OpenMark::take(&project, "the Syrinx app");
        assert!(first.is_some() && elsewhere.is_none());
        let (second, elsewhere) = OpenMark::take(&project, "the Syrinx app");
        assert!(second.is_none());
        assert!(elsewhere.is_some_and(|h| h.contains("the Syrinx app (pid")));
        drop(first);
        assert!(
            OpenMark::take(&project, "x").0.is_some(),
            "released with the session"
        );
    }

    #[test]
    fn edits_at_once_all_land() {
        // Sixteen threads each add a label through `edit`: without the lock, loads and saves
        // interleave and most labels are lost.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        std::thread::scope(|scope| {
            for i in 0..16 {
                let path = &path;
                scope.spawn(move || {
                    edit(path, "test", Wait::Forever, true, |project, _| {
                        project.labels.push(crate::project::LabelDef {
                            name: format!("label {i}"),
                            kind: crate::annotation::SelectionKind::Positive,
                            hotkey: None,
                        });
                        Ok::<_, ProjectError>(())
                    })
                    .unwrap();
                });
            }
        });
        let (project, _) = Project::load(&path).unwrap();
        assert_eq!(project.labels.len(), 16);
    }

    #[test]
    fn a_failed_change_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        let result = edit(&path, "test", Wait::Forever, true, |project, _| {
            project.clip_folders.clear();
            Err::<(), _>(ProjectError::Write {
                path: PathBuf::new(),
                detail: "no".to_owned(),
            })
        });
        assert!(result.is_err());
        assert!(!path.exists());
    }
}

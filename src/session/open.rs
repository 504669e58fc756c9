//! Opening a project: loaded once, with what the load found (recordings not where the project
//! says, recordings changed since they were added, an older schema migrated) told the same
//! way by the app and by every command.

use std::path::{Path, PathBuf};

use crate::annotation::ProjectRecordingId;
use crate::project::{LoadReport, Project, ProjectError};
use crate::session::Document;

/// What opening a project found that its user should hear about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The project file.
    pub path: PathBuf,
    /// Recordings whose file is not where the project says: `(id, name, path)` (kept; relink
    /// them).
    pub missing: Vec<(ProjectRecordingId, String, PathBuf)>,
    /// Recordings whose file changed since they were added: `(id, name)`.
    pub changed: Vec<(ProjectRecordingId, String)>,
    /// The schema version the file had, when it was older and was migrated.
    pub migrated_from: Option<u32>,
}

/// One thing an [`OpenReport`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Something is wrong (shown as an error, printed as a warning), not just worth knowing.
    pub serious: bool,
    pub text: String,
}

impl OpenReport {
    /// The report of `project` loaded from `path` with `report`.
    #[must_use]
    pub fn of(path: &Path, project: &Project, report: &LoadReport) -> Self {
        Self {
            path: path.to_path_buf(),
            missing: report
                .missing
                .iter()
                .filter_map(|id| project.recording(*id))
                .map(|r| (r.id, r.name(), r.path.clone()))
                .collect(),
            changed: report
                .changed
                .iter()
                .filter_map(|id| project.recording(*id))
                .map(|r| (r.id, r.name()))
                .collect(),
            migrated_from: report.migrated_from,
        }
    }

    /// What to tell the user, most serious first.
    #[must_use]
    pub fn notices(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        if !self.missing.is_empty() {
            let names: Vec<String> = self
                .missing
                .iter()
                .map(|(_, name, path)| format!("{name} ({})", path.display()))
                .collect();
            notices.push(Notice {
                serious: true,
                text: format!(
                    "{} recording(s) of {} were not found: {} — their selections are kept; relink them (Relink in the app's list)",
                    self.missing.len(),
                    self.path.display(),
                    names.join(", ")
                ),
            });
        }
        if !self.changed.is_empty() {
            let names: Vec<&str> = self.changed.iter().map(|(_, n)| n.as_str()).collect();
            notices.push(Notice {
                serious: false,
                text: format!(
                    "{} recording(s) of {} changed since they were added: {}",
                    self.changed.len(),
                    self.path.display(),
                    names.join(", ")
                ),
            });
        }
        if let Some(from) = self.migrated_from {
            notices.push(Notice {
                serious: false,
                text: format!(
                    "{} was written by an older Syrinx (schema {from}); it is updated when saved",
                    self.path.display()
                ),
            });
        }
        notices
    }

    /// The recordings not found (left out of what reads audio).
    #[must_use]
    pub fn missing_ids(&self) -> Vec<ProjectRecordingId> {
        self.missing.iter().map(|(id, _, _)| *id).collect()
    }

    /// Whether recording `id` was not found.
    #[must_use]
    pub fn is_missing(&self, id: ProjectRecordingId) -> bool {
        self.missing.iter().any(|(m, _, _)| *m == id)
    }

    /// Whether recording `id` changed since it was added.
    #[must_use]
    pub fn is_changed(&self, id: ProjectRecordingId) -> bool {
        self.changed.iter().any(|(c, _)| *c == id)
    }
}

/// Opens the project at `path` to keep it open (the app): the document with what it knows of
/// the file, and the report. `untitled` marks one of the app's own autosaves.
pub fn open(path: &Path, untitled: bool) -> Result<(Document, OpenReport), ProjectError> {
    let (project, report, on_disk) = crate::session::disk::load(path)?;
    let said = OpenReport::of(path, &project, &report);
    let document = Document::loaded(project, path, &report, Some(on_disk), untitled);
    Ok((document, said))
}

/// Reads the project at `path` (a command that reads it once), with the report.
pub fn read(path: &Path) -> Result<(Project, OpenReport), ProjectError> {
    let (project, report) = Project::load(path)?;
    let said = OpenReport::of(path, &project, &report);
    Ok((project, said))
}

/// Opens the project at `path` under its lock for one change (a command): loaded (a new,
/// empty one when `create` and there is no file yet), changed by `change` (told what opening
/// found), and saved before the lock is released; nothing is saved when `change` fails. See
/// [`crate::session::lock::edit`].
pub fn edit<T, E>(
    path: &Path,
    program: &str,
    wait: crate::session::lock::Wait,
    create: bool,
    change: impl FnOnce(&mut Project, &OpenReport) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<ProjectError>,
{
    crate::session::lock::edit(path, program, wait, create, |project, report| {
        let said = OpenReport::of(path, project, report);
        change(project, &said)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_moved_away_is_reported_by_name_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let audio = dir.path().join("dawn.wav");
        let samples = vec![0.1_f32; 8_000];
        crate::audio::write_wav(&audio, &samples, 8_000, crate::audio::WavEncoding::Pcm16).unwrap();
        let mut project = Project::default();
        let info = crate::audio::probe(&audio).unwrap();
        project.add_recording(&info).unwrap();
        let path = dir.path().join("p.syrinx");
        project.save(&path).unwrap();
        std::fs::rename(&audio, dir.path().join("elsewhere.wav")).unwrap();
        let (read, report) = read(&path).unwrap();
        assert_eq!(read.recordings.len(), 1);
        let notices = report.notices();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].serious);
        assert!(notices[0].text.contains("dawn.wav"), "{}", notices[0].text);
        let (document, _) = open(&path, false).unwrap();
        assert!(document.missing.contains(&read.recordings[0].id));
    }
}

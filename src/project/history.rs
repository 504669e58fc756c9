//! Earlier versions of a project file, so a project damaged by anything (a sync conflict, another
//! tool's save on a full disk, a mistake) can be brought back. Each save first keeps the version
//! it replaces in `.syrinx-history/` beside the project (a hard link where the file system allows,
//! so keeping costs nothing; a copy otherwise, e.g. on an SD card's exFAT), named by when that
//! version was saved; the newest [`KEEP_VERSIONS`] are kept. A project that no longer loads
//! offers them: `syrinx project restore`, and File ▸ Restore an earlier version in the app.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{Project, ProjectError};

/// Versions kept per project.
pub const KEEP_VERSIONS: usize = 5;
/// The folder beside a project that holds its earlier versions.
pub const HISTORY_DIR: &str = ".syrinx-history";

/// One earlier version of a project file.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub path: PathBuf,
    /// When this version was saved.
    pub saved: SystemTime,
    pub size_bytes: u64,
}

impl Version {
    /// When it was saved, in words ("2026-12-07 02:41:10 UTC").
    #[must_use]
    pub fn saved_text(&self) -> String {
        chrono::DateTime::<chrono::Utc>::from(self.saved)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string()
    }

    /// The version read as the project at `project` (its paths are relative to the project's
    /// folder, not to the history folder).
    pub fn load(&self, project: &Path) -> Result<Project, ProjectError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| ProjectError::Read {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        Project::from_json(&text, project).map(|(project, _)| project)
    }
}

/// `.syrinx-history/` beside `project`.
#[must_use]
pub fn history_dir(project: &Path) -> PathBuf {
    crate::util::fsutil::folder_of(project).join(HISTORY_DIR)
}

fn name_of(project: &Path) -> String {
    project
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Earlier versions of `project`, newest first.
#[must_use]
pub fn versions(project: &Path) -> Vec<Version> {
    let prefix = format!("{}.", name_of(project));
    let Ok(entries) = std::fs::read_dir(history_dir(project)) else {
        return Vec::new();
    };
    let mut found: Vec<(String, Version)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix(&prefix)?;
            // Only `NAME.STAMP`: not another project whose name starts with this one's.
            if !stamp.starts_with(|c: char| c.is_ascii_digit()) || stamp.contains(".syrinx") {
                return None;
            }
            let meta = entry.metadata().ok()?;
            let version = Version {
                path: entry.path(),
                saved: meta.modified().ok()?,
                size_bytes: meta.len(),
            };
            Some((stamp.to_owned(), version))
        })
        .collect();
    // Stamps sort as times; the modification time breaks nothing if a stamp was renamed.
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, v)| v).collect()
}

/// Keeps the file now at `project` as an earlier version (nothing when there is none, or when
/// the newest version is already this file), then removes all but the newest
/// [`KEEP_VERSIONS`]. Called before a save replaces the file.
pub fn keep_current(project: &Path) -> std::io::Result<()> {
    let meta = match std::fs::metadata(project) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let saved = meta.modified()?;
    let existing = versions(project);
    if existing
        .first()
        .is_some_and(|v| v.saved == saved && v.size_bytes == meta.len())
    {
        return Ok(());
    }
    let dir = history_dir(project);
    std::fs::create_dir_all(&dir)?;
    let stamp = chrono::DateTime::<chrono::Utc>::from(saved)
        .format("%Y%m%d-%H%M%S%.3f")
        .to_string();
    let name = name_of(project);
    for attempt in 1..100 {
        let target = if attempt == 1 {
            dir.join(format!("{name}.{stamp}"))
        } else {
            dir.join(format!("{name}.{stamp}-{attempt:02}"))
        };
        match std::fs::hard_link(project, &target) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            // No hard links here (FAT, exFAT, some network shares): a copy with the same
            // modification time, so the next save sees it as kept.
            Err(_) => {
                if target.exists() {
                    continue;
                }
                let bytes = std::fs::read(project)?;
                crate::util::fsutil::write_atomically(&target, &bytes)?;
                if let Ok(file) = std::fs::File::options().write(true).open(&target) {
                    let _ = file.set_modified(saved);
                }
                break;
            }
        }
    }
    for old in versions(project).iter().skip(KEEP_VERSIONS) {
        let _ = std::fs::remove_file(&old.path);
    }
    Ok(())
}

/// Brings back `version` as the project at `project`, keeping the file it replaces (however
/// damaged) as a version first, so a restore can itself be undone. The version must load.
pub fn restore(project: &Path, version: &Version) -> Result<Project, ProjectError> {
    let restored = version.load(project)?;
    let bytes = std::fs::read(&version.path).map_err(|e| ProjectError::Read {
        path: version.path.clone(),
        detail: e.to_string(),
    })?;
    let write_error = |e: std::io::Error| ProjectError::Write {
        path: project.to_path_buf(),
        detail: e.to_string(),
    };
    keep_current(project).map_err(write_error)?;
    crate::util::fsutil::write_atomically(project, &bytes).map_err(write_error)?;
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(n: usize) -> Project {
        let mut project = Project::default();
        for i in 0..n {
            project.labels.push(super::super::LabelDef {
                name: format!("label {i}"),
                kind: crate::annotation::SelectionKind::Positive,
                hotkey: None,
            });
        }
        project
    }

    #[test]
    fn saves_keep_the_last_versions_and_a_damaged_project_restores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.syrinx");
        for n in 1..=8 {
            labelled(n).save(&path).unwrap();
        }
        let kept = versions(&path);
        assert_eq!(kept.len(), KEEP_VERSIONS);
        // Newest first: the save before the last one had 7 labels.
        let newest = kept[0].load(&path).unwrap();
        assert_eq!(newest.labels.len(), 7);
        assert_eq!(kept[KEEP_VERSIONS - 1].load(&path).unwrap().labels.len(), 3);

        std::fs::write(&path, b"{\"schema_version\": 2, \"recordings\": [").unwrap();
        assert!(Project::load(&path).is_err());
        let restored = restore(&path, &versions(&path)[0]).unwrap();
        assert_eq!(restored.labels.len(), 8 - 1);
        assert_eq!(Project::load(&path).unwrap().0.labels.len(), 7);
        // The damaged file is itself kept, so the restore can be undone.
        let damaged = versions(&path)[0].path.clone();
        assert!(std::fs::read(damaged).unwrap().ends_with(b"["));
    }

    #[test]
    fn another_project_in_the_folder_keeps_its_own_versions() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            dir.path().join("a.syrinx"),
            dir.path().join("a.syrinx.2.syrinx"),
        );
        for n in 1..=3 {
            labelled(n).save(&a).unwrap();
            labelled(n).save(&b).unwrap();
        }
        assert_eq!(versions(&a).len(), 2);
        assert_eq!(versions(&b).len(), 2);
    }
}

//! Exporting selections: a table per recording (and a combined one), and optionally a WAV clip
//! of each selection, for the whole project or some recordings. File > Export selections in the
//! app and `syrinx project export` run this.

use std::path::{Path, PathBuf};

use crate::annotation::{ProjectRecordingId, TableFormat};
use crate::project::Project;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum SelectionExportError {
    #[error(transparent)]
    Tables(#[from] crate::export::ExportError),
    #[error(transparent)]
    Clips(#[from] crate::clips::ClipError),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOutcome {
    pub tables: Vec<PathBuf>,
    /// The clip folder and the clips written, when clips were asked for.
    pub clips: Option<(PathBuf, usize)>,
    /// Recordings whose clips could not be cut, with why (the rest were written).
    pub failed: Vec<String>,
}

impl ExportOutcome {
    /// One line for the user.
    #[must_use]
    pub fn summary(&self, format: TableFormat, folder: &Path) -> String {
        let mut summary = format!(
            "Exported {} {} table(s) to {}",
            self.tables.len(),
            format.name(),
            folder.display()
        );
        if let Some((dir, count)) = &self.clips {
            summary.push_str(&format!(" and {count} clip(s) to {}", dir.display()));
        }
        if !self.failed.is_empty() {
            summary.push_str(&format!("; not exported: {}", self.failed.join("; ")));
        }
        summary
    }
}

/// Writes the tables of `project` (of the recordings in `scope`, or all) into `folder`, and with
/// `clips` a clip of each of their selections into `folder/clips/<kind>/<label>/`, with
/// `padding_secs` of audio either side.
pub fn export_selections(
    project: &Project,
    scope: Option<&[ProjectRecordingId]>,
    format: TableFormat,
    folder: &Path,
    clips: bool,
    padding_secs: f64,
) -> Result<ExportOutcome, SelectionExportError> {
    let mut outcome = ExportOutcome {
        tables: crate::export::export_tables(project, scope, format, folder)?,
        ..ExportOutcome::default()
    };
    if clips {
        let selections: Vec<_> = project
            .selections
            .items()
            .iter()
            .filter(|s| scope.is_none_or(|ids| ids.contains(&s.recording)))
            .collect();
        let clips_dir = folder.join("clips");
        let export = crate::clips::export_clips(project, &selections, &clips_dir, padding_secs)?;
        outcome.clips = Some((clips_dir, export.written.len()));
        outcome.failed = export.failed;
    }
    Ok(outcome)
}

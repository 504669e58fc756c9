//! Writing a project's selections out as tables: a Raven table per recording plus one combined
//! multi-file table, Audacity labels per recording, or one CSV. The app's Export window and
//! `syrinx project export` both call [`export_tables`].

use std::path::{Path, PathBuf};

use crate::annotation::{
    AnnotationError, ProjectRecordingId, TableFormat, write_raven_combined, write_table,
};
use crate::project::Project;

/// Errors while exporting tables.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot create the export folder: {detail}: {}", path.display())]
    Folder { path: PathBuf, detail: String },
    #[error(transparent)]
    Table(#[from] AnnotationError),
    #[error("cannot write {}: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
}

/// The name of the combined Raven table.
pub const COMBINED_RAVEN_FILE: &str = "all.selections.txt";
/// The name of the CSV of every selection.
pub const CSV_FILE: &str = "selections.csv";

/// Writes the selections of `recordings` (every recording if `None`) as `format` into `out_dir`,
/// returning the files written. Raven: `<stem>.Table.1.selections.txt` per recording and
/// [`COMBINED_RAVEN_FILE`]; Audacity: `<stem>.txt` per recording; CSV: [`CSV_FILE`].
pub fn export_tables(
    project: &Project,
    recordings: Option<&[ProjectRecordingId]>,
    format: TableFormat,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ExportError> {
    std::fs::create_dir_all(out_dir).map_err(|e| ExportError::Folder {
        path: out_dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let chosen: Vec<_> = project
        .recordings
        .iter()
        .filter(|r| recordings.is_none_or(|ids| ids.contains(&r.id)))
        .collect();
    let rows_of_chosen = || {
        chosen
            .iter()
            .flat_map(|r| project.table_rows(Some(r.id), true))
            .collect::<Vec<_>>()
    };
    let mut written = Vec::new();
    if format == TableFormat::Csv {
        let path = out_dir.join(CSV_FILE);
        write_table(&path, TableFormat::Csv, &rows_of_chosen())?;
        written.push(path);
        return Ok(written);
    }
    for recording in &chosen {
        let stem = recording
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match format {
            TableFormat::Raven => format!("{stem}.Table.1.selections.txt"),
            _ => format!("{stem}.txt"),
        };
        let path = out_dir.join(name);
        write_table(
            &path,
            format,
            &project.table_rows(Some(recording.id), false),
        )?;
        written.push(path);
    }
    if format == TableFormat::Raven {
        let durations = chosen.iter().map(|r| (r.name(), r.duration_secs)).collect();
        let text = write_raven_combined(&rows_of_chosen(), &durations);
        let path = out_dir.join(COMBINED_RAVEN_FILE);
        crate::fsutil::write_atomically(&path, text.as_bytes()).map_err(|e| {
            ExportError::Write {
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
        written.push(path);
    }
    Ok(written)
}

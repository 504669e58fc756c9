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
/// [`COMBINED_RAVEN_FILE`]; Audacity: `<stem>.txt` per recording; CSV: [`CSV_FILE`]. Recordings
/// sharing a stem are told apart by their folders (`north_<stem>…`, see
/// [`Project::recording_stems`]).
pub fn export_tables(
    project: &Project,
    recordings: Option<&[ProjectRecordingId]>,
    format: TableFormat,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ExportError> {
    create_folder(out_dir)?;
    let chosen: Vec<_> = project
        .recordings
        .iter()
        .filter(|r| recordings.is_none_or(|ids| ids.contains(&r.id)))
        .collect();
    // Each recording's start (its metadata's or its name's: the WAV's chunk headers are read,
    // off the UI thread), so that tables carry wall-clock times.
    let starts: Vec<_> = chosen
        .iter()
        .map(|r| crate::audio::recording_start_of(&r.path).map(|s| s.local_time))
        .collect();
    let rows_of = |index: usize, name_files: bool| {
        let mut rows = project.table_rows(Some(chosen[index].id), name_files);
        for file in rows.iter_mut().filter_map(|r| r.file.as_mut()) {
            file.start = starts[index];
        }
        rows
    };
    let rows_of_chosen = || {
        (0..chosen.len())
            .flat_map(|index| rows_of(index, true))
            .collect::<Vec<_>>()
    };
    let mut written = Vec::new();
    if format == TableFormat::Csv {
        let path = out_dir.join(CSV_FILE);
        write_table(&path, TableFormat::Csv, &rows_of_chosen())?;
        written.push(path);
        return Ok(written);
    }
    // Recordings of the same name (two sites' `20240518_052000.WAV`) get a table each, named
    // with their folders: one must not overwrite the other.
    let stems = project.recording_stems();
    for (index, recording) in chosen.iter().enumerate() {
        let stem = stems.get(&recording.id).map_or("", String::as_str);
        let path = out_dir.join(recording_table_name(stem, format, TableOf::Selections));
        // A recording's own table names its file only to give clock times (Raven's
        // `Begin Date` and `Begin Clock Time` come with `Begin File` and `File Offset (s)`).
        write_table(&path, format, &rows_of(index, starts[index].is_some()))?;
        written.push(path);
    }
    if format == TableFormat::Raven {
        let durations = chosen
            .iter()
            .map(|r| (r.path.display().to_string(), r.duration_secs))
            .collect();
        let text = write_raven_combined(&rows_of_chosen(), &durations);
        let path = out_dir.join(COMBINED_RAVEN_FILE);
        crate::util::fsutil::write_atomically(&path, text.as_bytes()).map_err(|e| {
            ExportError::Write {
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
        written.push(path);
    }
    Ok(written)
}

pub mod calibration;
mod detections;

pub use detections::{
    CLASS_COLUMN, COUNTS_CLASS_HEADER, COUNTS_FILE, COUNTS_HEADER, DETECTIONS_CSV_FILE,
    DETECTIONS_RAVEN_FILE, DetectionsFolder, RUN_TABLE_FORMATS, RecordingOut, class_counts_line,
    counts_line, detection_row, detection_rows, export_run,
};

/// Which tables a file name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOf {
    /// A project's selections of one recording.
    Selections,
    /// A model's detections in one recording.
    Detections,
}

/// The file name of one recording's table (`stem`: the recording's file stem) in `format`.
#[must_use]
pub fn recording_table_name(stem: &str, format: TableFormat, of: TableOf) -> String {
    match (format, of) {
        (TableFormat::Raven, TableOf::Selections) => format!("{stem}.Table.1.selections.txt"),
        (TableFormat::Raven, TableOf::Detections) => format!("{stem}.selections.txt"),
        (TableFormat::Audacity, _) => format!("{stem}.txt"),
        (TableFormat::Csv, _) => format!("{stem}.csv"),
    }
}

/// A CSV field, quoted when it holds a comma, quote or newline.
#[must_use]
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub(crate) fn create_folder(dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::Folder {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })
}

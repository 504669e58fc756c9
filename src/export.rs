//! Writing a project's selections out as tables: a Raven table per recording plus one combined
//! multi-file table, Audacity labels per recording, or one CSV. The app's Export window and
//! `syrinx project export` both call [`export_tables`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::annotation::{
    AnnotationError, FileRef, ProjectRecordingId, SelectionKind, TableFormat, TableRow,
    write_raven_combined, write_table,
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
    create_folder(out_dir)?;
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

/// The combined Raven table of a detection run.
pub const DETECTIONS_RAVEN_FILE: &str = "all_detections.selections.txt";
/// The CSV of every detection (with verdicts).
pub const DETECTIONS_CSV_FILE: &str = "all_detections.csv";
/// Detections per recording.
pub const COUNTS_FILE: &str = "counts.csv";

/// The first line of [`COUNTS_FILE`].
pub const COUNTS_HEADER: &str = "recording,detections,audio_s\n";

/// One line of [`COUNTS_FILE`].
#[must_use]
pub fn counts_line(recording_name: &str, detections: usize, audio_secs: f64) -> String {
    format!(
        "{},{detections},{audio_secs:.3}\n",
        csv_field(recording_name)
    )
}

/// Header of [`COUNTS_FILE`] for a multi-class model: a line per recording and class.
pub const COUNTS_CLASS_HEADER: &str = "recording,class,detections,audio_s\n";

/// One line of a multi-class [`COUNTS_FILE`].
#[must_use]
pub fn class_counts_line(
    recording_name: &str,
    class: &str,
    detections: usize,
    audio_secs: f64,
) -> String {
    format!(
        "{},{},{detections},{audio_secs:.3}\n",
        csv_field(recording_name),
        csv_field(class)
    )
}

/// The column a multi-class model's detections carry their class in.
pub const CLASS_COLUMN: &str = "Class";

/// The table row of a detection: `band_hz` (detections carry no frequency bounds of their own:
/// the model's typical band of its calls, or the whole spectrum), `label`, the maximum score,
/// the verdict if any, and the file so that Raven tables get `Begin File`, `Begin Path` and
/// `File Offset (s)`.
#[must_use]
pub fn detection_row(
    detection: &crate::detect::Detection,
    file: &FileRef,
    band_hz: (f64, f64),
    label: &str,
    verdict: Option<crate::review::Verdict>,
) -> TableRow {
    TableRow {
        start_secs: detection.start_secs,
        end_secs: detection.end_secs,
        low_hz: Some(band_hz.0),
        high_hz: Some(band_hz.1),
        label: label.to_owned(),
        kind: Some(SelectionKind::Positive),
        score: Some(f64::from(detection.max_score)),
        verdict: verdict.map(|v| format!("{v:?}")),
        file: Some(file.clone()),
        ..TableRow::default()
    }
}

/// Table rows of a run's detections on one recording (see [`detection_row`]), with the
/// model's band when the run knows it, else the recording's whole spectrum.
#[must_use]
pub fn detection_rows(
    project: &Project,
    part: &crate::review::RecordingDetections,
    label: &str,
    band_hz: Option<(f64, f64)>,
) -> Vec<TableRow> {
    let Some(recording) = project.recording(part.recording) else {
        return Vec::new();
    };
    let file = FileRef {
        name: recording.name(),
        path: Some(recording.path.display().to_string()),
    };
    part.detections
        .iter()
        .map(|d| {
            detection_row(
                &d.detection,
                &file,
                band_hz.unwrap_or((0.0, recording.nyquist_hz())),
                label,
                d.verdict,
            )
        })
        .collect()
}

/// Writes a run's detections: `<stem>.selections.txt` (Raven) and `<stem>.txt` (Audacity) per
/// recording, [`DETECTIONS_RAVEN_FILE`] and [`DETECTIONS_CSV_FILE`] over all, and
/// [`COUNTS_FILE`] (detections per recording: the count of calls).
pub fn export_detections(
    project: &Project,
    run: &crate::review::DetectionRun,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ExportError> {
    create_folder(out_dir)?;
    let mut written = Vec::new();
    let mut all = Vec::new();
    let mut durations = BTreeMap::new();
    let mut counts = String::from(COUNTS_HEADER);
    for part in &run.recordings {
        let Some(recording) = project.recording(part.recording) else {
            continue;
        };
        let rows = detection_rows(project, part, &run.label, run.band_hz);
        let stem = recording
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (format, name) in [
            (TableFormat::Raven, format!("{stem}.selections.txt")),
            (TableFormat::Audacity, format!("{stem}.txt")),
        ] {
            let path = out_dir.join(name);
            write_table(&path, format, &rows)?;
            written.push(path);
        }
        counts.push_str(&counts_line(
            &recording.name(),
            rows.len(),
            recording.duration_secs,
        ));
        durations.insert(recording.name(), recording.duration_secs);
        all.extend(rows);
    }
    let write = |name: &str, bytes: &[u8]| {
        let path = out_dir.join(name);
        crate::fsutil::write_atomically(&path, bytes)
            .map(|()| path.clone())
            .map_err(|e| ExportError::Write {
                path,
                detail: e.to_string(),
            })
    };
    written.push(write(
        DETECTIONS_RAVEN_FILE,
        write_raven_combined(&all, &durations).as_bytes(),
    )?);
    let csv_path = out_dir.join(DETECTIONS_CSV_FILE);
    write_table(&csv_path, TableFormat::Csv, &all)?;
    written.push(csv_path);
    written.push(write(COUNTS_FILE, counts.as_bytes())?);
    Ok(written)
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

fn create_folder(dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::Folder {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })
}

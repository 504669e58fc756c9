//! The detections folder: a table per recording in the formats asked for, the combined Raven
//! table and CSV of every detection, and the counts. One writer for `syrinx detect` (a table
//! per recording as each is scored), Review's "Export detections" and `syrinx project
//! export-detections` (a stored run), so they write the same files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::{ExportError, TableOf, create_folder, csv_field, recording_table_name};
use crate::annotation::{
    FileRef, SelectionKind, TableFormat, TableRow, write_raven_combined, write_table,
};
use crate::project::Project;
use crate::util::paths::Leaf;

/// The combined Raven table of a detection run.
pub const DETECTIONS_RAVEN_FILE: &str = "all_detections.selections.txt";
/// The CSV of every detection (with verdicts).
pub const DETECTIONS_CSV_FILE: &str = "all_detections.csv";
/// Detections per recording.
pub const COUNTS_FILE: &str = "counts.csv";

/// The first line of [`COUNTS_FILE`]. The path tells apart two sites' recordings of one name
/// (recorders name files by their start time); readers find columns by position, so it comes
/// last.
pub const COUNTS_HEADER: &str = "recording,detections,audio_s,path\n";

/// One line of [`COUNTS_FILE`].
#[must_use]
pub fn counts_line(recording: &RecordingOut<'_>, detections: usize) -> String {
    format!(
        "{},{detections},{:.3},{}\n",
        csv_field(recording.name),
        recording.audio_secs,
        csv_field(&recording.path.display().to_string())
    )
}

/// Header of [`COUNTS_FILE`] for a multi-class model: a line per recording and class.
pub const COUNTS_CLASS_HEADER: &str = "recording,class,detections,audio_s,path\n";

/// One line of a multi-class [`COUNTS_FILE`].
#[must_use]
pub fn class_counts_line(recording: &RecordingOut<'_>, class: &str, detections: usize) -> String {
    format!(
        "{},{},{detections},{:.3},{}\n",
        csv_field(recording.name),
        csv_field(class),
        recording.audio_secs,
        csv_field(&recording.path.display().to_string())
    )
}

/// The column a multi-class model's detections carry their class in.
pub const CLASS_COLUMN: &str = "Class";

/// The table row of a detection: its box (its own band where its energy found one, else
/// `band_hz`: the model's typical band of its calls, or the whole spectrum), `label`, the maximum score,
/// the verdict if any, and the file so that Raven tables get `Begin File`, `Begin Path` and
/// `File Offset (s)`.
#[must_use]
pub fn detection_row(
    detection: &crate::detect::Detection,
    file: &FileRef,
    band_hz: (f64, f64),
    label: &str,
    verdict: Option<crate::project::runs::Verdict>,
) -> TableRow {
    TableRow {
        start_secs: detection.start_secs,
        end_secs: detection.end_secs,
        low_hz: Some(detection.band_hz.unwrap_or(band_hz).0),
        high_hz: Some(detection.band_hz.unwrap_or(band_hz).1),
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
    part: &crate::project::runs::RecordingDetections,
    label: &str,
    band_hz: Option<(f64, f64)>,
) -> Vec<TableRow> {
    let Some(recording) = project.recording(part.recording) else {
        return Vec::new();
    };
    let file = FileRef {
        name: recording.name(),
        path: Some(recording.path.display().to_string()),
        // Reads the WAV's chunk headers: exports run off the UI thread.
        start: crate::audio::recording_start_of(&recording.path).map(|s| s.local_time),
    };
    // The Site/group goes with each row: reports and calibration count by it.
    let site = recording.group_typed();
    part.detections
        .iter()
        .map(|d| {
            let mut row = detection_row(
                &d.detection,
                &file,
                band_hz.unwrap_or((0.0, recording.nyquist_hz())),
                label,
                d.verdict,
            );
            if let Some(site) = site {
                row.values
                    .insert(crate::annotation::SITE_COLUMN.to_owned(), site.to_owned());
            }
            row
        })
        .collect()
}

/// A detections folder being written.
#[derive(Debug)]
pub struct DetectionsFolder {
    out_dir: PathBuf,
    /// The formats of the per-recording tables.
    formats: Vec<TableFormat>,
    /// A multi-class model's classes (empty: one class).
    classes: Vec<String>,
    /// Rows and counts lines of each recording by its place in the batch: the combined tables
    /// list recordings in that order however the rows arrived.
    combined: BTreeMap<usize, Vec<TableRow>>,
    counts: BTreeMap<usize, String>,
    durations: BTreeMap<String, f64>,
    /// Every file written (a set: a batch of thousands of files looks each up).
    written: BTreeSet<PathBuf>,
    /// The stem each recording's tables take, worked out from every recording of the batch
    /// (see [`DetectionsFolder::name_tables_among`]); and which recording has each stem taken.
    table_stems: HashMap<PathBuf, String>,
    stems_taken: HashMap<String, PathBuf>,
}

/// A recording whose detections are written.
#[derive(Debug, Clone, Copy)]
pub struct RecordingOut<'a> {
    /// Its name in the tables (the file name).
    pub name: &'a str,
    /// Its file (the per-recording tables take its stem).
    pub path: &'a Path,
    pub audio_secs: f64,
}

impl DetectionsFolder {
    /// Starts writing into `out_dir` (created if needed): per-recording tables in `formats`;
    /// `classes` of a multi-class model, else empty.
    pub fn create(
        out_dir: &Path,
        formats: &[TableFormat],
        classes: Vec<String>,
    ) -> Result<Self, ExportError> {
        create_folder(out_dir)?;
        Ok(Self {
            out_dir: out_dir.to_path_buf(),
            formats: formats.to_vec(),
            classes,
            combined: BTreeMap::new(),
            counts: BTreeMap::new(),
            durations: BTreeMap::new(),
            written: BTreeSet::new(),
            table_stems: HashMap::new(),
            stems_taken: HashMap::new(),
        })
    }

    /// Names the tables of the batch's recordings `paths` (all of them, before any is
    /// recorded; a shard passes the whole batch's): each its file's stem, or where files share
    /// one (two sites' `20240518_052000.WAV`), the stem with their folders
    /// (`north_20240518_052000`). The names depend on the list only, so a resumed batch or
    /// another shard names a recording's tables alike.
    pub fn name_tables_among(&mut self, paths: &[&Path]) {
        let stems = crate::util::paths::distinct_leaves(paths, Leaf::FileStem, "_");
        self.table_stems = paths.iter().map(|p| p.to_path_buf()).zip(stems).collect();
    }

    /// The stem of `path`'s tables: as named among the batch, else its file's; never one that
    /// another recording of this folder has (a number is added), so no table overwrites another.
    fn table_stem(&mut self, path: &Path) -> String {
        let named = self.table_stems.get(path).cloned().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let mut stem = named.clone();
        let mut number = 2;
        while self
            .stems_taken
            .get(&stem)
            .is_some_and(|owner| owner != path)
        {
            stem = format!("{named}_{number}");
            number += 1;
        }
        self.stems_taken.insert(stem.clone(), path.to_path_buf());
        stem
    }

    /// Writes the tables of the `index`-th recording, `per_class` holding the rows of each
    /// class (one list for a one-class model), and keeps its rows and counts for the combined
    /// tables. A multi-class model's classes go in one table sorted by time, each row with its
    /// class in the [`CLASS_COLUMN`]. Returns the rows written.
    pub fn record(
        &mut self,
        index: usize,
        recording: RecordingOut<'_>,
        per_class: Vec<Vec<TableRow>>,
    ) -> Result<usize, ExportError> {
        let mut rows: Vec<TableRow> = Vec::new();
        let mut counts = String::new();
        if self.classes.is_empty() {
            let found = per_class.into_iter().next().unwrap_or_default();
            counts.push_str(&counts_line(&recording, found.len()));
            rows = found;
        } else {
            for (class, found) in self.classes.iter().zip(per_class) {
                counts.push_str(&class_counts_line(&recording, class, found.len()));
                rows.extend(found.into_iter().map(|mut row| {
                    row.values.insert(CLASS_COLUMN.to_owned(), class.clone());
                    row
                }));
            }
            rows.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
        }
        let stem = self.table_stem(recording.path);
        for format in &self.formats {
            let path = self
                .out_dir
                .join(recording_table_name(&stem, *format, TableOf::Detections));
            write_table(&path, *format, &rows)?;
            self.written.insert(path);
        }
        let count = rows.len();
        self.counts.insert(index, counts);
        // By path, as the combined Raven table tells files apart (see `FileRef::key`).
        self.durations
            .insert(recording.path.display().to_string(), recording.audio_secs);
        self.combined.insert(index, rows);
        Ok(count)
    }

    /// Writes the combined tables and the counts; every file written, by name.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, ExportError> {
        let all: Vec<TableRow> = self.combined.values().flatten().cloned().collect();
        let csv_path = self.out_dir.join(DETECTIONS_CSV_FILE);
        write_table(&csv_path, TableFormat::Csv, &all)?;
        let header = if self.classes.is_empty() {
            COUNTS_HEADER
        } else {
            COUNTS_CLASS_HEADER
        };
        let counts: String = std::iter::once(header)
            .chain(self.counts.values().map(String::as_str))
            .collect();
        for (name, bytes) in [
            (
                DETECTIONS_RAVEN_FILE,
                write_raven_combined(&all, &self.durations).into_bytes(),
            ),
            (COUNTS_FILE, counts.into_bytes()),
        ] {
            let path = self.out_dir.join(name);
            crate::util::fsutil::write_atomically(&path, &bytes).map_err(|e| {
                ExportError::Write {
                    path: path.clone(),
                    detail: e.to_string(),
                }
            })?;
            self.written.insert(path);
        }
        self.written.insert(csv_path);
        Ok(self.written.into_iter().collect())
    }
}

/// The per-recording tables of an exported run unless others are asked for: Raven for review,
/// Audacity labels for listening.
pub const RUN_TABLE_FORMATS: [TableFormat; 2] = [TableFormat::Raven, TableFormat::Audacity];

/// Writes a stored run's detections (with their verdicts) into `out_dir` as `syrinx detect`
/// writes a batch's: per-recording tables in `formats`, the combined tables, the counts.
pub fn export_run(
    project: &Project,
    run: &crate::project::runs::DetectionRun,
    out_dir: &Path,
    formats: &[TableFormat],
) -> Result<Vec<PathBuf>, ExportError> {
    let mut folder = DetectionsFolder::create(out_dir, formats, Vec::new())?;
    // In file order, as a batch lists its files (a run keeps them in the order they finished).
    let mut parts: Vec<_> = run
        .recordings
        .iter()
        .filter_map(|part| Some((project.recording(part.recording)?, part)))
        .collect();
    parts.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let paths: Vec<&Path> = parts.iter().map(|(r, _)| r.path.as_path()).collect();
    folder.name_tables_among(&paths);
    for (index, (recording, part)) in parts.into_iter().enumerate() {
        let mut rows = detection_rows(project, part, &run.label, run.band_hz);
        if let Some(calibration) = &run.calibration {
            for row in &mut rows {
                if let Some(score) = row.score {
                    row.values.insert(
                        crate::calibrate::PROBABILITY_COLUMN.to_owned(),
                        format!("{:.4}", calibration.probability(score as f32)),
                    );
                }
            }
        }
        folder.record(
            index,
            RecordingOut {
                name: &recording.name(),
                path: &recording.path,
                audio_secs: recording.duration_secs,
            },
            vec![rows],
        )?;
    }
    folder.finish()
}

//! Adding recordings and their tables to a project (File > Open folder in the app, `syrinx
//! project add` on the command line): the part after the disk was read, the same for both.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::annotation::{
    Edit, ImportOptions, ProjectRecordingId, Selection, UnknownLabels, preview_import,
};
use crate::project::{Project, ProjectChange, ProjectRecording, Split, table_names_audio};
use crate::session::Document;
use crate::workflow::folders::FolderContents;

/// How added recordings are flagged and their tables' labels read. The default reads each
/// table the way its import preview suggests.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub fully_annotated: bool,
    pub split: Option<Split>,
    pub group: Option<String>,
    /// The label column (default: the one the table suggests).
    pub label_column: Option<String>,
    /// Which labels are positive and negative (default: what each table suggests).
    pub labels: Option<LabelChoice>,
}

/// Labels chosen for every table, instead of each table's suggestion.
#[derive(Debug, Clone)]
pub struct LabelChoice {
    pub positive: BTreeSet<String>,
    pub negative: BTreeSet<String>,
    /// Rows of any other label.
    pub other: UnknownLabels,
}

/// What one table brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableAdded {
    pub path: PathBuf,
    /// Rows the table has.
    pub rows: usize,
    pub imported: usize,
    pub skipped: usize,
    /// Rows left out, each with why.
    pub warnings: Vec<String>,
    /// Files named by rows that are not in the project, with their row counts.
    pub unmatched: Vec<(String, usize)>,
}

/// Recordings and selections to add, worked out against a project.
#[derive(Debug, Default)]
pub struct Addition {
    /// Recordings new to the project (already in it; the undo step removes them).
    pub recordings: Vec<ProjectRecording>,
    /// Every recording read, new or already there.
    pub recording_ids: Vec<ProjectRecordingId>,
    /// Selections of the tables, with ids new to the project.
    pub selections: Vec<Selection>,
    pub tables: Vec<TableAdded>,
    /// Files that could not be read or used, each message naming its file.
    pub errors: Vec<String>,
    /// Warnings about recordings that were added (an odd header, say), each naming its file.
    pub warnings: Vec<String>,
}

impl Addition {
    /// The first recording read (the app shows it).
    #[must_use]
    pub fn first(&self) -> Option<ProjectRecordingId> {
        self.recording_ids.first().copied()
    }

    /// Whether anything is added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.recordings.is_empty() && self.selections.is_empty()
    }

    /// "3 recording(s), 40 selection(s) from 2 table(s) (1 bad row(s) left out)".
    #[must_use]
    pub fn describe(&self) -> String {
        let bad_rows: usize = self.tables.iter().map(|t| t.warnings.len()).sum();
        format!(
            "{} recording(s), {} selection(s) from {} table(s){}",
            self.recording_ids.len(),
            self.selections.len(),
            self.tables.len(),
            if bad_rows > 0 {
                format!(" ({bad_rows} bad row(s) left out)")
            } else {
                String::new()
            }
        )
    }
}

/// Adds the recordings of `contents` to `project` (flagged as `options` says) and maps its
/// tables to selections, not yet inserted: [`Document::add`] makes both one undo step, and
/// [`Addition::insert_into`] inserts them for a command.
pub fn plan(project: &mut Project, contents: &FolderContents, options: &AddOptions) -> Addition {
    let mut addition = Addition {
        errors: contents.errors.clone(),
        ..Addition::default()
    };
    // Audio paths as read, with the id each has in the project.
    let mut read: Vec<(PathBuf, ProjectRecordingId)> = Vec::new();
    for (info, size, print) in &contents.recordings {
        for warning in &info.warnings {
            addition
                .warnings
                .push(format!("{warning}: {}", info.path.display()));
        }
        let id = match project.addition_of(info, *size, print.clone()) {
            Ok(existing) => existing,
            Err(mut recording) => {
                recording.fully_annotated = options.fully_annotated;
                recording.split = options.split.unwrap_or(recording.split);
                recording.group.clone_from(&options.group);
                project.recordings.push(recording.clone());
                let id = recording.id;
                addition.recordings.push(recording);
                id
            }
        };
        read.push((info.path.clone(), id));
        addition.recording_ids.push(id);
    }
    // One id source for every table, so their selections never share an id.
    let mut ids = project.selections.clone();
    for (audio, table_path, table) in &contents.tables {
        let table = match table {
            Ok(table) => table,
            Err(error) => {
                addition.errors.push(error.to_string());
                continue;
            }
        };
        let default = default_recording(table_path, audio.as_ref(), &read);
        let mut import = ImportOptions::suggested(table);
        if options.label_column.is_some() {
            import.label_column.clone_from(&options.label_column);
        }
        if let Some(labels) = &options.labels {
            import.positive_labels.clone_from(&labels.positive);
            import.negative_labels.clone_from(&labels.negative);
            import.unknown = labels.other;
        }
        let preview = preview_import(
            table,
            &import,
            |row| project.import_target(row, default),
            &mut ids,
        );
        addition.tables.push(TableAdded {
            path: table_path.clone(),
            rows: table.rows.len(),
            imported: preview.selections.len(),
            skipped: preview.skipped,
            warnings: preview.warnings.iter().map(ToString::to_string).collect(),
            unmatched: preview.unmatched_files.into_iter().collect(),
        });
        addition.selections.extend(preview.selections);
    }
    addition
}

/// The recording a table's rows without a file column belong to: its paired audio, else the
/// recording its name names, else the only one read.
fn default_recording(
    table: &std::path::Path,
    paired: Option<&PathBuf>,
    read: &[(PathBuf, ProjectRecordingId)],
) -> Option<ProjectRecordingId> {
    if let Some(audio) = paired {
        return read.iter().find(|(p, _)| p == audio).map(|(_, id)| *id);
    }
    read.iter()
        .find(|(audio, _)| table_names_audio(table, audio))
        .or_else(|| (read.len() == 1).then(|| &read[0]))
        .map(|(_, id)| *id)
}

impl Addition {
    /// Inserts the selections into `project` (whose recordings [`plan`] already added).
    pub fn insert_into(self, project: &mut Project) {
        let mut history = crate::project::UndoStack::default();
        history.apply(
            &mut project.selections,
            "add",
            vec![Edit::Insert(self.selections)],
        );
    }
}

impl Document {
    /// Adds what [`plan`] worked out as one undo step called `name`.
    pub fn add(&mut self, name: &str, addition: &Addition) {
        if addition.is_empty() {
            return;
        }
        self.edit_project(
            name,
            vec![Edit::Insert(addition.selections.clone())],
            ProjectChange::RecordingsAdded(addition.recordings.clone()),
        );
    }
}

//! Selections (time–frequency boxes with a label and a kind), undoable edits of them, and the
//! tables they are exchanged in: Raven selection tables, Audacity labels and CSV.

mod audacity;
pub mod boxedit;
mod csv_table;
mod edit;
mod import;
mod raven;
mod row;
mod table;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use audacity::{parse_audacity, write_audacity};
pub use csv_table::{CSV_COLUMNS, parse_csv, write_csv};
pub use edit::{Edit, SelectionSet};
pub use import::{
    ImportOptions, ImportPreview, ImportTarget, LABEL_COLUMN_PREFERENCE, UnknownLabels,
    preview_import,
};
pub use raven::{RAVEN_VIEW, parse_raven, write_raven, write_raven_combined, write_raven_table};
pub use row::{
    FileRef, ImportWarning, ParsedTable, SITE_COLUMN, TableFormat, TableRow, recording_labels,
};
pub use table::{detect_format, parse_table, read_table, write_table};

/// Whether a selection is the target call or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionKind {
    Positive,
    Negative,
}

impl SelectionKind {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Negative => "negative",
        }
    }

    /// Reads `positive`/`negative` (any case; also `pos`/`neg`, `p`/`n`, `1`/`0`, `true`/`false`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "positive" | "pos" | "p" | "1" | "true" | "yes" => Some(Self::Positive),
            "negative" | "neg" | "n" | "0" | "false" | "no" => Some(Self::Negative),
            _ => None,
        }
    }
}

/// Identifies a selection within a project (stable across edits, undo and saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SelectionId(pub u64);

/// Identifies a recording within a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProjectRecordingId(pub u32);

/// A time–frequency box on a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub id: SelectionId,
    pub recording: ProjectRecordingId,
    pub start_secs: f64,
    pub end_secs: f64,
    pub low_hz: f64,
    pub high_hz: f64,
    pub label: String,
    pub kind: SelectionKind,
    /// Columns that came with an imported table (kept and re-exported).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl Selection {
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        self.end_secs - self.start_secs
    }

    #[must_use]
    pub fn bandwidth_hz(&self) -> f64 {
        self.high_hz - self.low_hz
    }

    /// Whether the box overlaps `[start_secs, end_secs)` in time.
    #[must_use]
    pub fn overlaps_time(&self, start_secs: f64, end_secs: f64) -> bool {
        self.start_secs < end_secs && start_secs < self.end_secs
    }
}

/// Errors reading or writing selection tables.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("cannot read selection table: {detail}: {}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error("cannot read selection table: {detail}")]
    Format { detail: String },
    #[error("cannot write selection table: {detail}: {}", path.display())]
    Write { path: PathBuf, detail: String },
}

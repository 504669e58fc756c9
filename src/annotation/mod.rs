//! Selections (time–frequency boxes with a label and a kind) and the tables they are exchanged in.
//! The selection table editor and the importers arrive with the annotation issue; Raven export is
//! here already because the demo data set is written as Raven tables.

mod raven;

pub use raven::{RAVEN_VIEW, write_raven_table};

use serde::{Deserialize, Serialize};

/// Whether a selection is the target call or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

/// A time–frequency box on a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub start_secs: f64,
    pub end_secs: f64,
    pub low_hz: f64,
    pub high_hz: f64,
    pub label: String,
    pub kind: SelectionKind,
}

/// Errors reading or writing selection tables.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("cannot write selection table: {detail}: {}", path.display())]
    Write {
        path: std::path::PathBuf,
        detail: String,
    },
}

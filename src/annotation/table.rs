//! The common shape of a selection table row, whatever the format, and format detection.

use std::collections::BTreeMap;
use std::path::Path;

use super::{AnnotationError, SelectionKind, audacity, csv_table, raven};

/// A table format Syrinx reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum TableFormat {
    /// Raven selection table (tab-separated, `Begin Time (s)` …).
    Raven,
    /// Audacity label track export (`start\tend\tlabel`, optional `\\\tlow\thigh` lines).
    Audacity,
    /// `recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict`.
    Csv,
}

impl TableFormat {
    /// Every format (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Raven => "raven",
            Self::Audacity => "audacity",
            Self::Csv => "csv",
        }
    }

    /// The usual file name ending.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Raven => "selections.txt",
            Self::Audacity => "txt",
            Self::Csv => "csv",
        }
    }
}

impl std::str::FromStr for TableFormat {
    type Err = crate::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::choice::parse_choice(s, Self::all(), Self::name, "table format")
    }
}

/// The file a row belongs to (multi-file tables, combined exports, CSV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileRef {
    /// File name as the table gives it (`Begin File`, CSV `recording`).
    pub name: String,
    /// Full path when the table gives one (`Begin Path`).
    pub path: Option<String>,
}

/// One selection as tables carry it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableRow {
    /// 1-based line in the file it came from (0 for rows made in Syrinx).
    pub line: usize,
    /// Seconds from the start of the recording (for multi-file Raven tables, already converted
    /// from the file-sequence time using `File Offset`).
    pub start_secs: f64,
    pub end_secs: f64,
    /// `None`: the table does not say (Audacity labels without a frequency line, or `-1`).
    pub low_hz: Option<f64>,
    pub high_hz: Option<f64>,
    pub label: String,
    pub kind: Option<SelectionKind>,
    /// Which recording, when the table says.
    pub file: Option<FileRef>,
    pub score: Option<f64>,
    pub verdict: Option<String>,
    /// Every other column, by its header.
    pub values: BTreeMap<String, String>,
}

impl TableRow {
    /// The row a Syrinx selection exports as; `file` names its recording in multi-file tables.
    #[must_use]
    pub fn from_selection(selection: &super::Selection, file: Option<FileRef>) -> Self {
        Self {
            line: 0,
            start_secs: selection.start_secs,
            end_secs: selection.end_secs,
            low_hz: Some(selection.low_hz),
            high_hz: Some(selection.high_hz),
            label: selection.label.clone(),
            kind: Some(selection.kind),
            file,
            score: None,
            verdict: None,
            values: selection.extra.clone(),
        }
    }
}

/// A problem with one line that did not stop the rest of the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed table.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTable {
    pub format: TableFormat,
    /// Columns other than times, frequencies and file references, in file order: the candidates
    /// for the label column.
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
    pub warnings: Vec<ImportWarning>,
}

/// Which format `text` is in, from its first line.
pub fn detect_format(text: &str) -> Result<TableFormat, AnnotationError> {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let lower = first.to_ascii_lowercase();
    if first.contains('\t') && lower.contains("begin time") {
        return Ok(TableFormat::Raven);
    }
    if lower.contains("start_s") && lower.contains(',') {
        return Ok(TableFormat::Csv);
    }
    let mut fields = first.split(['\t', ' ']).filter(|f| !f.is_empty());
    let numeric = |f: Option<&str>| f.is_some_and(|f| f.trim().parse::<f64>().is_ok());
    if numeric(fields.next()) && numeric(fields.next()) {
        return Ok(TableFormat::Audacity);
    }
    if first.trim().is_empty() {
        return Err(AnnotationError::Format {
            detail: "the file is empty".to_owned(),
        });
    }
    Err(AnnotationError::Format {
        detail: format!(
            "not a Raven selection table, Audacity label file or Syrinx CSV (first line: '{}')",
            first.chars().take(80).collect::<String>()
        ),
    })
}

/// Parses `text` in whichever supported format it is.
pub fn parse_table(text: &str) -> Result<ParsedTable, AnnotationError> {
    match detect_format(text)? {
        TableFormat::Raven => raven::parse_raven(text),
        TableFormat::Audacity => Ok(audacity::parse_audacity(text)),
        TableFormat::Csv => csv_table::parse_csv(text),
    }
}

/// Reads and parses a table file; errors name the file.
pub fn read_table(path: &Path) -> Result<ParsedTable, AnnotationError> {
    let bytes = std::fs::read(path).map_err(|e| AnnotationError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    // Raven writes UTF-8; older tables may be Latin-1: keep what decodes.
    let text = String::from_utf8_lossy(&bytes);
    parse_table(&text).map_err(|e| match e {
        AnnotationError::Format { detail } => AnnotationError::Read {
            path: path.to_path_buf(),
            detail,
        },
        other => other,
    })
}

/// Writes rows in `format` (atomically).
pub fn write_table(
    path: &Path,
    format: TableFormat,
    rows: &[TableRow],
) -> Result<(), AnnotationError> {
    let text = match format {
        TableFormat::Raven => raven::write_raven(rows),
        TableFormat::Audacity => audacity::write_audacity(rows),
        TableFormat::Csv => csv_table::write_csv(rows),
    };
    crate::fsutil::write_atomically(path, text.as_bytes()).map_err(|e| AnnotationError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// `text` as a number, accepting a decimal comma (some locales' Raven exports).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    text.parse::<f64>()
        .ok()
        .or_else(|| text.replace(',', ".").parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// An optional numeric cell: empty is `None`; anything else must be a number, or the error names
/// the column (`name`) and the text.
pub(crate) fn parse_cell_number(text: &str, name: &str) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_number(text)
        .map(Some)
        .ok_or_else(|| format!("{name} '{text}' is not a number"))
}

/// Formats a number compactly but exactly enough for tables (up to 6 decimals).
pub(crate) fn format_number(value: f64) -> String {
    crate::timefmt::trim_decimals(value, 6)
}

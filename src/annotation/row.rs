//! The common shape of a selection table row, whatever the format: the formats, the row, a
//! parsed table, and the cells every format reads and writes the same way.

use std::collections::{BTreeMap, BTreeSet};

use super::SelectionKind;

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
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::all(), Self::name, "table format")
    }
}

/// The file a row belongs to (multi-file tables, combined exports, CSV).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileRef {
    /// File name as the table gives it (`Begin File`, CSV `recording`).
    pub name: String,
    /// Full path when the table gives one (`Begin Path`).
    pub path: Option<String>,
    /// Wall-clock time of the file's first sample, as the recorder wrote it, when known: Raven
    /// tables then carry `Begin Date` and `Begin Clock Time` (and give it back on import).
    pub start: Option<chrono::NaiveDateTime>,
}

impl FileRef {
    /// What tells its recording apart from others of the table: the path when the table gives
    /// one (two sites' cards hold files of the same name), else the name.
    #[must_use]
    pub fn key(&self) -> &str {
        self.path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(&self.name)
    }

    /// The wall-clock time `offset_secs` into the file, when its start is known (to the
    /// millisecond, as Raven writes clock times).
    #[must_use]
    pub fn clock_at(&self, offset_secs: f64) -> Option<chrono::NaiveDateTime> {
        let millis = (offset_secs * 1000.0).round();
        self.start?
            .checked_add_signed(chrono::TimeDelta::try_milliseconds(millis as i64)?)
    }
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

/// How summaries name the recordings of `rows`, by [`FileRef::key`]: each its file name, or
/// where recordings of the rows share one (two sites' `20240518_052000.WAV`), the name with its
/// folders (`north/20240518_052000.WAV`), so that their counts stay apart.
#[must_use]
pub fn recording_labels(rows: &[TableRow]) -> BTreeMap<String, String> {
    let keys: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.file.as_ref())
        .map(FileRef::key)
        .collect();
    let paths: Vec<&std::path::Path> = keys.iter().map(std::path::Path::new).collect();
    let labels =
        crate::util::paths::distinct_leaves(&paths, crate::util::paths::Leaf::FileName, "/");
    keys.into_iter().map(str::to_owned).zip(labels).collect()
}

/// The column of a row's site or group (a project recording's Site/group field), which
/// reports and calibration count by in preference to the site a recording's name gives.
pub const SITE_COLUMN: &str = "Site";

impl TableRow {
    /// The site the row counts under: its [`SITE_COLUMN`] when filled in, else its recording's
    /// name before the timestamp (`SITE7_20240518_052000.wav` → `SITE7`, see
    /// [`crate::audio::site_of`]), else [`crate::audio::NO_SITE`].
    #[must_use]
    pub fn site(&self) -> String {
        match self.values.get(SITE_COLUMN).map(|s| s.trim()) {
            Some(site) if !site.is_empty() => site.to_owned(),
            _ => self.file.as_ref().map_or_else(
                || crate::audio::NO_SITE.to_owned(),
                |f| crate::audio::site_of(&f.name),
            ),
        }
    }

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

/// `text` as a number, accepting a decimal comma (some locales' Raven exports).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    text.parse::<f64>()
        .ok()
        .or_else(|| text.replace(',', ".").parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// Why one row of a table was left out (the rest of the table is read).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum RowError {
    #[error("{column} '{text}' is not a number")]
    NotANumber { column: String, text: String },
    #[error("no {0}")]
    Missing(&'static str),
    #[error("the selection {start_secs}–{end_secs} s is not a span of time")]
    NotASpan { start_secs: f64, end_secs: f64 },
    #[error("End Time {end_secs} is before Begin Time {start_secs}")]
    EndsBeforeItBegins { start_secs: f64, end_secs: f64 },
    #[error("Begin Time {0} is negative")]
    Negative(f64),
    #[error("{column} '{text}' is not positive or negative")]
    NotAKind { column: &'static str, text: String },
}

impl RowError {
    /// The warning this error leaves for line `line`.
    pub(crate) fn at(&self, line: usize) -> ImportWarning {
        ImportWarning {
            line,
            message: self.to_string(),
        }
    }
}

/// An optional numeric cell: empty is `None`; anything else must be a number, or the error names
/// the column (`name`) and the text.
pub(crate) fn parse_cell_number(text: &str, name: &str) -> Result<Option<f64>, RowError> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_number(text)
        .map(Some)
        .ok_or_else(|| RowError::NotANumber {
            column: name.to_owned(),
            text: text.to_owned(),
        })
}

/// Formats a number compactly but exactly enough for tables (up to 6 decimals).
pub(crate) fn format_number(value: f64) -> String {
    crate::util::timefmt::trim_decimals(value, 6)
}

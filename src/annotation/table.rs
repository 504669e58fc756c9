//! Tables whatever their format: which format a file is in, and reading and writing each
//! through its own module.

use std::path::Path;

use super::row::{ParsedTable, TableFormat, TableRow};
use super::{AnnotationError, audacity, csv_table, raven};

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
    crate::util::fsutil::write_atomically(path, text.as_bytes()).map_err(|e| {
        AnnotationError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })
}

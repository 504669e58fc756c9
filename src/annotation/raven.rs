//! Raven selection tables (`*.selections.txt`): tab-separated, one header line, UTF-8 without
//! BOM, Raven Pro's column order.

use std::fmt::Write as _;
use std::path::Path;

use super::{AnnotationError, Selection};
use crate::fsutil::write_atomically;

/// The view Raven Pro names the spectrogram rows it writes.
pub const RAVEN_VIEW: &str = "Spectrogram 1";

/// Writes `selections` as a Raven table with `Annotation` (the label) and `Kind` columns,
/// numbered from 1 in time order.
pub fn write_raven_table(path: &Path, selections: &[Selection]) -> Result<(), AnnotationError> {
    let mut sorted: Vec<&Selection> = selections.iter().collect();
    sorted.sort_by(|a, b| {
        a.start_secs
            .total_cmp(&b.start_secs)
            .then(a.end_secs.total_cmp(&b.end_secs))
    });
    let mut text = String::from(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\tKind\n",
    );
    for (number, s) in sorted.iter().enumerate() {
        // Tabs or newlines inside a label would break the table.
        let label = s.label.replace(['\t', '\n', '\r'], " ");
        let _ = writeln!(
            text,
            "{}\t{RAVEN_VIEW}\t1\t{:.6}\t{:.6}\t{:.1}\t{:.1}\t{label}\t{}",
            number + 1,
            s.start_secs,
            s.end_secs,
            s.low_hz,
            s.high_hz,
            s.kind.name()
        );
    }
    write_atomically(path, text.as_bytes()).map_err(|e| AnnotationError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::SelectionKind;

    #[test]
    fn tables_have_raven_columns_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.Table.1.selections.txt");
        let make = |start: f64, label: &str, kind| Selection {
            start_secs: start,
            end_secs: start + 0.5,
            low_hz: 3000.0,
            high_hz: 6000.0,
            label: label.to_owned(),
            kind,
        };
        write_raven_table(
            &path,
            &[
                make(2.0, "b", SelectionKind::Negative),
                make(1.0, "a\tx", SelectionKind::Positive),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(
                "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)"
            )
        );
        assert_eq!(
            lines[1],
            "1\tSpectrogram 1\t1\t1.000000\t1.500000\t3000.0\t6000.0\ta x\tpositive"
        );
        assert_eq!(lines[2].split('\t').nth(8), Some("negative"));
        assert!(!text.starts_with('\u{feff}'));
    }
}

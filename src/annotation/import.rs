//! Turning a parsed table into selections: which column is the label, which labels are the
//! target (positive) and which are not, and which recording each row belongs to. The app shows
//! the result as a preview (counts, warnings) before applying it as one undoable step.

use std::collections::{BTreeMap, BTreeSet};

use super::row::{ImportWarning, ParsedTable, TableRow};
use super::{ProjectRecordingId, Selection, SelectionKind, SelectionSet};

/// Columns tried, in order, when guessing which one holds the label.
pub const LABEL_COLUMN_PREFERENCE: [&str; 9] = [
    "Annotation",
    "Species",
    "Label",
    "Tags",
    "Class",
    "Sound",
    "Type",
    "Code",
    "Call",
];

/// What happens to rows whose label is in neither list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownLabels {
    Positive,
    Negative,
    Skip,
}

/// How to read a table's rows as selections.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Where the label is (`None`: the table's own label, e.g. Audacity's third field).
    pub label_column: Option<String>,
    pub positive_labels: BTreeSet<String>,
    pub negative_labels: BTreeSet<String>,
    pub unknown: UnknownLabels,
    /// Use a `Kind` column (as Syrinx writes) where present, before the label lists.
    pub use_kind_column: bool,
}

impl ImportOptions {
    /// A first guess for a table: the preferred label column, its `Kind` column if any, and every
    /// other row positive.
    #[must_use]
    pub fn suggested(table: &ParsedTable) -> Self {
        let label_column = LABEL_COLUMN_PREFERENCE
            .iter()
            .find_map(|wanted| {
                table
                    .columns
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(wanted))
            })
            .or_else(|| table.columns.first())
            .cloned();
        Self {
            label_column,
            positive_labels: BTreeSet::new(),
            negative_labels: BTreeSet::new(),
            unknown: UnknownLabels::Positive,
            use_kind_column: true,
        }
    }

    /// The label of a row under these options.
    #[must_use]
    pub fn label_of(&self, row: &TableRow) -> String {
        self.label_column
            .as_ref()
            .and_then(|column| row.values.get(column))
            .cloned()
            .unwrap_or_else(|| row.label.clone())
    }

    fn kind_of(&self, row: &TableRow, label: &str) -> Option<SelectionKind> {
        if self.use_kind_column
            && let Some(kind) = row.kind
        {
            return Some(kind);
        }
        if self.positive_labels.contains(label) {
            Some(SelectionKind::Positive)
        } else if self.negative_labels.contains(label) {
            Some(SelectionKind::Negative)
        } else {
            match self.unknown {
                UnknownLabels::Positive => Some(SelectionKind::Positive),
                UnknownLabels::Negative => Some(SelectionKind::Negative),
                UnknownLabels::Skip => None,
            }
        }
    }
}

/// Where a row goes: the recording, its Nyquist frequency (for rows without frequencies) and
/// its length (rows past the end are left out, rows running over it are cut at the end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportTarget {
    pub recording: ProjectRecordingId,
    pub nyquist_hz: f64,
    pub duration_secs: f64,
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPreview {
    /// Ready to insert (new ids).
    pub selections: Vec<Selection>,
    /// Selections per (label, kind).
    pub counts: BTreeMap<(String, SelectionKind), usize>,
    /// Every label in the chosen column with its number of rows.
    pub labels: BTreeMap<String, usize>,
    /// Rows left out because their label is in neither list.
    pub skipped: usize,
    /// Files named by rows that match no recording (with their row counts).
    pub unmatched_files: BTreeMap<String, usize>,
    pub warnings: Vec<ImportWarning>,
}

/// Maps `table` to selections; `target` says which recording a row belongs to (`None`: its file
/// is not in the project). Ids come from `set`.
pub fn preview_import(
    table: &ParsedTable,
    options: &ImportOptions,
    target: impl Fn(&TableRow) -> Option<ImportTarget>,
    set: &mut SelectionSet,
) -> ImportPreview {
    let mut preview = ImportPreview {
        warnings: table.warnings.clone(),
        ..ImportPreview::default()
    };
    for row in &table.rows {
        let label = options.label_of(row);
        *preview.labels.entry(label.clone()).or_default() += 1;
        let Some(to) = target(row) else {
            let file = row
                .file
                .as_ref()
                .map_or_else(|| "(no file named)".to_owned(), |f| f.name.clone());
            *preview.unmatched_files.entry(file).or_default() += 1;
            continue;
        };
        let Some(kind) = options.kind_of(row, &label) else {
            preview.skipped += 1;
            continue;
        };
        if row.start_secs >= to.duration_secs {
            preview.warnings.push(ImportWarning {
                line: row.line,
                message: format!(
                    "starts at {:.3} s, after the end of its recording ({:.3} s)",
                    row.start_secs, to.duration_secs
                ),
            });
            continue;
        }
        let end_secs = if row.end_secs > to.duration_secs {
            preview.warnings.push(ImportWarning {
                line: row.line,
                message: format!(
                    "ends at {:.3} s, after the end of its recording: cut to {:.3} s",
                    row.end_secs, to.duration_secs
                ),
            });
            to.duration_secs
        } else {
            row.end_secs
        };
        if end_secs <= row.start_secs {
            preview.warnings.push(ImportWarning {
                line: row.line,
                message: format!(
                    "lasts no time (starts and ends at {:.3} s): skipped",
                    row.start_secs
                ),
            });
            continue;
        }
        // A box drawn upside down (Low above High) is the same box; one with no height is no
        // box at all. Neither is imported silently.
        let (mut low_given, mut high_given) = (row.low_hz, row.high_hz.filter(|h| *h > 0.0));
        if let (Some(low), Some(high)) = (low_given, high_given) {
            if low > high {
                preview.warnings.push(ImportWarning {
                    line: row.line,
                    message: format!("Low Freq ({low} Hz) is above High Freq ({high} Hz): swapped"),
                });
                (low_given, high_given) = (Some(high), Some(low));
            } else if low == high {
                preview.warnings.push(ImportWarning {
                    line: row.line,
                    message: format!("has no height (Low and High Freq both {low} Hz): skipped"),
                });
                continue;
            }
        }
        let low_hz = low_given.unwrap_or(0.0).clamp(0.0, to.nyquist_hz);
        let high_hz = high_given
            .unwrap_or(to.nyquist_hz)
            .clamp(low_hz, to.nyquist_hz.max(low_hz));
        *preview.counts.entry((label.clone(), kind)).or_default() += 1;
        preview.selections.push(Selection {
            id: set.new_id(),
            recording: to.recording,
            start_secs: row.start_secs,
            end_secs,
            low_hz,
            high_hz,
            label,
            kind,
            extra: row.values.clone(),
        });
    }
    preview
}

#[cfg(test)]
mod tests {
    use super::super::parse_raven;
    use super::*;

    #[test]
    fn labels_map_to_kinds_and_frequencies_default_to_the_full_band() {
        let table = parse_raven(
            "Selection\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tSpecies\tNote\n\
             1\t0\t1\t100\t900\tWOTH\ta\n2\t2\t3\t\t\tEATO\tb\n3\t4\t5\t200\t300\tnoise\tc\n",
        )
        .unwrap();
        let mut options = ImportOptions::suggested(&table);
        assert_eq!(options.label_column.as_deref(), Some("Species"));
        options.positive_labels.insert("WOTH".to_owned());
        options.negative_labels.insert("noise".to_owned());
        options.unknown = UnknownLabels::Skip;
        let mut set = SelectionSet::default();
        let target = |_: &TableRow| {
            Some(ImportTarget {
                recording: ProjectRecordingId(4),
                nyquist_hz: 11_025.0,
                duration_secs: 60.0,
            })
        };
        let preview = preview_import(&table, &options, target, &mut set);
        assert_eq!(preview.selections.len(), 2);
        assert_eq!(preview.skipped, 1);
        assert_eq!(
            preview.counts[&("WOTH".to_owned(), SelectionKind::Positive)],
            1
        );
        assert_eq!(
            preview.counts[&("noise".to_owned(), SelectionKind::Negative)],
            1
        );
        assert_eq!(preview.labels.len(), 3);
        assert_eq!(preview.selections[0].extra["Note"], "a");
        options.unknown = UnknownLabels::Positive;
        let preview = preview_import(&table, &options, target, &mut set);
        let eato = preview
            .selections
            .iter()
            .find(|s| s.label == "EATO")
            .unwrap();
        assert_eq!((eato.low_hz, eato.high_hz), (0.0, 11_025.0));
        let none = preview_import(&table, &options, |_| None, &mut set);
        assert!(none.selections.is_empty());
        assert_eq!(none.unmatched_files["(no file named)"], 3);
    }

    /// `table` imported with its suggested options onto one recording of a minute.
    fn preview_on_one_minute(table: &ParsedTable, nyquist_hz: f64) -> ImportPreview {
        let target = |_: &TableRow| {
            Some(ImportTarget {
                recording: ProjectRecordingId(0),
                nyquist_hz,
                duration_secs: 60.0,
            })
        };
        preview_import(
            table,
            &ImportOptions::suggested(table),
            target,
            &mut SelectionSet::default(),
        )
    }

    #[test]
    fn rows_past_the_end_of_the_recording_are_left_out_or_cut() {
        let table = parse_raven(
            "Selection\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n\
             1\t10\t11\t100\t900\ta\n2\t59.5\t61\t100\t900\ta\n3\t70\t71\t100\t900\ta\n",
        )
        .unwrap();
        let preview = preview_on_one_minute(&table, 8000.0);
        assert_eq!(preview.selections.len(), 2);
        assert_eq!(preview.selections[1].end_secs, 60.0, "cut at the end");
        let lines: Vec<usize> = preview.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![3, 4], "{:?}", preview.warnings);
    }

    #[test]
    fn upside_down_boxes_are_swapped_and_boxes_of_no_size_skipped_each_with_its_line() {
        let table = parse_raven(
            "Selection\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n\
             1\t1\t2\t9000\t2000\ta\n2\t3\t4\t500\t500\ta\n3\t5\t5\t100\t900\ta\n\
             4\t6\t7\t100\t900\ta\n",
        )
        .unwrap();
        let preview = preview_on_one_minute(&table, 11_025.0);
        let boxes: Vec<(f64, f64, f64, f64)> = preview
            .selections
            .iter()
            .map(|s| (s.start_secs, s.end_secs, s.low_hz, s.high_hz))
            .collect();
        assert_eq!(
            boxes,
            vec![(1.0, 2.0, 2000.0, 9000.0), (6.0, 7.0, 100.0, 900.0)],
            "the upside-down box swapped, the flat and instant ones left out"
        );
        let said: Vec<(usize, &str)> = preview
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].0 == 2 && said[0].1.contains("swapped"), "{said:?}");
        assert!(
            said[1].0 == 3 && said[1].1.contains("no height"),
            "{said:?}"
        );
        assert!(said[2].0 == 4 && said[2].1.contains("no time"), "{said:?}");
    }
}

//! Raven selection tables (`*.selections.txt`): tab-separated, one header line, UTF-8 without
//! BOM. Reading accepts what Raven and people write: any header case, `Low Freq` or
//! `Low Frequency`, rows shorter than the header, a header ending in a tab, CRLF, a missing final
//! newline, one row per view (`Waveform 1`, `Spectrogram 1`) of the same selection, and multi-file
//! tables (`Begin File`, `Begin Path`, `File Offset (s)` or `File Offset`). Multi-file tables
//! carry wall-clock times when the files' start times are known (`Begin Date` and
//! `Begin Clock Time`, as Raven writes them with its real clock times), and give the files'
//! start times back on import.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::row::{
    FileRef, ParsedTable, RowError, TableFormat, TableRow, format_number, parse_cell_number,
};
use super::{AnnotationError, SelectionKind};

/// The view Raven Pro names the spectrogram rows it writes.
pub const RAVEN_VIEW: &str = "Spectrogram 1";

/// The core columns, as matched (lower case, single spaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Core {
    Selection,
    View,
    Channel,
    Begin,
    End,
    Low,
    High,
    BeginFile,
    BeginPath,
    FileOffset,
    BeginDate,
    BeginClockTime,
    Kind,
    Score,
    Verdict,
}

fn core_column(header: &str) -> Option<Core> {
    let name = header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "selection" => Core::Selection,
        "view" => Core::View,
        "channel" => Core::Channel,
        "begin time (s)" | "begin time" => Core::Begin,
        "end time (s)" | "end time" => Core::End,
        "low freq (hz)" | "low frequency (hz)" | "low freq" | "low frequency" => Core::Low,
        "high freq (hz)" | "high frequency (hz)" | "high freq" | "high frequency" => Core::High,
        "begin file" => Core::BeginFile,
        "begin path" => Core::BeginPath,
        "file offset (s)" | "file offset" => Core::FileOffset,
        "begin date" => Core::BeginDate,
        "begin clock time" => Core::BeginClockTime,
        "kind" => Core::Kind,
        "score" => Core::Score,
        "verdict" => Core::Verdict,
        _ => return None,
    })
}

/// Parses a Raven table. Bad rows become warnings with their line numbers; the rest is read.
pub fn parse_raven(text: &str) -> Result<ParsedTable, AnnotationError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let Some((_, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        return Err(AnnotationError::Format {
            detail: "the table is empty (no header line)".to_owned(),
        });
    };
    let mut headers: Vec<String> = header.split('\t').map(|h| h.trim().to_owned()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop(); // a header ending in a tab
    }
    let mut kinds: Vec<Option<Core>> = headers.iter().map(|h| core_column(h)).collect();
    // Clock times tell a file's start only where the row names its file; otherwise they stay
    // ordinary columns, kept as they are.
    if !kinds.contains(&Some(Core::BeginFile)) {
        for kind in &mut kinds {
            if matches!(kind, Some(Core::BeginDate | Core::BeginClockTime)) {
                *kind = None;
            }
        }
    }
    let find = |core: Core| kinds.iter().position(|k| *k == Some(core));
    let (Some(begin), Some(end)) = (find(Core::Begin), find(Core::End)) else {
        return Err(AnnotationError::Format {
            detail: "the header has no 'Begin Time (s)' and 'End Time (s)' columns".to_owned(),
        });
    };
    let columns: Vec<String> = headers
        .iter()
        .zip(&kinds)
        .filter(|(h, k)| k.is_none() && !h.is_empty())
        .map(|(h, _)| h.clone())
        .collect();
    let mut rows: Vec<TableRow> = Vec::new();
    let mut warnings = Vec::new();
    // Selection number → index in `rows`, to keep one row per selection across views.
    let mut by_number: BTreeMap<String, usize> = BTreeMap::new();
    for (line, content) in lines {
        if content.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = content.split('\t').collect();
        let cell = |index: Option<usize>| index.and_then(|i| cells.get(i)).map_or("", |c| c.trim());
        let number = |index: Option<usize>, name: &str| parse_cell_number(cell(index), name);
        let parsed = (|| -> Result<TableRow, RowError> {
            let mut start =
                number(Some(begin), "Begin Time")?.ok_or(RowError::Missing("Begin Time"))?;
            let mut stop = number(Some(end), "End Time")?.ok_or(RowError::Missing("End Time"))?;
            if stop < start {
                return Err(RowError::EndsBeforeItBegins {
                    start_secs: start,
                    end_secs: stop,
                });
            }
            if start < 0.0 {
                return Err(RowError::Negative(start));
            }
            let low = number(find(Core::Low), "Low Freq")?;
            let high = number(find(Core::High), "High Freq")?;
            let offset = number(find(Core::FileOffset), "File Offset")?;
            let file_name = cell(find(Core::BeginFile));
            if let Some(offset) = offset {
                // Multi-file tables count Begin Time from the start of the file sequence; the
                // offset is where the selection starts within its own file.
                stop = offset + (stop - start);
                start = offset;
            }
            let (date_text, clock_text) = (
                cell(find(Core::BeginDate)),
                cell(find(Core::BeginClockTime)),
            );
            let clock = parse_clock(date_text, clock_text);
            let file = (!file_name.is_empty()).then(|| FileRef {
                name: file_name.to_owned(),
                path: Some(cell(find(Core::BeginPath)).to_owned()).filter(|p| !p.is_empty()),
                // The file started the row's offset before the row's clock time.
                start: clock.and_then(|c| {
                    c.checked_sub_signed(chrono::TimeDelta::try_milliseconds(
                        (start * 1000.0).round() as i64,
                    )?)
                }),
            });
            let kind_text = cell(find(Core::Kind));
            let kind = if kind_text.is_empty() {
                None
            } else {
                Some(
                    SelectionKind::parse(kind_text).ok_or_else(|| RowError::NotAKind {
                        column: "Kind",
                        text: kind_text.to_owned(),
                    })?,
                )
            };
            let mut values = BTreeMap::new();
            for (i, (header, core)) in headers.iter().zip(&kinds).enumerate() {
                // Clock times that cannot be read, or of a row naming no file, are kept as
                // they were written.
                let unread_clock = matches!(core, Some(Core::BeginDate | Core::BeginClockTime))
                    && file.as_ref().is_none_or(|f| f.start.is_none())
                    && !cell(Some(i)).is_empty();
                if (core.is_none() || unread_clock) && !header.is_empty() {
                    values.insert(header.clone(), cell(Some(i)).to_owned());
                }
            }
            Ok(TableRow {
                line,
                start_secs: start,
                end_secs: stop,
                low_hz: low,
                high_hz: high,
                label: String::new(),
                kind,
                file,
                score: number(find(Core::Score), "Score")?,
                verdict: Some(cell(find(Core::Verdict)).to_owned()).filter(|v| !v.is_empty()),
                values,
            })
        })();
        let row = match parsed {
            Ok(row) => row,
            Err(error) => {
                warnings.push(error.at(line));
                continue;
            }
        };
        // One selection, several views: keep the spectrogram row (else the first seen).
        let number = cell(find(Core::Selection)).to_owned();
        let view = cell(find(Core::View)).to_ascii_lowercase();
        if !number.is_empty() {
            if let Some(&existing) = by_number.get(&number) {
                if view.starts_with("spectrogram") {
                    rows[existing] = row;
                }
                continue;
            }
            by_number.insert(number, rows.len());
        }
        rows.push(row);
    }
    Ok(ParsedTable {
        format: TableFormat::Raven,
        columns,
        rows,
        warnings,
    })
}

/// Writes rows as a Raven table: Raven Pro's column order, then `Begin File`/`Begin Path`/
/// `File Offset (s)` when any row names its file (a combined table), `Annotation` (the label),
/// `Kind`, `Score`/`Verdict` when present, and every extra column. Unknown frequencies are
/// written as 0. A combined table's `Begin Time` runs across the files in the order they first
/// appear, each taken to last until its last selection ends; use [`write_raven_combined`] when
/// the real durations are known.
#[must_use]
pub fn write_raven(rows: &[TableRow]) -> String {
    write_raven_combined(rows, &BTreeMap::new())
}

/// Like [`write_raven`], with the files' real durations (by [`FileRef::key`]: path, else
/// name) so that `Begin Time` matches the file sequence as Raven opens it.
#[must_use]
pub fn write_raven_combined(rows: &[TableRow], durations: &BTreeMap<String, f64>) -> String {
    let multi_file = rows.iter().any(|r| r.file.is_some());
    let has_clock = rows
        .iter()
        .any(|r| r.file.as_ref().is_some_and(|f| f.start.is_some()));
    let has_score = rows.iter().any(|r| r.score.is_some());
    let has_verdict = rows.iter().any(|r| r.verdict.is_some());
    // Extra columns (union, in first-seen order); ones that collide with ours are not repeated.
    let mut extras: Vec<String> = Vec::new();
    for row in rows {
        for key in row.values.keys() {
            let reserved = match core_column(key) {
                Some(Core::BeginDate | Core::BeginClockTime) => has_clock,
                Some(_) => true,
                None => key.eq_ignore_ascii_case("annotation"),
            };
            if !reserved && !extras.contains(key) {
                extras.push(key.clone());
            }
        }
    }
    let mut text = String::from(
        "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)",
    );
    if multi_file {
        text.push_str("\tBegin File\tBegin Path\tFile Offset (s)");
    }
    if has_clock {
        text.push_str("\tBegin Date\tBegin Clock Time");
    }
    text.push_str("\tAnnotation\tKind");
    if has_score {
        text.push_str("\tScore");
    }
    if has_verdict {
        text.push_str("\tVerdict");
    }
    for extra in &extras {
        text.push('\t');
        text.push_str(&clean(extra));
    }
    text.push('\n');
    // In a combined table Begin Time runs across the file sequence: files follow one another in
    // the order they first appear, each starting where the previous one's last selection ended.
    let mut sequence_start: BTreeMap<String, f64> = BTreeMap::new();
    let mut sequence_end = 0.0_f64;
    // Files are told apart by path: two sites' recorders name their files alike.
    for row in rows {
        if let Some(file) = &row.file
            && !sequence_start.contains_key(file.key())
        {
            let file_end = durations.get(file.key()).copied().unwrap_or_else(|| {
                rows.iter()
                    .filter(|r| r.file.as_ref().is_some_and(|f| f.key() == file.key()))
                    .map(|r| r.end_secs)
                    .fold(0.0, f64::max)
            });
            sequence_start.insert(file.key().to_owned(), sequence_end);
            sequence_end += file_end;
        }
    }
    for (number, row) in rows.iter().enumerate() {
        let shift = row
            .file
            .as_ref()
            .and_then(|f| sequence_start.get(f.key()))
            .copied()
            .unwrap_or(0.0);
        let _ = write!(
            text,
            "{}\t{RAVEN_VIEW}\t1\t{}\t{}\t{}\t{}",
            number + 1,
            format_number(row.start_secs + shift),
            format_number(row.end_secs + shift),
            format_number(row.low_hz.unwrap_or(0.0)),
            format_number(row.high_hz.unwrap_or(0.0)),
        );
        if multi_file {
            let (name, path) = row
                .file
                .as_ref()
                .map_or((String::new(), String::new()), |f| {
                    (clean(&f.name), clean(f.path.as_deref().unwrap_or("")))
                });
            let _ = write!(text, "\t{name}\t{path}\t{}", format_number(row.start_secs));
        }
        if has_clock {
            // Raven's forms: `2009/03/28` and `00:14:07.250`.
            let (date, clock) = row
                .file
                .as_ref()
                .and_then(|f| f.clock_at(row.start_secs))
                .map_or((String::new(), String::new()), |at| {
                    (
                        at.format("%Y/%m/%d").to_string(),
                        at.format("%H:%M:%S%.3f").to_string(),
                    )
                });
            let _ = write!(text, "\t{date}\t{clock}");
        }
        // The label goes in `Annotation`; a row without one keeps an `Annotation` value it came with.
        let annotation = if row.label.is_empty() {
            row.values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("annotation"))
                .map_or("", |(_, v)| v.as_str())
        } else {
            row.label.as_str()
        };
        let _ = write!(
            text,
            "\t{}\t{}",
            clean(annotation),
            row.kind.map_or("", SelectionKind::name)
        );
        if has_score {
            let _ = write!(
                text,
                "\t{}",
                row.score.map(format_number).unwrap_or_default()
            );
        }
        if has_verdict {
            let _ = write!(text, "\t{}", clean(row.verdict.as_deref().unwrap_or("")));
        }
        for extra in &extras {
            let _ = write!(
                text,
                "\t{}",
                clean(row.values.get(extra).map_or("", String::as_str))
            );
        }
        text.push('\n');
    }
    text
}

/// A `Begin Date` and `Begin Clock Time` pair as Raven and people write them (`2009/03/28`,
/// `2009-03-28` or `3/28/2009`; `00:14:07.250` or `00:14:07`).
fn parse_clock(date: &str, clock: &str) -> Option<chrono::NaiveDateTime> {
    let date = ["%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"]
        .iter()
        .find_map(|format| chrono::NaiveDate::parse_from_str(date, format).ok())?;
    let time = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").ok()?;
    Some(date.and_time(time))
}

/// Tabs and line breaks inside a value would break the table.
fn clean(value: &str) -> String {
    value.replace(['\t', '\n', '\r'], " ")
}

/// Writes rows as a Raven table file (kept for callers that have rows ready).
pub fn write_raven_table(path: &std::path::Path, rows: &[TableRow]) -> Result<(), AnnotationError> {
    crate::util::fsutil::write_atomically(path, write_raven(rows).as_bytes()).map_err(|e| {
        AnnotationError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_selection_across_views() {
        let text = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n\
                    1\tWaveform 1\t1\t1.0\t2.0\t0\t0\tx\n\
                    1\tSpectrogram 1\t1\t1.0\t2.0\t500\t900\tx\n\
                    2\tSpectrogram 1\t1\t3.0\t4.0\t600\t800\ty";
        let table = parse_raven(text).unwrap();
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            (table.rows[0].low_hz, table.rows[0].high_hz),
            (Some(500.0), Some(900.0))
        );
        assert_eq!(table.rows[1].values["Annotation"], "y");
        assert_eq!(table.columns, vec!["Annotation"]);
    }

    #[test]
    fn bad_rows_are_reported_with_line_numbers() {
        let text = "Selection\tBegin Time (s)\tEnd Time (s)\n1\tabc\t2\n2\t5\t3\n3\t1\t2\n";
        let table = parse_raven(text).unwrap();
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.warnings.len(), 2);
        assert_eq!(table.warnings[0].line, 2);
        assert!(table.warnings[0].message.contains("not a number"));
        assert_eq!(table.warnings[1].line, 3);
        assert!(
            parse_raven("Selection\tView\n1\tx").is_err(),
            "no time columns"
        );
    }

    #[test]
    fn multi_file_times_come_from_the_file_offset() {
        let text = "Selection\tView\tChannel\tBegin File\tBegin Path\tFile Offset (s)\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\n\
                    1\tSpectrogram 1\t1\ta.wav\t/data/a.wav\t12.5\t12.5\t14.0\t100\t200\n\
                    2\tSpectrogram 1\t1\tb.wav\t/data/b.wav\t3.0\t63.0\t64.5\t100\t200\n";
        let table = parse_raven(text).unwrap();
        let b = &table.rows[1];
        assert_eq!((b.start_secs, b.end_secs), (3.0, 4.5));
        assert_eq!(b.file.as_ref().unwrap().name, "b.wav");
        assert_eq!(
            b.file.as_ref().unwrap().path.as_deref(),
            Some("/data/b.wav")
        );
        // Written back as a combined table and read again: same per-file times.
        let again = parse_raven(&write_raven(&table.rows)).unwrap();
        assert_eq!(
            again
                .rows
                .iter()
                .map(|r| (r.start_secs, r.end_secs))
                .collect::<Vec<_>>(),
            vec![(12.5, 14.0), (3.0, 4.5)]
        );
        let lower = "selection\tbegin file\tfile offset\tbegin time (s)\tend time (s)\n1\tc.wav\t2\t102\t103\n";
        let row = &parse_raven(lower).unwrap().rows[0];
        assert_eq!((row.start_secs, row.end_secs), (2.0, 3.0));
    }

    fn at(text: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn clock_times_are_written_from_the_file_start_and_give_it_back() {
        let file = |name: &str, start: Option<&str>| FileRef {
            name: name.to_owned(),
            path: None,
            start: start.map(at),
        };
        let row = |start_secs: f64, file: FileRef| TableRow {
            start_secs,
            end_secs: start_secs + 1.0,
            low_hz: Some(100.0),
            high_hz: Some(200.0),
            label: "upcall".to_owned(),
            file: Some(file),
            ..TableRow::default()
        };
        let rows = vec![
            // 15.25 s into a file started ten seconds before midnight: the next day.
            row(15.25, file("a.wav", Some("2009-03-28 23:59:50"))),
            row(2.0, file("b.wav", Some("2009-03-29 00:15:00"))),
            // A file whose start is unknown: empty cells.
            row(4.0, file("c.wav", None)),
        ];
        let text = write_raven(&rows);
        let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (date, clock) = (column("Begin Date"), column("Begin Clock Time"));
        let cells: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(
            (cells[0][date], cells[0][clock]),
            ("2009/03/29", "00:00:05.250")
        );
        assert_eq!(
            (cells[1][date], cells[1][clock]),
            ("2009/03/29", "00:15:02.000")
        );
        assert_eq!((cells[2][date], cells[2][clock]), ("", ""));
        // Read back: the files' starts, the same times, no clock columns among the extras; and
        // written again, the same text.
        let again = parse_raven(&text).unwrap();
        let starts: Vec<_> = again
            .rows
            .iter()
            .map(|r| r.file.as_ref().unwrap().start)
            .collect();
        assert_eq!(
            starts,
            vec![
                Some(at("2009-03-28 23:59:50")),
                Some(at("2009-03-29 00:15:00")),
                None
            ]
        );
        assert_eq!(again.rows[0].start_secs, 15.25);
        assert_eq!(again.columns, ["Annotation"]);
        assert!(again.rows.iter().all(|r| r.values.len() == 1));
        assert_eq!(write_raven(&again.rows), text);
    }

    #[test]
    fn clock_times_without_a_file_or_unreadable_are_kept_as_written() {
        // No Begin File: the clock columns are ordinary columns, written back as they came.
        let text = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tBegin Date\tBegin Clock Time\n\
                    1\tSpectrogram 1\t1\t1\t2\t100\t200\t2020/04/04\t10:25:01.000\n";
        let table = parse_raven(text).unwrap();
        assert_eq!(table.rows[0].values["Begin Date"], "2020/04/04");
        let written = write_raven(&table.rows);
        let row: Vec<&str> = written.lines().nth(1).unwrap().split('\t').collect();
        assert!(
            row.contains(&"2020/04/04") && row.contains(&"10:25:01.000"),
            "{written}"
        );
        // Other common forms are read; text that is no date stays in the row.
        let text = "Selection\tBegin File\tFile Offset (s)\tBegin Time (s)\tEnd Time (s)\tBegin Date\tBegin Clock Time\n\
                    1\ta.wav\t3\t3\t4\t2020-04-04\t10:25:03\n\
                    2\tb.wav\t3\t13\t14\t4/5/2020\t10:25:03.5\n\
                    3\tc.wav\t3\t23\t24\tsoon\t10:25\n";
        let table = parse_raven(text).unwrap();
        let start = |i: usize| table.rows[i].file.as_ref().unwrap().start;
        assert_eq!(start(0), Some(at("2020-04-04 10:25:00")));
        assert_eq!(start(1), Some(at("2020-04-05 10:25:00.5")));
        assert_eq!(start(2), None);
        assert_eq!(table.rows[2].values["Begin Date"], "soon");
    }
}

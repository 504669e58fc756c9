//! CSV for spreadsheets and scripts: `recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict`
//! (columns found by header name; others are kept as extra values), and `start_time` (the
//! wall-clock time of the start, ISO 8601 as the recorder's clock read it) when the recordings'
//! start times are known, and `path` (the recording's full path) when the rows know it.

use std::collections::BTreeMap;

use super::row::{
    FileRef, ImportWarning, ParsedTable, RowError, TableFormat, TableRow, format_number,
    parse_cell_number,
};
use super::{AnnotationError, SelectionKind};

/// The columns Syrinx writes, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "recording",
    "start_s",
    "end_s",
    "low_hz",
    "high_hz",
    "label",
    "kind",
    "score",
    "verdict",
];

/// The column of wall-clock start times.
pub const START_TIME_COLUMN: &str = "start_time";

/// The column of the recordings' full paths, written when rows know them: recorders name
/// files alike at every site, and the path is what tells two sites' `20240518_052000.WAV`
/// apart when the table is read again (`syrinx calibrate`, `syrinx report`).
pub const PATH_COLUMN: &str = "path";

/// How `start_time` cells are written (and read, with or without the fraction).
const START_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f";

/// Whether `header` is a column Syrinx reads itself (not an extra value).
fn known(header: &str) -> bool {
    CSV_COLUMNS
        .iter()
        .chain([&START_TIME_COLUMN, &PATH_COLUMN])
        .any(|c| c.eq_ignore_ascii_case(header))
}

/// Parses a CSV table; bad rows become warnings with their line numbers.
pub fn parse_csv(text: &str) -> Result<ParsedTable, AnnotationError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AnnotationError::Format {
            detail: format!("unreadable CSV header: {e}"),
        })?
        .iter()
        .map(ToOwned::to_owned)
        .collect();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(start), Some(end)) = (position("start_s"), position("end_s")) else {
        return Err(AnnotationError::Format {
            detail: "the CSV header has no start_s and end_s columns".to_owned(),
        });
    };
    let columns: Vec<String> = headers
        .iter()
        .filter(|h| !known(h) || h.eq_ignore_ascii_case("label"))
        .cloned()
        .collect();
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                warnings.push(ImportWarning {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        let cell = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or("");
        let parsed = (|| -> Result<TableRow, RowError> {
            let number = |index: Option<usize>, name: &str| parse_cell_number(cell(index), name);
            let start_secs = number(Some(start), "start_s")?.ok_or(RowError::Missing("start_s"))?;
            let end_secs = number(Some(end), "end_s")?.ok_or(RowError::Missing("end_s"))?;
            if end_secs < start_secs || start_secs < 0.0 {
                return Err(RowError::NotASpan {
                    start_secs,
                    end_secs,
                });
            }
            let kind_text = cell(position("kind"));
            let kind = if kind_text.is_empty() {
                None
            } else {
                Some(
                    SelectionKind::parse(kind_text).ok_or_else(|| RowError::NotAKind {
                        column: "kind",
                        text: kind_text.to_owned(),
                    })?,
                )
            };
            let path = cell(position(PATH_COLUMN));
            // A table with paths alone names each recording by its file's name.
            let recording = match cell(position("recording")) {
                "" => std::path::Path::new(path)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default(),
                named => named,
            };
            // The recording started the row's start before its clock time.
            let clock_text = cell(position(START_TIME_COLUMN));
            let file_start =
                chrono::NaiveDateTime::parse_from_str(clock_text, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .and_then(|clock| {
                        clock.checked_sub_signed(chrono::TimeDelta::try_milliseconds(
                            (start_secs * 1000.0).round() as i64,
                        )?)
                    });
            let mut values = BTreeMap::new();
            for (i, header) in headers.iter().enumerate() {
                // A start time that cannot be read stays as it was written.
                let unread_clock = header.eq_ignore_ascii_case(START_TIME_COLUMN)
                    && (file_start.is_none() || recording.is_empty())
                    && !clock_text.is_empty();
                if !known(header) || unread_clock {
                    values.insert(header.clone(), cell(Some(i)).to_owned());
                }
            }
            Ok(TableRow {
                line,
                start_secs,
                end_secs,
                low_hz: number(position("low_hz"), "low_hz")?,
                high_hz: number(position("high_hz"), "high_hz")?,
                label: cell(position("label")).to_owned(),
                kind,
                file: (!recording.is_empty()).then(|| FileRef {
                    name: recording.to_owned(),
                    path: Some(path.to_owned()).filter(|p| !p.is_empty()),
                    start: file_start,
                }),
                score: number(position("score"), "score")?,
                verdict: Some(cell(position("verdict")).to_owned()).filter(|v| !v.is_empty()),
                values,
            })
        })();
        match parsed {
            Ok(row) => rows.push(row),
            Err(error) => warnings.push(error.at(line)),
        }
    }
    Ok(ParsedTable {
        format: TableFormat::Csv,
        columns,
        rows,
        warnings,
    })
}

/// Writes rows as CSV with [`CSV_COLUMNS`], [`START_TIME_COLUMN`] when any row's file has a
/// known start, then any extra columns.
#[must_use]
pub fn write_csv(rows: &[TableRow]) -> String {
    let has_clock = rows
        .iter()
        .any(|r| r.file.as_ref().is_some_and(|f| f.start.is_some()));
    let path_of = |row: &TableRow| {
        row.file
            .as_ref()
            .and_then(|f| f.path.clone())
            .unwrap_or_default()
    };
    let has_path = rows.iter().any(|r| !path_of(r).is_empty());
    let mut extras: Vec<String> = Vec::new();
    for row in rows {
        for key in row.values.keys() {
            let ours = CSV_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(key))
                || (has_clock && key.eq_ignore_ascii_case(START_TIME_COLUMN))
                || (has_path && key.eq_ignore_ascii_case(PATH_COLUMN));
            if !extras.contains(key) && !ours {
                extras.push(key.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = CSV_COLUMNS.to_vec();
    if has_clock {
        header.push(START_TIME_COLUMN);
    }
    if has_path {
        header.push(PATH_COLUMN);
    }
    header.extend(extras.iter().map(String::as_str));
    let _ = writer.write_record(&header);
    for row in rows {
        let mut record = vec![
            row.file
                .as_ref()
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            format_number(row.start_secs),
            format_number(row.end_secs),
            row.low_hz.map(format_number).unwrap_or_default(),
            row.high_hz.map(format_number).unwrap_or_default(),
            row.label.clone(),
            row.kind.map(|k| k.name().to_owned()).unwrap_or_default(),
            row.score.map(format_number).unwrap_or_default(),
            row.verdict.clone().unwrap_or_default(),
        ];
        if has_clock {
            record.push(
                row.file
                    .as_ref()
                    .and_then(|f| f.clock_at(row.start_secs))
                    .map(|at| at.format(START_TIME_FORMAT).to_string())
                    .unwrap_or_default(),
            );
        }
        if has_path {
            record.push(path_of(row));
        }
        record.extend(
            extras
                .iter()
                .map(|e| row.values.get(e).cloned().unwrap_or_default()),
        );
        let _ = writer.write_record(&record);
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sites' files of one name keep their paths (and so stay apart) through a CSV; a
    /// table of paths alone names each row's recording by its file name.
    #[test]
    fn paths_round_trip_and_name_recordings_when_alone() {
        let row = |path: &str| TableRow {
            start_secs: 1.0,
            end_secs: 2.0,
            file: Some(FileRef {
                name: "20240518_052000.WAV".to_owned(),
                path: Some(path.to_owned()),
                start: None,
            }),
            ..TableRow::default()
        };
        let rows = vec![
            row("/cards/north/20240518_052000.WAV"),
            row("/cards/south/20240518_052000.WAV"),
        ];
        let text = write_csv(&rows);
        assert!(
            text.lines()
                .next()
                .unwrap_or_default()
                .ends_with(",verdict,path"),
            "{text}"
        );
        let again = parse_csv(&text).unwrap();
        let keys: Vec<&str> = again
            .rows
            .iter()
            .filter_map(|r| r.file.as_ref())
            .map(FileRef::key)
            .collect();
        assert_eq!(
            keys,
            [
                "/cards/north/20240518_052000.WAV",
                "/cards/south/20240518_052000.WAV"
            ]
        );
        assert!(again.rows.iter().all(|r| r.values.is_empty()));
        // Without paths there is no path column.
        assert!(!write_csv(&[TableRow::default()]).contains("path"));
        let alone = parse_csv("path,start_s,end_s\n/x/site/a.wav,1,2\n").unwrap();
        let file = alone.rows[0].file.clone().unwrap();
        assert_eq!((file.name.as_str(), file.key()), ("a.wav", "/x/site/a.wav"));
    }

    #[test]
    fn round_trip_with_quotes_and_extras() {
        let text = "recording,start_s,end_s,low_hz,high_hz,label,kind,score,verdict,observer\n\
                    a.wav,1.5,2,1000,5000,\"song, faint\",positive,0.93,,Ana\n\
                    b.wav,x,2,,,call,,,,Bo\n\
                    c.wav,3,4,,,call,neg,,false_positive,\n";
        let table = parse_csv(text).unwrap();
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.warnings.len(), 1);
        assert_eq!(table.warnings[0].line, 3);
        assert_eq!(table.rows[0].label, "song, faint");
        assert_eq!(table.rows[0].values["observer"], "Ana");
        assert_eq!(table.rows[1].kind, Some(SelectionKind::Negative));
        assert_eq!(table.rows[1].verdict.as_deref(), Some("false_positive"));
        let again = parse_csv(&write_csv(&table.rows)).unwrap();
        let strip = |rows: &[TableRow]| {
            rows.iter()
                .map(|r| TableRow {
                    line: 0,
                    ..r.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&again.rows), strip(&table.rows));
    }

    #[test]
    fn start_times_are_written_when_known_and_give_the_file_start_back() {
        let start =
            chrono::NaiveDateTime::parse_from_str("2021-06-14 23:59:50", "%Y-%m-%d %H:%M:%S")
                .unwrap();
        let row = |name: &str, start_secs: f64, start: Option<chrono::NaiveDateTime>| TableRow {
            start_secs,
            end_secs: start_secs + 1.0,
            label: "call".to_owned(),
            file: Some(FileRef {
                name: name.to_owned(),
                path: None,
                start,
            }),
            ..TableRow::default()
        };
        let rows = vec![row("a.wav", 12.25, Some(start)), row("b.wav", 1.0, None)];
        let text = write_csv(&rows);
        let mut lines = text.lines();
        assert!(
            lines.next().unwrap().ends_with(",verdict,start_time"),
            "{text}"
        );
        assert!(
            lines.next().unwrap().ends_with(",2021-06-15T00:00:02.250"),
            "{text}"
        );
        assert!(lines.next().unwrap().ends_with(','), "{text}");
        let again = parse_csv(&text).unwrap();
        assert_eq!(again.rows[0].file.as_ref().unwrap().start, Some(start));
        assert_eq!(again.rows[1].file.as_ref().unwrap().start, None);
        assert!(again.rows.iter().all(|r| r.values.is_empty()));
        assert_eq!(write_csv(&again.rows), text);
        // Without any start, no column; an unreadable one stays as written.
        assert!(!write_csv(&rows[1..]).contains("start_time"));
        let odd = parse_csv("recording,start_s,end_s,start_time\na.wav,1,2,dawn\n").unwrap();
        assert_eq!(odd.rows[0].values["start_time"], "dawn");
    }
}

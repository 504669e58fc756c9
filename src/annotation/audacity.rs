//! Audacity label files: `start\tend\tlabel` per line, optionally followed by a line
//! `\\\tlow\thigh` giving the label's frequency range (`-1` = undefined). Files mixing labels with
//! and without frequency lines occur, so lines are read one by one.

use std::fmt::Write as _;

use super::row::{ImportWarning, ParsedTable, TableFormat, TableRow, format_number, parse_number};

/// Parses Audacity labels; bad lines become warnings with their line numbers.
#[must_use]
pub fn parse_audacity(text: &str) -> ParsedTable {
    let mut rows: Vec<TableRow> = Vec::new();
    let mut warnings = Vec::new();
    // A frequency line belongs to the label line right before it, and only if that one was read.
    let mut after_label = false;
    for (index, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let line = index + 1;
        let content = raw.trim_end_matches('\r');
        if content.trim().is_empty() {
            continue;
        }
        if let Some(rest) = content.strip_prefix('\\') {
            let fields: Vec<&str> = rest.split(['\t', ' ']).filter(|f| !f.is_empty()).collect();
            let previous = if after_label { rows.last_mut() } else { None };
            after_label = false;
            let (Some(previous), [low, high, ..]) = (previous, fields.as_slice()) else {
                warnings.push(ImportWarning {
                    line,
                    message: "a frequency line without a label before it".to_owned(),
                });
                continue;
            };
            let frequency = |text: &str| parse_number(text).filter(|v| *v >= 0.0);
            previous.low_hz = frequency(low);
            previous.high_hz = frequency(high);
            continue;
        }
        let mut fields = content.splitn(3, '\t');
        let (start, end, label) = (fields.next(), fields.next(), fields.next().unwrap_or(""));
        // Some tools write spaces instead of tabs.
        let (start, end, label) = match (start, end) {
            (Some(s), Some(e)) => (s.to_owned(), e.to_owned(), label.to_owned()),
            _ => {
                let mut parts = content.split_whitespace();
                let s = parts.next().unwrap_or("").to_owned();
                let e = parts.next().unwrap_or("").to_owned();
                (s, e, parts.collect::<Vec<_>>().join(" "))
            }
        };
        after_label = false;
        match (parse_number(&start), parse_number(&end)) {
            (Some(start_secs), Some(end_secs)) if end_secs >= start_secs && start_secs >= 0.0 => {
                rows.push(TableRow {
                    line,
                    start_secs,
                    end_secs,
                    label: label.trim().to_owned(),
                    ..TableRow::default()
                });
                after_label = true;
                continue;
            }
            (Some(start_secs), Some(end_secs)) => warnings.push(ImportWarning {
                line,
                message: format!(
                    "the label ends ({end_secs}) before it starts ({start_secs}) or starts before 0"
                ),
            }),
            _ => warnings.push(ImportWarning {
                line,
                message: format!(
                    "'{}' is not 'start<TAB>end<TAB>label'",
                    content.chars().take(60).collect::<String>()
                ),
            }),
        }
    }
    ParsedTable {
        format: TableFormat::Audacity,
        columns: vec!["label".to_owned()],
        rows,
        warnings,
    }
}

/// Writes rows as Audacity labels with frequency lines (Audacity's "extended" labels; `-1` where a
/// frequency is unknown).
#[must_use]
pub fn write_audacity(rows: &[TableRow]) -> String {
    let mut text = String::new();
    for row in rows {
        let label = row.label.replace(['\t', '\n', '\r'], " ");
        let _ = writeln!(
            text,
            "{}\t{}\t{label}",
            format_number(row.start_secs),
            format_number(row.end_secs)
        );
        let frequency = |hz: Option<f64>| hz.map_or_else(|| "-1".to_owned(), format_number);
        let _ = writeln!(
            text,
            "\\\t{}\t{}",
            frequency(row.low_hz),
            frequency(row.high_hz)
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_lines_and_undefined_frequencies() {
        let text = "0.5\t1.0\tsong\n\\\t1000\t4000\n2.0\t2.5\tcall\n3\t4\tnote with\ttab\n\\\t-1\t-1\nbad line\n\\\t5\t6\r\n";
        let table = parse_audacity(text);
        assert_eq!(table.rows.len(), 3);
        assert_eq!(
            (table.rows[0].low_hz, table.rows[0].high_hz),
            (Some(1000.0), Some(4000.0))
        );
        assert_eq!((table.rows[1].low_hz, table.rows[1].high_hz), (None, None));
        assert_eq!(table.rows[2].label, "note with\ttab");
        assert_eq!(
            (table.rows[2].low_hz, table.rows[2].high_hz),
            (None, None),
            "-1 is undefined"
        );
        assert_eq!(table.warnings.len(), 2);
        assert_eq!(table.warnings[0].line, 6);
        assert_eq!(
            table.warnings[1].line, 7,
            "a frequency line after a bad label line is not attached elsewhere"
        );
        let again = parse_audacity(&write_audacity(&table.rows));
        assert_eq!(again.rows.len(), 3);
        assert_eq!(again.rows[0].high_hz, Some(4000.0));
        assert_eq!(again.rows[1].high_hz, None);
    }
}

//! Activity over time from a detections folder: each detection's wall-clock time (its
//! recording's start, from the table's `start_time` or the file's name, plus its offset), then
//! detections per hour of day and per date for each site, as CSV and as PNG bar charts.
//! `syrinx report` writes them. The site is the table's `Site` column (a project recording's
//! Site/group, which exports carry), else the file name before its timestamp
//! (`SITE7_20240518_052000` → `SITE7`), as recorders name files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::annotation::{TableRow, read_table};
use crate::calibrate::PROBABILITY_COLUMN;
use crate::export::DETECTIONS_CSV_FILE;

pub mod counts;

/// Detections per hour of day, per site.
pub const ACTIVITY_BY_HOUR_FILE: &str = "activity_by_hour.csv";
/// Detections per date, per site.
pub const ACTIVITY_BY_DATE_FILE: &str = "activity_by_date.csv";
/// The charts of the two.
pub const ACTIVITY_BY_HOUR_PNG: &str = "activity_by_hour.png";
pub const ACTIVITY_BY_DATE_PNG: &str = "activity_by_date.png";

pub use crate::audio::{NO_SITE, site_of};

/// Errors of a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read the detections: {detail}: {}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error(
        "none of the {0} detection(s) has a time of day: their recordings' names carry no \
         YYYYMMDD_HHMMSS and the table no start_time"
    )]
    NoTimes(usize),
    #[error("cannot write {}: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
}

/// A detection row's wall-clock time: its file's start (the table's, else the one its name
/// gives) plus its offset; `None` when neither is known.
#[must_use]
pub fn wall_clock_of(row: &TableRow) -> Option<NaiveDateTime> {
    let file = row.file.as_ref()?;
    let start = file
        .start
        .or_else(|| crate::audio::start_from_name(&file.name).map(|s| s.local_time))?;
    start.checked_add_signed(chrono::TimeDelta::try_milliseconds(
        (row.start_secs * 1000.0).round() as i64,
    )?)
}

/// One detection placed in time.
#[derive(Debug, Clone, PartialEq)]
struct Dated {
    site: String,
    at: NaiveDateTime,
    /// Its calibrated probability of being a call, when the table has one.
    probability: Option<f64>,
}

/// Activity per site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// Sites, sorted.
    pub sites: Vec<String>,
    /// `[site][hour]`: detections in each hour of the day.
    pub by_hour: Vec<[usize; 24]>,
    /// Dates with detections at any site, sorted, and `[site][date]` counts.
    pub dates: Vec<NaiveDate>,
    pub by_date: Vec<Vec<usize>>,
    /// Expected calls (the sum of the detections' probabilities) in the same cells, when every
    /// detection has a probability.
    pub calls_by_hour: Option<Vec<[f64; 24]>>,
    pub calls_by_date: Option<Vec<Vec<f64>>>,
    /// Detections placed in time, and those left out (no start time known).
    pub dated: usize,
    pub undated: usize,
}

/// The activity of detection rows (their file's start plus their offset).
#[must_use]
pub fn activity(rows: &[TableRow]) -> Activity {
    let mut dated = Vec::new();
    let mut undated = 0;
    for row in rows {
        match wall_clock_of(row) {
            Some(at) => dated.push(Dated {
                site: row.site(),
                at,
                probability: row
                    .values
                    .get(PROBABILITY_COLUMN)
                    .and_then(|p| p.trim().parse().ok()),
            }),
            None => undated += 1,
        }
    }
    let mut sites: Vec<String> = dated.iter().map(|d| d.site.clone()).collect();
    sites.sort();
    sites.dedup();
    let mut dates: Vec<NaiveDate> = dated.iter().map(|d| d.at.date()).collect();
    dates.sort();
    dates.dedup();
    let site_index: BTreeMap<&str, usize> = sites
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let mut out = Activity {
        by_hour: vec![[0; 24]; sites.len()],
        by_date: vec![vec![0; dates.len()]; sites.len()],
        dated: dated.len(),
        undated,
        ..Activity::default()
    };
    let calibrated = !dated.is_empty() && dated.iter().all(|d| d.probability.is_some());
    let mut calls_by_hour = vec![[0.0; 24]; sites.len()];
    let mut calls_by_date = vec![vec![0.0; dates.len()]; sites.len()];
    for d in &dated {
        let site = site_index[d.site.as_str()];
        let hour = d.at.hour() as usize;
        let date = dates.binary_search(&d.at.date()).unwrap_or(0);
        out.by_hour[site][hour] += 1;
        out.by_date[site][date] += 1;
        let p = d.probability.unwrap_or(0.0);
        calls_by_hour[site][hour] += p;
        calls_by_date[site][date] += p;
    }
    if calibrated {
        out.calls_by_hour = Some(calls_by_hour);
        out.calls_by_date = Some(calls_by_date);
    }
    out.sites = sites;
    out.dates = dates;
    out
}

/// A CSV of `counts[site][cell]` (`site,<column>,detections[,calls]`), a line per site and
/// cell labelled `labels[cell]`.
fn cells_csv<C: AsRef<[usize]>, P: AsRef<[f64]>>(
    column: &str,
    sites: &[String],
    labels: &[String],
    counts: &[C],
    calls: Option<&[P]>,
) -> String {
    let calls_header = if calls.is_some() { ",calls" } else { "" };
    let mut text = format!("site,{column},detections{calls_header}\n");
    for (k, site) in sites.iter().enumerate() {
        for (cell, label) in labels.iter().enumerate() {
            let count = counts[k].as_ref()[cell];
            text.push_str(&format!(
                "{},{label},{count}",
                crate::export::csv_field(site)
            ));
            if let Some(calls) = calls {
                text.push_str(&format!(",{:.2}", calls[k].as_ref()[cell]));
            }
            text.push('\n');
        }
    }
    text
}

/// Reads the detections folder `dir` (its `all_detections.csv`), writes the activity tables
/// and charts into `out_dir`, and returns the activity and the files written.
pub fn write_report(dir: &Path, out_dir: &Path) -> Result<(Activity, Vec<PathBuf>), ReportError> {
    let path = dir.join(DETECTIONS_CSV_FILE);
    let table = read_table(&path).map_err(|e| ReportError::Read {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    let found = activity(&table.rows);
    if found.dated == 0 {
        return Err(ReportError::NoTimes(found.undated));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::Write {
        path: out_dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let write = |name: &str, text: String| {
        let path = out_dir.join(name);
        crate::util::fsutil::write_atomically(&path, text.as_bytes()).map_err(|e| {
            ReportError::Write {
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
        Ok::<_, ReportError>(path)
    };
    let hour_cells: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let date_cells: Vec<String> = found.dates.iter().map(ToString::to_string).collect();
    let by_hour = cells_csv(
        "hour",
        &found.sites,
        &hour_cells,
        &found.by_hour,
        found.calls_by_hour.as_deref(),
    );
    let by_date = cells_csv(
        "date",
        &found.sites,
        &date_cells,
        &found.by_date,
        found.calls_by_date.as_deref(),
    );
    let mut written = vec![
        write(ACTIVITY_BY_HOUR_FILE, by_hour)?,
        write(ACTIVITY_BY_DATE_FILE, by_date)?,
    ];
    let chart = |name: &str,
                 title: &str,
                 x_desc: &str,
                 labels: &[String],
                 counts: Vec<Vec<f64>>| {
        let path = out_dir.join(name);
        let series: Vec<(String, Vec<f64>)> = found.sites.iter().cloned().zip(counts).collect();
        crate::render::write_bar_chart_png(title, (x_desc, "Detections"), labels, &series, &path)
            .map_err(|e| ReportError::Write {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        Ok::<_, ReportError>(path)
    };
    let as_f64 = |counts: &[usize]| counts.iter().map(|c| *c as f64).collect::<Vec<f64>>();
    let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    written.push(chart(
        ACTIVITY_BY_HOUR_PNG,
        "Detections per hour of day (recorder's clock)",
        "Hour of day",
        &hours,
        found.by_hour.iter().map(|h| as_f64(h)).collect(),
    )?);
    let dates: Vec<String> = found
        .dates
        .iter()
        .map(|d| d.format("%m-%d").to_string())
        .collect();
    written.push(chart(
        ACTIVITY_BY_DATE_PNG,
        "Detections per date",
        "Date",
        &dates,
        found.by_date.iter().map(|d| as_f64(d)).collect(),
    )?);
    Ok((found, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::FileRef;

    fn row(name: &str, start_secs: f64, probability: Option<f64>) -> TableRow {
        let mut row = TableRow {
            start_secs,
            end_secs: start_secs + 1.0,
            file: Some(FileRef {
                name: name.to_owned(),
                path: None,
                start: None,
            }),
            ..TableRow::default()
        };
        if let Some(p) = probability {
            row.values
                .insert(PROBABILITY_COLUMN.to_owned(), format!("{p}"));
        }
        row
    }

    #[test]
    fn sites_come_from_the_name_before_its_timestamp() {
        assert_eq!(site_of("SITE7_20240518_052000.wav"), "SITE7");
        assert_eq!(
            site_of("North-Ridge 2-20240518T052000.flac"),
            "North-Ridge 2"
        );
        assert_eq!(site_of("20240518_052000.WAV"), NO_SITE);
        assert_eq!(site_of("dawn.wav"), NO_SITE);
    }

    #[test]
    fn detections_fall_in_their_hour_and_date_by_site() {
        let rows = vec![
            // 05:59:50 + 15 s: the next hour.
            row("A_20240518_055950.wav", 15.0, Some(0.9)),
            row("A_20240518_055950.wav", 5.0, Some(0.5)),
            // 23:59:30 + 45 s: the next day, hour 0.
            row("B_20240518_235930.wav", 45.0, Some(0.2)),
            row("B_20240519_050000.wav", 10.0, Some(1.0)),
            row("plain.wav", 3.0, Some(1.0)),
        ];
        let found = activity(&rows);
        assert_eq!(found.sites, ["A", "B"]);
        assert_eq!((found.dated, found.undated), (4, 1));
        assert_eq!(found.by_hour[0][5], 1);
        assert_eq!(found.by_hour[0][6], 1);
        assert_eq!(found.by_hour[1][0], 1);
        assert_eq!(found.by_hour[1][5], 1);
        assert_eq!(
            found.dates,
            [
                NaiveDate::from_ymd_opt(2024, 5, 18).unwrap(),
                NaiveDate::from_ymd_opt(2024, 5, 19).unwrap()
            ]
        );
        assert_eq!(found.by_date, [vec![2, 0], vec![0, 2]]);
        let calls = found.calls_by_hour.unwrap();
        assert!((calls[0][6] - 0.9).abs() < 1e-9 && (calls[1][0] - 0.2).abs() < 1e-9);
        // Without probabilities on every row, no calls.
        let found = activity(&[row("A_20240518_055950.wav", 1.0, None)]);
        assert!(found.calls_by_hour.is_none());
    }
}

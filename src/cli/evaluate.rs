//! `syrinx evaluate`: detections (a `syrinx detect` folder) against reference tables, event by
//! event: precision, recall, F1 and false positives per hour, at the detections' threshold and
//! over a range of thresholds (the PR curve).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::annotation::{SelectionKind, TableRow, read_table};
use crate::evaluate::{EventMetrics, ScoredSpan, evaluate};
use crate::export::{COUNTS_FILE, DETECTIONS_CSV_FILE, DETECTIONS_RAVEN_FILE};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A folder written by `syrinx detect` (tables per recording and counts.csv).
    #[arg(long, value_name = "DIR")]
    pub detections: PathBuf,
    /// Reference tables (or folders of them), one per recording, named after it
    /// (`<recording>.Table.1.selections.txt`, …) or naming it in `Begin File`. Rows whose Kind is
    /// negative are left out.
    #[arg(long, value_name = "TABLE_OR_DIR", required = true, num_args = 1..)]
    pub truth: Vec<PathBuf>,
    /// A detection whose centre lies this close to an event's centre matches it (overlap always
    /// does).
    #[arg(long, default_value_t = 1.5)]
    pub tolerance_secs: f64,
    /// Print a JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let audio_secs = read_counts(&args.detections)?;
    let mut detections: BTreeMap<String, Vec<ScoredSpan>> = BTreeMap::new();
    for path in tables_in(&args.detections)? {
        let name = file_name(&path);
        // The combined tables repeat the per-recording ones; anything not named after a
        // recording the detector ran over (a report written into the folder) is not a table.
        // (Stems may hold dots: `site.1.wav` → `site.1.selections.txt`.)
        let names_a_recording = name
            .match_indices('.')
            .any(|(at, _)| audio_secs.contains_key(&name[..at]));
        if [DETECTIONS_CSV_FILE, DETECTIONS_RAVEN_FILE, COUNTS_FILE].contains(&name.as_str())
            || !names_a_recording
        {
            continue;
        }
        let table = read_table(&path)?;
        for row in table.rows {
            let recording = recording_of(&row, &path);
            detections.entry(recording).or_default().push(ScoredSpan {
                start_secs: row.start_secs,
                end_secs: row.end_secs,
                score: row.score.unwrap_or(1.0) as f32,
            });
        }
    }
    let mut references: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for truth in &args.truth {
        let tables = if truth.is_dir() {
            tables_in(truth)?
        } else {
            vec![truth.clone()]
        };
        for path in tables {
            let table = read_table(&path)?;
            for row in table.rows {
                if row.kind == Some(SelectionKind::Negative) {
                    continue;
                }
                references
                    .entry(recording_of(&row, &path))
                    .or_default()
                    .push((row.start_secs, row.end_secs));
            }
        }
    }
    // Only recordings the detector ran over count (their lengths are in counts.csv).
    let recordings: Vec<&String> = audio_secs.keys().collect();
    anyhow::ensure!(
        !recordings.is_empty(),
        "no recordings in counts.csv: {}",
        args.detections.display()
    );
    let missing: Vec<&&String> = recordings
        .iter()
        .filter(|r| !references.contains_key(r.as_str()))
        .collect();
    for recording in &missing {
        eprintln!("warning: no reference table for {recording}: left out");
    }
    let at = |threshold: f32| -> EventMetrics {
        let mut total = EventMetrics {
            threshold,
            ..EventMetrics::default()
        };
        let mut secs = 0.0;
        for recording in recordings
            .iter()
            .filter(|r| references.contains_key(r.as_str()))
        {
            let m = evaluate(
                detections.get(*recording).map_or(&[][..], Vec::as_slice),
                &references[*recording],
                args.tolerance_secs,
                threshold,
                audio_secs[*recording],
            );
            total.true_positives += m.true_positives;
            total.false_positives += m.false_positives;
            total.false_negatives += m.false_negatives;
            secs += audio_secs[*recording];
        }
        crate::evaluate::rates(total, secs)
    };
    let overall = at(0.0);
    let curve: Vec<EventMetrics> = (0..=20).map(|i| at(i as f32 * 0.05)).collect();
    // The report goes to stdout (`syrinx evaluate … > report.txt`); warnings to stderr.
    println!(
        "{} event(s) in {} recording(s): {} found, {} false positive(s) ({:.1}/hour), {} missed · precision {:.3} · recall {:.3} · F1 {:.3}",
        overall.true_positives + overall.false_negatives,
        recordings.len() - missing.len(),
        overall.true_positives,
        overall.false_positives,
        overall.false_positives_per_hour,
        overall.false_negatives,
        overall.precision,
        overall.recall,
        overall.f1
    );
    println!("threshold  precision  recall  F1     FP/hour");
    for m in &curve {
        println!(
            "{:>9.2}  {:>9.3}  {:>6.3}  {:.3}  {:.1}",
            m.threshold, m.precision, m.recall, m.f1, m.false_positives_per_hour
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "tolerance_secs": args.tolerance_secs,
                "recordings": recordings.len() - missing.len(),
                "overall": overall,
                "curve": curve,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The recording a row belongs to: its `Begin File`, else the table's name up to the first `.`
/// plus `.wav`-less stem matching (`SITE1_x.Table.1.selections.txt` → `SITE1_x`).
fn recording_of(row: &TableRow, table: &Path) -> String {
    row.file.as_ref().map_or_else(
        || {
            file_name(table)
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned()
        },
        |f| stem(&f.name),
    )
}

fn stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned())
}

fn tables_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut tables: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| ["txt", "csv"].contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    tables.sort();
    Ok(tables)
}

/// Seconds of audio per recording stem, from `counts.csv`.
fn read_counts(dir: &Path) -> anyhow::Result<BTreeMap<String, f64>> {
    let path = dir.join("counts.csv");
    let mut reader = csv::Reader::from_path(&path).with_context(|| {
        format!(
            "cannot read {} (is this a `syrinx detect` folder?)",
            path.display()
        )
    })?;
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("damaged {}", path.display()))?;
        let name = record.get(0).unwrap_or_default();
        let secs: f64 = record
            .get(2)
            .and_then(|s| s.trim().parse().ok())
            .with_context(|| format!("bad audio_s for {name} in {}", path.display()))?;
        out.insert(stem(name), secs);
    }
    Ok(out)
}

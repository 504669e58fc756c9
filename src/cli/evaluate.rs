//! `syrinx evaluate`: detections (a `syrinx detect` folder) against reference tables, event by
//! event: precision, recall, F1 and false positives per hour, at the detections' threshold and
//! over a range of thresholds (the PR curve).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::annotation::{SelectionKind, TableRow, read_table};
use crate::evaluate::{EventMetrics, MatchRule, ScoredSpan, evaluate_by};
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
    /// Which matching rule the curve and the JSON's `overall` use: `tolerance` (Syrinx's: overlap
    /// or centres within --tolerance-secs) or `dcase` (one to one at time IoU ≥ 0.3, as the DCASE
    /// few-shot task scores). The headline figures of both rules are printed either way.
    #[arg(long, value_enum, default_value_t = RuleArg::Tolerance)]
    pub rule: RuleArg,
    /// Print a JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--rule`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuleArg {
    Tolerance,
    Dcase,
}

impl EvaluateArgs {
    fn rules(&self) -> [(&'static str, MatchRule); 2] {
        [
            (
                "tolerance",
                MatchRule::Tolerance {
                    tolerance_secs: self.tolerance_secs,
                },
            ),
            ("dcase", MatchRule::dcase()),
        ]
    }

    /// The rule of `--rule`.
    fn rule(&self) -> MatchRule {
        match self.rule {
            RuleArg::Tolerance => self.rules()[0].1,
            RuleArg::Dcase => self.rules()[1].1,
        }
    }
}

pub fn run(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    let audio_secs = read_counts(&args.detections)?;
    let detections = read_detections(&args.detections, &audio_secs)?;
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
    let at = |rule: &MatchRule, threshold: f32| -> EventMetrics {
        let mut total = EventMetrics {
            threshold,
            ..EventMetrics::default()
        };
        let mut secs = 0.0;
        for recording in recordings
            .iter()
            .filter(|r| references.contains_key(r.as_str()))
        {
            let m = evaluate_by(
                rule,
                detections.get(*recording).map_or(&[][..], Vec::as_slice),
                &references[*recording],
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
    let rule = args.rule();
    let overall = at(&rule, 0.0);
    let curve: Vec<EventMetrics> = (0..=20).map(|i| at(&rule, i as f32 * 0.05)).collect();
    let by_rule: Vec<(&str, MatchRule, EventMetrics)> = args
        .rules()
        .into_iter()
        .map(|(name, rule)| (name, rule, at(&rule, 0.0)))
        .collect();
    // The report goes to stdout (`syrinx evaluate … > report.txt`); warnings to stderr. The
    // chosen rule's line comes first; the other rule's follows, so figures compare with the
    // literature (DCASE) and with Syrinx's own reports (tolerance) in one run.
    let evaluated = recordings.len() - missing.len();
    for (_, other, m) in by_rule
        .iter()
        .filter(|(_, r, _)| *r == rule)
        .chain(by_rule.iter().filter(|(_, r, _)| *r != rule))
    {
        println!(
            "{} event(s) in {evaluated} recording(s): {} found, {} false positive(s) ({:.1}/hour), {} missed · precision {:.3} · recall {:.3} · F1 {:.3} — matched {}",
            m.true_positives + m.false_negatives,
            m.true_positives,
            m.false_positives,
            m.false_positives_per_hour,
            m.false_negatives,
            m.precision,
            m.recall,
            m.f1,
            other.describe()
        );
    }
    println!(
        "threshold  precision  recall  F1     FP/hour  ({})",
        rule.describe()
    );
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
                "rule": by_rule.iter().find(|(_, r, _)| *r == rule).map(|(name, ..)| *name),
                "recordings": evaluated,
                "overall": overall,
                "curve": curve,
                "by_rule": by_rule
                    .iter()
                    .map(|(name, _, m)| (name.to_string(), serde_json::json!(m)))
                    .collect::<serde_json::Map<_, _>>(),
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The detections of a `syrinx detect` folder by recording stem (its per-recording tables;
/// `audio_secs` from its counts name the recordings).
fn read_detections(
    dir: &Path,
    audio_secs: &BTreeMap<String, f64>,
) -> anyhow::Result<BTreeMap<String, Vec<ScoredSpan>>> {
    let mut detections: BTreeMap<String, Vec<ScoredSpan>> = BTreeMap::new();
    for path in tables_in(dir)? {
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
    for spans in detections.values_mut() {
        spans.sort_by(|a, b| a.start_secs.total_cmp(&b.start_secs));
    }
    Ok(detections)
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run's folder (written by `syrinx detect`).
    #[arg(long, value_name = "DIR")]
    pub before: PathBuf,
    /// The later run's folder, over the same recordings.
    #[arg(long, value_name = "DIR")]
    pub after: PathBuf,
    /// Detections match when they overlap or their centres lie this close.
    #[arg(long, default_value_t = 1.5)]
    pub tolerance_secs: f64,
    /// Where to write `differences.csv` (the gained and lost detections only, to review just
    /// those; default: the later run's folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The differences table `syrinx compare` writes.
pub const DIFFERENCES_FILE: &str = "differences.csv";

/// `syrinx compare`: what a later run changed against an earlier one, recording by recording.
pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let (before_secs, after_secs) = (read_counts(&args.before)?, read_counts(&args.after)?);
    let before = read_detections(&args.before, &before_secs)?;
    let after = read_detections(&args.after, &after_secs)?;
    let shared: Vec<&String> = after_secs
        .keys()
        .filter(|r| before_secs.contains_key(*r))
        .collect();
    anyhow::ensure!(
        !shared.is_empty(),
        "{} and {} share no recording",
        args.before.display(),
        args.after.display()
    );
    let mut csv = String::from("recording,change,start_s,end_s,score\n");
    let (mut kept, mut gained, mut lost) = (0, 0, 0);
    println!("recording  kept  gained  lost");
    for recording in &shared {
        let empty = Vec::new();
        let b = before.get(*recording).unwrap_or(&empty);
        let a = after.get(*recording).unwrap_or(&empty);
        let diff = crate::evaluate::diff_runs(b, a, args.tolerance_secs);
        println!(
            "{recording}  {}  {}  {}",
            diff.kept.len(),
            diff.gained.len(),
            diff.lost.len()
        );
        let rows = diff
            .gained
            .iter()
            .map(|i| ("gained", a[*i]))
            .chain(diff.lost.iter().map(|i| ("lost", b[*i])));
        for (change, d) in rows {
            csv.push_str(&format!(
                "{},{change},{},{},{}\n",
                crate::export::csv_field(recording),
                d.start_secs,
                d.end_secs,
                d.score
            ));
        }
        kept += diff.kept.len();
        gained += diff.gained.len();
        lost += diff.lost.len();
    }
    println!(
        "{} recording(s): {kept} kept, {gained} gained, {lost} lost",
        shared.len()
    );
    let out = args.out.clone().unwrap_or_else(|| args.after.clone());
    let path = out.join(DIFFERENCES_FILE);
    crate::util::fsutil::write_atomically(&path, csv.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {} (the gained and lost detections, to review only those)",
        path.display()
    );
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

//! `syrinx calibrate`: scores as probabilities from a short stratified review of a detections
//! folder. `sample` writes the detections to judge; `fit` reads the judged sample, prints each
//! class's precision by score band, its calibration, the threshold that reaches a target
//! precision and the calls per recording with intervals, and writes them into the folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::export::calibration::{
    CALIBRATED_COUNTS_FILE, ClassCalibration, REVIEW_SAMPLE_FILE, SampleSettings,
    apply_calibration, calibrate_folder, read_calibration, write_calibration, write_review_sample,
};
use crate::report::counts::{
    CALLS_BY_GROUP_FILE, MeasuredRecall, calls_by_group, calls_by_group_csv,
};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    #[command(subcommand)]
    pub command: CalibrateCommand,
}

#[derive(Debug, Subcommand)]
pub enum CalibrateCommand {
    /// Draw a few detections from each score band of a detections folder to judge: fill the
    /// verdict column of the CSV it writes (TruePositive or FalsePositive), then run `fit`.
    Sample(SampleArgs),
    /// Fit each class's calibration from the judged sample; print and write the precision by
    /// threshold and the calls per recording with intervals.
    Fit(FitArgs),
    /// Apply a calibration fitted on one folder to the detections of another (the same model):
    /// the precision above the chosen threshold and the calls per recording, with intervals.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The calibration.json `fit` wrote.
    #[arg(long, value_name = "FILE")]
    pub calibration: PathBuf,
    /// The detections folder to apply it to.
    #[arg(long, value_name = "DIR")]
    pub detections: PathBuf,
    /// Print a JSON array (one object per class) as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub recall: RecallArg,
}

/// The recall to divide calls by.
#[derive(Debug, Args)]
pub struct RecallArg {
    /// Recall measured on fully annotated recordings, as FOUND/CALLS (`syrinx evaluate` prints
    /// both): the calls in the audio of each recording, site and date are the calls among its
    /// detections divided by it, with its Wilson interval widening theirs.
    #[arg(long, value_name = "FOUND/CALLS", value_parser = parse_recall)]
    pub recall: Option<MeasuredRecall>,
}

fn parse_recall(text: &str) -> Result<MeasuredRecall, String> {
    let (found, references) = text
        .split_once('/')
        .ok_or_else(|| format!("expected FOUND/CALLS such as 31/33, got {text:?}"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<usize>()
            .map_err(|e| format!("{part:?} in {text:?}: {e}"))
    };
    let recall = MeasuredRecall {
        found: number(found)?,
        references: number(references)?,
    };
    if recall.found == 0 || recall.found > recall.references {
        return Err(format!(
            "{text:?}: found must be between 1 and the number of calls"
        ));
    }
    Ok(recall)
}

#[derive(Debug, Args)]
pub struct Bands {
    /// Score bands, of equal width in the scores' logits (network scores crowd near 1).
    #[arg(long, default_value_t = SampleSettings::default().bands)]
    pub bands: usize,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A folder written by `syrinx detect` (or Export detections): its all_detections.csv.
    #[arg(long, value_name = "DIR")]
    pub detections: PathBuf,
    #[command(flatten)]
    pub bands: Bands,
    /// Detections drawn from each band.
    #[arg(long, default_value_t = SampleSettings::default().per_band)]
    pub per_band: usize,
    /// The same seed draws the same sample.
    #[arg(long, default_value_t = SampleSettings::default().seed)]
    pub seed: u64,
    /// Where to write the sample (default: review_sample.csv in the folder).
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// The detections folder the sample was drawn from.
    #[arg(long, value_name = "DIR")]
    pub detections: PathBuf,
    /// The judged sample (default: review_sample.csv in the folder).
    #[arg(long, value_name = "CSV")]
    pub review: Option<PathBuf>,
    #[command(flatten)]
    pub bands: Bands,
    /// The precision the threshold is chosen to reach.
    #[arg(long, default_value_t = 0.9)]
    pub target_precision: f64,
    #[command(flatten)]
    pub recall: RecallArg,
    /// Print a JSON array (one object per class) as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        CalibrateCommand::Sample(args) => sample(args),
        CalibrateCommand::Fit(args) => fit(args),
        CalibrateCommand::Apply(args) => apply(args),
    }
}

fn apply(args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let fitted = read_calibration(&args.calibration)?;
    let classes = apply_calibration(&args.detections, &fitted)?;
    anyhow::ensure!(
        !classes.is_empty(),
        "none of the calibrated classes ({}) has detections in {}",
        fitted
            .iter()
            .map(|c| c.class.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.detections.display()
    );
    report(&classes);
    finish(&args.detections, &classes, args.json, args.recall.recall)
}

fn sample(args: &SampleArgs) -> anyhow::Result<ExitCode> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.detections.join(REVIEW_SAMPLE_FILE));
    let settings = SampleSettings {
        bands: args.bands.bands,
        per_band: args.per_band,
        seed: args.seed,
    };
    let rows = write_review_sample(&args.detections, &settings, &out)?;
    println!(
        "{rows} detection(s) to judge ({} score band(s) × up to {} per class, seed {}): fill the \
         verdict column of {} with TruePositive or FalsePositive, then run `syrinx calibrate fit \
         --detections {}`",
        settings.bands,
        settings.per_band,
        settings.seed,
        out.display(),
        args.detections.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn fit(args: &FitArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.target_precision > 0.0 && args.target_precision < 1.0,
        "--target-precision must lie between 0 and 1 (got {})",
        args.target_precision
    );
    let review = args
        .review
        .clone()
        .unwrap_or_else(|| args.detections.join(REVIEW_SAMPLE_FILE));
    let settings = SampleSettings {
        bands: args.bands.bands,
        ..SampleSettings::default()
    };
    let classes = calibrate_folder(&args.detections, &review, &settings, args.target_precision)?;
    report(&classes);
    finish(&args.detections, &classes, args.json, args.recall.recall)
}

/// Prints each class's calibration and counts.
fn report(classes: &[ClassCalibration]) {
    for class in classes {
        let c = &class.calibration;
        let name = if class.class.is_empty() {
            "(no label)"
        } else {
            class.class.as_str()
        };
        println!(
            "{name}: {} detection(s), {} verdict(s) ({} call(s)) · P(call) = σ({:.2} + {:.2} · logit(score))",
            class.detections, c.verdicts, c.calls, c.intercept, c.slope
        );
        if !class.bands.is_empty() {
            println!(
                "  score band       judged  calls  precision  calibrated P at the band's middle"
            );
        }
        for band in &class.bands {
            let middle = f32::midpoint(band.low, band.high);
            println!(
                "  {:.4}–{:.4}  {:>6}  {:>5}  {:>9}  {}",
                band.low,
                band.high,
                band.judged,
                band.calls,
                band.precision()
                    .map_or_else(|| "–".to_owned(), |p| format!("{p:.2}")),
                c.probability_estimate(middle)
            );
        }
        println!(
            "  precision of all {} detection(s): {}",
            class.detections, class.precision_of_all
        );
        match (class.choice, class.precision_at_choice) {
            (Some(choice), Some(precision)) => println!(
                "  threshold for precision {:.2}: {:.4} · {} detection(s) kept, precision {precision}, \
                 keeping {:.0} % of the calls the detections hold",
                class.target_precision,
                choice.threshold,
                choice.detections,
                100.0 * choice.kept_share
            ),
            _ => println!(
                "  no threshold reaches precision {:.2} on these detections",
                class.target_precision
            ),
        }
        for site in &class.sites {
            println!(
                "  site {} has its own calibration ({} verdict(s)): {}",
                site.site,
                site.calibration.verdicts,
                site.choice.map_or_else(
                    || format!("no threshold reaches {:.2} there", class.target_precision),
                    |c| format!(
                        "threshold {:.4} for precision {:.2} there ({} detection(s))",
                        c.threshold, class.target_precision, c.detections
                    )
                )
            );
        }
        println!(
            "  calls in all recordings: {} of {} detection(s)",
            class.calls, class.detections
        );
        println!(
            "  recording  detections  calls (95 % interval)  at the threshold: detections  calls"
        );
        for r in &class.recordings {
            println!(
                "  {}  {}  {}  {}  {}",
                r.recording, r.detections, r.calls, r.detections_at_threshold, r.calls_at_threshold
            );
        }
    }
}

/// Writes the calibration and counts into `dir` and prints the JSON if asked.
fn finish(
    dir: &std::path::Path,
    classes: &[ClassCalibration],
    json: bool,
    recall: Option<MeasuredRecall>,
) -> anyhow::Result<ExitCode> {
    let mut written = write_calibration(dir, classes)?;
    written.push(write_calls_by_group(dir, classes, recall)?);
    eprintln!(
        "wrote {} ({} has the calls per recording, {} per recording, site and date)",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        CALIBRATED_COUNTS_FILE,
        CALLS_BY_GROUP_FILE
    );
    if json {
        println!("{}", serde_json::to_string(classes)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes [`CALLS_BY_GROUP_FILE`]: each class's calls per recording, site and date, from the
/// folder's detections and the class's calibration (divided by `recall` when given).
fn write_calls_by_group(
    dir: &std::path::Path,
    classes: &[ClassCalibration],
    recall: Option<MeasuredRecall>,
) -> anyhow::Result<PathBuf> {
    let table_path = dir.join(crate::export::DETECTIONS_CSV_FILE);
    let table = crate::annotation::read_table(&table_path)
        .with_context(|| format!("cannot read {}", table_path.display()))?;
    let groups: Vec<(String, Vec<_>)> = classes
        .iter()
        .map(|class| {
            let rows: Vec<_> = table
                .rows
                .iter()
                .filter(|r| r.label == class.class)
                .cloned()
                .collect();
            (
                class.class.clone(),
                calls_by_group(
                    &rows,
                    &class.calibration,
                    &class.site_calibrations(),
                    recall,
                ),
            )
        })
        .collect();
    let path = dir.join(CALLS_BY_GROUP_FILE);
    crate::util::fsutil::write_atomically(&path, calls_by_group_csv(&groups).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

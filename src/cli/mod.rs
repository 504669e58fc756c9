//! The `syrinx` command line: thin wrappers over the core, so batches use the code the app uses.

mod bench;
mod calibrate;
mod convert;
mod demo;
mod detect;
mod evaluate;
mod info;
mod label_next;
mod project;
mod report;
mod similar;
mod spectrogram;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build animal-call recognisers from your own field recordings.
///
/// With no command, opens the desktop app on FILES (or the last session, or the demo).
#[derive(Debug, Parser)]
#[command(name = "syrinx", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Recordings to open in the app.
    #[arg(value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// Print the user interface's CPU time per frame (p50/p95/max) when the app closes.
    #[arg(long)]
    pub frame_stats: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe recordings: duration, sample rate, channels, codec, bit depth, start time.
    Info(info::InfoArgs),
    /// Draw a spectrogram of a recording (or a span of it) as a PNG figure with labelled axes.
    Spectrogram(spectrogram::SpectrogramArgs),
    /// Measure decoding and spectrogram speed on generated hour-long recordings.
    Bench(bench::BenchArgs),
    /// Write the demo data set: synthetic recordings of a target species and look-alikes, with
    /// Raven tables of every call and a project.
    Demo(demo::DemoArgs),
    /// Convert a selection table between Raven, Audacity and CSV (input format detected).
    Convert(convert::ConvertArgs),
    /// Create and edit projects: recordings, selection tables, clip folders, export.
    Project(project::ProjectArgs),
    /// Run a model over recordings and folders; writes tables of detections and counts.
    Detect(detect::DetectArgs),
    /// Compare detections with reference tables, event by event (precision, recall, F1, FP/hour).
    Evaluate(evaluate::EvaluateArgs),
    /// What a later detection run changed against an earlier one over the same recordings:
    /// detections kept, gained and lost (matched by the event rule), and a table of the
    /// differences to review only those.
    Compare(evaluate::CompareArgs),
    /// Activity over time from a detections folder: detections per hour of day and per date
    /// for each site (CSV and PNG charts).
    Report(report::ReportArgs),
    /// Scores as probabilities from a short stratified review of a detections folder: the
    /// threshold for a target precision, and calls per recording with intervals.
    Calibrate(calibrate::CalibrateArgs),
    /// Train a recogniser on a project's selections and clips; writes a model folder.
    Train(train::TrainArgs),
    /// Find more like this: the stretches of a project's recordings most like a box (template
    /// matching on the pooled spectrogram; no model needed).
    Similar(similar::SimilarArgs),
    /// What to label next: the windows of a detection run its model is least sure of, spread
    /// over recordings; write them as a table to answer, then add the answers (--answers).
    LabelNext(label_next::LabelNextArgs),
}

/// Changes the project at `path` the way every command that writes one does: opened under
/// its lock (waiting as `wait` says), what opening found printed, changed by `change`, saved
/// (see [`crate::session::edit`]).
fn edit_project<T>(
    path: &std::path::Path,
    wait: crate::session::lock::Wait,
    change: impl FnOnce(&mut crate::project::Project) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    crate::session::edit(
        path,
        &crate::session::lock::this_program(),
        wait,
        false,
        |project, report| {
            warn_about(report);
            change(project)
        },
    )
}

/// Reads the project at `path` for a command that only reads it, printing what opening found.
fn read_project(path: &std::path::Path) -> anyhow::Result<crate::project::Project> {
    let (project, report) = crate::session::read(path)?;
    warn_about(&report);
    Ok(project)
}

/// Prints what opening a project found (recordings not found or changed, an older schema).
fn warn_about(report: &crate::session::OpenReport) {
    for notice in report.notices() {
        let level = if notice.serious { "warning" } else { "note" };
        eprintln!("{level}: {}", notice.text);
    }
}

/// Parses the command line and runs it.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info(args)) => info::run(&args),
        Some(Command::Spectrogram(args)) => spectrogram::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Convert(args)) => convert::run(&args),
        Some(Command::Project(args)) => project::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Detect(args)) => detect::run(&args),
        Some(Command::Evaluate(args)) => evaluate::run(&args),
        Some(Command::Calibrate(args)) => calibrate::run(&args),
        Some(Command::Compare(args)) => evaluate::compare(&args),
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::Similar(args)) => similar::run(&args),
        Some(Command::LabelNext(args)) => label_next::run(&args),
        None => run_app(cli.files, cli.frame_stats),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) use crate::util::timefmt::parse_time_secs;

#[cfg(feature = "gui")]
fn run_app(files: Vec<std::path::PathBuf>, frame_stats: bool) -> anyhow::Result<ExitCode> {
    crate::gui::run(files, frame_stats)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn run_app(_files: Vec<std::path::PathBuf>, _frame_stats: bool) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    eprintln!(
        "This syrinx was built without the desktop app (cargo feature `gui`); the commands work:\n"
    );
    Cli::command().print_help()?;
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! `syrinx report`: activity over time from a detections folder — detections per hour of day
//! and per date for each site, as CSV and PNG charts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A folder written by `syrinx detect` (or Export detections): its all_detections.csv.
    #[arg(value_name = "DETECTIONS_DIR")]
    pub detections: PathBuf,
    /// Where to write the tables and charts (default: the detections folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.clone().unwrap_or_else(|| args.detections.clone());
    let (activity, written) = crate::report::write_report(&args.detections, &out)?;
    let (first, last) = (activity.dates.first(), activity.dates.last());
    println!(
        "{} detection(s) at {} site(s) ({}), {} to {}",
        activity.dated,
        activity.sites.len(),
        activity.sites.join(", "),
        first.map_or_else(String::new, ToString::to_string),
        last.map_or_else(String::new, ToString::to_string),
    );
    if activity.undated > 0 {
        eprintln!(
            "warning: {} detection(s) left out: their recordings' start times are unknown",
            activity.undated
        );
    }
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `syrinx demo DIR`: write the synthetic demo data set.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::demo::write_demo;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to write into (created if needed): train/, test/, truth/, demo.syrinx and README.txt.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let summary = write_demo(&args.dir)?;
    if let Some(project) = &summary.project {
        println!("project: {}", project.display());
    }
    println!(
        "wrote {} recordings and {} Raven tables ({} target calls, {} other sounds) to {}",
        summary.recordings.len(),
        summary.tables.len(),
        summary.positives,
        summary.negatives,
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

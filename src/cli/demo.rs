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
    /// Write the multi-species demo instead: three call types (some overlapping) in six
    /// fully annotated recordings and species.syrinx, for `syrinx train --classes all`.
    #[arg(long)]
    pub species: bool,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    if args.species {
        let demo = crate::demo::species::write_species_demo(&args.dir)?;
        let calls: usize = demo.recordings.iter().map(|(_, c)| c.len()).sum();
        println!("project: {}", demo.project.display());
        println!(
            "wrote {} recordings with {calls} calls of {} to {}",
            demo.recordings.len(),
            crate::demo::species::SPECIES.join(", "),
            args.dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
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

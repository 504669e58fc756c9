//! `syrinx label-next`: what to label next from the command line — the windows of a detection
//! run its model is least sure of, printed and written as a table with an `Answer` column; the
//! filled table (`--answers`) adds the answers to the project as selections, as the app's
//! Review panel does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use crate::annotation::{Edit, read_table, write_raven};
use crate::project::runs::DetectionRun;
use crate::project::{Project, UndoStack, table_names_audio};
use crate::review::label_next::{LabelNextOptions, label_next, plan_table_answers, queue_rows};
use crate::util::timefmt::format_time_secs;

#[derive(Debug, Args)]
pub struct LabelNextArgs {
    #[arg(long, value_name = "PROJECT.syrinx")]
    pub project: PathBuf,
    /// With --answers, when another process is writing the project, wait for it however long
    /// it takes instead of giving up after a few seconds with its name.
    #[arg(long)]
    pub wait: bool,
    /// The detection run whose scores say where the model is unsure (default: the newest).
    #[arg(long)]
    pub run: Option<u32>,
    /// How many windows to queue.
    #[arg(long, default_value_t = 30)]
    pub count: usize,
    /// Queued windows of one recording start at least this far apart (default: the model's
    /// window length).
    #[arg(long, value_name = "SECONDS")]
    pub min_separation_secs: Option<f64>,
    /// Queue windows of test-split recordings too (they are never trained on).
    #[arg(long)]
    pub include_test: bool,
    /// Write the queue as a Raven table with an empty `Answer` column to fill with `call` or
    /// `no call`.
    #[arg(long, value_name = "TABLE", conflicts_with = "answers")]
    pub out: Option<PathBuf>,
    /// Add the answers of a filled queue table to the project (a call: a Positive selection;
    /// no call: a Negative one, `not <label>`), with their provenance, and save.
    #[arg(long, value_name = "TABLE")]
    pub answers: Option<PathBuf>,
}

pub fn run(args: &LabelNextArgs) -> anyhow::Result<ExitCode> {
    if let Some(table_path) = &args.answers {
        let said = super::edit_project(
            &args.project,
            crate::session::lock::Wait::brief_or_forever(args.wait),
            |project| {
                let run = pick_run(project, args.run)
                    .with_context(|| format!("in {}", args.project.display()))?
                    .clone();
                add_answers(project, &run, args, table_path)
            },
        )?;
        println!("{said}");
        return Ok(ExitCode::SUCCESS);
    }
    let project = super::read_project(&args.project)?;
    let run = pick_run(&project, args.run)
        .with_context(|| format!("in {}", args.project.display()))?
        .clone();
    let options = LabelNextOptions {
        count: args.count,
        min_separation_secs: args.min_separation_secs,
        include_test: args.include_test,
    };
    let queue = label_next(&project, &run, &options);
    for problem in &queue.problems {
        eprintln!("warning: {problem}");
    }
    eprintln!(
        "run {}: {} window(s) queued from {} unlabelled window(s) in {} recording(s), threshold {:.2}",
        run.id,
        queue.windows.len(),
        queue.candidates,
        queue.recordings,
        queue.threshold
    );
    println!("rank\tuncertainty\tscore\trecording\tstart\tend");
    for (rank, w) in queue.windows.iter().enumerate() {
        let name = project
            .recording(w.recording)
            .map(crate::project::ProjectRecording::name)
            .unwrap_or_default();
        println!(
            "{}\t{:.3}\t{:.3}\t{name}\t{}\t{}",
            rank + 1,
            w.uncertainty,
            w.score,
            format_time_secs(w.start_secs, w.end_secs),
            format_time_secs(w.end_secs, w.end_secs)
        );
    }
    if let Some(out) = &args.out {
        let rows = queue_rows(&project, &run, &queue);
        crate::util::fsutil::write_atomically(out, write_raven(&rows).as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!(
            "wrote {} (fill its Answer column with \"call\" or \"no call\", then run with --answers)",
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn pick_run(project: &Project, id: Option<u32>) -> anyhow::Result<&DetectionRun> {
    match id {
        Some(id) => project
            .run(id)
            .with_context(|| format!("the project has no detection run {id}")),
        None => match project.detection_runs.last() {
            Some(run) => Ok(run),
            None => {
                bail!("the project has no detection runs yet: run syrinx detect --project first")
            }
        },
    }
}

fn add_answers(
    project: &mut Project,
    run: &DetectionRun,
    args: &LabelNextArgs,
    table_path: &std::path::Path,
) -> anyhow::Result<String> {
    let table = read_table(table_path)?;
    let default = project
        .recordings
        .iter()
        .find(|r| table_names_audio(table_path, &r.path))
        .map(|r| r.id);
    let plan = plan_table_answers(project, run, &table.rows, default);
    for problem in &plan.problems {
        eprintln!("warning: {problem}: {}", table_path.display());
    }
    let positives = plan
        .selections
        .iter()
        .filter(|s| s.kind == crate::annotation::SelectionKind::Positive)
        .count();
    let negatives = plan.selections.len() - positives;
    let mut history = UndoStack::default();
    history.apply(
        &mut project.selections,
        "add label-next answers",
        vec![Edit::Insert(plan.selections)],
    );
    Ok(format!(
        "{positives} call(s) added as positives and {negatives} as negatives ({} unanswered, {} already there): {}",
        plan.unanswered,
        plan.already,
        args.project.display()
    ))
}

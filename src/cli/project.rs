//! `syrinx project …`: create projects, add recordings (with their selection tables), clip
//! folders, export, and show — the same code the app uses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::annotation::{SelectionKind, TableFormat, UnknownLabels, read_table};
use crate::project::{Project, Split};
use crate::session::lock::{self, Wait};
use crate::util::timefmt::format_time_secs;

#[derive(Debug, Args)]
pub struct ProjectArgs {
    #[command(subcommand)]
    pub command: ProjectCommand,
    /// When another process is writing the project, wait for it however long it takes instead
    /// of giving up after a few seconds with its name.
    #[arg(long, global = true)]
    pub wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create an empty project file.
    New {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
    },
    /// Add recordings (files, or folders whose audio is paired with tables of the same stem),
    /// with their selection tables.
    Add(AddArgs),
    /// Add a folder of clips: every audio file in it is one whole-file selection.
    AddClips {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// positive or negative.
        #[arg(long)]
        kind: String,
        /// Label of the clips (default: the folder's name).
        #[arg(long)]
        label: Option<String>,
    },
    /// Turn the false positives of reviewed detection tables into negatives (what Review's "Add
    /// false positives to negatives" does): rows whose verdict column says false positive
    /// (FalsePositive, false_positive, fp) become Negative selections labelled "not <label>";
    /// rows whose verdict names another positive label of the project ("rise", "is rise")
    /// become Positive selections of it (Review's "Another class").
    AddFalsePositives(AddFalsePositivesArgs),
    /// Merge the shard runs of a cluster job array (`syrinx detect --shard K/N --project P`,
    /// which writes OUT/shard_K_of_N.syrinx) into the project: one run per model and settings,
    /// reviewable in the app as if it had scored everything itself.
    MergeShards {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
        /// Shard projects, or the folders they were written to.
        #[arg(value_name = "SHARD", required = true)]
        shards: Vec<PathBuf>,
    },
    /// Export selections: a table per recording (and a combined one), or WAV clips.
    Export(ExportArgs),
    /// Write a stored run's detections, with their verdicts, as Review's "Export detections"
    /// does and `syrinx detect` writes a batch: a table per recording, the combined tables of
    /// every detection and the counts per recording.
    ExportDetections {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
        /// The run (default: the latest).
        #[arg(long)]
        run: Option<u32>,
        /// Folder to write to.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Format of the per-recording tables (repeatable; default: raven and audacity).
        #[arg(long = "format", value_name = "FORMAT")]
        formats: Vec<TableFormat>,
    },
    /// Bring back an earlier version of a project file. Each save keeps the version it replaces
    /// in `.syrinx-history/` beside the project (the newest five); with no VERSION, list them.
    /// The file replaced by the restore is kept too, so a restore can be undone.
    Restore {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
        /// Which version to bring back: 1 is the newest (see the list).
        version: Option<usize>,
    },
    /// Print recordings, flags and selection counts.
    Show {
        #[arg(value_name = "PROJECT.syrinx")]
        project: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(value_name = "PROJECT.syrinx")]
    pub project: PathBuf,
    /// Audio files or folders.
    #[arg(value_name = "AUDIO", required = true)]
    pub audio: Vec<PathBuf>,
    /// Selection tables (Raven, Audacity, CSV): multi-file tables go to the recordings they name;
    /// others to the recording of the same stem, or to the only recording given.
    #[arg(long = "annotations", value_name = "TABLE", num_args = 1..)]
    pub annotations: Vec<PathBuf>,
    /// Column holding the label (default: Annotation, Species, Label, … whichever exists).
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Labels that are the target (repeatable).
    #[arg(long = "positive", value_name = "LABEL")]
    pub positive: Vec<String>,
    /// Labels that are not (repeatable).
    #[arg(long = "negative", value_name = "LABEL")]
    pub negative: Vec<String>,
    /// What other labels become: positive, negative or skip (default: negative when --positive is
    /// given, else positive).
    #[arg(long, value_name = "KIND")]
    pub other_labels: Option<String>,
    /// Mark the recordings fully annotated (everything not positive is negative).
    #[arg(long)]
    pub fully_annotated: bool,
    /// train, validation, test or auto.
    #[arg(long)]
    pub split: Option<Split>,
    /// Site or group name.
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_name = "PROJECT.syrinx")]
    pub project: PathBuf,
    /// raven (a table per recording plus all.selections.txt), audacity (per recording) or csv
    /// (one file).
    #[arg(long)]
    pub to: TableFormat,
    /// Folder to write into (created if needed).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write every selection as a WAV clip into DIR/clips/<kind>/<label>/.
    #[arg(long)]
    pub clips: bool,
    /// Seconds of audio kept around each clip.
    #[arg(long, default_value_t = 0.5, value_name = "SECONDS")]
    pub padding: f64,
}

#[derive(Debug, Args)]
pub struct AddFalsePositivesArgs {
    #[arg(value_name = "PROJECT.syrinx")]
    pub project: PathBuf,
    /// Detection tables with a verdict column (CSV from `syrinx detect --format csv`, or Raven
    /// tables with a Verdict column), or folders of them.
    #[arg(value_name = "TABLE", required = true)]
    pub tables: Vec<PathBuf>,
    /// Label of the new negatives (default: "not <the detection's label>").
    #[arg(long)]
    pub label: Option<String>,
    /// The model the detections came from (its folder), for the provenance column.
    #[arg(long, value_name = "MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Also add the false positives of test-split recordings (never trained on; by default
    /// they are kept for evaluation only).
    #[arg(long)]
    pub include_test: bool,
}

pub fn run(args: &ProjectArgs) -> anyhow::Result<ExitCode> {
    let wait = Wait::brief_or_forever(args.wait);
    match &args.command {
        ProjectCommand::New { project } => {
            let _lock = lock::ProjectLock::acquire(project, &lock::this_program(), wait)?;
            if project.exists() {
                bail!(
                    "a project already exists there (not overwritten): {}",
                    project.display()
                );
            }
            Project::default().save(project)?;
            println!("created {}", project.display());
        }
        ProjectCommand::Add(add) => run_add(add, wait)?,
        ProjectCommand::AddClips {
            project: path,
            dir,
            kind,
            label,
        } => {
            let kind = SelectionKind::parse(kind)
                .with_context(|| format!("--kind '{kind}' is not positive or negative"))?;
            if !dir.is_dir() {
                bail!("not a folder: {}", dir.display());
            }
            let label = label
                .clone()
                .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()));
            super::edit_project(path, wait, |project| {
                project.add_clip_folder(dir, kind, label);
                anyhow::Ok(())
            })?;
            println!(
                "added clip folder {} ({}) to {}",
                dir.display(),
                kind.name(),
                path.display()
            );
        }
        ProjectCommand::AddFalsePositives(add) => run_add_false_positives(add, wait)?,
        ProjectCommand::MergeShards { project, shards } => merge_shards(project, shards, wait)?,
        ProjectCommand::Export(export) => run_export(export)?,
        ProjectCommand::ExportDetections {
            project,
            run,
            out,
            formats,
        } => {
            let loaded = super::read_project(project)?;
            let run = super::label_next::pick_run(&loaded, *run)
                .with_context(|| format!("in {}", project.display()))?;
            let formats = if formats.is_empty() {
                crate::export::RUN_TABLE_FORMATS.to_vec()
            } else {
                formats.clone()
            };
            let written = crate::export::export_run(&loaded, run, out, &formats)?;
            println!(
                "run {}: {} file(s) written to {}",
                run.id,
                written.len(),
                out.display()
            );
        }
        ProjectCommand::Show { project } => show(project)?,
        ProjectCommand::Restore { project, version } => restore(project, *version, wait)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_add(args: &AddArgs, wait: Wait) -> anyhow::Result<()> {
    let options = add_options(args)?;
    // The disk is read before the project is locked: probing hours of audio holds no one up.
    let contents = crate::workflow::folders::read_additions(&args.audio, &args.annotations)?;
    let (failures, recordings) = crate::session::edit(
        &args.project,
        &lock::this_program(),
        wait,
        true,
        |project, report| {
            super::warn_about(report);
            let addition = crate::session::plan_addition(project, &contents, &options);
            for warning in &addition.warnings {
                eprintln!("warning: {warning}");
            }
            for table in &addition.tables {
                for warning in &table.warnings {
                    eprintln!("warning: {warning}: {}", table.path.display());
                }
                for (file, rows) in &table.unmatched {
                    eprintln!(
                        "warning: {rows} selection(s) for {file}, which is not in the project: {}",
                        table.path.display()
                    );
                }
                println!(
                    "{}: {} selections imported, {} skipped",
                    table.path.display(),
                    table.imported,
                    table.skipped
                );
            }
            for error in &addition.errors {
                eprintln!("error: {error}");
            }
            let failures = addition.errors.len();
            addition.insert_into(project);
            anyhow::Ok((failures, project.recordings.len()))
        },
    )?;
    println!("{recordings} recording(s) in {}", args.project.display());
    if failures > 0 {
        bail!("{failures} file(s) could not be added (see above)");
    }
    Ok(())
}

/// How `args` flags recordings and reads labels.
fn add_options(args: &AddArgs) -> anyhow::Result<crate::session::AddOptions> {
    let other = match args.other_labels.as_deref() {
        Some("skip") => UnknownLabels::Skip,
        Some(text) => match SelectionKind::parse(text) {
            Some(SelectionKind::Positive) => UnknownLabels::Positive,
            Some(SelectionKind::Negative) => UnknownLabels::Negative,
            None => bail!("--other-labels '{text}' is not positive, negative or skip"),
        },
        None if args.positive.is_empty() => UnknownLabels::Positive,
        None => UnknownLabels::Negative,
    };
    Ok(crate::session::AddOptions {
        fully_annotated: args.fully_annotated,
        split: args.split,
        group: args.group.clone(),
        label_column: args.label_column.clone(),
        labels: Some(crate::session::LabelChoice {
            positive: args.positive.iter().cloned().collect(),
            negative: args.negative.iter().cloned().collect(),
            other,
        }),
    })
}

fn merge_shards(path: &Path, shards: &[PathBuf], wait: Wait) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for shard in shards {
        if shard.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(shard)
                .with_context(|| format!("cannot list {}", shard.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| crate::project::is_project_path(p))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("no shard project (*.syrinx) in {}", shard.display());
            }
            files.extend(found);
        } else {
            files.push(shard.clone());
        }
    }
    let shards = files
        .iter()
        .map(|file| super::read_project(file))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = super::edit_project(path, wait, |project| {
        anyhow::Ok(crate::workflow::detect::merge_shard_runs(project, &shards))
    })?;
    for (id, recordings) in &merged.runs {
        println!(
            "run {id} ({recordings} recording(s)) stored in {}: open it in the app's Review tab",
            path.display()
        );
    }
    println!(
        "{} shard(s) merged, {} recording(s) added to the project",
        shards.len(),
        merged.recordings_added
    );
    Ok(())
}

fn run_add_false_positives(args: &AddFalsePositivesArgs, wait: Wait) -> anyhow::Result<()> {
    let said = super::edit_project(&args.project, wait, |project| {
        add_false_positives_to(project, args)
    })?;
    println!("{said}");
    Ok(())
}

/// Adds the false positives of `args`'s tables to `project`; what was added, in words.
fn add_false_positives_to(
    project: &mut Project,
    args: &AddFalsePositivesArgs,
) -> anyhow::Result<String> {
    let model = match &args.model {
        Some(dir) => Some(crate::model::ModelArtifact::read_info(dir)?.created),
        None => None,
    };
    let options = crate::review::NegativeOptions {
        label: args.label.clone(),
        include_test: args.include_test,
    };
    let mut tables = Vec::new();
    for path in &args.tables {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list {}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|e| {
                        e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt")
                    })
                })
                .collect();
            found.sort();
            tables.extend(found);
        } else {
            tables.push(path.clone());
        }
    }
    let (mut added, mut reclassified, mut already, mut test_kept) = (0, 0, 0, 0);
    let mut history = crate::project::UndoStack::default();
    for table_path in &tables {
        let table = read_table(table_path)?;
        let default = project
            .recordings
            .iter()
            .find(|r| crate::project::table_names_audio(table_path, &r.path))
            .map(|r| r.id);
        let plan = crate::review::plan_table_false_positives(
            project,
            &table.rows,
            default,
            model.as_deref(),
            &options,
        );
        for problem in &plan.problems {
            eprintln!("warning: {problem}: {}", table_path.display());
        }
        added += plan.selections.len() - plan.reclassified;
        reclassified += plan.reclassified;
        already += plan.already;
        test_kept += plan.test_false_positives;
        history.apply(
            &mut project.selections,
            "add false positives",
            vec![crate::annotation::Edit::Insert(plan.selections)],
        );
    }
    Ok(format!(
        "{added} false positive(s) added as negatives, {reclassified} detection(s) of another class added as its positives ({already} already there, {test_kept} in test recordings kept for evaluation only): {}",
        args.project.display()
    ))
}

fn run_export(args: &ExportArgs) -> anyhow::Result<()> {
    let project = super::read_project(&args.project)?;
    let outcome = crate::workflow::export::export_selections(
        &project,
        None,
        args.to,
        &args.out,
        args.clips,
        args.padding,
    )?;
    println!(
        "wrote {} table(s) to {}",
        outcome.tables.len(),
        args.out.display()
    );
    for failure in &outcome.failed {
        eprintln!("error: {failure}");
    }
    if let Some((dir, count)) = &outcome.clips {
        println!("wrote {count} clip(s) to {}", dir.display());
    }
    Ok(())
}

fn show(path: &Path) -> anyhow::Result<()> {
    let (project, report) = crate::session::read(path)?;
    super::warn_about(&report);
    let summary = project.summary();
    println!(
        "{}: {} recording(s), {} selection(s)",
        path.display(),
        project.recordings.len(),
        project.selections.len()
    );
    for recording in &project.recordings {
        let mut flags = vec![recording.split.name().to_owned()];
        if recording.fully_annotated {
            flags.push("fully annotated".to_owned());
        }
        if let Some(group) = &recording.group {
            flags.push(format!("group {group}"));
        }
        if report.is_missing(recording.id) {
            flags.push("MISSING".to_owned());
        } else if report.is_changed(recording.id) {
            flags.push("CHANGED since added".to_owned());
        }
        println!(
            "  {}  {}  {} Hz  {} selection(s)  [{}]",
            recording.name(),
            format_time_secs(recording.duration_secs, recording.duration_secs),
            recording.sample_rate_hz,
            summary
                .by_recording
                .get(&recording.id)
                .copied()
                .unwrap_or(0),
            flags.join(", ")
        );
    }
    for ((kind, label), count) in &summary.by_label {
        println!(
            "  {:<9} {:<24} {count}",
            kind.name(),
            if label.is_empty() {
                "(no label)"
            } else {
                label
            }
        );
    }
    for folder in &project.clip_folders {
        println!(
            "  clips ({}): {}",
            folder.kind.name(),
            folder.path.display()
        );
    }
    Ok(())
}

/// `syrinx project restore`: lists the kept versions, or brings one back.
fn restore(path: &Path, version: Option<usize>, wait: Wait) -> anyhow::Result<()> {
    use crate::project::history;
    let versions = history::versions(path);
    if versions.is_empty() {
        bail!(
            "no earlier version of {} is kept (versions are kept from the second save on, in {})",
            path.display(),
            history::history_dir(path).display()
        );
    }
    let Some(number) = version else {
        println!("earlier versions of {}, newest first:", path.display());
        for (i, v) in versions.iter().enumerate() {
            let contents = match v.load(path) {
                Ok(project) => format!(
                    "{} recording(s), {} selection(s), {} run(s)",
                    project.recordings.len(),
                    project.selections.len(),
                    project.detection_runs.len()
                ),
                Err(error) => format!("does not load: {error}"),
            };
            println!(
                "  {}: saved {}, {} bytes: {contents}",
                i + 1,
                v.saved_text(),
                v.size_bytes
            );
        }
        println!(
            "bring one back with: syrinx project restore {} NUMBER",
            path.display()
        );
        return Ok(());
    };
    let chosen = number
        .checked_sub(1)
        .and_then(|i| versions.get(i))
        .with_context(|| {
            format!(
                "there is no version {number} (1 to {} are kept)",
                versions.len()
            )
        })?;
    let _lock = lock::ProjectLock::acquire(path, &lock::this_program(), wait)?;
    let restored = history::restore(path, chosen)?;
    println!(
        "restored the version saved {} ({} recording(s), {} selection(s)) to {}; the file it replaced is kept as version 1",
        chosen.saved_text(),
        restored.recordings.len(),
        restored.selections.len(),
        path.display()
    );
    Ok(())
}

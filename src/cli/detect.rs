//! `syrinx detect`: a model over files, folders or a project's recordings; one table of
//! detections per recording, a combined CSV and per-recording counts. `--shard K/N` takes a
//! deterministic slice of the file list so a cluster job array can split a survey. The batch is
//! the app's ([`crate::workflow::detect::run_batch`]); with `--project` the run it leaves is the
//! app's too, so the Review tab opens it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::annotation::{FileRef, ProjectRecordingId, TableFormat, TableRow};
use crate::calibrate::PROBABILITY_COLUMN;
use crate::detect::{Detection, merge};
use crate::export::{DetectionsFolder, RecordingOut, detection_row};
use crate::model::ModelArtifact;
use crate::project::Project;
use crate::workflow::detect::FileFailed;
use crate::workflow::detect::{
    BatchEvent, BatchPlan, DetectScope, MergeChoice, RunTarget, batch_job, list_audio, shard_of,
};
use crate::workflow::journal::{BatchJournal, JournalEntry, JournalKey, Opened};

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The model folder (written by `syrinx train` or the app).
    #[arg(long, value_name = "MODEL_DIR")]
    pub model: PathBuf,
    /// Seconds between window starts, rounded to whole spectrogram frames (default: the
    /// model's, a sixth of its window; 0.5 s for models from before that).
    #[arg(long)]
    pub hop_secs: Option<f64>,
    /// Adapt the network to the recordings being scored before scoring them: its batch-norm
    /// statistics are measured again on windows spread over them (AdaBN). For a new day or site
    /// whose level and noise differ from the training recordings.
    #[arg(long)]
    pub adapt: bool,
    /// Score at or above which a window is positive (default: the model's).
    #[arg(long, conflicts_with = "calibration")]
    pub threshold: Option<f32>,
    /// A calibration of this model (`calibration.json` from `syrinx calibrate fit`): every
    /// detection gets its probability of being a call (a `Probability` column), and the
    /// threshold is the one chosen there for its target precision.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// With --calibration: the threshold that reaches this precision on the calibrated
    /// detections instead.
    #[arg(long, requires = "calibration")]
    pub target_precision: Option<f64>,
    /// Join detections closer than this.
    #[arg(long, default_value_t = 0.0)]
    pub min_gap_secs: f64,
    /// Drop detections shorter than this.
    #[arg(long, default_value_t = 0.0)]
    pub min_duration_secs: f64,
    /// Peaks of the score curve closer than this are one call (default: the model's, from its
    /// training calls).
    #[arg(long, value_name = "SECS")]
    pub min_separation_secs: Option<f64>,
    /// One detection per run of positive windows instead of one per score peak (calls closer
    /// than a window become one detection; models from before peak picking count this way
    /// unless --min-separation-secs is given).
    #[arg(long)]
    pub merge_runs: bool,
    /// Table format per recording: raven, audacity or csv.
    #[arg(long, default_value = "raven")]
    pub format: TableFormat,
    /// Take the K-th of N slices of the sorted file list (1-based), e.g. `$SLURM_ARRAY_TASK_ID/N`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Also store the run in this project (recordings not in it yet are added), with every
    /// window's score, so the app's Review tab opens it like a run it made itself. With
    /// `--shard`, the shard's run goes to `OUT/shard_K_of_N.syrinx` instead (shards run at once
    /// would overwrite each other): `syrinx project merge-shards` then makes them one run.
    #[arg(long, value_name = "PROJECT.syrinx")]
    pub project: Option<PathBuf>,
    /// When another process is writing the project as the run is stored, wait for it however
    /// long it takes instead of giving up after a few seconds with its name.
    #[arg(long)]
    pub wait: bool,
    /// Score the project's recordings in this scope: survey (not fully annotated, not in the
    /// test split: what review teaches from), test, or all. Needs --project.
    #[arg(long, value_name = "SCOPE", requires = "project")]
    pub scope: Option<DetectScope>,
    /// Folder for the tables (created).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Recordings, or folders searched recursively for recordings.
    #[arg(value_name = "PATHS", required_unless_present = "scope")]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let project = args
        .project
        .as_deref()
        .map(super::read_project)
        .transpose()?;
    let mut files = list_audio(&args.paths).context("cannot list the recordings")?;
    // The project's Site/group of its recordings goes with their rows (reports count by it).
    let sites: std::collections::HashMap<PathBuf, String> = project
        .iter()
        .flat_map(|p| &p.recordings)
        .filter_map(|r| Some((r.path.clone(), r.group_typed()?.to_owned())))
        .collect();
    if let (Some(scope), Some(project)) = (args.scope, &project) {
        let ids = scope.recordings(project, None, &std::collections::BTreeSet::new());
        files.extend(
            ids.iter()
                .filter_map(|id| project.recording(*id))
                .map(|r| r.path.clone()),
        );
        files.sort();
        files.dedup();
    }
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    // A multi-class model scores each class (a run per class with --project, also in a shard's
    // project). A model that cannot be read is reported by the batch, as before.
    let per_class = ModelArtifact::read_info(&args.model).is_ok_and(|i| i.network.outputs > 1);
    // Tables are named among the whole batch, so that shards name them alike.
    let batch_files = files.clone();
    if let Some((k, n)) = shard {
        files = shard_of(files, k, n);
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // The project the run goes to: the one named, or for a shard a project of its own.
    let mut target = match (project, shard) {
        (Some(project), None) => args.project.clone().map(|path| (project, path)),
        (Some(project), Some((k, n))) => {
            let mut own = Project::default();
            own.models.clone_from(&project.models);
            for file in &files {
                if let Some(recording) = project.recording_at(file) {
                    own.adopt_recording(recording);
                }
            }
            Some((own, args.out.join(format!("shard_{k}_of_{n}.syrinx"))))
        }
        (None, _) => None,
    };
    let planned = match &mut target {
        Some((project, _)) => add_recordings(project, &files),
        None => Vec::new(),
    };
    let calibration = match &args.calibration {
        Some(path) => Some(calibrated_threshold(path, args.target_precision)?),
        None => None,
    };
    let choice = MergeChoice {
        threshold: args
            .threshold
            .or(calibration.as_ref().map(|(_, threshold)| *threshold)),
        min_gap_secs: args.min_gap_secs,
        min_duration_secs: args.min_duration_secs,
        min_separation_secs: args.min_separation_secs,
        merge_runs: args.merge_runs,
    };
    // The journal of this batch in OUT: files an earlier run of it finished are not scored
    // again. (A model that cannot be read has no journal; the batch reports it.)
    let mut journal = match ModelArtifact::read_info(&args.model) {
        Ok(info) => Some(open_journal(args, &info, &choice, target.is_some())?),
        Err(_) => None,
    };
    let place: std::collections::HashMap<PathBuf, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), i))
        .collect();
    let resumed: Vec<(usize, JournalEntry)> = journal.as_ref().map_or_else(Vec::new, |j| {
        files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| j.finished(f).map(|entry| (i, entry.clone())))
            .collect()
    });
    let done: std::collections::HashSet<usize> = resumed.iter().map(|(i, _)| *i).collect();
    let to_score: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| !done.contains(i))
        .map(|(_, f)| f.clone())
        .collect();
    let plan = BatchPlan {
        model_dir: args.model.clone(),
        files: to_score,
        folder: None,
        hop_secs: args.hop_secs,
        per_class,
        adapt: args.adapt,
    };
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg} (eta {eta})").map_or_else(
            |_| ProgressStyle::default_bar(),
            |s| s.progress_chars("=> "),
        ),
    );
    bar.inc(resumed.len() as u64);
    let started = Instant::now();
    let mut tables = Tables {
        calibrations: calibration.map(|(classes, _)| classes).unwrap_or_default(),
        batch_files,
        sites,
        ..Tables::default()
    };
    let mut run: Option<RunTarget> = None;
    // A multi-class model's runs, one per class.
    let mut class_runs: Vec<RunTarget> = Vec::new();
    // A table that cannot be written stops the batch (the disk is full, say): kept to report.
    let mut write_error: Option<anyhow::Error> = None;
    let mut hop_note: Option<String> = None;
    // The batch runs as a job (the app's way); tables are written here as results arrive.
    let totals = crate::util::jobs::run_here("detection", batch_job(plan), &mut |event| {
        match event {
            BatchEvent::ModelLoaded { info, hop_secs } => {
                hop_note = Some(match info.hop_grid_text() {
                    Some(grid) => format!("windows {hop_secs:.3} s apart, {grid}"),
                    None => format!("windows {hop_secs:.3} s apart, each scored on its own"),
                });
                let settings = choice.settings(&info, hop_secs);
                tables.settings = Some(settings);
                let nyquist_hz = f64::from(info.input.sample_rate_hz) / 2.0;
                // Detections carry no frequency bounds: tables get the training calls' band when
                // the model knows it, else the whole spectrum.
                tables.band_hz = info
                    .detection
                    .and_then(|d| d.band_hz)
                    .unwrap_or((0.0, nyquist_hz));
                let label = info.manifest.positive_labels.join(" / ");
                tables.label = if label.is_empty() {
                    "positive".to_owned()
                } else {
                    label
                };
                // A multi-class model: each class at its own threshold (or the one asked for, or
                // the one its calibration chose).
                let classes = info
                    .class_metrics
                    .iter()
                    .map(|c| {
                        let calibrated = tables
                            .calibrations
                            .iter()
                            .find(|k| k.class == c.name)
                            .and_then(|k| match args.target_precision {
                                Some(target) => k.threshold_for(target),
                                None => k.choice,
                            })
                            .map(|choice| choice.threshold);
                        let threshold = args.threshold.or(calibrated).unwrap_or(c.threshold);
                        (c.name.clone(), threshold)
                    })
                    .collect();
                tables.classes = classes;
                if let Err(error) = tables.start(args) {
                    write_error.get_or_insert(error);
                }
                if let Some((project, _)) = &mut target
                    && !tables.classes.is_empty()
                {
                    class_runs = RunTarget::start_per_class(
                        project,
                        &args.model,
                        &info,
                        hop_secs,
                        settings,
                        args.threshold,
                        &planned,
                    );
                } else if let Some((project, _)) = &mut target {
                    run = Some(RunTarget::start(
                        project,
                        &args.model,
                        &info,
                        hop_secs,
                        settings,
                        planned.clone(),
                    ));
                }
                if let Some((project, _)) = &mut target {
                    let scope = run_scope(args);
                    for id in class_runs.iter().chain(&run).map(|r| r.run_id) {
                        if let Some(stored) = project.run_mut(id) {
                            stored.scope.clone_from(&scope);
                        }
                    }
                }
                // Files an earlier run of this batch finished: their tables and scores as it
                // left them.
                for (index, entry) in &resumed {
                    if let Err(error) =
                        tables.record(*index, &entry.file, &entry.detections, entry.audio_secs)
                    {
                        write_error.get_or_insert(error);
                    }
                    if let (Some(journal), Some((project, _))) = (&journal, &mut target) {
                        let scores = journal.scores(entry);
                        if let Some(run) = run {
                            let first = scores.clone().and_then(|mut s| {
                                (!s.is_empty())
                                    .then(|| s.swap_remove(0))
                                    .ok_or_else(|| FileFailed::new(&entry.file, "no scores kept"))
                            });
                            run.add_scored(project, &entry.file, first);
                        }
                        for (c, class_run) in class_runs.iter().enumerate() {
                            let class = scores.clone().and_then(|s| {
                                s.get(c).cloned().ok_or_else(|| {
                                    FileFailed::new(&entry.file, format!("no scores of class {c}"))
                                })
                            });
                            class_run.add_scored(project, &entry.file, class);
                        }
                    }
                }
            }
            BatchEvent::Started { path, .. } => bar.set_message(file_name(&path)),
            BatchEvent::Position { .. } | BatchEvent::Listed(_) => {}
            BatchEvent::Unlike(warning) => bar.suspend(|| eprintln!("warning: {warning}")),
            BatchEvent::Scored {
                path,
                audio_secs,
                result,
            } => {
                match &result {
                    Ok(scores) => {
                        let index = place.get(&path).copied().unwrap_or(usize::MAX);
                        if let Err(error) = finish_file(
                            &mut tables,
                            journal.as_mut(),
                            (index, &path),
                            &[scores],
                            target.is_some(),
                            audio_secs,
                        ) {
                            write_error.get_or_insert(error);
                        }
                    }
                    Err(error) => bar.suspend(|| eprintln!("warning: {error}")),
                }
                if let (Some(run), Some((project, _))) = (run, &mut target) {
                    run.add_scored(project, &path, result);
                }
                bar.inc(1);
            }
            BatchEvent::ScoredClasses {
                path,
                audio_secs,
                result,
            } => {
                match &result {
                    Ok(per_class) => {
                        let index = place.get(&path).copied().unwrap_or(usize::MAX);
                        let all: Vec<&crate::detect::WindowScores> = per_class.iter().collect();
                        if let Err(error) = finish_file(
                            &mut tables,
                            journal.as_mut(),
                            (index, &path),
                            &all,
                            target.is_some(),
                            audio_secs,
                        ) {
                            write_error.get_or_insert(error);
                        }
                    }
                    Err(error) => bar.suspend(|| eprintln!("warning: {error}")),
                }
                if let Some((project, _)) = &mut target {
                    for (c, class_run) in class_runs.iter().enumerate() {
                        let scores = match &result {
                            Ok(per_class) => per_class.get(c).cloned().ok_or_else(|| {
                                FileFailed::new(&path, format!("no scores of class {c}"))
                            }),
                            Err(error) => Err(error.clone()),
                        };
                        class_run.add_scored(project, &path, scores);
                    }
                }
                bar.inc(1);
            }
        }
        // A table that could not be written stops the batch.
        write_error.is_none()
    });
    bar.finish_and_clear();
    if let Some(error) = write_error {
        return Err(error);
    }
    let totals = totals?;
    tables.finish()?;
    if let (false, Some((project, path))) = (class_runs.is_empty(), &target) {
        let ids: Vec<u32> = class_runs.iter().map(|r| r.run_id).collect();
        let stored = store_runs(project, path, &ids, shard.is_some(), args.wait)?;
        let names: Vec<String> = stored
            .iter()
            .map(|(id, label, _)| format!("run {id} ({label})"))
            .collect();
        println!(
            "{} stored in {}: review each class in the app's Review tab",
            names.join(", "),
            path.display()
        );
    }
    if let (Some(run), Some((project, path))) = (run, &target) {
        let stored = store_runs(project, path, &[run.run_id], shard.is_some(), args.wait)?;
        let (run_id, recordings) = stored
            .first()
            .map_or((run.run_id, 0), |(id, _, n)| (*id, *n));
        if shard.is_some() {
            println!(
                "shard run ({recordings} recording(s)) stored in {}: merge the shards with `syrinx project merge-shards PROJECT {}…`",
                path.display(),
                args.out.display()
            );
        } else {
            println!(
                "run {run_id} ({recordings} recording(s)) stored in {}: open it in the app's Review tab",
                path.display()
            );
        }
    }
    let wall_secs = started.elapsed().as_secs_f64();
    let x_realtime = totals.audio_secs / wall_secs.max(1e-9);
    let resumed_note = if resumed.is_empty() {
        String::new()
    } else {
        format!(", {} more finished by an earlier run", resumed.len())
    };
    println!(
        "{} detection(s) in {} file(s) ({} failed{resumed_note}), {:.0} s of audio in {wall_secs:.1} s ({x_realtime:.0}× real time): {}",
        tables.total,
        totals.scored,
        totals.failed,
        totals.audio_secs,
        args.out.display()
    );
    if let Some(note) = hop_note {
        println!("{note}");
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "files": totals.scored,
                "resumed": resumed.len(),
                "failed": totals.failed,
                "detections": tables.total,
                "audio_secs": totals.audio_secs,
                "wall_secs": wall_secs,
                "x_realtime": x_realtime,
                "threshold": tables.settings.map(|s| s.threshold),
            })
        );
    }
    Ok(if totals.failed > 0 && totals.scored == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The project's recordings for `files`, adding those it lacks (a file that cannot be probed
/// is left out with a warning; scoring reports it too).
fn add_recordings(project: &mut Project, files: &[PathBuf]) -> Vec<ProjectRecordingId> {
    let mut ids = Vec::new();
    for file in files {
        match project.recording_at(file) {
            Some(recording) => ids.push(recording.id),
            None => match crate::audio::probe(file)
                .map_err(|e| e.to_string())
                .and_then(|info| project.add_recording(&info).map_err(|e| e.to_string()))
            {
                Ok(id) => ids.push(id),
                Err(error) => eprintln!("warning: not added to the project: {error}"),
            },
        }
    }
    ids
}

/// The calibrations of `path` and the threshold they give: the one chosen at fitting, or the one
/// reaching `target` precision (of the first class: thresholds are per model here).
fn calibrated_threshold(
    path: &Path,
    target: Option<f64>,
) -> anyhow::Result<(Vec<crate::export::calibration::ClassCalibration>, f32)> {
    let classes = crate::export::calibration::read_calibration(path)?;
    let first = classes
        .first()
        .with_context(|| format!("no calibrated class in {}", path.display()))?;
    let (precision, choice) = match target {
        Some(target) => (target, first.threshold_for(target)),
        None => (first.target_precision, first.choice),
    };
    let choice = choice.with_context(|| {
        format!(
            "no threshold reaches precision {precision:.2} on the detections calibrated in {}",
            path.display()
        )
    })?;
    eprintln!(
        "threshold {:.4} from {}: expected precision {:.2} on the calibrated detections (target {precision:.2})",
        choice.threshold,
        path.display(),
        choice.precision
    );
    Ok((classes, choice.threshold))
}

/// The tables a batch writes (one per recording as each is scored, the combined ones and the
/// counts at the end: see [`DetectionsFolder`]), and what turns scores into detections.
#[derive(Default)]
struct Tables {
    settings: Option<crate::detect::MergeSettings>,
    band_hz: (f64, f64),
    label: String,
    /// A multi-class model's classes and their thresholds (empty: one class).
    classes: Vec<(String, f32)>,
    /// Calibrations by class (a one-class model's detections use the first).
    calibrations: Vec<crate::export::calibration::ClassCalibration>,
    total: usize,
    /// Created when the model is known (a multi-class model's tables have a class column).
    folder: Option<DetectionsFolder>,
    /// Every file of the batch (a shard's too), among which tables are named.
    batch_files: Vec<PathBuf>,
    /// The Site/group of the files the project (`--project`) holds with one.
    sites: std::collections::HashMap<PathBuf, String>,
}

impl Tables {
    /// Starts the folder once the model (and so its classes) is known.
    fn start(&mut self, args: &DetectArgs) -> anyhow::Result<()> {
        let classes = self.classes.iter().map(|(c, _)| c.clone()).collect();
        let mut folder = DetectionsFolder::create(&args.out, &[args.format], classes)?;
        let paths: Vec<&Path> = self.batch_files.iter().map(PathBuf::as_path).collect();
        folder.name_tables_among(&paths);
        self.folder = Some(folder);
        Ok(())
    }

    /// The detections of each class (one list for a one-class model) in `per_class` scores.
    fn detections(&self, per_class: &[&crate::detect::WindowScores]) -> Vec<Vec<Detection>> {
        let Some(settings) = &self.settings else {
            return Vec::new();
        };
        if self.classes.is_empty() {
            return per_class
                .first()
                .map(|scores| vec![merge(scores, settings)])
                .unwrap_or_default();
        }
        self.classes
            .iter()
            .zip(per_class)
            .map(|((_, threshold), scores)| {
                merge(
                    scores,
                    &crate::detect::MergeSettings {
                        threshold: *threshold,
                        ..*settings
                    },
                )
            })
            .collect()
    }

    /// Writes the table of file `index` (`file`) with `detections` per class; a multi-class
    /// model's rows are labelled with their class.
    fn record(
        &mut self,
        index: usize,
        file: &Path,
        detections: &[Vec<Detection>],
        audio_secs: f64,
    ) -> anyhow::Result<()> {
        let name = file_name(file);
        let file_ref = FileRef {
            name: name.clone(),
            path: Some(file.display().to_string()),
            start: crate::audio::recording_start_of(file).map(|s| s.local_time),
        };
        let per_class: Vec<Vec<TableRow>> = if self.classes.is_empty() {
            vec![
                detections
                    .first()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|d| detection_row(d, &file_ref, self.band_hz, &self.label, None))
                    .collect(),
            ]
        } else {
            self.classes
                .iter()
                .zip(detections)
                .map(|((class, _), found)| {
                    found
                        .iter()
                        .map(|d| detection_row(d, &file_ref, self.band_hz, class, None))
                        .collect()
                })
                .collect()
        };
        // Each detection's probability of being a call, from its class's calibration; its site.
        let mut per_class = per_class;
        let site = std::path::absolute(file)
            .ok()
            .and_then(|absolute| self.sites.get(&absolute));
        for rows in &mut per_class {
            for row in rows.iter_mut() {
                if let Some(site) = site {
                    row.values
                        .insert(crate::annotation::SITE_COLUMN.to_owned(), site.clone());
                }
                let calibration = self
                    .calibrations
                    .iter()
                    .find(|c| c.class == row.label)
                    .or_else(|| self.classes.is_empty().then(|| self.calibrations.first())?);
                if let (Some(c), Some(score)) = (calibration, row.score) {
                    row.values.insert(
                        PROBABILITY_COLUMN.to_owned(),
                        format!("{:.4}", c.calibration.probability(score as f32)),
                    );
                }
            }
        }
        let Some(folder) = self.folder.as_mut() else {
            return Ok(());
        };
        self.total += folder.record(
            index,
            RecordingOut {
                name: &name,
                path: file,
                audio_secs,
            },
            per_class,
        )?;
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(folder) = self.folder.take() {
            folder.finish()?;
        }
        Ok(())
    }
}

/// Opens the journal of this batch in `--out`, saying when it resumes or replaces another.
fn open_journal(
    args: &DetectArgs,
    info: &crate::model::ModelInfo,
    choice: &MergeChoice,
    keeps_scores: bool,
) -> anyhow::Result<BatchJournal> {
    let hop_secs = args.hop_secs.unwrap_or_else(|| info.detection_hop_secs());
    let classes: Vec<(String, f32)> = info
        .class_metrics
        .iter()
        .map(|c| (c.name.clone(), args.threshold.unwrap_or(c.threshold)))
        .collect();
    let key = JournalKey {
        model: format!("{} {}", args.model.display(), info.created),
        hop_secs,
        settings: serde_json::json!({
            "merge": choice.settings(info, hop_secs),
            "classes": classes,
        }),
        format: format!("{:?}", args.format),
        keeps_scores,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let (journal, opened) = BatchJournal::open(&args.out, &key)?;
    match opened {
        Opened::Resumed { finished } if finished > 0 => eprintln!(
            "resuming: {finished} file(s) finished by an earlier run of this batch in {} are not scored again",
            args.out.display()
        ),
        Opened::Replaced => eprintln!(
            "{} held a batch with another model or other settings: scoring every file afresh",
            args.out.display()
        ),
        _ => {}
    }
    Ok(journal)
}

/// A file scored: its table written, then the journal told (so a journal line always names a
/// whole table).
/// `file` is the `index`-th of the batch; its scores are kept in the journal when
/// `keep_scores` (a run stored in a project).
fn finish_file(
    tables: &mut Tables,
    journal: Option<&mut BatchJournal>,
    (index, file): (usize, &Path),
    per_class: &[&crate::detect::WindowScores],
    keep_scores: bool,
    audio_secs: f64,
) -> anyhow::Result<()> {
    if tables.settings.is_none() {
        return Ok(());
    }
    let detections = tables.detections(per_class);
    tables.record(index, file, &detections, audio_secs)?;
    if let Some(journal) = journal {
        let kept = if keep_scores { per_class } else { &[] };
        journal.record(file, audio_secs, detections, kept)?;
    }
    Ok(())
}

/// Stores the runs `run_ids` of `project` (the project as this batch loaded it, plus its runs)
/// at `path`; `(id, label, recordings)` of each as stored. A shard's own project is written
/// whole. A project named with `--project` is loaded again under its lock and the runs are
/// merged into it as it is now (new ids where another writer took them, recordings it lacks
/// added), so whatever was written to it while the batch ran — recordings added, selections
/// drawn in the app and saved — stays.
fn store_runs(
    project: &Project,
    path: &Path,
    run_ids: &[u32],
    own_shard: bool,
    queue: bool,
) -> anyhow::Result<Vec<(u32, String, usize)>> {
    let described = |project: &Project, ids: &mut dyn Iterator<Item = u32>| {
        ids.filter_map(|id| project.run(id))
            .map(|r| (r.id, r.label.clone(), r.recordings.len()))
            .collect::<Vec<_>>()
    };
    if own_shard {
        project.save(path)?;
        return Ok(described(project, &mut run_ids.iter().copied()));
    }
    let mut made = project.clone();
    made.detection_runs.retain(|r| run_ids.contains(&r.id));
    super::edit_project(
        path,
        crate::session::lock::Wait::brief_or_forever(queue),
        |fresh| {
            let merged = crate::workflow::detect::merge_shard_runs(fresh, &[made]);
            Ok(described(fresh, &mut merged.runs.iter().map(|(id, _)| *id)))
        },
    )
}

fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(k, n)| {
        Some((
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((k, n)) if n > 0 && (1..=n).contains(&k) => Ok((k, n)),
        _ => anyhow::bail!("--shard must be K/N with 1 ≤ K ≤ N, not '{text}'"),
    }
}

/// What a run stored in a project covers, in words for its name: the scope asked for, else the
/// one path given, else how many.
fn run_scope(args: &DetectArgs) -> String {
    match (args.scope, args.paths.as_slice()) {
        (Some(scope), _) => scope.short_name().to_owned(),
        (None, [one]) => one.file_name().map_or_else(
            || one.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        (None, paths) => format!("{} paths", paths.len()),
    }
}

//! Detection as a workflow step: which recordings (a [`DetectScope`]), the batch that scores
//! them one after another ([`run_batch`], run on a job by the app and directly by `syrinx
//! detect`), the run it leaves in the project ([`RunTarget`]), and the merging of shard runs that
//! a cluster job array scored separately ([`merge_shard_runs`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::annotation::ProjectRecordingId;
use crate::audio::RecordingInfo;
use crate::detect::{MergeSettings, PeakSettings, WindowScores};
use crate::model::{ComputeDevice, ModelArtifact, ModelInfo};
use crate::project::runs::DetectionRun;
use crate::project::{Project, ProjectRecording, Split};
use crate::scoring::{DetectError, FileEvent};

/// Why a batch stopped before its end (a file that fails does not stop it: it is reported in
/// [`BatchEvent::Scored`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("cannot load the model: {0}")]
    Model(String),
    /// A multi-class model, for a plan that asked for one score per window.
    #[error(
        "this model has {classes} classes ({names}): it is scored class by class (one run per \
         class), and this batch asked for one score per window"
    )]
    MultiClass { classes: usize, names: String },
    #[error("cannot list {}: {detail}", path.display())]
    List { path: PathBuf, detail: String },
    #[error("detection cancelled")]
    Cancelled,
}

/// Which recordings a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum DetectScope {
    /// Recordings not fully annotated and outside the test split: what review teaches from.
    Survey,
    Current,
    Chosen,
    TestSplit,
    Project,
    Folder,
}

impl DetectScope {
    /// Every scope, in the order the Detect window offers them (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Current => "current recording",
            Self::Chosen => "chosen recordings",
            Self::Survey => "recordings to survey (not annotated, not test)",
            Self::TestSplit => "recordings in the test split",
            Self::Project => "every recording of the project",
            Self::Folder => "a folder (recursive; files are added to the project)",
        }
    }

    /// A few words for run names: "survey", "test split", …
    #[must_use]
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Current => "current recording",
            Self::Chosen => "chosen recordings",
            Self::Survey => "survey",
            Self::TestSplit => "test split",
            Self::Project => "whole project",
            Self::Folder => "folder",
        }
    }

    /// The project's recordings in this scope (`current` and `chosen` for the scopes that need
    /// them; none for [`Folder`](Self::Folder), whose files are listed by the batch).
    #[must_use]
    pub fn recordings(
        self,
        project: &Project,
        current: Option<ProjectRecordingId>,
        chosen: &BTreeSet<ProjectRecordingId>,
    ) -> Vec<ProjectRecordingId> {
        let ids = |filter: &dyn Fn(&ProjectRecording) -> bool| {
            project
                .recordings
                .iter()
                .filter(|r| filter(r))
                .map(|r| r.id)
                .collect()
        };
        match self {
            Self::Current => current
                .filter(|id| project.recording(*id).is_some())
                .into_iter()
                .collect(),
            Self::Chosen => ids(&|r| chosen.contains(&r.id)),
            Self::Survey => project.survey_recordings().map(|r| r.id).collect(),
            Self::TestSplit => ids(&|r| r.split == Split::Test),
            Self::Project => ids(&|_| true),
            Self::Folder => Vec::new(),
        }
    }
}

/// The command line's names for the scopes it offers (`--scope`).
impl std::str::FromStr for DetectScope {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "survey" => Ok(Self::Survey),
            "test" => Ok(Self::TestSplit),
            "all" | "project" => Ok(Self::Project),
            _ => Err(crate::util::choice::ChoiceError {
                what: "scope (survey: not annotated, not test)",
                text: s.to_owned(),
                choices: vec!["survey", "test", "all"],
            }),
        }
    }
}

/// How detections are cut from the scores, as asked for (everything else: the model's).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MergeChoice {
    /// `None`: the model's threshold.
    pub threshold: Option<f32>,
    pub min_gap_secs: f64,
    pub min_duration_secs: f64,
    /// `None`: the model's peak separation.
    pub min_separation_secs: Option<f64>,
    /// One detection per run of positive windows instead of one per score peak.
    pub merge_runs: bool,
}

impl MergeChoice {
    /// The settings for the model described by `info` scoring windows `hop_secs` apart: cut
    /// as the model cuts (at score peaks with its separation; models from before peak picking
    /// merge runs of windows, as their threshold was chosen for), unless asked otherwise.
    #[must_use]
    pub fn settings(&self, info: &ModelInfo, hop_secs: f64) -> MergeSettings {
        let defaults = info.merge_settings();
        let window_secs = info.input.window_secs();
        let peaks = if self.merge_runs {
            None
        } else {
            match (defaults.peaks, self.min_separation_secs) {
                (Some(mut peaks), separation) => {
                    if let Some(secs) = separation {
                        peaks.min_separation_secs = secs;
                    }
                    Some(peaks)
                }
                // An old model asked for peaks: separated by half a window unless told.
                (None, Some(secs)) => {
                    let mut peaks =
                        PeakSettings::for_calls(window_secs / 2.0, window_secs, hop_secs);
                    peaks.min_separation_secs = secs;
                    Some(peaks)
                }
                (None, None) => None,
            }
        };
        MergeSettings {
            threshold: self.threshold.unwrap_or(defaults.threshold),
            min_gap_secs: self.min_gap_secs,
            min_duration_secs: self.min_duration_secs,
            peaks,
        }
    }
}

/// What a batch scores.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPlan {
    pub model_dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// A folder whose audio is listed (recursively), probed and scored after `files`.
    pub folder: Option<PathBuf>,
    /// `None`: the model's own hop.
    pub hop_secs: Option<f64>,
    /// Score a multi-class model's classes (reported as [`BatchEvent::ScoredClasses`]);
    /// without it such a model is refused ([`BatchError::MultiClass`]).
    pub per_class: bool,
    /// Re-estimate the network's batch-norm statistics on windows spread over the recordings
    /// being scored before scoring them (AdaBN: adapting to a new day or site without labels).
    pub adapt: bool,
}

/// Recordings measured against the training recordings (and adapted to) at most per batch.
pub const DOMAIN_RECORDINGS: usize = 24;

/// Why one file of a batch was not read or scored (the batch goes on without it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{detail}: {}", path.display())]
pub struct FileFailed {
    pub path: PathBuf,
    /// What went wrong, in words (the audio, scoring or score-file error).
    pub detail: String,
}

impl FileFailed {
    #[must_use]
    pub fn new(path: &Path, detail: impl std::fmt::Display) -> Self {
        Self {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }
}

/// A folder file, probed and fingerprinted on the worker: `(info, size, fingerprint)`.
pub type ListedFile = Result<(RecordingInfo, u64, String), FileFailed>;

/// What a batch reports as it goes. Everything but [`Position`](Self::Position) is a result
/// that must reach the reader (see [`is_progress`](Self::is_progress)).
#[derive(Debug, Clone)]
pub enum BatchEvent {
    /// The model loaded; windows are `hop_secs` apart.
    ModelLoaded { info: Box<ModelInfo>, hop_secs: f64 },
    /// The folder's files (each probed, or why not).
    Listed(Vec<(PathBuf, ListedFile)>),
    /// Scoring file `file_index` of `files` (`path`) is under way.
    Started {
        file_index: usize,
        files: usize,
        path: PathBuf,
    },
    /// How far the current file is.
    Position {
        file_index: usize,
        files: usize,
        done_secs: f64,
        total_secs: f64,
    },
    /// A file was scored (`audio_secs` long), or why not (the message names the file).
    Scored {
        path: PathBuf,
        audio_secs: f64,
        result: Result<WindowScores, FileFailed>,
    },
    /// Some recordings sound unlike the training recordings (see [`crate::scoring::domain`]):
    /// a warning for people, naming them.
    Unlike(String),
    /// A file was scored by a multi-class model: one [`WindowScores`] per class, in the order
    /// of the model's classes (only with [`BatchPlan::per_class`]).
    ScoredClasses {
        path: PathBuf,
        audio_secs: f64,
        result: Result<Vec<WindowScores>, FileFailed>,
    },
}

impl BatchEvent {
    /// Whether this is progress only (may be dropped by a reader far behind).
    #[must_use]
    pub fn is_progress(&self) -> bool {
        matches!(self, Self::Position { .. } | Self::Started { .. })
    }
}

/// What a whole batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchTotals {
    pub scored: usize,
    pub failed: usize,
    pub audio_secs: f64,
}

/// Loads the model, lists the folder, scores each file and reports every step to `on_event`.
/// A file that fails is reported and the batch goes on; a model that does not load, a folder
/// that cannot be listed or `cancel` stop it.
pub fn run_batch(
    plan: &BatchPlan,
    cancel: &AtomicBool,
    on_event: &mut (dyn FnMut(BatchEvent) + Send),
) -> Result<BatchTotals, BatchError> {
    // Scoring from inside a thread pool lets this thread share the network's parallel work
    // instead of waiting on it (≈ 5 % faster on 2 cores).
    match rayon::ThreadPoolBuilder::new().build() {
        Ok(pool) => pool.install(|| score_files(plan, cancel, on_event)),
        Err(_) => score_files(plan, cancel, on_event),
    }
}

/// [`run_batch`] as the work of a [`crate::util::jobs::Job`]: progress may be dropped when the reader
/// is far behind, results never; a cancel is [`crate::util::jobs::JobError::Cancelled`].
pub fn batch_job(
    plan: BatchPlan,
) -> impl FnOnce(
    &crate::util::jobs::JobContext<BatchEvent>,
) -> Result<BatchTotals, crate::util::jobs::JobError>
+ Send
+ 'static {
    move |context| {
        let mut on_event = |event: BatchEvent| {
            if event.is_progress() {
                context.report(event);
            } else {
                context.deliver(event);
            }
        };
        run_batch(&plan, context.cancel_flag(), &mut on_event).map_err(|error| match error {
            BatchError::Cancelled => context.cancelled(),
            other => context.failed(other),
        })
    }
}

fn score_files(
    plan: &BatchPlan,
    cancel: &AtomicBool,
    on_event: &mut (dyn FnMut(BatchEvent) + Send),
) -> Result<BatchTotals, BatchError> {
    let model = ComputeDevice::Cpu
        .device()
        .map_err(|e| e.to_string())
        .and_then(|device| ModelArtifact::load(&plan.model_dir, &device).map_err(|e| e.to_string()))
        .map_err(BatchError::Model)?;
    let outputs = model.info.network.outputs;
    let per_class = outputs > 1;
    if per_class && !plan.per_class {
        return Err(BatchError::MultiClass {
            classes: outputs,
            names: model.info.classes.join(", "),
        });
    }
    let hop_secs = model.info.hop_on_grid(
        plan.hop_secs
            .unwrap_or_else(|| model.info.detection_hop_secs()),
    );
    on_event(BatchEvent::ModelLoaded {
        info: Box::new(model.info.clone()),
        hop_secs,
    });
    let mut files = plan.files.clone();
    if let Some(folder) = &plan.folder {
        let found = list_audio(std::slice::from_ref(folder)).map_err(|e| BatchError::List {
            path: folder.clone(),
            detail: e.to_string(),
        })?;
        let listed: Vec<(PathBuf, ListedFile)> = found
            .into_iter()
            .map(|path| {
                let probed = crate::audio::probe(&path)
                    .map_err(|e| FileFailed::new(&path, e))
                    .and_then(|info| {
                        crate::project::fingerprint(&path)
                            .map(|(size, print)| (info, size, print))
                            .map_err(|e| FileFailed::new(&path, e))
                    });
                (path, probed)
            })
            .collect();
        files.extend(
            listed
                .iter()
                .filter(|(_, r)| r.is_ok())
                .map(|(p, _)| p.clone()),
        );
        on_event(BatchEvent::Listed(listed));
    }
    check_domain(&model, &files, plan.adapt, on_event);
    let count = files.len();
    let mut totals = BatchTotals::default();
    let mut last = Instant::now();
    // Files are scored as one stream (batches span files, the next file is decoded while this
    // one is scored); events come back in file order.
    let streamed = crate::scoring::score_recordings(
        &model,
        &files,
        hop_secs,
        cancel,
        &mut |event| match event {
            FileEvent::Started { index, .. } => {
                on_event(BatchEvent::Started {
                    file_index: index,
                    files: count,
                    path: files[index].clone(),
                });
            }
            FileEvent::Position {
                index,
                done_secs,
                total_secs,
            } => {
                if last.elapsed().as_millis() >= 100 {
                    last = Instant::now();
                    on_event(BatchEvent::Position {
                        file_index: index,
                        files: count,
                        done_secs,
                        total_secs,
                    });
                }
            }
            FileEvent::Done {
                index,
                audio_secs,
                result,
            } => {
                match &result {
                    Ok(_) => {
                        totals.scored += 1;
                        totals.audio_secs += audio_secs;
                    }
                    Err(_) => totals.failed += 1,
                }
                on_event(BatchEvent::Position {
                    file_index: index + 1,
                    files: count,
                    done_secs: 0.0,
                    total_secs: 0.0,
                });
                let path = files[index].clone();
                let result = result.map_err(|e| FileFailed::new(&path, e));
                on_event(if per_class {
                    BatchEvent::ScoredClasses {
                        path,
                        audio_secs,
                        result,
                    }
                } else {
                    BatchEvent::Scored {
                        path,
                        audio_secs,
                        result: result.map(|mut s| s.swap_remove(0)),
                    }
                });
            }
        },
    );
    match streamed {
        Err(DetectError::Cancelled) => Err(BatchError::Cancelled),
        // Other errors belong to one file and arrive as its `Done`; this one is the input
        // spec itself, which no file could be scored with.
        Err(other) => Err(BatchError::Model(other.to_string())),
        Ok(()) => Ok(totals),
    }
}

/// The audio files among `paths`, folders searched recursively, sorted, each once. A path
/// that does not exist is kept, so that scoring reports it instead of skipping it silently.
pub fn list_audio(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                collect(&entry?.path(), files)?;
            }
        } else if crate::audio::is_audio_path(path) || !path.exists() {
            files.push(path.to_path_buf());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The K-th of N deterministic slices (1-based) of a sorted file list: file `i` goes to slice
/// `i mod N + 1`, so slices are even and need no coordination.
#[must_use]
pub fn shard_of(files: Vec<PathBuf>, k: usize, n: usize) -> Vec<PathBuf> {
    files
        .into_iter()
        .enumerate()
        .filter(|(i, _)| n > 0 && i % n + 1 == k)
        .map(|(_, f)| f)
        .collect()
}

/// A run being filled in a project, as results arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTarget {
    pub run_id: u32,
}

impl RunTarget {
    /// A new empty run of the model (loaded as `info`) over `planned` recordings, put in the
    /// project (the project's next run id; the model's iteration in the project when it is one
    /// of the project's models).
    pub fn start(
        project: &mut Project,
        model_dir: &Path,
        info: &ModelInfo,
        hop_secs: f64,
        merge: MergeSettings,
        planned: Vec<ProjectRecordingId>,
    ) -> Self {
        let run = DetectionRun::for_project(project, model_dir, info, hop_secs, merge, planned);
        let run_id = run.id;
        project.add_run(run);
        Self { run_id }
    }

    /// A multi-class model's runs: one per class (in the model's order), labelled with the
    /// class and cut at its threshold unless `threshold` is given; otherwise as
    /// [`start`](Self::start).
    pub fn start_per_class(
        project: &mut Project,
        model_dir: &Path,
        info: &ModelInfo,
        hop_secs: f64,
        merge: MergeSettings,
        threshold: Option<f32>,
        planned: &[ProjectRecordingId],
    ) -> Vec<Self> {
        info.class_metrics
            .iter()
            .map(|class| {
                let merge = MergeSettings {
                    threshold: threshold.unwrap_or(class.threshold),
                    ..merge
                };
                let mut run = DetectionRun::for_project(
                    project,
                    model_dir,
                    info,
                    hop_secs,
                    merge,
                    planned.to_vec(),
                );
                run.label.clone_from(&class.name);
                let run_id = run.id;
                project.add_run(run);
                Self { run_id }
            })
            .collect()
    }

    /// Adds a folder's probed files to the project and to the run's pending list; returns why
    /// the others could not be added (each message names its file).
    pub fn add_listed(
        self,
        project: &mut Project,
        listed: Vec<(PathBuf, ListedFile)>,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        let mut added = Vec::new();
        for (_, probed) in listed {
            match probed {
                Ok((info, size, print)) => {
                    added.push(project.add_fingerprinted(&info, size, print));
                }
                Err(error) => errors.push(error.to_string()),
            }
        }
        if let Some(run) = project
            .detection_runs
            .iter_mut()
            .find(|r| r.id == self.run_id)
        {
            run.pending.extend(added);
        }
        errors
    }

    /// Stores a file's scores (or why not) in the run. Returns `None` when the file is not one
    /// of the project's recordings (or the run is gone), else whether it was scored.
    pub fn add_scored(
        self,
        project: &mut Project,
        path: &Path,
        result: Result<WindowScores, FileFailed>,
    ) -> Option<bool> {
        let recording = project.recording_at(path)?.id;
        let run = project
            .detection_runs
            .iter_mut()
            .find(|r| r.id == self.run_id)?;
        Some(match result {
            Ok(scores) => {
                run.add_scores(recording, scores);
                true
            }
            Err(why) => {
                run.add_failure(recording, why.to_string());
                false
            }
        })
    }
}

/// What merging shard runs did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardMerge {
    /// The runs made (one per model and settings), with the recordings each holds.
    pub runs: Vec<(u32, usize)>,
    /// Recordings the shards scored that the project did not have yet.
    pub recordings_added: usize,
}

/// Merges the runs of shard projects (each written by `syrinx detect --shard K/N --project`)
/// into `project`: runs of the same model with the same hop and settings become one run;
/// recordings are matched by path, and added when the project lacks them. Scores are not read:
/// they are copied into the project's side files at its next save.
pub fn merge_shard_runs(project: &mut Project, shards: &[Project]) -> ShardMerge {
    let mut report = ShardMerge::default();
    // (index in project.detection_runs) of the run each (model, hop, settings) went to.
    let mut made: Vec<usize> = Vec::new();
    for shard in shards {
        for shard_run in &shard.detection_runs {
            let same = |run: &DetectionRun| {
                // A multi-class model's shards hold a run per class: classes stay apart.
                run.model_id == shard_run.model_id
                    && run.label == shard_run.label
                    && run.hop_secs.to_bits() == shard_run.hop_secs.to_bits()
                    && run.merge == shard_run.merge
            };
            let index = match made
                .iter()
                .copied()
                .find(|&i| same(&project.detection_runs[i]))
            {
                Some(index) => index,
                None => {
                    let mut run = shard_run.clone();
                    run.id = project.next_run_id();
                    let iteration = project.iteration_of(&run.model_dir);
                    if iteration > 0 {
                        run.iteration = iteration;
                    }
                    run.recordings.clear();
                    run.pending.clear();
                    run.failed.clear();
                    let index = project.add_run(run);
                    made.push(index);
                    index
                }
            };
            let mut to_project = |id: ProjectRecordingId, project: &mut Project| {
                let recording = shard.recording(id)?;
                Some(match project.recording_at(&recording.path) {
                    Some(existing) => existing.id,
                    None => {
                        report.recordings_added += 1;
                        project.adopt_recording(recording)
                    }
                })
            };
            for part in &shard_run.recordings {
                if let Some(id) = to_project(part.recording, project) {
                    let mut part = part.clone();
                    part.recording = id;
                    let run = &mut project.detection_runs[index];
                    run.recordings.retain(|r| r.recording != id);
                    run.recordings.push(part);
                }
            }
            for (id, why) in &shard_run.failed {
                if let Some(id) = to_project(*id, project) {
                    project.detection_runs[index].failed.push((id, why.clone()));
                }
            }
            for id in &shard_run.pending {
                if let Some(id) = to_project(*id, project) {
                    project.detection_runs[index].pending.push(id);
                }
            }
        }
    }
    report.runs = made
        .iter()
        .map(|&i| {
            let run = &project.detection_runs[i];
            (run.id, run.recordings.len())
        })
        .collect();
    report
}

/// Measures up to [`DOMAIN_RECORDINGS`] of `files` against the training recordings (a warning
/// when some are unlike them) and, with `adapt`, re-estimates the networks' batch norms on
/// windows spread over them.
fn check_domain(
    model: &ModelArtifact,
    files: &[PathBuf],
    adapt: bool,
    on_event: &mut (dyn FnMut(BatchEvent) + Send),
) {
    use crate::scoring::domain::{DomainCheck, SAMPLE_WINDOWS, sample_inputs};
    if model.head.is_some() || files.is_empty() {
        return;
    }
    let Ok(device) = ComputeDevice::Cpu.device() else {
        return;
    };
    if let Some(warning) = DomainCheck::measure(model, files, DOMAIN_RECORDINGS, &device)
        .and_then(|check| check.warning())
    {
        on_event(BatchEvent::Unlike(warning));
    }
    if adapt {
        let n = files.len().min(DOMAIN_RECORDINGS);
        let inputs: Vec<f32> = (0..n)
            .filter_map(|k| {
                sample_inputs(
                    &model.info.input,
                    &files[k * files.len() / n],
                    SAMPLE_WINDOWS * 4,
                )
                .ok()
            })
            .flatten()
            .collect();
        let (bands, frames) = model.info.input.shape();
        for net in std::iter::once(&model.net).chain(&model.members) {
            net.reestimate_norms(&inputs, bands, frames, 64, &device);
        }
    }
}

//! The project file (`*.syrinx`): recordings (by path relative to the project, with what is needed
//! to notice a moved or changed file), selections, labels, per-recording flags and clip folders.
//! JSON via serde with a `schema_version`; written atomically; older versions are migrated, never
//! discarded; a recording that cannot be found is reported and kept. Runs' window scores live
//! beside it ([`score_files`]).

pub mod changes;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod history;
pub mod merge;
pub mod runs;
pub mod score_files;
pub mod undo;

pub use changes::ProjectChange;
pub use undo::{StepDone, UndoStack};

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::annotation::{
    Edit, FileRef, ImportTarget, ProjectRecordingId, Selection, SelectionKind, SelectionSet,
    TableRow,
};
use crate::audio::RecordingInfo;

/// The schema this version writes. Version 1 is the first; [`MIGRATIONS`] grows with each change.
/// Version 2 keeps runs' window scores in side files instead of inline.
pub const SCHEMA_VERSION: u32 = 2;
/// Project file extension.
pub const PROJECT_EXTENSION: &str = "syrinx";
/// Temporary files of killed saves older than this are removed by the next save.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Bytes hashed at each end of a recording for its fingerprint.
const FINGERPRINT_BYTES: u64 = 64 * 1024;

/// Upgrades from `index + 1` to `index + 2`.
type Migration = fn(serde_json::Value) -> serde_json::Value;
const MIGRATIONS: &[Migration] = &[scores_inline_to_side_files];

/// 1 → 2: the JSON is the same less the inline `scores` of each run's recordings. Those are read
/// into memory as they are (see [`score_files::StoredScores`]'s `Deserialize`) and written to side
/// files by the next save, so nothing needs to change here; a project migrated but never saved
/// stays readable by older versions.
fn scores_inline_to_side_files(value: serde_json::Value) -> serde_json::Value {
    value
}

/// A recording's training flags: what the split and the training windows take from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFlags {
    pub fully_annotated: bool,
    pub split: Split,
    pub group: Option<String>,
}

/// The project's model input and whether training proposes it instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelInputChoice {
    pub input: crate::dsp::ModelInputSpec,
    pub propose: Option<bool>,
}

/// Errors reading or writing projects.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("cannot open project: {detail}: {}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error("cannot open project: it was written by a newer Syrinx (schema {found}, this one reads up to {SCHEMA_VERSION}): {}", path.display())]
    Newer { path: PathBuf, found: u32 },
    #[error("cannot save project: {detail}: {}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("cannot relink recording: {detail}: {}", path.display())]
    Relink { path: PathBuf, detail: String },
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// Errors taking a project's lock (the lock itself is the session's: `session::lock`).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{} is being written by {holder}; waited {waited_secs:.0} s (try again when it has finished; on the command line --wait queues)",
        project.display()
    )]
    Busy {
        project: PathBuf,
        /// The holder in words ("another process" when it did not say).
        holder: String,
        waited_secs: f64,
    },
    #[error("cannot lock project: {detail}: {}", path.display())]
    Io { path: PathBuf, detail: String },
}

/// How a recording is used when training is split by recording.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Assigned by the seeded split.
    #[default]
    Auto,
    Train,
    Validation,
    Test,
}

impl Split {
    /// Every variant, in declaration order (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Train => "train",
            Self::Validation => "validation",
            Self::Test => "test",
        }
    }
}

impl std::str::FromStr for Split {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::all(), Self::name, "split")
    }
}

/// A recording in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRecording {
    pub id: ProjectRecordingId,
    /// Absolute in memory; relative to the project file on disk.
    pub path: PathBuf,
    pub duration_secs: f64,
    pub sample_rate_hz: u32,
    pub channels: u16,
    pub size_bytes: u64,
    /// FNV-1a of the size and the first and last 64 KiB: notices a changed file cheaply.
    pub fingerprint: String,
    /// Everything not marked positive is negative (negatives may be drawn from the gaps).
    #[serde(default)]
    pub fully_annotated: bool,
    #[serde(default)]
    pub split: Split,
    /// Site or other group that must stay on one side of a split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl ProjectRecording {
    #[must_use]
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The site its detections are counted under: its Site/group when set, else the name's
    /// site (`SITE7_20240518_052000.wav` → `SITE7`; AudioMoth names have none).
    #[must_use]
    pub fn site(&self) -> String {
        self.group_typed()
            .map_or_else(|| crate::audio::site_of(&self.name()), str::to_owned)
    }

    /// Its Site/group as typed (trimmed), when one is: what exports write in their `Site`
    /// column.
    #[must_use]
    pub fn group_typed(&self) -> Option<&str> {
        self.group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
    }

    #[must_use]
    pub fn nyquist_hz(&self) -> f64 {
        f64::from(self.sample_rate_hz) / 2.0
    }

    #[must_use]
    pub fn flags(&self) -> RecordingFlags {
        RecordingFlags {
            fully_annotated: self.fully_annotated,
            split: self.split,
            group: self.group.clone(),
        }
    }

    fn set_flags(&mut self, flags: RecordingFlags) {
        self.fully_annotated = flags.fully_annotated;
        self.split = flags.split;
        self.group = flags.group;
    }
}

/// A label the project uses, with its default kind and an optional key to choose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDef {
    pub name: String,
    pub kind: SelectionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey: Option<char>,
}

/// A folder of pre-segmented clips: every audio file in it is one whole-file selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipFolder {
    pub path: PathBuf,
    pub kind: SelectionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub schema_version: u32,
    #[serde(default)]
    pub recordings: Vec<ProjectRecording>,
    #[serde(default)]
    pub selections: SelectionSet,
    #[serde(default)]
    pub labels: Vec<LabelDef>,
    #[serde(default)]
    pub clip_folders: Vec<ClipFolder>,
    /// What the model sees: sample rate, spectrogram parameters and window length used for
    /// training (and shown in the app's model view). Older projects get the default.
    #[serde(default)]
    pub model_input: crate::dsp::ModelInputSpec,
    /// Whether training proposes the model input from the data (rate, band, window; see
    /// [`crate::dataset::propose_input`]) instead of using `model_input` as it is. `None` in
    /// projects from before proposals: yes while their input is still the old default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose_model_input: Option<bool>,
    /// Model folders trained for this project, oldest first: model `n` (1-based) is iteration `n`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<PathBuf>,
    /// Model runs over the project's recordings, with every window's score and the verdicts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detection_runs: Vec<runs::DetectionRun>,
    /// The next recording and run ids to give out: ids are never reused, so an undo that brings
    /// back a removed recording or a deleted run finds its id still free.
    #[serde(default, skip_serializing_if = "IdsIssued::is_unused")]
    pub ids_issued: IdsIssued,
}

/// See [`Project::ids_issued`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdsIssued {
    #[serde(default)]
    pub recordings: u32,
    #[serde(default)]
    pub runs: u32,
}

impl IdsIssued {
    fn is_unused(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for Project {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            recordings: Vec::new(),
            selections: SelectionSet::default(),
            labels: Vec::new(),
            clip_folders: Vec::new(),
            model_input: crate::dsp::ModelInputSpec::default(),
            propose_model_input: None,
            models: Vec::new(),
            detection_runs: Vec::new(),
            ids_issued: IdsIssued::default(),
        }
    }
}

/// What loading found besides the project itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// Recordings whose file is not where the project says (kept; relink them).
    pub missing: Vec<ProjectRecordingId>,
    /// Recordings whose file changed since they were added (size or fingerprint differ).
    pub changed: Vec<ProjectRecordingId>,
    /// The schema version the file had, when it was older and was migrated.
    pub migrated_from: Option<u32>,
}

impl Project {
    /// Whether training proposes the model input from the data (see `propose_model_input`).
    #[must_use]
    pub fn proposes_model_input(&self) -> bool {
        self.propose_model_input
            .unwrap_or(self.model_input == crate::dsp::ModelInputSpec::default())
    }

    #[must_use]
    pub fn model_input_choice(&self) -> ModelInputChoice {
        ModelInputChoice {
            input: self.model_input,
            propose: self.propose_model_input,
        }
    }

    fn set_model_input_choice(&mut self, choice: ModelInputChoice) {
        self.model_input = choice.input;
        self.propose_model_input = choice.propose;
    }

    /// The change that gives recording `id` the flags `after` (`None`: no such recording, or
    /// nothing would change).
    #[must_use]
    pub fn flags_change(
        &self,
        id: ProjectRecordingId,
        after: RecordingFlags,
    ) -> Option<ProjectChange> {
        let before = self.recording(id)?.flags();
        (before != after).then_some(ProjectChange::RecordingFlags { id, before, after })
    }

    /// The change that makes the model input `after` (`None`: nothing would change).
    #[must_use]
    pub fn model_input_change(&self, after: ModelInputChoice) -> Option<ProjectChange> {
        let before = self.model_input_choice();
        (before != after).then_some(ProjectChange::ModelInput { before, after })
    }

    /// Reads a project, migrating older schemas and checking its recordings.
    pub fn load(path: &Path) -> Result<(Self, LoadReport), ProjectError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProjectError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let (project, mut report) = Self::from_json(&text, path).map_err(|e| match e {
            ProjectError::Read { path, detail } => {
                let detail = match history::versions(&path).len() {
                    0 => detail,
                    n => format!(
                        "{detail}; {n} earlier version(s) are kept: File > Restore an earlier \
                         version, or `syrinx project restore {}`",
                        path.display()
                    ),
                };
                ProjectError::Read { path, detail }
            }
            other => other,
        })?;
        for recording in &project.recordings {
            match std::fs::metadata(&recording.path) {
                Err(_) => report.missing.push(recording.id),
                Ok(meta) => {
                    let same = meta.len() == recording.size_bytes
                        && fingerprint(&recording.path)
                            .is_ok_and(|(_, f)| f == recording.fingerprint);
                    if !same {
                        report.changed.push(recording.id);
                    }
                }
            }
        }
        Ok((project, report))
    }

    /// Parses the text of a project file that lives at `path` (paths in it are relative to its
    /// folder), migrating older schemas; touches no file, so it can be fed anything.
    pub fn from_json(text: &str, path: &Path) -> Result<(Self, LoadReport), ProjectError> {
        let read_error = |detail: String| ProjectError::Read {
            path: path.to_path_buf(),
            detail,
        };
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| read_error(format!("not a Syrinx project (invalid JSON: {e})")))?;
        let version = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| read_error("not a Syrinx project (no schema_version)".to_owned()))?;
        let version = u32::try_from(version).unwrap_or(u32::MAX);
        if version > SCHEMA_VERSION {
            return Err(ProjectError::Newer {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let mut report = LoadReport::default();
        if version < SCHEMA_VERSION {
            report.migrated_from = Some(version);
            for migration in MIGRATIONS.iter().skip(version.saturating_sub(1) as usize) {
                value = migration(value);
            }
            value["schema_version"] = SCHEMA_VERSION.into();
        }
        let mut project: Self = serde_json::from_value(value)
            .map_err(|e| read_error(format!("damaged project ({e})")))?;
        // Absolute (paths in memory are, and a save makes them relative to the absolute folder
        // again), with `..` resolved, so that a recording is found by its path however it was
        // reached: a project opened as `survey/survey.syrinx` from the folder above must not
        // save its recordings as `survey/…` relative to `survey/`.
        let base = project_dir(path);
        let base = std::path::absolute(&base).unwrap_or(base);
        let resolve = |relative: &Path| without_dots(&base.join(relative));
        for recording in &mut project.recordings {
            recording.path = resolve(&recording.path);
        }
        for folder in &mut project.clip_folders {
            folder.path = resolve(&folder.path);
        }
        for model in &mut project.models {
            *model = resolve(model);
        }
        let scores_dir = scores_dir(path);
        for run in &mut project.detection_runs {
            run.model_dir = resolve(&run.model_dir);
            for part in &run.recordings {
                part.scores.attach_file(score_files::score_file(
                    &scores_dir,
                    run.id,
                    part.recording,
                ));
            }
        }
        Ok((project, report))
    }

    /// Writes the project atomically (a temporary file renamed over the old one), with paths
    /// relative to the project's folder. Runs' window scores not in the scores folder yet are
    /// written there first (each once: they never change), so the project file never names a
    /// side file that is not there; side files of runs no longer in the project are removed after.
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        self.save_keeping(path, &[])
    }

    /// [`save`](Self::save), keeping the score files of the runs `held_run_ids` although they
    /// are not in the project: deleted runs an undo can still bring back (see
    /// [`UndoStack::held_run_ids`]).
    pub fn save_keeping(&self, path: &Path, held_run_ids: &[u32]) -> Result<(), ProjectError> {
        let scores_dir = scores_dir(path);
        for run in &self.detection_runs {
            for part in &run.recordings {
                part.scores
                    .store_at(&score_files::score_file(
                        &scores_dir,
                        run.id,
                        part.recording,
                    ))
                    .map_err(|e| ProjectError::Write {
                        path: path.to_path_buf(),
                        detail: e.to_string(),
                    })?;
            }
        }
        let base = project_dir(path);
        let base = std::path::absolute(&base).unwrap_or(base);
        let mut on_disk = self.clone();
        on_disk.schema_version = SCHEMA_VERSION;
        for recording in &mut on_disk.recordings {
            recording.path = relative_to(&recording.path, &base);
        }
        for folder in &mut on_disk.clip_folders {
            folder.path = relative_to(&folder.path, &base);
        }
        for model in &mut on_disk.models {
            *model = relative_to(model, &base);
        }
        for run in &mut on_disk.detection_runs {
            run.model_dir = relative_to(&run.model_dir, &base);
        }
        let write_error = |detail: String| ProjectError::Write {
            path: path.to_path_buf(),
            detail,
        };
        let json = serde_json::to_vec_pretty(&on_disk).map_err(|e| write_error(e.to_string()))?;
        // Best effort: a history that cannot be kept (a read-only folder for it) must not stop
        // the save itself.
        let _ = history::keep_current(path);
        crate::util::fsutil::write_atomically(path, &json)
            .map_err(|e| write_error(e.to_string()))?;
        // What killed saves left (an hour old: no save takes that long).
        crate::util::fsutil::remove_stale_temp_files(path, Some(STALE_TEMP_AGE));
        score_files::prune(&scores_dir, |run_id, recording| {
            held_run_ids.contains(&run_id)
                || self.detection_runs.iter().any(|run| {
                    run.id == run_id && recording.is_none_or(|r| run.of_recording(r).is_some())
                })
        });
        Ok(())
    }

    /// The training iteration a new model of this project is (1 for the first).
    #[must_use]
    pub fn next_iteration(&self) -> u32 {
        u32::try_from(self.models.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The iteration of the model at `dir` (0 when it is not one of the project's models).
    #[must_use]
    pub fn iteration_of(&self, dir: &Path) -> u32 {
        self.models
            .iter()
            .position(|m| m == dir)
            .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX))
    }

    /// The id the next detection run gets (never one a run had before, see
    /// [`ids_issued`](Self::ids_issued)).
    #[must_use]
    pub fn next_run_id(&self) -> u32 {
        (self.detection_runs.iter().map(|r| r.id).max().unwrap_or(0) + 1).max(self.ids_issued.runs)
    }

    /// The detection run with this id.
    #[must_use]
    pub fn run(&self, id: u32) -> Option<&runs::DetectionRun> {
        self.detection_runs.iter().find(|r| r.id == id)
    }

    /// The runs of one multi-class model's pass that `run` belongs to, itself included, in
    /// class-name order: one run per class, made together (the same model, the same
    /// recordings, ids in one block). A one-class run is alone.
    #[must_use]
    pub fn class_runs<'a>(&'a self, run: &'a runs::DetectionRun) -> Vec<&'a runs::DetectionRun> {
        let covered = |r: &runs::DetectionRun| {
            let mut ids: Vec<_> = r
                .recordings
                .iter()
                .map(|p| p.recording)
                .chain(r.pending.iter().copied())
                .chain(r.failed.iter().map(|(id, _)| *id))
                .collect();
            ids.sort_unstable();
            ids
        };
        let mine = covered(run);
        let mut block: Vec<&runs::DetectionRun> = vec![run];
        // Neighbours by id, while they are the same model over the same recordings with a
        // class not seen yet.
        for step in [-1_i64, 1] {
            let mut id = i64::from(run.id) + step;
            while let Some(other) = u32::try_from(id).ok().and_then(|id| self.run(id)) {
                let same = other.model_id == run.model_id
                    && block.iter().all(|r| r.label != other.label)
                    && covered(other) == mine;
                if !same {
                    break;
                }
                block.push(other);
                id += step;
            }
        }
        block.sort_by(|a, b| a.label.cmp(&b.label));
        block
    }

    /// The label most of the project's boxes of `kind` carry (ties: the first by name), for
    /// new boxes of that kind when none was chosen.
    #[must_use]
    pub fn most_used_label(&self, kind: SelectionKind) -> Option<String> {
        self.summary()
            .by_label
            .into_iter()
            .filter(|((k, label), _)| *k == kind && !label.trim().is_empty())
            .max_by(|(a, a_count), (b, b_count)| a_count.cmp(b_count).then(b.1.cmp(&a.1)))
            .map(|((_, label), _)| label)
    }

    /// The kind a label stands for: the label set's, else the kind most boxes with it have.
    #[must_use]
    pub fn label_kind(&self, name: &str) -> Option<SelectionKind> {
        if let Some(label) = self.labels.iter().find(|l| l.name == name) {
            return Some(label.kind);
        }
        let by_label = self.summary().by_label;
        let count = |kind| by_label.get(&(kind, name.to_owned())).copied().unwrap_or(0);
        match (
            count(SelectionKind::Positive),
            count(SelectionKind::Negative),
        ) {
            (0, 0) => None,
            (p, n) if p >= n => Some(SelectionKind::Positive),
            _ => Some(SelectionKind::Negative),
        }
    }

    /// The detection run with this id, to change.
    pub fn run_mut(&mut self, id: u32) -> Option<&mut runs::DetectionRun> {
        self.detection_runs.iter_mut().find(|r| r.id == id)
    }

    /// What deleting run `id` is, to apply as an undo step (`None`: no such run).
    #[must_use]
    pub fn deletion_of_run(&self, id: u32) -> Option<ProjectChange> {
        let index = self.detection_runs.iter().position(|r| r.id == id)?;
        Some(ProjectChange::RunDeleted {
            index,
            run: Box::new(self.detection_runs[index].clone()),
        })
    }

    /// Adds a detection run (its id from [`next_run_id`](Self::next_run_id)); returns its index.
    pub fn add_run(&mut self, run: runs::DetectionRun) -> usize {
        self.ids_issued.runs = self.ids_issued.runs.max(run.id + 1);
        self.detection_runs.push(run);
        self.detection_runs.len() - 1
    }

    /// Adds a recording (or returns the one already at this path).
    pub fn add_recording(
        &mut self,
        info: &RecordingInfo,
    ) -> Result<ProjectRecordingId, ProjectError> {
        let path = std::path::absolute(&info.path).unwrap_or_else(|_| info.path.clone());
        if let Some(existing) = self.recordings.iter().find(|r| r.path == path) {
            return Ok(existing.id);
        }
        let (size_bytes, fingerprint) = fingerprint(&path).map_err(|e| ProjectError::Read {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        Ok(self.add_fingerprinted(info, size_bytes, fingerprint))
    }

    /// A recording id never given out before.
    pub(crate) fn issue_recording_id(&mut self) -> ProjectRecordingId {
        let id = self
            .recordings
            .iter()
            .map(|r| r.id.0 + 1)
            .max()
            .unwrap_or(0)
            .max(self.ids_issued.recordings);
        self.ids_issued.recordings = id + 1;
        ProjectRecordingId(id)
    }

    /// Adds a recording of another project (a shard's) as it is there, flags included, under
    /// a new id; or returns the one already at its path.
    pub fn adopt_recording(&mut self, recording: &ProjectRecording) -> ProjectRecordingId {
        if let Some(existing) = self.recording_at(&recording.path) {
            return existing.id;
        }
        let id = self.issue_recording_id();
        self.recordings.push(ProjectRecording {
            id,
            ..recording.clone()
        });
        id
    }

    /// Adds a recording whose [`fingerprint`] was taken already (the app takes it on a
    /// background thread), or returns the one already at this path.
    pub fn add_fingerprinted(
        &mut self,
        info: &RecordingInfo,
        size_bytes: u64,
        fingerprint: String,
    ) -> ProjectRecordingId {
        match self.addition_of(info, size_bytes, fingerprint) {
            Ok(existing) => existing,
            Err(recording) => {
                let id = recording.id;
                self.recordings.push(recording);
                id
            }
        }
    }

    /// The recording at `info`'s path: `Ok` with its id when the project has it, else `Err`
    /// with the recording to add (its id issued, not added yet), for the caller to add as an
    /// undo step ([`ProjectChange::RecordingsAdded`]).
    pub fn addition_of(
        &mut self,
        info: &RecordingInfo,
        size_bytes: u64,
        fingerprint: String,
    ) -> Result<ProjectRecordingId, ProjectRecording> {
        let path = std::path::absolute(&info.path).unwrap_or_else(|_| info.path.clone());
        if let Some(existing) = self.recordings.iter().find(|r| r.path == path) {
            return Ok(existing.id);
        }
        Err(ProjectRecording {
            id: self.issue_recording_id(),
            path,
            duration_secs: info.duration_secs(),
            sample_rate_hz: info.sample_rate_hz,
            channels: info.channels,
            size_bytes,
            fingerprint,
            fully_annotated: false,
            split: Split::Auto,
            group: None,
        })
    }

    /// What taking recording `id` out of the project is: the deletion of its selections and
    /// the removal itself (apply both as one undo step). `None` when there is no such recording.
    #[must_use]
    pub fn removal_of(&self, id: ProjectRecordingId) -> Option<(Edit, ProjectChange)> {
        let index = self.recordings.iter().position(|r| r.id == id)?;
        let selections: Vec<Selection> = self.selections.of_recording(id).cloned().collect();
        Some((
            Edit::Delete(selections),
            ProjectChange::RecordingRemoved {
                index,
                recording: self.recordings[index].clone(),
            },
        ))
    }

    /// Recordings to survey: not fully annotated and outside the test split. Detection runs over
    /// these by default, and what review finds in them (false positives as negatives, missed
    /// calls as positives) is training data, unlike the test split's.
    pub fn survey_recordings(&self) -> impl Iterator<Item = &ProjectRecording> {
        self.recordings
            .iter()
            .filter(|r| !r.fully_annotated && r.split != Split::Test)
    }

    #[must_use]
    pub fn recording(&self, id: ProjectRecordingId) -> Option<&ProjectRecording> {
        self.recordings.iter().find(|r| r.id == id)
    }

    pub fn recording_mut(&mut self, id: ProjectRecordingId) -> Option<&mut ProjectRecording> {
        self.recordings.iter_mut().find(|r| r.id == id)
    }

    /// The stem that files made from each recording (its exported tables, its clips) are named
    /// by: its file's stem, or where recordings share one (two sites' `20240518_052000.WAV`),
    /// the stem with their folders (`north_20240518_052000`), so that neither overwrites the
    /// other's and a clip leads back to its own recording.
    #[must_use]
    pub fn recording_stems(&self) -> BTreeMap<ProjectRecordingId, String> {
        let paths: Vec<&Path> = self.recordings.iter().map(|r| r.path.as_path()).collect();
        let stems =
            crate::util::paths::distinct_leaves(&paths, crate::util::paths::Leaf::FileStem, "_");
        self.recordings.iter().map(|r| r.id).zip(stems).collect()
    }

    #[must_use]
    pub fn recording_at(&self, path: &Path) -> Option<&ProjectRecording> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.recordings.iter().find(|r| r.path == path)
    }

    /// The recording a table row names: by full path, then by file name, then by stem.
    #[must_use]
    pub fn recording_for_file(&self, file: &FileRef) -> Option<&ProjectRecording> {
        let by_path = file
            .path
            .as_deref()
            .and_then(|p| self.recordings.iter().find(|r| r.path == Path::new(p)));
        let stem = |p: &Path| {
            p.file_stem()
                .map(|s| s.to_string_lossy().to_ascii_lowercase())
        };
        let wanted = Path::new(&file.name);
        by_path
            .or_else(|| {
                self.recordings
                    .iter()
                    .find(|r| r.path.file_name() == wanted.file_name())
            })
            .or_else(|| {
                self.recordings
                    .iter()
                    .find(|r| stem(&r.path) == stem(wanted))
            })
    }

    /// Where rows go: rows naming a file go to that recording; others to `default` (if any).
    pub fn import_target(
        &self,
        row: &TableRow,
        default: Option<ProjectRecordingId>,
    ) -> Option<ImportTarget> {
        let recording = match &row.file {
            Some(file) => self.recording_for_file(file)?,
            None => self.recording(default?)?,
        };
        Some(ImportTarget {
            recording: recording.id,
            nyquist_hz: recording.nyquist_hz(),
            duration_secs: recording.duration_secs,
        })
    }

    /// Points a recording at a new file, checking that it is the same recording (rate and length).
    pub fn relink(
        &mut self,
        id: ProjectRecordingId,
        info: &RecordingInfo,
    ) -> Result<(), ProjectError> {
        let expected = self.recording(id).ok_or_else(|| ProjectError::Relink {
            path: info.path.clone(),
            detail: "no such recording in the project".to_owned(),
        })?;
        let checked = check_relink(expected, info)?;
        self.apply_relink(id, checked);
        Ok(())
    }

    /// Applies a [`check_relink`] result.
    pub fn apply_relink(&mut self, id: ProjectRecordingId, checked: Relinked) {
        if let Some(change) = self.relink_change(id, checked) {
            let _ = change.redo(self);
        }
    }

    /// The change that points recording `id` at the file `checked` found (`None`: no such
    /// recording).
    #[must_use]
    pub fn relink_change(
        &self,
        id: ProjectRecordingId,
        checked: Relinked,
    ) -> Option<ProjectChange> {
        let before = self.recording(id)?.clone();
        let after = ProjectRecording {
            path: checked.path,
            size_bytes: checked.size_bytes,
            fingerprint: checked.fingerprint,
            ..before.clone()
        };
        Some(ProjectChange::RecordingRelinked { before, after })
    }

    /// Table rows of the selections of `recording` (all recordings if `None`), naming their file
    /// when `name_files` (for combined tables and CSV).
    #[must_use]
    pub fn table_rows(
        &self,
        recording: Option<ProjectRecordingId>,
        name_files: bool,
    ) -> Vec<TableRow> {
        self.selections
            .items()
            .iter()
            .filter(|s| recording.is_none_or(|r| s.recording == r))
            .map(|s| {
                let file = name_files
                    .then(|| self.recording(s.recording))
                    .flatten()
                    .map(|r| FileRef {
                        name: r.name(),
                        path: Some(r.path.display().to_string()),
                        start: None,
                    });
                TableRow::from_selection(s, file)
            })
            .collect()
    }

    /// Selections per (kind, label), and per recording.
    #[must_use]
    pub fn summary(&self) -> ProjectSummary {
        let mut summary = ProjectSummary::default();
        for selection in self.selections.items() {
            *summary
                .by_label
                .entry((selection.kind, selection.label.clone()))
                .or_default() += 1;
            *summary.by_recording.entry(selection.recording).or_default() += 1;
        }
        summary
    }

    /// The labels a multi-class model would learn by default: every Positive label with at
    /// least `min_examples` selections, in name order.
    #[must_use]
    pub fn class_candidates(&self, min_examples: usize) -> Vec<String> {
        self.positive_label_counts()
            .into_iter()
            .filter(|(_, n)| *n >= min_examples)
            .map(|(label, _)| label)
            .collect()
    }

    /// Every label of Positive selections with how many there are, in name order.
    #[must_use]
    pub fn positive_label_counts(&self) -> Vec<(String, usize)> {
        self.summary()
            .by_label
            .into_iter()
            .filter(|((kind, _), _)| *kind == SelectionKind::Positive)
            .map(|((_, label), n)| (label, n))
            .collect()
    }

    /// Adds a clip folder (every audio file in it one whole-file selection of `kind`).
    pub fn add_clip_folder(&mut self, path: &Path, kind: SelectionKind, label: Option<String>) {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if !self.clip_folders.iter().any(|f| f.path == path) {
            self.clip_folders.push(ClipFolder { path, kind, label });
        }
    }
}

/// A new file for a recording, checked by [`check_relink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relinked {
    pub path: PathBuf,
    pub size_bytes: u64,
    pub fingerprint: String,
}

/// Checks that `info` is the recording `expected` describes (same rate and length) and takes its
/// fingerprint: the disk work of relinking, which the app does off its UI thread.
pub fn check_relink(
    expected: &ProjectRecording,
    info: &RecordingInfo,
) -> Result<Relinked, ProjectError> {
    let error = |detail: String| ProjectError::Relink {
        path: info.path.clone(),
        detail,
    };
    if expected.sample_rate_hz != info.sample_rate_hz
        || (expected.duration_secs - info.duration_secs()).abs() > 0.01
    {
        return Err(error(format!(
            "it is not the same recording ({} Hz, {:.3} s; the project expects {} Hz, {:.3} s)",
            info.sample_rate_hz,
            info.duration_secs(),
            expected.sample_rate_hz,
            expected.duration_secs
        )));
    }
    let path = std::path::absolute(&info.path).unwrap_or_else(|_| info.path.clone());
    let (size_bytes, fingerprint) = fingerprint(&path).map_err(|e| error(e.to_string()))?;
    Ok(Relinked {
        path,
        size_bytes,
        fingerprint,
    })
}

/// Counts for `syrinx project show` and the app.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectSummary {
    pub by_label: BTreeMap<(SelectionKind, String), usize>,
    pub by_recording: BTreeMap<ProjectRecordingId, usize>,
}

fn project_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `path` with `.` and `a/..` taken out, without touching the disk (a symbolic link to a folder
/// followed by `..` would be read differently by the OS: project paths are written without them).
fn without_dots(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether `path` names a project file.
#[must_use]
pub fn is_project_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(PROJECT_EXTENSION))
}

/// The folder beside the project file at `path` that holds its runs' window scores
/// (`survey.syrinx` → `survey.scores/`).
#[must_use]
pub fn scores_dir(path: &Path) -> PathBuf {
    path.with_extension("scores")
}

/// `path` relative to `base` when possible (`../x.wav` included), else as given.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    pathdiff::diff_paths(&path, base).unwrap_or(path)
}

/// Size and fingerprint (FNV-1a of the size and the first and last 64 KiB).
pub fn fingerprint(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = fnv::FnvHasher::default();
    hasher.write_u64(size);
    let mut buffer = vec![0_u8; usize::try_from(FINGERPRINT_BYTES).unwrap_or(65_536)];
    let n = file.read(&mut buffer)?;
    hasher.write(&buffer[..n]);
    if size > FINGERPRINT_BYTES {
        file.seek(SeekFrom::Start(size - FINGERPRINT_BYTES))?;
        let n = file.read(&mut buffer)?;
        hasher.write(&buffer[..n]);
    }
    Ok((size, format!("{:016x}", hasher.finish())))
}

/// Whether a selection table's file name says it belongs to `audio`
/// (`<stem>.Table.1.selections.txt`, `<stem>.selections.txt`, `<stem>.txt`, …).
#[must_use]
pub fn table_names_audio(table: &Path, audio: &Path) -> bool {
    let (Some(table_name), Some(stem)) = (table.file_name(), audio.file_stem()) else {
        return false;
    };
    table_name
        .to_string_lossy()
        .starts_with(&format!("{}.", stem.to_string_lossy()))
}

/// Audio files in `dir` paired with the selection table of the same stem, if there is one
/// (`<stem>.Table.1.selections.txt`, `<stem>.selections.txt`, `<stem>.txt` or `<stem>.csv`).
pub fn pair_folder(dir: &Path) -> std::io::Result<Vec<(PathBuf, Option<PathBuf>)>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let is_audio = crate::audio::is_audio_path;
    let tables: Vec<&PathBuf> = entries
        .iter()
        .filter(|p| !is_audio(p) && p.is_file())
        .collect();
    Ok(entries
        .iter()
        .filter(|p| is_audio(p))
        .map(|audio| {
            let stem = audio
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let candidates = [
                format!("{stem}.Table.1.selections.txt"),
                format!("{stem}.selections.txt"),
                format!("{stem}.txt"),
                format!("{stem}.csv"),
            ];
            let table = candidates.iter().find_map(|name| {
                tables.iter().find(|t| {
                    t.file_name()
                        .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
                })
            });
            (audio.clone(), table.map(|t| (*t).clone()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_with_one_recording() -> Project {
        let mut project = Project::default();
        project.recordings.push(ProjectRecording {
            id: ProjectRecordingId(4),
            path: PathBuf::from("/data/a.wav"),
            duration_secs: 60.0,
            sample_rate_hz: 22_050,
            channels: 1,
            size_bytes: 0,
            fingerprint: String::new(),
            fully_annotated: false,
            split: Split::Auto,
            group: None,
        });
        project
    }

    /// The Site/group a user typed is the site; else the name's (AudioMoth names have none).
    #[test]
    fn a_recordings_site_is_its_group_else_its_names() {
        let mut recording = project_with_one_recording().recordings.remove(0);
        recording.path = PathBuf::from("/cards/SITE7_20240518_052000.wav");
        assert_eq!(recording.site(), "SITE7");
        recording.group = Some(" North ridge ".to_owned());
        assert_eq!(recording.site(), "North ridge");
        recording.group = Some(String::new());
        recording.path = PathBuf::from("/cards/north/20240518_052000.WAV");
        assert_eq!(recording.site(), crate::audio::NO_SITE);
    }

    #[test]
    fn flag_and_model_input_edits_undo_and_typing_is_one_step() {
        let mut project = project_with_one_recording();
        let id = ProjectRecordingId(4);
        let mut undo = UndoStack::default();
        let mut flags = project.recording(id).unwrap().flags();
        assert!(
            project.flags_change(id, flags.clone()).is_none(),
            "no change, no step"
        );
        flags.fully_annotated = true;
        let change = project.flags_change(id, flags.clone()).unwrap();
        undo.apply_project_change(&mut project, "mark fully annotated", change);
        // Typing "S1" is two changes and one step.
        for typed in ["S", "S1"] {
            flags.group = Some(typed.to_owned());
            let change = project.flags_change(id, flags.clone()).unwrap();
            undo.apply_project_change(&mut project, "change the group", change);
        }
        assert_eq!(project.recording(id).unwrap().group.as_deref(), Some("S1"));
        assert_eq!(
            undo.undo_project(&mut project).map(|d| d.name).as_deref(),
            Some("change the group")
        );
        assert_eq!(project.recording(id).unwrap().group, None);
        assert!(project.recording(id).unwrap().fully_annotated);
        assert_eq!(
            undo.undo_project(&mut project).map(|d| d.name).as_deref(),
            Some("mark fully annotated")
        );
        assert!(!project.recording(id).unwrap().fully_annotated);
        undo.redo_project(&mut project);
        assert!(project.recording(id).unwrap().fully_annotated);

        let mut choice = project.model_input_choice();
        choice.propose = Some(false);
        choice.input.window_samples *= 2;
        let change = project.model_input_change(choice).unwrap();
        undo.apply_project_change(&mut project, "change the model input", change);
        assert_eq!(project.model_input, choice.input);
        undo.undo_project(&mut project);
        assert_eq!(project.model_input, crate::dsp::ModelInputSpec::default());
        assert_eq!(project.propose_model_input, None);

        // Typing a label's name in the Labels window: one step, undone at once.
        for typed in ["w", "wa", "war"] {
            let change = ProjectChange::Labels {
                before: project.labels.clone(),
                after: vec![LabelDef {
                    name: typed.to_owned(),
                    kind: SelectionKind::Positive,
                    hotkey: Some('w'),
                }],
            };
            undo.apply_project_change(&mut project, "edit labels", change);
        }
        assert_eq!(project.labels[0].name, "war");
        assert_eq!(
            undo.undo_project(&mut project).map(|d| d.name).as_deref(),
            Some("edit labels")
        );
        assert!(project.labels.is_empty());
    }

    #[test]
    fn dots_are_resolved_without_the_disk() {
        assert_eq!(
            without_dots(Path::new("/data/project/../survey/./a.wav")),
            PathBuf::from("/data/survey/a.wav")
        );
        assert_eq!(without_dots(Path::new("../x/../y")), PathBuf::from("../y"));
    }
}

//! The Review panel: pick a detection run, move the threshold (detections re-merge at once),
//! walk the review queue with the keyboard, turn false positives into negatives, see what the
//! verdicts say about the threshold, how the run compares with reference selections, and how
//! each training iteration did.

mod apply;
mod calibration;
mod changes;
mod keys;
mod label_next;
mod measures;
mod queue;
mod screen;

pub use label_next::LabelNextState;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::evaluate::runs::RunEvaluation;
use crate::model::{ModelArtifact, ModelInfo};
use crate::project::Project;
use crate::project::runs::{DetectionRef, DetectionRun, ReviewOrder, Verdict};

/// What the panel asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewAction {
    SelectRun(u32),
    /// Re-merge the run at this threshold (instant; the model does not run again).
    SetThreshold(f32),
    SetOrder(ReviewOrder),
    Verdict(Option<Verdict>),
    Previous,
    Next,
    /// Go to the queue's `n`-th detection.
    Goto(usize),
    UndoVerdict,
    Play,
    AddFalsePositives,
    /// Store this threshold in the run's model.
    SaveThreshold(f32),
    Retrain,
    OpenDetect,
    ExportDetections,
    DeleteRun(u32),
    /// Find the windows of the run its model is least sure of.
    FindLabelNext,
    /// Show the label-next queue's `n`-th window.
    ShowLabelNext(usize),
    /// Answer the label-next queue's `n`-th window.
    AnswerLabelNext(usize, crate::review::label_next::Answer),
    /// Open (or close) the list of other classes the current detection can be (key C).
    PickClass,
    /// The current detection is this other class ("species B, not A"): a false positive of
    /// the run, and a Positive selection of that class.
    Reclassify(String),
    /// Compare the run with this earlier run (`None`: the previous model's, found).
    CompareWith(Option<u32>),
    /// The queue holds only the detections the run gained against the compared run.
    DifferencesOnly(bool),
    /// Kept detections take the verdicts their matches had in the compared run.
    CarryVerdicts,
    /// Show the compared run's `n`-th lost detection.
    ShowLost(usize),
    /// The queue holds only the stratified sample that calibrates the scores.
    SampleOnly(bool),
    /// Keep this calibration with the run (`None`: take it off).
    KeepCalibration(Option<crate::calibrate::Calibration>),
}

/// Which detections the queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueueFilter {
    All,
    /// Those gained against this earlier run.
    Gained(u32),
    /// The stratified sample.
    Sample,
}

/// One trained model as the iteration history shows it.
#[derive(Debug, Clone)]
pub struct IterationRow {
    pub iteration: usize,
    pub dir: PathBuf,
    pub info: Result<ModelInfo, std::sync::Arc<crate::model::ModelError>>,
}

/// What an evaluation was computed from: run, threshold bits, recordings scored, recordings
/// marked fully annotated, selections version, tolerance bits.
type EvaluationStamp = (u32, u32, usize, usize, u64, u64);

/// State of the Review panel.
#[derive(Debug)]
pub struct ReviewState {
    pub open: bool,
    pub run_id: Option<u32>,
    pub order: ReviewOrder,
    pub queue: Vec<DetectionRef>,
    pub position: usize,
    /// What the queue was built from: (run, detections, threshold bits, order, filter).
    queue_stamp: Option<(u32, usize, u32, ReviewOrder, QueueFilter)>,
    /// The queue holds only the stratified sample (see `calibration`).
    pub sample_only: bool,
    /// The job working out the calibration view, what it was asked for, its last result and
    /// a failure of it.
    calibration_job: Option<
        crate::util::jobs::Job<(), (calibration::CalibrationStamp, calibration::CalibrationView)>,
    >,
    calibration_asked: Option<calibration::CalibrationStamp>,
    calibration_view: Option<(calibration::CalibrationStamp, calibration::CalibrationView)>,
    calibration_error: Option<String>,
    /// Whether Scores as probabilities or Calls and activity was open last frame: only then is
    /// the view worked out (a job per verdict would be wasted while nobody looks).
    calibration_wanted: bool,
    /// The earlier run the reviewed one is compared with (`None`: the previous model's).
    pub compare_with: Option<u32>,
    /// The queue holds only the detections gained against the compared run.
    pub differences_only: bool,
    /// The last comparison and what it was computed from.
    change: Option<(changes::ChangeStamp, crate::evaluate::iterations::RunChange)>,
    /// The Iterations table's figures and what they were computed from.
    iteration_figures: Option<(u64, Vec<crate::evaluate::iterations::IterationFigures>)>,
    /// Whether the project's last undo step is a verdict (the panel's Undo verdict undoes only
    /// those; set by the app before the panel is drawn).
    pub can_undo_verdict: bool,
    /// Also write WAV clips of new negatives into `neg_iteration_NN/`.
    pub write_clips: bool,
    /// How false positives become negatives: their label (empty: `not <target>`) and whether
    /// test recordings' ones are added too (off: kept for evaluation only).
    pub negative_options: crate::review::NegativeOptions,
    /// The run whose Delete was clicked once (a second click deletes).
    confirm_delete: Option<u32>,
    /// Precision wanted when suggesting a threshold from the verdicts.
    pub target_precision: f64,
    pub tolerance_secs: f64,
    /// The last evaluation and what it was computed from (run, threshold, recordings, version).
    evaluation: Option<(
        EvaluationStamp,
        Result<Option<RunEvaluation>, crate::project::score_files::ScoreFileError>,
    )>,
    history: Option<Vec<IterationRow>>,
    history_of: Vec<PathBuf>,
    /// The job reading the models' descriptions for the Iterations table.
    history_job: Option<crate::util::jobs::Job<(), Vec<IterationRow>>>,
    /// What to label next: the windows the run's model is least sure of.
    pub label_next: LabelNextState,
    /// The list of other classes is open (C): digits pick one.
    pub picking_class: bool,
    /// The run Detect is scoring now (it cannot be deleted meanwhile); set by the app.
    pub scoring_run: Option<u32>,
}

impl Default for ReviewState {
    fn default() -> Self {
        Self {
            open: false,
            run_id: None,
            order: ReviewOrder::ScoreHighFirst,
            queue: Vec::new(),
            position: 0,
            queue_stamp: None,
            sample_only: false,
            calibration_job: None,
            calibration_asked: None,
            calibration_view: None,
            calibration_error: None,
            calibration_wanted: false,
            compare_with: None,
            differences_only: false,
            change: None,
            iteration_figures: None,
            can_undo_verdict: false,
            write_clips: false,
            negative_options: crate::review::NegativeOptions::default(),
            confirm_delete: None,
            target_precision: 0.9,
            tolerance_secs: 1.5,
            evaluation: None,
            history: None,
            history_of: Vec::new(),
            history_job: None,
            label_next: LabelNextState::default(),
            picking_class: false,
            scoring_run: None,
        }
    }
}

impl ReviewState {
    /// The run being reviewed (the newest when none was picked).
    #[must_use]
    pub fn run<'a>(&self, project: &'a Project) -> Option<&'a DetectionRun> {
        self.run_id
            .and_then(|id| project.run(id))
            .or_else(|| project.detection_runs.last())
    }

    /// Rebuilds the queue when the run, its detections or the order changed, keeping the
    /// position on the same detection where it still exists.
    pub fn refresh_queue(&mut self, project: &Project) {
        let Some(run) = self.run(project) else {
            self.queue.clear();
            self.queue_stamp = None;
            return;
        };
        let filter = if self.sample_only {
            QueueFilter::Sample
        } else {
            self.differences_only
                .then(|| self.compared_run(project, run).map(|b| b.id))
                .flatten()
                .map_or(QueueFilter::All, QueueFilter::Gained)
        };
        let stamp = (
            run.id,
            run.counts().detections,
            run.merge.threshold.to_bits(),
            self.order,
            filter,
        );
        if self.queue_stamp == Some(stamp) {
            return;
        }
        let same_run = self.queue_stamp.is_some_and(|s| s.0 == run.id);
        let current = self
            .current()
            .filter(|_| same_run)
            .and_then(|at| Some((run.recording_of(at)?, run.get(at)?.detection.start_secs)));
        self.queue = match filter {
            QueueFilter::All => run.queue(self.order),
            QueueFilter::Gained(_) => self.differences_queue(project, run),
            QueueFilter::Sample => calibration::sample_queue(run),
        };
        self.queue_stamp = Some(stamp);
        self.run_id = Some(run.id);
        self.position = current
            .and_then(|(recording, start)| {
                self.queue.iter().position(|at| {
                    run.recording_of(*at) == Some(recording)
                        && run.get(*at).is_some_and(|d| {
                            (d.detection.start_secs - start).abs() < run.merge.min_gap_secs + 1.0
                        })
                })
            })
            .unwrap_or(0);
    }

    #[must_use]
    pub fn current(&self) -> Option<DetectionRef> {
        self.queue.get(self.position).copied()
    }

    /// Reads the project's models' descriptions on a background thread when the list changed.
    pub fn refresh_history(&mut self, project: &Project, waker: &crate::util::jobs::Waker) {
        if let Some(job) = &mut self.history_job
            && let Some(result) = job.poll()
        {
            self.history_job = None;
            // A failure to read is shown in the rows; a job that could not run leaves the
            // table as it was.
            if let Ok(rows) = result {
                self.history = Some(rows);
            }
        }
        if self.history_of == project.models {
            return;
        }
        self.history_of.clone_from(&project.models);
        let dirs = project.models.clone();
        // A newer list replaces a job still reading an older one (its result is dropped).
        self.history_job = crate::util::jobs::Job::spawn("history", Arc::clone(waker), move |_| {
            Ok(dirs
                .into_iter()
                .enumerate()
                .map(|(i, dir)| IterationRow {
                    iteration: i + 1,
                    info: ModelArtifact::read_info(&dir).map_err(std::sync::Arc::new),
                    dir,
                })
                .collect())
        })
        .ok();
    }

    /// The project's models, each with its description (see `ModelInfo::describe`), as read in
    /// the background for the iteration history (empty until read).
    #[must_use]
    pub fn model_descriptions(&self) -> Vec<(PathBuf, String)> {
        self.history
            .iter()
            .flatten()
            .map(|row| {
                let text = match &row.info {
                    Ok(info) => info.describe(),
                    Err(error) => format!("cannot be read: {error}"),
                };
                (row.dir.clone(), text)
            })
            .collect()
    }

    /// Whether the panel still works something out in the background (the models' descriptions,
    /// the calibration view).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.history_job
            .as_ref()
            .is_some_and(crate::util::jobs::Job::is_working)
            || self
                .calibration_job
                .as_ref()
                .is_some_and(crate::util::jobs::Job::is_working)
    }

    /// Reads the models again (a threshold was saved in one).
    pub fn reset_history(&mut self) {
        self.history_of.clear();
    }

    /// Forgets the cached evaluation and history (another project was opened).
    pub fn reset(&mut self) {
        self.run_id = None;
        self.queue.clear();
        self.queue_stamp = None;
        self.position = 0;
        self.evaluation = None;
        self.compare_with = None;
        self.differences_only = false;
        self.sample_only = false;
        self.calibration_view = None;
        self.calibration_asked = None;
        self.calibration_job = None;
        self.change = None;
        self.iteration_figures = None;
        self.history = None;
        self.history_of.clear();
        self.label_next = LabelNextState::default();
    }

    /// The panel's contents.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Vec<ReviewAction> {
        let mut actions = Vec::new();
        self.calibration_wanted = false;
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.run_ui(ui, project, &mut actions);
            if let Some(run) = self.run(project) {
                ui.separator();
                self.queue_ui(ui, project, run, &mut actions);
                ui.separator();
                self.negatives_ui(ui, project, run, &mut actions);
                egui::CollapsingHeader::new("Against an earlier run")
                    .default_open(false)
                    .show(ui, |ui| self.changes_ui(ui, project, run, &mut actions));
                egui::CollapsingHeader::new("What to label next")
                    .default_open(false)
                    .show(ui, |ui| self.label_next_ui(ui, project, run, &mut actions));
                egui::CollapsingHeader::new("Scores as probabilities")
                    .default_open(false)
                    .show(ui, |ui| {
                        self.calibration_wanted = true;
                        self.calibration_ui(ui, project, run, &mut actions);
                    });
                egui::CollapsingHeader::new("Calls and activity")
                    .default_open(false)
                    .show(ui, |ui| {
                        self.calibration_wanted = true;
                        self.calls_ui(ui, run);
                    });
                egui::CollapsingHeader::new("Threshold from review")
                    .default_open(false)
                    .show(ui, |ui| self.threshold_ui(ui, run, &mut actions));
                egui::CollapsingHeader::new("Against reference selections")
                    .default_open(false)
                    .show(ui, |ui| self.evaluation_ui(ui, project, run));
            }
            egui::CollapsingHeader::new("Iterations")
                .default_open(true)
                .show(ui, |ui| self.history_ui(ui, project, &mut actions));
        });
        actions
    }

    fn run_ui(&mut self, ui: &mut egui::Ui, project: &Project, actions: &mut Vec<ReviewAction>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Review");
            if ui
                .button("Detect…")
                .on_hover_text("Run a model over recordings (Ctrl+D)")
                .clicked()
            {
                actions.push(ReviewAction::OpenDetect);
            }
        });
        let Some(run) = self.run(project) else {
            ui.label("No detections yet: train a model, then Detect.");
            return;
        };
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_id_salt("review run")
                .selected_text(run.name())
                .show_ui(ui, |ui| {
                    for r in project.detection_runs.iter().rev() {
                        if ui.selectable_label(r.id == run.id, r.name()).clicked() {
                            actions.push(ReviewAction::SelectRun(r.id));
                        }
                    }
                })
                .response
                .on_hover_text("Which detection run to review (newest first)");
            if ui
                .small_button("Export…")
                .on_hover_text(
                    "Raven tables per recording and combined, CSV, Audacity labels, counts",
                )
                .clicked()
            {
                actions.push(ReviewAction::ExportDetections);
            }
            if self.confirm_delete == Some(run.id) {
                if ui
                    .small_button("Really delete")
                    .on_hover_text("Its scores and verdicts are gone for good")
                    .clicked()
                {
                    self.confirm_delete = None;
                    actions.push(ReviewAction::DeleteRun(run.id));
                }
                if ui
                    .small_button("Keep")
                    .on_hover_text("Do not delete the run")
                    .clicked()
                {
                    self.confirm_delete = None;
                }
            } else if ui
                .small_button("Delete run")
                .on_hover_text("Forget this run's scores and verdicts (asks first)")
                .clicked()
            {
                self.confirm_delete = Some(run.id);
            }
        });
        let mut threshold = run.merge.threshold;
        let response = ui
            .add(
                egui::Slider::new(&mut threshold, 0.0..=1.0)
                    .text("threshold")
                    .fixed_decimals(2),
            )
            .on_hover_text("Re-merges the run's window scores at once; verdicts are kept");
        if response.changed() {
            actions.push(ReviewAction::SetThreshold(threshold));
        }
        let counts = run.counts();
        let audio_secs = run.audio_secs(project);
        ui.label(format!(
            "{} detection(s) in {} recording(s), {:.0} min of audio{}{}",
            counts.detections,
            run.recordings.len(),
            audio_secs / 60.0,
            if run.pending.is_empty() {
                String::new()
            } else {
                format!(", {} not scored yet", run.pending.len())
            },
            if run.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", run.failed.len())
            }
        ));
    }
}

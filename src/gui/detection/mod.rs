//! The Detect window and its background job: a model over the current recording, chosen
//! recordings, the whole project or a folder (recursive). The batch is the core's
//! ([`crate::workflow::detect::run_batch`], the one `syrinx detect` runs) on a [`Job`]: each
//! recording's scores are delivered as they come; a file that fails is reported and the batch
//! goes on. The run lives in the project from the start with its pending recordings, so a
//! cancelled or interrupted batch resumes.

mod apply;

use std::path::PathBuf;
use std::time::Instant;

use eframe::egui;

use crate::annotation::ProjectRecordingId;
use crate::project::{Project, Split};
use crate::util::jobs::{Job, JobError, Waker};
pub use crate::workflow::detect::DetectScope;
use crate::workflow::detect::{BatchEvent, BatchPlan, BatchTotals, RunTarget, batch_job};

/// What the window asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum DetectAction {
    Start,
    Resume(u32),
    Cancel,
}

/// A detection batch in progress.
#[derive(Debug)]
pub struct DetectJob {
    /// This batch's job (one per batch: an abandoned batch, of a project no longer open, can
    /// never reach the next one).
    pub job: Job<BatchEvent, BatchTotals>,
    pub started: Instant,
    /// The run the results go to (`None` until the model has loaded, for a new run); for a
    /// multi-class model, the first class's run (the one Review shows).
    pub run: Option<RunTarget>,
    /// A multi-class model's runs, one per class scored: `(class index, run)`.
    pub class_runs: Vec<(usize, RunTarget)>,
    /// Recordings to score, for a new run (the run is made when the model has loaded).
    pub planned: Vec<ProjectRecordingId>,
    pub model_dir: PathBuf,
    pub file: (usize, usize),
    pub secs: (f64, f64),
    pub scored: usize,
    pub failed: usize,
    /// The run Review showed before this one was made: back on screen if it is cancelled.
    pub previous_review_run: Option<u32>,
    /// What a new run covers, in words (its name says it: see `DetectionRun::name`).
    pub scope: String,
}

impl DetectJob {
    /// Every run this batch fills (one, or one per class).
    #[must_use]
    pub fn runs(&self) -> Vec<RunTarget> {
        let mut runs: Vec<RunTarget> = self.run.into_iter().collect();
        for (_, run) in &self.class_runs {
            if !runs.contains(run) {
                runs.push(*run);
            }
        }
        runs
    }
}

/// State of the Detect window.
#[derive(Debug)]
pub struct DetectWindow {
    pub open: bool,
    pub scope: DetectScope,
    /// The model folder, as typed or chosen.
    pub model_text: String,
    pub folder_text: String,
    /// `None`: the model's own hop (dense, from its training calls).
    pub hop_secs: Option<f64>,
    /// `None`: the model's own threshold.
    pub threshold: Option<f32>,
    pub min_gap_secs: f64,
    pub min_duration_secs: f64,
    /// Adapt the network to the recordings being scored (see `BatchPlan::adapt`).
    pub adapt: bool,
    /// Recordings ticked for [`DetectScope::Chosen`].
    pub chosen: std::collections::BTreeSet<ProjectRecordingId>,
    pub job: Option<DetectJob>,
    /// Per-file errors of the last batch.
    pub errors: Vec<String>,
    /// The project's models and what each is (set by the app before the window is drawn).
    pub model_descriptions: Vec<(PathBuf, String)>,
    /// A typed folder that is not a project model: what it is, read in the background.
    typed_model: Option<(PathBuf, TypedModel)>,
}

/// What is known of a typed model folder.
#[derive(Debug)]
enum TypedModel {
    Reading(Job<(), String>),
    Read(String),
}

impl Default for DetectWindow {
    fn default() -> Self {
        Self {
            open: false,
            scope: DetectScope::Survey,
            model_text: String::new(),
            folder_text: String::new(),
            hop_secs: None,
            threshold: None,
            min_gap_secs: 0.0,
            min_duration_secs: 0.0,
            adapt: false,
            chosen: std::collections::BTreeSet::new(),
            job: None,
            errors: Vec::new(),
            model_descriptions: Vec::new(),
            typed_model: None,
        }
    }
}

impl DetectWindow {
    /// The description of the project model at `path` (its folder, or the end of it as
    /// typed), once read.
    fn description_of(&self, path: &std::path::Path) -> Option<&str> {
        self.model_descriptions
            .iter()
            .find(|(dir, _)| dir == path || dir.ends_with(path))
            .map(|(_, text)| text.as_str())
    }

    /// The model the field names: its folder's name and what it is.
    #[must_use]
    pub fn chosen_model_text(&self) -> String {
        let typed = self.model_text.trim();
        if typed.is_empty() {
            return "No model chosen: pick one of the project's or type its folder.".to_owned();
        }
        let path = std::path::Path::new(typed);
        let name = path
            .file_name()
            .map_or_else(|| typed.to_owned(), |n| n.to_string_lossy().into_owned());
        match (self.description_of(path), &self.typed_model) {
            (Some(text), _) => format!("{name}: {text}"),
            (None, Some((typed, TypedModel::Read(text)))) if typed == path => {
                format!("{name}: {text}")
            }
            (None, Some((typed, TypedModel::Reading(_)))) if typed == path => {
                format!("{name}: reading…")
            }
            (None, _) => format!("{name}: not one of this project's models"),
        }
    }

    /// Reads what a typed model folder is (relative to `project_dir` when not absolute, as
    /// detection takes it), in the background, when the field names one that is not a project
    /// model (the window says it once read).
    pub fn look_up_typed_model(&mut self, waker: &Waker, project_dir: Option<&std::path::Path>) {
        if let Some((_, TypedModel::Reading(job))) = &mut self.typed_model
            && let Some(result) = job.poll()
            && let Some((path, _)) = self.typed_model.take()
        {
            let text = result.unwrap_or_else(|error| error.to_string());
            self.typed_model = Some((path, TypedModel::Read(text)));
        }
        let typed = self.model_text.trim();
        if typed.is_empty() {
            return;
        }
        let path = PathBuf::from(typed);
        if self.description_of(&path).is_some()
            || self.typed_model.as_ref().is_some_and(|(p, _)| *p == path)
        {
            return;
        }
        let folder = match project_dir {
            Some(dir) if path.is_relative() => dir.join(&path),
            _ => path.clone(),
        };
        let job = Job::spawn(
            "model description",
            std::sync::Arc::clone(waker),
            move |_| {
                Ok(match crate::model::ModelArtifact::read_info(&folder) {
                    Ok(info) => info.describe(),
                    Err(error) => format!("cannot be read as a model ({error})"),
                })
            },
        );
        self.typed_model = job.ok().map(|job| (path, TypedModel::Reading(job)));
    }

    /// The run being scored now, if a batch runs.
    #[must_use]
    pub fn scoring_run(&self) -> Option<u32> {
        self.job.as_ref().and_then(|j| j.run.map(|r| r.run_id))
    }

    #[must_use]
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    pub fn cancel(&mut self) {
        if let Some(job) = &self.job {
            job.job.cancel();
        }
    }

    /// Stops the batch and forgets it (its results would belong to a project no longer open).
    pub fn abandon(&mut self) {
        self.cancel();
        self.job = None;
        self.errors.clear();
    }

    /// Starts scoring `plan` into `run` (an existing run being resumed) or into a new run over
    /// `planned`.
    pub fn spawn(
        &mut self,
        plan: BatchPlan,
        run: Option<RunTarget>,
        planned: Vec<ProjectRecordingId>,
        waker: Waker,
    ) -> Result<(), JobError> {
        if self.job.is_some() {
            return Err(JobError::NotStarted {
                job: "detection".to_owned(),
                why: "a detection batch is running already".to_owned(),
            });
        }
        let model_dir = plan.model_dir.clone();
        let job = Job::spawn("detection", waker, batch_job(plan))?;
        self.errors.clear();
        self.job = Some(DetectJob {
            job,
            started: Instant::now(),
            run,
            class_runs: Vec::new(),
            planned,
            model_dir,
            file: (0, 0),
            secs: (0.0, 0.0),
            scored: 0,
            failed: 0,
            previous_review_run: None,
            scope: String::new(),
        });
        Ok(())
    }

    /// What the running batch sent so far, and its end when it has ended.
    pub fn take_events(&mut self) -> (Vec<BatchEvent>, Option<Result<BatchTotals, JobError>>) {
        let Some(job) = &mut self.job else {
            return (Vec::new(), None);
        };
        let events = job.job.progress().collect();
        (events, job.job.poll())
    }

    /// The window; returns what the user asked for. `runs` lists resumable runs
    /// `(id, description, pending)`.
    pub fn window_ui(
        &mut self,
        ctx: &egui::Context,
        project: &Project,
        current: Option<ProjectRecordingId>,
        resumable: &[(u32, String, usize)],
    ) -> Vec<DetectAction> {
        let mut actions = Vec::new();
        let mut open = self.open;
        egui::Window::new("Detect")
            .open(&mut open)
            .default_width(460.0)
            .show(ctx, |ui| {
                self.contents_ui(ui, project, current, resumable, &mut actions);
            });
        self.open = open;
        actions
    }

    fn contents_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        current: Option<ProjectRecordingId>,
        resumable: &[(u32, String, usize)],
        actions: &mut Vec<DetectAction>,
    ) {
        let running = self.job.is_some();
        ui.add_enabled_ui(!running, |ui| {
            egui::Grid::new("detect settings")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("Model folder");
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.model_text)
                                .desired_width(260.0)
                                .hint_text("models/model_01"),
                        )
                        .on_hover_text("A folder written by Train or `syrinx train`");
                        if !project.models.is_empty() {
                            egui::ComboBox::from_id_salt("project models")
                                .selected_text("project models")
                                .show_ui(ui, |ui| {
                                    for (i, dir) in project.models.iter().enumerate().rev() {
                                        let name = format!(
                                            "iteration {}: {}",
                                            i + 1,
                                            dir.file_name()
                                                .map(|n| n.to_string_lossy().into_owned())
                                                .unwrap_or_default()
                                        );
                                        let chosen = ui.selectable_label(false, name);
                                        let chosen = match self.description_of(dir) {
                                            Some(text) => chosen.on_hover_text(text),
                                            None => chosen,
                                        };
                                        if chosen.clicked() {
                                            self.model_text = dir.display().to_string();
                                        }
                                    }
                                })
                                .response
                                .on_hover_text("The models trained for this project");
                        }
                    });
                    ui.end_row();
                    // Which model will run, in words: the field may be too narrow for its path.
                    ui.label("");
                    ui.add(egui::Label::new(self.chosen_model_text()).wrap());
                    ui.end_row();
                    ui.label("Run over");
                    egui::ComboBox::from_id_salt("detect scope")
                        .selected_text(self.scope.name())
                        .show_ui(ui, |ui| {
                            for scope in DetectScope::all() {
                                ui.selectable_value(&mut self.scope, scope, scope.name());
                            }
                        })
                        .response
                        .on_hover_text("Which recordings the model runs over");
                    ui.end_row();
                    ui.label("Hop (s)");
                    ui.horizontal(|ui| {
                        let mut own = self.hop_secs.is_none();
                        if ui
                            .checkbox(&mut own, "the model's")
                            .on_hover_text(
                                "Models carry a hop chosen from their training calls (a sixth \
                                 of the window), dense enough to count calls closer together \
                                 than a window",
                            )
                            .changed()
                        {
                            self.hop_secs = if own { None } else { Some(0.25) };
                        }
                        if let Some(hop) = &mut self.hop_secs {
                            ui.add(egui::DragValue::new(hop).range(0.01..=60.0).speed(0.01))
                                .on_hover_text(
                                    "Seconds between window starts: a smaller hop places \
                                     detections more precisely and costs more time",
                                );
                        }
                    });
                    ui.end_row();
                    ui.label("Threshold");
                    ui.horizontal(|ui| {
                        let mut own = self.threshold.is_none();
                        if ui
                            .checkbox(&mut own, "the model's")
                            .on_hover_text("Use the threshold stored in the model")
                            .changed()
                        {
                            self.threshold = if own { None } else { Some(0.5) };
                        }
                        if let Some(threshold) = &mut self.threshold {
                            ui.add(egui::Slider::new(threshold, 0.0..=1.0))
                                .on_hover_text("Windows scoring at least this are positive");
                        }
                    });
                    ui.end_row();
                    ui.label("Join gaps under (s)");
                    ui.add(
                        egui::DragValue::new(&mut self.min_gap_secs)
                            .range(0.0..=60.0)
                            .speed(0.05),
                    )
                    .on_hover_text(
                        "Positive windows closer than this are merged into one detection",
                    );
                    ui.end_row();
                    ui.label("Drop detections under (s)");
                    ui.add(
                        egui::DragValue::new(&mut self.min_duration_secs)
                            .range(0.0..=600.0)
                            .speed(0.05),
                    )
                    .on_hover_text("Detections shorter than this are left out");
                    ui.end_row();
                    ui.label("New day or site");
                    ui.checkbox(&mut self.adapt, "adapt to these recordings")
                        .on_hover_text(
                            "Measure the network's feature statistics again on windows spread \
                             over the recordings being scored (AdaBN), for recordings whose level \
                             and noise differ from the training recordings",
                        );
                    ui.end_row();
                });
            match self.scope {
                DetectScope::Current => {
                    let name = current.and_then(|id| project.recording(id)).map_or_else(
                        || "no recording is shown".to_owned(),
                        crate::project::ProjectRecording::name,
                    );
                    ui.label(format!("Recording: {name}"));
                }
                DetectScope::Chosen => {
                    egui::ScrollArea::vertical()
                        .max_height(160.0)
                        .show(ui, |ui| {
                            for recording in &project.recordings {
                                let mut ticked = self.chosen.contains(&recording.id);
                                if ui.checkbox(&mut ticked, recording.name()).changed() {
                                    if ticked {
                                        self.chosen.insert(recording.id);
                                    } else {
                                        self.chosen.remove(&recording.id);
                                    }
                                }
                            }
                        });
                }
                DetectScope::Survey => {
                    let n = project.survey_recordings().count();
                    ui.label(format!(
                        "{n} recording(s) not fully annotated and outside the test split: \
                         what you review there is learnt at the next training"
                    ));
                }
                DetectScope::TestSplit => {
                    ui.weak(
                        "Test recordings are never trained on: review them to measure the \
                         model, not to teach it.",
                    );
                    let n = project
                        .recordings
                        .iter()
                        .filter(|r| r.split == Split::Test)
                        .count();
                    ui.label(format!("{n} recording(s) in the test split"));
                }
                DetectScope::Project => {
                    ui.label(format!("{} recording(s)", project.recordings.len()));
                }
                DetectScope::Folder => {
                    ui.horizontal(|ui| {
                        ui.label("Folder");
                        ui.add(
                            egui::TextEdit::singleline(&mut self.folder_text)
                                .desired_width(320.0)
                                .hint_text("/data/survey_2024"),
                        )
                        .on_hover_text("Searched recursively; its recordings join the project");
                    });
                }
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            if running {
                if ui
                    .button("Cancel")
                    .on_hover_text(
                        "Stops the run; what was scored is kept and Resume finishes it later",
                    )
                    .clicked()
                {
                    actions.push(DetectAction::Cancel);
                }
            } else if ui
                .button("Start detection")
                .on_hover_text("Score every window; results appear as each recording finishes")
                .clicked()
            {
                actions.push(DetectAction::Start);
            }
            for (id, description, pending) in resumable {
                if !running
                    && ui
                        .button(format!("Resume run {id} ({pending} left)"))
                        .on_hover_text(description.as_str())
                        .clicked()
                {
                    actions.push(DetectAction::Resume(*id));
                }
            }
        });
        if let Some(job) = &self.job {
            let (index, files) = job.file;
            let (done, total) = job.secs;
            let within = if total > 0.0 { done / total } else { 0.0 };
            let fraction = if files == 0 {
                0.0
            } else {
                ((index as f64 + within) / files as f64) as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .show_percentage()
                    .text(format!(
                        "recording {} of {files} · {} done · {} failed · {:.0} s",
                        (index + 1).min(files.max(1)),
                        job.scored,
                        job.failed,
                        job.started.elapsed().as_secs_f64()
                    )),
            );
        }
        if !self.errors.is_empty() {
            ui.colored_label(ui.visuals().error_fg_color, "Not scored:");
            egui::ScrollArea::vertical()
                .id_salt("detect errors")
                .max_height(100.0)
                .show(ui, |ui| {
                    for error in &self.errors {
                        ui.label(error);
                    }
                });
        }
    }
}

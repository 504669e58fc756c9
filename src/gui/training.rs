//! The Train window: dataset summary, settings, a background training job with progress, ETA,
//! live loss/accuracy curves and cancel, then the evaluation (metrics, confusion matrix, PR
//! curve, misclassified windows one click from their place in the recording).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use eframe::egui;
use egui_plot::{Line, Plot, PlotPoints};

use crate::annotation::ProjectRecordingId;
use crate::dataset::{Dataset, DatasetConfig, SummaryRow};
use crate::metrics::SplitMetrics;
use crate::model::artifact::EpochMetrics;
use crate::project::{Project, Split};
use crate::train::{ScoredWindow, TrainError, TrainEvent, TrainSettings, train_project};

/// What the window asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainAction {
    /// Start training on the current project.
    Start,
    /// Show this window's place in its recording.
    Show(Box<ScoredWindow>),
    /// Play the window (showing it first).
    Play(Box<ScoredWindow>),
    /// Make a selection the other kind (error analysis: the label was wrong).
    SetKind(
        crate::annotation::SelectionId,
        crate::annotation::SelectionKind,
    ),
    /// Show augmented model inputs of random training windows.
    Preview,
    /// Make the project's model window this many seconds long.
    SetWindowSecs(f64),
    /// Train on the workbench's current spectrogram settings.
    UseWorkbenchSpectrogram,
    /// Propose the model input from the data (`true`) or keep the project's own, starting from
    /// the proposal (`false`).
    UseProposal(bool),
    /// Train with this front end (the project keeps its own input from then on).
    SetFrontEnd(crate::dsp::InputNormalization),
}

/// The dataset as the summary shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetOverview {
    pub rows: Vec<SummaryRow>,
    pub groups: Vec<(String, Split, usize, usize)>,
    pub warnings: Vec<String>,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct TrainResult {
    pub model_dir: PathBuf,
    /// Event-level metrics on the fully annotated validation recordings (calls, not windows).
    pub validation_events: Option<crate::evaluate::EventMetrics>,
    pub test_events: Option<crate::evaluate::EventMetrics>,
    pub validation: Option<SplitMetrics>,
    pub test: Option<SplitMetrics>,
    pub scored: Vec<ScoredWindow>,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub train_secs: f64,
    pub samples_per_sec: f64,
    pub threshold: f32,
    pub warnings: Vec<String>,
}

/// One preview tile: a caption and the input the network would get.
type PreviewTile = (String, crate::dsp::ModelInput);

/// Preview tiles per request.
const PREVIEW_TILES: usize = 15;

/// A worker's job over a copy of the project: its result, or why not.
type ProjectJob<T> = crate::jobs::Job<(), Result<T, String>>;

/// A training run in progress.
struct Job {
    /// The run itself: training events as progress, the saved model's figures as its result.
    work: crate::jobs::Job<TrainEvent, TrainResult>,
    started: Instant,
    stage: String,
    /// `(epoch, batch, batches)` of the last batch.
    position: Option<(usize, usize, usize)>,
}

/// The curves and the result the window shows for one run.
type ShownRun = (Vec<EpochMetrics>, Option<Result<TrainResult, String>>);
/// One curve's value at an epoch.
type EpochValue = dyn Fn(&EpochMetrics) -> Option<f64>;

/// State of the Train window.
pub struct TrainingWindow {
    pub open: bool,
    pub settings: TrainSettings,
    /// The project's model window length, as edited here.
    pub window_secs: f64,
    /// The model input proposed from the project's data, with its reasons.
    pub proposal: Option<crate::dataset::InputProposal>,
    /// Whether training uses the proposal (else the project's own input, `input`).
    pub proposing: bool,
    /// The input training will use.
    pub input: crate::dsp::ModelInputSpec,
    /// What `input` was worked out from: (selections version, recordings, model input, whether
    /// proposing), so it is recomputed only when the project changes.
    input_key: Option<(u64, usize, crate::dsp::ModelInputSpec, bool)>,
    pub overview: Option<Result<DatasetOverview, String>>,
    pub epochs: Vec<EpochMetrics>,
    pub result: Option<Result<TrainResult, String>>,
    /// The curves and result shown before the running job started: back on screen if it is
    /// cancelled (a cancelled run must not wipe the last good one).
    previous: Option<ShownRun>,
    /// The last run was cancelled.
    pub cancelled: bool,
    /// Augmented model inputs of random training windows, as asked for with "Preview inputs".
    pub preview: Option<Result<Vec<PreviewTile>, String>>,
    preview_textures: Vec<(String, egui::TextureHandle)>,
    /// Thumbnails of the misclassified windows of the shown result.
    thumbnails: Vec<egui::TextureHandle>,
    /// Previews asked for so far (each seeds its own random draws).
    preview_round: u64,
    preview_normalization: crate::dsp::InputNormalization,
    job: Option<Job>,
    /// The dataset summary being computed (a newer request replaces an older one).
    overview_job: Option<ProjectJob<DatasetOverview>>,
    /// The augmentation preview being computed.
    preview_job: Option<ProjectJob<Vec<PreviewTile>>>,
}

impl std::fmt::Debug for TrainingWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainingWindow")
            .field("open", &self.open)
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

impl Default for TrainingWindow {
    fn default() -> Self {
        Self {
            open: false,
            settings: TrainSettings::default(),
            window_secs: crate::dsp::ModelInputSpec::default().window_secs(),
            proposal: None,
            proposing: true,
            input: crate::dsp::ModelInputSpec::default(),
            input_key: None,
            overview: None,
            epochs: Vec::new(),
            result: None,
            previous: None,
            cancelled: false,
            preview: None,
            preview_textures: Vec::new(),
            thumbnails: Vec::new(),
            preview_round: 0,
            preview_normalization: crate::dsp::ModelInputSpec::default().normalization,
            job: None,
            overview_job: None,
            preview_job: None,
        }
    }
}

/// Where the next model of a project goes: `<project folder>/models/model_NN`.
#[must_use]
pub fn next_model_dir(project_path: Option<&Path>, data_dir: Option<&Path>) -> PathBuf {
    let base = project_path
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .or_else(|| data_dir.map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir)
        .join("models");
    (1..)
        .map(|n| base.join(format!("model_{n:02}")))
        .find(|dir| !dir.exists())
        .unwrap_or_else(|| base.join("model"))
}

impl TrainingWindow {
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Whether background work of this window is under way (a run, or the dataset summary).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || (self.open && self.overview.is_none()) || self.preview_job.is_some()
    }

    /// Thumbnails made for the shown result's misclassified windows.
    #[must_use]
    pub fn thumbnail_count(&self) -> usize {
        self.thumbnails.len()
    }

    /// Asks for the dataset summary of `project` (computed on a background thread).
    pub fn refresh_overview(
        &mut self,
        project: &Project,
        missing: &[ProjectRecordingId],
        waker: Arc<dyn Fn() + Send + Sync>,
    ) {
        let seed = self.settings.seed;
        self.overview = None;
        self.input_key = None;
        self.update_input(project, missing);
        let spawned = spawn_for_project(
            "dataset summary",
            project,
            missing,
            waker,
            move |project, missing| {
                let config = DatasetConfig {
                    seed,
                    input: crate::train::training_input(project, missing).0,
                    ..DatasetConfig::default()
                };
                Dataset::from_project(project, missing, &config)
                    .map(|dataset| DatasetOverview {
                        rows: dataset.summary(),
                        groups: dataset.per_group(),
                        warnings: dataset.warnings,
                    })
                    .map_err(|e| e.to_string())
            },
        );
        match spawned {
            Ok(job) => self.overview_job = Some(job),
            Err(error) => self.overview = Some(Err(error.to_string())),
        }
    }

    /// Works out the model input training will use (the proposal, or the project's own) when the
    /// project changed since last time; cheap, since no audio is read. Returns it.
    pub fn update_input(
        &mut self,
        project: &Project,
        missing: &[ProjectRecordingId],
    ) -> crate::dsp::ModelInputSpec {
        let key = (
            project.selections.version(),
            project.recordings.len(),
            project.model_input,
            project.proposes_model_input(),
        );
        if self.input_key != Some(key) {
            let proposal = crate::dataset::propose_input(project, missing);
            self.proposing = key.3;
            self.input = if self.proposing {
                proposal.input
            } else {
                project.model_input
            };
            self.window_secs = self.input.window_secs();
            self.proposal = Some(proposal);
            self.input_key = Some(key);
        }
        self.input
    }

    /// Asks for augmented inputs of a few random training windows (half positive), computed on a
    /// background thread exactly as training makes them.
    pub fn request_preview(
        &mut self,
        project: &Project,
        missing: &[ProjectRecordingId],
        waker: Arc<dyn Fn() + Send + Sync>,
    ) {
        let settings = self.settings.clone();
        self.preview_round += 1;
        let round = self.preview_round;
        self.preview_normalization = crate::train::training_input(project, missing)
            .0
            .normalization;
        let spawned = spawn_for_project(
            "input preview",
            project,
            missing,
            waker,
            move |project, missing| preview_inputs(project, missing, &settings, round),
        );
        match spawned {
            Ok(job) => self.preview_job = Some(job),
            Err(error) => {
                self.preview = Some(Err(error.to_string()));
            }
        }
    }

    /// Starts training `project` on a background thread; the model is saved to the next free
    /// `models/model_NN` beside the project (or in `data_dir` for an untitled one), chosen on
    /// that thread so the window never waits on the disk.
    pub fn start(
        &mut self,
        project: &Project,
        project_path: Option<PathBuf>,
        missing: &[ProjectRecordingId],
        data_dir: Option<PathBuf>,
        waker: Arc<dyn Fn() + Send + Sync>,
    ) {
        if self.is_running() {
            return;
        }
        let project = project.clone();
        let missing = missing.to_vec();
        let settings = self.settings.clone();
        self.previous = Some((std::mem::take(&mut self.epochs), self.result.take()));
        self.cancelled = false;
        let spawned = crate::jobs::Job::spawn("training", waker, move |context| {
            let (config, settings, _) = crate::train::project_config(&project, &missing, &settings);
            let mut last_batch_report = Instant::now();
            let mut report = |event: TrainEvent| {
                // Batches are frequent: wake the window at most ~20 times a second.
                let urgent = !matches!(event, TrainEvent::Batch { .. });
                if urgent || last_batch_report.elapsed().as_millis() >= 50 {
                    last_batch_report = Instant::now();
                    context.report(event);
                }
            };
            let outcome = train_project(
                &project,
                project_path.as_deref(),
                &missing,
                &config,
                &settings,
                context.cancel_flag(),
                &mut report,
            )
            .map_err(|e| match e {
                TrainError::Cancelled => context.cancelled(),
                other => context.failed(other),
            })?;
            let model_dir = next_model_dir(project_path.as_deref(), data_dir.as_deref());
            outcome.artifact.save(&model_dir).map_err(|e| {
                context.failed(format!(
                    "training finished but the model could not be saved: {e}"
                ))
            })?;
            let info = &outcome.artifact.info;
            Ok(TrainResult {
                model_dir,
                validation_events: info.validation_events,
                test_events: info.test_events,
                validation: info.validation.clone(),
                test: info.test.clone(),
                scored: outcome.scored,
                epochs_run: outcome.epochs_run,
                best_epoch: info.best_epoch,
                train_secs: outcome.train_secs,
                samples_per_sec: outcome.samples_per_sec,
                threshold: info.threshold,
                warnings: outcome.warnings,
            })
        });
        match spawned {
            Ok(work) => {
                self.job = Some(Job {
                    work,
                    started: Instant::now(),
                    stage: "preparing the dataset".to_owned(),
                    position: None,
                });
            }
            Err(error) => self.result = Some(Err(error.to_string())),
        }
    }

    /// Asks the running job to stop (it stops within one batch).
    pub fn cancel(&mut self) {
        if let Some(job) = &mut self.job {
            job.work.cancel();
            job.stage = "cancelling".to_owned();
        }
    }

    /// Takes what the background threads sent; returns a finished run's result once.
    pub fn poll(&mut self) -> Option<Result<PathBuf, String>> {
        // A worker that panicked is reported where its result would have been.
        if let Some(result) = self.overview_job.as_mut().and_then(crate::jobs::Job::poll) {
            self.overview_job = None;
            self.overview = Some(result.unwrap_or_else(|error| Err(error.to_string())));
        }
        if let Some(result) = self.preview_job.as_mut().and_then(crate::jobs::Job::poll) {
            self.preview_job = None;
            self.preview_textures.clear();
            self.preview = Some(result.unwrap_or_else(|error| Err(error.to_string())));
        }
        let Some(job) = &mut self.job else {
            return None;
        };
        for event in job.work.progress() {
            match event {
                TrainEvent::Caching { done, total } => {
                    job.stage = format!("spectrograms {done}/{total}");
                }
                TrainEvent::Batch {
                    epoch,
                    batch,
                    batches,
                    ..
                } => {
                    if !job.work.is_cancelling() {
                        job.stage = format!("epoch {epoch}, batch {batch}/{batches}");
                    }
                    job.position = Some((epoch, batch, batches));
                }
                TrainEvent::Epoch(metrics) => self.epochs.push(metrics),
            }
        }
        let result = job.work.poll()?;
        self.job = None;
        let finished = match result {
            Err(crate::jobs::JobError::Cancelled { .. }) => {
                self.cancelled = true;
                if let Some((epochs, result)) = self.previous.take() {
                    self.epochs = epochs;
                    self.result = result;
                }
                Err("Training cancelled; the project is unchanged.".to_owned())
            }
            Err(error) => {
                self.previous = None;
                self.result = Some(Err(error.to_string()));
                Err(error.to_string())
            }
            Ok(result) => {
                self.previous = None;
                self.thumbnails.clear();
                let model_dir = result.model_dir.clone();
                self.result = Some(Ok(result));
                Ok(model_dir)
            }
        };
        Some(finished)
    }

    /// Overall progress (0–1) and an estimate of the seconds left, while training.
    #[must_use]
    pub fn progress(&self) -> Option<(f32, Option<f64>)> {
        let job = self.job.as_ref()?;
        let Some((epoch, batch, batches)) = job.position else {
            return Some((0.0, None));
        };
        let epochs = self.settings.epochs.max(1);
        let done = ((epoch - 1) * batches + batch) as f64;
        let total = (epochs * batches).max(1) as f64;
        let fraction = (done / total).clamp(0.0, 1.0);
        let elapsed = job.started.elapsed().as_secs_f64();
        let eta = (fraction > 0.0).then(|| elapsed * (1.0 - fraction) / fraction);
        Some((fraction as f32, eta))
    }

    /// Draws the window; returns what the user asked for.
    pub fn window_ui(&mut self, ctx: &egui::Context) -> Vec<TrainAction> {
        let mut actions = Vec::new();
        let mut open = self.open;
        egui::Window::new("Train")
            .open(&mut open)
            .default_width(720.0)
            .default_height(640.0)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(ctx.content_rect().center_top() + egui::vec2(0.0, 60.0))
            .max_height(ctx.content_rect().height() - 80.0)
            .vscroll(true)
            .show(ctx, |ui| self.contents_ui(ui, &mut actions));
        self.open = open;
        actions
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        // The run's controls and progress stay at the top, whatever is scrolled below.
        ui.horizontal(|ui| {
            if self.is_running() {
                if ui.button("Cancel training").clicked() {
                    self.cancel();
                }
            } else if ui
                .button("Start training")
                .on_hover_text("Train a recogniser on this project's selections and clips")
                .clicked()
            {
                actions.push(TrainAction::Start);
            }
            if let Some(job) = &self.job {
                ui.label(&job.stage);
            } else if self.cancelled {
                ui.label(if self.result.is_some() {
                    "Cancelled; the project is unchanged. Below: the last finished run."
                } else {
                    "Cancelled; the project is unchanged."
                });
            }
        });
        if let Some((fraction, eta)) = self.progress() {
            let text = match eta {
                Some(secs) => format!("{:.0} % · about {secs:.0} s left", fraction * 100.0),
                None => format!("{:.0} %", fraction * 100.0),
            };
            ui.add(egui::ProgressBar::new(fraction).text(text));
        }
        if !self.epochs.is_empty() {
            self.curves_ui(ui);
        }
        match &self.result {
            Some(Ok(result)) => {
                let result = result.clone();
                if self.thumbnails.is_empty() {
                    self.thumbnails = result
                        .scored
                        .iter()
                        .filter(|s| s.is_misclassified(result.threshold))
                        .enumerate()
                        .filter_map(|(i, s)| {
                            let input = s.input.as_ref()?;
                            let image =
                                super::model_view::input_image(input, self.preview_normalization);
                            Some(ui.ctx().load_texture(
                                format!("misclassified {i}"),
                                image,
                                egui::TextureOptions::NEAREST,
                            ))
                        })
                        .collect();
                }
                Self::result_ui(ui, &result, &self.thumbnails, actions);
            }
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason);
            }
            None => {}
        }
        ui.separator();
        egui::CollapsingHeader::new("Model input")
            .default_open(true)
            .show(ui, |ui| {
                ui.add_enabled_ui(!self.is_running(), |ui| self.input_ui(ui, actions));
            });
        egui::CollapsingHeader::new("Dataset")
            .default_open(true)
            .show(ui, |ui| self.overview_ui(ui));
        egui::CollapsingHeader::new("Augmentation preview")
            .default_open(false)
            .show(ui, |ui| self.preview_ui(ui, actions));
        egui::CollapsingHeader::new("Settings")
            .default_open(true)
            .show(ui, |ui| {
                ui.add_enabled_ui(!self.is_running(), |ui| self.settings_ui(ui));
            });
    }

    /// The model input: proposed from the data (with why) or the project's own; the front end.
    fn input_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        ui.horizontal(|ui| {
            if ui
                .radio(self.proposing, "Proposed from the data")
                .on_hover_text(
                    "Sample rate, band, window and FFT chosen from the recordings and the \
                     positives' boxes; follows the project as you annotate",
                )
                .clicked()
                && !self.proposing
            {
                actions.push(TrainAction::UseProposal(true));
            }
            if ui
                .radio(!self.proposing, "The project's own")
                .on_hover_text(
                    "Keep a fixed input (starting from the proposal); edit it below or with \
                     \"Use the workbench's settings\"",
                )
                .clicked()
                && self.proposing
            {
                actions.push(TrainAction::UseProposal(false));
            }
        });
        let spec = &self.input;
        let (bands, frames) = spec.shape();
        ui.label(format!(
            "{} Hz · {:.2} s window · {:.0}–{:.0} Hz · {bands} × {frames}",
            spec.sample_rate_hz,
            spec.window_secs(),
            spec.spectrogram.min_hz,
            spec.spectrogram.effective_max_hz(spec.sample_rate_hz)
        ));
        if self.proposing
            && let Some(proposal) = &self.proposal
        {
            egui::CollapsingHeader::new("Why these choices")
                .default_open(false)
                .show(ui, |ui| {
                    for reason in &proposal.reasons {
                        ui.label(reason);
                    }
                });
        }
        if let Some(proposal) = &self.proposal {
            for warning in &proposal.warnings {
                ui.colored_label(ui.visuals().warn_fg_color, warning);
            }
        }
        ui.horizontal(|ui| {
            ui.label("Window length (s)").on_hover_text(
                "The stretch of audio the model classifies; saved in the project and the model",
            );
            let response = ui
                .add(
                    egui::DragValue::new(&mut self.window_secs)
                        .range(0.02..=30.0)
                        .speed(0.05)
                        .max_decimals(2),
                )
                .on_hover_text(
                    "Seconds of audio per window (calls shorter than this sit inside it); \
                     changing it makes the input the project's own",
                );
            if response.changed() {
                actions.push(TrainAction::SetWindowSecs(self.window_secs));
            }
            if ui
                .button("Use the workbench's settings")
                .on_hover_text(
                    "Train on the window size, overlap, window function, scale and frequency range \
                     set in the Spectrogram panel (saved in the project and the model)",
                )
                .clicked()
            {
                actions.push(TrainAction::UseWorkbenchSpectrogram);
            }
        });
        let spec = &self.input;
        ui.horizontal(|ui| {
            let label = ui.label("Front end").on_hover_text(
                "How the spectrogram is levelled before the network sees it: PCEN and \
                 background subtraction ignore recording level and steady noise",
            );
            let current = spec.normalization;
            egui::ComboBox::from_id_salt("front end")
                .selected_text(current.name())
                .show_ui(ui, |ui| {
                    for choice in [
                        crate::dsp::InputNormalization::PCEN,
                        crate::dsp::InputNormalization::BACKGROUND,
                        crate::dsp::InputNormalization::Standardize,
                        crate::dsp::InputNormalization::DB_RANGE,
                    ] {
                        if ui
                            .selectable_label(current.name() == choice.name(), choice.name())
                            .on_hover_text(choice.describe())
                            .clicked()
                            && current.name() != choice.name()
                        {
                            actions.push(TrainAction::SetFrontEnd(choice));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
    }

    fn overview_ui(&self, ui: &mut egui::Ui) {
        match &self.overview {
            None => {
                ui.label("Counting windows…");
            }
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason);
            }
            Some(Ok(overview)) => {
                egui::Grid::new("dataset summary")
                    .striped(true)
                    .show(ui, |ui| {
                        for header in ["split", "kind", "label", "windows"] {
                            ui.strong(header);
                        }
                        ui.end_row();
                        for row in &overview.rows {
                            ui.label(&row.split);
                            ui.label(&row.kind);
                            ui.label(&row.label);
                            ui.label(row.windows.to_string());
                            ui.end_row();
                        }
                    });
                ui.collapsing("Per recording", |ui| {
                    egui::Grid::new("dataset groups")
                        .striped(true)
                        .show(ui, |ui| {
                            for header in ["recording / group", "split", "positive", "negative"] {
                                ui.strong(header);
                            }
                            ui.end_row();
                            for (group, split, positives, negatives) in &overview.groups {
                                ui.label(group);
                                ui.label(split.name());
                                ui.label(positives.to_string());
                                ui.label(negatives.to_string());
                                ui.end_row();
                            }
                        });
                });
                for warning in &overview.warnings {
                    ui.colored_label(ui.visuals().warn_fg_color, warning);
                }
            }
        }
    }

    fn preview_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        ui.horizontal(|ui| {
            let label = if self.preview.is_some() { "New random crops" } else { "Preview inputs" };
            if ui
                .add_enabled(self.preview_job.is_none(), egui::Button::new(label))
                .on_hover_text("What the network will be shown: random training windows, cropped and augmented as in training")
                .clicked()
            {
                actions.push(TrainAction::Preview);
            }
            if self.preview_job.is_some() {
                ui.spinner();
            }
        });
        match &self.preview {
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason);
            }
            Some(Ok(tiles)) => {
                if self.preview_textures.is_empty() {
                    self.preview_textures = tiles
                        .iter()
                        .enumerate()
                        .map(|(i, (caption, input))| {
                            let image =
                                super::model_view::input_image(input, self.preview_normalization);
                            let texture = ui.ctx().load_texture(
                                format!("preview {i}"),
                                image,
                                egui::TextureOptions::NEAREST,
                            );
                            (caption.clone(), texture)
                        })
                        .collect();
                }
                egui::Grid::new("input preview").show(ui, |ui| {
                    for (i, (caption, texture)) in self.preview_textures.iter().enumerate() {
                        ui.vertical(|ui| {
                            ui.image((texture.id(), egui::vec2(160.0, 96.0)));
                            ui.small(caption);
                        });
                        if i % 5 == 4 {
                            ui.end_row();
                        }
                    }
                });
            }
            None => {}
        }
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        egui::Grid::new("train settings").show(ui, |ui| {
            let label = ui.label("Network");
            egui::ComboBox::from_id_salt("network size")
                .selected_text(network_name(&s.network))
                .show_ui(ui, |ui| {
                    for (name, network) in network_choices() {
                        let selected = s.network == network;
                        if ui.selectable_label(selected, name).clicked() {
                            s.network = network;
                        }
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    "Small trains fastest; wide learns more from big data sets; reference is \
                     the workshop network (slowest)",
                );
            ui.end_row();
            ui.label("Epochs (most)");
            ui.add(egui::DragValue::new(&mut s.epochs).range(1..=500))
                .on_hover_text("Passes over the training windows at most (early stopping may end sooner)");
            ui.end_row();
            ui.label("Batch size");
            ui.add(egui::DragValue::new(&mut s.batch_size).range(1..=512))
                .on_hover_text("Windows per training step: larger is steadier and needs more memory");
            ui.end_row();
            ui.label("Learning rate");
            ui.add(
                egui::DragValue::new(&mut s.learning_rate)
                    .range(1e-5..=1e-1)
                    .speed(1e-4)
                    .max_decimals(5),
            )
            .on_hover_text("Adam's step size: lower it if the loss jumps about");
            ui.end_row();
            ui.label("Early stopping patience (epochs)")
                .on_hover_text("Stop when validation loss has not improved for this many epochs; 0 never stops early");
            ui.add(egui::DragValue::new(&mut s.patience).range(0..=100))
                .on_hover_text("Epochs without a better validation loss before training stops");
            ui.end_row();
            ui.label("Ensemble (networks)").on_hover_text(
                "Train this many networks with consecutive seeds and average their scores: \
                 steadier detections, N times the training and detection time",
            );
            ui.add(egui::DragValue::new(&mut s.ensemble).range(1..=8))
                .on_hover_text("1 = a single network");
            ui.end_row();
            ui.label("Seed")
                .on_hover_text("Same seed, same split, crops and weights: the same model");
            ui.add(egui::DragValue::new(&mut s.seed))
                .on_hover_text("Same seed, same split, crops and weights: the same model");
            ui.end_row();
        });
        ui.checkbox(
            &mut s.pick_threshold,
            "pick the threshold with the best validation F1",
        )
        .on_hover_text(
            "F1 of calls found on the fully annotated validation recordings (of windows when \
             there are none); otherwise 0.5. The test split is never used to choose it",
        );
        ui.label("Augmentation");
        let a = &mut s.augmentation;
        ui.checkbox(&mut a.random_crop, "random crop offset every epoch")
            .on_hover_text("Each epoch places every selection at a new place in its window");
        ui.horizontal(|ui| {
            ui.label("Background from folder").on_hover_text(
                "Recordings of rain, wind or site noise to mix in; empty: training negatives",
            );
            let mut text = s
                .noise_dir
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("optional folder of noise recordings"),
                )
                .on_hover_text(
                    "Recordings of rain, wind or site noise to mix into training windows",
                )
                .changed()
            {
                let trimmed = text.trim();
                s.noise_dir = (!trimmed.is_empty()).then(|| PathBuf::from(trimmed));
            }
        });
        let defaults = crate::dataset::Augmentation::default();
        let mut gain = a.gain_db.1 > a.gain_db.0;
        if ui
            .checkbox(
                &mut gain,
                format!(
                    "random gain ({:+.0} to {:+.0} dB)",
                    defaults.gain_db.0, defaults.gain_db.1
                ),
            )
            .on_hover_text(
                "Calls louder or (mostly) fainter than recorded, as at sites further from the \
                 singers, so level alone does not decide",
            )
            .changed()
        {
            a.gain_db = if gain { defaults.gain_db } else { (0.0, 0.0) };
        }
        let mut mix = a.mix_probability > 0.0;
        if ui
            .checkbox(
                &mut mix,
                format!(
                    "mix in background ({:.0} to {:.0} dB SNR)",
                    defaults.mix_snr_db.0, defaults.mix_snr_db.1
                ),
            )
            .on_hover_text(
                "Adds background from negatives (or the noise folder) to half of the windows, \
                 some louder than the call, as at noisier sites",
            )
            .changed()
        {
            a.mix_probability = if mix { defaults.mix_probability } else { 0.0 };
            a.mix_snr_db = defaults.mix_snr_db;
        }
        let mut shift = a.frequency_shift_bands > 0;
        if ui
            .checkbox(&mut shift, "small frequency shifts")
            .on_hover_text(
                "Moves the image up or down a band or two: calls a little higher or lower",
            )
            .changed()
        {
            a.frequency_shift_bands = if shift {
                defaults.frequency_shift_bands
            } else {
                0
            };
        }
        let mut masks = a.time_mask_frames > 0;
        if ui
            .checkbox(&mut masks, "time and frequency masking")
            .on_hover_text("Blanks a random stretch of time and band of frequencies (SpecAugment)")
            .changed()
        {
            (a.time_mask_frames, a.frequency_mask_bands) = if masks { (12, 8) } else { (0, 0) };
        }
    }

    fn curves_ui(&self, ui: &mut egui::Ui) {
        let series = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> PlotPoints<'static> {
            self.epochs
                .iter()
                .filter_map(|m| f(m).map(|v| [m.epoch as f64, v]))
                .collect::<Vec<_>>()
                .into()
        };
        let c = super::legend::SERIES_COLORS;
        ui.columns(2, |columns| {
            let loss = [("train loss", c[0]), ("validation loss", c[1])];
            super::legend::legend_row(&mut columns[0], &loss);
            Plot::new("loss curves")
                .height(170.0)
                .x_axis_label("epoch")
                .include_y(0.0)
                .show(&mut columns[0], |plot| {
                    plot.line(
                        Line::new(loss[0].0, series(&|m| Some(m.train_loss))).color(loss[0].1),
                    );
                    plot.line(
                        Line::new(
                            loss[1].0,
                            series(&|m| m.validation.as_ref().map(|v| v.loss)),
                        )
                        .color(loss[1].1),
                    );
                });
            let rates = [
                ("train accuracy", c[0]),
                ("validation accuracy", c[1]),
                ("validation precision", c[2]),
                ("validation recall", c[3]),
            ];
            super::legend::legend_row(&mut columns[1], &rates);
            Plot::new("accuracy curves")
                .height(170.0)
                .x_axis_label("epoch")
                .include_y(0.0)
                .include_y(1.0)
                .show(&mut columns[1], |plot| {
                    let values: [&EpochValue; 4] = [
                        &|m| Some(m.train_accuracy),
                        &|m| m.validation.as_ref().map(|v| v.accuracy),
                        &|m| m.validation.as_ref().map(|v| v.precision),
                        &|m| m.validation.as_ref().map(|v| v.recall),
                    ];
                    for ((name, color), value) in rates.iter().zip(values) {
                        plot.line(Line::new(*name, series(value)).color(*color));
                    }
                });
        });
    }

    fn result_ui(
        ui: &mut egui::Ui,
        result: &TrainResult,
        thumbnails: &[egui::TextureHandle],
        actions: &mut Vec<TrainAction>,
    ) {
        ui.separator();
        ui.strong(format!(
            "Model saved: {} ({} epochs, best {}, threshold {:.2}, {:.1} s, {:.0} windows/s)",
            result.model_dir.display(),
            result.epochs_run,
            result.best_epoch,
            result.threshold,
            result.train_secs,
            result.samples_per_sec
        ));
        for warning in &result.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
        // Calls first: what detection and `syrinx evaluate` count. Windows below, labelled as
        // such, so that a window F1 of 1.00 is never read as "every call found".
        ui.label(egui::RichText::new("Calls (as Detect and syrinx evaluate count them)").strong())
            .on_hover_text(
                "Detection run over the fully annotated recordings of each split and matched to \
                 their positives as `syrinx evaluate` does",
            );
        egui::Grid::new("event metrics")
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "split",
                    "calls",
                    "found",
                    "false pos.",
                    "missed",
                    "precision",
                    "recall",
                    "F1",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                for (name, events) in [
                    ("validation", &result.validation_events),
                    ("test", &result.test_events),
                ] {
                    ui.label(name);
                    match events {
                        Some(m) => {
                            ui.label((m.true_positives + m.false_negatives).to_string());
                            ui.label(m.true_positives.to_string());
                            ui.label(m.false_positives.to_string());
                            ui.label(m.false_negatives.to_string());
                            for value in [m.precision, m.recall, m.f1] {
                                ui.label(format!("{value:.3}"));
                            }
                        }
                        None => {
                            ui.weak("no fully annotated recording");
                        }
                    }
                    ui.end_row();
                }
            });
        ui.small(
            "Counted on the fully annotated recordings of each split. Test recordings without \
             annotations (the demo's sites 5-6) are not in these rows: Detect over them, then \
             Review, or use syrinx evaluate against a truth table.",
        );
        if result.validation_events.is_none() {
            ui.small(
                "No fully annotated validation recording: the epoch and threshold were chosen on \
                 windows (mark recordings fully annotated to count calls)",
            );
        }
        ui.label(egui::RichText::new("Windows (what the network classifies; not calls)").strong());
        egui::Grid::new("final metrics")
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "split",
                    "windows",
                    "accuracy",
                    "precision",
                    "recall",
                    "F1",
                    "ROC-AUC",
                    "TP",
                    "FP",
                    "TN",
                    "FN",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                for (name, metrics) in [("validation", &result.validation), ("test", &result.test)]
                {
                    ui.label(name);
                    match metrics {
                        Some(m) => {
                            ui.label(m.windows.to_string());
                            for value in [m.accuracy, m.precision, m.recall, m.f1] {
                                ui.label(format!("{value:.3}"));
                            }
                            ui.label(
                                m.roc_auc
                                    .map_or_else(|| "–".to_owned(), |a| format!("{a:.3}")),
                            );
                            let c = m.confusion;
                            for count in [
                                c.true_positives,
                                c.false_positives,
                                c.true_negatives,
                                c.false_negatives,
                            ] {
                                ui.label(count.to_string());
                            }
                        }
                        None => {
                            ui.label("no windows");
                        }
                    }
                    ui.end_row();
                }
            });
        let validation: Vec<&ScoredWindow> = result
            .scored
            .iter()
            .filter(|s| s.window.split == Split::Validation)
            .collect();
        if !validation.is_empty() {
            let scores: Vec<f32> = validation.iter().map(|s| s.score).collect();
            let truth: Vec<bool> = validation.iter().map(|s| s.window.is_positive()).collect();
            let curve: PlotPoints<'static> = crate::metrics::pr_curve(&scores, &truth)
                .into_iter()
                .map(|(recall, precision, _)| [recall, precision])
                .collect::<Vec<_>>()
                .into();
            Plot::new("pr curve")
                .height(150.0)
                .x_axis_label("recall")
                .y_axis_label("precision")
                .include_x(0.0)
                .include_x(1.0)
                .include_y(0.0)
                .include_y(1.0)
                .show(ui, |plot| {
                    plot.line(Line::new("validation PR curve", curve));
                });
        }
        let wrong: Vec<&ScoredWindow> = result
            .scored
            .iter()
            .filter(|s| s.is_misclassified(result.threshold))
            .collect();
        ui.label(format!("Misclassified windows: {}", wrong.len()));
        for (i, scored) in wrong.into_iter().enumerate() {
            let w = &scored.window;
            let text = format!(
                "{} · {} {:.2}–{:.2} s · {} '{}' · score {:.2}",
                w.split.name(),
                w.source,
                w.start_secs,
                w.end_secs,
                w.kind.name(),
                w.label,
                scored.score
            );
            ui.horizontal(|ui| {
                if let Some(texture) = thumbnails.get(i) {
                    let response = ui.add(
                        egui::Image::new((texture.id(), egui::vec2(80.0, 48.0)))
                            .sense(egui::Sense::click()),
                    );
                    if response
                        .on_hover_text("What the model saw; click to show it")
                        .clicked()
                    {
                        actions.push(TrainAction::Show(Box::new(scored.clone())));
                    }
                }
                if ui
                    .link(text)
                    .on_hover_text("Show it in the recording")
                    .clicked()
                {
                    actions.push(TrainAction::Show(Box::new(scored.clone())));
                }
                if ui.small_button("Play").clicked() {
                    actions.push(TrainAction::Play(Box::new(scored.clone())));
                }
                if let crate::dataset::WindowOrigin::Selection { id, .. } = w.origin {
                    let other = match w.kind {
                        crate::annotation::SelectionKind::Positive => {
                            crate::annotation::SelectionKind::Negative
                        }
                        crate::annotation::SelectionKind::Negative => {
                            crate::annotation::SelectionKind::Positive
                        }
                    };
                    if ui
                        .small_button(format!("Make {}", other.name()))
                        .on_hover_text(
                            "The selection was labelled wrongly: change its kind (undoable)",
                        )
                        .clicked()
                    {
                        actions.push(TrainAction::SetKind(id, other));
                    }
                }
            });
        }
    }
}

/// The networks offered in the Train window, smallest first.
fn network_choices() -> Vec<(&'static str, crate::model::NetworkConfig)> {
    let default = crate::model::NetworkConfig::default();
    vec![
        (
            "small (8-16-24-32)",
            crate::model::NetworkConfig {
                channels: vec![8, 16, 24, 32],
                ..default.clone()
            },
        ),
        ("default (16-32-48-64)", default.clone()),
        (
            "wide (32-64-96-128)",
            crate::model::NetworkConfig {
                channels: vec![32, 64, 96, 128],
                ..default
            },
        ),
        (
            "reference (16-32-64-128, full resolution; slow)",
            crate::model::NetworkConfig::reference(),
        ),
    ]
}

fn network_name(network: &crate::model::NetworkConfig) -> String {
    network_choices()
        .into_iter()
        .find(|(_, n)| n == network)
        .map_or_else(
            || format!("custom {:?}", network.channels),
            |(name, _)| name.to_owned(),
        )
}

/// Runs `job` on a copy of the project as a background job called `name`.
fn spawn_for_project<T: Send + 'static>(
    name: &str,
    project: &Project,
    missing: &[ProjectRecordingId],
    waker: Arc<dyn Fn() + Send + Sync>,
    job: impl FnOnce(&Project, &[ProjectRecordingId]) -> Result<T, String> + Send + 'static,
) -> Result<ProjectJob<T>, crate::jobs::JobError> {
    let project = project.clone();
    let missing = missing.to_vec();
    crate::jobs::Job::spawn(name, waker, move |_| Ok(job(&project, &missing)))
}

/// Random training windows (two positive, one negative), each as recorded, with each
/// augmentation alone and with all of them as training draws them; seeded from the settings'
/// seed and the `round` of asking, so each "New random crops" shows new ones.
fn preview_inputs(
    project: &Project,
    missing: &[ProjectRecordingId],
    settings: &TrainSettings,
    round: u64,
) -> Result<Vec<PreviewTile>, String> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let (config, settings, _) = crate::train::project_config(project, missing, settings);
    let dataset = Dataset::from_project(project, missing, &config).map_err(|e| e.to_string())?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(settings.seed ^ round.rotate_left(32));
    let (mut positives, mut negatives): (Vec<usize>, Vec<usize>) = dataset
        .of_split(Split::Train)
        .map(|(i, _)| i)
        .partition(|i| dataset.windows[*i].is_positive());
    positives.shuffle(&mut rng);
    negatives.shuffle(&mut rng);
    let chosen: Vec<usize> = positives
        .iter()
        .take(2)
        .chain(negatives.iter().take(1))
        .copied()
        .collect();
    // The chosen windows plus a few negatives to mix in as background.
    let mut windows: Vec<usize> = chosen.clone();
    windows.extend(negatives.iter().skip(1).take(3));
    let sample = Dataset {
        windows: windows
            .iter()
            .map(|i| dataset.windows[*i].clone())
            .collect(),
        ..Dataset::default()
    };
    let cache = crate::dataset::SpectrogramCache::build(
        &sample,
        &config.input,
        &AtomicBool::new(false),
        &|_, _| {},
    )
    .map_err(|e| e.to_string())?;
    let maker = crate::dataset::InputMaker::new(&sample, &cache);
    let (bands, frames) = config.input.shape();
    let mut tiles = Vec::new();
    for i in (0..chosen.len()).filter(|i| cache.has(*i)) {
        let w = &sample.windows[i];
        for (what, values) in maker.augmentation_examples(i, &settings.augmentation, &mut rng) {
            tiles.push((
                format!("{} '{}' · {what}", w.kind.name(), w.label),
                crate::dsp::ModelInput {
                    bands,
                    frames,
                    values,
                },
            ));
        }
    }
    tiles.truncate(PREVIEW_TILES);
    Ok(tiles)
}

//! The Train window: dataset summary, settings, a background training job with progress, ETA,
//! live loss/accuracy curves and cancel, then the evaluation (metrics, confusion matrix, PR
//! curve, misclassified windows one click from their place in the recording). The run itself
//! is `run.rs`; what the window's actions do, `apply.rs`.

mod apply;
mod classes;
mod head;
mod panels;
mod result;
mod run;

pub use classes::ClassChoice;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use crate::annotation::ProjectRecordingId;
use crate::dataset::{Dataset, DatasetConfig, SummaryRow};
use crate::metrics::SplitMetrics;
use crate::model::artifact::EpochMetrics;
use crate::project::{Project, Split};
use crate::train::{ClassRequest, TrainPlan, TrainRequest};
use crate::train::{ScoredWindow, TrainEvent, TrainSettings};
use crate::util::jobs::JobError;
use crate::workflow::train::{PreviewTile, preview_inputs};

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
    /// Ask for a pretrained ONNX embedder to train a head on.
    ChooseEmbedder,
}

/// The dataset as the summary shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetOverview {
    /// How the splits were dealt and how training will be validated.
    pub plan: String,
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
    /// A multi-class model's classes (thresholds, metrics) and confusion matrices.
    pub class_metrics: Vec<crate::metrics::ClassMetrics>,
    pub confusions: Vec<crate::metrics::ClassConfusion>,
    /// A head on a pretrained embedder: the embedder's name and seconds spent embedding.
    pub embedder: Option<(String, f64)>,
    /// How a small project's folds chose the epochs and threshold.
    pub cross_validation: Option<crate::model::artifact::CrossValidation>,
}

/// How a run went, beside what its model records.
#[derive(Debug, Clone, Default)]
pub struct RunFigures {
    pub scored: Vec<ScoredWindow>,
    pub epochs_run: usize,
    pub train_secs: f64,
    pub samples_per_sec: f64,
    pub warnings: Vec<String>,
}

impl TrainResult {
    /// The result of a run that saved `info`'s model in `model_dir`.
    #[must_use]
    pub fn of_model(
        model_dir: PathBuf,
        info: &crate::model::ModelInfo,
        run: RunFigures,
        embedder: Option<(String, f64)>,
    ) -> Self {
        Self {
            model_dir,
            validation_events: info.validation_events,
            test_events: info.test_events,
            validation: info.validation.clone(),
            test: info.test.clone(),
            scored: run.scored,
            epochs_run: run.epochs_run,
            best_epoch: info.best_epoch,
            train_secs: run.train_secs,
            samples_per_sec: run.samples_per_sec,
            threshold: info.threshold,
            warnings: run.warnings,
            class_metrics: info.class_metrics.clone(),
            confusions: info.confusions.clone(),
            embedder,
            cross_validation: info.cross_validation.clone(),
        }
    }

    /// A multi-class model's thresholds, one per class (empty for one class).
    #[must_use]
    pub fn class_thresholds(&self) -> Vec<f32> {
        self.class_metrics.iter().map(|c| c.threshold).collect()
    }

    /// Whether the model got `scored` wrong (see [`ScoredWindow::is_misclassified`]).
    #[must_use]
    pub fn is_misclassified(&self, scored: &ScoredWindow) -> bool {
        scored.is_misclassified(self.threshold, &self.class_thresholds())
    }
}

/// A worker's job over a copy of the project.
type ProjectJob<T> = crate::util::jobs::Job<(), T>;

/// Why the window shows no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainingFailed {
    /// The background work failed (its error says what and why).
    #[error(transparent)]
    Job(#[from] JobError),
    #[error("Tick two or more labels for a multi-class model.")]
    TooFewClasses,
    /// The choices do not make a training run.
    #[error(transparent)]
    Plan(#[from] crate::train::PlanError),
    #[error("Choose a pretrained embedder first.")]
    NoEmbedder,
    #[error("Training cancelled; the project is unchanged.")]
    Cancelled,
}

/// A training run in progress.
struct Job {
    /// The run itself: training events as progress, the saved model's figures as its result.
    work: crate::util::jobs::Job<TrainEvent, TrainResult>,
    /// When the current stage's first batch began (its epochs time the estimate).
    started: Instant,
    stage: String,
    /// Training a head on an embedder (its progress counts recordings embedded).
    head: bool,
    /// `(epoch, batch, batches)` of the last batch.
    position: Option<(usize, usize, usize)>,
}

/// The curves and the result the window shows for one run.
type ShownRun = (
    Vec<EpochMetrics>,
    Option<Result<TrainResult, TrainingFailed>>,
);
/// One curve's value at an epoch.
type EpochValue = dyn Fn(&EpochMetrics) -> Option<f64>;

/// State of the Train window.
pub struct TrainingWindow {
    pub open: bool,
    /// Unfold the window the next time it is drawn (set when Train… opens it).
    pub unfold: bool,
    pub settings: TrainSettings,
    /// The project's model window length, as edited here.
    pub window_secs: f64,
    /// The model input proposed from the project's data, with its reasons.
    pub proposal: Option<crate::dataset::InputProposal>,
    /// Whether training uses the proposal (else the project's own input, `input`).
    pub proposing: bool,
    /// The input training will use.
    pub input: crate::dsp::ModelInputSpec,
    /// Which labels become classes.
    pub classes: ClassChoice,
    /// Train a head on this pretrained ONNX embedder (its JSON description) instead of a
    /// network.
    pub embedder: Option<PathBuf>,
    /// Whether training uses `embedder` (else a network).
    pub use_embedder: bool,
    /// What `input` was worked out from: (selections version, recordings, model input, whether
    /// proposing), so it is recomputed only when the project changes.
    input_key: Option<(u64, usize, crate::dsp::ModelInputSpec, bool)>,
    /// The plan training would run now, and the request it was resolved from.
    plan: Option<(TrainRequest, Result<TrainPlan, crate::train::PlanError>)>,
    pub overview: Option<Result<DatasetOverview, JobError>>,
    pub epochs: Vec<EpochMetrics>,
    pub result: Option<Result<TrainResult, TrainingFailed>>,
    /// The curves and result shown before the running job started: back on screen if it is
    /// cancelled (a cancelled run must not wipe the last good one).
    previous: Option<ShownRun>,
    /// The last run was cancelled.
    pub cancelled: bool,
    /// Augmented model inputs of random training windows, as asked for with "Preview inputs".
    pub preview: Option<Result<Vec<PreviewTile>, JobError>>,
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
            unfold: false,
            settings: TrainSettings::default(),
            window_secs: crate::dsp::ModelInputSpec::default().window_secs(),
            proposal: None,
            proposing: true,
            input: crate::dsp::ModelInputSpec::default(),
            classes: ClassChoice::default(),
            embedder: None,
            use_embedder: false,
            input_key: None,
            plan: None,
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

pub use crate::workflow::train::next_model_dir;

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
                Dataset::from_project(project, missing, &config).map(|dataset| DatasetOverview {
                    plan: dataset.validation_plan(&config),
                    rows: dataset.summary(),
                    groups: dataset.per_group(),
                    warnings: dataset.warnings,
                })
            },
        );
        match spawned {
            Ok(job) => self.overview_job = Some(job),
            Err(error) => self.overview = Some(Err(error)),
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
        let changed = self.input_key != Some(key);
        if changed {
            // The proposal is shown even when the project's own input is used: worked out
            // once here, and the plan takes it from the window.
            let proposal = crate::dataset::propose_input(project, missing);
            self.proposing = key.3;
            // What the plan trains on: the window asks for the input source `Auto`.
            self.input = if self.proposing {
                proposal.input
            } else {
                project.model_input
            };
            self.window_secs = self.input.window_secs();
            self.proposal = Some(proposal);
            self.classes.update(project.positive_label_counts());
            self.input_key = Some(key);
        }
        let request = self.request();
        if changed
            || self
                .plan
                .as_ref()
                .is_none_or(|(asked, _)| *asked != request)
        {
            let plan = match &self.proposal {
                Some(proposal) => TrainPlan::resolve_with(project, &request, proposal),
                None => TrainPlan::resolve(project, missing, &request),
            };
            self.plan = Some((request, plan));
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
            Err(error) => self.preview = Some(Err(error)),
        }
    }

    /// The plan training would run now (see [`Self::update_input`]).
    #[must_use]
    pub fn plan(&self) -> Option<&Result<TrainPlan, crate::train::PlanError>> {
        self.plan.as_ref().map(|(_, plan)| plan)
    }

    /// What the window asks of a training run: the same request `syrinx train` makes from its
    /// options, so both resolve the same [`TrainPlan`].
    #[must_use]
    pub fn request(&self) -> TrainRequest {
        let classes = self.classes.classes();
        TrainRequest {
            settings: self.settings.clone(),
            noise_class: self.classes.noise_class && !classes.is_empty(),
            classes: if self.classes.multi_class {
                ClassRequest::Named(classes)
            } else {
                ClassRequest::OneClass
            },
            ..TrainRequest::default()
        }
    }

    /// Draws the window; returns what the user asked for.
    pub fn window_ui(&mut self, ctx: &egui::Context) -> Vec<TrainAction> {
        let mut actions = Vec::new();
        let mut open = self.open;
        let id = egui::Id::unique("Train window");
        if std::mem::take(&mut self.unfold) {
            // Opened by Train…: never as the bare title bar it was collapsed to last time, and
            // on screen.
            let mut state = egui::collapsing_header::CollapsingState::load_with_default_open(
                ctx,
                id.with("collapsing"),
                true,
            );
            state.set_open(true);
            state.store(ctx);
        }
        egui::Window::new("Train")
            .id(id)
            .constrain(true)
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
fn spawn_for_project<T: Send + 'static, E: std::fmt::Display>(
    name: &str,
    project: &Project,
    missing: &[ProjectRecordingId],
    waker: Arc<dyn Fn() + Send + Sync>,
    job: impl FnOnce(&Project, &[ProjectRecordingId]) -> Result<T, E> + Send + 'static,
) -> Result<ProjectJob<T>, JobError> {
    let project = project.clone();
    let missing = missing.to_vec();
    crate::util::jobs::Job::spawn(name, waker, move |context| {
        job(&project, &missing).map_err(|e| context.failed(e))
    })
}

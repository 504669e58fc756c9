//! One training run, resolved once from the project and what the user asked for: the model
//! input (proposed from the data or the project's own, with its front end and window), the
//! classes, the network, the settings and the dataset. The Train window and `syrinx train`
//! resolve the same plan for the same project and request; training takes it as it is, and
//! the model stores it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{MIN_CLASS_EXAMPLES, TrainSettings};
use crate::annotation::ProjectRecordingId;
use crate::dataset::{Augmentation, DatasetConfig};
use crate::dsp::{InputNormalization, ModelInputSpec};
use crate::project::Project;

/// Which labels become classes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassRequest {
    /// Every positive is one class.
    #[default]
    OneClass,
    /// Every positive label with enough examples (see [`MIN_CLASS_EXAMPLES`]).
    All,
    /// These labels (two or more).
    Named(Vec<String>),
}

/// What a front end asks of a training run besides the project: the user's choices, before
/// anything is worked out from the data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainRequest {
    pub settings: TrainSettings,
    /// Where the model input comes from.
    pub input: InputSource,
    /// Another front end than the input's own.
    pub front_end: Option<InputNormalization>,
    /// Another window length than the input's own.
    pub window_secs: Option<f64>,
    pub classes: ClassRequest,
    /// A multi-class model also learns an explicit noise class.
    pub noise_class: bool,
    /// Train on random crops only (no other augmentation).
    pub no_augment: bool,
}

/// The model input a plan trains on, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputPlan {
    pub spec: ModelInputSpec,
    /// Proposed from the data (else the project's own input).
    pub proposed: bool,
    /// Why each part of a proposal was chosen.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One training run, resolved: nothing in it is changed afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainPlan {
    pub input: InputPlan,
    /// A multi-class model's classes (empty: one class).
    pub classes: Vec<String>,
    pub noise_class: bool,
    /// The dataset: the input, the seed and split, the classes.
    pub dataset: DatasetConfig,
    /// The settings, with the network resolved (its outputs and input pooling).
    pub settings: TrainSettings,
}

/// The plan's file in a model folder, beside the network's weights and `model.json`.
pub const PLAN_FILE: &str = "plan.json";

/// A plan file that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot write the training plan: {detail}: {}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("cannot read the training plan: {detail}: {}", path.display())]
    Read { path: PathBuf, detail: String },
}

/// A request that cannot become a plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "the project has no positive selection labelled \"{label}\" (its positive labels: {known})"
    )]
    UnknownClass { label: String, known: String },
    #[error(
        "a multi-class model needs two or more labels (found: {found}); without classes every positive is one class"
    )]
    TooFewClasses { found: String },
    #[error("the window must be between 0.01 and 60 s, not {0} s")]
    WindowSecs(f64),
}

impl TrainPlan {
    /// Works out the run `request` asks for on `project` (leaving `missing` recordings out of
    /// the proposal). Cheap: no audio is read.
    pub fn resolve(
        project: &Project,
        missing: &[ProjectRecordingId],
        request: &TrainRequest,
    ) -> Result<Self, PlanError> {
        let (_, proposal) = input_from(project, missing, request.input);
        Self::from_parts(project, request, proposal)
    }

    /// [`Self::resolve`] with the proposal from the data already worked out (a window that
    /// shows it anyway need not work it out twice); it is used only when the request's input
    /// source says so.
    pub fn resolve_with(
        project: &Project,
        request: &TrainRequest,
        proposal: &crate::dataset::InputProposal,
    ) -> Result<Self, PlanError> {
        let used = proposes(project, request.input).then(|| proposal.clone());
        Self::from_parts(project, request, used)
    }

    /// The plan with the input of `proposal`, or the project's own when `None`.
    fn from_parts(
        project: &Project,
        request: &TrainRequest,
        proposal: Option<crate::dataset::InputProposal>,
    ) -> Result<Self, PlanError> {
        let mut spec = proposal.as_ref().map_or(project.model_input, |p| p.input);
        if let Some(front_end) = request.front_end {
            spec.normalization = front_end;
        }
        if let Some(secs) = request.window_secs {
            if !(secs.is_finite() && (0.01..=60.0).contains(&secs)) {
                return Err(PlanError::WindowSecs(secs));
            }
            spec.window_samples = (secs * f64::from(spec.sample_rate_hz)).round() as u32;
        }
        let classes = resolve_classes(project, &request.classes)?;
        let noise_class = request.noise_class && !classes.is_empty();
        let mut settings = request.settings.clone();
        if let Some(proposal) = &proposal {
            settings.network.input_pool = proposal.input_pool;
        }
        // One output per class (the noise class too), else one.
        settings.network.outputs = if classes.is_empty() {
            1
        } else {
            classes.len() + usize::from(noise_class)
        };
        // The network sees context around each window where the front end can stream, so
        // detection scores every window from one pass over the recording (scoring::dense).
        spec.context_frames = settings.context_frames_for(&spec);
        if request.no_augment {
            settings.augmentation = Augmentation {
                random_crop: true,
                ..Augmentation::none()
            };
        }
        let dataset = DatasetConfig {
            seed: settings.seed,
            input: spec,
            classes: classes.clone(),
            noise_class,
            ..DatasetConfig::default()
        };
        let mut reasons: Vec<String> = proposal
            .as_ref()
            .map(|p| p.reasons.clone())
            .unwrap_or_default();
        if spec.context_frames > 0 {
            let frame_secs = spec.spectrogram.hop_secs(spec.sample_rate_hz);
            reasons.push(format!(
                "Context: the network sees {:.2} s either side of each window, so detection runs \
                 it once over each recording and scores every window from shared features; \
                 hops are whole multiples of {:.3} s.",
                f64::from(spec.context_frames) * frame_secs,
                settings.network.dense_hop_frames() as f64 * frame_secs
            ));
        }
        Ok(Self {
            input: InputPlan {
                spec,
                proposed: proposal.is_some(),
                reasons,
                warnings: proposal.map(|p| p.warnings).unwrap_or_default(),
            },
            classes,
            noise_class,
            dataset,
            settings,
        })
    }

    /// Writes the plan into the model folder `model_dir` ([`PLAN_FILE`], atomically).
    pub fn save(&self, model_dir: &Path) -> Result<(), PlanFileError> {
        let path = model_dir.join(PLAN_FILE);
        let write_error = |detail: String| PlanFileError::Write {
            path: path.clone(),
            detail,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| write_error(e.to_string()))?;
        crate::util::fsutil::write_atomically(&path, text.as_bytes())
            .map_err(|e| write_error(e.to_string()))
    }

    /// The plan a model was trained with (`None` for models trained before plans were kept,
    /// and for heads on embedders).
    pub fn load(model_dir: &Path) -> Result<Option<Self>, PlanFileError> {
        let path = model_dir.join(PLAN_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PlanFileError::Read {
                    path,
                    detail: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| PlanFileError::Read {
                path,
                detail: e.to_string(),
            })
    }

    /// The plan in words, a line each: the input and why, the classes, the network.
    #[must_use]
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.input.proposed {
            lines.push("model input proposed from the data:".to_owned());
            lines.extend(self.input.reasons.iter().map(|r| format!("  {r}")));
        } else {
            lines.push("model input: the project's".to_owned());
        }
        lines.push(format!(
            "front end: {}; window {:.3} s at {} Hz",
            self.input.spec.normalization.name(),
            f64::from(self.input.spec.window_samples) / f64::from(self.input.spec.sample_rate_hz),
            self.input.spec.sample_rate_hz
        ));
        if !self.classes.is_empty() {
            lines.push(format!(
                "classes: {}{}",
                self.classes.join(", "),
                if self.noise_class {
                    " (and an explicit noise class)"
                } else {
                    ""
                }
            ));
        }
        lines.push(format!(
            "network: channels {:?}, {} output(s); {} epoch(s), batch {}, seed {}",
            self.settings.network.channels,
            self.settings.network.outputs,
            self.settings.epochs,
            self.settings.batch_size,
            self.settings.seed
        ));
        lines
    }
}

/// Whether `classes` are too few for a multi-class model (the rule the Train window also shows
/// before training starts).
#[must_use]
pub fn too_few_classes(classes: &[String]) -> bool {
    classes.len() < 2
}

/// The classes `request` names, checked against the project's positive labels.
fn resolve_classes(project: &Project, request: &ClassRequest) -> Result<Vec<String>, PlanError> {
    let classes = match request {
        ClassRequest::OneClass => return Ok(Vec::new()),
        ClassRequest::All => project.class_candidates(MIN_CLASS_EXAMPLES),
        ClassRequest::Named(names) => {
            let known = project.class_candidates(1);
            if let Some(unknown) = names.iter().find(|c| !known.contains(c)) {
                return Err(PlanError::UnknownClass {
                    label: unknown.clone(),
                    known: known.join(", "),
                });
            }
            names.clone()
        }
    };
    if too_few_classes(&classes) {
        return Err(PlanError::TooFewClasses {
            found: classes.join(", "),
        });
    }
    Ok(classes)
}

/// Where training takes its model input from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::EnumIter)]
pub enum InputSource {
    /// The proposal while the project proposes (see [`Project::proposes_model_input`]), else
    /// the project's own input.
    ///
    /// [`Project::proposes_model_input`]: crate::project::Project::proposes_model_input
    #[default]
    Auto,
    /// The proposal from the data, whatever the project says.
    Proposed,
    /// The project's own input, whatever the project says.
    Project,
}

impl InputSource {
    /// Every variant, in declaration order (the compiler lists them).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// Name for command lines.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Proposed => "proposed",
            Self::Project => "project",
        }
    }
}

impl std::str::FromStr for InputSource {
    type Err = crate::util::choice::ChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::util::choice::parse_choice(s, Self::all(), Self::name, "input source")
    }
}

/// The model input training on `project` uses, and the proposal it came from: the proposal
/// from the data unless the user chose an input ([`InputSource::Auto`]).
#[must_use]
pub fn training_input(
    project: &crate::project::Project,
    missing: &[crate::annotation::ProjectRecordingId],
) -> (
    crate::dsp::ModelInputSpec,
    Option<crate::dataset::InputProposal>,
) {
    input_from(project, missing, InputSource::Auto)
}

/// Whether the model input `source` gives for `project` is the proposal from the data.
fn proposes(project: &crate::project::Project, source: InputSource) -> bool {
    match source {
        InputSource::Auto => project.proposes_model_input(),
        InputSource::Proposed => true,
        InputSource::Project => false,
    }
}

/// The model input `source` gives for `project`, and the proposal when it is one.
#[must_use]
pub fn input_from(
    project: &crate::project::Project,
    missing: &[crate::annotation::ProjectRecordingId],
    source: InputSource,
) -> (
    crate::dsp::ModelInputSpec,
    Option<crate::dataset::InputProposal>,
) {
    if proposes(project, source) {
        let proposal = crate::dataset::propose_input(project, missing);
        (proposal.input, Some(proposal))
    } else {
        (project.model_input, None)
    }
}

/// What training `project` with `settings` uses: the dataset configuration (the model input of
/// [`training_input`], the settings' seed), the settings with the proposal's input pooling when
/// the input was proposed, and the proposal. The app and `syrinx train` both start here.
#[must_use]
pub fn project_config(
    project: &crate::project::Project,
    missing: &[crate::annotation::ProjectRecordingId],
    settings: &TrainSettings,
) -> (
    DatasetConfig,
    TrainSettings,
    Option<crate::dataset::InputProposal>,
) {
    project_config_from(project, missing, settings, InputSource::Auto)
}

/// [`project_config`] with the model input from `source`.
#[must_use]
pub fn project_config_from(
    project: &crate::project::Project,
    missing: &[crate::annotation::ProjectRecordingId],
    settings: &TrainSettings,
    source: InputSource,
) -> (
    DatasetConfig,
    TrainSettings,
    Option<crate::dataset::InputProposal>,
) {
    let (mut input, proposal) = input_from(project, missing, source);
    let mut settings = settings.clone();
    if let Some(proposal) = &proposal {
        settings.network.input_pool = proposal.input_pool;
    }
    input.context_frames = settings.context_frames_for(&input);
    let config = DatasetConfig {
        seed: settings.seed,
        input,
        ..DatasetConfig::default()
    };
    (config, settings, proposal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_kept_beside_a_model_reads_back_the_same_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::default();
        let request = TrainRequest {
            window_secs: Some(0.75),
            no_augment: true,
            ..TrainRequest::default()
        };
        let plan = TrainPlan::resolve(&project, &[], &request).unwrap();
        assert_eq!(
            plan.dataset.input.window_samples,
            (0.75 * f64::from(plan.dataset.input.sample_rate_hz)).round() as u32
        );
        assert!(plan.settings.augmentation.mix_probability.abs() < f32::EPSILON);
        plan.save(dir.path()).unwrap();
        assert_eq!(TrainPlan::load(dir.path()).unwrap(), Some(plan));
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(TrainPlan::load(empty.path()).unwrap(), None);
    }

    #[test]
    fn classes_are_checked_against_the_project_and_counted_once() {
        let project = Project::default();
        let named = TrainRequest {
            classes: ClassRequest::Named(vec!["rise".to_owned(), "fall".to_owned()]),
            ..TrainRequest::default()
        };
        assert!(matches!(
            TrainPlan::resolve(&project, &[], &named),
            Err(PlanError::UnknownClass { .. })
        ));
        let window = TrainRequest {
            window_secs: Some(0.0),
            ..TrainRequest::default()
        };
        assert_eq!(
            TrainPlan::resolve(&project, &[], &window),
            Err(PlanError::WindowSecs(0.0))
        );
        assert!(too_few_classes(&["one".to_owned()]));
    }
}

//! Training as a workflow step, the same from the app and from `syrinx train`: one dataset
//! configuration (with one seed) from the project and the settings, the training loop, and the
//! model saved where the project keeps its models ([`train_and_save`], [`next_model_dir`]);
//! and the augmentation preview the Train window shows (seeded, so a test or a script sees the
//! same tiles as the app).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::annotation::ProjectRecordingId;
use crate::dataset::Dataset;
use crate::project::{Project, Split};
use crate::train::{TrainError, TrainEvent, TrainOutcome, TrainSettings, train_project};

/// Why training gave no saved model.
#[derive(Debug, thiserror::Error)]
pub enum TrainStepError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("training finished but the model could not be saved to {}: {detail}", path.display())]
    Save { path: PathBuf, detail: String },
}

/// The first free `models/model_NN` beside the project (for an untitled project, under
/// `data_dir`; else the temporary folder): model folders are never overwritten.
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

/// Trains `plan` on `project` (at `project_path`, whose recordings in `missing` are left out),
/// reporting to `on_event`, and saves the model, with its plan, into `out_dir`.
pub fn train_and_save(
    project: &Project,
    project_path: Option<&Path>,
    missing: &[ProjectRecordingId],
    plan: &crate::train::TrainPlan,
    out_dir: &Path,
    cancel: &AtomicBool,
    on_event: &mut (dyn FnMut(TrainEvent) + Send),
) -> Result<TrainOutcome, TrainStepError> {
    let config = &plan.dataset;
    let mut outcome = train_project(
        project,
        project_path,
        missing,
        config,
        &plan.settings,
        cancel,
        on_event,
    )?;
    outcome
        .warnings
        .extend(super::similar::split_duplicate_warnings(
            project,
            missing,
            config,
            project_path,
            cancel,
        ));
    outcome
        .artifact
        .save(out_dir)
        .map_err(|e| TrainStepError::Save {
            path: out_dir.to_path_buf(),
            detail: e.to_string(),
        })?;
    plan.save(out_dir).map_err(|e| TrainStepError::Save {
        path: out_dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(outcome)
}

/// One preview tile: a caption and the input the network would get.
pub type PreviewTile = (String, crate::dsp::ModelInput);

/// Tiles the preview shows at most.
pub const PREVIEW_TILES: usize = 15;

/// Random training windows (two positive, one negative), each as recorded, with each
/// augmentation alone and with all of them as training draws them; seeded from the settings'
/// seed and the `round` of asking, so each "New random crops" shows new ones.
pub fn preview_inputs(
    project: &Project,
    missing: &[ProjectRecordingId],
    settings: &TrainSettings,
    round: u64,
) -> Result<Vec<PreviewTile>, crate::dataset::DatasetError> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let (config, settings, _) = crate::train::project_config(project, missing, settings);
    let dataset = Dataset::from_project(project, missing, &config)?;
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
    )?;
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

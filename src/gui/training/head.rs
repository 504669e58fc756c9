//! The Train window's head on a pretrained embedder: the same job slot, progress and result as
//! a network's run, through [`crate::workflow::head::train_head_model`] (what
//! `syrinx train --embedder` runs).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use crate::annotation::ProjectRecordingId;
use crate::dataset::DatasetConfig;
use crate::project::Project;
use crate::train::TrainEvent;
use crate::workflow::train::next_model_dir;

use super::{Job, RunFigures, TrainAction, TrainResult, TrainingWindow};

impl TrainingWindow {
    /// Starts training a head on `embedder` over `project` on a background thread; the model
    /// goes to the next free `models/model_NN`, its embeddings beside the project.
    pub(super) fn start_head(
        &mut self,
        project: Project,
        project_path: Option<PathBuf>,
        missing: Vec<ProjectRecordingId>,
        data_dir: Option<PathBuf>,
        embedder: PathBuf,
        waker: Arc<dyn Fn() + Send + Sync>,
    ) {
        let seed = self.settings.seed;
        let classes = self.classes.classes();
        let noise_class = self.classes.noise_class;
        self.previous = Some((std::mem::take(&mut self.epochs), self.result.take()));
        self.cancelled = false;
        let spawned = crate::util::jobs::Job::spawn("training a head", waker, move |context| {
            let config = DatasetConfig {
                seed,
                input: crate::train::training_input(&project, &missing).0,
                classes,
                noise_class,
                ..DatasetConfig::default()
            };
            let settings = crate::embed::HeadSettings {
                seed,
                ..crate::embed::HeadSettings::default()
            };
            let model_dir = next_model_dir(project_path.as_deref(), data_dir.as_deref());
            let cache_dir = project_path.as_deref().map(crate::similar::embeddings_dir);
            let outcome = crate::workflow::head::train_head_model(
                &project,
                project_path.as_deref(),
                &missing,
                &embedder,
                &config,
                &settings,
                cache_dir.as_deref(),
                &model_dir,
                context.cancel_flag(),
                &mut |done, total| context.report(TrainEvent::Caching { done, total }),
            )
            .map_err(|e| match e {
                crate::workflow::head::HeadError::Cancelled => context.cancelled(),
                other => context.failed(other),
            })?;
            let info = &outcome.artifact.info;
            let name = info
                .embedder
                .as_ref()
                .map_or_else(String::new, |e| e.name.clone());
            let run = RunFigures {
                scored: Vec::new(),
                epochs_run: outcome.epochs_run,
                train_secs: outcome.train_secs,
                samples_per_sec: outcome.rows[0] as f64 * outcome.epochs_run as f64
                    / outcome.train_secs.max(1e-9),
                warnings: outcome.warnings,
            };
            Ok(TrainResult::of_model(
                model_dir,
                info,
                run,
                Some((name, outcome.embed_secs)),
            ))
        });
        match spawned {
            Ok(work) => {
                self.job = Some(Job {
                    work,
                    started: Instant::now(),
                    stage: "embedding recordings".to_owned(),
                    head: true,
                    position: None,
                });
            }
            Err(error) => self.result = Some(Err(error.into())),
        }
    }

    /// What the window trains: a network on spectrograms, or a head on a pretrained embedder.
    pub(super) fn recogniser_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<TrainAction>) {
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.use_embedder, false, "A network on spectrograms")
                .on_hover_text("A CNN trained from scratch on this project's spectrograms");
            ui.radio_value(
                &mut self.use_embedder,
                true,
                "A head on a pretrained embedder (ONNX)",
            )
            .on_hover_text(
                "A small classifier trained in seconds on the vectors of a pretrained model \
                 (Perch, BirdNET or your own ONNX file)",
            );
        });
        if !self.use_embedder {
            return;
        }
        ui.horizontal(|ui| {
            match &self.embedder {
                Some(path) => ui.label(format!("Embedder: {}", path.display())),
                None => ui.weak("No embedder chosen."),
            };
            if ui
                .button("Choose embedder…")
                .on_hover_text(
                    "The JSON file describing an ONNX model (sample rate, window), or the \
                     .onnx file with that JSON beside it",
                )
                .clicked()
            {
                actions.push(TrainAction::ChooseEmbedder);
            }
        });
        ui.small(
            "The model input below does not apply: the embedder takes its own rate and window. \
             Each recording is embedded once (kept beside the project).",
        );
    }
}

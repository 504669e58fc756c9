//! A training run on its own thread: started from the plan `syrinx train` resolves for the
//! project, its progress (stage, epoch, batch, ETA), cancel, and its end (the model saved, or
//! why not).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::{Job, RunFigures, TrainResult, TrainingFailed, TrainingWindow};
use crate::annotation::ProjectRecordingId;
use crate::project::Project;
use crate::train::{TrainError, TrainEvent, TrainPlan};
use crate::workflow::train::{TrainStepError, next_model_dir};

impl TrainingWindow {
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
        self.update_input(&project, &missing);
        if self.use_embedder {
            let Some(embedder) = self.embedder.clone() else {
                self.result = Some(Err(TrainingFailed::NoEmbedder));
                return;
            };
            self.start_head(project, project_path, missing, data_dir, embedder, waker);
            return;
        }
        // The same plan `syrinx train` resolves for this project and these choices.
        let plan = match TrainPlan::resolve(&project, &missing, &self.request()) {
            Ok(plan) => plan,
            Err(error) => {
                self.result = Some(Err(TrainingFailed::Plan(error)));
                return;
            }
        };
        self.previous = Some((std::mem::take(&mut self.epochs), self.result.take()));
        self.cancelled = false;
        let spawned = crate::util::jobs::Job::spawn("training", waker, move |context| {
            let mut last_batch_report = Instant::now();
            let mut report = |event: TrainEvent| {
                // Batches are frequent: wake the window at most ~20 times a second.
                let urgent = !matches!(event, TrainEvent::Batch { .. });
                if urgent || last_batch_report.elapsed().as_millis() >= 50 {
                    last_batch_report = Instant::now();
                    context.report(event);
                }
            };
            let model_dir = next_model_dir(project_path.as_deref(), data_dir.as_deref());
            let outcome = crate::workflow::train::train_and_save(
                &project,
                project_path.as_deref(),
                &missing,
                &plan,
                &model_dir,
                context.cancel_flag(),
                &mut report,
            )
            .map_err(|e| match e {
                TrainStepError::Train(TrainError::Cancelled) => context.cancelled(),
                other => context.failed(other),
            })?;
            let info = &outcome.artifact.info;
            let run = RunFigures {
                scored: outcome.scored,
                epochs_run: outcome.epochs_run,
                train_secs: outcome.train_secs,
                samples_per_sec: outcome.samples_per_sec,
                warnings: outcome.warnings,
            };
            Ok(TrainResult::of_model(model_dir, info, run, None))
        });
        match spawned {
            Ok(work) => {
                self.job = Some(Job {
                    work,
                    started: Instant::now(),
                    stage: "preparing the dataset".to_owned(),
                    head: false,
                    position: None,
                });
            }
            Err(error) => self.result = Some(Err(error.into())),
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
    pub fn poll(&mut self) -> Option<Result<PathBuf, TrainingFailed>> {
        // A worker that panicked is reported where its result would have been.
        if let Some(result) = self
            .overview_job
            .as_mut()
            .and_then(crate::util::jobs::Job::poll)
        {
            self.overview_job = None;
            self.overview = Some(result);
        }
        if let Some(result) = self
            .preview_job
            .as_mut()
            .and_then(crate::util::jobs::Job::poll)
        {
            self.preview_job = None;
            self.preview_textures.clear();
            self.preview = Some(result);
        }
        let Some(job) = &mut self.job else {
            return None;
        };
        for event in job.work.progress() {
            match event {
                TrainEvent::Caching { done, total } if job.head => {
                    job.stage = format!("embedding recordings {done}/{total}");
                }
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
                    if (epoch, batch) == (1, 1) {
                        // A stage's training begins (its spectrograms are ready).
                        job.started = Instant::now();
                    }
                    job.position = Some((epoch, batch, batches));
                }
                TrainEvent::Epoch(metrics) => self.epochs.push(metrics),
                // Each cross-validation fold, then the final model, plots its own epochs.
                TrainEvent::Stage(stage) => {
                    job.stage = stage;
                    self.epochs.clear();
                }
            }
        }
        let result = job.work.poll()?;
        self.job = None;
        let finished = match result {
            Err(crate::util::jobs::JobError::Cancelled { .. }) => {
                self.cancelled = true;
                if let Some((epochs, result)) = self.previous.take() {
                    self.epochs = epochs;
                    self.result = result;
                }
                Err(TrainingFailed::Cancelled)
            }
            Err(error) => {
                self.previous = None;
                self.result = Some(Err(error.clone().into()));
                Err(error.into())
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

    /// Progress of the current stage (0–1) and an estimate of the seconds left, while
    /// training: counted to where early stopping will end it as the epochs so far tell (see
    /// `train::expected_epochs`), so that the estimate falls as the model stops improving.
    #[must_use]
    pub fn progress(&self) -> Option<(f32, Option<f64>)> {
        let job = self.job.as_ref()?;
        let Some((epoch, batch, batches)) = job.position else {
            return Some((0.0, None));
        };
        let epochs = crate::train::expected_epochs(
            &self.epochs,
            self.settings.epochs,
            self.settings.patience,
        )
        .max(epoch);
        let done = ((epoch - 1) * batches + batch) as f64;
        let total = (epochs * batches).max(1) as f64;
        let fraction = (done / total).clamp(0.0, 1.0);
        let elapsed = job.started.elapsed().as_secs_f64();
        let eta = (fraction > 0.0).then(|| elapsed * (1.0 - fraction) / fraction);
        Some((fraction as f32, eta))
    }
}

//! Detection from the app: the Detect window's requests, the batch run as a job
//! ([`crate::workflow::detect::run_batch`]), and its results put into the project's run as
//! they arrive.

use super::SyrinxApp;
use crate::annotation::ProjectRecordingId;
use crate::gui::detection::{DetectAction, DetectScope};
use crate::workflow::detect::{BatchEvent, BatchPlan, MergeChoice, RunTarget};
use eframe::egui;

use crate::workflow::detect::FileFailed;
use std::path::PathBuf;
use std::sync::Arc;

impl SyrinxApp {
    /// Opens the Detect window, suggesting the project's newest model.
    pub fn open_detect(&mut self) {
        self.ui.detect.open = true;
        if self.ui.detect.model_text.trim().is_empty()
            && let Some(latest) = self.session.document.project.models.last()
        {
            self.ui.detect.model_text = latest.display().to_string();
        }
    }

    /// Starts a detection batch as the Detect window is set.
    pub fn start_detection(&mut self) {
        let model_text = self.ui.detect.model_text.trim().to_owned();
        if model_text.is_empty() {
            self.error("Choose a model folder to detect with (train one first).".to_owned());
            return;
        }
        let model_dir = self.absolute_to_project(PathBuf::from(model_text));
        let project = &self.session.document.project;
        let current = self.active_recording().map(|r| r.project_id);
        let recordings: Vec<ProjectRecordingId> = self
            .ui
            .detect
            .scope
            .recordings(project, current, &self.ui.detect.chosen)
            .into_iter()
            .filter(|id| !self.session.document.missing.contains(id))
            .collect();
        let folder = (self.ui.detect.scope == DetectScope::Folder)
            .then(|| PathBuf::from(self.ui.detect.folder_text.trim()));
        if folder.is_none() && recordings.is_empty() {
            self.error(
                "No recordings to run over: choose some (missing files are skipped).".to_owned(),
            );
            return;
        }
        if let Some(folder) = &folder
            && !folder.is_dir()
        {
            self.error(format!("Not a folder: {}", folder.display()));
            return;
        }
        let plan = BatchPlan {
            model_dir,
            files: self.paths_of(&recordings),
            folder,
            hop_secs: self.ui.detect.hop_secs,
            per_class: true,
            adapt: self.ui.detect.adapt,
        };
        let waker = Arc::clone(&self.session.waker);
        if let Err(error) = self.ui.detect.spawn(plan, None, recordings, waker) {
            self.error(error.to_string());
        }
    }

    /// Scores what a run has left (a cancelled or interrupted batch).
    pub(super) fn resume_detection(&mut self, run_id: u32) {
        let Some(run) = self.session.document.project.run(run_id) else {
            return;
        };
        let pending: Vec<ProjectRecordingId> = run
            .pending
            .iter()
            .copied()
            .filter(|id| !self.session.document.missing.contains(id))
            .collect();
        let plan = BatchPlan {
            model_dir: run.model_dir.clone(),
            files: self.paths_of(&pending),
            folder: None,
            hop_secs: Some(run.hop_secs),
            per_class: true,
            adapt: self.ui.detect.adapt,
        };
        let waker = Arc::clone(&self.session.waker);
        if let Err(error) = self
            .ui
            .detect
            .spawn(plan, Some(RunTarget { run_id }), pending, waker)
        {
            self.error(error.to_string());
        }
    }

    pub(super) fn paths_of(&self, ids: &[ProjectRecordingId]) -> Vec<PathBuf> {
        ids.iter()
            .filter_map(|id| self.session.document.project.recording(*id))
            .map(|r| r.path.clone())
            .collect()
    }

    /// A path typed relative to the project's folder made absolute.
    pub(super) fn absolute_to_project(&self, path: PathBuf) -> PathBuf {
        if path.is_absolute() {
            return path;
        }
        self.session
            .document
            .path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or(path.clone(), |dir| dir.join(&path))
    }

    /// Takes what the detection job sent. What a run adds to the project is a job's result,
    /// not an edit: not undo steps (deleting the run is one).
    pub(super) fn poll_detection(&mut self) {
        let (events, end) = self.ui.detect.take_events();
        for event in events {
            match event {
                BatchEvent::ModelLoaded { info, hop_secs } => {
                    self.detection_model_loaded(&info, hop_secs);
                }
                BatchEvent::Listed(files) => {
                    let runs = self
                        .ui
                        .detect
                        .job
                        .as_ref()
                        .map(crate::gui::detection::DetectJob::runs)
                        .unwrap_or_default();
                    for (i, run) in runs.into_iter().enumerate() {
                        let errors =
                            run.add_listed(&mut self.session.document.project, files.clone());
                        // Each message names its file (once, not once per class).
                        if i == 0 {
                            self.ui.detect.errors.extend(errors);
                        }
                        self.session.document.touch();
                    }
                }
                BatchEvent::Started { .. } => {}
                BatchEvent::Unlike(warning) => self.info(warning),
                BatchEvent::Position {
                    file_index,
                    files,
                    done_secs,
                    total_secs,
                } => {
                    if let Some(job) = &mut self.ui.detect.job {
                        job.file = (file_index, files);
                        job.secs = (done_secs, total_secs);
                    }
                }
                BatchEvent::Scored { path, result, .. } => self.detection_scored(&path, result),
                BatchEvent::ScoredClasses { path, result, .. } => {
                    self.detection_scored_classes(&path, &result);
                }
            }
        }
        if let Some(end) = end {
            self.detection_finished(&end);
        }
    }

    pub(super) fn detection_finished(
        &mut self,
        end: &Result<crate::workflow::detect::BatchTotals, crate::util::jobs::JobError>,
    ) {
        let Some(job) = self.ui.detect.job.take() else {
            return;
        };
        let cancelled = matches!(end, Err(crate::util::jobs::JobError::Cancelled { .. }));
        if let Err(error) = end
            && !cancelled
        {
            self.error(format!("Detection stopped: {error}"));
            return;
        }
        let run_id = job.run.map(|r| r.run_id);
        let runs: Vec<&crate::project::runs::DetectionRun> = job
            .runs()
            .iter()
            .filter_map(|r| self.session.document.project.run(r.run_id))
            .collect();
        let detections: usize = runs.iter().map(|r| r.counts().detections).sum();
        let left = runs.iter().map(|r| r.pending.len()).max().unwrap_or(0);
        let classes = if job.class_runs.len() > 1 {
            format!(" in {} class runs", job.class_runs.len())
        } else {
            String::new()
        };
        let mut kept = String::new();
        if cancelled
            && let Some(previous) = job.previous_review_run
            && Some(previous) != run_id
        {
            // A cancelled run stays (to resume) but does not take over Review.
            self.ui.review.run_id = Some(previous);
            self.ui.review.refresh_queue(&self.session.document.project);
            kept = format!(" Review still shows run {previous}.");
        }
        self.info(if cancelled {
            format!(
                "Detection cancelled: {} recording(s) scored, {left} left (Resume in the Detect window).{kept}",
                job.scored
            )
        } else {
            format!(
                "Detection finished: {} recording(s) in {:.1} s, {detections} detection(s){classes}, {} failed. Review them in the Review panel.",
                job.scored,
                job.started.elapsed().as_secs_f64(),
                job.failed
            )
        });
        if !self.ui.review.open {
            self.open_review();
        }
    }

    pub(super) fn detection_model_loaded(&mut self, info: &crate::model::ModelInfo, hop_secs: f64) {
        let Some(job) = &mut self.ui.detect.job else {
            return;
        };
        if let Some(run) = job.run {
            // A resumed run of a multi-class model is one class's run: that class is scored.
            if !info.class_metrics.is_empty() {
                let label = self
                    .session
                    .document
                    .project
                    .run(run.run_id)
                    .map(|r| r.label.clone())
                    .unwrap_or_default();
                match info.class_metrics.iter().position(|c| c.name == label) {
                    Some(class) => job.class_runs = vec![(class, run)],
                    None => {
                        job.job.cancel();
                        let error = format!(
                            "Run {} is labelled \"{label}\", which is none of the model's classes ({}).",
                            run.run_id,
                            info.classes.join(", ")
                        );
                        self.error(error);
                    }
                }
            }
            return;
        }
        let choice = MergeChoice {
            threshold: self.ui.detect.threshold,
            min_gap_secs: self.ui.detect.min_gap_secs,
            min_duration_secs: self.ui.detect.min_duration_secs,
            ..MergeChoice::default()
        };
        let planned = std::mem::take(&mut job.planned);
        let project = &mut self.session.document.project;
        if info.class_metrics.is_empty() {
            job.run = Some(RunTarget::start(
                project,
                &job.model_dir,
                info,
                hop_secs,
                choice.settings(info, hop_secs),
                planned,
            ));
        } else {
            // One run per class, each cut at its class's threshold unless one is set here.
            let runs = RunTarget::start_per_class(
                project,
                &job.model_dir,
                info,
                hop_secs,
                choice.settings(info, hop_secs),
                self.ui.detect.threshold,
                &planned,
            );
            job.run = runs.first().copied();
            job.class_runs = runs.into_iter().enumerate().collect();
        }
        // What Review showed, for a cancel to go back to.
        job.previous_review_run = self
            .ui
            .review
            .run(&self.session.document.project)
            .map(|r| r.id);
        self.ui.review.run_id = job.run.map(|r| r.run_id);
        self.session.document.touch();
    }

    /// Stores a multi-class model's scores of a file in each class's run.
    fn detection_scored_classes(
        &mut self,
        path: &std::path::Path,
        result: &Result<Vec<crate::detect::WindowScores>, FileFailed>,
    ) {
        let Some(job) = &self.ui.detect.job else {
            return;
        };
        let class_runs = job.class_runs.clone();
        if let Err(error) = result {
            self.ui.detect.errors.push(error.to_string());
        }
        let mut outcome = None;
        for (class, run) in class_runs {
            let scores = match result {
                Ok(per_class) => per_class
                    .get(class)
                    .cloned()
                    .ok_or_else(|| FileFailed::new(path, format!("no scores of class {class}"))),
                Err(error) => Err(error.clone()),
            };
            outcome = run
                .add_scored(&mut self.session.document.project, path, scores)
                .or(outcome);
        }
        if let Some(scored) = outcome {
            self.count_scored(scored);
        }
    }

    /// Counts a file scored (or failed) by the running batch.
    fn count_scored(&mut self, scored: bool) {
        if let Some(job) = &mut self.ui.detect.job {
            if scored {
                job.scored += 1;
            } else {
                job.failed += 1;
            }
        }
        self.session.document.touch();
    }

    pub(super) fn detection_scored(
        &mut self,
        path: &std::path::Path,
        result: Result<crate::detect::WindowScores, FileFailed>,
    ) {
        let Some(run) = self.ui.detect.job.as_ref().and_then(|j| j.run) else {
            return;
        };
        if let Err(error) = &result {
            self.ui.detect.errors.push(error.to_string());
        }
        if let Some(scored) = run.add_scored(&mut self.session.document.project, path, result) {
            self.count_scored(scored);
        }
    }

    pub(super) fn detect_window(&mut self, ctx: &egui::Context) {
        if !self.ui.detect.open {
            return;
        }
        let current = self.active_recording().map(|r| r.project_id);
        let resumable: Vec<(u32, String, usize)> = self
            .session
            .document
            .project
            .detection_runs
            .iter()
            .filter(|r| !r.pending.is_empty())
            .map(|r| (r.id, r.model_dir.display().to_string(), r.pending.len()))
            .collect();
        let actions =
            self.ui
                .detect
                .window_ui(ctx, &self.session.document.project, current, &resumable);
        for action in actions {
            match action {
                DetectAction::Start => self.start_detection(),
                DetectAction::Resume(id) => self.resume_detection(id),
                DetectAction::Cancel => self.ui.detect.cancel(),
            }
        }
    }
}

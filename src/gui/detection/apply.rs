//! What the Detect window does: its requests, the batch run as a job
//! ([`crate::workflow::detect::run_batch`]), and its results put into the project's run as
//! they arrive (Review follows the new run).

use super::{DetectAction, DetectScope, DetectWindow};
use crate::annotation::ProjectRecordingId;
use crate::gui::review::ReviewState;
use crate::gui::workbench::Workbench;
use crate::workflow::detect::{BatchEvent, BatchPlan, MergeChoice, RunTarget};
use eframe::egui;

use crate::workflow::detect::FileFailed;
use std::path::PathBuf;
use std::sync::Arc;

impl DetectWindow {
    /// Opens the Detect window, suggesting the project's newest model.
    pub fn open_window(&mut self, bench: &mut Workbench) {
        self.open = true;
        if self.model_text.trim().is_empty()
            && let Some(latest) = bench.session.document.project.models.last()
        {
            self.model_text = latest.display().to_string();
        }
    }

    /// Starts a detection batch as the Detect window is set.
    pub fn start_batch(&mut self, bench: &mut Workbench) {
        let model_text = self.model_text.trim().to_owned();
        if model_text.is_empty() {
            bench
                .session
                .error("Choose a model folder to detect with (train one first).".to_owned());
            return;
        }
        let model_dir =
            Self::absolute_to_project(&bench.session.document, PathBuf::from(model_text));
        let project = &bench.session.document.project;
        let current = bench.workspace.active_recording().map(|r| r.project_id);
        let recordings: Vec<ProjectRecordingId> = self
            .scope
            .recordings(project, current, &self.chosen)
            .into_iter()
            .filter(|id| !bench.session.document.missing.contains(id))
            .collect();
        let folder =
            (self.scope == DetectScope::Folder).then(|| PathBuf::from(self.folder_text.trim()));
        if folder.is_none() && recordings.is_empty() {
            bench.session.error(
                "No recordings to run over: choose some (missing files are skipped).".to_owned(),
            );
            return;
        }
        if let Some(folder) = &folder
            && !folder.is_dir()
        {
            bench
                .session
                .error(format!("Not a folder: {}", folder.display()));
            return;
        }
        let plan = BatchPlan {
            model_dir,
            files: Self::paths_of(&bench.session.document.project, &recordings),
            folder,
            hop_secs: self.hop_secs,
            per_class: true,
            adapt: self.adapt,
        };
        let scope = match (self.scope, &plan.folder) {
            (DetectScope::Folder, Some(folder)) => format!("folder {}", folder.display()),
            (DetectScope::Current, _) => current
                .and_then(|id| bench.session.document.project.recording(id))
                .map_or_else(
                    || self.scope.short_name().to_owned(),
                    crate::project::ProjectRecording::name,
                ),
            (scope, _) => scope.short_name().to_owned(),
        };
        let waker = Arc::clone(&bench.session.waker);
        match self.spawn(plan, None, recordings, waker) {
            Ok(()) => {
                if let Some(job) = &mut self.job {
                    job.scope = scope;
                }
            }
            Err(error) => bench.session.error(error.to_string()),
        }
    }

    /// Scores what a run has left (a cancelled or interrupted batch).
    pub fn resume(&mut self, bench: &mut Workbench, run_id: u32) {
        let Some(run) = bench.session.document.project.run(run_id) else {
            return;
        };
        let pending: Vec<ProjectRecordingId> = run
            .pending
            .iter()
            .copied()
            .filter(|id| !bench.session.document.missing.contains(id))
            .collect();
        let plan = BatchPlan {
            model_dir: run.model_dir.clone(),
            files: Self::paths_of(&bench.session.document.project, &pending),
            folder: None,
            hop_secs: Some(run.hop_secs),
            per_class: true,
            adapt: self.adapt,
        };
        let waker = Arc::clone(&bench.session.waker);
        if let Err(error) = self.spawn(plan, Some(RunTarget { run_id }), pending, waker) {
            bench.session.error(error.to_string());
        }
    }

    fn paths_of(project: &crate::project::Project, ids: &[ProjectRecordingId]) -> Vec<PathBuf> {
        ids.iter()
            .filter_map(|id| project.recording(*id))
            .map(|r| r.path.clone())
            .collect()
    }

    /// A path typed relative to the project's folder made absolute.
    fn absolute_to_project(document: &crate::session::Document, path: PathBuf) -> PathBuf {
        if path.is_absolute() {
            return path;
        }
        document
            .path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or(path.clone(), |dir| dir.join(&path))
    }

    /// Takes what the detection job sent (Review follows the new run). What a run adds to the
    /// project is a job's result, not an edit: not undo steps (deleting the run is one).
    pub fn poll_batch(&mut self, bench: &mut Workbench, review: &mut ReviewState) {
        let (events, end) = self.take_events();
        for event in events {
            match event {
                BatchEvent::ModelLoaded { info, hop_secs } => {
                    self.model_loaded(bench, review, &info, hop_secs);
                }
                BatchEvent::Listed(files) => {
                    let runs = self
                        .job
                        .as_ref()
                        .map(crate::gui::detection::DetectJob::runs)
                        .unwrap_or_default();
                    for (i, run) in runs.into_iter().enumerate() {
                        let errors =
                            run.add_listed(&mut bench.session.document.project, files.clone());
                        // Each message names its file (once, not once per class).
                        if i == 0 {
                            self.errors.extend(errors);
                        }
                        bench.session.document.touch();
                    }
                }
                BatchEvent::Started { .. } => {}
                BatchEvent::Unlike(warning) => bench.session.info(warning),
                BatchEvent::Position {
                    file_index,
                    files,
                    done_secs,
                    total_secs,
                } => {
                    if let Some(job) = &mut self.job {
                        job.file = (file_index, files);
                        job.secs = (done_secs, total_secs);
                    }
                }
                BatchEvent::Scored { path, result, .. } => self.scored(bench, &path, result),
                BatchEvent::ScoredClasses { path, result, .. } => {
                    self.scored_classes(bench, &path, &result);
                }
            }
        }
        if let Some(end) = end {
            self.finished(bench, review, &end);
        }
    }

    fn finished(
        &mut self,
        bench: &mut Workbench,
        review: &mut ReviewState,
        end: &Result<crate::workflow::detect::BatchTotals, crate::util::jobs::JobError>,
    ) {
        let Some(job) = self.job.take() else {
            return;
        };
        let cancelled = matches!(end, Err(crate::util::jobs::JobError::Cancelled { .. }));
        if let Err(error) = end
            && !cancelled
        {
            bench.session.error(format!("Detection stopped: {error}"));
            return;
        }
        let run_id = job.run.map(|r| r.run_id);
        let runs: Vec<&crate::project::runs::DetectionRun> = job
            .runs()
            .iter()
            .filter_map(|r| bench.session.document.project.run(r.run_id))
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
            review.run_id = Some(previous);
            review.refresh_queue(&bench.session.document.project);
            kept = format!(" Review still shows run {previous}.");
        }
        bench.session.info(if cancelled {
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
        match run_id {
            // Every finished run takes Review to its first detection, open or not.
            Some(run_id) if !cancelled => review.follow_run(bench, run_id),
            _ if !review.open => review.open_panel(bench),
            _ => {}
        }
    }

    fn model_loaded(
        &mut self,
        bench: &mut Workbench,
        review: &mut ReviewState,
        info: &crate::model::ModelInfo,
        hop_secs: f64,
    ) {
        let Some(job) = &mut self.job else {
            return;
        };
        if let Some(run) = job.run {
            // A resumed run of a multi-class model is one class's run: that class is scored.
            if !info.class_metrics.is_empty() {
                let label = bench
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
                        bench.session.error(error);
                    }
                }
            }
            return;
        }
        let choice = MergeChoice {
            threshold: self.threshold,
            min_gap_secs: self.min_gap_secs,
            min_duration_secs: self.min_duration_secs,
            ..MergeChoice::default()
        };
        let planned = std::mem::take(&mut job.planned);
        let project = &mut bench.session.document.project;
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
                self.threshold,
                &planned,
            );
            job.run = runs.first().copied();
            job.class_runs = runs.into_iter().enumerate().collect();
        }
        for target in job.runs() {
            if let Some(run) = project.run_mut(target.run_id) {
                run.scope.clone_from(&job.scope);
            }
        }
        // What Review showed, for a cancel to go back to.
        job.previous_review_run = review.run(&bench.session.document.project).map(|r| r.id);
        review.run_id = job.run.map(|r| r.run_id);
        bench.session.document.touch();
    }

    /// Stores a multi-class model's scores of a file in each class's run.
    fn scored_classes(
        &mut self,
        bench: &mut Workbench,
        path: &std::path::Path,
        result: &Result<Vec<crate::detect::WindowScores>, FileFailed>,
    ) {
        let Some(job) = &self.job else {
            return;
        };
        let class_runs = job.class_runs.clone();
        if let Err(error) = result {
            self.errors.push(error.to_string());
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
                .add_scored(&mut bench.session.document.project, path, scores)
                .or(outcome);
        }
        if let Some(scored) = outcome {
            self.count_scored(bench, scored);
        }
    }

    /// Counts a file scored (or failed) by the running batch.
    fn count_scored(&mut self, bench: &mut Workbench, scored: bool) {
        if let Some(job) = &mut self.job {
            if scored {
                job.scored += 1;
            } else {
                job.failed += 1;
            }
        }
        bench.session.document.touch();
    }

    fn scored(
        &mut self,
        bench: &mut Workbench,
        path: &std::path::Path,
        result: Result<crate::detect::WindowScores, FileFailed>,
    ) {
        let Some(run) = self.job.as_ref().and_then(|j| j.run) else {
            return;
        };
        if let Err(error) = &result {
            self.errors.push(error.to_string());
        }
        if let Some(scored) = run.add_scored(&mut bench.session.document.project, path, result) {
            self.count_scored(bench, scored);
        }
    }

    /// The Detect window, and what it asked for.
    pub fn show(&mut self, bench: &mut Workbench, ctx: &egui::Context) {
        let current = bench.workspace.active_recording().map(|r| r.project_id);
        let resumable: Vec<(u32, String, usize)> = bench
            .session
            .document
            .project
            .detection_runs
            .iter()
            .filter(|r| !r.pending.is_empty())
            .map(|r| (r.id, r.model_dir.display().to_string(), r.pending.len()))
            .collect();
        let actions = self.window_ui(ctx, &bench.session.document.project, current, &resumable);
        for action in actions {
            match action {
                DetectAction::Start => self.start_batch(bench),
                DetectAction::Resume(id) => self.resume(bench, id),
                DetectAction::Cancel => self.cancel(),
            }
        }
    }
}

//! What the Review panel's actions do: choosing a run and its threshold, verdicts (each one
//! undo step), moving along the queue, playing a detection, and closing the loop (false
//! positives → negatives, the threshold kept in the model, retrain, export). The keys are
//! `keys.rs`, what review shows on the workspace `screen.rs`, What to label next
//! `label_next.rs`; detection itself is `gui::detection`.

use eframe::egui;

use super::{ReviewAction, ReviewState};
use crate::annotation::Edit;
use crate::detect::MergeSettings;
use crate::gui::commands::Command;
use crate::gui::workbench::{Cleanup, Event, Request, WorkFailed, Workbench};
use crate::project::ProjectChange;
use crate::project::runs::Verdict;
use crate::review::plan_false_positive_negatives;

/// Audio played either side of a detection.
const PLAY_CONTEXT_SECS: f64 = 1.0;

impl ReviewState {
    /// Shows or hides the Review panel.
    pub fn toggle(&mut self, bench: &mut Workbench) {
        if self.open {
            self.open = false;
        } else {
            self.open_panel(bench);
        }
    }

    /// Shows the Review tab and brings the current detection on screen.
    pub fn open_panel(&mut self, bench: &mut Workbench) {
        self.open = true;
        self.refresh_queue(&bench.session.document.project);
        self.show_current_detection(bench);
    }

    /// Review takes up a run that has just finished: the panel open on its first detection,
    /// that detection's recording on screen (whatever the panel showed before).
    pub fn follow_run(&mut self, bench: &mut Workbench, run_id: u32) {
        self.run_id = Some(run_id);
        self.queue_stamp = None;
        self.position = 0;
        self.open_panel(bench);
    }

    /// The Review tab's contents (right side), and what they asked for.
    pub fn panel(&mut self, bench: &mut Workbench, ui: &mut egui::Ui) {
        self.refresh_history(&bench.session.document.project, &bench.session.waker);
        if let Some(run) = self.run(&bench.session.document.project) {
            self.refresh_calibration(&bench.session.document.project, run, &bench.session.waker);
        }
        self.refresh_queue(&bench.session.document.project);
        self.can_undo_verdict = bench.session.document.undo.last_is_verdict();
        let actions = self.panel_ui(ui, &bench.session.document.project);
        for action in actions {
            self.apply(bench, action);
        }
    }

    /// Does what the Review panel (or a review key) asked.
    pub fn apply(&mut self, bench: &mut Workbench, action: ReviewAction) {
        match action {
            ReviewAction::SelectRun(id) => {
                self.run_id = Some(id);
                self.compare_with = None;
                self.refresh_queue(&bench.session.document.project);
                self.show_current_detection(bench);
            }
            ReviewAction::SetThreshold(threshold) => {
                if let Some(run) = self.run(&bench.session.document.project)
                    && run.merge.threshold.to_bits() != threshold.to_bits()
                {
                    let change = ProjectChange::RunMerge {
                        run_id: run.id,
                        before: run.merge,
                        after: MergeSettings {
                            threshold,
                            ..run.merge
                        },
                    };
                    // Dragging the slider is one step.
                    let unread = bench
                        .session
                        .document
                        .change_project_checked("change the threshold", change);
                    if let Some(first) = unread.first() {
                        bench.session.error(format!(
                            "{} recording(s) keep their old detections: {first}",
                            unread.len()
                        ));
                    }
                    self.refresh_queue(&bench.session.document.project);
                }
            }
            ReviewAction::SetOrder(order) => {
                self.order = order;
                self.refresh_queue(&bench.session.document.project);
                self.position = 0;
                self.show_current_detection(bench);
            }
            ReviewAction::Verdict(verdict) => self.set_verdict(bench, verdict),
            ReviewAction::Previous => self.review_step(bench, -1),
            ReviewAction::Next => self.review_step(bench, 1),
            ReviewAction::Goto(n) => {
                self.position = n.min(self.queue.len().saturating_sub(1));
                self.show_current_detection(bench);
            }
            // Z undoes the last step only when it is a verdict (and shows that detection again);
            // other edits are left to Ctrl+Z, so Z never takes back a box by surprise.
            ReviewAction::UndoVerdict => {
                if bench.session.document.undo.last_is_verdict() {
                    bench.session.request(Request::Command(Command::Undo));
                }
            }
            ReviewAction::Play => self.play_current_detection(bench),
            ReviewAction::AddFalsePositives => self.add_false_positives_to_negatives(bench),
            ReviewAction::SaveThreshold(threshold) => self.save_model_threshold(bench, threshold),
            ReviewAction::Retrain => bench.session.request(Request::Retrain),
            ReviewAction::OpenDetect => bench.session.request(Request::Command(Command::Detect)),
            ReviewAction::ExportDetections => self.export_detections(bench),
            ReviewAction::FindLabelNext => self.find_label_next(bench),
            ReviewAction::ShowLabelNext(n) => self.show_label_next(bench, n),
            ReviewAction::AnswerLabelNext(n, answer) => self.answer_label_next(bench, n, answer),
            ReviewAction::PickClass => self.picking_class ^= true,
            ReviewAction::CompareWith(id) => {
                self.compare_with = id;
                self.refresh_queue(&bench.session.document.project);
            }
            ReviewAction::DifferencesOnly(only) => {
                self.differences_only = only;
                if only {
                    self.sample_only = false;
                }
                self.position = 0;
                self.refresh_queue(&bench.session.document.project);
                self.show_current_detection(bench);
            }
            ReviewAction::CarryVerdicts => self.carry_verdicts(bench),
            ReviewAction::ShowLost(n) => self.show_lost(bench, n),
            ReviewAction::SampleOnly(only) => {
                self.sample_only = only;
                if only {
                    self.differences_only = false;
                }
                self.position = 0;
                self.refresh_queue(&bench.session.document.project);
                self.show_current_detection(bench);
            }
            ReviewAction::KeepCalibration(calibration) => {
                if let Some(run) = self.run(&bench.session.document.project) {
                    let change = ProjectChange::RunCalibration {
                        run_id: run.id,
                        before: run.calibration.clone(),
                        after: calibration,
                    };
                    bench
                        .session
                        .document
                        .change_project("keep a calibration with the run", change);
                }
            }
            ReviewAction::Reclassify(label) => self.reclassify_detection(bench, &label),
            ReviewAction::DeleteRun(id) => {
                if self.scoring_run == Some(id) {
                    bench
                        .session
                        .error("This run is still being scored: cancel it first.".to_owned());
                    return;
                }
                let Some(change) = bench.session.document.project.deletion_of_run(id) else {
                    return;
                };
                bench
                    .session
                    .document
                    .change_project(&format!("delete detection run {id}"), change);
                self.reset();
                bench
                    .session
                    .info(format!("Detection run {id} deleted (Ctrl+Z undoes)."));
            }
        }
    }

    /// Gives the current detection a verdict and moves on to the next.
    pub fn set_verdict(&mut self, bench: &mut Workbench, verdict: Option<Verdict>) {
        self.refresh_queue(&bench.session.document.project);
        let Some(at) = self.current() else {
            return;
        };
        let Some(run_id) = self.run(&bench.session.document.project).map(|r| r.id) else {
            return;
        };
        let before = bench
            .session
            .document
            .project
            .run(run_id)
            .and_then(|run| run.get(at))
            .map(|d| d.verdict);
        if let Some(before) = before {
            let name = verdict.map_or("clear a verdict", |v| match v {
                Verdict::TruePositive => "mark a true positive",
                Verdict::FalsePositive => "mark a false positive",
                Verdict::Unsure => "mark a detection unsure",
            });
            bench.session.document.change_project(
                name,
                ProjectChange::Verdict {
                    run_id,
                    at,
                    before,
                    after: verdict,
                },
            );
        }
        self.review_step(bench, 1);
    }

    /// The current detection is class `label`, not its run's: a Positive selection of `label`
    /// (with provenance) and a false positive of the run, as one undo step; then the next.
    pub fn reclassify_detection(&mut self, bench: &mut Workbench, label: &str) {
        self.picking_class = false;
        self.refresh_queue(&bench.session.document.project);
        let Some(at) = self.current() else {
            return;
        };
        let project = &bench.session.document.project;
        let Some(run) = self.run(project) else {
            return;
        };
        let Some(detection) = run.get(at) else {
            return;
        };
        let Some(selection) = crate::review::plan_reclassified(project, run, at, label) else {
            return;
        };
        let change = ProjectChange::Reclassified {
            run_id: run.id,
            at,
            before: detection.verdict,
            before_selection: detection.negative,
            selection: selection.id,
        };
        let was = run.label.clone();
        bench.session.document.edit_project(
            &format!("mark a detection as {label}"),
            vec![crate::annotation::Edit::Insert(vec![selection])],
            change,
        );
        bench.session.info(format!(
            "It is {label}, not {was}: a Positive '{label}' selection was added (Z undoes)."
        ));
        self.review_step(bench, 1);
    }

    /// Moves along the queue (clamped at its ends) and shows the detection.
    pub fn review_step(&mut self, bench: &mut Workbench, delta: isize) {
        self.refresh_queue(&bench.session.document.project);
        let last = self.queue.len().saturating_sub(1);
        self.position = self.position.saturating_add_signed(delta).min(last);
        self.show_current_detection(bench);
    }

    fn play_current_detection(&mut self, bench: &mut Workbench) {
        let Some((recording, start_secs, end_secs)) =
            self.current_detection(&bench.session.document.project)
        else {
            return;
        };
        if bench
            .workspace
            .active_recording()
            .is_none_or(|r| r.project_id != recording)
        {
            self.show_current_detection(bench);
            bench
                .session
                .info("Opening the recording; press Space again when it is shown.".to_owned());
            return;
        }
        let filter = bench.prefs.playback_filter;
        bench.workspace.player.stop();
        bench.play_span(
            (start_secs - PLAY_CONTEXT_SECS).max(0.0),
            end_secs + PLAY_CONTEXT_SECS,
            filter,
        );
    }

    /// Every false positive of the reviewed run becomes a Negative selection (one undo step),
    /// optionally also a WAV clip in `neg_iteration_NN/` beside the project.
    pub fn add_false_positives_to_negatives(&mut self, bench: &mut Workbench) {
        let Some(run) = self.run(&bench.session.document.project) else {
            return;
        };
        let run_id = run.id;
        let iteration = run.iteration.max(1);
        let plan = plan_false_positive_negatives(
            &bench.session.document.project,
            run,
            &self.negative_options,
        );
        if plan.selections.is_empty() {
            bench.session.info(if plan.test_false_positives > 0 {
                format!(
                    "No new false positives to add: the {} in test recordings are kept for evaluation only.",
                    plan.test_false_positives
                )
            } else {
                "No new false positives to add.".to_owned()
            });
            return;
        }
        let n = plan.selections.len();
        bench.session.document.edit_project(
            &format!("add {n} false positive(s) to negatives"),
            vec![Edit::Insert(plan.selections.clone())],
            ProjectChange::NegativesMarked {
                run_id,
                made: plan.made().collect(),
            },
        );
        let label = plan.selections[0].label.clone();
        let mut text = format!(
            "{n} false positive(s) added as negatives labelled \"{label}\" (Ctrl+Z undoes)."
        );
        if plan.test_false_positives > 0 {
            text.push_str(&format!(
                " {} in test recordings kept for evaluation only.",
                plan.test_false_positives
            ));
        }
        bench.session.info(text);
        if self.write_clips {
            let Some(base) = bench.session.folder_beside_project() else {
                bench
                    .session
                    .error("Save the project first: clips go beside it.".to_owned());
                return;
            };
            let out = crate::clips::negative_iteration_dir(&base, iteration);
            let project = bench.session.document.project.clone();
            let selections = plan.selections;
            bench.session.spawn_job("clips", Cleanup::Nothing, move || {
                let refs: Vec<&crate::annotation::Selection> = selections.iter().collect();
                let result = crate::clips::export_clips_flat(&project, &refs, &out, 0.0)
                    .map(|export| {
                        format!(
                            "{} clip(s) written to {}{}",
                            export.written.len(),
                            out.display(),
                            if export.failed.is_empty() {
                                String::new()
                            } else {
                                format!("; not written: {}", export.failed.join("; "))
                            }
                        )
                    })
                    .map_err(WorkFailed::from);
                Event::Exported(result)
            });
        }
    }

    /// Stores a threshold in the reviewed run's model (on a background thread).
    fn save_model_threshold(&mut self, bench: &mut Workbench, threshold: f32) {
        let Some(dir) = self
            .run(&bench.session.document.project)
            .map(|r| r.model_dir.clone())
        else {
            return;
        };
        bench
            .session
            .spawn_job("threshold", Cleanup::Nothing, move || {
                Event::Exported(
                    crate::model::ModelArtifact::write_threshold(&dir, threshold)
                        .map(|_| format!("Threshold {threshold:.3} saved in {}", dir.display()))
                        .map_err(WorkFailed::from),
                )
            });
        self.reset_history();
    }

    /// Writes the reviewed run's detections beside the project (on a background thread).
    fn export_detections(&mut self, bench: &mut Workbench) {
        let Some(run) = self.run(&bench.session.document.project).cloned() else {
            return;
        };
        let base = bench
            .session
            .folder_beside_project()
            .unwrap_or_else(std::env::temp_dir);
        let out = base.join("detections").join(format!("run_{:02}", run.id));
        let project = bench.session.document.project.clone();
        bench
            .session
            .spawn_job("export detections", Cleanup::Nothing, move || {
                Event::Exported(
                    crate::export::export_run(
                        &project,
                        &run,
                        &out,
                        &crate::export::RUN_TABLE_FORMATS,
                    )
                    .map(|written| {
                        format!("{} file(s) written to {}", written.len(), out.display())
                    })
                    .map_err(WorkFailed::from),
                )
            });
    }
}

//! The app's side of review: the Review panel's actions, the review keys, drawing detections,
//! and closing the loop (false positives → negatives, retrain). Detection itself is
//! `detecting.rs`.

use eframe::egui;

use super::SyrinxApp;
use crate::annotation::{Edit, ProjectRecordingId};
use crate::detect::MergeSettings;
use crate::gui::review::ReviewAction;
use crate::gui::spectrogram_view::DetectionView;
use crate::project::ProjectChange;
use crate::project::runs::Verdict;
use crate::review::plan_false_positive_negatives;

/// Audio played either side of a detection.
const PLAY_CONTEXT_SECS: f64 = 1.0;

impl SyrinxApp {
    /// Shows or hides the Review panel.
    pub fn toggle_review(&mut self) {
        if self.ui.review.open {
            self.ui.review.open = false;
        } else {
            self.open_review();
        }
    }

    /// Shows the Review tab and brings the current detection on screen.
    pub fn open_review(&mut self) {
        self.ui.review.open = true;
        self.ui.review.refresh_queue(&self.session.document.project);
        self.show_current_detection();
    }

    /// The Review panel (right side).
    /// The Review tab's contents.
    pub(super) fn review_panel_ui(&mut self, ui: &mut egui::Ui) {
        self.ui
            .review
            .refresh_history(&self.session.document.project, &self.session.waker);
        self.ui.review.refresh_queue(&self.session.document.project);
        self.ui.review.can_undo_verdict = self.session.document.undo.last_is_verdict();
        let actions = self.ui.review.panel_ui(ui, &self.session.document.project);
        for action in actions {
            self.review_action(action);
        }
    }

    /// Does what the Review panel (or a review key) asked.
    pub fn review_action(&mut self, action: ReviewAction) {
        match action {
            ReviewAction::SelectRun(id) => {
                self.ui.review.run_id = Some(id);
                self.ui.review.refresh_queue(&self.session.document.project);
                self.show_current_detection();
            }
            ReviewAction::SetThreshold(threshold) => {
                if let Some(run) = self.ui.review.run(&self.session.document.project)
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
                    let unread = self
                        .session
                        .document
                        .change_project_checked("change the threshold", change);
                    if let Some(first) = unread.first() {
                        self.error(format!(
                            "{} recording(s) keep their old detections: {first}",
                            unread.len()
                        ));
                    }
                    self.ui.review.refresh_queue(&self.session.document.project);
                }
            }
            ReviewAction::SetOrder(order) => {
                self.ui.review.order = order;
                self.ui.review.refresh_queue(&self.session.document.project);
                self.ui.review.position = 0;
                self.show_current_detection();
            }
            ReviewAction::Verdict(verdict) => self.set_verdict(verdict),
            ReviewAction::Previous => self.review_step(-1),
            ReviewAction::Next => self.review_step(1),
            ReviewAction::Goto(n) => {
                self.ui.review.position = n.min(self.ui.review.queue.len().saturating_sub(1));
                self.show_current_detection();
            }
            ReviewAction::UndoVerdict => self.undo_verdict(),
            ReviewAction::Play => self.play_current_detection(),
            ReviewAction::AddFalsePositives => self.add_false_positives_to_negatives(),
            ReviewAction::SaveThreshold(threshold) => self.save_model_threshold(threshold),
            ReviewAction::Retrain => self.retrain(),
            ReviewAction::OpenDetect => self.open_detect(),
            ReviewAction::ExportDetections => self.export_detections(),
            ReviewAction::FindLabelNext => self.find_label_next(),
            ReviewAction::ShowLabelNext(n) => self.show_label_next(n),
            ReviewAction::AnswerLabelNext(n, answer) => self.answer_label_next(n, answer),
            ReviewAction::PickClass => self.ui.review.picking_class ^= true,
            ReviewAction::Reclassify(label) => self.reclassify_detection(&label),
            ReviewAction::DeleteRun(id) => {
                if self
                    .ui
                    .detect
                    .job
                    .as_ref()
                    .is_some_and(|j| j.run.is_some_and(|r| r.run_id == id))
                {
                    self.error("This run is still being scored: cancel it first.".to_owned());
                    return;
                }
                let Some(change) = self.session.document.project.deletion_of_run(id) else {
                    return;
                };
                self.session
                    .document
                    .change_project(&format!("delete detection run {id}"), change);
                self.ui.review.reset();
                self.info(format!("Detection run {id} deleted (Ctrl+Z undoes)."));
            }
        }
    }

    /// Gives the current detection a verdict and moves on to the next.
    pub fn set_verdict(&mut self, verdict: Option<Verdict>) {
        self.ui.review.refresh_queue(&self.session.document.project);
        let Some(at) = self.ui.review.current() else {
            return;
        };
        let Some(run_id) = self
            .ui
            .review
            .run(&self.session.document.project)
            .map(|r| r.id)
        else {
            return;
        };
        let before = self
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
            self.session.document.change_project(
                name,
                ProjectChange::Verdict {
                    run_id,
                    at,
                    before,
                    after: verdict,
                },
            );
        }
        self.review_step(1);
    }

    /// The current detection is class `label`, not its run's: a Positive selection of `label`
    /// (with provenance) and a false positive of the run, as one undo step; then the next.
    pub fn reclassify_detection(&mut self, label: &str) {
        self.ui.review.picking_class = false;
        self.ui.review.refresh_queue(&self.session.document.project);
        let Some(at) = self.ui.review.current() else {
            return;
        };
        let project = &self.session.document.project;
        let Some(run) = self.ui.review.run(project) else {
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
        self.session.document.edit_project(
            &format!("mark a detection as {label}"),
            vec![crate::annotation::Edit::Insert(vec![selection])],
            change,
        );
        self.info(format!(
            "It is {label}, not {was}: a Positive '{label}' selection was added (Z undoes)."
        ));
        self.review_step(1);
    }

    /// Review's undo key: undoes the last step when it is a verdict (and shows that detection
    /// again); other edits are left to Ctrl+Z, so Z never takes back a box by surprise.
    fn undo_verdict(&mut self) {
        if self.session.document.undo.last_is_verdict() {
            self.undo();
        }
    }

    /// Moves along the queue (clamped at its ends) and shows the detection.
    pub fn review_step(&mut self, delta: isize) {
        self.ui.review.refresh_queue(&self.session.document.project);
        let last = self.ui.review.queue.len().saturating_sub(1);
        self.ui.review.position = self
            .ui
            .review
            .position
            .saturating_add_signed(delta)
            .min(last);
        self.show_current_detection();
    }

    /// The current detection's recording and span.
    pub(super) fn current_detection(&self) -> Option<(ProjectRecordingId, f64, f64)> {
        let run = self.ui.review.run(&self.session.document.project)?;
        let at = self.ui.review.current()?;
        let d = run.get(at)?;
        Some((
            run.recording_of(at)?,
            d.detection.start_secs,
            d.detection.end_secs,
        ))
    }

    /// Opens the current detection's recording and centres the view on it.
    pub(super) fn show_current_detection(&mut self) {
        self.ui.review.label_next.showing = false;
        let Some((recording, start_secs, end_secs)) = self.current_detection() else {
            return;
        };
        match self.open_recording_of(recording).map(|r| r.id) {
            Some(open) => {
                self.ui.active = Some(open);
                if let Some(shown) = self.active_recording_mut() {
                    let span = shown.viewport.span_secs.max(end_secs - start_secs + 2.0);
                    let centre = f64::midpoint(start_secs, end_secs);
                    shown
                        .viewport
                        .show_span(centre - span / 2.0, centre + span / 2.0);
                    shown.cursor_secs = Some(start_secs);
                }
            }
            None => {
                self.ui.pending_detection = true;
                self.show_project_recording(recording);
            }
        }
    }

    /// After a recording opened: centre on the detection that asked for it.
    pub(super) fn after_recording_opened(&mut self, project_id: ProjectRecordingId) {
        if self.ui.pending_detection
            && self
                .current_detection()
                .is_some_and(|(recording, _, _)| recording == project_id)
        {
            self.ui.pending_detection = false;
            self.show_current_detection();
        }
    }

    fn play_current_detection(&mut self) {
        let Some((recording, start_secs, end_secs)) = self.current_detection() else {
            return;
        };
        if self
            .active_recording()
            .is_none_or(|r| r.project_id != recording)
        {
            self.show_current_detection();
            self.info("Opening the recording; press Space again when it is shown.".to_owned());
            return;
        }
        let filter = self.prefs.playback_filter;
        self.ui.player.stop();
        self.play_span(
            (start_secs - PLAY_CONTEXT_SECS).max(0.0),
            end_secs + PLAY_CONTEXT_SECS,
            filter,
        );
    }

    /// Every false positive of the reviewed run becomes a Negative selection (one undo step),
    /// optionally also a WAV clip in `neg_iteration_NN/` beside the project.
    pub fn add_false_positives_to_negatives(&mut self) {
        let Some(run) = self.ui.review.run(&self.session.document.project) else {
            return;
        };
        let run_id = run.id;
        let iteration = run.iteration.max(1);
        let plan = plan_false_positive_negatives(
            &self.session.document.project,
            run,
            &self.ui.review.negative_options,
        );
        if plan.selections.is_empty() {
            self.info(if plan.test_false_positives > 0 {
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
        self.session.document.edit_project(
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
        self.info(text);
        if self.ui.review.write_clips {
            let base = self
                .session
                .document
                .save_path()
                .and_then(std::path::Path::parent)
                .map(std::path::Path::to_path_buf)
                .or_else(|| self.session.data_dir.clone());
            let Some(base) = base else {
                self.error("Save the project first: clips go beside it.".to_owned());
                return;
            };
            let out = crate::clips::negative_iteration_dir(&base, iteration);
            let project = self.session.document.project.clone();
            let selections = plan.selections;
            self.spawn_job("clips", super::Cleanup::Nothing, move || {
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
                    .map_err(super::WorkFailed::from);
                super::Event::Exported(result)
            });
        }
    }

    /// Stores a threshold in the reviewed run's model (on a background thread).
    fn save_model_threshold(&mut self, threshold: f32) {
        let Some(dir) = self
            .ui
            .review
            .run(&self.session.document.project)
            .map(|r| r.model_dir.clone())
        else {
            return;
        };
        self.spawn_job("threshold", super::Cleanup::Nothing, move || {
            super::Event::Exported(
                crate::model::ModelArtifact::write_threshold(&dir, threshold)
                    .map(|_| format!("Threshold {threshold:.3} saved in {}", dir.display()))
                    .map_err(super::WorkFailed::from),
            )
        });
        self.ui.review.reset_history();
    }

    /// Trains the next iteration with the Train window's current settings.
    pub fn retrain(&mut self) {
        if self.ui.training.is_running() {
            self.info("Training is running already.".to_owned());
            self.ui.training.open = true;
            return;
        }
        self.open_training();
        self.start_training();
    }

    /// Writes the reviewed run's detections beside the project (on a background thread).
    fn export_detections(&mut self) {
        let Some(run) = self.ui.review.run(&self.session.document.project).cloned() else {
            return;
        };
        let base = self
            .session
            .document
            .save_path()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf)
            .or_else(|| self.session.data_dir.clone())
            .unwrap_or_else(std::env::temp_dir);
        let out = base.join("detections").join(format!("run_{:02}", run.id));
        let project = self.session.document.project.clone();
        self.spawn_job("export detections", super::Cleanup::Nothing, move || {
            super::Event::Exported(
                crate::export::export_run(&project, &run, &out, &crate::export::RUN_TABLE_FORMATS)
                    .map(|written| {
                        format!("{} file(s) written to {}", written.len(), out.display())
                    })
                    .map_err(super::WorkFailed::from),
            )
        });
    }

    /// Review keys, while the panel is open and a run has detections: ↑/T true, ↓/F false,
    /// U unsure, ←/→ previous/next, Z undo, Space play, N add false positives to negatives.
    /// Returns whether review handled the keyboard this frame (other keys still work).
    pub(super) fn review_keys(&mut self, ctx: &egui::Context) {
        if !self.ui.review.open || self.ui.review.run(&self.session.document.project).is_none() {
            return;
        }
        // Shift and Alt keep their workbench meanings (Shift+Space plays the view, Shift+arrows
        // nudge ×10); egui's key matching would otherwise let them through.
        if ctx.input(|i| i.modifiers.shift || i.modifiers.alt) {
            return;
        }
        use egui::{Key, Modifiers};
        let take = |key: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, key));
        let bindings: [(&[Key], ReviewAction); 8] = [
            (
                &[Key::ArrowUp, Key::T],
                ReviewAction::Verdict(Some(Verdict::TruePositive)),
            ),
            (
                &[Key::ArrowDown, Key::F],
                ReviewAction::Verdict(Some(Verdict::FalsePositive)),
            ),
            (&[Key::U], ReviewAction::Verdict(Some(Verdict::Unsure))),
            (&[Key::ArrowLeft], ReviewAction::Previous),
            (&[Key::ArrowRight], ReviewAction::Next),
            (&[Key::Z], ReviewAction::UndoVerdict),
            (&[Key::Space], ReviewAction::Play),
            (&[Key::N], ReviewAction::AddFalsePositives),
        ];
        let mut actions = Vec::new();
        // C opens the other classes; while they are open, a digit picks one and Esc closes.
        if take(Key::C) {
            actions.push(ReviewAction::PickClass);
        }
        if self.ui.review.picking_class {
            let others = self
                .ui
                .review
                .run(&self.session.document.project)
                .map(|run| crate::review::other_classes(&self.session.document.project, run))
                .unwrap_or_default();
            let digits = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
            ];
            for (digit, label) in digits.into_iter().zip(&others) {
                if take(digit) {
                    actions.push(ReviewAction::Reclassify(label.clone()));
                }
            }
            if take(Key::Escape) {
                self.ui.review.picking_class = false;
            }
        }
        for (keys, action) in bindings {
            // Every key of a binding is consumed, so none falls through to panning or playback.
            if keys.iter().fold(false, |any, key| take(*key) | any) {
                actions.push(action);
            }
        }
        for action in actions {
            self.review_action(action);
        }
    }

    /// The reviewed run's detections on `recording` between `start_secs` and `end_secs`.
    pub(super) fn detection_views(
        &self,
        recording: ProjectRecordingId,
        start_secs: f64,
        end_secs: f64,
    ) -> Vec<DetectionView> {
        let Some(run) = self.ui.review.run(&self.session.document.project) else {
            return Vec::new();
        };
        // The label-next window on screen is framed as the one under review is.
        let label_next = self
            .ui
            .review
            .label_next
            .shown_window()
            .filter(|w| w.recording == recording);
        let current = self.ui.review.current().filter(|_| label_next.is_none());
        let asked = label_next.map(|w| DetectionView {
            start_secs: w.start_secs,
            end_secs: w.end_secs,
            score: w.score,
            verdict: None,
            current: true,
        });
        let Some((index, part)) = run
            .recordings
            .iter()
            .enumerate()
            .find(|(_, p)| p.recording == recording)
        else {
            return asked.into_iter().collect();
        };
        part.detections
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.detection.end_secs >= start_secs && d.detection.start_secs <= end_secs
            })
            .map(|(i, d)| DetectionView {
                start_secs: d.detection.start_secs,
                end_secs: d.detection.end_secs,
                score: d.detection.max_score,
                verdict: d.verdict,
                current: current.is_some_and(|c| c.recording_idx == index && c.detection_idx == i),
            })
            .chain(asked)
            .collect()
    }

    /// While reviewing, boxes drawn are calls the model missed (see `Annotator::missed_call`).
    pub(super) fn update_missed_call_mode(&mut self) {
        self.ui.annotator.missed_call = if self.ui.review.open {
            self.ui
                .review
                .run(&self.session.document.project)
                .map(|run| (run.label.clone(), crate::review::missed_call_columns(run)))
        } else {
            None
        };
    }
}

//! The Review panel: pick a detection run, move the threshold (detections re-merge at once),
//! walk the review queue with the keyboard, turn false positives into negatives, see what the
//! verdicts say about the threshold, how the run compares with reference selections, and how
//! each training iteration did.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints};

use crate::model::{ModelArtifact, ModelInfo};
use crate::project::Project;
use crate::review::{
    DetectionRef, DetectionRun, ReviewOrder, RunEvaluation, ThresholdEvidence, Verdict,
    evaluate_run,
};
use crate::timefmt::format_time_secs;

/// What the panel asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReviewAction {
    SelectRun(u32),
    /// Re-merge the run at this threshold (instant; the model does not run again).
    SetThreshold(f32),
    SetOrder(ReviewOrder),
    Verdict(Option<Verdict>),
    Previous,
    Next,
    /// Go to the queue's `n`-th detection.
    Goto(usize),
    UndoVerdict,
    Play,
    AddFalsePositives,
    /// Store this threshold in the run's model.
    SaveThreshold(f32),
    Retrain,
    OpenDetect,
    ExportDetections,
    DeleteRun(u32),
}

/// One trained model as the iteration history shows it.
#[derive(Debug, Clone)]
pub struct IterationRow {
    pub iteration: usize,
    pub dir: PathBuf,
    pub info: Result<ModelInfo, String>,
}

/// What an evaluation was computed from: run, threshold bits, recordings scored, recordings
/// marked fully annotated, selections version, tolerance bits.
type EvaluationStamp = (u32, u32, usize, usize, u64, u64);

/// State of the Review panel.
#[derive(Debug)]
pub struct ReviewState {
    pub open: bool,
    pub run_id: Option<u32>,
    pub order: ReviewOrder,
    pub queue: Vec<DetectionRef>,
    pub position: usize,
    /// What the queue was built from: (run, detections, threshold bits, order).
    queue_stamp: Option<(u32, usize, u32, ReviewOrder)>,
    /// Verdict changes, newest last: (run, detection, verdict before).
    pub undo: Vec<(u32, DetectionRef, Option<Verdict>)>,
    /// Also write WAV clips of new negatives into `neg_iteration_NN/`.
    pub write_clips: bool,
    /// How false positives become negatives: their label (empty: `not <target>`) and whether
    /// test recordings' ones are added too (off: kept for evaluation only).
    pub negative_options: crate::review::NegativeOptions,
    /// The run whose Delete was clicked once (a second click deletes).
    confirm_delete: Option<u32>,
    /// Precision wanted when suggesting a threshold from the verdicts.
    pub target_precision: f64,
    pub tolerance_secs: f64,
    /// The last evaluation and what it was computed from (run, threshold, recordings, version).
    evaluation: Option<(EvaluationStamp, Result<Option<RunEvaluation>, String>)>,
    history: Option<Vec<IterationRow>>,
    history_of: Vec<PathBuf>,
    /// The job reading the models' descriptions for the Iterations table.
    history_job: Option<crate::jobs::Job<(), Vec<IterationRow>>>,
}

impl Default for ReviewState {
    fn default() -> Self {
        Self {
            open: false,
            run_id: None,
            order: ReviewOrder::ScoreHighFirst,
            queue: Vec::new(),
            position: 0,
            queue_stamp: None,
            undo: Vec::new(),
            write_clips: false,
            negative_options: crate::review::NegativeOptions::default(),
            confirm_delete: None,
            target_precision: 0.9,
            tolerance_secs: 1.5,
            evaluation: None,
            history: None,
            history_of: Vec::new(),
            history_job: None,
        }
    }
}

impl ReviewState {
    /// The run being reviewed (the newest when none was picked).
    #[must_use]
    pub fn run<'a>(&self, project: &'a Project) -> Option<&'a DetectionRun> {
        self.run_id
            .and_then(|id| project.detection_runs.iter().find(|r| r.id == id))
            .or_else(|| project.detection_runs.last())
    }

    /// Rebuilds the queue when the run, its detections or the order changed, keeping the
    /// position on the same detection where it still exists.
    pub fn refresh_queue(&mut self, project: &Project) {
        let Some(run) = self.run(project) else {
            self.queue.clear();
            self.queue_stamp = None;
            return;
        };
        let stamp = (
            run.id,
            run.counts().detections,
            run.merge.threshold.to_bits(),
            self.order,
        );
        if self.queue_stamp == Some(stamp) {
            return;
        }
        let same_run = self.queue_stamp.is_some_and(|s| s.0 == run.id);
        let current = self
            .current()
            .filter(|_| same_run)
            .and_then(|at| Some((run.recording_of(at)?, run.get(at)?.detection.start_secs)));
        self.queue = run.queue(self.order);
        self.queue_stamp = Some(stamp);
        self.run_id = Some(run.id);
        self.position = current
            .and_then(|(recording, start)| {
                self.queue.iter().position(|at| {
                    run.recording_of(*at) == Some(recording)
                        && run.get(*at).is_some_and(|d| {
                            (d.detection.start_secs - start).abs() < run.merge.min_gap_secs + 1.0
                        })
                })
            })
            .unwrap_or(0);
    }

    #[must_use]
    pub fn current(&self) -> Option<DetectionRef> {
        self.queue.get(self.position).copied()
    }

    /// Reads the project's models' descriptions on a background thread when the list changed.
    pub fn refresh_history(&mut self, project: &Project, waker: &crate::jobs::Waker) {
        if let Some(job) = &mut self.history_job
            && let Some(result) = job.poll()
        {
            self.history_job = None;
            // A failure to read is shown in the rows; a job that could not run leaves the
            // table as it was.
            if let Ok(rows) = result {
                self.history = Some(rows);
            }
        }
        if self.history_of == project.models {
            return;
        }
        self.history_of.clone_from(&project.models);
        let dirs = project.models.clone();
        // A newer list replaces a job still reading an older one (its result is dropped).
        self.history_job = crate::jobs::Job::spawn("history", Arc::clone(waker), move |_| {
            Ok(dirs
                .into_iter()
                .enumerate()
                .map(|(i, dir)| IterationRow {
                    iteration: i + 1,
                    info: ModelArtifact::read_info(&dir).map_err(|e| e.to_string()),
                    dir,
                })
                .collect())
        })
        .ok();
    }

    /// Reads the models again (a threshold was saved in one).
    pub fn reset_history(&mut self) {
        self.history_of.clear();
    }

    /// Forgets the cached evaluation and history (another project was opened).
    pub fn reset(&mut self) {
        self.run_id = None;
        self.queue.clear();
        self.queue_stamp = None;
        self.position = 0;
        self.undo.clear();
        self.evaluation = None;
        self.history = None;
        self.history_of.clear();
    }

    /// The panel's contents.
    pub fn panel_ui(&mut self, ui: &mut egui::Ui, project: &Project) -> Vec<ReviewAction> {
        let mut actions = Vec::new();
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.run_ui(ui, project, &mut actions);
            if let Some(run) = self.run(project) {
                ui.separator();
                self.queue_ui(ui, project, run, &mut actions);
                ui.separator();
                self.negatives_ui(ui, project, run, &mut actions);
                egui::CollapsingHeader::new("Threshold from review")
                    .default_open(false)
                    .show(ui, |ui| self.threshold_ui(ui, run, &mut actions));
                egui::CollapsingHeader::new("Against reference selections")
                    .default_open(false)
                    .show(ui, |ui| self.evaluation_ui(ui, project, run));
            }
            egui::CollapsingHeader::new("Iterations")
                .default_open(true)
                .show(ui, |ui| self.history_ui(ui, project, &mut actions));
        });
        actions
    }

    fn run_ui(&mut self, ui: &mut egui::Ui, project: &Project, actions: &mut Vec<ReviewAction>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Review");
            if ui
                .button("Detect…")
                .on_hover_text("Run a model over recordings (Ctrl+D)")
                .clicked()
            {
                actions.push(ReviewAction::OpenDetect);
            }
        });
        let Some(run) = self.run(project) else {
            ui.label("No detections yet: train a model, then Detect.");
            return;
        };
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_id_salt("review run")
                .selected_text(run_name(run))
                .show_ui(ui, |ui| {
                    for r in project.detection_runs.iter().rev() {
                        if ui.selectable_label(r.id == run.id, run_name(r)).clicked() {
                            actions.push(ReviewAction::SelectRun(r.id));
                        }
                    }
                })
                .response
                .on_hover_text("Which detection run to review (newest first)");
            if ui
                .small_button("Export…")
                .on_hover_text(
                    "Raven tables per recording and combined, CSV, Audacity labels, counts",
                )
                .clicked()
            {
                actions.push(ReviewAction::ExportDetections);
            }
            if self.confirm_delete == Some(run.id) {
                if ui
                    .small_button("Really delete")
                    .on_hover_text("Its scores and verdicts are gone for good")
                    .clicked()
                {
                    self.confirm_delete = None;
                    actions.push(ReviewAction::DeleteRun(run.id));
                }
                if ui
                    .small_button("Keep")
                    .on_hover_text("Do not delete the run")
                    .clicked()
                {
                    self.confirm_delete = None;
                }
            } else if ui
                .small_button("Delete run")
                .on_hover_text("Forget this run's scores and verdicts (asks first)")
                .clicked()
            {
                self.confirm_delete = Some(run.id);
            }
        });
        let mut threshold = run.merge.threshold;
        let response = ui
            .add(
                egui::Slider::new(&mut threshold, 0.0..=1.0)
                    .text("threshold")
                    .fixed_decimals(2),
            )
            .on_hover_text("Re-merges the run's window scores at once; verdicts are kept");
        if response.changed() {
            actions.push(ReviewAction::SetThreshold(threshold));
        }
        let counts = run.counts();
        let audio_secs = run.audio_secs(project);
        ui.label(format!(
            "{} detection(s) in {} recording(s), {:.0} min of audio{}{}",
            counts.detections,
            run.recordings.len(),
            audio_secs / 60.0,
            if run.pending.is_empty() {
                String::new()
            } else {
                format!(", {} not scored yet", run.pending.len())
            },
            if run.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", run.failed.len())
            }
        ));
    }

    fn queue_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Order");
            let mut order = self.order;
            egui::ComboBox::from_id_salt("review order")
                .selected_text(order.name())
                .show_ui(ui, |ui| {
                    for choice in [
                        ReviewOrder::ScoreHighFirst,
                        ReviewOrder::ScoreLowFirst,
                        ReviewOrder::Time,
                        ReviewOrder::Random { seed: 1 },
                    ] {
                        let selected =
                            std::mem::discriminant(&order) == std::mem::discriminant(&choice);
                        if ui.selectable_label(selected, choice.name()).clicked() {
                            order = choice;
                        }
                    }
                })
                .response
                .on_hover_text("The order detections come up for review");
            if let ReviewOrder::Random { seed } = &mut order {
                ui.add(egui::DragValue::new(seed).prefix("seed "))
                    .on_hover_text("The same seed gives the same random sample");
            }
            if order != self.order {
                actions.push(ReviewAction::SetOrder(order));
            }
        });
        let counts = run.counts();
        ui.label(format!(
            "Reviewed {} of {} · TP {} · FP {} · unsure {}",
            counts.reviewed(),
            counts.detections,
            counts.true_positives,
            counts.false_positives,
            counts.unsure
        ));
        let Some(at) = self.current() else {
            ui.weak("No detections at this threshold.");
            return;
        };
        let Some(d) = run.get(at) else {
            return;
        };
        let name = run
            .recording_of(at)
            .and_then(|id| project.recording(id))
            .map_or_else(String::new, crate::project::ProjectRecording::name);
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("{} / {}", self.position + 1, self.queue.len()));
            let length_secs = run
                .recording_of(at)
                .and_then(|id| project.recording(id))
                .map_or(d.detection.end_secs, |r| r.duration_secs);
            ui.label(format!(
                "{name} {}–{} · score {:.2} (mean {:.2})",
                format_time_secs(d.detection.start_secs, length_secs),
                format_time_secs(d.detection.end_secs, length_secs),
                d.detection.max_score,
                d.detection.mean_score
            ));
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Verdict:");
            ui.strong(d.verdict.map_or("not reviewed", Verdict::name));
        });
        ui.horizontal_wrapped(|ui| {
            let buttons = [
                (
                    "True positive",
                    "Up arrow or T",
                    Some(Verdict::TruePositive),
                ),
                (
                    "False positive",
                    "Down arrow or F",
                    Some(Verdict::FalsePositive),
                ),
                ("Unsure", "U", Some(Verdict::Unsure)),
            ];
            for (text, keys, verdict) in buttons {
                if ui
                    .selectable_label(d.verdict == verdict, text)
                    .on_hover_text(keys)
                    .clicked()
                {
                    actions.push(ReviewAction::Verdict(verdict));
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Previous").on_hover_text("Left arrow").clicked() {
                actions.push(ReviewAction::Previous);
            }
            if ui.button("Next").on_hover_text("Right arrow").clicked() {
                actions.push(ReviewAction::Next);
            }
            if ui
                .button("Play")
                .on_hover_text("Space: the detection with a second either side")
                .clicked()
            {
                actions.push(ReviewAction::Play);
            }
            if ui
                .add_enabled(!self.undo.is_empty(), egui::Button::new("Undo verdict"))
                .on_hover_text("Z")
                .clicked()
            {
                actions.push(ReviewAction::UndoVerdict);
            }
            if ui
                .button("Next unreviewed")
                .on_hover_text("Skip to the next detection without a verdict")
                .clicked()
                && let Some(n) = (self.position + 1..self.queue.len())
                    .chain(0..self.position)
                    .find(|&i| run.get(self.queue[i]).is_some_and(|d| d.verdict.is_none()))
            {
                actions.push(ReviewAction::Goto(n));
            }
        });
        ui.weak("Draw a box to add a call the model missed (it becomes a positive).");
    }

    fn negatives_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        let plan =
            crate::review::plan_false_positive_negatives(project, run, &self.negative_options);
        let n = plan.selections.len();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Label them");
            let default_label = crate::review::false_positive_label(&run.label);
            let mut text = self.negative_options.label.clone().unwrap_or_default();
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text(default_label.as_str())
                        .desired_width(140.0),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "What the new negatives are: counted and exported under this label, apart                      from the target",
                );
            if field.changed() {
                self.negative_options.label = (!text.trim().is_empty()).then_some(text);
            }
            let negative_labels: Vec<&str> = project
                .labels
                .iter()
                .filter(|l| l.kind == crate::annotation::SelectionKind::Negative)
                .map(|l| l.name.as_str())
                .collect();
            if !negative_labels.is_empty() {
                egui::ComboBox::from_id_salt("negative label")
                    .selected_text("pick…")
                    .width(60.0)
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(false, default_label.as_str()).clicked() {
                            self.negative_options.label = None;
                        }
                        for name in negative_labels {
                            if ui.selectable_label(false, name).clicked() {
                                self.negative_options.label = Some(name.to_owned());
                            }
                        }
                    });
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    n > 0,
                    egui::Button::new(format!("Add false positives to negatives ({n})")),
                )
                .on_hover_text(
                    "N: every false positive becomes a Negative selection over the model's band \
                     that remembers its model, score and iteration (undo with Ctrl+Z)",
                )
                .clicked()
            {
                actions.push(ReviewAction::AddFalsePositives);
            }
        });
        ui.checkbox(
            &mut self.write_clips,
            format!(
                "also write WAV clips to neg_iteration_{:02}/",
                run.iteration.max(1)
            ),
        )
        .on_hover_text(
            "Each new negative is also cut out as a clip in a folder beside the project",
        );
        if !plan.test_recordings.is_empty() {
            let recordings = plan.test_recordings.join(", ");
            if self.negative_options.include_test {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Some come from test recordings ({recordings}): test recordings are never \
                         trained on, so there they only change what the test counts."
                    ),
                );
            } else {
                ui.weak(format!(
                    "{} false positive(s) in test recordings ({recordings}) are kept for \
                     evaluation only: the model never trains on test recordings. To teach it, \
                     review recordings outside the test split (the demo's survey).",
                    plan.test_false_positives
                ));
            }
            ui.checkbox(
                &mut self.negative_options.include_test,
                "add the test recordings' false positives as negatives too",
            )
            .on_hover_text(
                "They are not trained on either way; as negatives they become part of the test's \
                 truth",
            );
        }
        if ui
            .button("Retrain")
            .on_hover_text("Train the next iteration with the same settings")
            .clicked()
        {
            actions.push(ReviewAction::Retrain);
        }
    }

    fn threshold_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &DetectionRun,
        actions: &mut Vec<ReviewAction>,
    ) {
        let evidence = ThresholdEvidence::of(run);
        if evidence.true_positive_scores.is_empty() && evidence.false_positive_scores.is_empty() {
            ui.weak("Mark some detections true or false positive first.");
            return;
        }
        let bins = 20;
        let (tp, fp) = evidence.histograms(bins);
        let width = 1.0 / bins as f64;
        let bars = |counts: &[usize], offset: f64| -> Vec<Bar> {
            counts
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Bar::new((i as f64 + 0.25 + offset) * width, *c as f64).width(width * 0.45)
                })
                .collect()
        };
        let (tp_color, fp_color) = (
            egui::Color32::from_rgb(80, 200, 100),
            egui::Color32::from_rgb(230, 70, 60),
        );
        super::legend::legend_row(
            ui,
            &[("true positives", tp_color), ("false positives", fp_color)],
        );
        Plot::new("verdict histogram")
            .height(110.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("score")
            .show(ui, |plot| {
                plot.bar_chart(BarChart::new("true positives", bars(&tp, 0.0)).color(tp_color));
                plot.bar_chart(BarChart::new("false positives", bars(&fp, 0.5)).color(fp_color));
            });
        let points: PlotPoints = evidence
            .precision_curve
            .iter()
            .map(|(t, p, _)| [f64::from(*t), *p])
            .collect();
        Plot::new("precision vs threshold")
            .height(100.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("threshold")
            .y_axis_label("precision")
            .show(ui, |plot| {
                plot.line(Line::new("precision", points));
            });
        ui.horizontal_wrapped(|ui| {
            ui.label("Precision wanted");
            ui.add(egui::Slider::new(&mut self.target_precision, 0.5..=1.0).fixed_decimals(2))
                .on_hover_text(
                    "Share of detections above the threshold that should be true positives",
                );
        });
        match evidence.threshold_for_precision(self.target_precision) {
            Some(t) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("Lowest threshold reaching it: {t:.3}"));
                    if ui
                        .button("Use it")
                        .on_hover_text("Set the run's threshold to this value")
                        .clicked()
                    {
                        actions.push(ReviewAction::SetThreshold(t));
                    }
                });
            }
            None => {
                ui.weak("No threshold reaches that precision on the reviewed detections.");
            }
        }
        if ui
            .button(format!("Save {:.3} in the model", run.merge.threshold))
            .on_hover_text("Detection will use it by default from now on")
            .clicked()
        {
            actions.push(ReviewAction::SaveThreshold(run.merge.threshold));
        }
        ui.weak(
            "Verdicts are only on detections above the run's threshold when they were made: \
             lowering it adds detections nobody has reviewed.",
        );
    }

    fn evaluation_ui(&mut self, ui: &mut egui::Ui, project: &Project, run: &DetectionRun) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Tolerance (s)");
            ui.add(
                egui::DragValue::new(&mut self.tolerance_secs)
                    .range(0.0..=30.0)
                    .speed(0.1),
            )
            .on_hover_text(
                "A detection matches a reference call it overlaps or whose centre is this close",
            );
        });
        // Marking a recording fully annotated changes what there is to compare with.
        let fully_annotated = project
            .recordings
            .iter()
            .filter(|r| r.fully_annotated)
            .count();
        let stamp = (
            run.id,
            run.merge.threshold.to_bits(),
            run.recordings.len(),
            fully_annotated,
            project.selections.version(),
            self.tolerance_secs.to_bits(),
        );
        if self.evaluation.as_ref().is_none_or(|(s, _)| *s != stamp) {
            let evaluation =
                evaluate_run(project, run, self.tolerance_secs).map_err(|e| e.to_string());
            self.evaluation = Some((stamp, evaluation));
        }
        let Some((_, evaluation)) = &self.evaluation else {
            return;
        };
        let evaluation = match evaluation {
            Ok(evaluation) => evaluation,
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
                return;
            }
        };
        let Some(evaluation) = evaluation else {
            ui.weak(
                "None of the scored recordings is marked fully annotated: mark one (and its \
                 calls as positives) to measure precision and recall here.",
            );
            return;
        };
        let m = &evaluation.at_threshold;
        ui.label(format!(
            "{} fully annotated recording(s), {} reference call(s), {:.0} min",
            evaluation.recordings,
            evaluation.references,
            evaluation.audio_secs / 60.0
        ));
        ui.label(format!(
            "At {:.2}: precision {:.2} · recall {:.2} · F1 {:.2} · {} FP ({:.1} per hour) · {} missed",
            m.threshold,
            m.precision,
            m.recall,
            m.f1,
            m.false_positives,
            m.false_positives_per_hour,
            m.false_negatives
        ));
        let curve: PlotPoints = evaluation
            .curve
            .iter()
            .map(|m| [m.recall, m.precision])
            .collect();
        Plot::new("event pr curve")
            .height(120.0)
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("recall")
            .y_axis_label("precision")
            .show(ui, |plot| {
                plot.line(Line::new("thresholds 0.05–0.95", curve));
            });
    }

    fn history_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        actions: &mut Vec<ReviewAction>,
    ) {
        if project.models.is_empty() {
            ui.weak("No models trained for this project yet (Model › Train…).");
            return;
        }
        let Some(rows) = &self.history else {
            ui.weak("reading models…");
            return;
        };
        egui::Grid::new("iteration history")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for header in ["#", "model", "val F1", "test F1", "negatives", "review"] {
                    ui.strong(header).on_hover_text(
                        "F1 of calls (as syrinx evaluate counts them) on the fully annotated \
                         recordings of the split; \"w\": of windows, where none is annotated",
                    );
                }
                ui.end_row();
                for row in rows {
                    ui.label(row.iteration.to_string());
                    let name = row
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    match &row.info {
                        Ok(info) => {
                            ui.label(name).on_hover_text(format!(
                                "{}\ncreated {}\nthreshold {:.3}",
                                row.dir.display(),
                                info.created,
                                info.threshold
                            ));
                            // Calls first; windows (marked) only where no call was counted.
                            let f1 = |events: &Option<crate::evaluate::EventMetrics>,
                                      windows: &Option<crate::metrics::SplitMetrics>| {
                                match (events, windows) {
                                    (Some(e), _) => format!("{:.2}", e.f1),
                                    (None, Some(w)) => format!("{:.2} w", w.f1),
                                    (None, None) => "–".to_owned(),
                                }
                            };
                            ui.label(f1(&info.validation_events, &info.validation));
                            ui.label(f1(&info.test_events, &info.test));
                            let negatives: usize = info.manifest.groups.iter().map(|g| g.3).sum();
                            ui.label(negatives.to_string())
                                .on_hover_text("negative windows it was trained on");
                        }
                        Err(error) => {
                            ui.label(name).on_hover_text(error.as_str());
                            ui.colored_label(ui.visuals().error_fg_color, "unreadable");
                            ui.label("");
                            ui.label("");
                        }
                    }
                    let mut tp = 0;
                    let mut fp = 0;
                    let mut total = 0;
                    for run in project
                        .detection_runs
                        .iter()
                        .filter(|r| r.model_dir == row.dir)
                    {
                        let c = run.counts();
                        tp += c.true_positives;
                        fp += c.false_positives;
                        total += c.detections;
                    }
                    if total == 0 {
                        ui.weak("not run");
                    } else {
                        ui.label(format!("{tp} TP · {fp} FP of {total}"));
                    }
                    ui.end_row();
                }
            });
        if ui
            .small_button("Retrain")
            .on_hover_text("Train the next iteration with the same settings")
            .clicked()
        {
            actions.push(ReviewAction::Retrain);
        }
    }
}

fn run_name(run: &DetectionRun) -> String {
    let model = run
        .model_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("run {} · {model} (iteration {})", run.id, run.iteration)
}
